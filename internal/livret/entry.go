package livret

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// SubjectChoice is a subject (2nd degree) or a domain (1st degree) a
// grid can be entered for.
type SubjectChoice struct {
	Code  string
	Label string
}

// Proposal is the positioning Sillage proposes for a student from the
// period's competence results.
type Proposal struct {
	Positioning int     // 1–4; 0 when there is no result
	Mean        float64 // mean points on the scale's line
	Count       int     // results taken into account
}

// Propose turns competence results into a positioning: the mean of the
// points of the scale's levels (those with negative points — absent,
// exempt — are left out), cut by the establishment's thresholds.
func Propose(values []string, scale sillage.Scale, th [3]float64) Proposal {
	var p Proposal
	total := 0
	for _, v := range values {
		l, ok := scale.Level(v)
		if !ok || l.Points < 0 {
			continue
		}
		total += l.Points
		p.Count++
	}
	if p.Count == 0 {
		return p
	}
	p.Mean = float64(total) / float64(p.Count)
	switch {
	case p.Mean < th[0]:
		p.Positioning = 1
	case p.Mean < th[1]:
		p.Positioning = 2
	case p.Mean < th[2]:
		p.Positioning = 3
	default:
		p.Positioning = 4
	}
	return p
}

// entry holds what the entry functions read once per request.
type entry struct {
	ctx    context.Context
	tx     *store.Tx
	uai    sillage.UAI
	who    sillage.Who
	degree lsu.Degree
}

func newEntry(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who) (*entry, error) {
	est, err := tx.Establishments().GetEstablishment(ctx, uai)
	if err != nil {
		return nil, err
	}
	degree, err := DegreeOf(est)
	if err != nil {
		return nil, err
	}
	return &entry{ctx: ctx, tx: tx, uai: uai, who: who, degree: degree}, nil
}

// notFound hides what is out of reach, as another establishment's data is.
func notFound() error { return sillage.Errorf(sillage.KindNotFound, "introuvable") }

// division returns a division whose whole class is within reach: every
// division for the staff, those a teacher teaches or heads.
func (e *entry) division(id int64) (sillage.Division, error) {
	return e.divisionReach(id, e.tx.People().TeachesDivision)
}

// gridDivision returns a division a teacher enters results in: those of
// division, and those a group they teach draws students from (the grid then
// keeps only the group's students).
func (e *entry) gridDivision(id int64) (sillage.Division, error) {
	return e.divisionReach(id, e.tx.People().TeachesInDivision)
}

func (e *entry) divisionReach(id int64, teaches func(context.Context, sillage.UAI, int64, int64) (bool, error)) (sillage.Division, error) {
	d, err := e.tx.People().GetDivision(e.ctx, e.uai, id)
	if err != nil {
		return d, err
	}
	if e.who.Staff() {
		return d, nil
	}
	if e.who.Role != sillage.RoleTeacher {
		return d, notFound()
	}
	ok, err := teaches(e.ctx, e.uai, e.who.PersonID, id)
	if err != nil {
		return d, err
	}
	if !ok {
		return d, notFound()
	}
	return d, nil
}

// isHead reports whether who closes the reports of a division: its head
// teacher, the director, an administrator.
func (e *entry) isHead(divisionID int64) (bool, error) {
	if e.who.Staff() {
		return true, nil
	}
	if e.who.Role != sillage.RoleTeacher || divisionID == 0 {
		return false, nil
	}
	heads, err := e.tx.People().ListHeadTeachers(e.ctx, e.uai, divisionID)
	return slices.Contains(heads, e.who.PersonID), err
}

func (e *entry) subjectLabels() (map[string]string, error) {
	out := map[string]string{}
	if e.degree == lsu.FirstDegree {
		for _, d := range Domains1D {
			out[d.Code] = d.Label
		}
		return out, nil
	}
	subs, err := e.tx.People().ListSubjects(e.ctx, e.uai)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		out[s.Code] = firstNonEmpty(s.LongLabel, s.ShortLabel, s.Code)
	}
	return out, nil
}

// serviceScope is who teaches a subject in a division: by a division
// service, or by a group service reaching some of its students.
type serviceScope struct {
	whole  bool           // a division service: every student of the division
	groups map[int64]bool // group services: their members
	teach  map[int64]bool // the teachers
}

// services lists, per subject, the services in a division (of one
// teacher, or of everyone when teacherID is 0).
func (e *entry) services(divisionID, teacherID int64) (map[string]*serviceScope, error) {
	svcs, err := e.tx.People().ListServices(e.ctx, e.uai, teacherID)
	if err != nil {
		return nil, err
	}
	students, err := e.tx.People().ListStudents(e.ctx, e.uai, sillage.StudentFilter{DivisionID: divisionID})
	if err != nil {
		return nil, err
	}
	inDivision := map[int64]bool{}
	for _, s := range students {
		inDivision[s.ID] = true
	}
	out := map[string]*serviceScope{}
	scope := func(code string) *serviceScope {
		if out[code] == nil {
			out[code] = &serviceScope{groups: map[int64]bool{}, teach: map[int64]bool{}}
		}
		return out[code]
	}
	members := map[int64][]int64{}
	for _, s := range svcs {
		switch {
		case s.DivisionID == divisionID && s.DivisionID != 0:
			sc := scope(s.SubjectCode)
			sc.whole, sc.teach[s.TeacherID] = true, true
		case s.GroupID != 0:
			ms, ok := members[s.GroupID]
			if !ok {
				if ms, err = e.tx.People().ListGroupMembers(e.ctx, e.uai, s.GroupID); err != nil {
					return nil, err
				}
				members[s.GroupID] = ms
			}
			if slices.ContainsFunc(ms, func(id int64) bool { return inDivision[id] }) {
				sc := scope(s.SubjectCode)
				sc.groups[s.GroupID], sc.teach[s.TeacherID] = true, true
			}
		}
	}
	return out, nil
}

// Subjects lists the subjects who may enter in a division: for a teacher,
// those of their services; for the staff, every subject taught there (and
// those already entered). In the 1st degree, every domain for whoever
// teaches the class.
func (e *entry) subjects(divisionID int64) ([]SubjectChoice, map[string]*serviceScope, error) {
	labels, err := e.subjectLabels()
	if err != nil {
		return nil, nil, err
	}
	teacher := int64(0)
	if !e.who.Staff() {
		teacher = e.who.PersonID
	}
	scopes, err := e.services(divisionID, teacher)
	if err != nil {
		return nil, nil, err
	}
	var codes []string
	if e.degree == lsu.FirstDegree {
		for _, d := range Domains1D {
			codes = append(codes, d.Code)
		}
	} else {
		for c := range scopes {
			codes = append(codes, c)
		}
		if e.who.Staff() {
			reports, err := e.tx.Livret().ListPeriodicReports(e.ctx, e.uai, sillage.ReportFilter{DivisionID: divisionID})
			if err != nil {
				return nil, nil, err
			}
			if len(reports) > 0 {
				ids := make([]int64, len(reports))
				for i, r := range reports {
					ids[i] = r.ID
				}
				res, err := e.tx.Livret().ListSubjectResults(e.ctx, e.uai, ids)
				if err != nil {
					return nil, nil, err
				}
				for _, r := range res {
					if !slices.Contains(codes, r.SubjectCode) {
						codes = append(codes, r.SubjectCode)
					}
				}
			}
		}
		slices.SortFunc(codes, func(a, b string) int {
			return strings.Compare(strings.ToLower(firstNonEmpty(labels[a], a)), strings.ToLower(firstNonEmpty(labels[b], b)))
		})
	}
	out := make([]SubjectChoice, len(codes))
	for i, c := range codes {
		out[i] = SubjectChoice{Code: c, Label: firstNonEmpty(labels[c], c)}
	}
	return out, scopes, nil
}

// gridStudents are the students of a grid: the division's, or the members
// of the teacher's groups in it; departed students who have a report for
// the period stay.
func (e *entry) gridStudents(divisionID, periodID int64, scope *serviceScope) ([]sillage.Student, error) {
	students, err := e.tx.People().ListStudents(e.ctx, e.uai, sillage.StudentFilter{DivisionID: divisionID})
	if err != nil {
		return nil, err
	}
	reports, err := e.tx.Livret().ListPeriodicReports(e.ctx, e.uai, sillage.ReportFilter{DivisionID: divisionID, PeriodIDs: []int64{periodID}})
	if err != nil {
		return nil, err
	}
	hasReport := map[int64]bool{}
	for _, r := range reports {
		hasReport[r.StudentID] = true
	}
	members := map[int64]bool{}
	if scope != nil && !scope.whole && !e.who.Staff() && e.degree == lsu.SecondDegree {
		for g := range scope.groups {
			ms, err := e.tx.People().ListGroupMembers(e.ctx, e.uai, g)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				members[m] = true
			}
		}
	}
	var out []sillage.Student
	for _, s := range students {
		if !s.Active() && !hasReport[s.ID] {
			continue
		}
		if len(members) > 0 && !members[s.ID] {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// Grid is the entry of one subject for a division and a period: a line per
// student.
type Grid struct {
	Degree   lsu.Degree
	Division sillage.Division
	Period   sillage.Period
	Subject  SubjectChoice
	Subjects []SubjectChoice
	Rows     []GridRow
	Elements []sillage.ProgrammeElement
	Mode     lsu.PositioningMode
}

// GridRow is one student's line of a grid.
type GridRow struct {
	Student  sillage.Student
	ReportID int64
	Closed   bool
	Result   sillage.SubjectResult
	Proposal Proposal
}

// AverageText shows the average as entered: "15,5".
func (r GridRow) AverageText() string { return FormatAverage(r.Result.Average) }

// FormatAverage writes hundredths of a point the French way ("15,5"); "" for none.
func FormatAverage(v *int) string {
	if v == nil {
		return ""
	}
	s := strconv.FormatFloat(float64(*v)/100, 'f', -1, 64)
	return strings.ReplaceAll(s, ".", ",")
}

// ParseAverage reads an average out of 20 with at most two decimals ("15",
// "15,5", "15.25"); "" is no average.
func ParseAverage(s string) (*int, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 20 {
		return nil, sillage.Errorf(sillage.KindInvalid, "moyenne « %s » invalide : un nombre de 0 à 20 est attendu", s)
	}
	v := int(math.Round(f * 100))
	if math.Abs(f*100-float64(v)) > 1e-6 {
		return nil, sillage.Errorf(sillage.KindInvalid, "moyenne « %s » : deux décimales au plus", s)
	}
	return &v, nil
}

// period returns a period of the establishment.
func (e *entry) period(id int64) (sillage.Period, error) {
	return e.tx.Periods().GetPeriod(e.ctx, e.uai, id)
}

// LoadGrid reads the grid of a subject (the first one within reach when
// subject is empty).
func LoadGrid(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64, subject string) (*Grid, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	d, err := e.gridDivision(divisionID)
	if err != nil {
		return nil, err
	}
	p, err := e.period(periodID)
	if err != nil {
		return nil, err
	}
	subjects, scopes, err := e.subjects(divisionID)
	if err != nil {
		return nil, err
	}
	settings, err := LoadSettings(ctx, tx, uai, e.degree)
	if err != nil {
		return nil, err
	}
	g := &Grid{Degree: e.degree, Division: d, Period: p, Subjects: subjects, Mode: settings.Mode}
	if len(subjects) == 0 {
		return g, nil
	}
	g.Subject = subjects[0]
	if subject != "" {
		i := slices.IndexFunc(subjects, func(s SubjectChoice) bool { return s.Code == subject })
		if i < 0 {
			return nil, notFound()
		}
		g.Subject = subjects[i]
	}
	students, err := e.gridStudents(divisionID, periodID, scopes[g.Subject.Code])
	if err != nil {
		return nil, err
	}
	results, err := tx.Livret().ListPeriodSubjectResults(ctx, uai, divisionID, periodID, g.Subject.Code)
	if err != nil {
		return nil, err
	}
	byStudent, err := reportsByStudent(ctx, tx, uai, divisionID, periodID)
	if err != nil {
		return nil, err
	}
	proposals, err := e.proposals(d, p, scopes[g.Subject.Code], settings)
	if err != nil {
		return nil, err
	}
	for _, s := range students {
		row := GridRow{Student: s, Result: results[s.ID], Proposal: proposals[s.ID]}
		if r, ok := byStudent[s.ID]; ok {
			row.ReportID, row.Closed = r.ID, r.Closed()
		}
		g.Rows = append(g.Rows, row)
	}
	els, err := tx.Livret().ListProgrammeElements(ctx, uai, divisionID, periodID)
	if err != nil {
		return nil, err
	}
	for _, el := range els {
		if el.SubjectCode == g.Subject.Code {
			g.Elements = append(g.Elements, el)
		}
	}
	return g, nil
}

// proposals computes the proposed positioning of each student of a
// division from the results of the period's evaluations given there by
// the subject's teachers (the entering teacher; for the staff, every
// teacher of the subject).
func (e *entry) proposals(d sillage.Division, p sillage.Period, scope *serviceScope, settings Settings) (map[int64]Proposal, error) {
	var teachers []int64
	if !e.who.Staff() {
		teachers = []int64{e.who.PersonID}
	} else if scope != nil {
		for t := range scope.teach {
			teachers = append(teachers, t)
		}
		slices.Sort(teachers)
	}
	values := map[int64][]string{}
	for _, t := range teachers {
		vs, err := e.tx.Livret().ListCompetenceValues(e.ctx, e.uai, d.ID, t, p.Start, p.End)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			values[v.StudentID] = append(values[v.StudentID], v.Value)
		}
	}
	scale, err := records.LoadScale(e.ctx, e.tx, e.uai)
	if err != nil {
		return nil, err
	}
	out := map[int64]Proposal{}
	for s, vs := range values {
		out[s] = Propose(vs, scale, settings.Thresholds)
	}
	return out, nil
}

// ResultInput is a grid line as typed.
type ResultInput struct {
	Average      string
	Positioning  string
	Status       string
	Appreciation string
}

func parseSmall(s string, max int, what string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, sillage.Errorf(sillage.KindInvalid, "%s « %s » invalide", what, s)
	}
	return n, nil
}

// SaveResult enters one student's line of a grid and returns it as stored.
func SaveResult(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID, studentID int64, subject string, in ResultInput) (GridRow, error) {
	g, err := LoadGrid(ctx, tx, uai, who, divisionID, periodID, subject)
	if err != nil {
		return GridRow{}, err
	}
	if subject == "" || g.Subject.Code != subject {
		return GridRow{}, sillage.Errorf(sillage.KindInvalid, "choisissez la matière")
	}
	i := slices.IndexFunc(g.Rows, func(r GridRow) bool { return r.Student.ID == studentID })
	if i < 0 {
		if studentID == 0 {
			return GridRow{}, sillage.Errorf(sillage.KindInvalid, "élève manquant")
		}
		return GridRow{}, notFound()
	}
	row := g.Rows[i]
	res := sillage.SubjectResult{SubjectCode: subject, Appreciation: strings.TrimSpace(in.Appreciation)}
	if res.Average, err = ParseAverage(in.Average); err != nil {
		return row, err
	}
	if g.Degree == lsu.FirstDegree && res.Average != nil {
		return row, sillage.Errorf(sillage.KindInvalid, "au 1er degré, le bilan porte un positionnement, pas de moyenne")
	}
	if res.Positioning, err = parseSmall(in.Positioning, 4, "positionnement"); err != nil {
		return row, err
	}
	if res.Status, err = parseSmall(in.Status, 3, "statut d'évaluation"); err != nil {
		return row, err
	}
	if who.Role == sillage.RoleTeacher {
		res.TeacherID = who.PersonID
	}
	if row.ReportID == 0 && res.Empty() {
		return row, nil // nothing to record
	}
	r, err := tx.Livret().UpsertPeriodicReport(ctx, uai, studentID, periodID, who.PersonID)
	if err != nil {
		return row, err
	}
	res.ReportID = r.ID
	if err := tx.Livret().SetSubjectResult(ctx, uai, res); err != nil {
		return row, err
	}
	row.ReportID, row.Closed = r.ID, r.Closed()
	if res.Empty() {
		row.Result = sillage.SubjectResult{}
	} else {
		row.Result = res
	}
	return row, nil
}

// AddElement records a programme element worked on in a grid's subject.
func AddElement(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64, subject, label string) error {
	g, err := LoadGrid(ctx, tx, uai, who, divisionID, periodID, subject)
	if err != nil {
		return err
	}
	if subject == "" || g.Subject.Code != subject {
		return sillage.Errorf(sillage.KindInvalid, "choisissez la matière")
	}
	if strings.TrimSpace(label) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le libellé de l'élément de programme est obligatoire")
	}
	for _, el := range g.Elements {
		if strings.EqualFold(strings.TrimSpace(el.Label), strings.TrimSpace(label)) {
			return sillage.Errorf(sillage.KindConflict, "cet élément de programme est déjà dans la liste")
		}
	}
	return tx.Livret().AddProgrammeElement(ctx, uai, &sillage.ProgrammeElement{DivisionID: divisionID, PeriodID: periodID, SubjectCode: subject, Label: label})
}

// RemoveElement removes a programme element of a grid's subject.
func RemoveElement(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64, subject string, elementID int64) error {
	g, err := LoadGrid(ctx, tx, uai, who, divisionID, periodID, subject)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(g.Elements, func(el sillage.ProgrammeElement) bool { return el.ID == elementID }) {
		return notFound()
	}
	return tx.Livret().DeleteProgrammeElement(ctx, uai, elementID)
}
