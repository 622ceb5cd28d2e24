package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestTeacherReach(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		var other, inGroup, outsider sillage.Student
		var groupTeacher, manager sillage.Person
		d2 := sillage.Division{SchoolYear: a.year, Code: "2SN"}
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.People().CreateDivision(ctx, a.uai, &d2); err != nil {
				return err
			}
			for _, s := range []*sillage.Student{&other, &inGroup, &outsider} {
				*s = sillage.Student{Person: sillage.Person{LastName: "X", FirstName: "Y", Source: sillage.SourceManual}, DivisionID: d2.ID}
				if err := tx.People().CreateStudent(ctx, a.uai, s); err != nil {
					return err
				}
			}
			g := sillage.Group{SchoolYear: a.year, Label: "Option", Kind: sillage.GroupOption}
			if err := tx.People().CreateGroup(ctx, a.uai, &g); err != nil {
				return err
			}
			if err := tx.People().AddGroupMember(ctx, a.uai, g.ID, inGroup.ID); err != nil {
				return err
			}
			groupTeacher = sillage.Person{Role: sillage.RoleTeacher, LastName: "G", FirstName: "T", Source: sillage.SourceManual}
			if err := tx.People().CreatePerson(ctx, a.uai, &groupTeacher); err != nil {
				return err
			}
			if err := tx.People().ReplaceServices(ctx, a.uai, groupTeacher.ID, []sillage.Service{{GroupID: g.ID, SubjectCode: "X"}}); err != nil {
				return err
			}
			// The free group of the fixture is managed by a.teacher; a
			// second manager reaches its member (a.student) too.
			manager = sillage.Person{Role: sillage.RoleTeacher, LastName: "M", FirstName: "T", Source: sillage.SourceManual}
			if err := tx.People().CreatePerson(ctx, a.uai, &manager); err != nil {
				return err
			}
			grp := sillage.Group{SchoolYear: a.year, Label: "Libre", Kind: sillage.GroupFree, Managers: []int64{manager.ID}}
			if err := tx.People().CreateGroup(ctx, a.uai, &grp); err != nil {
				return err
			}
			return tx.People().AddGroupMember(ctx, a.uai, grp.ID, a.student.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			teacher, student int64
			want             bool
		}{
			{a.teacher.ID, a.student.ID, true},    // service in the division
			{a.teacher.ID, other.ID, false},       // another division
			{groupTeacher.ID, inGroup.ID, true},   // teaches the group
			{groupTeacher.ID, outsider.ID, false}, // same division, not in the group
			{groupTeacher.ID, a.student.ID, false},
			{manager.ID, a.student.ID, true}, // manages a group the student is in
			{manager.ID, other.ID, false},
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			for _, c := range cases {
				got, err := tx.Records().TeachesStudent(ctx, a.uai, c.teacher, c.student)
				if err != nil {
					return err
				}
				if got != c.want {
					t.Errorf("TeachesStudent(%d, %d) = %v, want %v", c.teacher, c.student, got, c.want)
				}
			}
			// Division reach: a service in the division, never a group
			// drawn from it (the group teacher would otherwise open the
			// whole class's grid, space and reports).
			divisions := []struct {
				teacher, division int64
				want              bool
			}{
				{a.teacher.ID, a.division.ID, true},
				{a.teacher.ID, d2.ID, false},
				{groupTeacher.ID, d2.ID, false},
				{manager.ID, a.division.ID, false},
			}
			for _, c := range divisions {
				got, err := tx.People().TeachesDivision(ctx, a.uai, c.teacher, c.division)
				if err != nil {
					return err
				}
				if got != c.want {
					t.Errorf("TeachesDivision(%d, %d) = %v, want %v", c.teacher, c.division, got, c.want)
				}
			}
			ids, err := tx.Records().TeacherStudentIDs(ctx, a.uai, groupTeacher.ID)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(ids, []int64{inGroup.ID}) {
				t.Errorf("TeacherStudentIDs = %v, want [%d]", ids, inGroup.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestEvaluationCompetencesAndKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		var c2, foreign sillage.Competence
		var e2 sillage.Evaluation
		err := st.Write(ctx, func(tx *store.Tx) error {
			c2 = sillage.Competence{ReferentialID: a.ref.ID, Code: "C2", Label: "Réaliser", Domain: "D1", Position: 2}
			if err := tx.Records().CreateCompetence(ctx, a.uai, &c2); err != nil {
				return err
			}
			other := sillage.Referential{Diploma: "50033", Label: "BEP", Competences: []sillage.Competence{{Code: "B1", Label: "b"}}}
			if err := tx.Records().CreateReferential(ctx, a.uai, &other); err != nil {
				return err
			}
			foreign = other.Competences[0]
			e2 = sillage.Evaluation{Title: "Sans grille", Date: sillage.NewDate(2025, 11, 2), Diploma: "2473200", ReferentialID: a.ref.ID, AuthorID: a.teacher.ID}
			if err := tx.Records().CreateEvaluation(ctx, a.uai, &e2); err != nil {
				return err
			}
			if err := tx.Records().SetResult(ctx, a.uai, sillage.Result{EvaluationID: e2.ID, StudentID: a.student.ID, CompetenceID: c2.ID, Value: "2"}); err != nil {
				return err
			}
			if err := tx.Records().SetEvaluationCompetences(ctx, a.uai, a.eval.ID, []int64{c2.ID, a.ref.Competences[0].ID}); err != nil {
				return err
			}
			// A competence of another referential is refused.
			if err := tx.Records().AddEvaluationCompetences(ctx, a.uai, a.eval.ID, []int64{foreign.ID}); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("foreign competence: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			cs, err := tx.Records().ListEvaluationCompetences(ctx, a.uai, a.eval.ID)
			if err != nil {
				return err
			}
			if len(cs) != 2 || cs[0].Code != "C1" || cs[1].Code != "C2" {
				t.Errorf("grid of the evaluation = %+v, want C1, C2 in the referential's order", cs)
			}
			// No chosen list: the competences with results.
			cs, err = tx.Records().ListEvaluationCompetences(ctx, a.uai, e2.ID)
			if err != nil {
				return err
			}
			if len(cs) != 1 || cs[0].ID != c2.ID {
				t.Errorf("grid without a chosen list = %+v", cs)
			}
			n, err := tx.Records().CountCompetenceResults(ctx, a.uai, c2.ID)
			if err != nil || n != 1 {
				t.Errorf("CountCompetenceResults = %d, %v", n, err)
			}
			evals, results, err := tx.Records().CountReferentialUse(ctx, a.uai, a.ref.ID)
			if err != nil || evals != 3 || results != 2 {
				t.Errorf("CountReferentialUse = %d, %d, %v; want 3 evaluations, 2 results", evals, results, err)
			}
			ref, err := tx.Records().FindEvaluationByKey(ctx, a.uai, "devis-2025")
			if err != nil || ref.ID != a.eval.ID || ref.Trashed {
				t.Errorf("FindEvaluationByKey = %+v, %v", ref, err)
			}
			if _, err := tx.Records().FindEvaluationByKey(ctx, a.uai, ""); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("empty key must find nothing: %v", err)
			}
			ref, err = tx.Records().FindEvaluationNatural(ctx, a.uai, "Ancien", sillage.NewDate(2025, 9, 20), "", a.teacher.ID)
			if err != nil || ref.ID != a.trashed.ID || !ref.Trashed {
				t.Errorf("FindEvaluationNatural (trashed) = %+v, %v", ref, err)
			}
			// A keyed evaluation is not found by its natural key.
			if _, err := tx.Records().FindEvaluationNatural(ctx, a.uai, "Devis", a.eval.Date, "", a.teacher.ID); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("keyed evaluation found by natural key: %v", err)
			}
			sh, err := tx.Records().FindSheetNatural(ctx, a.uai, a.sheet)
			if err != nil || sh.ID != a.sheet.ID {
				t.Errorf("FindSheetNatural (no PFMP date) = %+v, %v", sh, err)
			}
			atts, err := tx.Records().ListStudentAttachments(ctx, a.uai, a.student.ID)
			if err != nil || len(atts) != 1 || atts[0].ID != a.attachment.ID {
				t.Errorf("ListStudentAttachments = %+v, %v", atts, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Deleting a referential in use is a conflict; a free one goes
		// with its competences; a key is unique.
		err = st.Write(ctx, func(tx *store.Tx) error { return tx.Records().DeleteReferential(ctx, a.uai, a.ref.ID) })
		if sillage.KindOf(err) != sillage.KindConflict {
			t.Errorf("delete a used referential: %v", err)
		}
		// A sheet evaluated on one of its competences keeps it too.
		err = st.Write(ctx, func(tx *store.Tx) error {
			return tx.Records().SetSheetResults(ctx, a.uai, a.sheet.ID, []sillage.SheetResult{{CompetenceID: foreign.ID, Value: "2"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Write(ctx, func(tx *store.Tx) error { return tx.Records().DeleteReferential(ctx, a.uai, foreign.ReferentialID) })
		if sillage.KindOf(err) != sillage.KindConflict {
			t.Errorf("delete a referential a sheet's results use: %v", err)
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Records().SetSheetResults(ctx, a.uai, a.sheet.ID, nil); err != nil {
				return err
			}
			if err := tx.Records().DeleteReferential(ctx, a.uai, foreign.ReferentialID); err != nil {
				return err
			}
			if _, err := tx.Records().GetCompetence(ctx, a.uai, foreign.ID); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("competence of a deleted referential: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Write(ctx, func(tx *store.Tx) error { return tx.Records().SetEvaluationKey(ctx, a.uai, e2.ID, "devis-2025") })
		if sillage.KindOf(err) != sillage.KindConflict {
			t.Errorf("duplicate key: %v", err)
		}
	})
}
