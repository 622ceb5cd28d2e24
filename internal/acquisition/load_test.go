package acquisition_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/acquisition"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

const uai = sillage.UAI("0860012W")

// school is an establishment with a referential of two domains, a
// division, a teacher without class, two students and their results: this
// year's, last year's and one received by transfer; and a trashed
// evaluation whose results never count.
type school struct {
	ref       sillage.Referential
	division  sillage.Division
	teacher   sillage.Person
	ana, bob  sillage.Student
	trimester sillage.Period
}

func newSchool(t testing.TB, st *store.Store) *school {
	t.Helper()
	ctx := context.Background()
	s := &school{}
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée des métiers", Kind: sillage.KindLP}); err != nil {
			return err
		}
		s.ref = sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "Bac pro SN", Competences: []sillage.Competence{
			{Domain: "Préparer", Code: "C1", Label: "S'informer"}, {Domain: "Préparer", Code: "C2", Label: "Organiser"},
			{Domain: "Réaliser", Code: "C3", Label: "Installer"}}}
		if err := tx.Records().CreateReferential(ctx, uai, &s.ref); err != nil {
			return err
		}
		s.division = sillage.Division{SchoolYear: 2025, Code: "1SN", Label: "1re SN"}
		if err := tx.People().CreateDivision(ctx, uai, &s.division); err != nil {
			return err
		}
		s.teacher = sillage.Person{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: "Anne", STSID: "T1", Source: sillage.SourceSTS}
		if err := tx.People().CreatePerson(ctx, uai, &s.teacher); err != nil {
			return err
		}
		for _, p := range []struct {
			st    *sillage.Student
			last  string
			first string
		}{{&s.ana, "Œuvray", "Ana"}, {&s.bob, "Durand", "Bob"}} {
			*p.st = sillage.Student{Person: sillage.Person{LastName: p.last, FirstName: p.first, SIECLEID: p.first, Source: sillage.SourceSIECLE},
				Diploma: "24732205", DivisionID: s.division.ID}
			if err := tx.People().CreateStudent(ctx, uai, p.st); err != nil {
				return err
			}
		}
		s.trimester = sillage.Period{SchoolYear: 2025, Kind: sillage.Trimester, Index: 1, Start: sillage.NewDate(2025, 9, 1), End: sillage.NewDate(2025, 11, 30)}
		if err := tx.Periods().CreatePeriod(ctx, uai, &s.trimester); err != nil {
			return err
		}
		c1, c2, c3 := s.ref.Competences[0].ID, s.ref.Competences[1].ID, s.ref.Competences[2].ID
		evals := []struct {
			date    sillage.Date
			origin  sillage.UAI
			trashed bool
			results []sillage.Result
		}{
			// Received by transfer, two years ago.
			{sillage.NewDate(2024, 3, 10), "0750001A", false, []sillage.Result{{StudentID: s.ana.ID, CompetenceID: c1, Value: "1"}}},
			// This year, first trimester.
			{sillage.NewDate(2025, 9, 15), "", false, []sillage.Result{
				{StudentID: s.ana.ID, CompetenceID: c1, Value: "3"}, {StudentID: s.ana.ID, CompetenceID: c3, Value: "ABS"},
				{StudentID: s.bob.ID, CompetenceID: c1, Value: "4"}, {StudentID: s.bob.ID, CompetenceID: c2, Value: "2"}}},
			// This year, after the trimester.
			{sillage.NewDate(2026, 1, 12), "", false, []sillage.Result{
				{StudentID: s.ana.ID, CompetenceID: c1, Value: "4"}, {StudentID: s.ana.ID, CompetenceID: c2, Value: "2"},
				{StudentID: s.bob.ID, CompetenceID: c1, Value: "1"}}},
			// In the trash.
			{sillage.NewDate(2025, 10, 1), "", true, []sillage.Result{{StudentID: s.ana.ID, CompetenceID: c3, Value: "4"}}},
		}
		for i, e := range evals {
			ev := sillage.Evaluation{Title: fmt.Sprintf("Évaluation %d", i+1), Date: e.date, Diploma: "24732205", ReferentialID: s.ref.ID,
				AuthorID: s.teacher.ID, OriginUAI: e.origin}
			if e.origin == "" {
				ev.DivisionID = s.division.ID
			}
			if err := tx.Records().CreateEvaluation(ctx, uai, &ev); err != nil {
				return err
			}
			for _, r := range e.results {
				r.EvaluationID = ev.ID
				if err := tx.Records().SetResult(ctx, uai, r); err != nil {
					return err
				}
			}
			if e.trashed {
				if err := tx.Records().TrashEvaluation(ctx, uai, ev.ID, s.teacher.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// states flattens a student's summary: "code=level/count" per competence
// and "domain=level" per domain.
func states(v *acquisition.StudentView) map[string]string {
	out := map[string]string{}
	for _, r := range v.Referentials {
		for _, d := range r.Domains {
			out[d.Name] = fmt.Sprintf("%s/%d", d.Level.Code, d.Count)
			for _, c := range d.Competences {
				out[c.Competence.Code] = fmt.Sprintf("%s/%d", c.Level.Code, c.Count)
			}
		}
	}
	return out
}

func TestForStudent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		clock.T = time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
		s := newSchool(t, st)
		ctx := context.Background()
		director := sillage.Who{UAI: uai, PersonID: 999, Role: sillage.RoleDirector}
		for _, tc := range []struct {
			name, span, method   string
			want                 map[string]string
			results, transferred int
		}{
			// C1: 3 then 4, last = 4; C2: 2; C3: ABS only → left out of
			// the domain, shown without a level. Préparer = (4+2)/2 = 3.
			{"year, last result", "", "last", map[string]string{"C1": "4/2", "C2": "2/1", "C3": "/0", "Préparer": "3/3", "Réaliser": "/0"}, 4, 0},
			// Trimester: C1 = 3 only, C3 ABS.
			{"trimester", "p" + fmt.Sprint(s.trimester.ID), "last", map[string]string{"C1": "3/1", "C3": "/0", "Préparer": "3/1", "Réaliser": "/0"}, 2, 0},
			// Whole schooling, mean of 3: C1 = (1+3+4)/3 = 2.67 → 3;
			// Préparer = (2.67+2)/2 = 2.33 → 2.
			{"whole schooling, mean", "scolarite", "mean:3", map[string]string{"C1": "3/3", "C2": "2/1", "C3": "/0", "Préparer": "2/4", "Réaliser": "/0"}, 5, 1},
			// Weighted of 3: C1 = (1·1+3·2+4·3)/6 = 19/6 = 3.17 → 3; Préparer (3.17+2)/2 = 2.58 → 3.
			{"whole schooling, weighted", "scolarite", "weighted:3", map[string]string{"C1": "3/3", "C2": "2/1", "C3": "/0", "Préparer": "3/4", "Réaliser": "/0"}, 5, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var v *acquisition.StudentView
				err := st.Write(ctx, func(tx *store.Tx) error {
					m, err := acquisition.ParseMethod(tc.method)
					if err != nil {
						return err
					}
					if err := acquisition.SaveMethod(ctx, tx, uai, m); err != nil {
						return err
					}
					v, err = acquisition.ForStudent(ctx, tx, director, s.ana.ID, tc.span)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if got := states(v); fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("states %v, want %v", got, tc.want)
				}
				if v.Results != tc.results || v.Transferred != tc.transferred {
					t.Errorf("results %d (transferred %d), want %d (%d)", v.Results, v.Transferred, tc.results, tc.transferred)
				}
				if v.Method.String() != tc.method {
					t.Errorf("method %s, want %s", v.Method, tc.method)
				}
			})
		}
	})
}

func TestForStudentReachAndBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		clock.T = time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
		s := newSchool(t, st)
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			who  sillage.Who
			id   int64
			span string
			kind sillage.Kind
		}{
			{"a student sees themself", sillage.Who{UAI: uai, PersonID: s.ana.ID, Role: sillage.RoleStudent}, s.ana.ID, "", 0},
			{"not another student", sillage.Who{UAI: uai, PersonID: s.bob.ID, Role: sillage.RoleStudent}, s.ana.ID, "", sillage.KindNotFound},
			{"not a teacher without the class", sillage.Who{UAI: uai, PersonID: s.teacher.ID, Role: sillage.RoleTeacher}, s.ana.ID, "", sillage.KindNotFound},
			{"not from another establishment", sillage.Who{UAI: "0750001A", PersonID: 1, Role: sillage.RoleDirector}, s.ana.ID, "", sillage.KindNotFound},
			{"an unknown period", sillage.Who{UAI: uai, PersonID: 1, Role: sillage.RoleDirector}, s.ana.ID, "p123456", sillage.KindInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := st.Read(ctx, func(tx *store.Tx) error {
					_, err := acquisition.ForStudent(ctx, tx, tc.who, tc.id, tc.span)
					return err
				})
				if got := sillage.KindOf(err); got != tc.kind {
					t.Errorf("error %v (kind %v), want kind %v", err, got, tc.kind)
				}
			})
		}
	})
}

func TestForClass(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		clock.T = time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
		s := newSchool(t, st)
		ctx := context.Background()
		director := sillage.Who{UAI: uai, PersonID: 999, Role: sillage.RoleDirector}
		c1 := fmt.Sprint("c", s.ref.Competences[0].ID)
		c2 := fmt.Sprint("c", s.ref.Competences[1].ID)
		for _, tc := range []struct {
			sort  string
			order string
		}{
			{"", "Durand Œuvray"},      // French order: Œ as OE, after D
			{"eleve", "Durand Œuvray"}, // the same, named
			{c1, "Œuvray Durand"},      // C1 last result: Ana 4, Bob 1
			{c2, "Durand Œuvray"},      // C2: both 2, names break the tie
		} {
			var v *acquisition.ClassView
			err := st.Read(ctx, func(tx *store.Tx) (err error) {
				v, err = acquisition.ForClass(ctx, tx, director, s.division.ID, "", tc.sort, true)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var order string
			for i, r := range v.Rows {
				if i > 0 {
					order += " "
				}
				order += r.Student.LastName
			}
			if order != tc.order {
				t.Errorf("sort %q: %s, want %s", tc.sort, order, tc.order)
			}
			// Columns: the three competences (C3 has only ABS: a column
			// with both students missing).
			if len(v.Columns) != 3 || len(v.Students) != 2 {
				t.Fatalf("%d columns, %d students", len(v.Columns), len(v.Students))
			}
			d := v.Columns[0].Distribution
			if d["4"] != 1 || d["2"] != 1 || v.Columns[0].Missing != 0 || v.Columns[2].Missing != 2 {
				t.Errorf("distribution of C1 %v (missing %d), C3 missing %d", d, v.Columns[0].Missing, v.Columns[2].Missing)
			}
		}
		err := st.Read(ctx, func(tx *store.Tx) error {
			_, err := acquisition.ForClass(ctx, tx, director, s.division.ID, "", "c1", false)
			if sillage.KindOf(err) != sillage.KindInvalid {
				return fmt.Errorf("unknown sort: %v, want invalid", err)
			}
			_, err = acquisition.ForClass(ctx, tx, sillage.Who{UAI: uai, PersonID: s.teacher.ID, Role: sillage.RoleTeacher}, s.division.ID, "", "", false)
			if sillage.KindOf(err) != sillage.KindNotFound {
				return fmt.Errorf("teacher without the class: %v, want not found", err)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
}
