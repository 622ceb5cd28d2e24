package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// BenchmarkStoreBulkInsert measures inserting demo evaluation results
// through the store (InsertResults) beside the raw rate of the same rows in
// the same run: a bare prepared INSERT on SQLite, a bare COPY on PostgreSQL.
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
				raw := rowsFor(newEvaluation())
				t0 := time.Now()
				if err := st.Write(ctx, func(tx *store.Tx) error { return tx.Records().InsertResults(ctx, uai, rs) }); err != nil {
					b.Fatal(err)
				}
				storeDur += time.Since(t0)
				t1 := time.Now()
				if err := rawInsert(ctx, st, kind, uai, raw); err != nil {
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

// rawInsert writes results with no store in between.
func rawInsert(ctx context.Context, st *store.Store, kind store.Kind, uai sillage.UAI, rs []sillage.Result) error {
	conn, err := st.SQLDB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if kind == store.Postgres {
		return conn.Raw(func(dc any) error {
			c := dc.(*stdlib.Conn).Conn()
			i := 0
			_, err := c.CopyFrom(ctx, pgx.Identifier{"results"}, []string{"uai", "evaluation_id", "student_id", "competence_id", "value"},
				pgx.CopyFromFunc(func() ([]any, error) {
					if i == len(rs) {
						return nil, nil
					}
					r := rs[i]
					i++
					return []any{string(uai), r.EvaluationID, r.StudentID, r.CompetenceID, r.Value}, nil
				}))
			return err
		})
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO results (uai, evaluation_id, student_id, competence_id, value) VALUES (?1, ?2, ?3, ?4, ?5)")
	if err != nil {
		return err
	}
	u := string(uai)
	for _, r := range rs {
		if _, err := stmt.ExecContext(ctx, u, r.EvaluationID, r.StudentID, r.CompetenceID, r.Value); err != nil {
			return fmt.Errorf("raw insert: %w", err)
		}
	}
	stmt.Close()
	return tx.Commit()
}
