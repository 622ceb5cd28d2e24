package livret

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/onde"
	"github.com/sillage/sillage/internal/store"
)

// Selection says what an export covers: one division, one level, one
// student or the whole establishment (all empty), for periods and/or the
// end-of-cycle reports.
type Selection struct {
	DivisionCode string  // a division of the school year, compared exactly
	Level        string  // a level (see LevelOf), compared without case or spaces
	EleveID      string  // one student by SIECLE ELEVE_ID (2nd degree)
	StudentID    int64   // one student by Sillage id
	PeriodIDs    []int64 // periods of one school year
	Cycle        bool    // the end-of-cycle reports of the year
}

// LoadOptions tune Load.
type LoadOptions struct {
	// Version overrides the establishment's schema version setting.
	Version string
	// ONDE is the latest ONDE extraction of the school, required by the 1st
	// degree: the INEs are read from it for the file only.
	ONDE *onde.PupilsFile
	// AppVersion is written in the file's header (2nd degree).
	AppVersion string
	// Now dates a cycle-only export's school year.
	Now time.Time
}

// Loaded is an export's input read from the store.
type Loaded struct {
	Input     *lsu.Input
	Year      sillage.SchoolYear
	Degree    lsu.Degree
	Selection string // in French, for the export list and the audit entry
	// Notes are the adapter's own report lines (what the store lacked and
	// how it was filled); Export appends them to the report.
	Notes []lsu.Line
}

// Errors of a 1st-degree export without its ONDE file.
var (
	ErrNoONDE = sillage.Errorf(sillage.KindInvalid, "l'export du 1er degré a besoin des INE des élèves, que Sillage ne conserve pas : "+
		"déposez le dernier fichier ONDE de l'école (CSVExtraction.csv) avec l'export ; les INE servent au fichier LSU et ne sont ni conservés ni journalisés")
	ErrBE1D = sillage.Errorf(sillage.KindInvalid, "ce fichier est une extraction Base élèves (BE1D), sans INE ni identifiant de classe : déposez l'extraction ONDE (CSVExtraction.csv)")
)

// subjectKey names a subject line's subject in the model: its code and,
// in the 2nd degree, the modality of election.
func subjectKey(code, modality string) string {
	if modality == "" {
		return code
	}
	return code + "/" + modality
}

// dpsKey names a division's subject in a period.
type dpsKey struct {
	division, period int64
	subject          string
}

func idStr(prefix string, id int64) string { return prefix + strconv.FormatInt(id, 10) }

// normLevel compares levels without case or spaces.
func normLevel(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }

// loader holds what Load reads once.
type loader struct {
	ctx     context.Context
	tx      *store.Tx
	uai     sillage.UAI
	degree  lsu.Degree
	mefs    map[string]sillage.MEF
	progs   map[string][]sillage.Programme // by MEF
	onde    *ondeIndex
	notes   []lsu.Line
	noted   map[string]bool
	persons map[int64]sillage.Person
}

func (l *loader) note(key string, line lsu.Line) {
	if l.noted[key] {
		return
	}
	l.noted[key] = true
	l.notes = append(l.notes, line)
}

// LevelOf is the level of a student used to select and split exports: the
// formation of their MEF in the Nomenclature ("6EME"), else the MEF label,
// else the MEF code; for the 1st degree, the ONDE level.
func LevelOf(mefs map[string]sillage.MEF, mef string) string {
	if m, ok := mefs[mef]; ok {
		if f := strings.TrimSpace(m.Formation); f != "" {
			return f
		}
		if lb := strings.TrimSpace(m.Label); lb != "" {
			return lb
		}
	}
	return strings.TrimSpace(mef)
}

// modalityOf finds the modality of election of a subject for a student
// from the Nomenclature's programmes of their MEF (or of their division's
// MEFs): a programme with hours first, then in LSU's order.
func (l *loader) modalityOf(mefs []string, code string) (string, bool) {
	order := []string{"S", "O", "F", "L", "R", "X", "D", "N"}
	best, bestRank := "", math.MaxInt
	for _, mef := range mefs {
		for _, p := range l.progs[mef] {
			if p.SubjectCode != code {
				continue
			}
			rank := slices.Index(order, strings.ToUpper(p.Modality))
			if rank < 0 {
				rank = len(order)
			}
			if h := strings.TrimSpace(p.Hours); h == "" || h == "0" || strings.Trim(h, "0.,") == "" {
				rank += 100 // no hours: SACoche ignores such a modality when another exists
			}
			if rank < bestRank {
				best, bestRank = strings.ToUpper(p.Modality), rank
			}
		}
	}
	return best, best != ""
}

// Load reads what an export needs from the store.
func Load(ctx context.Context, tx *store.Tx, uai sillage.UAI, sel Selection, opts LoadOptions) (*Loaded, error) {
	est, err := tx.Establishments().GetEstablishment(ctx, uai)
	if err != nil {
		return nil, err
	}
	degree, err := DegreeOf(est)
	if err != nil {
		return nil, err
	}
	l := &loader{ctx: ctx, tx: tx, uai: uai, degree: degree, noted: map[string]bool{}}
	out := &Loaded{Degree: l.degree}
	settings, err := LoadSettings(ctx, tx, uai, l.degree)
	if err != nil {
		return nil, err
	}
	version := settings.Version
	if v := strings.TrimSpace(opts.Version); v != "" {
		if !slices.Contains(lsu.Versions(l.degree), v) {
			return nil, sillage.Errorf(sillage.KindInvalid, "version de schéma %q inconnue pour %s (%s)", v, degreeLabel(l.degree), strings.Join(lsu.Versions(l.degree), ", "))
		}
		version = v
	}
	if l.degree == lsu.FirstDegree {
		if opts.ONDE == nil {
			return nil, ErrNoONDE
		}
		if l.onde, err = indexONDE(opts.ONDE); err != nil {
			return nil, err
		}
	}
	if len(sel.PeriodIDs) == 0 && !sel.Cycle {
		return nil, sillage.Errorf(sillage.KindInvalid, "choisissez au moins une période ou les bilans de fin de cycle")
	}
	if sel.EleveID != "" && l.degree == lsu.FirstDegree {
		return nil, sillage.Errorf(sillage.KindInvalid, "au 1er degré, choisissez l'élève dans la liste : il n'a pas d'identifiant SIECLE")
	}

	// Periods, all of one school year, read in one query.
	var periods []sillage.Period
	year := sillage.SchoolYearOf(opts.Now)
	var known map[int64]sillage.Period
	if len(sel.PeriodIDs) > 0 {
		all, err := tx.Periods().ListPeriods(ctx, uai, 0)
		if err != nil {
			return nil, err
		}
		known = make(map[int64]sillage.Period, len(all))
		for _, p := range all {
			known[p.ID] = p
		}
	}
	for i, id := range sel.PeriodIDs {
		p, ok := known[id]
		if !ok {
			return nil, sillage.Errorf(sillage.KindNotFound, "période %d introuvable", id)
		}
		if i == 0 {
			year = p.SchoolYear
		} else if p.SchoolYear != year {
			return nil, sillage.Errorf(sillage.KindInvalid, "les périodes d'un export doivent appartenir à la même année scolaire")
		}
		if !slices.ContainsFunc(periods, func(q sillage.Period) bool { return q.ID == p.ID }) {
			periods = append(periods, p)
		}
	}
	out.Year = year
	termStart, err := tx.Livret().GetTermStart(ctx, uai, year)
	if err != nil {
		return nil, err
	}
	rolled, err := RolledOver(ctx, tx, uai, year)
	if err != nil {
		return nil, err
	}

	in := &lsu.Input{
		Target:         lsu.Target{Degree: l.degree, Version: version},
		Editor:         "Sillage",
		Application:    "Sillage",
		AppVersion:     opts.AppVersion,
		Establishment:  lsu.Establishment{UAI: string(uai)},
		YearRolledOver: rolled,
		Config:         lsu.Config{ModalityN: settings.ModalityN, Positioning: settings.Mode},
	}
	out.Input = in
	for _, p := range periods {
		in.Periods = append(in.Periods, lsu.Period{ID: idStr("P", p.ID), Year: int(p.SchoolYear), Index: p.Index, Count: p.Kind.Count(),
			Start: p.Start.Time(), End: p.End.Time(), TermStart: termStart.Time()})
	}

	// Structure of the year.
	divList, err := tx.People().ListDivisions(ctx, uai, year)
	if err != nil {
		return nil, err
	}
	divisions := map[int64]sillage.Division{}
	for _, d := range divList {
		divisions[d.ID] = d
		if d.FromSTS {
			in.Directory.STSDivisions = append(in.Directory.STSDivisions, d.Code)
		}
	}
	if l.onde != nil {
		in.Directory.ONDEClassIDs = l.onde.classIDs
	}
	if sel.DivisionCode != "" && !slices.ContainsFunc(divList, func(d sillage.Division) bool { return d.Code == sel.DivisionCode }) {
		return nil, sillage.Errorf(sillage.KindNotFound, "division « %s » introuvable pour l'année %s", sel.DivisionCode, year)
	}
	mefList, err := tx.People().ListMEFs(ctx, uai)
	if err != nil {
		return nil, err
	}
	l.mefs = map[string]sillage.MEF{}
	for _, m := range mefList {
		l.mefs[m.Code] = m
	}
	progList, err := tx.People().ListProgrammes(ctx, uai)
	if err != nil {
		return nil, err
	}
	l.progs = map[string][]sillage.Programme{}
	for _, p := range progList {
		l.progs[p.MEF] = append(l.progs[p.MEF], p)
	}

	// Students of the year's divisions, and the selected ones.
	filter := sillage.StudentFilter{}
	if sel.DivisionCode != "" {
		// One class: its students are all the export reads (classmates
		// included, for the class averages).
		for _, d := range divList {
			if d.Code == sel.DivisionCode {
				filter.DivisionID = d.ID
			}
		}
	}
	all, err := tx.People().ListStudents(ctx, uai, filter)
	if err != nil {
		return nil, err
	}
	var inYear, selected []sillage.Student
	levels := map[int64]string{}
	for _, s := range all {
		d, ok := divisions[s.DivisionID]
		if !ok {
			continue
		}
		inYear = append(inYear, s)
		levels[s.ID] = LevelOf(l.mefs, s.MEF)
		if levels[s.ID] == "" && len(d.MEFs) > 0 {
			levels[s.ID] = LevelOf(l.mefs, d.MEFs[0])
		}
		switch {
		case sel.StudentID != 0 && s.ID != sel.StudentID,
			sel.EleveID != "" && s.SIECLEID != sel.EleveID,
			sel.DivisionCode != "" && d.Code != sel.DivisionCode:
			continue
		}
		if sel.Level != "" && normLevel(levels[s.ID]) != normLevel(sel.Level) && !(l.degree == lsu.FirstDegree && l.onde.levelMatches(s, d, sel.Level)) {
			continue
		}
		selected = append(selected, s)
	}
	switch {
	case sel.EleveID != "" && len(selected) == 0:
		return nil, sillage.Errorf(sillage.KindNotFound, "aucun élève d'identifiant SIECLE %s dans les divisions de l'année %s", sel.EleveID, year)
	case sel.StudentID != 0 && len(selected) == 0:
		return nil, sillage.Errorf(sillage.KindNotFound, "élève introuvable dans les divisions de l'année %s", year)
	case len(selected) == 0:
		return nil, sillage.Errorf(sillage.KindNotFound, "aucun élève dans la sélection")
	}
	out.Selection = describe(sel, periods, selected, divisions)

	// Reports of the selected students' classmates too: the class average
	// of a subject is computed over the whole division.
	involved := map[int64]bool{}
	for _, s := range selected {
		involved[s.DivisionID] = true
	}
	var classIDs []int64
	for _, s := range inYear {
		if involved[s.DivisionID] {
			classIDs = append(classIDs, s.ID)
		}
	}
	var periodIDs []int64
	for _, p := range periods {
		periodIDs = append(periodIDs, p.ID)
	}
	var reports []sillage.PeriodicReport
	var results []sillage.SubjectResult
	if len(periodIDs) > 0 {
		if reports, err = tx.Livret().ListPeriodicReports(ctx, uai, sillage.ReportFilter{PeriodIDs: periodIDs, StudentIDs: classIDs}); err != nil {
			return nil, err
		}
		var reportIDs []int64
		for _, r := range reports {
			reportIDs = append(reportIDs, r.ID)
		}
		if len(reportIDs) > 0 {
			if results, err = tx.Livret().ListSubjectResults(ctx, uai, reportIDs); err != nil {
				return nil, err
			}
		}
	}
	var cycles []sillage.CycleReport
	if sel.Cycle {
		var ids []int64
		for _, s := range selected {
			ids = append(ids, s.ID)
		}
		if cycles, err = tx.Livret().ListCycleReports(ctx, uai, ids); err != nil {
			return nil, err
		}
	}

	// A departed student is exported only for the reports they have.
	hasReport := map[int64]bool{}
	for _, r := range reports {
		hasReport[r.StudentID] = true
	}
	for _, c := range cycles {
		if c.SchoolYear == year {
			hasReport[c.StudentID] = true
		}
	}
	selected = slices.DeleteFunc(selected, func(s sillage.Student) bool { return !s.Active() && !hasReport[s.ID] })
	isSelected := map[int64]bool{}
	for _, s := range selected {
		isSelected[s.ID] = true
	}

	// People: heads of establishment, teachers.
	l.persons = map[int64]sillage.Person{}
	var persons []sillage.Person
	for _, role := range []sillage.Role{sillage.RoleDirector, sillage.RoleTeacher} {
		ps, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: role})
		if err != nil {
			return nil, err
		}
		persons = append(persons, ps...)
	}
	for _, p := range persons {
		l.persons[p.ID] = p
		if p.Role == sillage.RoleDirector && p.Active() {
			in.Establishment.Heads = append(in.Establishment.Heads, lsu.Head{ID: idStr("D", p.ID), Civility: p.Civility, LastName: p.LastName, FirstName: p.FirstName})
		}
	}
	// The file's reference of each teacher, made once: every subject line
	// of every report names its teachers.
	teacherRef := map[int64]string{}
	for id, p := range l.persons {
		if p.Role == sillage.RoleTeacher {
			teacherRef[id] = idStr("T", id)
		}
	}
	teachersUsed := map[int64]bool{}
	teacherRefs := func(ids []int64) []string {
		var out []string
		for _, id := range ids {
			if ref, ok := teacherRef[id]; ok {
				teachersUsed[id] = true
				out = append(out, ref)
			}
		}
		return out
	}

	// sillage.Who teaches what: division services, and group services reaching
	// the students who belong to the group.
	services, err := tx.People().ListServices(ctx, uai, 0)
	if err != nil {
		return nil, err
	}
	type divSubject struct {
		division int64
		subject  string
	}
	divTeachers := map[divSubject][]int64{}
	groupTeachers := map[int64][]sillage.Service{}
	for _, s := range services {
		switch {
		case s.DivisionID != 0:
			k := divSubject{s.DivisionID, s.SubjectCode}
			if !slices.Contains(divTeachers[k], s.TeacherID) {
				divTeachers[k] = append(divTeachers[k], s.TeacherID)
			}
		case s.GroupID != 0:
			groupTeachers[s.GroupID] = append(groupTeachers[s.GroupID], s)
		}
	}
	studentGroupTeachers := map[int64]map[string][]int64{} // student → subject → teachers
	for gid, svcs := range groupTeachers {
		members, err := tx.People().ListGroupMembers(ctx, uai, gid)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if !isSelected[m] {
				continue
			}
			if studentGroupTeachers[m] == nil {
				studentGroupTeachers[m] = map[string][]int64{}
			}
			for _, s := range svcs {
				if !slices.Contains(studentGroupTeachers[m][s.SubjectCode], s.TeacherID) {
					studentGroupTeachers[m][s.SubjectCode] = append(studentGroupTeachers[m][s.SubjectCode], s.TeacherID)
				}
			}
		}
	}
	headTeachers := map[int64][]int64{}
	for id := range involved {
		if headTeachers[id], err = tx.People().ListHeadTeachers(ctx, uai, id); err != nil {
			return nil, err
		}
	}

	// Programme elements of the involved divisions and periods: one query
	// per division, written period by period in the selection's order.
	elements := map[dpsKey][]string{} // division, period, subject → element ids
	for id := range involved {
		var all []sillage.ProgrammeElement
		if len(periods) > 0 {
			if all, err = tx.Livret().ListProgrammeElements(ctx, uai, id, 0); err != nil {
				return nil, err
			}
		}
		for _, p := range periods {
			for _, e := range all {
				if e.PeriodID != p.ID {
					continue
				}
				eid := idStr("E", e.ID)
				in.Elements = append(in.Elements, lsu.ProgrammeElement{ID: eid, Label: e.Label})
				k := dpsKey{e.DivisionID, e.PeriodID, e.SubjectCode}
				elements[k] = append(elements[k], eid)
			}
		}
	}

	// Subjects of the Nomenclature.
	subjList, err := tx.People().ListSubjects(ctx, uai)
	if err != nil {
		return nil, err
	}
	nomenclature := map[string]sillage.Subject{}
	for _, s := range subjList {
		nomenclature[s.Code] = s
	}
	subjects := map[string]bool{}
	addSubject := func(code, modality string) string {
		key := subjectKey(code, modality)
		if subjects[key] {
			return key
		}
		subjects[key] = true
		if l.degree == lsu.FirstDegree {
			in.Subjects = append(in.Subjects, lsu.Subject{ID: key, DomainCode: code, Label: domainLabel(code)})
			return key
		}
		sub := lsu.Subject{ID: key, Modality: modality, Label: code}
		if n, ok := nomenclature[code]; ok {
			sub.Code, sub.NationalCode = code, n.NationalCode
			sub.Label = firstNonEmpty(n.LongLabel, n.ShortLabel, code)
		}
		// Not in the Nomenclature: Code stays empty and lsu blocks the
		// reports that have it ("non rattachée à un code matière SIECLE").
		in.Subjects = append(in.Subjects, sub)
		return key
	}

	// Class averages per division, period and subject.
	reportByID := map[int64]sillage.PeriodicReport{}
	for _, r := range reports {
		reportByID[r.ID] = r
	}
	studentDiv := map[int64]int64{}
	for _, s := range inYear {
		studentDiv[s.ID] = s.DivisionID
	}
	type sum struct {
		total, n int
	}
	classAvg := map[dpsKey]*sum{}
	// Results come ordered by report: each report's lines are a sub-slice.
	resultsOf := make(map[int64][]sillage.SubjectResult, len(reports))
	for i := 0; i < len(results); {
		j := i + 1
		for j < len(results) && results[j].ReportID == results[i].ReportID {
			j++
		}
		if id := results[i].ReportID; resultsOf[id] != nil {
			resultsOf[id] = append(resultsOf[id], results[i:j]...)
		} else {
			resultsOf[id] = results[i:j:j]
		}
		i = j
	}
	for _, res := range results {
		r := reportByID[res.ReportID]
		if res.Average == nil || res.Status != 0 {
			continue
		}
		k := dpsKey{studentDiv[r.StudentID], r.PeriodID, res.SubjectCode}
		if classAvg[k] == nil {
			classAvg[k] = &sum{}
		}
		classAvg[k].total += *res.Average
		classAvg[k].n++
	}

	// Students.
	divOfStudent := map[int64]sillage.Division{}
	for _, s := range selected {
		d := divisions[s.DivisionID]
		divOfStudent[s.ID] = d
		ls := lsu.Student{ID: idStr("S", s.ID), LastName: s.LastName, FirstName: s.FirstName, EntryDate: s.SchoolEntry.Time(), Level: levels[s.ID]}
		if l.degree == lsu.SecondDegree {
			ls.EleveID, ls.Division = s.SIECLEID, d.Code
		} else {
			l.onde.fill(&ls, s, d)
		}
		in.Students = append(in.Students, ls)
	}

	// Periodic reports.
	// The modality of a subject depends on the student's MEF (or their
	// division's): worked out once per MEF and subject.
	type modalityKey struct {
		mef      string
		division int64
		code     string
	}
	type found struct {
		modality string
		ok       bool
	}
	modalities := map[modalityKey]found{}
	for _, r := range reports {
		if !isSelected[r.StudentID] {
			continue
		}
		div := divOfStudent[r.StudentID]
		student := findStudent(selected, r.StudentID)
		pr := lsu.PeriodicReport{StudentID: idStr("S", r.StudentID), PeriodID: idStr("P", r.PeriodID), State: lsu.Draft,
			ClosedAt: r.ClosedAt, CouncilDate: r.CouncilDate.Time(), GeneralAppreciation: r.GeneralAppreciation,
			HeadTeacherIDs: teacherRefs(headTeachers[div.ID])}
		if r.Closed() {
			pr.State = lsu.Closed
		}
		if r.Late != nil || r.Absences != nil || r.Unjustified != nil || r.MissedHours != nil || strings.TrimSpace(r.SchoolLifeComment) != "" {
			pr.SchoolLife = &lsu.SchoolLife{Late: r.Late, Absences: r.Absences, Unjustified: r.Unjustified, MissedHours: r.MissedHours, Comment: r.SchoolLifeComment}
		}
		for _, code := range r.Support {
			m := lsu.SupportMeasure{Code: code}
			if code == "PPRE" {
				m.PPREComplement = r.PPREComplement
			}
			pr.Support = append(pr.Support, m)
		}
		pr.Subjects = make([]lsu.SubjectResult, 0, len(resultsOf[r.ID]))
		for _, res := range resultsOf[r.ID] {
			modality := ""
			if l.degree == lsu.SecondDegree {
				key := modalityKey{mef: student.MEF, code: res.SubjectCode}
				if student.MEF == "" {
					key.division = div.ID
				}
				m, known := modalities[key]
				if !known {
					mefs := []string{student.MEF}
					if student.MEF == "" {
						mefs = div.MEFs
					}
					m.modality, m.ok = l.modalityOf(mefs, res.SubjectCode)
					modalities[key] = m
				}
				modality = m.modality
				if !m.ok {
					modality = "S"
					l.note("modality/"+res.SubjectCode, lsu.Line{Kind: lsu.Warning, Subject: nameOf(nomenclature, res.SubjectCode),
						Message: "modalité d'élection introuvable dans la Nomenclature pour le MEF des élèves : « S » (tronc commun) écrite ; " +
							"importez la Nomenclature SIECLE de l'année, LSU signalera la matière si elle est déclarée autrement"})
				}
			}
			teachers := slices.Clone(divTeachers[divSubject{div.ID, res.SubjectCode}])
			for _, t := range studentGroupTeachers[r.StudentID][res.SubjectCode] {
				if !slices.Contains(teachers, t) {
					teachers = append(teachers, t)
				}
			}
			if res.TeacherID != 0 && !slices.Contains(teachers, res.TeacherID) {
				teachers = append(teachers, res.TeacherID)
			}
			sr := lsu.SubjectResult{SubjectID: addSubject(res.SubjectCode, modality), TeacherIDs: teacherRefs(teachers),
				ElementIDs: elements[dpsKey{div.ID, r.PeriodID, res.SubjectCode}], Positioning: res.Positioning,
				Status: lsu.EvaluationStatus(res.Status), Appreciation: res.Appreciation}
			if res.Average != nil {
				sr.Average = new(float64(*res.Average) / 100)
			}
			if c := classAvg[dpsKey{div.ID, r.PeriodID, res.SubjectCode}]; c != nil && c.n > 0 && l.degree == lsu.SecondDegree {
				sr.StructureAverage = new(math.Round(float64(c.total)/float64(c.n)) / 100)
			}
			pr.Subjects = append(pr.Subjects, sr)
		}
		in.Periodic = append(in.Periodic, pr)
	}

	// End-of-cycle reports of the year.
	for _, c := range cycles {
		if c.SchoolYear != year || !isSelected[c.StudentID] {
			continue
		}
		d := divOfStudent[c.StudentID]
		// date-creation is the date the report was established: the
		// schools' calendar day of its last closing (Sillage keeps no
		// other).
		cr := lsu.CycleReport{StudentID: idStr("S", c.StudentID), Cycle: c.Cycle, Year: int(c.SchoolYear), State: lsu.Draft, ClosedAt: c.ClosedAt, CreatedAt: sillage.Today(c.ClosedAt).Time(),
			Socle: map[string]int{}, Synthesis: c.Synthesis, HeadTeacherIDs: teacherRefs(headTeachers[d.ID])}
		if c.Closed() {
			cr.State = lsu.Closed
		}
		for k, v := range c.Socle {
			cr.Socle[k] = v
		}
		if c.ComplementCode != "" {
			cr.Complement = &lsu.Option{Code: c.ComplementCode, Level: c.ComplementLevel}
		}
		if c.RegionalCode != "" {
			cr.RegionalLanguage = &lsu.Option{Code: c.RegionalCode, Level: c.RegionalLevel}
		}
		in.Cycles = append(in.Cycles, cr)
	}

	// EPI, AP and parcours of the reports' divisions and periods (projects.go).
	if err := l.loadProjects(in, year, reports, divOfStudent, isSelected, teacherRefs, addSubject); err != nil {
		return nil, err
	}
	// Class comment, devoirs faits, socle of the term and guardians (load_family.go).
	if err := l.loadFamily(in, reports, periods, selected, divisions); err != nil {
		return nil, err
	}
	// Digital skills of cycle 3 (load_digital.go).
	if err := l.loadDigital(in, reports, periods, selected, divisions); err != nil {
		return nil, err
	}

	// The teachers the reports name.
	ids := make([]int64, 0, len(teachersUsed))
	for id := range teachersUsed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	stsTypes, err := l.tx.Imports().ListSTSTypes(l.ctx, l.uai)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		p := l.persons[id]
		in.Teachers = append(in.Teachers, lsu.Teacher{ID: idStr("T", id), STSID: p.STSID, STSType: stsTypes[p.STSID], Civility: p.Civility,
			LastName: p.LastName, FirstName: p.FirstName})
	}
	out.Notes = l.notes
	return out, nil
}

func findStudent(list []sillage.Student, id int64) sillage.Student {
	for _, s := range list {
		if s.ID == id {
			return s
		}
	}
	return sillage.Student{}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func nameOf(nomenclature map[string]sillage.Subject, code string) string {
	if n, ok := nomenclature[code]; ok {
		return firstNonEmpty(n.LongLabel, n.ShortLabel, code)
	}
	return code
}

func degreeLabel(d lsu.Degree) string {
	if d == lsu.FirstDegree {
		return "le 1er degré"
	}
	return "le 2nd degré"
}

// describe says in French what an export covers.
func describe(sel Selection, periods []sillage.Period, students []sillage.Student, divisions map[int64]sillage.Division) string {
	var who string
	switch {
	case sel.StudentID != 0 || sel.EleveID != "":
		if len(students) == 1 {
			who = "élève " + students[0].FullName()
		} else {
			who = "élève " + sel.EleveID
		}
	case sel.DivisionCode != "":
		who = "division " + sel.DivisionCode
	case sel.Level != "":
		who = "niveau " + sel.Level
	default:
		who = "tout l'établissement"
	}
	var what []string
	for _, p := range periods {
		what = append(what, p.Label())
	}
	if sel.Cycle {
		what = append(what, "bilans de fin de cycle")
	}
	return who + " — " + strings.Join(what, ", ")
}
