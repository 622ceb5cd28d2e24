package store_test

import (
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestMigration0021KeepsRecords goes up from 0018 with results and
// comments written: migration 0021 drops their foreign keys (SQLite
// rebuilds both tables) and keeps every row; SetResult and SetComment
// still refuse a student, an evaluation or a competence that does not
// exist, with a French message, and write nothing.
func TestMigration0021KeepsRecords(t *testing.T) {
	ctx := context.Background()
	for _, k := range storetest.Engines(t) {
		t.Run(string(k), func(t *testing.T) {
			clock := &storetest.Clock{T: storetest.Epoch}
			st, err := store.Open(ctx, storetest.DSN(t, k), store.Options{Clock: clock, NoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.MigrateTo(ctx, 18); err != nil {
				t.Fatal(err)
			}
			u := sillage.UAI("0860012W")
			var ev sillage.Evaluation
			var s sillage.Student
			var ref sillage.Referential
			var want []sillage.Result
			err = st.Write(ctx, func(tx *store.Tx) error {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Lycée", Kind: sillage.KindLP}); err != nil {
					return err
				}
				ref = sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "MELEC",
					Competences: []sillage.Competence{{Code: "C1", Label: "Un"}, {Code: "C2", Label: "Deux"}}}
				if err := tx.Records().CreateReferential(ctx, u, &ref); err != nil {
					return err
				}
				s = sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "Durand", Source: sillage.SourceManual}, Diploma: "24732205"}
				if err := tx.People().CreateStudent(ctx, u, &s); err != nil {
					return err
				}
				// The evaluation as the schema of 0018 holds it (the store's
				// CreateEvaluation writes columns of later migrations).
				ev = sillage.Evaluation{Title: "Câblage", Date: sillage.NewDate(2025, 9, 15), ReferentialID: ref.ID, Diploma: "24732205"}
				if ev.ID, err = tx.NewID(ctx); err != nil {
					return err
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.SQLDB().ExecContext(ctx, `INSERT INTO evaluations (uai, id, title, date, level, diploma, referential_id, author_id,
				division_id, school_year, origin_uai, created_at) VALUES ($1, $2, $3, $4, '', $5, $6, 0, NULL, 2025, '', $7)`,
				string(u), ev.ID, ev.Title, ev.Date.String(), ev.Diploma, ev.ReferentialID, clock.T); err != nil {
				t.Fatal(err)
			}
			err = st.Write(ctx, func(tx *store.Tx) error {
				for i, c := range ref.Competences {
					r := sillage.Result{UAI: u, EvaluationID: ev.ID, StudentID: s.ID, CompetenceID: c.ID, Value: []string{"2", "4"}[i]}
					want = append(want, r)
					if err := tx.Records().SetResult(ctx, u, r); err != nil {
						return err
					}
				}
				return tx.Records().SetComment(ctx, u, sillage.Comment{EvaluationID: ev.ID, StudentID: s.ID, Text: "Soigné"})
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			db := st.SQLDB()
			q := `SELECT COUNT(*) FROM pragma_foreign_key_list('results')`
			q2 := `SELECT COUNT(*) FROM pragma_foreign_key_list('comments')`
			if k == store.Postgres {
				q = `SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'results'::regclass`
				q2 = `SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'comments'::regclass`
			}
			for _, q := range []string{q, q2} {
				var n int
				if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil || n != 0 {
					t.Errorf("%s: %d foreign keys left (%v)", q, n, err)
				}
			}
			err = st.Write(ctx, func(tx *store.Tx) error {
				got, err := tx.Records().ListResults(ctx, u, sillage.ResultFilter{StudentID: s.ID})
				if err != nil {
					return err
				}
				if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
					t.Errorf("results after the migration %+v, want %+v", got, want)
				}
				cs, err := tx.Records().ListComments(ctx, u, sillage.ResultFilter{StudentID: s.ID})
				if err != nil || len(cs) != 1 || cs[0].Text != "Soigné" {
					t.Errorf("comments after the migration %+v, %v", cs, err)
				}
				bad := []struct {
					name string
					r    sillage.Result
				}{
					{"student", sillage.Result{EvaluationID: ev.ID, StudentID: s.ID + 1000, CompetenceID: ref.Competences[0].ID, Value: "1"}},
					{"evaluation", sillage.Result{EvaluationID: ev.ID + 1000, StudentID: s.ID, CompetenceID: ref.Competences[0].ID, Value: "1"}},
					{"competence", sillage.Result{EvaluationID: ev.ID, StudentID: s.ID, CompetenceID: ref.Competences[0].ID + 1000, Value: "1"}},
				}
				for _, b := range bad {
					err := tx.Records().SetResult(ctx, u, b.r)
					if sillage.KindOf(err) != sillage.KindInvalid || err.Error() != "élève, évaluation ou compétence introuvable" {
						t.Errorf("result on a missing %s: %v", b.name, err)
					}
				}
				for _, c := range []sillage.Comment{{EvaluationID: ev.ID, StudentID: s.ID + 1000, Text: "x"}, {EvaluationID: ev.ID + 1000, StudentID: s.ID, Text: "x"}} {
					err := tx.Records().SetComment(ctx, u, c)
					if sillage.KindOf(err) != sillage.KindInvalid || err.Error() != "élève ou évaluation introuvable" {
						t.Errorf("comment %+v: %v", c, err)
					}
				}
				o, err := tx.CrossTenant().RecordOrphans(ctx)
				for rel, n := range o {
					if n != 0 {
						t.Errorf("%d orphans in %s: a refused write left a row", n, rel)
					}
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
