package livret

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
)

// The EPI, AP and parcours of the Livret Scolaire (2nd degree): the
// director or an administrator declares the EPI and AP of the year and the
// groups (a division, a period, its teachers with their discipline); the
// teachers of a group (and the staff) enter its students' appreciations
// and the class commentary; the head teacher (and the staff) enters each
// parcours' class project and the students' commentaries.

// errNotCollege refuses these pages to an école: the blocks are the
// collège's.
func errNotCollege() error {
	return sillage.Errorf(sillage.KindInvalid, "les EPI, l'accompagnement personnalisé et les parcours ne concernent que le Livret Scolaire du collège")
}

// ProjectsPage is the page of the EPI and AP of the year.
type ProjectsPage struct {
	Year        sillage.SchoolYear
	CanDeclare  bool // director, administrator
	Projects    []ProjectView
	Themes      []lsu.CodeLabel // national, then local
	LocalThemes []sillage.EPITheme
	Subjects    []SubjectChoice
	Divisions   []sillage.Division
	Periods     []sillage.Period
	Teachers    []sillage.Person
}

// ProjectView is a project with its groups as shown.
type ProjectView struct {
	Project       sillage.LSUProject
	KindLabel     string
	ThemeLabel    string
	SubjectLabels []string
	Groups        []GroupView
}

// GroupView is a project group as shown.
type GroupView struct {
	Group    sillage.LSUProjectGroup
	Division sillage.Division
	Period   sillage.Period
	Teachers []string // "Mme Anne LEROUX (Français)"
}

// LoadProjects reads the page: every project for the staff; for a teacher,
// the projects of the groups they are in, with only those groups.
func LoadProjects(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, now time.Time) (*ProjectsPage, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	if e.degree != lsu.SecondDegree {
		return nil, errNotCollege()
	}
	pg := &ProjectsPage{Year: sillage.SchoolYearOf(now), CanDeclare: who.Staff()}
	labels, err := e.subjectLabels()
	if err != nil {
		return nil, err
	}
	for code, label := range labels {
		pg.Subjects = append(pg.Subjects, SubjectChoice{Code: code, Label: label})
	}
	slices.SortFunc(pg.Subjects, func(a, b SubjectChoice) int {
		return strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label))
	})
	if pg.LocalThemes, err = tx.Livret().ListEPIThemes(ctx, uai); err != nil {
		return nil, err
	}
	pg.Themes = append(pg.Themes, lsu.EPIThemes...)
	for _, t := range pg.LocalThemes {
		pg.Themes = append(pg.Themes, lsu.CodeLabel{Code: t.Code, Label: t.Label})
	}
	if pg.Divisions, err = tx.People().ListDivisions(ctx, uai, pg.Year); err != nil {
		return nil, err
	}
	if pg.Periods, err = tx.Periods().ListPeriods(ctx, uai, pg.Year); err != nil {
		return nil, err
	}
	persons, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: sillage.RoleTeacher})
	if err != nil {
		return nil, err
	}
	byID := map[int64]sillage.Person{}
	for _, p := range persons {
		byID[p.ID] = p
		if p.Active() {
			pg.Teachers = append(pg.Teachers, p)
		}
	}
	projects, err := tx.Livret().ListProjects(ctx, uai, pg.Year)
	if err != nil {
		return nil, err
	}
	filter := sillage.ProjectGroupFilter{}
	if !who.Staff() {
		filter.TeacherID = who.PersonID
	}
	groups, err := tx.Livret().ListProjectGroups(ctx, uai, filter)
	if err != nil {
		return nil, err
	}
	divs := map[int64]sillage.Division{}
	for _, d := range pg.Divisions {
		divs[d.ID] = d
	}
	periods := map[int64]sillage.Period{}
	for _, p := range pg.Periods {
		periods[p.ID] = p
	}
	for _, p := range projects {
		v := ProjectView{Project: p, KindLabel: lsu.ProjectKind(p.Kind).Label(), ThemeLabel: lsu.LabelOf(pg.Themes, p.Theme)}
		for _, s := range p.Subjects {
			v.SubjectLabels = append(v.SubjectLabels, firstNonEmpty(labels[s], s))
		}
		for _, g := range groups {
			if g.ProjectID != p.ID {
				continue
			}
			gv := GroupView{Group: g, Division: divs[g.DivisionID], Period: periods[g.PeriodID]}
			for _, t := range g.Teachers {
				gv.Teachers = append(gv.Teachers, personName(byID[t.TeacherID])+" ("+firstNonEmpty(labels[t.SubjectCode], t.SubjectCode)+")")
			}
			v.Groups = append(v.Groups, gv)
		}
		if who.Staff() || len(v.Groups) > 0 {
			pg.Projects = append(pg.Projects, v)
		}
	}
	return pg, nil
}

func (e *entry) mayDeclare() error {
	if e.degree != lsu.SecondDegree {
		return errNotCollege()
	}
	if !e.who.Staff() {
		return sillage.Errorf(sillage.KindForbidden, "seuls le chef d'établissement et les administrateurs déclarent les EPI et l'accompagnement personnalisé")
	}
	return nil
}

// ProjectInput is a project as typed.
type ProjectInput struct {
	Kind        string
	Title       string
	Theme       string
	Description string
	Subjects    []string
}

// CreateProject declares an EPI or an AP for the school year of now.
func CreateProject(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, now time.Time, in ProjectInput) (sillage.LSUProject, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return sillage.LSUProject{}, err
	}
	if err := e.mayDeclare(); err != nil {
		return sillage.LSUProject{}, err
	}
	p := sillage.LSUProject{SchoolYear: sillage.SchoolYearOf(now), Kind: in.Kind, UpdatedBy: who.PersonID}
	if err := e.fillProject(&p, in); err != nil {
		return p, err
	}
	err = tx.Livret().CreateProject(ctx, uai, &p)
	return p, err
}

// fillProject sets a project's title, theme, description and disciplines
// from the form, for its declaration and its edits, checking what the
// store cannot: the theme is a national or local one, the disciplines are
// in the imported nomenclature. The store checks the rest (title, number
// of disciplines). The kind is p's.
func (e *entry) fillProject(p *sillage.LSUProject, in ProjectInput) error {
	p.Title, p.Description, p.Theme, p.Subjects = in.Title, in.Description, "", nil
	if p.Kind == string(lsu.KindEPI) {
		p.Theme = strings.TrimSpace(in.Theme)
		themes, err := e.tx.Livret().ListEPIThemes(e.ctx, e.uai)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(lsu.EPIThemes, func(t lsu.CodeLabel) bool { return t.Code == p.Theme }) &&
			!slices.ContainsFunc(themes, func(t sillage.EPITheme) bool { return t.Code == p.Theme }) {
			return sillage.Errorf(sillage.KindInvalid, "choisissez une thématique de la liste")
		}
	}
	labels, err := e.subjectLabels()
	if err != nil {
		return err
	}
	for _, s := range in.Subjects {
		if _, ok := labels[s]; !ok {
			return sillage.Errorf(sillage.KindInvalid, "discipline « %s » absente de la nomenclature importée", s)
		}
		if !slices.Contains(p.Subjects, s) {
			p.Subjects = append(p.Subjects, s)
		}
	}
	return nil
}

// DeleteProject removes a project with its groups; unconfirmed, it only
// checks that it may.
func DeleteProject(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, id int64, confirmed bool) error {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return err
	}
	if err := e.mayDeclare(); err != nil {
		return err
	}
	if !confirmed {
		_, err := tx.Livret().GetProject(ctx, uai, id)
		return err
	}
	return tx.Livret().DeleteProject(ctx, uai, id)
}

// SetTheme adds (or renames) a local EPI theme; DeleteTheme removes one.
func SetTheme(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, code, label string) error {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return err
	}
	if err := e.mayDeclare(); err != nil {
		return err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) > 50 || slices.ContainsFunc(lsu.EPIThemes, func(t lsu.CodeLabel) bool { return t.Code == code }) {
		return sillage.Errorf(sillage.KindInvalid, "code de thématique « %s » invalide : 50 caractères au plus, différent des codes nationaux", code)
	}
	if len([]rune(strings.TrimSpace(label))) > 100 {
		return sillage.Errorf(sillage.KindInvalid, "le libellé de la thématique dépasse 100 caractères")
	}
	return tx.Livret().SetEPITheme(ctx, uai, sillage.EPITheme{Code: code, Label: label})
}

// DeleteTheme removes a local EPI theme no EPI uses.
func DeleteTheme(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, code string) error {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return err
	}
	if err := e.mayDeclare(); err != nil {
		return err
	}
	return tx.Livret().DeleteEPITheme(ctx, uai, code)
}

// GroupInput is a group as typed: teachers as "personID:subjectCode".
type GroupInput struct {
	ProjectID  int64
	DivisionID int64
	PeriodID   int64
	Title      string
	Teachers   []string
}

// CreateGroup adds a division and a period to a project.
func CreateGroup(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, in GroupInput) (sillage.LSUProjectGroup, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return sillage.LSUProjectGroup{}, err
	}
	if err := e.mayDeclare(); err != nil {
		return sillage.LSUProjectGroup{}, err
	}
	p, err := tx.Livret().GetProject(ctx, uai, in.ProjectID)
	if err != nil {
		return sillage.LSUProjectGroup{}, err
	}
	if in.DivisionID == 0 || in.PeriodID == 0 {
		return sillage.LSUProjectGroup{}, sillage.Errorf(sillage.KindInvalid, "choisissez la division et la période")
	}
	d, err := tx.People().GetDivision(ctx, uai, in.DivisionID)
	if err != nil {
		return sillage.LSUProjectGroup{}, err
	}
	g := sillage.LSUProjectGroup{ProjectID: p.ID, DivisionID: d.ID, PeriodID: in.PeriodID, UpdatedBy: who.PersonID}
	if err := fillGroup(&g, p, d, in); err != nil {
		return g, err
	}
	err = tx.Livret().CreateProjectGroup(ctx, uai, &g)
	return g, err
}

// fillGroup sets a group's title (the project's and the division's when
// none is typed) and its teachers from the form, for its creation and its
// edits; the store checks the teachers and their disciplines.
func fillGroup(g *sillage.LSUProjectGroup, p sillage.LSUProject, d sillage.Division, in GroupInput) error {
	g.Title, g.Teachers = strings.TrimSpace(in.Title), nil
	if g.Title == "" {
		g.Title = p.Title + " — " + d.Code
	}
	for _, t := range in.Teachers {
		id, code, ok := strings.Cut(t, ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil {
			return sillage.Errorf(sillage.KindInvalid, "enseignant « %s » invalide", t)
		}
		ts := sillage.TeacherSubject{TeacherID: n, SubjectCode: code}
		if !slices.Contains(g.Teachers, ts) {
			g.Teachers = append(g.Teachers, ts)
		}
	}
	return nil
}

// DeleteGroup removes a project group; unconfirmed, it only checks that
// it may.
func DeleteGroup(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, id int64, confirmed bool) error {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return err
	}
	if err := e.mayDeclare(); err != nil {
		return err
	}
	if !confirmed {
		_, err := tx.Livret().GetProjectGroup(ctx, uai, id)
		return err
	}
	return tx.Livret().DeleteProjectGroup(ctx, uai, id)
}

// EntryRow is a student's line of a group's or a parcours' entry.
type EntryRow struct {
	Student  sillage.Student
	ReportID int64
	Closed   bool
	Text     string
}

// GroupEntry is the entry page of a project group.
type GroupEntry struct {
	Project  sillage.LSUProject
	Group    GroupView
	Kind     string // "EPI" or "accompagnement personnalisé"
	Rows     []EntryRow
	MaxChars int
}

// group returns a project group within reach: every one for the staff,
// those a teacher is in.
func (e *entry) group(id int64) (sillage.LSUProjectGroup, error) {
	if e.degree != lsu.SecondDegree {
		return sillage.LSUProjectGroup{}, errNotCollege()
	}
	g, err := e.tx.Livret().GetProjectGroup(e.ctx, e.uai, id)
	if err != nil {
		return g, err
	}
	if e.who.Staff() {
		return g, nil
	}
	if e.who.Role == sillage.RoleTeacher && slices.ContainsFunc(g.Teachers, func(t sillage.TeacherSubject) bool { return t.TeacherID == e.who.PersonID }) {
		return g, nil
	}
	return g, notFound()
}

// entryRows lists a division's students for a period with their report
// and the text a block line holds.
func (e *entry) entryRows(divisionID, periodID int64, text func(sillage.ReportBlock) bool) ([]EntryRow, error) {
	students, err := e.gridStudents(divisionID, periodID, &serviceScope{whole: true})
	if err != nil {
		return nil, err
	}
	byStudent, err := reportsByStudent(e.ctx, e.tx, e.uai, divisionID, periodID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range byStudent {
		ids = append(ids, r.ID)
	}
	texts := map[int64]string{}
	if len(ids) > 0 {
		blocks, err := e.tx.Livret().ListReportBlocks(e.ctx, e.uai, ids)
		if err != nil {
			return nil, err
		}
		for _, b := range blocks {
			if text(b) {
				texts[b.ReportID] = b.Text
			}
		}
	}
	var rows []EntryRow
	for _, s := range students {
		row := EntryRow{Student: s}
		if r, ok := byStudent[s.ID]; ok {
			row.ReportID, row.Closed, row.Text = r.ID, r.Closed(), texts[r.ID]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// LoadGroupEntry reads the entry page of a group.
func LoadGroupEntry(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, groupID int64) (*GroupEntry, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	g, err := e.group(groupID)
	if err != nil {
		return nil, err
	}
	p, err := tx.Livret().GetProject(ctx, uai, g.ProjectID)
	if err != nil {
		return nil, err
	}
	out := &GroupEntry{Project: p, Kind: lsu.ProjectKind(p.Kind).Label(), Group: GroupView{Group: g}, MaxChars: 600}
	if out.Group.Division, err = tx.People().GetDivision(ctx, uai, g.DivisionID); err != nil {
		return nil, err
	}
	if out.Group.Period, err = tx.Periods().GetPeriod(ctx, uai, g.PeriodID); err != nil {
		return nil, err
	}
	labels, err := e.subjectLabels()
	if err != nil {
		return nil, err
	}
	for _, t := range g.Teachers {
		p, err := tx.People().GetPerson(ctx, uai, t.TeacherID)
		if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
			return nil, err
		}
		out.Group.Teachers = append(out.Group.Teachers, personName(p)+" ("+firstNonEmpty(labels[t.SubjectCode], t.SubjectCode)+")")
	}
	out.Rows, err = e.entryRows(g.DivisionID, g.PeriodID, func(b sillage.ReportBlock) bool { return b.GroupID == g.ID })
	return out, err
}

// SaveGroupEntry records a group's class commentary and its students'
// appreciations (texts by student; a closed report's line is kept).
func SaveGroupEntry(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, groupID int64, comment string, texts map[int64]string) error {
	v, err := LoadGroupEntry(ctx, tx, uai, who, groupID)
	if err != nil {
		return err
	}
	g := v.Group.Group
	if strings.TrimSpace(comment) != g.Comment {
		g.Comment, g.UpdatedBy = comment, who.PersonID
		if err := tx.Livret().UpdateProjectGroup(ctx, uai, g); err != nil {
			return err
		}
	}
	return saveRows(ctx, tx, uai, who, v.Rows, g.PeriodID, texts, func(reportID int64, text string) sillage.ReportBlock {
		return sillage.ReportBlock{ReportID: reportID, GroupID: g.ID, Text: text, UpdatedBy: who.PersonID}
	})
}

// saveRows writes the changed lines of an entry: a student without a
// report gets a draft; a closed report's line cannot change.
func saveRows(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, rows []EntryRow, periodID int64, texts map[int64]string,
	block func(reportID int64, text string) sillage.ReportBlock) error {
	for id := range texts {
		if !slices.ContainsFunc(rows, func(r EntryRow) bool { return r.Student.ID == id }) {
			return notFound()
		}
	}
	for _, row := range rows {
		text, ok := texts[row.Student.ID]
		text = strings.TrimSpace(text)
		if !ok || text == row.Text {
			continue
		}
		if row.Closed {
			return errClosed()
		}
		if row.ReportID == 0 {
			if text == "" {
				continue
			}
			r, err := tx.Livret().UpsertPeriodicReport(ctx, uai, row.Student.ID, periodID, who.PersonID)
			if err != nil {
				return err
			}
			row.ReportID = r.ID
		}
		if err := tx.Livret().SetReportBlock(ctx, uai, block(row.ReportID, text)); err != nil {
			return err
		}
	}
	return nil
}

// ParcoursEntry is the entry of one parcours for a division and a period.
type ParcoursEntry struct {
	Division  sillage.Division
	Period    sillage.Period
	Periods   []sillage.Period
	Code      string
	Label     string
	Codes     []lsu.CodeLabel
	ClassText string
	Rows      []EntryRow
	MaxChars  int
}

// LoadParcoursEntry reads the entry of a parcours (the first when code is
// empty) for the head teacher of the division or the staff.
func LoadParcoursEntry(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64, code string) (*ParcoursEntry, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	if e.degree != lsu.SecondDegree {
		return nil, errNotCollege()
	}
	d, err := e.division(divisionID)
	if err != nil {
		return nil, err
	}
	head, err := e.isHead(divisionID)
	if err != nil {
		return nil, err
	}
	if !head {
		return nil, sillage.Errorf(sillage.KindForbidden, "seuls le professeur principal, le chef d'établissement et les administrateurs renseignent les parcours")
	}
	p, err := e.period(periodID)
	if err != nil {
		return nil, err
	}
	if code == "" {
		code = lsu.ParcoursCodes[0].Code
	}
	if !slices.ContainsFunc(lsu.ParcoursCodes, func(c lsu.CodeLabel) bool { return c.Code == code }) {
		return nil, notFound()
	}
	v := &ParcoursEntry{Division: d, Period: p, Code: code, Label: lsu.LabelOf(lsu.ParcoursCodes, code), Codes: lsu.ParcoursCodes, MaxChars: 600}
	if v.Periods, err = tx.Periods().ListPeriods(ctx, uai, p.SchoolYear); err != nil {
		return nil, err
	}
	cps, err := tx.Livret().ListClassParcours(ctx, uai, divisionID, periodID)
	if err != nil {
		return nil, err
	}
	for _, c := range cps {
		if c.Code == code {
			v.ClassText = c.Text
		}
	}
	v.Rows, err = e.entryRows(divisionID, periodID, func(b sillage.ReportBlock) bool { return b.GroupID == 0 && b.Parcours == code })
	return v, err
}

// SaveParcoursEntry records a parcours' class project and its students'
// commentaries.
func SaveParcoursEntry(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64, code, classText string, texts map[int64]string) error {
	v, err := LoadParcoursEntry(ctx, tx, uai, who, divisionID, periodID, code)
	if err != nil {
		return err
	}
	if code == "" {
		return sillage.Errorf(sillage.KindInvalid, "choisissez le parcours")
	}
	if strings.TrimSpace(classText) != v.ClassText {
		if err := tx.Livret().SetClassParcours(ctx, uai, sillage.ClassParcours{DivisionID: divisionID, PeriodID: periodID, Code: code, Text: classText, UpdatedBy: who.PersonID}); err != nil {
			return err
		}
	}
	return saveRows(ctx, tx, uai, who, v.Rows, periodID, texts, func(reportID int64, text string) sillage.ReportBlock {
		return sillage.ReportBlock{ReportID: reportID, Parcours: code, Text: text, UpdatedBy: who.PersonID}
	})
}

// loadProjects adds to an export's input the EPI, AP and class parcours of
// the divisions and periods of its reports, and each report's lines.
// teacherRefs and subject are Load's: they declare the teachers and
// disciplines the blocks name.
func (l *loader) loadProjects(in *lsu.Input, year sillage.SchoolYear, reports []sillage.PeriodicReport, divOf map[int64]sillage.Division,
	isSelected map[int64]bool, teacherRefs func([]int64) []string, subject func(code, modality string) string) error {
	if l.degree != lsu.SecondDegree {
		return nil
	}
	type dp struct{ division, period int64 }
	involved := map[dp]bool{}
	var reportIDs []int64
	for _, r := range reports {
		if isSelected[r.StudentID] {
			involved[dp{divOf[r.StudentID].ID, r.PeriodID}] = true
			reportIDs = append(reportIDs, r.ID)
		}
	}
	if len(reportIDs) == 0 {
		return nil
	}
	themes, err := l.tx.Livret().ListEPIThemes(l.ctx, l.uai)
	if err != nil {
		return err
	}
	for _, t := range themes {
		in.Projects.Themes = append(in.Projects.Themes, lsu.CodeLabel{Code: t.Code, Label: t.Label})
	}
	projects, err := l.tx.Livret().ListProjects(l.ctx, l.uai, year)
	if err != nil {
		return err
	}
	byProject := map[int64]sillage.LSUProject{}
	for _, p := range projects {
		byProject[p.ID] = p
	}
	groups, err := l.tx.Livret().ListProjectGroups(l.ctx, l.uai, sillage.ProjectGroupFilter{})
	if err != nil {
		return err
	}
	modality := func(d sillage.Division, code string) string {
		if m, ok := l.modalityOf(d.MEFs, code); ok {
			return m
		}
		return "S"
	}
	groupsOf := map[dp][]sillage.LSUProjectGroup{}
	usedProject := map[int64]bool{}
	for _, g := range groups {
		k := dp{g.DivisionID, g.PeriodID}
		p, ok := byProject[g.ProjectID]
		if !involved[k] || !ok {
			continue
		}
		groupsOf[k] = append(groupsOf[k], g)
		var d sillage.Division
		for _, dv := range divOf {
			if dv.ID == g.DivisionID {
				d = dv
				break
			}
		}
		lg := lsu.ProjectGroup{ID: idStr("G", g.ID), ProjectID: idStr("J", g.ProjectID), Title: g.Title, Comment: g.Comment}
		for _, t := range g.Teachers {
			refs := teacherRefs([]int64{t.TeacherID})
			if len(refs) == 0 {
				continue // not a teacher any more: Collect finds the group without teacher
			}
			lg.Pairs = append(lg.Pairs, lsu.TeacherSubject{TeacherID: refs[0], SubjectID: subject(t.SubjectCode, modality(d, t.SubjectCode))})
		}
		in.Projects.Groups = append(in.Projects.Groups, lg)
		if !usedProject[p.ID] {
			usedProject[p.ID] = true
			lp := lsu.Project{ID: idStr("J", p.ID), Kind: lsu.ProjectKind(p.Kind), Title: p.Title, Theme: p.Theme, Description: p.Description}
			for _, s := range p.Subjects {
				lp.SubjectIDs = append(lp.SubjectIDs, subject(s, modality(d, s)))
			}
			in.Projects.Items = append(in.Projects.Items, lp)
		}
	}
	cps, err := l.tx.Livret().ListClassParcours(l.ctx, l.uai, 0, 0)
	if err != nil {
		return err
	}
	for _, c := range cps {
		if involved[dp{c.DivisionID, c.PeriodID}] {
			for _, d := range divOf {
				if d.ID == c.DivisionID {
					in.Projects.Parcours = append(in.Projects.Parcours, lsu.ClassParcours{PeriodID: idStr("P", c.PeriodID), Division: d.Code, Code: c.Code, Text: c.Text})
					break
				}
			}
		}
	}
	blocks, err := l.tx.Livret().ListReportBlocks(l.ctx, l.uai, reportIDs)
	if err != nil {
		return err
	}
	byReport := map[int64][]sillage.ReportBlock{}
	for _, b := range blocks {
		byReport[b.ReportID] = append(byReport[b.ReportID], b)
	}
	key := map[string]int{} // "S1/P2" → index in in.Periodic
	for i, pr := range in.Periodic {
		key[pr.StudentID+"/"+pr.PeriodID] = i
	}
	for _, r := range reports {
		i, ok := key[idStr("S", r.StudentID)+"/"+idStr("P", r.PeriodID)]
		if !ok || !isSelected[r.StudentID] {
			continue
		}
		pr := &in.Periodic[i]
		texts := map[int64]string{}
		for _, b := range byReport[r.ID] {
			if b.GroupID != 0 {
				texts[b.GroupID] = b.Text
			} else {
				pr.Parcours = append(pr.Parcours, lsu.StudentParcours{Code: b.Parcours, Text: b.Text})
			}
		}
		// Every student of the division follows its groups of the period;
		// the appreciation is optional in LSU (Collect warns without one).
		for _, g := range groupsOf[dp{divOf[r.StudentID].ID, r.PeriodID}] {
			pr.Projects = append(pr.Projects, lsu.ProjectResult{GroupID: idStr("G", g.ID), Comment: texts[g.ID]})
		}
	}
	return nil
}
