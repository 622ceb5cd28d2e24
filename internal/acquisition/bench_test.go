package acquisition_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/acquisition"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// benchEstablishment stores an establishment where every student has a
// record: SILLAGE_BENCH_CLASSES divisions (default 10) of 30 students, a
// referential of 40 competences in 8 domains, and per division 12
// evaluations of 10 competences each over the school year: 120 results per
// student, 3,600 per class. It returns the first division and its students.
func benchEstablishment(b *testing.B, st *store.Store) (sillage.Division, []int64) {
	classes := 10
	if v, err := strconv.Atoi(os.Getenv("SILLAGE_BENCH_CLASSES")); err == nil && v > 0 {
		classes = v
	}
	ctx := context.Background()
	var first sillage.Division
	var firstIDs []int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée des métiers", Kind: sillage.KindLP}); err != nil {
			return err
		}
		ref := sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "Bac pro SN"}
		for c := 0; c < 40; c++ {
			ref.Competences = append(ref.Competences, sillage.Competence{Domain: fmt.Sprintf("Domaine %d", c/5+1), Code: fmt.Sprintf("C%d", c+1), Label: "Compétence " + strconv.Itoa(c+1)})
		}
		if err := tx.Records().CreateReferential(ctx, uai, &ref); err != nil {
			return err
		}
		teacher := sillage.Person{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: "Anne", Source: sillage.SourceManual}
		if err := tx.People().CreatePerson(ctx, uai, &teacher); err != nil {
			return err
		}
		codes := []string{"1", "2", "3", "4", "4", "3", "ABS", "2"}
		for d := 0; d < classes; d++ {
			div := sillage.Division{SchoolYear: 2025, Code: fmt.Sprintf("1SN%d", d+1), Label: "1re SN"}
			if err := tx.People().CreateDivision(ctx, uai, &div); err != nil {
				return err
			}
			var ids []int64
			for i := 0; i < 30; i++ {
				s := sillage.Student{Person: sillage.Person{LastName: fmt.Sprintf("Élève%02d", 30-i), FirstName: "Prénom", SIECLEID: fmt.Sprintf("%d-%d", d, i), Source: sillage.SourceSIECLE},
					Diploma: "24732205", DivisionID: div.ID}
				if err := tx.People().CreateStudent(ctx, uai, &s); err != nil {
					return err
				}
				ids = append(ids, s.ID)
			}
			var rs []sillage.Result
			for e := 0; e < 12; e++ {
				ev := sillage.Evaluation{Title: fmt.Sprintf("Évaluation %d", e+1), Date: sillage.DateOf(time.Date(2025, time.September, 8+18*e, 0, 0, 0, 0, time.UTC)),
					Diploma: ref.Diploma, ReferentialID: ref.ID, AuthorID: teacher.ID, DivisionID: div.ID}
				if err := tx.Records().CreateEvaluation(ctx, uai, &ev); err != nil {
					return err
				}
				for i, id := range ids {
					for c := 0; c < 10; c++ {
						comp := ref.Competences[(e*10+c)%40]
						rs = append(rs, sillage.Result{EvaluationID: ev.ID, StudentID: id, CompetenceID: comp.ID, Value: codes[(i+e+c)%len(codes)]})
					}
				}
			}
			if err := tx.Records().InsertResults(ctx, uai, rs); err != nil {
				return err
			}
			if d == 0 {
				first, firstIDs = div, ids
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return first, firstIDs
}

// rawSelect is the raw limit: the bare SELECT of the same results rows
// (those of the given students), scanned, in the same transaction kind.
func rawSelect(b *testing.B, st *store.Store, ids []int64) (time.Duration, int) {
	ctx := context.Background()
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = strconv.FormatInt(id, 10)
	}
	q := `SELECT student_id, competence_id, evaluation_id, value FROM results WHERE uai = '` + string(uai) + `' AND student_id IN (` + strings.Join(list, ",") + `)`
	var took time.Duration
	n := 0
	err := st.Write(ctx, func(tx *store.Tx) error {
		return tx.Driver(ctx, func(d store.DriverTx) error {
			var s, c, e int64
			var v string
			start := time.Now()
			if d.Pgx != nil {
				// PostgreSQL: the same transaction seen through pgx (the
				// database/sql view is locked while the driver's is in use).
				rows, err := d.Pgx.Query(ctx, q)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					if err := rows.Scan(&s, &c, &e, &v); err != nil {
						return err
					}
					n++
				}
				took = time.Since(start)
				return rows.Err()
			}
			rows, err := d.SQL.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := rows.Scan(&s, &c, &e, &v); err != nil {
					return err
				}
				n++
			}
			took = time.Since(start)
			return rows.Err()
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return took, n
}

// BenchmarkClassSynthesis measures the class synthesis of 30 students × 40
// competences (3,600 results) through the database, the page's path
// (acquisition.ForClass in a read transaction), beside the bare SELECT of
// the same results rows measured in the same run.
func BenchmarkClassSynthesis(b *testing.B) {
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			st := storetest.Open(b, kind, &storetest.Clock{T: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)})
			div, ids := benchEstablishment(b, st)
			ctx := context.Background()
			director := sillage.Who{UAI: uai, PersonID: 1, Role: sillage.RoleDirector}
			// Sorted by a competence column, the costlier order.
			var sortKey string
			if err := st.Read(ctx, func(tx *store.Tx) error {
				refs, err := tx.Records().ListReferentials(ctx, uai)
				if err != nil {
					return err
				}
				comps, err := tx.Records().ListCompetences(ctx, uai, refs[0].ID)
				sortKey = fmt.Sprint("c", comps[7].ID)
				return err
			}); err != nil {
				b.Fatal(err)
			}
			var work, raw time.Duration
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				n++
				start := time.Now()
				err := st.Read(ctx, func(tx *store.Tx) error {
					v, err := acquisition.ForClass(ctx, tx, director, div.ID, "", sortKey, false)
					if err == nil && (len(v.Rows) != 30 || len(v.Columns) != 40) {
						err = fmt.Errorf("%d rows × %d columns", len(v.Rows), len(v.Columns))
					}
					return err
				})
				work += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				t, rows := rawSelect(b, st, ids)
				raw += t
				if rows != 30*120 {
					b.Fatalf("raw select read %d rows", rows)
				}
			}
			b.ReportMetric(float64(work.Microseconds())/float64(n)/1000, "synthesis-ms")
			b.ReportMetric(float64(raw.Microseconds())/float64(n)/1000, "raw-select-ms")
			b.ReportMetric(work.Seconds()/raw.Seconds(), "ratio-to-raw")
		})
	}
}

// BenchmarkStudentBilan measures a student's bilan in PDF (120 results,
// the whole school year, with the progress table) through the database,
// beside the bare SELECT of that student's results rows.
func BenchmarkStudentBilan(b *testing.B) {
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			clock := &storetest.Clock{T: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
			st := storetest.Open(b, kind, clock)
			_, ids := benchEstablishment(b, st)
			ctx := context.Background()
			director := sillage.Who{UAI: uai, PersonID: 1, Role: sillage.RoleDirector}
			var work, raw time.Duration
			n := 0
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				n++
				buf.Reset()
				start := time.Now()
				err := st.Read(ctx, func(tx *store.Tx) error {
					v, err := acquisition.ForStudent(ctx, tx, director, ids[0], "")
					if err != nil {
						return err
					}
					return acquisition.StudentPDF(&buf, v, clock.T)
				})
				work += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				t, rows := rawSelect(b, st, ids[:1])
				raw += t
				if rows != 120 {
					b.Fatalf("raw select read %d rows", rows)
				}
			}
			b.ReportMetric(float64(work.Microseconds())/float64(n)/1000, "bilan-ms")
			b.ReportMetric(float64(raw.Microseconds())/float64(n)/1000, "raw-select-ms")
			b.ReportMetric(work.Seconds()/raw.Seconds(), "ratio-to-raw")
			b.ReportMetric(float64(buf.Len()), "pdf-bytes")
		})
	}
}
