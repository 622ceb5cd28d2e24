package transfer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// TestNoOrphanRecords: results and comments have no foreign keys since
// migration 0021, so every statement that deletes a student, an
// evaluation or a competence must delete theirs. After a transfer, a purge
// and each deletion of the records' parents, no result or comment points
// at a row that is gone — and each step did remove rows that pointed at
// what it deleted, so the check is not vacuous.
func TestNoOrphanRecords(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		clock.T = storetest.Epoch
		w := newWorld(t, st, clock)
		old := w.student(uaiA, "Ines", "Leroy", "v1:INES", diplomaMELEC)
		zoe := w.student(uaiA, "Zoé", "Petit", "v1:ZOE", diplomaMELEC)
		w.record(uaiA, old, zoe)
		w.deactivate(uaiA, old)
		clock.T = storetest.Epoch.AddDate(0, 7, 0)
		lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.record(uaiA, lea, zoe)
		w.deactivate(uaiA, lea)
		w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)

		results := func(f sillage.ResultFilter) int {
			t.Helper()
			var n int
			err := st.Read(ctx, func(tx *store.Tx) error {
				rs, err := tx.Records().ListResults(ctx, uaiA, f)
				n = len(rs)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		noOrphans := func(when string) {
			t.Helper()
			err := st.Read(ctx, func(tx *store.Tx) error {
				o, err := tx.CrossTenant().RecordOrphans(ctx)
				if err != nil {
					return err
				}
				if len(o) != 5 {
					t.Errorf("%s: %d relations checked, want 5", when, len(o))
				}
				for rel, n := range o {
					if n != 0 {
						t.Errorf("%s: %d orphan rows in %s", when, n, rel)
					}
				}
				p, err := tx.CrossTenant().PersonOrphans(ctx)
				if err != nil {
					return err
				}
				if len(p) != 5 {
					t.Errorf("%s: %d person relations checked, want 5", when, len(p))
				}
				for rel, n := range p {
					if n != 0 {
						t.Errorf("%s: %d orphan rows in %s", when, n, rel)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// step deletes something; rows counts the results that point at it
		// (some before, none after).
		step := func(name string, rows func() int, do func() error) {
			t.Helper()
			if rows() == 0 {
				t.Fatalf("%s: no result points at what it deletes: the check would prove nothing", name)
			}
			if err := do(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n := rows(); n != 0 {
				t.Errorf("%s: %d results still point at what it deleted", name, n)
			}
			noOrphans(name)
		}
		write := func(fn func(tx *store.Tx) error) func() error { return func() error { return st.Write(ctx, fn) } }
		// A parent of uaiA is the legal guardian of the three students
		// the steps below delete.
		parent := sillage.Person{Role: sillage.RoleParent, LastName: "Leroy", FirstName: "Anne", Source: sillage.SourceSIECLE}
		if err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.People().CreatePerson(ctx, uaiA, &parent); err != nil {
				return err
			}
			for _, s := range []sillage.Student{old, lea, zoe} {
				if err := tx.People().LinkGuardian(ctx, uaiA, sillage.Guardianship{ParentID: parent.ID, StudentID: s.ID, Legal: true}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// versions counts the unqid versions and the guardian links
		// stored for a student of uaiA; dropping wraps a step that deletes
		// the student: it had some before (the check is not vacuous), none
		// after (migration 0036 dropped the keys whose cascades deleted
		// them on PostgreSQL).
		versions := func(id int64) int {
			t.Helper()
			var n int
			err := st.Read(ctx, func(tx *store.Tx) error {
				v, err := tx.Imports().ListPersonUnqids(ctx, uaiA)
				if err != nil {
					return err
				}
				n = len(v[id])
				gs, err := tx.Imports().ListAllGuardianships(ctx, uaiA)
				for _, g := range gs {
					if g.StudentID == id {
						n++
					}
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		dropping := func(name string, id int64, do func() error) func() error {
			return func() error {
				if versions(id) == 0 {
					t.Fatalf("%s: the student has no unqid version or guardian: the check would prove nothing", name)
				}
				if err := do(); err != nil {
					return err
				}
				if n := versions(id); n != 0 {
					t.Errorf("%s: %d unqid versions or guardian links of the deleted student left", name, n)
				}
				return nil
			}
		}
		noOrphans("before")

		step("transfer", func() int { return results(sillage.ResultFilter{StudentID: lea.ID}) }, dropping("transfer", lea.ID, func() error {
			rep, err := transfer.Run(ctx, st, transfer.Options{})
			if err == nil && len(rep.Transferred) != 1 {
				t.Errorf("transfer: %+v", rep)
			}
			return err
		}))
		step("purge", func() int { return results(sillage.ResultFilter{StudentID: old.ID}) }, dropping("purge", old.ID, func() error {
			rep, err := transfer.Purge(ctx, st, transfer.Options{})
			if err == nil && rep.Students != 1 {
				t.Errorf("purge: %+v", rep)
			}
			return err
		}))
		comp := w.refs[uaiA].Competences[0].ID
		step("competence", func() int {
			n := 0
			for _, r := range listResults(t, st, uaiA, zoe.ID) {
				if r.CompetenceID == comp {
					n++
				}
			}
			return n
		}, write(func(tx *store.Tx) error { return tx.Records().DeleteCompetence(ctx, uaiA, comp) }))
		evals := map[int64]bool{}
		for _, r := range listResults(t, st, uaiA, zoe.ID) {
			evals[r.EvaluationID] = true
		}
		var ids []int64
		for id := range evals {
			ids = append(ids, id)
		}
		if len(ids) < 2 {
			t.Fatalf("Zoé has results in %d evaluations, want at least 2", len(ids))
		}
		step("evaluation", func() int { return results(sillage.ResultFilter{EvaluationID: ids[0]}) },
			write(func(tx *store.Tx) error { return tx.Records().DeleteEvaluation(ctx, uaiA, ids[0]) }))
		step("trashed evaluation", func() int { return results(sillage.ResultFilter{EvaluationID: ids[1]}) }, write(func(tx *store.Tx) error {
			if err := tx.Records().TrashEvaluation(ctx, uaiA, ids[1], w.teacher[uaiA].ID); err != nil {
				return err
			}
			_, err := tx.Rollover().DeleteTrashedEvaluations(ctx, uaiA, clock.T.Add(time.Hour), 1000)
			return err
		}))
		step("student", func() int { return results(sillage.ResultFilter{StudentID: zoe.ID}) },
			dropping("student", zoe.ID, write(func(tx *store.Tx) error { return tx.People().DeletePerson(ctx, uaiA, zoe.ID) })))

		// The check sees an orphan when there is one (written behind the
		// store's back: its writers refuse a student that is gone).
		_, err := st.SQLDB().Exec(fmt.Sprintf(`INSERT INTO results (uai, evaluation_id, student_id, competence_id, value) VALUES ('%s', %d, %d, %d, '1')`,
			uaiA, ids[0], zoe.ID, comp))
		if err != nil {
			t.Fatal(err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			o, err := tx.CrossTenant().RecordOrphans(ctx)
			if o["results.evaluation"] != 1 || o["results.student"] != 1 || o["results.competence"] != 1 {
				t.Errorf("an orphan result is not seen: %v", o)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func listResults(t *testing.T, st *store.Store, u sillage.UAI, student int64) []sillage.Result {
	t.Helper()
	var rs []sillage.Result
	err := st.Read(context.Background(), func(tx *store.Tx) (err error) {
		rs, err = tx.Records().ListResults(context.Background(), u, sillage.ResultFilter{StudentID: student})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
