package records_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestTeacherGroups: a teacher creates a group, fills it with students
// within reach only (all or nothing), evaluates it (the grid lists its
// students), takes a student out (their result stays), and deletes it
// (the evaluation stays). Another teacher never sees it; the
// administrator sees and changes every free group; an option group is
// not changed by hand. Both engines.
func TestTeacherGroups(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		w := newReachWorld(t, st)
		e1, e2 := w.students["E1"].ID, w.students["E2"].ID
		var g sillage.Group
		write := func(f func(tx *store.Tx) error) error { return st.Write(ctx, f) }
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		kind := func(err error) sillage.Kind { return sillage.KindOf(err) }
		members := func() []int64 {
			var ids []int64
			must(st.Read(ctx, func(tx *store.Tx) (err error) {
				ids, err = tx.People().ListGroupMembers(ctx, uai, g.ID)
				return err
			}))
			return ids
		}

		for _, c := range []struct {
			label    string
			lifetime sillage.GroupLifetime
		}{{"   ", sillage.LifetimeYear}, {"Atelier", "toujours"}, {string(make([]rune, 101)), sillage.LifetimeYear}} {
			err := write(func(tx *store.Tx) error {
				_, err := records.CreateGroup(ctx, tx, w.teacher, c.label, c.lifetime)
				return err
			})
			if kind(err) != sillage.KindInvalid {
				t.Errorf("group %q (%s): %v, want refused", c.label, c.lifetime, err)
			}
		}
		must(write(func(tx *store.Tx) (err error) {
			g, err = records.CreateGroup(ctx, tx, w.teacher, "  Atelier   soudure ", sillage.LifetimePermanent)
			return err
		}))
		if g.Label != "Atelier soudure" || g.Kind != sillage.GroupFree || g.Lifetime != sillage.LifetimePermanent || !slices.Equal(g.Managers, []int64{w.teacher.PersonID}) {
			t.Fatalf("created group %+v", g)
		}

		// A student out of the teacher's reach spoils the whole batch.
		err := write(func(tx *store.Tx) error {
			_, err := records.AddGroupStudents(ctx, tx, w.teacher, g.ID, []int64{e1, w.other.ID})
			return err
		})
		if kind(err) != sillage.KindNotFound || len(members()) != 0 {
			t.Fatalf("adding a student out of reach: %v, members %v", err, members())
		}
		var n int
		must(write(func(tx *store.Tx) (err error) {
			n, err = records.AddGroupStudents(ctx, tx, w.teacher, g.ID, []int64{e1, e2})
			return err
		}))
		must(write(func(tx *store.Tx) (err error) {
			n2, err := records.AddGroupStudents(ctx, tx, w.teacher, g.ID, []int64{e1})
			n += n2
			return err
		}))
		if n != 2 || !slices.Equal(members(), []int64{e1, e2}) {
			t.Fatalf("added %d, members %v", n, members())
		}

		// Out of reach: the idle teacher, the director who does not manage it.
		for _, who := range []sillage.Who{w.idleW, w.directorW} {
			err := st.Read(ctx, func(tx *store.Tx) error {
				gs, err := records.GroupsInReach(ctx, tx, who)
				if len(gs) != 0 {
					t.Errorf("%s sees %v", who.Role, gs)
				}
				if err != nil {
					return err
				}
				_, err = records.GroupInReach(ctx, tx, who, g.ID)
				return err
			})
			if kind(err) != sillage.KindNotFound {
				t.Errorf("%s reaches the group: %v", who.Role, err)
			}
			err = write(func(tx *store.Tx) error { _, err := records.DeleteGroup(ctx, tx, who, g.ID); return err })
			if kind(err) != sillage.KindNotFound {
				t.Errorf("%s deletes the group: %v", who.Role, err)
			}
		}

		// The group's evaluation: its grid lists the group's students.
		eval := sillage.Evaluation{Title: "Soudure TIG", Date: sillage.NewDate(2025, 11, 5), Diploma: w.ref.Diploma, ReferentialID: w.ref.ID,
			GroupID: g.ID, AuthorID: w.teacher.PersonID}
		must(write(func(tx *store.Tx) error {
			if err := records.SaveEvaluation(ctx, tx, uai, &eval, []int64{w.ref.Competences[0].ID}); err != nil {
				return err
			}
			_, err := records.EnterResults(ctx, tx, w.teacher, eval.ID, records.Entry{Results: []records.ResultInput{{StudentID: e1, CompetenceID: w.ref.Competences[0].ID, Value: "3"}}})
			return err
		}))
		rows := func(who sillage.Who) ([]int64, map[int64]bool, error) {
			var ids []int64
			var in map[int64]bool
			err := st.Read(ctx, func(tx *store.Tx) error {
				e, err := records.EvaluationInReach(ctx, tx, who, eval.ID)
				if err != nil {
					return err
				}
				gr, err := records.LoadGrid(ctx, tx, uai, e)
				if err != nil {
					return err
				}
				for _, s := range gr.Students {
					ids = append(ids, s.ID)
				}
				in = gr.InDivision
				return nil
			})
			return ids, in, err
		}
		if ids, _, err := rows(w.teacher); err != nil || !slices.Equal(ids, []int64{e1, e2}) {
			t.Fatalf("grid of the group: %v %v", ids, err)
		}
		if _, _, err := rows(w.idleW); kind(err) != sillage.KindNotFound {
			t.Errorf("idle teacher reaches the group's evaluation: %v", err)
		}
		err = write(func(tx *store.Tx) error {
			_, err := records.EnterResults(ctx, tx, w.teacher, eval.ID, records.Entry{Results: []records.ResultInput{{StudentID: w.other.ID, CompetenceID: w.ref.Competences[0].ID, Value: "3"}}})
			return err
		})
		if kind(err) != sillage.KindInvalid {
			t.Errorf("result for a student outside the group: %v", err)
		}
		var evals []sillage.Evaluation
		must(st.Read(ctx, func(tx *store.Tx) (err error) {
			evals, err = tx.Records().ListEvaluations(ctx, uai, sillage.EvaluationFilter{GroupID: g.ID})
			return err
		}))
		if len(evals) != 1 || evals[0].ID != eval.ID || evals[0].GroupID != g.ID || evals[0].DivisionID != 0 {
			t.Errorf("evaluations of the group: %+v", evals)
		}

		// E1 leaves the group: still a row (a result), no longer a member.
		must(write(func(tx *store.Tx) error {
			_, err := records.RemoveGroupStudent(ctx, tx, w.teacher, g.ID, e1)
			return err
		}))
		if ids, in, err := rows(w.teacher); err != nil || !slices.Equal(ids, []int64{e2, e1}) || in[e1] || !in[e2] {
			t.Errorf("grid after E1 left: %v %v %v", ids, in, err)
		}
		err = write(func(tx *store.Tx) error {
			_, err := records.RemoveGroupStudent(ctx, tx, w.teacher, g.ID, e1)
			return err
		})
		if err != nil || slices.Contains(members(), e1) {
			t.Errorf("removing a student again: %v, members %v", err, members())
		}

		// The administrator sees every group and reaches every student.
		must(st.Read(ctx, func(tx *store.Tx) error {
			gs, err := records.GroupsInReach(ctx, tx, w.adminW)
			if len(gs) != 1 || gs[0].ID != g.ID || !slices.Equal(gs[0].Managers, []int64{w.teacher.PersonID}) {
				t.Errorf("administrator sees %+v", gs)
			}
			return err
		}))
		must(write(func(tx *store.Tx) error {
			_, err := records.AddGroupStudents(ctx, tx, w.adminW, g.ID, []int64{w.other.ID})
			return err
		}))

		// An option group is not changed by hand, even by its teacher.
		opt := sillage.Group{SchoolYear: 2025, Code: "LV2", Label: "Espagnol LV2", Kind: sillage.GroupOption}
		must(write(func(tx *store.Tx) error {
			if err := tx.People().CreateGroup(ctx, uai, &opt); err != nil {
				return err
			}
			return tx.People().ReplaceServices(ctx, uai, w.teacher.PersonID, []sillage.Service{{DivisionID: w.division.ID, SubjectCode: "000100"}, {GroupID: opt.ID, SubjectCode: "030602"}})
		}))
		must(st.Read(ctx, func(tx *store.Tx) error {
			_, err := records.GroupInReach(ctx, tx, w.teacher, opt.ID)
			return err
		}))
		err = write(func(tx *store.Tx) error {
			_, err := records.AddGroupStudents(ctx, tx, w.teacher, opt.ID, []int64{e1})
			return err
		})
		if kind(err) != sillage.KindConflict {
			t.Errorf("changing an option group: %v", err)
		}

		// Deleted: the evaluation and its result stay with their author.
		must(write(func(tx *store.Tx) error { _, err := records.DeleteGroup(ctx, tx, w.teacher, g.ID); return err }))
		if ids, _, err := rows(w.teacher); err != nil || !slices.Equal(ids, []int64{e1}) {
			t.Errorf("the group's evaluation after its deletion: %v %v", ids, err)
		}
	})
}
