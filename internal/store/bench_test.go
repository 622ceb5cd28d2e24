package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// BenchmarkStoreBulkInsert measures inserting demo evaluation results
// through the store (InsertResults) beside the physical limit of the same
// rows in the same run (storetest.RawLoad: a bare COPY on PostgreSQL, a
// bare prepared INSERT on SQLite, into a table with the same columns and
// no key, index or foreign key).
// SILLAGE_BENCH_STUDENTS sets the students of the academy (default 300).
func BenchmarkStoreBulkInsert(b *testing.B) {
	students := 300
	if v, err := strconv.Atoi(os.Getenv("SILLAGE_BENCH_STUDENTS")); err == nil && v > 0 {
		students = v
	}
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			ctx := context.Background()
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			st := storetest.Open(b, kind, sillage.FixedClock{T: now})
			blobs, _ := blob.Open(filepath.Join(b.TempDir(), "f"), 0)
			defer blobs.Close()
			kr, _ := ident.NewKeyring(map[int][]byte{1: make([]byte, 32)})
			o := demo.DefaultOptions(now)
			o.Establishments, o.Students, o.EvaluationsPerDivision, o.Attachments = 1, students, 1, false
			res, err := demo.Generate(ctx, st, blobs, kr, o, nil)
			if err != nil {
				b.Fatal(err)
			}
			uai := res.Establishments[0].UAI
			var ref sillage.Referential
			var studentIDs []int64
			var author int64
			err = st.Read(ctx, func(tx *store.Tx) error {
				refs, err := tx.Records().ListReferentials(ctx, uai)
				if err != nil {
					return err
				}
				if ref, err = tx.Records().GetReferential(ctx, uai, refs[0].ID); err != nil {
					return err
				}
				ss, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{})
				if err != nil {
					return err
				}
				for _, s := range ss {
					studentIDs = append(studentIDs, s.ID)
				}
				ts, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: sillage.RoleTeacher})
				author = ts[0].ID
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			newEvaluation := func() int64 {
				var id int64
				err := st.Write(ctx, func(tx *store.Tx) error {
					e := sillage.Evaluation{Title: "Bilan", Date: sillage.DateOf(now), ReferentialID: ref.ID, Diploma: ref.Diploma, AuthorID: author}
					err := tx.Records().CreateEvaluation(ctx, uai, &e)
					id = e.ID
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				return id
			}
			rowsFor := func(evalID int64) []sillage.Result {
				out := make([]sillage.Result, 0, len(studentIDs)*len(ref.Competences))
				for i, s := range studentIDs {
					for j, c := range ref.Competences {
						out = append(out, sillage.Result{EvaluationID: evalID, StudentID: s, CompetenceID: c.ID, Value: strconv.Itoa(1 + (i+j)%4)})
					}
				}
				return out
			}
			var storeDur, rawDur time.Duration
			rows := 0
			for b.Loop() {
				rs := rowsFor(newEvaluation())
				raw := make([][]any, len(rs))
				for i, r := range rs {
					raw[i] = []any{string(uai), r.EvaluationID, r.StudentID, r.CompetenceID, r.Value}
				}
				t0 := time.Now()
				if err := st.Write(ctx, func(tx *store.Tx) error { return tx.Records().InsertResults(ctx, uai, rs) }); err != nil {
					b.Fatal(err)
				}
				storeDur += time.Since(t0)
				t1 := time.Now()
				if err := storetest.RawLoad(ctx, st, "results", resultCols, raw); err != nil {
					b.Fatal(err)
				}
				rawDur += time.Since(t1)
				rows += len(rs)
			}
			storeRate := float64(rows) / storeDur.Seconds()
			rawRate := float64(rows) / rawDur.Seconds()
			b.ReportMetric(storeRate, "rows/s")
			b.ReportMetric(rawRate, "raw-rows/s")
			b.ReportMetric(storeRate/rawRate, "ratio-to-raw")
		})
	}
}

// resultCols are the columns of results an insert gives.
var resultCols = []string{"uai", "evaluation_id", "student_id", "competence_id", "value"}
