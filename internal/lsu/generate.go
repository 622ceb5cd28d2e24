package lsu

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
)

// Namespace is the namespace of every LSU import file.
const Namespace = "urn:fr:edu:scolarite:lsun:bilans:import"

// Generate writes the LSU file of a plan: UTF-8, elements in the order the
// XSD sequences require, xs:ID values that are unique NCNames with the
// peers' prefixes, strings cut to the schema limits and never empty. The
// output depends only on the plan, so the same plan gives the same bytes.
//
// Generate refuses a plan the schema would refuse (unknown references,
// values out of range): Collect never builds one, so such an error is a bug
// or a hand-made plan.
func Generate(w io.Writer, p *Plan) error {
	if p.Empty() {
		return sillage.Errorf(sillage.KindInvalid, "aucun bilan à écrire dans le fichier LSU")
	}
	sp, err := resolve(p.Target)
	if err != nil {
		return err
	}
	d, err := newDoc(p, sp)
	if err != nil {
		return sillage.Wrap(sillage.KindInternal, err, "plan d'export LSU incohérent")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	x := &xw{w: bw, ids: map[string]bool{}}
	if sp.degree == SecondDegree {
		d.write2D(x)
	} else {
		d.write1D(x)
	}
	if x.invalid == nil {
		x.invalid = x.checkRefs()
	}
	if x.err == nil {
		x.err = bw.Flush()
	}
	if x.invalid != nil {
		return sillage.Wrap(sillage.KindInternal, x.invalid, "plan d'export LSU incohérent : le fichier écrit est à jeter")
	}
	if x.err != nil {
		return fmt.Errorf("écriture du fichier LSU : %w", x.err)
	}
	return nil
}

// doc is a plan with its xs:ID values assigned, restricted to what the
// reports reference.
type doc struct {
	p  *Plan
	sp spec

	students map[string]Student
	periods  map[string]Period
	subjects map[string]Subject
	teachers map[string]Teacher
	elements map[string]ProgrammeElement
	heads    map[string]Head

	ids map[string]string // kind + "\x00" + plan id → xs:ID

	usedHeads, usedPeriods, usedSubjects, usedTeachers, usedElements []string
	classes                                                          []Student // one student per class (1D)

	pj projectDoc // EPI, AP, parcours (epi.go)

	digital      map[[2]string]string // (period, division) → xs:ID of its common appreciation (numerique.go)
	digitalOrder []DigitalCommon      // the common appreciations written
}

func (d *doc) id(kind, planID string) string { return d.ids[kind+"\x00"+planID] }

func newDoc(p *Plan, sp spec) (*doc, error) {
	d := &doc{p: p, sp: sp, ids: map[string]string{},
		students: map[string]Student{}, periods: map[string]Period{}, subjects: map[string]Subject{},
		teachers: map[string]Teacher{}, elements: map[string]ProgrammeElement{}, heads: map[string]Head{}}
	for _, s := range p.Students {
		if _, dup := d.students[s.ID]; dup {
			return nil, fmt.Errorf("élève %q présent deux fois dans le plan", s.ID)
		}
		d.students[s.ID] = s
	}
	for _, x := range p.Periods {
		d.periods[x.ID] = x
	}
	for _, x := range p.Subjects {
		d.subjects[x.ID] = x
	}
	for _, x := range p.Teachers {
		d.teachers[x.ID] = x
	}
	for _, x := range p.Elements {
		d.elements[x.ID] = x
	}
	for _, x := range p.Heads {
		d.heads[x.ID] = x
	}
	if err := d.collectUsed(); err != nil {
		return nil, err
	}
	if err := d.collectProjects(); err != nil {
		return nil, err
	}
	d.assignIDs()
	d.assignProjectIDs()
	d.assignDigitalIDs()
	return d, nil
}

// collectUsed checks every reference of the reports and lists the
// entities they use, so that the file declares only those.
func (d *doc) collectUsed() error {
	used := map[string]bool{}
	use := func(kind, id string, ok bool, list *[]string) error {
		if !ok {
			return fmt.Errorf("référence inconnue : %s %q", kind, id)
		}
		if !used[kind+"\x00"+id] {
			used[kind+"\x00"+id] = true
			*list = append(*list, id)
		}
		return nil
	}
	teacher := func(id string) error {
		_, ok := d.teachers[id]
		return use("enseignant", id, ok, &d.usedTeachers)
	}
	element := func(id string) error {
		_, ok := d.elements[id]
		return use("élément", id, ok, &d.usedElements)
	}
	reported := map[string]bool{}
	for _, r := range d.p.Periodic {
		if _, ok := d.students[r.StudentID]; !ok {
			return fmt.Errorf("référence inconnue : élève %q", r.StudentID)
		}
		reported[r.StudentID] = true
		_, ok := d.periods[r.PeriodID]
		if err := use("période", r.PeriodID, ok, &d.usedPeriods); err != nil {
			return err
		}
		_, ok = d.heads[r.HeadID]
		if err := use("responsable", r.HeadID, ok, &d.usedHeads); err != nil {
			return err
		}
		for _, t := range r.HeadTeacherIDs {
			if err := teacher(t); err != nil {
				return err
			}
		}
		if len(r.Subjects) == 0 {
			return fmt.Errorf("bilan périodique sans acquis")
		}
		for _, s := range r.Subjects {
			_, ok := d.subjects[s.SubjectID]
			if err := use("matière", s.SubjectID, ok, &d.usedSubjects); err != nil {
				return err
			}
			for _, t := range s.TeacherIDs {
				if err := teacher(t); err != nil {
					return err
				}
			}
			if d.sp.degree == SecondDegree && len(s.TeacherIDs) == 0 {
				return fmt.Errorf("acquis sans enseignant")
			}
			for _, e := range s.ElementIDs {
				if err := element(e); err != nil {
					return err
				}
			}
			for _, sd := range s.SubDomains {
				for _, e := range sd.ElementIDs {
					if err := element(e); err != nil {
						return err
					}
				}
			}
		}
		if d.sp.degree == FirstDegree && len(teachers1D(r.HeadTeacherIDs, r.Subjects)) == 0 {
			return fmt.Errorf("bilan périodique sans enseignant")
		}
	}
	for _, r := range d.p.Cycles {
		if _, ok := d.students[r.StudentID]; !ok {
			return fmt.Errorf("référence inconnue : élève %q", r.StudentID)
		}
		reported[r.StudentID] = true
		_, ok := d.heads[r.HeadID]
		if err := use("responsable", r.HeadID, ok, &d.usedHeads); err != nil {
			return err
		}
		for _, t := range r.HeadTeacherIDs {
			if err := teacher(t); err != nil {
				return err
			}
		}
		if d.sp.degree == FirstDegree && len(r.HeadTeacherIDs) == 0 {
			return fmt.Errorf("bilan de fin de cycle sans enseignant")
		}
	}
	for _, s := range d.p.Students {
		if !reported[s.ID] {
			return fmt.Errorf("élève sans bilan dans le plan")
		}
	}
	return nil
}

// assignIDs gives every declared entity its xs:ID, in a stable order.
func (d *doc) assignIDs() {
	a := newIDAllocator()
	set := func(kind, planID, prefix, hint string) { d.ids[kind+"\x00"+planID] = a.next(prefix, hint) }

	// Heads keep the plan's order: the first is the default signatory.
	slices.SortStableFunc(d.usedHeads, func(x, y string) int {
		return cmp.Compare(slices.IndexFunc(d.p.Heads, func(h Head) bool { return h.ID == x }),
			slices.IndexFunc(d.p.Heads, func(h Head) bool { return h.ID == y }))
	})
	prefix := "RESP_"
	if d.sp.degree == FirstDegree {
		prefix = "DIR_"
	}
	for i, id := range d.usedHeads {
		set("responsable", id, prefix, strconv.Itoa(i+1))
	}
	for i, s := range d.p.Students {
		set("élève", s.ID, "EL_", strconv.Itoa(i+1))
	}
	if d.sp.degree == FirstDegree {
		seen := map[string]bool{}
		for _, s := range d.p.Students {
			if !seen[s.ClassID] {
				seen[s.ClassID] = true
				d.classes = append(d.classes, s)
			}
		}
		for _, s := range d.classes {
			set("classe", s.ClassID, "CL_", s.ClassID)
		}
	}
	slices.SortFunc(d.usedPeriods, func(x, y string) int { return periodLess(d.periods[x], d.periods[y]) })
	for _, id := range d.usedPeriods {
		p := d.periods[id]
		set("période", id, "PER_", fmt.Sprintf("%d_%d_%d", p.Year, p.Index, p.Count))
	}
	slices.SortFunc(d.usedSubjects, func(x, y string) int {
		a, b := d.subjects[x], d.subjects[y]
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Modality, b.Modality), cmp.Compare(a.DomainCode, b.DomainCode), cmp.Compare(a.ID, b.ID))
	})
	for _, id := range d.usedSubjects {
		s := d.subjects[id]
		set("matière", id, "DI_", s.Code+"_"+s.Modality)
	}
	slices.SortFunc(d.usedTeachers, func(x, y string) int {
		a, b := d.teachers[x], d.teachers[y]
		return cmp.Or(cmp.Compare(a.LastName, b.LastName), cmp.Compare(a.FirstName, b.FirstName), cmp.Compare(a.ID, b.ID))
	})
	for i, id := range d.usedTeachers {
		set("enseignant", id, "ENS_", strconv.Itoa(i+1))
	}
	slices.SortFunc(d.usedElements, func(x, y string) int {
		return cmp.Or(cmp.Compare(d.elements[x].Label, d.elements[y].Label), cmp.Compare(x, y))
	})
	for i, id := range d.usedElements {
		set("élément", id, "EP_", strconv.Itoa(i+1))
	}
}

func (d *doc) refs(kind string, planIDs []string) string {
	if len(planIDs) == 1 {
		return d.id(kind, planIDs[0])
	}
	var b strings.Builder
	for i, id := range planIDs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.id(kind, id))
	}
	return b.String()
}

func (d *doc) root(x *xw) {
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.open("lsun-bilans",
		a("xmlns", Namespace),
		a("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
		a("xsi:schemaLocation", Namespace+" "+d.sp.schemaFile),
		a("schemaVersion", d.sp.schemaVersion))
	x.open("entete")
	x.text("editeur", fit(d.p.Editor, 50, true, false))
	x.text("application", fit(d.p.Application, 50, true, false))
	if v := fit(d.p.AppVersion, 50, false, false); v != "" && d.sp.degree == SecondDegree {
		x.text("appliVersion", v)
	}
	x.text("etablissement", d.p.UAI)
	x.close("entete")
}

func (d *doc) write2D(x *xw) {
	if utf8.RuneCountInString(d.p.UAI) != 8 {
		x.fail(fmt.Errorf("UAI %q invalide", d.p.UAI))
		return
	}
	d.root(x)
	x.open("donnees")

	x.open("responsables-etab")
	for _, id := range d.usedHeads {
		x.empty("responsable-etab", a("id", d.id("responsable", id)), a("libelle", headLabel(d.heads[id])))
	}
	x.close("responsables-etab")

	x.open("eleves")
	for _, s := range d.p.Students {
		idBe := strings.TrimSpace(s.EleveID)
		if d.sp.idBeInteger {
			var ok bool
			if idBe, ok = positiveInteger(idBe); !ok {
				x.fail(fmt.Errorf("identifiant SIECLE non numérique"))
				return
			}
		}
		div := s.Division
		if idBe == "" || strings.TrimSpace(div) == "" || utf8.RuneCountInString(div) > d.sp.limits.Division {
			x.fail(fmt.Errorf("élève sans identifiant SIECLE ou division valide"))
			return
		}
		x.empty("eleve", a("id", d.id("élève", s.ID)), a("id-be", idBe),
			a("nom", fit(s.LastName, 100, true, false)), a("prenom", fit(s.FirstName, 100, true, false)),
			a("code-division", div))
	}
	x.close("eleves")

	if len(d.usedPeriods) > 0 {
		x.open("periodes")
		for _, id := range d.usedPeriods {
			p := d.periods[id]
			d.checkPeriod(x, p)
			x.empty("periode", a("id", d.id("période", id)), a("millesime", strconv.Itoa(p.Year)),
				a("indice", strconv.Itoa(p.Index)), a("nb-periodes", strconv.Itoa(p.Count)))
		}
		x.close("periodes")
	}
	if len(d.usedSubjects) > 0 {
		x.open("disciplines")
		for _, id := range d.usedSubjects {
			s := d.subjects[id]
			if utf8.RuneCountInString(s.Code) != 6 || !slices.Contains(modalities, s.Modality) {
				x.fail(fmt.Errorf("matière %q sans code SIECLE ou modalité valide", s.Label))
				return
			}
			attrs := []attr{a("id", d.id("matière", id)), a("code", s.Code)}
			if utf8.RuneCountInString(s.NationalCode) == 6 {
				attrs = append(attrs, a("code-national", s.NationalCode))
			}
			attrs = append(attrs, a("modalite-election", s.Modality), a("libelle", fit(s.Label, d.sp.limits.SubjectLabel, true, false)))
			x.empty("discipline", attrs...)
		}
		x.close("disciplines")
	}
	if len(d.usedTeachers) > 0 {
		x.open("enseignants")
		for _, id := range d.usedTeachers {
			t := d.teachers[id]
			sts, ok := positiveInteger(t.STSID)
			if !ok || !slices.Contains(teacherTypes, t.STSType) {
				x.fail(fmt.Errorf("enseignant sans identifiant ou type STS valide"))
				return
			}
			attrs := []attr{a("id", d.id("enseignant", id)), a("type", t.STSType), a("id-sts", sts)}
			if c := civility(t.Civility); c != "" {
				attrs = append(attrs, a("civilite", c))
			}
			if n := fit(t.LastName, 100, false, false); n != "" {
				attrs = append(attrs, a("nom", n))
			}
			if n := fit(t.FirstName, 100, false, false); n != "" {
				attrs = append(attrs, a("prenom", n))
			}
			x.empty("enseignant", attrs...)
		}
		x.close("enseignants")
	}
	d.writeElements(x)
	// XSD order: competences-numeriques-communs, parcours-communs,
	// vies-scolaires-communs, then the EPI and AP declarations
	// (epis-thematiques … acc-persos-groupes).
	d.writeDigitalCommons(x)
	d.writeParcoursCommuns(x)
	d.writeClassSchoolLife(x)
	d.writeProjects(x)

	if len(d.p.Periodic) > 0 {
		x.open("bilans-periodiques")
		for _, r := range d.p.Periodic {
			d.periodic2D(x, r)
		}
		x.close("bilans-periodiques")
	}
	if len(d.p.Cycles) > 0 {
		x.open("bilans-cycle")
		for _, r := range d.p.Cycles {
			d.cycle(x, r)
		}
		x.close("bilans-cycle")
	}
	x.close("donnees")
	x.close("lsun-bilans")
}

func (d *doc) checkPeriod(x *xw, p Period) {
	if p.Year < 1000 || p.Year > 9999 || p.Count < 1 || p.Index < 1 || p.Index > p.Count || !validDate(p.Start) {
		x.fail(fmt.Errorf("période %q invalide", p.ID))
	}
	if d.sp.degree == FirstDegree && !validDate(p.End) {
		x.fail(fmt.Errorf("période %q sans date de fin", p.ID))
	}
}

func (d *doc) writeElements(x *xw) {
	if len(d.usedElements) == 0 {
		return
	}
	x.open("elements-programme")
	seen := map[string]bool{}
	for _, id := range d.usedElements {
		label := fit(d.elements[id].Label, d.sp.limits.Element, true, false)
		if seen[label] {
			x.fail(fmt.Errorf("deux éléments de programme ont le libellé %q", label))
			return
		}
		seen[label] = true
		x.empty("element-programme", a("id", d.id("élément", id)), a("libelle", label))
	}
	x.close("elements-programme")
}

func (d *doc) periodic2D(x *xw, r PeriodicReport) {
	s, p := d.students[r.StudentID], d.periods[r.PeriodID]
	if !validDate(r.CouncilDate) {
		x.fail(fmt.Errorf("bilan périodique sans date de conseil de classe"))
		return
	}
	attrs := []attr{
		a("eleve-ref", d.id("élève", s.ID)),
		a("periode-ref", d.id("période", p.ID)),
		a("date-conseil-classe", isoDate(r.CouncilDate)),
		a("date-scolarite", isoDate(schoolingDate(s, p))),
	}
	if d.sp.dateLock == lockOptional && validDate(r.ClosedAt) {
		attrs = append(attrs, a("date-verrou", isoDateTime(r.ClosedAt)))
	}
	attrs = append(attrs, a("responsable-etab-ref", d.id("responsable", r.HeadID)))
	if len(r.HeadTeacherIDs) > 0 {
		attrs = append(attrs, a("prof-princ-refs", d.refs("enseignant", r.HeadTeacherIDs)))
	}
	x.open("bilan-periodique", attrs...)
	x.open("liste-acquis")
	for _, res := range r.Subjects {
		d.acquis2D(x, res)
	}
	x.close("liste-acquis")
	d.reportDigitalSkills(x, r)
	d.reportProjects(x, r)
	d.support(x, r.Support)
	x.text("acquis-conseils", fit(r.GeneralAppreciation, d.sp.limits.GeneralAppreciation, true, true))
	d.homeworkDone(x, r)
	d.schoolLife(x, r.SchoolLife)
	d.periodSocle(x, r.Socle)
	d.responsables(x, s.Guardians)
	x.close("bilan-periodique")
}

func (d *doc) acquis2D(x *xw, r SubjectResult) {
	// Room for every attribute of an acquis: one allocation per subject line.
	attrs := append(make([]attr, 0, 8),
		a("discipline-ref", d.id("matière", r.SubjectID)),
		a("enseignant-refs", d.refs("enseignant", r.TeacherIDs)),
	)
	if len(r.ElementIDs) > 0 {
		attrs = append(attrs, a("element-programme-refs", d.refs("élément", r.ElementIDs)))
	}
	mark := func(v *float64) (string, bool) {
		if v == nil {
			return "", false
		}
		if !validMark(*v) {
			x.fail(fmt.Errorf("moyenne hors de 0 à 20"))
			return "", false
		}
		if d.sp.numericAverages {
			return markNumeric(*v), true
		}
		return markText(*v), true
	}
	if r.Status < NoStatus || r.Status > Exempt || (r.StructureStatus != NoStatus && r.StructureStatus != NotGraded && r.StructureStatus != Pending) {
		x.fail(fmt.Errorf("statut d'évaluation invalide"))
		return
	}
	if v, ok := mark(r.Average); ok && r.Status == NoStatus {
		attrs = append(attrs, a("moyenne-eleve", v))
	}
	if v, ok := mark(r.StructureAverage); ok && r.StructureStatus == NoStatus {
		attrs = append(attrs, a("moyenne-structure", v))
	}
	if d.sp.evalStatus {
		if r.Status != NoStatus {
			attrs = append(attrs, a("statut-evaluation-eleve", strconv.Itoa(int(r.Status))))
		}
		if r.StructureStatus != NoStatus {
			attrs = append(attrs, a("statut-evaluation-structure", strconv.Itoa(int(r.StructureStatus))))
		}
	} else {
		// Before 10.0 a status was a plain "not graded" flag.
		if r.Status != NoStatus {
			attrs = append(attrs, a("eleve-non-note", "true"))
		}
		if r.StructureStatus != NoStatus {
			attrs = append(attrs, a("structure-non-notee", "true"))
		}
	}
	if r.Positioning != 0 {
		if r.Positioning < 1 || r.Positioning > 4 {
			x.fail(fmt.Errorf("positionnement invalide"))
			return
		}
		attrs = append(attrs, a("positionnement", strconv.Itoa(r.Positioning)))
	}
	if app := fit(r.Appreciation, d.sp.limits.Appreciation, false, true); app != "" {
		x.open("acquis", attrs...)
		x.text("appreciation", app)
		x.close("acquis")
		return
	}
	x.empty("acquis", attrs...)
}

func (d *doc) support(x *xw, ms []SupportMeasure) {
	var codes []SupportMeasure
	for _, m := range ms {
		if !slices.Contains(d.sp.supportCodes, m.Code) {
			x.fail(fmt.Errorf("modalité d'accompagnement %q inconnue", m.Code))
			return
		}
		if !slices.ContainsFunc(codes, func(o SupportMeasure) bool { return o.Code == m.Code }) {
			codes = append(codes, m)
		}
	}
	if len(codes) == 0 {
		return
	}
	x.open("modalites-accompagnement")
	for _, m := range codes {
		if c := fit(m.PPREComplement, d.sp.limits.Comment, false, true); c != "" && m.Code == "PPRE" {
			x.open("modalite-accompagnement", a("code", m.Code))
			x.text("complement-ppre", c)
			x.close("modalite-accompagnement")
			continue
		}
		x.empty("modalite-accompagnement", a("code", m.Code))
	}
	x.close("modalites-accompagnement")
}

// schoolLife writes vie-scolaire; Collect has filled every counter, but a
// hand-made plan gets the same treatment: missing is 0, the range is 0–999.
func (d *doc) schoolLife(x *xw, sl *SchoolLife) {
	if sl == nil {
		sl = &SchoolLife{}
	}
	n := func(v *int) int {
		if v == nil {
			return 0
		}
		return min(max(*v, 0), 999)
	}
	abs, unj := n(sl.Absences), n(sl.Unjustified)
	unj = min(unj, abs)
	attrs := []attr{
		a("nb-retards", strconv.Itoa(n(sl.Late))),
		a("nb-abs-justifiees", strconv.Itoa(abs-unj)),
		a("nb-abs-injustifiees", strconv.Itoa(unj)),
		a("nb-heures-manquees", strconv.Itoa(n(sl.MissedHours))),
	}
	if c := fit(sl.Comment, d.sp.limits.Comment, false, true); c != "" {
		x.open("vie-scolaire", attrs...)
		x.text("commentaire", c)
		x.close("vie-scolaire")
		return
	}
	x.empty("vie-scolaire", attrs...)
}

func (d *doc) socle(x *xw, socle map[string]int) {
	x.open("socle")
	for _, code := range SocleDomains {
		v, ok := socle[code]
		if !ok || v < 0 || v > 4 {
			x.fail(fmt.Errorf("domaine du socle %s sans positionnement valide", code))
			return
		}
		x.empty("domaine", a("code", code), a("positionnement", strconv.Itoa(v)))
	}
	x.close("socle")
}

func (d *doc) cycle(x *xw, r CycleReport) {
	if r.Year < 1000 || r.Year > 9999 || !validDate(r.CreatedAt) {
		x.fail(fmt.Errorf("bilan de fin de cycle sans millésime ou date de création valide"))
		return
	}
	valid := []int{3, 4}
	if d.sp.degree == FirstDegree {
		valid = []int{2}
	}
	if !slices.Contains(valid, r.Cycle) {
		x.fail(fmt.Errorf("cycle %d invalide", r.Cycle))
		return
	}
	attrs := []attr{
		a("eleve-ref", d.id("élève", r.StudentID)),
		a("cycle", strconv.Itoa(r.Cycle)),
		a("millesime", strconv.Itoa(r.Year)),
	}
	if d.sp.degree == FirstDegree {
		if !validDate(r.ClosedAt) {
			x.fail(fmt.Errorf("bilan de fin de cycle sans date de verrouillage"))
			return
		}
		attrs = append(attrs,
			a("enseignant-refs", d.refs("enseignant", r.HeadTeacherIDs)),
			a("date-creation", isoDate(r.CreatedAt)),
			a("date-verrou", isoDateTime(r.ClosedAt)),
			a("directeur-ref", d.id("responsable", r.HeadID)))
	} else {
		attrs = append(attrs, a("date-creation", isoDate(r.CreatedAt)))
		if d.sp.dateLock == lockOptional && validDate(r.ClosedAt) {
			attrs = append(attrs, a("date-verrou", isoDateTime(r.ClosedAt)))
		}
		attrs = append(attrs, a("responsable-etab-ref", d.id("responsable", r.HeadID)))
		if len(r.HeadTeacherIDs) > 0 {
			attrs = append(attrs, a("prof-princ-refs", d.refs("enseignant", r.HeadTeacherIDs)))
		}
	}
	x.open("bilan-cycle", attrs...)
	d.socle(x, r.Socle)
	x.text("synthese", fit(r.Synthesis, d.sp.limits.Synthesis, true, true))
	if d.sp.degree == SecondDegree {
		option := func(name string, o *Option, codes []string) {
			if o == nil {
				return
			}
			if !slices.Contains(codes, o.Code) {
				x.fail(fmt.Errorf("%s : code %q inconnu", name, o.Code))
				return
			}
			attrs := []attr{a("code", o.Code)}
			if o.Level == 1 || o.Level == 2 {
				attrs = append(attrs, a("positionnement", strconv.Itoa(o.Level)))
			}
			x.empty(name, attrs...)
		}
		option("enseignement-complement", r.Complement, complementCodes)
		d.responsables(x, d.students[r.StudentID].Guardians)
		option("langue-culture-regionale", r.RegionalLanguage, regionalCodes)
	} else {
		d.responsables(x, d.students[r.StudentID].Guardians)
	}
	x.close("bilan-cycle")
}

func (d *doc) write1D(x *xw) {
	if utf8.RuneCountInString(d.p.UAI) != 8 {
		x.fail(fmt.Errorf("UAI %q invalide", d.p.UAI))
		return
	}
	d.root(x)
	x.open("donnees")

	x.open("directeurs")
	for _, id := range d.usedHeads {
		h := d.heads[id]
		civ := civility(h.Civility)
		if civ == "" {
			x.fail(fmt.Errorf("directeur sans civilité"))
			return
		}
		x.empty("directeur", a("id", d.id("responsable", id)), a("civilite", civ),
			a("nom", fit(h.LastName, 100, true, false)), a("prenom", fit(h.FirstName, 100, true, false)))
	}
	x.close("directeurs")

	x.open("classes")
	for _, s := range d.classes {
		classID, ok := positiveInteger(s.ClassID)
		if !ok {
			x.fail(fmt.Errorf("identifiant de classe ONDE invalide"))
			return
		}
		attrs := []attr{a("id", d.id("classe", s.ClassID)), a("id-be", classID)}
		if l := fit(s.ClassLabel, d.sp.limits.ClassLabel, false, false); l != "" {
			attrs = append(attrs, a("libelle", l))
		}
		x.empty("classe", attrs...)
	}
	x.close("classes")

	x.open("eleves")
	for _, s := range d.p.Students {
		// The one place an INE is written: the 1st-degree file needs it.
		ine, _, err := s.INE.Check()
		if err != nil {
			x.fail(fmt.Errorf("élève sans INE valide"))
			return
		}
		x.empty("eleve", a("id", d.id("élève", s.ID)), a("ine", ine.Value()), a("classe-ref", d.id("classe", s.ClassID)),
			a("nom", fit(s.LastName, 100, true, false)), a("prenom", fit(s.FirstName, 100, true, false)))
	}
	x.close("eleves")

	if len(d.usedPeriods) > 0 {
		x.open("periodes")
		for _, id := range d.usedPeriods {
			p := d.periods[id]
			d.checkPeriod(x, p)
			x.empty("periode", a("id", d.id("période", id)), a("millesime", strconv.Itoa(p.Year)),
				a("indice", strconv.Itoa(p.Index)), a("nb-periodes", strconv.Itoa(p.Count)),
				a("date-debut", isoDate(p.Start)), a("date-fin", isoDate(p.End)))
		}
		x.close("periodes")
	}

	x.open("enseignants")
	for _, id := range d.usedTeachers {
		t := d.teachers[id]
		civ := civility(t.Civility)
		if civ == "" {
			x.fail(fmt.Errorf("enseignant sans civilité"))
			return
		}
		x.empty("enseignant", a("id", d.id("enseignant", id)), a("civilite", civ),
			a("nom", fit(t.LastName, 100, true, false)), a("prenom", fit(t.FirstName, 100, true, false)))
	}
	x.close("enseignants")
	d.writeElements(x)

	if len(d.p.Periodic) > 0 {
		x.open("bilans-periodiques")
		for _, r := range d.p.Periodic {
			d.periodic1D(x, r)
		}
		x.close("bilans-periodiques")
	}
	if len(d.p.Cycles) > 0 {
		x.open("bilans-cycle")
		for _, r := range d.p.Cycles {
			d.cycle(x, r)
		}
		x.close("bilans-cycle")
	}
	x.close("donnees")
	x.close("lsun-bilans")
}

func (d *doc) periodic1D(x *xw, r PeriodicReport) {
	s, p := d.students[r.StudentID], d.periods[r.PeriodID]
	if !validDate(r.CouncilDate) || !validDate(r.ClosedAt) {
		x.fail(fmt.Errorf("bilan périodique sans date de création ou de verrouillage"))
		return
	}
	x.open("bilan-periodique",
		a("eleve-ref", d.id("élève", s.ID)),
		a("periode-ref", d.id("période", p.ID)),
		a("enseignant-refs", d.refs("enseignant", teachers1D(r.HeadTeacherIDs, r.Subjects))),
		a("date-creation", isoDate(r.CouncilDate)),
		a("date-scolarite", isoDate(schoolingDate(s, p))),
		a("date-verrou", isoDateTime(r.ClosedAt)),
		a("directeur-ref", d.id("responsable", r.HeadID)))
	x.open("liste-acquis")
	seen := map[string]bool{}
	for _, res := range r.Subjects {
		code := d.subjects[res.SubjectID].DomainCode
		if utf8.RuneCountInString(code) != 7 || seen[code] {
			x.fail(fmt.Errorf("domaine %q invalide ou en double", code))
			return
		}
		seen[code] = true
		d.acquis1D(x, code, res)
	}
	x.close("liste-acquis")
	d.support(x, r.Support)
	x.text("appreciation-generale", fit(r.GeneralAppreciation, d.sp.limits.GeneralAppreciation, true, true))
	d.periodSocle(x, r.Socle)
	d.responsables(x, s.Guardians)
	x.close("bilan-periodique")
}

func (d *doc) positioning1D(x *xw, attrs []attr, pos int, elements []string, notEvaluated bool) []attr {
	if len(elements) > 0 {
		attrs = append(attrs, a("element-programme-refs", d.refs("élément", elements)))
	}
	if pos != 0 {
		if pos < 1 || pos > 4 {
			x.fail(fmt.Errorf("positionnement invalide"))
		}
		attrs = append(attrs, a("positionnement", strconv.Itoa(pos)))
	}
	if notEvaluated && d.sp.nonEvalue {
		attrs = append(attrs, a("non-evalue", "true"))
	}
	return attrs
}

func (d *doc) acquis1D(x *xw, code string, r SubjectResult) {
	attrs := d.positioning1D(x, []attr{a("code-domaine", code)}, r.Positioning, r.ElementIDs, r.NotEvaluated)
	app := fit(r.Appreciation, d.sp.limits.Appreciation, false, true)
	if app == "" && len(r.SubDomains) == 0 {
		x.empty("acquis", attrs...)
		return
	}
	x.open("acquis", attrs...)
	if app != "" {
		x.text("appreciation", app)
	}
	if len(r.SubDomains) > 0 {
		x.open("sous-domaines")
		seen := map[string]bool{}
		for _, sd := range r.SubDomains {
			if utf8.RuneCountInString(sd.Code) != 7 || seen[sd.Code] {
				x.fail(fmt.Errorf("sous-domaine %q invalide ou en double", sd.Code))
				return
			}
			seen[sd.Code] = true
			x.empty("sous-domaine", d.positioning1D(x, []attr{a("code-domaine", sd.Code)}, sd.Positioning, sd.ElementIDs, sd.NotEvaluated)...)
		}
		x.close("sous-domaines")
	}
	x.close("acquis")
}

// needsEscape is the fast path of escape: most values are plain text.
func needsEscape(s string, attr bool) bool {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			// One pass: the UTF-8 check of each sequence as it comes.
			if c == 0xEF {
				return true
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return true
			}
			i += size
			continue
		case c == '&' || c == '<' || c == '>' || c == '\r':
			return true
		case c == '"' || c == '\n' || c == '\t':
			if attr {
				return true
			}
		case c < 0x20:
			return true
		}
		i++
	}
	return false
}

// attr is one attribute, written in the order given.
type attr struct{ name, value string }

func a(name, value string) attr { return attr{name, value} }

// xw writes indented XML and keeps the first error, so that the writing
// code reads as the document it produces.
//
// It also checks what xmllint --stream misses (see CheckReferences) as it
// writes: every xs:ID unique, every reference declared.
type xw struct {
	w       *bufio.Writer
	depth   int
	err     error // the first write error
	invalid error // the first inconsistency of the plan

	ids  map[string]bool
	refs []string
}

func (x *xw) fail(err error) {
	if x.invalid == nil {
		x.invalid = err
	}
}

// track records the identifiers and references of an element's attributes.
func (x *xw) track(attrs []attr) {
	for _, at := range attrs {
		switch {
		case at.name == "id":
			if x.ids[at.value] {
				x.fail(fmt.Errorf("identifiant %q déclaré deux fois", at.value))
			}
			x.ids[at.value] = true
		case strings.HasSuffix(at.name, "-refs"):
			n := len(x.refs)
			for f := range strings.FieldsSeq(at.value) {
				x.refs = append(x.refs, f)
			}
			if len(x.refs) == n {
				x.fail(fmt.Errorf("liste de références %s vide", at.name))
			}
		case strings.HasSuffix(at.name, "-ref"):
			x.refs = append(x.refs, at.value)
		}
	}
}

func (x *xw) checkRefs() error {
	for _, r := range x.refs {
		if !x.ids[r] {
			return fmt.Errorf("référence %q vers un identifiant non déclaré", r)
		}
	}
	return nil
}

func (x *xw) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

// escape writes s with the XML escapes it needs. In attributes, tabs and
// line ends are escaped too, so that the parser's attribute normalisation
// keeps them; characters XML cannot carry become U+FFFD (Collect has removed
// them already: this only guards hand-made plans).
func (x *xw) escape(s string, attr bool) {
	if x.err != nil {
		return
	}
	if !needsEscape(s, attr) {
		x.raw(s)
		return
	}
	last := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '"' && attr:
			esc = "&quot;"
		case r == '\n' && attr:
			esc = "&#xA;"
		case r == '\t' && attr:
			esc = "&#x9;"
		case r == '\r':
			esc = "&#xD;"
		case (r == utf8.RuneError && size == 1) || !xmlChar(r):
			esc = "\uFFFD"
		}
		if esc != "" {
			x.raw(s[last:i])
			x.raw(esc)
			last = i + size
		}
		i += size
	}
	x.raw(s[last:])
}

// indentation holds enough spaces for the deepest LSU element.
const indentation = "                                "

func (x *xw) indent() { x.raw(indentation[:min(2*x.depth, len(indentation))]) }

func (x *xw) start(name string, attrs []attr) {
	x.track(attrs)
	x.indent()
	x.raw("<")
	x.raw(name)
	for _, at := range attrs {
		x.raw(" ")
		x.raw(at.name)
		x.raw(`="`)
		x.escape(at.value, true)
		x.raw(`"`)
	}
}

func (x *xw) open(name string, attrs ...attr) {
	x.start(name, attrs)
	x.raw(">\n")
	x.depth++
}

func (x *xw) empty(name string, attrs ...attr) {
	x.start(name, attrs)
	x.raw("/>\n")
}

func (x *xw) text(name, value string, attrs ...attr) {
	x.start(name, attrs)
	x.raw(">")
	x.escape(value, false)
	x.raw("</")
	x.raw(name)
	x.raw(">\n")
}

func (x *xw) close(name string) {
	x.depth--
	x.indent()
	x.raw("</")
	x.raw(name)
	x.raw(">\n")
}
