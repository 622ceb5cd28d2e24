package transfer_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// The benchmarks build an instance at a scale read from SILLAGE_BENCH_SCALE
// (1 = the target of performance.md: 1,000,000 students in 2,000
// establishments, 50,000 of them moving, each with about 150 results, 5
// sheets and 2 files per sheet). The default is 1/20: 50,000 students and
// 2,500 movers.
//
//	go test -run '^$' -bench TransferSweep -benchtime=1x ./internal/transfer/
//	SILLAGE_BENCH_SCALE=1 SILLAGE_TEST_POSTGRES=… go test -run '^$' -bench 'TransferSweep/postgres' -benchtime=1x -timeout 2h ./internal/transfer/

func benchScale(b *testing.B) float64 {
	s := os.Getenv("SILLAGE_BENCH_SCALE")
	if s == "" {
		return 0.05
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
}

const (
	benchPerEstab     = 500 // students per establishment
	benchEvaluations  = 30  // per establishment, each mover has results in all
	benchCompetences  = 5   // results per evaluation per mover: 150 results
	benchSheets       = 5
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
	inst := &instance{}
	uai := func(i int) sillage.UAI {
		digits := fmt.Sprintf("%07d", 1_000_000+i)
		l, _ := sillage.UAICheckLetter(digits)
		return sillage.UAI(digits + string(l))
	}
	unqid := func(est, k int) string { return fmt.Sprintf("v1:B%05dS%04d", est, k) }
	start := time.Now()
	for i := 0; i < estabs; i++ {
		u := uai(i)
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
			ref := sillage.Referential{Diploma: benchDiploma, Kind: sillage.ReferentialBacPro, Label: "Bac pro MELEC"}
			for c := 0; c < 12; c++ {
				ref.Competences = append(ref.Competences, sillage.Competence{Domain: fmt.Sprintf("C%d", c/3+1), Code: fmt.Sprintf("C%d.%d", c/3+1, c%3+1), Label: fmt.Sprintf("Compétence %d", c)})
			}
			if err := tx.Records().CreateReferential(ctx, u, &ref); err != nil {
				return err
			}
			settled := sillage.TransferSettled
			movers := make([]int64, 0, moversPer)
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
				if leaving {
					movers = append(movers, s.ID)
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
				}
			}
			// The movers' records.
			var results []sillage.Result
			for ev := 0; ev < benchEvaluations; ev++ {
				e := sillage.Evaluation{Title: fmt.Sprintf("Évaluation %d", ev), Date: sillage.NewDate(2025, 9, 1+ev%28), Level: "Première professionnelle",
					Diploma: benchDiploma, ReferentialID: ref.ID, AuthorID: teacher.ID}
				if err := tx.Records().CreateEvaluation(ctx, u, &e); err != nil {
					return err
				}
				for j, id := range movers {
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
			for j, id := range movers {
				for n := 0; n < benchSheets; n++ {
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
	}
	// The statistics the imports that made these students gather after
	// their commit (store.Optimize), and nothing more: no ANALYZE.
	if err := st.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d students, %d movers in %d establishments in %v", inst.students, inst.movers, estabs, time.Since(start).Round(time.Millisecond))
	return inst
}

// rawCopy measures the raw limit: a bare INSERT … SELECT of the movers'
// result rows (the bulk of what a transfer writes) into a scratch table of
// the same shape and key, in one statement.
func rawCopy(b *testing.B, st *store.Store) (rows int64, d time.Duration) {
	b.Helper()
	db := st.SQLDB()
	if _, err := db.Exec(`CREATE TABLE bench_raw (uai TEXT NOT NULL, evaluation_id BIGINT NOT NULL, student_id BIGINT NOT NULL,
		competence_id BIGINT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (uai, evaluation_id, student_id, competence_id))`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	res, err := db.Exec(`INSERT INTO bench_raw (uai, evaluation_id, student_id, competence_id, value)
		SELECT 'RAW', evaluation_id, student_id, competence_id, value FROM results`)
	if err != nil {
		b.Fatal(err)
	}
	d = time.Since(start)
	rows, _ = res.RowsAffected()
	if _, err := db.Exec(`DROP TABLE bench_raw`); err != nil {
		b.Fatal(err)
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
			var rawRows int64
			for b.Loop() {
				b.StopTimer()
				clock := &storetest.Clock{T: storetest.Epoch}
				st := storetest.Open(b, kind, clock)
				inst := genInstance(b, st, students, true, storetest.Epoch.AddDate(0, -1, 0))
				n, d := rawCopy(b, st)
				rawRows += n
				raw += d
				b.StartTimer()
				start := time.Now()
				rep, err := transfer.Run(context.Background(), st, transfer.Options{})
				sweep += time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Transferred) != inst.movers {
					b.Fatalf("%d transferred, want %d", len(rep.Transferred), inst.movers)
				}
				movers += int64(len(rep.Transferred))
				for _, m := range rep.Transferred {
					rows += int64(m.Counts.Rows())
				}
				b.Logf("sweep of %d movers (%d rows) in %v; raw INSERT … SELECT of %d rows in %v", len(rep.Transferred), rows, sweep.Round(time.Millisecond), n, d.Round(time.Millisecond))

				// Latency after an import: a few more movers on the big
				// instance, the run that the import triggers.
				lat := afterImportLatency(b, st, inst)
				b.ReportMetric(lat.Seconds(), "s-import-run")
				st.Close()
				b.StartTimer()
			}
			rowRate := float64(rows) / sweep.Seconds()
			rawRate := float64(rawRows) / raw.Seconds()
			b.ReportMetric(float64(movers)/sweep.Seconds(), "movers/s")
			b.ReportMetric(rowRate, "rows/s")
			b.ReportMetric(rawRate, "raw-rows/s")
			b.ReportMetric(rowRate/rawRate, "ratio-to-raw")
			b.ReportMetric(sweep.Seconds()/float64(b.N), "s-sweep")
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
