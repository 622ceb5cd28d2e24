package livret

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
)

// Home is the Livret Scolaire page of a person: the periods of the year,
// the grids they enter, the classes whose reports they see.
type Home struct {
	Degree  lsu.Degree
	Year    sillage.SchoolYear
	Periods []sillage.Period
	Period  sillage.Period // the selected one (zero: none defined)
	Grids   []GridLink
	Classes []ClassLink
}

// GridLink is a subject of a division to enter.
type GridLink struct {
	Division sillage.Division
	Subject  SubjectChoice
}

// ClassLink is a division whose reports the person sees; Head: they close them.
type ClassLink struct {
	Division sillage.Division
	Head     bool
	Cycle    int // the cycle its level ends (0: none)
}

// LoadHome reads the Livret Scolaire page. periodID 0 selects the period
// of today, else the first one.
func LoadHome(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, now time.Time, periodID int64) (*Home, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	h := &Home{Degree: e.degree, Year: sillage.SchoolYearOf(now)}
	if h.Periods, err = tx.Periods().ListPeriods(ctx, uai, h.Year); err != nil {
		return nil, err
	}
	today := sillage.Today(now)
	for _, p := range h.Periods {
		if p.ID == periodID || periodID == 0 && !today.Before(p.Start) && !today.After(p.End) {
			h.Period = p
		}
	}
	if h.Period.ID == 0 && len(h.Periods) > 0 {
		if periodID != 0 {
			return nil, notFound()
		}
		h.Period = h.Periods[0]
	}
	divisions, err := tx.People().ListDivisions(ctx, uai, h.Year)
	if err != nil {
		return nil, err
	}
	mefs, err := tx.People().ListMEFs(ctx, uai)
	if err != nil {
		return nil, err
	}
	mefMap := map[string]sillage.MEF{}
	for _, m := range mefs {
		mefMap[m.Code] = m
	}
	for _, d := range divisions {
		if _, err := e.gridDivision(d.ID); err != nil {
			if sillage.KindOf(err) == sillage.KindNotFound {
				continue
			}
			return nil, err
		}
		// The class's reports open to who reaches the whole class; a
		// group's teacher only gets the grids of the group's students.
		switch _, err := e.division(d.ID); {
		case err == nil:
			head, err := e.isHead(d.ID)
			if err != nil {
				return nil, err
			}
			h.Classes = append(h.Classes, ClassLink{Division: d, Head: head, Cycle: e.divisionCycle(d, mefMap)})
		case sillage.KindOf(err) != sillage.KindNotFound:
			return nil, err
		}
		subjects, _, err := e.subjects(d.ID)
		if err != nil {
			return nil, err
		}
		for _, s := range subjects {
			h.Grids = append(h.Grids, GridLink{Division: d, Subject: s})
		}
	}
	return h, nil
}

// divisionCycle guesses the cycle a division's level ends.
func (e *entry) divisionCycle(d sillage.Division, mefs map[string]sillage.MEF) int {
	for _, m := range d.MEFs {
		if c := CycleOf(LevelOf(mefs, m)); c != 0 {
			return c
		}
		if c := CycleOf(m); c != 0 {
			return c
		}
	}
	if c := CycleOf(d.Code); c != 0 && slices.Contains(Cycles(e.degree), c) {
		return c
	}
	return 0
}

// ClassView lists a division's reports of a period.
type ClassView struct {
	Degree   lsu.Degree
	Division sillage.Division
	Period   sillage.Period
	Rows     []ClassRow
	Head     bool // the viewer closes these reports
	Closed   int
	Digital  bool // a 6e of a collège: the digital skills page applies (numerique.go)
}

// ClassRow is one student's report of the period.
type ClassRow struct {
	Student  sillage.Student
	Report   sillage.PeriodicReport // ID 0: nothing entered yet
	Subjects int
}

// LoadClass reads a division's reports of a period.
func LoadClass(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64) (*ClassView, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	d, err := e.division(divisionID)
	if err != nil {
		return nil, err
	}
	p, err := e.period(periodID)
	if err != nil {
		return nil, err
	}
	v := &ClassView{Degree: e.degree, Division: d, Period: p}
	if v.Head, err = e.isHead(divisionID); err != nil {
		return nil, err
	}
	if v.Digital, err = e.hasDigitalSkills(d); err != nil {
		return nil, err
	}
	students, err := e.gridStudents(divisionID, periodID, &serviceScope{whole: true})
	if err != nil {
		return nil, err
	}
	byStudent, err := reportsByStudent(ctx, tx, uai, divisionID, periodID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range byStudent {
		ids = append(ids, r.ID)
	}
	count := map[int64]int{}
	if len(ids) > 0 {
		res, err := tx.Livret().ListSubjectResults(ctx, uai, ids)
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			count[r.ReportID]++
		}
	}
	for _, s := range students {
		r := byStudent[s.ID]
		v.Rows = append(v.Rows, ClassRow{Student: s, Report: r, Subjects: count[r.ID]})
		if r.Closed() {
			v.Closed++
		}
	}
	return v, nil
}

// reportsByStudent returns the periodic reports of a division for a period, by student.
func reportsByStudent(ctx context.Context, tx *store.Tx, uai sillage.UAI, divisionID, periodID int64) (map[int64]sillage.PeriodicReport, error) {
	reports, err := tx.Livret().ListPeriodicReports(ctx, uai, sillage.ReportFilter{DivisionID: divisionID, PeriodIDs: []int64{periodID}})
	if err != nil {
		return nil, err
	}
	byStudent := make(map[int64]sillage.PeriodicReport, len(reports))
	for _, r := range reports {
		byStudent[r.StudentID] = r
	}
	return byStudent, nil
}

// ReportView is one student's periodic report, as shown and printed.
type ReportView struct {
	Degree        lsu.Degree
	Establishment sillage.Establishment
	Student       sillage.Student
	Division      sillage.Division
	Period        sillage.Period
	Report        sillage.PeriodicReport // ID 0: nothing entered yet
	Lines         []ReportLine
	Missing       []SubjectChoice // subjects taught in the division without a line
	HeadTeachers  []string
	Heads         []string // head(s) of establishment
	SupportCodes  []string
	CanEdit       bool // head-teacher fields, while a draft
	CanClose      bool
	CanReopen     bool
	PDFs          []sillage.ReportPDF

	// The sections around the subjects (report_sections.go).
	EPI, AP         []ReportProject
	Parcours        []ReportParcours
	Extras          sillage.PeriodicExtras // devoirs faits, socle of the term
	SocleTerm       []SocleLine            // the positioned domains of Extras.Socle
	ClassSchoolLife string                 // the division's comment for the period
	Guardians       []sillage.GuardianContact
	// The digital skills of cycle 3 (2nd degree): the positioned skills in
	// the CRCN's order, the student's appreciation, the class's common one.
	Digital             []DigitalLine
	DigitalAppreciation string
	ClassDigital        string
	// CanEnterDigital: the viewer may enter the division's digital skills
	// (the entry page's own check) and the report is a draft.
	CanEnterDigital bool
}

// ReportLine is a subject line as shown.
type ReportLine struct {
	Subject      SubjectChoice
	Teachers     []string
	Elements     []string
	Result       sillage.SubjectResult
	ClassAverage *int
}

// HasSupport reports whether a support measure is recorded.
func (v *ReportView) HasSupport(code string) bool { return slices.Contains(v.Report.Support, code) }

// student returns a student within reach: every student for the staff;
// for a teacher, the students of the divisions they teach or head.
func (e *entry) student(id int64) (sillage.Student, sillage.Division, error) {
	s, err := e.tx.People().GetStudent(e.ctx, e.uai, id)
	if err != nil {
		return s, sillage.Division{}, err
	}
	if s.DivisionID == 0 {
		if e.who.Staff() {
			return s, sillage.Division{}, nil
		}
		return s, sillage.Division{}, notFound()
	}
	if !e.who.Staff() {
		ok, err := e.tx.Records().TeachesStudent(e.ctx, e.uai, e.who.PersonID, id)
		if err != nil {
			return s, sillage.Division{}, err
		}
		if !ok || e.who.Role != sillage.RoleTeacher {
			return s, sillage.Division{}, notFound()
		}
	}
	d, err := e.tx.People().GetDivision(e.ctx, e.uai, s.DivisionID)
	return s, d, err
}

func personName(p sillage.Person) string {
	return strings.TrimSpace(strings.TrimSpace(p.Civility+" "+p.FirstName) + " " + strings.ToUpper(p.LastName))
}

// LoadReport reads a student's periodic report of a period.
func LoadReport(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, studentID, periodID int64) (*ReportView, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	s, d, err := e.student(studentID)
	if err != nil {
		return nil, err
	}
	p, err := e.period(periodID)
	if err != nil {
		return nil, err
	}
	v := &ReportView{Degree: e.degree, Student: s, Division: d, Period: p, SupportCodes: SupportCodes(e.degree)}
	if v.Establishment, err = tx.Establishments().GetEstablishment(ctx, uai); err != nil {
		return nil, err
	}
	r, err := tx.Livret().FindPeriodicReport(ctx, uai, studentID, periodID)
	if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
		return nil, err
	}
	v.Report = r
	head, err := e.isHead(d.ID)
	if err != nil {
		return nil, err
	}
	v.CanEdit = head && !r.Closed()
	v.CanClose = head && !r.Closed()
	v.CanReopen = who.Staff() && r.Closed()

	persons, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{})
	if err != nil {
		return nil, err
	}
	byID := map[int64]sillage.Person{}
	for _, pe := range persons {
		byID[pe.ID] = pe
		if pe.Role == sillage.RoleDirector && pe.Active() {
			v.Heads = append(v.Heads, personName(pe))
		}
	}
	if d.ID != 0 {
		heads, err := tx.People().ListHeadTeachers(ctx, uai, d.ID)
		if err != nil {
			return nil, err
		}
		for _, h := range heads {
			v.HeadTeachers = append(v.HeadTeachers, personName(byID[h]))
		}
	}
	labels, err := e.subjectLabels()
	if err != nil {
		return nil, err
	}
	scopes := map[string]*serviceScope{} // every service of the division, whoever looks
	if d.ID != 0 {
		if scopes, err = e.services(d.ID, 0); err != nil {
			return nil, err
		}
	}
	var results []sillage.SubjectResult
	if r.ID != 0 {
		if results, err = tx.Livret().ListSubjectResults(ctx, uai, []int64{r.ID}); err != nil {
			return nil, err
		}
	}
	elements := map[string][]string{}
	if d.ID != 0 {
		els, err := tx.Livret().ListProgrammeElements(ctx, uai, d.ID, periodID)
		if err != nil {
			return nil, err
		}
		for _, el := range els {
			elements[el.SubjectCode] = append(elements[el.SubjectCode], el.Label)
		}
	}
	entered := map[string]bool{}
	for _, res := range results {
		entered[res.SubjectCode] = true
		line := ReportLine{Subject: SubjectChoice{Code: res.SubjectCode, Label: firstNonEmpty(labels[res.SubjectCode], res.SubjectCode)},
			Result: res, Elements: elements[res.SubjectCode]}
		var teachers []int64
		if sc := scopes[res.SubjectCode]; sc != nil {
			for t := range sc.teach {
				teachers = append(teachers, t)
			}
		}
		if res.TeacherID != 0 && !slices.Contains(teachers, res.TeacherID) {
			teachers = append(teachers, res.TeacherID)
		}
		slices.Sort(teachers)
		for _, t := range teachers {
			line.Teachers = append(line.Teachers, personName(byID[t]))
		}
		if e.degree == lsu.SecondDegree && d.ID != 0 {
			class, err := tx.Livret().ListPeriodSubjectResults(ctx, uai, d.ID, periodID, res.SubjectCode)
			if err != nil {
				return nil, err
			}
			total, n := 0, 0
			for _, c := range class {
				if c.Average != nil && c.Status == 0 {
					total += *c.Average
					n++
				}
			}
			if n > 0 {
				line.ClassAverage = new((total + n/2) / n)
			}
		}
		v.Lines = append(v.Lines, line)
	}
	slices.SortFunc(v.Lines, func(a, b ReportLine) int {
		return strings.Compare(strings.ToLower(a.Subject.Label), strings.ToLower(b.Subject.Label))
	})
	for code := range scopes {
		if !entered[code] {
			v.Missing = append(v.Missing, SubjectChoice{Code: code, Label: firstNonEmpty(labels[code], code)})
		}
	}
	slices.SortFunc(v.Missing, func(a, b SubjectChoice) int { return strings.Compare(a.Label, b.Label) })
	if r.ID != 0 {
		if v.PDFs, err = tx.Livret().ListReportPDFsOfReport(ctx, uai, store.ReportPDFPeriodic, r.ID); err != nil {
			return nil, err
		}
	}
	if err := e.loadSections(v, labels, byID); err != nil {
		return nil, err
	}
	return v, nil
}

// HeadInput is what the head teacher enters on a report.
type HeadInput struct {
	GeneralAppreciation string
	Late, Absences      string
	Unjustified         string
	MissedHours         string
	SchoolLifeComment   string
	Support             []string
	PPREComplement      string
	CouncilDate         string // yyyy-mm-dd or dd/mm/yyyy; "" none
}

func parseCounter(s, what string) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 999 {
		return nil, sillage.Errorf(sillage.KindInvalid, "%s « %s » invalide : un nombre entier de 0 à 999 est attendu", what, s)
	}
	return &n, nil
}

func parseDay(s string) (sillage.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return sillage.Date{}, nil
	}
	if d, err := sillage.ParseDate(s); err == nil {
		return d, nil
	}
	d, err := sillage.ParseFrenchDate(s)
	if err != nil {
		return d, sillage.Errorf(sillage.KindInvalid, "date « %s » invalide (jj/mm/aaaa)", s)
	}
	return d, nil
}

// SaveHead records the head teacher's part of a report: general
// appreciation, school life, support measures, class council date.
func SaveHead(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, studentID, periodID int64, in HeadInput) error {
	v, err := LoadReport(ctx, tx, uai, who, studentID, periodID)
	if err != nil {
		return err
	}
	if !v.CanEdit {
		if v.Report.Closed() {
			return errClosed()
		}
		return sillage.Errorf(sillage.KindForbidden, "seuls le professeur principal, le chef d'établissement et les administrateurs renseignent cette partie du bilan")
	}
	r := v.Report
	r.GeneralAppreciation = strings.TrimSpace(in.GeneralAppreciation)
	r.SchoolLifeComment = strings.TrimSpace(in.SchoolLifeComment)
	r.PPREComplement = strings.TrimSpace(in.PPREComplement)
	if r.Late, err = parseCounter(in.Late, "nombre de retards"); err != nil {
		return err
	}
	if r.Absences, err = parseCounter(in.Absences, "nombre de demi-journées d'absence"); err != nil {
		return err
	}
	if r.Unjustified, err = parseCounter(in.Unjustified, "nombre d'absences non justifiées"); err != nil {
		return err
	}
	if r.MissedHours, err = parseCounter(in.MissedHours, "nombre d'heures manquées"); err != nil {
		return err
	}
	if r.CouncilDate, err = parseDay(in.CouncilDate); err != nil {
		return err
	}
	r.Support = nil
	for _, c := range in.Support {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" || slices.Contains(r.Support, c) {
			continue
		}
		if !slices.Contains(v.SupportCodes, c) {
			return sillage.Errorf(sillage.KindInvalid, "modalité d'accompagnement « %s » inconnue", c)
		}
		r.Support = append(r.Support, c)
	}
	if r.ID == 0 {
		created, err := tx.Livret().UpsertPeriodicReport(ctx, uai, studentID, periodID, who.PersonID)
		if err != nil {
			return err
		}
		r.ID = created.ID
	}
	r.UpdatedBy = who.PersonID
	return tx.Livret().UpdatePeriodicReport(ctx, uai, r)
}

func errClosed() error {
	return sillage.Errorf(sillage.KindConflict, "ce bilan est fermé : seuls le chef d'établissement ou un administrateur peuvent le rouvrir")
}

// CloseReport closes a student's periodic report, archives its PDF and
// records it in the audit log, in one transaction.
func CloseReport(ctx context.Context, st *store.Store, blobs blob.Store, uai sillage.UAI, who sillage.Who, actor audit.Actor, studentID, periodID int64) error {
	return st.Write(ctx, func(tx *store.Tx) error {
		return closeReport(ctx, tx, blobs, uai, who, actor, studentID, periodID)
	})
}

func closeReport(ctx context.Context, tx *store.Tx, blobs blob.Store, uai sillage.UAI, who sillage.Who, actor audit.Actor, studentID, periodID int64) error {
	v, err := LoadReport(ctx, tx, uai, who, studentID, periodID)
	if err != nil {
		return err
	}
	if !v.CanClose {
		if v.Report.Closed() {
			return sillage.Errorf(sillage.KindConflict, "ce bilan est déjà fermé")
		}
		return sillage.Errorf(sillage.KindForbidden, "seuls le professeur principal, le chef d'établissement et les administrateurs ferment les bilans")
	}
	r, err := tx.Livret().UpsertPeriodicReport(ctx, uai, studentID, periodID, who.PersonID)
	if err != nil {
		return err
	}
	if err := tx.Livret().SetPeriodicReportState(ctx, uai, r.ID, sillage.ReportClosed, who.PersonID); err != nil {
		return err
	}
	if v, err = LoadReport(ctx, tx, uai, who, studentID, periodID); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := PeriodicPDF(&buf, v); err != nil {
		return err
	}
	title := "Bilan périodique — " + v.Period.Label() + " " + v.Period.SchoolYear.String()
	if err := archivePDF(ctx, tx, blobs, uai, who, store.ReportPDFPeriodic, v.Report.ID, v.Student, v.Division, v.Period.SchoolYear, title, &buf); err != nil {
		return err
	}
	return audit.Record(ctx, tx, uai, actor, AuditReportClosed, fmt.Sprintf("bilan périodique n° %d", v.Report.ID),
		fmt.Sprintf("%s, %s, %s", v.Student.FullName(), v.Division.Code, v.Period.Label()))
}

// CloseClass closes every draft report of a division for a period (the
// head teacher's "close the class"), and returns how many were closed.
func CloseClass(ctx context.Context, st *store.Store, blobs blob.Store, uai sillage.UAI, who sillage.Who, actor audit.Actor, divisionID, periodID int64) (int, error) {
	n := 0
	err := st.Write(ctx, func(tx *store.Tx) error {
		v, err := LoadClass(ctx, tx, uai, who, divisionID, periodID)
		if err != nil {
			return err
		}
		if !v.Head {
			return sillage.Errorf(sillage.KindForbidden, "seuls le professeur principal, le chef d'établissement et les administrateurs ferment les bilans")
		}
		for _, row := range v.Rows {
			if row.Report.Closed() {
				continue
			}
			if err := closeReport(ctx, tx, blobs, uai, who, actor, row.Student.ID, periodID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// ReopenReport reopens a closed periodic report (director, administrator).
func ReopenReport(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, actor audit.Actor, studentID, periodID int64) error {
	v, err := LoadReport(ctx, tx, uai, who, studentID, periodID)
	if err != nil {
		return err
	}
	if err := mayReopen(who, v.Report.Closed()); err != nil {
		return err
	}
	if err := tx.Livret().SetPeriodicReportState(ctx, uai, v.Report.ID, sillage.ReportDraft, who.PersonID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, uai, actor, AuditReportOpened, fmt.Sprintf("bilan périodique n° %d", v.Report.ID),
		fmt.Sprintf("%s, %s, %s", v.Student.FullName(), v.Division.Code, v.Period.Label()))
}

// mayReopen says whether who may reopen a report: only staff, and only a closed one.
func mayReopen(who sillage.Who, closed bool) error {
	if !who.Staff() {
		return sillage.Errorf(sillage.KindForbidden, "seuls le chef d'établissement et les administrateurs rouvrent un bilan fermé")
	}
	if !closed {
		return sillage.Errorf(sillage.KindConflict, "ce bilan n'est pas fermé")
	}
	return nil
}

func archivePDF(ctx context.Context, tx *store.Tx, blobs blob.Store, uai sillage.UAI, who sillage.Who, kind string, reportID int64,
	s sillage.Student, d sillage.Division, year sillage.SchoolYear, title string, pdf *bytes.Buffer) error {
	ref, err := blobs.Put(pdf)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s_%s_%s.pdf", slug(title), slug(s.LastName+" "+s.FirstName), tx.Now().In(sillage.SchoolZone).Format("20060102-150405"))
	return tx.Livret().AddReportPDF(ctx, uai, &sillage.ReportPDF{Kind: kind, ReportID: reportID, StudentID: s.ID, SchoolYear: year,
		DivisionCode: d.Code, StudentName: s.FullName(), Title: title, Name: name, SHA256: ref.SHA256, Size: ref.Size, CreatedBy: who.PersonID})
}

// PDFOfStudent returns an archived report PDF of a student within reach.
func PDFOfStudent(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, pdfID int64) (sillage.ReportPDF, error) {
	p, err := tx.Livret().GetReportPDF(ctx, uai, pdfID)
	if err != nil {
		return p, err
	}
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return p, err
	}
	if !who.Staff() {
		if _, _, err := e.student(p.StudentID); err != nil {
			return p, err
		}
	}
	return p, nil
}

// SupportLabel names a support measure, for the pages.
func (v *ReportView) SupportLabel(code string) string { return SupportLabels[code] }

// StatusLabel names an evaluation status, for the pages.
func (l ReportLine) StatusLabel() string {
	if l.Result.Status > 0 && l.Result.Status < len(StatusLabels) {
		return StatusLabels[l.Result.Status]
	}
	return ""
}

// AverageText shows the average ("15,5"), "" for none.
func (l ReportLine) AverageText() string { return FormatAverage(l.Result.Average) }

// ClassAverageText shows the class average, "" for none.
func (l ReportLine) ClassAverageText() string { return FormatAverage(l.ClassAverage) }
