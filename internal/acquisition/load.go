package acquisition

import (
	"context"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// LoadMethod returns the establishment's method, the default one when none
// was chosen (or the stored one is unreadable).
func LoadMethod(ctx context.Context, tx *store.Tx, uai sillage.UAI) (Method, error) {
	v, err := tx.Periods().GetSetting(ctx, uai, MethodSetting, "")
	if err != nil || v == "" {
		return DefaultMethod(), err
	}
	m, err := ParseMethod(v)
	if err != nil {
		return DefaultMethod(), nil
	}
	return m, nil
}

// SaveMethod records the establishment's choice.
func SaveMethod(ctx context.Context, tx *store.Tx, uai sillage.UAI, m Method) error {
	if _, err := NewMethod(string(m.Kind), itoa(int64(m.N))); err != nil {
		return err
	}
	return tx.Periods().SetSetting(ctx, uai, MethodSetting, m.String())
}

// Context is what every summary states beside its figures.
type Context struct {
	Establishment sillage.Establishment
	Method        Method
	Scale         sillage.Scale
	Span          Span
	Spans         []Span // the selector's choices
}

// input loads the method, scale, spans, referentials and the results of
// the students over the span keyed spanKey.
func input(ctx context.Context, tx *store.Tx, uai sillage.UAI, studentIDs []int64, spanKey string) (*Input, Context, error) {
	var c Context
	var err error
	if c.Establishment, err = tx.Establishments().GetEstablishment(ctx, uai); err != nil {
		return nil, c, err
	}
	if c.Method, err = LoadMethod(ctx, tx, uai); err != nil {
		return nil, c, err
	}
	if c.Scale, err = records.LoadScale(ctx, tx, uai); err != nil {
		return nil, c, err
	}
	year := sillage.SchoolYearOf(tx.Now())
	periods, err := tx.Periods().ListPeriods(ctx, uai, year)
	if err != nil {
		return nil, c, err
	}
	c.Spans = Spans(year, periods)
	if c.Span, err = PickSpan(c.Spans, spanKey); err != nil {
		return nil, c, err
	}
	in := &Input{Method: c.Method, Scale: c.Scale}
	if in.Results, err = tx.Records().ListDatedResults(ctx, uai, studentIDs, c.Span.From, c.Span.To); err != nil {
		return nil, c, err
	}
	used := map[int64]bool{}
	for _, r := range in.Results {
		used[r.CompetenceID] = true
	}
	if len(used) == 0 {
		return in, c, nil
	}
	refs, err := tx.Records().ListReferentials(ctx, uai)
	if err != nil {
		return nil, c, err
	}
	comps, err := tx.Records().ListAllCompetences(ctx, uai)
	if err != nil {
		return nil, c, err
	}
	byRef := map[int64][]sillage.Competence{}
	for _, comp := range comps {
		byRef[comp.ReferentialID] = append(byRef[comp.ReferentialID], comp)
	}
	for _, ref := range refs {
		ref.Competences = byRef[ref.ID]
		for _, comp := range ref.Competences {
			if used[comp.ID] {
				in.Referentials = append(in.Referentials, ref)
				break
			}
		}
	}
	return in, c, nil
}

// StudentView is a student's acquisition with its context.
type StudentView struct {
	Context
	*Student
}

// ForStudent computes the acquisition of a student within who's reach
// (not found otherwise) over the span keyed spanKey ("" for the school
// year).
func ForStudent(ctx context.Context, tx *store.Tx, who sillage.Who, studentID int64, spanKey string) (*StudentView, error) {
	st, err := records.Reach(ctx, tx, who, studentID)
	if err != nil {
		return nil, err
	}
	in, c, err := input(ctx, tx, who.UAI, []int64{st.ID}, spanKey)
	if err != nil {
		return nil, err
	}
	return &StudentView{Context: c, Student: Summarise(in, st)}, nil
}

// ClassView is a class's synthesis with its context.
type ClassView struct {
	Context
	Division sillage.Division
	*Class
	// Students are the class's students within reach, with their own
	// summaries (for the class bilan); filled by ForClass only when asked.
	Students []*Student
}

// ForClass computes the synthesis of a division within who's reach: a
// teacher's divisions, every division for the director and the
// administrators; its active students within reach, sorted by sortKey.
// withStudents also computes each student's own summary.
func ForClass(ctx context.Context, tx *store.Tx, who sillage.Who, divisionID int64, spanKey, sortKey string, withStudents bool) (*ClassView, error) {
	divs, err := records.DivisionsInReach(ctx, tx, who)
	if err != nil {
		return nil, err
	}
	v := &ClassView{}
	found := false
	for _, d := range divs {
		if d.ID == divisionID {
			v.Division, found = d, true
		}
	}
	if !found {
		return nil, sillage.Errorf(sillage.KindNotFound, "classe introuvable")
	}
	students, err := records.StudentsInReach(ctx, tx, who, sillage.StudentFilter{DivisionID: divisionID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(students))
	for i, st := range students {
		ids[i] = st.ID
	}
	in, c, err := input(ctx, tx, who.UAI, ids, spanKey)
	if err != nil {
		return nil, err
	}
	v.Context = c
	if v.Class, err = Synthesise(in, students, sortKey); err != nil {
		return nil, err
	}
	if withStudents {
		for _, r := range v.Rows {
			v.Students = append(v.Students, Summarise(in, r.Student))
		}
	}
	return v, nil
}
