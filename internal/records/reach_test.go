package records_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// reachWorld is the school of newSchool with the people around its
// students: a second division with a student, the teacher of 1SN (a
// service), a teacher of nothing, a parent of E1, a director, an
// administrator, and an evaluation of 1SN by the teacher on C1 and C2.
type reachWorld struct {
	*school
	other                              sillage.Student
	idle, parent, director, admin      sillage.Person
	teacher, idleW, parentW, directorW sillage.Who
	adminW                             sillage.Who
	eval                               sillage.Evaluation
}

func newReachWorld(t *testing.T, st *store.Store) *reachWorld {
	t.Helper()
	ctx := context.Background()
	w := &reachWorld{school: newSchool(t, st)}
	err := st.Write(ctx, func(tx *store.Tx) error {
		div := sillage.Division{SchoolYear: 2025, Code: "2SN", Label: "2de SN"}
		if err := tx.People().CreateDivision(ctx, uai, &div); err != nil {
			return err
		}
		w.other = sillage.Student{Person: sillage.Person{LastName: "Élève", FirstName: "E4", SIECLEID: "E4", Source: sillage.SourceSIECLE},
			Diploma: "24732205", DivisionID: div.ID}
		if err := tx.People().CreateStudent(ctx, uai, &w.other); err != nil {
			return err
		}
		if err := tx.People().ReplaceServices(ctx, uai, w.school.teacher.ID, []sillage.Service{{DivisionID: w.division.ID, SubjectCode: "000100"}}); err != nil {
			return err
		}
		for _, p := range []struct {
			p    *sillage.Person
			role sillage.Role
			sts  string
		}{{&w.idle, sillage.RoleTeacher, "T2"}, {&w.parent, sillage.RoleParent, ""}, {&w.director, sillage.RoleDirector, "D1"}, {&w.admin, sillage.RoleAdministrator, ""}} {
			*p.p = sillage.Person{Role: p.role, LastName: "Personne", FirstName: string(p.role), STSID: p.sts, Source: sillage.SourceSTS}
			if p.sts == "" {
				p.p.Source = sillage.SourceManual
			}
			if err := tx.People().CreatePerson(ctx, uai, p.p); err != nil {
				return err
			}
		}
		if err := tx.People().LinkGuardian(ctx, uai, sillage.Guardianship{ParentID: w.parent.ID, StudentID: w.students["E1"].ID, Legal: true}); err != nil {
			return err
		}
		w.eval = sillage.Evaluation{Title: "Câblage", Date: sillage.NewDate(2025, 10, 1), Diploma: w.ref.Diploma, ReferentialID: w.ref.ID,
			DivisionID: w.division.ID, AuthorID: w.school.teacher.ID, SchoolYear: 2025}
		if err := tx.Records().CreateEvaluation(ctx, uai, &w.eval); err != nil {
			return err
		}
		return tx.Records().SetEvaluationCompetences(ctx, uai, w.eval.ID, []int64{w.ref.Competences[0].ID, w.ref.Competences[1].ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	who := func(p sillage.Person) sillage.Who { return sillage.Who{UAI: uai, PersonID: p.ID, Role: p.Role} }
	w.teacher, w.idleW, w.parentW, w.directorW, w.adminW = who(w.school.teacher), who(w.idle), who(w.parent), who(w.director), who(w.admin)
	return w
}

// TestReach: each role reaches the students privacy.md gives it, and
// what it may not see is "not found".
func TestReach(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		w := newReachWorld(t, st)
		e1, e2 := w.students["E1"], w.students["E2"]
		self := sillage.Who{UAI: uai, PersonID: e1.ID, Role: sillage.RoleStudent}
		elsewhere := w.directorW
		elsewhere.UAI = "0860013X"
		for _, c := range []struct {
			name    string
			who     sillage.Who
			student int64
			reached bool
		}{
			{"a student themself", self, e1.ID, true},
			{"a student another", self, e2.ID, false},
			{"a parent their child", w.parentW, e1.ID, true},
			{"a parent another child", w.parentW, e2.ID, false},
			{"a teacher their division", w.teacher, e2.ID, true},
			{"a teacher another division", w.teacher, w.other.ID, false},
			{"a teacher of nothing", w.idleW, e1.ID, false},
			{"the director", w.directorW, w.other.ID, true},
			{"an administrator", w.adminW, w.other.ID, true},
			{"another establishment", elsewhere, e1.ID, false},
		} {
			err := st.Read(ctx, func(tx *store.Tx) error {
				got, err := records.Reach(ctx, tx, c.who, c.student)
				if c.reached && (err != nil || got.ID != c.student) {
					t.Errorf("%s: %+v %v, want the student", c.name, got, err)
				}
				if !c.reached && (sillage.KindOf(err) != sillage.KindNotFound || got.ID != 0) {
					t.Errorf("%s: %+v %v, want not found", c.name, got, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name string
			who  sillage.Who
			want int
		}{
			{"teacher", w.teacher, 3}, {"teacher of nothing", w.idleW, 0}, {"parent", w.parentW, 0}, {"director", w.directorW, 4},
		} {
			err := st.Read(ctx, func(tx *store.Tx) error {
				sts, err := records.StudentsInReach(ctx, tx, c.who, sillage.StudentFilter{})
				if err != nil || len(sts) != c.want {
					t.Errorf("students in reach of the %s: %d %v, want %d", c.name, len(sts), err, c.want)
				}
				evals, err := records.EvaluationInReach(ctx, tx, c.who, w.eval.ID)
				if seen := c.who.Role == sillage.RoleTeacher && c.want > 0; seen != (err == nil) || !seen && sillage.KindOf(err) != sillage.KindNotFound {
					t.Errorf("evaluation in reach of the %s: %+v %v", c.name, evals, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestEnterResults: the checks of result entry, the grid's and the API's
// alike, each refusing the whole entry.
func TestEnterResults(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		w := newReachWorld(t, st)
		e1 := w.students["E1"].ID
		c1, c3 := w.ref.Competences[0], w.ref.Competences[2]
		long := strings.Repeat("é", records.MaxCommentRunes+1)
		const ok = sillage.Kind(-1)
		for _, c := range []struct {
			name string
			who  sillage.Who
			in   records.Entry
			want sillage.Kind
			item string // the list of the refused item, if any
		}{
			{"the author by id", w.teacher, records.Entry{Results: []records.ResultInput{{StudentID: e1, CompetenceID: c1.ID, Value: " 3 "}}}, ok, ""},
			{"an administrator by code", w.adminW, records.Entry{Results: []records.ResultInput{{StudentID: e1, Code: "C2", Value: "abs"}}}, ok, ""},
			{"a comment", w.teacher, records.Entry{Comments: []records.CommentInput{{StudentID: e1, Text: " Bien "}}}, ok, ""},
			{"a teacher out of reach", w.idleW, records.Entry{Results: []records.ResultInput{{StudentID: e1, CompetenceID: c1.ID, Value: "3"}}}, sillage.KindNotFound, ""},
			{"the director reads only", w.directorW, records.Entry{Results: []records.ResultInput{{StudentID: e1, CompetenceID: c1.ID, Value: "3"}}}, sillage.KindNotFound, ""},
			{"no student", w.teacher, records.Entry{Results: []records.ResultInput{{CompetenceID: c1.ID, Value: "3"}}}, sillage.KindInvalid, "resultats"},
			{"a student off the grid", w.teacher, records.Entry{Results: []records.ResultInput{{StudentID: w.other.ID, CompetenceID: c1.ID, Value: "3"}}}, sillage.KindInvalid, "resultats"},
			{"a competence not evaluated, by id", w.teacher, records.Entry{Results: []records.ResultInput{{StudentID: e1, CompetenceID: c3.ID, Value: "3"}}}, sillage.KindInvalid, "resultats"},
			{"a competence off the referential", w.teacher, records.Entry{Results: []records.ResultInput{{StudentID: e1, Code: "C9", Value: "3"}}}, sillage.KindInvalid, "resultats"},
			{"a value off the scale", w.teacher, records.Entry{Results: []records.ResultInput{{StudentID: e1, CompetenceID: c1.ID, Value: "7"}}}, sillage.KindInvalid, "resultats"},
			{"a comment too long", w.teacher, records.Entry{Comments: []records.CommentInput{{StudentID: e1, Text: long}}}, sillage.KindInvalid, "commentaires"},
			{"a comment off the grid", w.teacher, records.Entry{Comments: []records.CommentInput{{StudentID: w.other.ID, Text: "x"}}}, sillage.KindInvalid, "commentaires"},
			{"one bad item refuses all", w.teacher, records.Entry{Results: []records.ResultInput{{StudentID: e1, Code: "C3", Value: "4"},
				{StudentID: e1, CompetenceID: c1.ID, Value: "9"}}}, sillage.KindInvalid, "resultats"},
			{"a new competence by code becomes a column", w.teacher, records.Entry{Results: []records.ResultInput{{StudentID: w.students["E2"].ID, Code: "C3", Value: "2"}}}, ok, ""},
		} {
			err := st.Write(ctx, func(tx *store.Tx) error {
				_, err := records.EnterResults(ctx, tx, c.who, w.eval.ID, c.in)
				return err
			})
			var item *records.ItemError
			switch {
			case c.want == ok && err != nil, c.want != ok && sillage.KindOf(err) != c.want:
				t.Errorf("%s: %v, want kind %v", c.name, err, c.want)
			case c.item != "" && (!errors.As(err, &item) || item.List != c.item):
				t.Errorf("%s: %v, want an error on %s", c.name, err, c.item)
			}
		}
		err := st.Read(ctx, func(tx *store.Tx) error {
			rs, err := tx.Records().ListResults(ctx, uai, sillage.ResultFilter{EvaluationID: w.eval.ID})
			if err != nil {
				return err
			}
			got := map[string]bool{}
			for _, r := range rs {
				got[r.Value] = true
			}
			if len(rs) != 3 || !got["3"] || !got["ABS"] || !got["2"] {
				t.Errorf("results %+v, want 3, ABS and the 2 of E2 on C3", rs)
			}
			cols, err := tx.Records().ListEvaluationCompetences(ctx, uai, w.eval.ID)
			if err != nil || len(cols) != 3 {
				t.Errorf("columns %+v %v, want C1, C2, C3", cols, err)
			}
			cs, err := tx.Records().ListComments(ctx, uai, sillage.ResultFilter{EvaluationID: w.eval.ID})
			if err != nil || len(cs) != 1 || cs[0].Text != "Bien" {
				t.Errorf("comments %+v %v", cs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestEvaluationsWithoutDivision: a teacher lists their own evaluations
// without division, an administrator every one, and none has a division.
func TestEvaluationsWithoutDivision(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		w := newReachWorld(t, st)
		err := st.Write(ctx, func(tx *store.Tx) error {
			for _, author := range []int64{w.school.teacher.ID, w.idle.ID} {
				e := sillage.Evaluation{Title: "Atelier", Date: sillage.NewDate(2025, 11, 3), Diploma: w.ref.Diploma, ReferentialID: w.ref.ID,
					AuthorID: author, SchoolYear: 2025}
				if err := records.SaveEvaluation(ctx, tx, uai, &e, []int64{w.ref.Competences[0].ID}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			who  sillage.Who
			want int
		}{
			{"teacher", w.teacher, 1}, {"teacher of nothing", w.idleW, 1}, {"administrator", w.adminW, 2}, {"director", w.directorW, 0},
		} {
			err := st.Read(ctx, func(tx *store.Tx) error {
				evals, err := records.EvaluationsWithoutDivision(ctx, tx, c.who)
				if err != nil || len(evals) != c.want {
					t.Errorf("%s: %+v %v, want %d", c.name, evals, err, c.want)
				}
				for _, e := range evals {
					if e.DivisionID != 0 {
						t.Errorf("%s: evaluation %d of a division", c.name, e.ID)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
