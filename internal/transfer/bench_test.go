package transfer_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// The benchmarks build an instance at a scale read from SILLAGE_BENCH_SCALE:
// 1 is the target of performance.md, 1,000,000 students in 2,000
// establishments, 50,000 of them moving; every student has a record (30
// evaluations with 5 results each — 150 results —, a comment in one
// evaluation of ten), the movers 5 sheets of 2 files each and those who
// stay 1 sheet of 2 files. The default, 0.01, is 10,000 students and 500
// movers (1.5 M results); 0.1 is 100,000 students and 5,000 movers (15 M
// results, several minutes to set up on two cores); 1 is 150 M results and
// needs hours to set up and about 60 GB of disk:
//
//	go test -run '^$' -bench TransferSweep -benchtime=1x ./internal/transfer/
//	SILLAGE_BENCH_SCALE=0.1 SILLAGE_TEST_POSTGRES=… go test -run '^$' -bench 'TransferSweep' -benchtime=1x -timeout 2h ./internal/transfer/
//	SILLAGE_BENCH_SCALE=1 SILLAGE_TEST_POSTGRES=… go test -run '^$' -bench 'TransferSweep/postgres' -benchtime=1x -timeout 12h ./internal/transfer/
//
// The set-up goes through the store's own paths (CreateStudent, the bulk
// InsertResults of imports, CreateSheet, AddAttachment), then refreshes
// statistics as imports do (store.Optimize) and nothing more: no ANALYZE,
// and PostgreSQL with its production settings (storetest keeps
// synchronous_commit on for benchmarks).
//
// Beside wall times, the sweep and its raw limit are measured in CPU time
// (this process and, when PostgreSQL runs on this machine, its server
// processes for the benchmark's connections: storetest.CPUTime), the
// figure that holds when other work loads the machine; the log line gives
// the load average. SILLAGE_BENCH_STEPS=1 runs the sweep with one worker
// and logs the time spent before each step of the transfers.
// SILLAGE_BENCH_REFERENTIALS=N gives each establishment N more referentials
// of 40 competences each, of other diplomas and unused by the records (a
// lycée holds dozens of diplomas): what reads an origin's competences by
// establishment rather than those the records use shows there.

// benchExtraReferentials is SILLAGE_BENCH_REFERENTIALS (0 when unset).
func benchExtraReferentials(b *testing.B) int {
	s := os.Getenv("SILLAGE_BENCH_REFERENTIALS")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		b.Fatalf("SILLAGE_BENCH_REFERENTIALS=%q: a count expected", s)
	}
	return n
}

// benchWorkers is SILLAGE_BENCH_WORKERS, the batches a sweep runs at once
// (0 when unset: the engine's default).
func benchWorkers() int {
	n, _ := strconv.Atoi(os.Getenv("SILLAGE_BENCH_WORKERS"))
	return max(n, 0)
}

func benchScale(b *testing.B) float64 {
	s := os.Getenv("SILLAGE_BENCH_SCALE")
	if s == "" {
		return 0.01
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		b.Fatalf("SILLAGE_BENCH_SCALE=%q: a positive number expected", s)
	}
	return f
}

// instance is a generated instance.
type instance struct {
	students, movers int
	origins          []sillage.UAI // establishments with movers, in order
	estabs           map[sillage.UAI]*benchEstab
}

// benchEstab is what the raw baseline needs to know of an establishment.
type benchEstab struct {
	uai         sillage.UAI
	next        sillage.UAI // where its movers go
	teacher     int64
	referential int64
	codes       map[int64]string // competence id → code
	comps       map[string]int64 // code → competence id
	movers      []int64          // origin ids of the movers, in order
	arrivals    []int64          // destination ids of the previous establishment's movers, in the same order
}

const (
	benchPerEstab     = 500 // students per establishment
	benchEvaluations  = 30  // per establishment, every student has results in all
	benchCompetences  = 5   // results per evaluation per student: 150 results
	benchSheets       = 5   // per mover
	benchStaySheets   = 1   // per student who stays
	benchFilesPerSh   = 2
	benchDiploma      = "24732205"
	benchMoverPerMill = 50 // movers per thousand students (5 %)
)

// genInstance stores students/benchPerEstab establishments; in each, the
// movers left (deactivated, in the index, with their record) for the next
// establishment, where they are new. With arrivals false the movers only
// left (the purge benchmark).
func genInstance(b *testing.B, st *store.Store, students int, arrivals bool, leftAt time.Time) *instance {
	b.Helper()
	ctx := context.Background()
	estabs := max(2, students/benchPerEstab)
	per := students / estabs
	moversPer := max(1, per*benchMoverPerMill/1000)
	inst := &instance{estabs: map[sillage.UAI]*benchEstab{}}
	uai := func(i int) sillage.UAI {
		digits := fmt.Sprintf("%07d", 1_000_000+i)
		l, _ := sillage.UAICheckLetter(digits)
		return sillage.UAI(digits + string(l))
	}
	unqid := func(est, k int) string { return fmt.Sprintf("v1:B%05dS%04d", est, k) }
	extraRefs := benchExtraReferentials(b)
	start := time.Now()
	for i := 0; i < estabs; i++ {
		u := uai(i)
		be := &benchEstab{uai: u, next: uai((i + 1) % estabs), codes: map[int64]string{}, comps: map[string]int64{}}
		err := st.Write(ctx, func(tx *store.Tx) error {
			e := sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP,
				Transfer: sillage.TransferSettings{Enabled: true, Reference: "CNIL-" + string(u)}}
			if err := tx.Establishments().CreateEstablishment(ctx, e); err != nil {
				return err
			}
			teacher := sillage.Person{Role: sillage.RoleTeacher, LastName: "Prof", FirstName: string(u), Source: sillage.SourceDemo}
			if err := tx.People().CreatePerson(ctx, u, &teacher); err != nil {
				return err
			}
			be.teacher = teacher.ID
			ref := sillage.Referential{Diploma: benchDiploma, Kind: sillage.ReferentialBacPro, Label: "Bac pro MELEC"}
			for c := 0; c < 12; c++ {
				ref.Competences = append(ref.Competences, sillage.Competence{Domain: fmt.Sprintf("C%d", c/3+1), Code: fmt.Sprintf("C%d.%d", c/3+1, c%3+1), Label: fmt.Sprintf("Compétence %d", c)})
			}
			if err := tx.Records().CreateReferential(ctx, u, &ref); err != nil {
				return err
			}
			be.referential = ref.ID
			for d := 0; d < extraRefs; d++ {
				other := sillage.Referential{Diploma: fmt.Sprintf("4%07d", d), Kind: sillage.ReferentialBacPro, Label: fmt.Sprintf("Diplôme %d", d)}
				for c := 0; c < 40; c++ {
					other.Competences = append(other.Competences, sillage.Competence{Domain: fmt.Sprintf("C%d", c/4+1), Code: fmt.Sprintf("C%d.%d", c/4+1, c%4+1), Label: fmt.Sprintf("Compétence %d", c)})
				}
				if err := tx.Records().CreateReferential(ctx, u, &other); err != nil {
					return err
				}
			}
			for _, c := range ref.Competences {
				be.codes[c.ID], be.comps[c.Code] = c.Code, c.ID
			}
			settled := sillage.TransferSettled
			all := make([]int64, 0, per) // every student of the establishment, movers last
			for k := 0; k < per; k++ {
				s := sillage.Student{Person: sillage.Person{FirstName: "Élève", LastName: fmt.Sprintf("N%d", k), Source: sillage.SourceDemo},
					Unqid: unqid(i, k), MEF: benchDiploma + "310", Diploma: benchDiploma, TransferStatus: settled, EnteredAt: leftAt.AddDate(-1, 0, 0)}
				leaving := k >= per-moversPer
				if leaving {
					s.DeactivatedAt = leftAt
				}
				if err := tx.People().CreateStudent(ctx, u, &s); err != nil {
					return err
				}
				all = append(all, s.ID)
				if leaving {
					be.movers = append(be.movers, s.ID)
					if err := tx.CrossTenant().PutIndexEntry(ctx, sillage.TransferIndexEntry{Unqid: s.Unqid, OriginUAI: u, OriginStudentID: s.ID, Diploma: benchDiploma, DeactivatedAt: leftAt}); err != nil {
						return err
					}
				}
			}
			// Arrivals from the previous establishment.
			if arrivals {
				prev := (i - 1 + estabs) % estabs
				for m := 0; m < moversPer; m++ {
					k := per - moversPer + m
					s := sillage.Student{Person: sillage.Person{FirstName: "Arrivé", LastName: fmt.Sprintf("N%d", k), Source: sillage.SourceDemo},
						Unqid: unqid(prev, k), MEF: benchDiploma + "310", Diploma: benchDiploma, PreviousUAI: uai(prev)}
					if err := tx.People().CreateStudent(ctx, u, &s); err != nil {
						return err
					}
					be.arrivals = append(be.arrivals, s.ID)
				}
			}
			// Every student's record.
			results := make([]sillage.Result, 0, len(all)*benchEvaluations*benchCompetences)
			for ev := 0; ev < benchEvaluations; ev++ {
				e := sillage.Evaluation{Title: fmt.Sprintf("Évaluation %d", ev), Date: sillage.NewDate(2025, 9, 1+ev%28), Level: "Première professionnelle",
					Diploma: benchDiploma, ReferentialID: ref.ID, AuthorID: teacher.ID}
				if err := tx.Records().CreateEvaluation(ctx, u, &e); err != nil {
					return err
				}
				for j, id := range all {
					for c := 0; c < benchCompetences; c++ {
						comp := ref.Competences[(ev+c)%len(ref.Competences)]
						results = append(results, sillage.Result{EvaluationID: e.ID, StudentID: id, CompetenceID: comp.ID, Value: strconv.Itoa(1 + (j+c)%4)})
					}
					if (ev+j)%10 == 0 {
						if err := tx.Records().SetComment(ctx, u, sillage.Comment{EvaluationID: e.ID, StudentID: id, Text: "Bon travail"}); err != nil {
							return err
						}
					}
				}
			}
			if err := tx.Records().InsertResults(ctx, u, results); err != nil {
				return err
			}
			for j, id := range all {
				sheets := benchStaySheets
				if j >= per-moversPer {
					sheets = benchSheets
				}
				for n := 0; n < sheets; n++ {
					sh := sillage.Sheet{StudentID: id, Kind: sillage.SheetBacPro, Title: fmt.Sprintf("Situation %d", n), Context: sillage.ContextClass,
						Class: "Atelier", AuthorID: teacher.ID, Result: "3", Comment: "Maîtrisé"}
					if err := tx.Records().CreateSheet(ctx, u, &sh); err != nil {
						return err
					}
					for f := 0; f < benchFilesPerSh; f++ {
						sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%d/%d/%d", i, j, n, f)))
						a := sillage.Attachment{SheetID: sh.ID, Name: fmt.Sprintf("piece-%d.pdf", f), SHA256: hex.EncodeToString(sum[:]), Size: 50_000,
							ContentType: "application/pdf", UploadedBy: id}
						if err := tx.Records().AddAttachment(ctx, u, &a); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("generate %s: %v", u, err)
		}
		inst.students += per
		inst.movers += moversPer
		inst.origins = append(inst.origins, u)
		inst.estabs[u] = be
	}
	// The statistics the imports that made these students gather after
	// their commit (store.Optimize), and nothing more: no ANALYZE.
	if err := st.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d students, %d movers in %d establishments in %v", inst.students, inst.movers, estabs, time.Since(start).Round(time.Millisecond))
	return inst
}

// rawTable is a table's share of the raw baseline: the movers' rows as
// they would stand at their destinations.
type rawTable struct {
	name  string
	idCol string // the column that names the copies (ids from rawBase up)
	cols  []string
	rows  [][]any
}

// rawBase is above every id the store hands out in a benchmark.
const rawBase = int64(1) << 50

// rawRows reads the movers' rows of every table a transfer writes and
// rewrites them as copies at their destinations (destination UAI, student
// and competences, new ids): the same rows, the same sizes, the same
// tables as the transfer's. Not timed.
func rawRows(b *testing.B, st *store.Store, inst *instance) []*rawTable {
	b.Helper()
	ctx := context.Background()
	db := st.SQLDB()
	next := rawBase
	newID := func() int64 { next++; return next }
	tables := []*rawTable{{name: "evaluations", idCol: "id"}, {name: "results", idCol: "evaluation_id"}, {name: "comments", idCol: "evaluation_id"},
		{name: "sheets", idCol: "id"}, {name: "attachments", idCol: "id"}}
	read := func(t *rawTable, q string, args []any, each func(cols []string, row []any)) {
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		t.cols = cols
		for rows.Next() {
			row := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range row {
				ptrs[i] = &row[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			each(cols, row)
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
	}
	set := func(cols []string, row []any, col string, v any) {
		for i, c := range cols {
			if c == col {
				row[i] = v
				return
			}
		}
		b.Fatalf("no column %s", col)
	}
	get := func(cols []string, row []any, col string) int64 {
		for i, c := range cols {
			if c == col {
				switch v := row[i].(type) {
				case int64:
					return v
				case int32:
					return int64(v)
				}
				b.Fatalf("column %s: %T", col, row[i])
			}
		}
		b.Fatalf("no column %s", col)
		return 0
	}
	for _, u := range inst.origins {
		o := inst.estabs[u]
		d := inst.estabs[o.next]
		if len(d.arrivals) != len(o.movers) {
			b.Fatalf("%s: %d movers, %d arrivals at %s", u, len(o.movers), len(d.arrivals), d.uai)
		}
		dest := map[int64]int64{}
		for k, id := range o.movers {
			dest[id] = d.arrivals[k]
		}
		first := o.movers[0]
		copies := map[[2]int64]int64{} // origin evaluation, origin student → copy
		read(tables[0], `SELECT * FROM evaluations WHERE uai = $1`, []any{string(u)}, func(cols []string, row []any) {
			ev := get(cols, row, "id")
			for _, m := range o.movers {
				c := append([]any(nil), row...)
				copies[[2]int64{ev, m}] = newID()
				set(cols, c, "uai", string(d.uai))
				set(cols, c, "id", copies[[2]int64{ev, m}])
				set(cols, c, "referential_id", d.referential)
				set(cols, c, "author_id", d.teacher)
				set(cols, c, "origin_uai", string(u))
				tables[0].rows = append(tables[0].rows, c)
			}
		})
		for _, t := range tables[1:3] {
			read(t, `SELECT * FROM `+t.name+` WHERE uai = $1 AND student_id >= $2`, []any{string(u), first}, func(cols []string, row []any) {
				s := get(cols, row, "student_id")
				set(cols, row, "uai", string(d.uai))
				set(cols, row, "evaluation_id", copies[[2]int64{get(cols, row, "evaluation_id"), s}])
				set(cols, row, "student_id", dest[s])
				if t.name == "results" {
					set(cols, row, "competence_id", d.comps[o.codes[get(cols, row, "competence_id")]])
				}
				t.rows = append(t.rows, row)
			})
		}
		sheets := map[int64]int64{}
		read(tables[3], `SELECT * FROM sheets WHERE uai = $1 AND student_id >= $2`, []any{string(u), first}, func(cols []string, row []any) {
			sheets[get(cols, row, "id")] = newID()
			set(cols, row, "uai", string(d.uai))
			set(cols, row, "id", sheets[get(cols, row, "id")])
			set(cols, row, "student_id", dest[get(cols, row, "student_id")])
			set(cols, row, "author_id", int64(0))
			tables[3].rows = append(tables[3].rows, row)
		})
		read(tables[4], `SELECT a.* FROM attachments a JOIN sheets s ON s.uai = a.uai AND s.id = a.sheet_id WHERE a.uai = $1 AND s.student_id >= $2`,
			[]any{string(u), first}, func(cols []string, row []any) {
				set(cols, row, "uai", string(d.uai))
				set(cols, row, "id", newID())
				set(cols, row, "sheet_id", sheets[get(cols, row, "sheet_id")])
				set(cols, row, "uploaded_by", dest[get(cols, row, "uploaded_by")])
				tables[4].rows = append(tables[4].rows, row)
			})
	}
	return tables
}

// rawLoad measures the raw limit of a transfer: the same rows bulk-loaded
// into the real tables (COPY on PostgreSQL, one prepared INSERT per table on
// SQLite) and deleted again, in one transaction, committed. Not Sillage's
// code: plain database/sql and pgx.
func rawLoad(b *testing.B, st *store.Store, inst *instance, tables []*rawTable) (rows int64, d time.Duration) {
	b.Helper()
	ctx := context.Background()
	for _, t := range tables {
		rows += int64(len(t.rows))
	}
	conn, err := st.SQLDB().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	del := func(exec func(q string, args ...any) error) error {
		// Children first, so that no cascade does the work.
		for i := len(tables) - 1; i >= 0; i-- {
			t := tables[i]
			for _, u := range inst.origins {
				if err := exec(`DELETE FROM `+t.name+` WHERE uai = $1 AND `+t.idCol+` > $2`, string(u), rawBase); err != nil {
					return err
				}
			}
		}
		return nil
	}
	start := time.Now()
	if st.Kind() == store.Postgres {
		err = conn.Raw(func(dc any) error {
			c := dc.(*stdlib.Conn).Conn()
			tx, err := c.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			for _, t := range tables {
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
					return fmt.Errorf("COPY %s: %w", t.name, err)
				}
			}
			if err := del(func(q string, args ...any) error { _, err := tx.Exec(ctx, q, args...); return err }); err != nil {
				return err
			}
			return tx.Commit(ctx)
		})
	} else {
		var tx *sql.Tx
		if tx, err = conn.BeginTx(ctx, nil); err != nil {
			b.Fatal(err)
		}
		err = func() error {
			for _, t := range tables {
				marks := make([]string, len(t.cols))
				for i := range marks {
					marks[i] = "?"
				}
				stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+t.name+` (`+strings.Join(t.cols, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`)
				if err != nil {
					return err
				}
				for _, r := range t.rows {
					if _, err := stmt.ExecContext(ctx, r...); err != nil {
						stmt.Close()
						return fmt.Errorf("INSERT %s: %w", t.name, err)
					}
				}
				stmt.Close()
			}
			return del(func(q string, args ...any) error {
				_, err := tx.ExecContext(ctx, strings.ReplaceAll(strings.ReplaceAll(q, "$1", "?1"), "$2", "?2"), args...)
				return err
			})
		}()
		if err != nil {
			tx.Rollback()
		} else {
			err = tx.Commit()
		}
	}
	d = time.Since(start)
	if err != nil {
		b.Fatalf("raw load: %v", err)
	}
	return rows, d
}

func BenchmarkTransferSweep(b *testing.B) {
	scale := benchScale(b)
	students := int(1_000_000 * scale)
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			var movers, rows int64
			var sweep, raw time.Duration
			var rawRowsN int64
			var sweepCPUs, rawCPUs time.Duration
			cpuOK := true // the server's processes could be read
			for b.Loop() {
				b.StopTimer()
				clock := &storetest.Clock{T: storetest.Epoch}
				st := storetest.Open(b, kind, clock)
				inst := genInstance(b, st, students, true, storetest.Epoch.AddDate(0, -1, 0))
				tables := rawRows(b, st, inst)
				c0 := cpuTime(b, st)
				n, d := rawLoad(b, st, inst, tables)
				rawCPU := cpuTime(b, st).Since(c0)
				rawRowsN += n
				raw += d
				rawCPUs += rawCPU
				b.StartTimer()
				c0 = cpuTime(b, st)
				start := time.Now()
				opts, steps := stepTimer(st)
				rep, err := transfer.Run(context.Background(), st, opts)
				took := time.Since(start)
				b.StopTimer()
				c1 := cpuTime(b, st)
				sweepCPU := c1.Since(c0)
				sweepCPUs += sweepCPU
				cpuOK = cpuOK && c0.Visible && c1.Visible
				steps(b)
				sweep += took
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Transferred) != inst.movers {
					b.Fatalf("%d transferred, want %d", len(rep.Transferred), inst.movers)
				}
				movers += int64(len(rep.Transferred))
				var moved int64
				for _, m := range rep.Transferred {
					moved += int64(m.Counts.Rows())
				}
				if moved != n {
					b.Fatalf("the sweep wrote %d rows, the raw baseline %d: not the same rows", moved, n)
				}
				rows += moved
				b.Logf("sweep of %d movers (%d rows) in %v (CPU %v); raw: the same rows bulk-loaded and deleted in %v (CPU %v); ratio %.2f, in CPU time %.2f; load average %s",
					len(rep.Transferred), moved, took.Round(time.Millisecond), sweepCPU.Round(time.Millisecond), d.Round(time.Millisecond),
					rawCPU.Round(time.Millisecond), d.Seconds()/took.Seconds(), rawCPU.Seconds()/sweepCPU.Seconds(), loadAverage())

				// Latency after an import: a few more movers on the big
				// instance, the run that the import triggers.
				lat := afterImportLatency(b, st, inst)
				b.ReportMetric(lat.Seconds(), "s-import-run")
				st.Close()
				b.StartTimer()
			}
			rowRate := float64(rows) / sweep.Seconds()
			rawRate := float64(rawRowsN) / raw.Seconds()
			b.ReportMetric(float64(movers)/sweep.Seconds(), "movers/s")
			b.ReportMetric(rowRate, "rows/s")
			b.ReportMetric(rawRate, "raw-rows/s")
			b.ReportMetric(rowRate/rawRate, "ratio-to-raw")
			if cpuOK && sweepCPUs > 0 {
				// The same ratio in processor time (this process and
				// PostgreSQL's server processes): the one that holds on a
				// loaded machine.
				b.ReportMetric(rawCPUs.Seconds()/float64(rawRowsN)*float64(rows)/sweepCPUs.Seconds(), "cpu-ratio-to-raw")
				b.ReportMetric(sweepCPUs.Seconds()/float64(b.N), "s-cpu-sweep")
				b.ReportMetric(rawCPUs.Seconds()/float64(b.N), "s-cpu-raw")
			}
			b.ReportMetric(sweep.Seconds()/float64(b.N), "s-sweep")
			b.ReportMetric(raw.Seconds()/float64(b.N), "s-raw")
		})
	}
}

// afterImportLatency adds one establishment's worth of movers (as an import
// pair would) to an instance already swept, and times the run.
func afterImportLatency(b *testing.B, st *store.Store, inst *instance) time.Duration {
	b.Helper()
	ctx := context.Background()
	from, to := inst.origins[0], inst.origins[1]
	const n = 25
	err := st.Write(ctx, func(tx *store.Tx) error {
		ref, err := tx.Records().GetReferentialByDiploma(ctx, from, benchDiploma)
		if err != nil {
			return err
		}
		ev := sillage.Evaluation{Title: "Après import", Date: sillage.NewDate(2025, 10, 1), Diploma: benchDiploma, ReferentialID: ref.ID}
		if err := tx.Records().CreateEvaluation(ctx, from, &ev); err != nil {
			return err
		}
		for k := 0; k < n; k++ {
			s := sillage.Student{Person: sillage.Person{FirstName: "Tardif", LastName: fmt.Sprint(k), Source: sillage.SourceDemo},
				Unqid: fmt.Sprintf("v1:LATE%d", k), Diploma: benchDiploma, TransferStatus: sillage.TransferSettled}
			if err := tx.People().CreateStudent(ctx, from, &s); err != nil {
				return err
			}
			for c := 0; c < 5; c++ {
				if err := tx.Records().SetResult(ctx, from, sillage.Result{EvaluationID: ev.ID, StudentID: s.ID, CompetenceID: ref.Competences[c].ID, Value: "3"}); err != nil {
					return err
				}
			}
			if err := tx.People().SetPersonActive(ctx, from, s.ID, false); err != nil {
				return err
			}
			if err := tx.CrossTenant().PutIndexEntry(ctx, sillage.TransferIndexEntry{Unqid: s.Unqid, OriginUAI: from, OriginStudentID: s.ID, Diploma: benchDiploma, DeactivatedAt: tx.Now()}); err != nil {
				return err
			}
			d := sillage.Student{Person: sillage.Person{FirstName: "Tardif", LastName: fmt.Sprint(k), Source: sillage.SourceDemo}, Unqid: s.Unqid, Diploma: benchDiploma}
			if err := tx.People().CreateStudent(ctx, to, &d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	rep, err := transfer.Run(ctx, st, transfer.Options{})
	d := time.Since(start)
	if err != nil || len(rep.Transferred) != n {
		b.Fatalf("run after the import: %d transferred, %v", len(rep.Transferred), err)
	}
	b.Logf("run after an import of %d movers on %d students: %v", n, inst.students, d.Round(time.Millisecond))
	return d
}

// BenchmarkPurge deletes the students who left more than six months ago:
// 50,000 at scale 1 (2,500 by default), each with the record of a mover.
func BenchmarkPurge(b *testing.B) {
	scale := benchScale(b)
	students := int(1_000_000 * scale)
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			var purged int
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				clock := &storetest.Clock{T: storetest.Epoch}
				st := storetest.Open(b, kind, clock)
				inst := genInstance(b, st, students, false, storetest.Epoch)
				clock.T = storetest.Epoch.AddDate(0, 7, 0)
				b.StartTimer()
				start := time.Now()
				rep, err := transfer.Purge(context.Background(), st, transfer.Options{})
				total += time.Since(start)
				b.StopTimer()
				if err != nil || rep.Students != inst.movers {
					b.Fatalf("purged %+v, want %d: %v", rep, inst.movers, err)
				}
				purged += rep.Students
				b.Logf("purge of %d students in %v", rep.Students, time.Since(start).Round(time.Millisecond))
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(purged)/total.Seconds(), "students/s")
			b.ReportMetric(total.Seconds()/float64(b.N), "s-purge")
		})
	}
}

// stepTimer returns the options of a timed sweep and a function logging the
// time, wall and CPU (storetest.CPUTime: this process and the store's
// server processes), spent before each failpoint of the transfer
// (SILLAGE_BENCH_STEPS=1: one worker, so that the steps follow each other;
// otherwise the default options, SILLAGE_BENCH_WORKERS batches at once, and
// nothing logged).
func stepTimer(st *store.Store) (transfer.Options, func(*testing.B)) {
	if os.Getenv("SILLAGE_BENCH_STEPS") != "1" {
		return transfer.Options{Workers: benchWorkers()}, func(*testing.B) {}
	}
	spent := map[string]time.Duration{}
	cpu := map[string]time.Duration{}
	var order []string
	last := time.Now()
	lastCPU, cpuErr := storetest.CPUTime(context.Background(), st)
	o := transfer.Options{Workers: 1, Failpoint: func(step string) error {
		now := time.Now()
		c, err := storetest.CPUTime(context.Background(), st)
		if err != nil {
			cpuErr = err
		}
		if _, ok := spent[step]; !ok {
			order = append(order, step)
		}
		spent[step] += now.Sub(last)
		cpu[step] += c.Since(lastCPU)
		last, lastCPU = time.Now(), c
		return nil
	}}
	return o, func(b *testing.B) {
		if cpuErr != nil {
			b.Logf("CPU time per step unavailable: %v", cpuErr)
		}
		var lines []string
		for _, s := range order {
			lines = append(lines, fmt.Sprintf("%s %v (CPU %v)", s, spent[s].Round(time.Millisecond), cpu[s].Round(time.Millisecond)))
		}
		b.Logf("time before each step: %s", strings.Join(lines, ", "))
	}
}

// cpuTime is storetest.CPUTime; a PostgreSQL whose processes cannot be
// read (another machine) leaves the CPU metrics out.
func cpuTime(b *testing.B, st *store.Store) storetest.CPU {
	b.Helper()
	c, err := storetest.CPUTime(context.Background(), st)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// loadAverage is the machine's load over 1, 5 and 15 minutes.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
