package livret

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
)

// CycleView is one student's end-of-cycle report, as shown and printed.
type CycleView struct {
	Degree        lsu.Degree
	Establishment sillage.Establishment
	Student       sillage.Student
	Division      sillage.Division
	Cycle         int
	Cycles        []int
	Report        sillage.CycleReport // ID 0: nothing entered yet
	Domains       []DomainValue
	Heads         []string
	CanEdit       bool
	CanClose      bool
	CanReopen     bool
	PDFs          []sillage.ReportPDF
}

// DomainValue is a socle domain and its positioning (nil: not positioned).
type DomainValue struct {
	Code  string
	Label string
	Value *int
}

// LevelLabel names the positioning.
func (d DomainValue) LevelLabel() string {
	if d.Value == nil {
		return "non positionné"
	}
	return strconv.Itoa(*d.Value) + " — " + SocleLevels[*d.Value]
}

// Is reports whether the domain is positioned at v (for the form).
func (d DomainValue) Is(v int) bool { return d.Value != nil && *d.Value == v }

// Missing lists the domains not positioned yet.
func (v *CycleView) Missing() []string {
	var out []string
	for _, d := range v.Domains {
		if d.Value == nil {
			out = append(out, d.Code)
		}
	}
	return out
}

// CycleClass lists a division's end-of-cycle reports.
type CycleClass struct {
	Division sillage.Division
	Cycle    int
	Cycles   []int
	Rows     []CycleRow
	Head     bool
}

// CycleRow is one student's end-of-cycle report state.
type CycleRow struct {
	Student    sillage.Student
	Report     sillage.CycleReport
	Positioned int
}

func (e *entry) cycleOrDefault(d sillage.Division, cycle int) (int, error) {
	if cycle != 0 {
		if !slices.Contains(Cycles(e.degree), cycle) {
			return 0, sillage.Errorf(sillage.KindInvalid, "cycle %d sans bilan de fin de cycle au %s (%v)", cycle, degreeLabel(e.degree), Cycles(e.degree))
		}
		return cycle, nil
	}
	mefs, err := e.tx.People().ListMEFs(e.ctx, e.uai)
	if err != nil {
		return 0, err
	}
	m := map[string]sillage.MEF{}
	for _, x := range mefs {
		m[x.Code] = x
	}
	if c := e.divisionCycle(d, m); c != 0 {
		return c, nil
	}
	cs := Cycles(e.degree)
	return cs[len(cs)-1], nil
}

// LoadCycleClass reads a division's end-of-cycle reports (cycle 0: the
// cycle its level ends).
func LoadCycleClass(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID int64, cycle int) (*CycleClass, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	d, err := e.division(divisionID)
	if err != nil {
		return nil, err
	}
	c := &CycleClass{Division: d, Cycles: Cycles(e.degree)}
	if c.Cycle, err = e.cycleOrDefault(d, cycle); err != nil {
		return nil, err
	}
	if c.Head, err = e.isHead(divisionID); err != nil {
		return nil, err
	}
	students, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{DivisionID: divisionID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, s := range students {
		ids = append(ids, s.ID)
	}
	reports, err := tx.Livret().ListCycleReports(ctx, uai, ids)
	if err != nil {
		return nil, err
	}
	for _, s := range students {
		row := CycleRow{Student: s}
		for _, r := range reports {
			if r.StudentID == s.ID && r.Cycle == c.Cycle {
				row.Report, row.Positioned = r, len(r.Socle)
			}
		}
		c.Rows = append(c.Rows, row)
	}
	return c, nil
}

// LoadCycle reads a student's end-of-cycle report (cycle 0: the cycle
// their class ends).
func LoadCycle(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, studentID int64, cycle int) (*CycleView, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	s, d, err := e.student(studentID)
	if err != nil {
		return nil, err
	}
	v := &CycleView{Degree: e.degree, Student: s, Division: d, Cycles: Cycles(e.degree)}
	if v.Cycle, err = e.cycleOrDefault(d, cycle); err != nil {
		return nil, err
	}
	if v.Establishment, err = tx.Establishments().GetEstablishment(ctx, uai); err != nil {
		return nil, err
	}
	r, err := tx.Livret().FindCycleReport(ctx, uai, studentID, v.Cycle)
	if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
		return nil, err
	}
	if r.ID == 0 {
		r.Cycle, r.StudentID, r.SchoolYear = v.Cycle, studentID, sillage.SchoolYearOf(tx.Now())
	}
	v.Report = r
	for _, code := range store.SocleDomains {
		dv := DomainValue{Code: code, Label: SocleLabels[code]}
		if x, ok := r.Socle[code]; ok {
			dv.Value = &x
		}
		v.Domains = append(v.Domains, dv)
	}
	head, err := e.isHead(d.ID)
	if err != nil {
		return nil, err
	}
	v.CanEdit, v.CanClose = head && !r.Closed(), head && !r.Closed()
	v.CanReopen = who.Staff() && r.Closed()
	directors, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: sillage.RoleDirector, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	for _, p := range directors {
		v.Heads = append(v.Heads, personName(p))
	}
	if r.ID != 0 {
		if v.PDFs, err = tx.Livret().ListReportPDFsOfReport(ctx, uai, store.ReportPDFCycle, r.ID); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// CycleInput is an end-of-cycle report as typed: each domain "0"–"4" or
// "" (not positioned yet).
type CycleInput struct {
	Socle           map[string]string
	Synthesis       string
	ComplementCode  string
	ComplementLevel string
	RegionalCode    string
	RegionalLevel   string
}

// SaveCycle records an end-of-cycle report (head teacher, director,
// administrator).
func SaveCycle(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, studentID int64, cycle int, in CycleInput) error {
	v, err := LoadCycle(ctx, tx, uai, who, studentID, cycle)
	if err != nil {
		return err
	}
	if !v.CanEdit {
		if v.Report.Closed() {
			return errClosed()
		}
		return sillage.Errorf(sillage.KindForbidden, "seuls le professeur principal, le chef d'établissement et les administrateurs renseignent le bilan de fin de cycle")
	}
	r := v.Report
	r.Socle = map[string]int{}
	for _, code := range store.SocleDomains {
		s := strings.TrimSpace(in.Socle[code])
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 4 {
			return sillage.Errorf(sillage.KindInvalid, "positionnement « %s » du domaine %s invalide (0 = dispensé, 1 à 4)", s, SocleLabels[code])
		}
		r.Socle[code] = n
	}
	r.Synthesis = strings.TrimSpace(in.Synthesis)
	var lvl int
	if r.ComplementCode, lvl, err = option(in.ComplementCode, in.ComplementLevel, ComplementLabels, "enseignement de complément"); err != nil {
		return err
	}
	r.ComplementLevel = lvl
	if r.RegionalCode, lvl, err = option(in.RegionalCode, in.RegionalLevel, RegionalLabels, "langue et culture régionale"); err != nil {
		return err
	}
	r.RegionalLevel = lvl
	if v.Degree == lsu.FirstDegree && (r.ComplementCode != "" || r.RegionalCode != "") {
		return sillage.Errorf(sillage.KindInvalid, "enseignement de complément et langue régionale n'existent qu'en fin de cycle 4")
	}
	r.SchoolYear, r.UpdatedBy = sillage.SchoolYearOf(tx.Now()), who.PersonID
	return tx.Livret().UpsertCycleReport(ctx, uai, &r)
}

func option(code, level string, labels map[string]string, what string) (string, int, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return "", 0, nil
	}
	if _, ok := labels[code]; !ok {
		return "", 0, sillage.Errorf(sillage.KindInvalid, "%s « %s » inconnu", what, code)
	}
	n, err := parseSmall(level, 2, "niveau de l'"+what)
	if err != nil {
		return "", 0, err
	}
	if code == "AUC" {
		n = 0
	}
	return code, n, nil
}

// CloseCycle closes an end-of-cycle report and archives its PDF.
func CloseCycle(ctx context.Context, st *store.Store, blobs blob.Store, uai sillage.UAI, who sillage.Who, actor audit.Actor, studentID int64, cycle int) error {
	return st.Write(ctx, func(tx *store.Tx) error {
		v, err := LoadCycle(ctx, tx, uai, who, studentID, cycle)
		if err != nil {
			return err
		}
		if !v.CanClose {
			if v.Report.Closed() {
				return sillage.Errorf(sillage.KindConflict, "ce bilan est déjà fermé")
			}
			return sillage.Errorf(sillage.KindForbidden, "seuls le professeur principal, le chef d'établissement et les administrateurs ferment les bilans")
		}
		r := v.Report
		if r.ID == 0 {
			r.UpdatedBy = who.PersonID
			if err := tx.Livret().UpsertCycleReport(ctx, uai, &r); err != nil {
				return err
			}
		}
		if err := tx.Livret().SetCycleReportState(ctx, uai, r.ID, sillage.ReportClosed, who.PersonID); err != nil {
			return err
		}
		if v, err = LoadCycle(ctx, tx, uai, who, studentID, v.Cycle); err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := CyclePDF(&buf, v); err != nil {
			return err
		}
		title := fmt.Sprintf("Bilan de fin de cycle %d — %s", v.Cycle, v.Report.SchoolYear)
		if err := archivePDF(ctx, tx, blobs, uai, who, store.ReportPDFCycle, v.Report.ID, v.Student, v.Division, v.Report.SchoolYear, title, &buf); err != nil {
			return err
		}
		return audit.Record(ctx, tx, uai, actor, AuditReportClosed, fmt.Sprintf("bilan de fin de cycle n° %d", v.Report.ID),
			fmt.Sprintf("%s, %s, cycle %d", v.Student.FullName(), v.Division.Code, v.Cycle))
	})
}

// ReopenCycle reopens a closed end-of-cycle report (director, administrator).
func ReopenCycle(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, actor audit.Actor, studentID int64, cycle int) error {
	v, err := LoadCycle(ctx, tx, uai, who, studentID, cycle)
	if err != nil {
		return err
	}
	if err := mayReopen(who, v.Report.Closed()); err != nil {
		return err
	}
	if err := tx.Livret().SetCycleReportState(ctx, uai, v.Report.ID, sillage.ReportDraft, who.PersonID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, uai, actor, AuditReportOpened, fmt.Sprintf("bilan de fin de cycle n° %d", v.Report.ID),
		fmt.Sprintf("%s, %s, cycle %d", v.Student.FullName(), v.Division.Code, v.Cycle))
}

// Levels are the positionings of a socle domain, for the form.
func (v *CycleView) Levels() []int { return []int{0, 1, 2, 3, 4} }

// ComplementCodes lists the enseignements de complément, for the form.
func (v *CycleView) ComplementCodes() []string { return sortedKeys(ComplementLabels) }

// RegionalCodes lists the regional languages, for the form.
func (v *CycleView) RegionalCodes() []string { return sortedKeys(RegionalLabels) }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
