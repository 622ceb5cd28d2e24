package lsu

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The EPI (enseignements pratiques interdisciplinaires), AP (accompagnement
// personnalisé) and parcours éducatifs blocks of the 2nd degree. They are
// the same in 7.0 and 10.0: epis-thematiques, epis, epis-groupes,
// acc-persos, acc-persos-groupes and parcours-communs in donnees; epis-eleve,
// acc-persos-eleve and liste-parcours in each bilan-periodique.

// CodeLabel is an entry of an LSU nomenclature.
type CodeLabel struct {
	Code  string
	Label string
}

// EPIThemes are the national EPI themes of the LSU nomenclature (the closed
// list of the first schemas; since April 2018 a theme may also be one the
// file declares in epis-thematiques).
var EPIThemes = []CodeLabel{
	{"EPI_SAN", "Corps, santé, bien-être et sécurité"},
	{"EPI_ART", "Culture et création artistiques"},
	{"EPI_EDD", "Transition écologique et développement durable"},
	{"EPI_ICC", "Information, communication, citoyenneté"},
	{"EPI_LGA", "Langues et cultures de l'Antiquité"},
	{"EPI_LGE", "Langues et cultures étrangères ou, le cas échéant, régionales"},
	{"EPI_PRO", "Monde économique et professionnel"},
	{"EPI_STS", "Sciences, technologie et société"},
}

// ParcoursCodes are the parcours éducatifs (CodeParcours of the XSD).
var ParcoursCodes = []CodeLabel{
	{"PAR_AVN", "Parcours avenir"},
	{"PAR_CIT", "Parcours citoyen"},
	{"PAR_ART", "Parcours d'éducation artistique et culturelle"},
	{"PAR_SAN", "Parcours éducatif de santé"},
}

// LabelOf returns the label of a code in a nomenclature, or the code.
func LabelOf(list []CodeLabel, code string) string {
	for _, c := range list {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// ProjectKind tells an EPI from an AP.
type ProjectKind string

const (
	KindEPI ProjectKind = "epi"
	KindAP  ProjectKind = "ap"
)

// Label is the French name of the kind.
func (k ProjectKind) Label() string {
	if k == KindAP {
		return "accompagnement personnalisé"
	}
	return "EPI"
}

// Limits of the blocks (the same in 7.0 and 10.0).
const (
	projectTitleMax = 150 // intitule: Chaine150
	projectTextMax  = 600 // description, commentaire, parcours: Chaine600
	themeCodeMax    = 50  // CodeThematiqueEpi
	themeLabelMax   = 100 // epi-thematique/@libelle: Chaine100
)

// Project is an EPI or an AP declared for the year.
type Project struct {
	ID          string
	Kind        ProjectKind
	Title       string
	Theme       string // EPI: a code of EPIThemes or of a local theme
	Description string
	SubjectIDs  []string // EPI: at least two disciplines; AP: at least one
}

// ProjectGroup is a project as a group of students follows it (Sillage: one
// division for one period), with its teacher/discipline pairs.
type ProjectGroup struct {
	ID        string
	ProjectID string
	Title     string
	Comment   string // the class-level commentary
	Pairs     []TeacherSubject
}

// TeacherSubject is a teacher of a project group and the discipline they
// bring.
type TeacherSubject struct {
	TeacherID string
	SubjectID string
}

// ClassParcours is the project of a division for a parcours in a period.
type ClassParcours struct {
	PeriodID string
	Division string
	Code     string
	Text     string
}

// ProjectResult is a student's line for a project group in a periodic
// report: the appreciation (optional in LSU).
type ProjectResult struct {
	GroupID string
	Comment string
}

// StudentParcours is a student's own commentary on a parcours.
type StudentParcours struct {
	Code string
	Text string
}

// Projects holds the EPI, AP and class parcours an export refers to.
type Projects struct {
	Themes   []CodeLabel // local EPI themes, declared in epis-thematiques
	Items    []Project
	Groups   []ProjectGroup
	Parcours []ClassParcours
}

// PlaceProjects is where EPI and AP are declared (director, administrator);
// PlaceProjectEntry where a group's appreciations are entered.
const (
	PlaceProjects     Place = "projects"
	PlaceProjectEntry Place = "project-entry"
)

type projectInfo struct {
	title   string
	kind    ProjectKind
	problem string
}

type groupInfo struct {
	title   string
	kind    ProjectKind
	problem string
}

// projectsOf cleans the declarations: titles and texts cut to the schema,
// themes, disciplines and teacher pairs resolved. A declaration LSU would
// refuse gets a problem, which blocks the reports that refer to it.
func (c *collector) projects() {
	c.projectOf = map[string]*projectInfo{}
	c.groupOf = map[string]*groupInfo{}
	in := c.in.Projects
	var b lineBuf
	if c.sp.degree == FirstDegree {
		if len(in.Items)+len(in.Groups)+len(in.Parcours) > 0 {
			c.rep.add(Line{Kind: Ignored, Message: "EPI, accompagnement personnalisé et parcours non transmis au 1er degré"})
		}
		return
	}
	themes := map[string]bool{}
	for _, t := range EPIThemes {
		themes[t.Code] = true
	}
	for _, t := range in.Themes {
		code := strings.TrimSpace(t.Code)
		w := where{subject: "thématique d'EPI " + visible(code)}
		switch {
		case code == "" || utf8.RuneCountInString(code) > themeCodeMax:
			b.add(w.line(Ignored, fmt.Sprintf("thématique d'EPI au code vide ou de plus de %d caractères : non transmise", themeCodeMax)))
			continue
		case themes[code]:
			continue // national, or declared twice
		}
		themes[code] = true
		label := text(&b, w, "libellé de la thématique", t.Label, themeLabelMax, true, false)
		c.plan.Projects.Themes = append(c.plan.Projects.Themes, CodeLabel{Code: code, Label: label})
	}
	subjectRefs := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			if s, ok := c.subjectOf[id]; ok && s.problem == "" && !slices.Contains(out, s.canon) {
				out = append(out, s.canon)
			}
		}
		return out
	}
	for _, p := range in.Items {
		info := &projectInfo{kind: p.Kind}
		c.projectOf[p.ID] = info
		info.title, _ = cleanText(p.Title, false)
		w := where{subject: p.Kind.Label() + " « " + info.title + " »"}
		clean := Project{ID: p.ID, Kind: p.Kind}
		clean.Title = text(&b, w, "intitulé", p.Title, projectTitleMax, true, false)
		clean.Description = text(&b, w, "description", p.Description, projectTextMax, false, true)
		clean.SubjectIDs = subjectRefs(p.SubjectIDs)
		switch p.Kind {
		case KindEPI:
			clean.Theme = strings.TrimSpace(p.Theme)
			switch {
			case !themes[clean.Theme]:
				info.problem = fmt.Sprintf("l'EPI « %s » a une thématique inconnue (« %s »)", info.title, visible(clean.Theme))
			case len(clean.SubjectIDs) < 2:
				info.problem = fmt.Sprintf("l'EPI « %s » n'a pas deux disciplines reliées à la nomenclature SIECLE (LSU en exige au moins deux)", info.title)
			}
		case KindAP:
			if len(clean.SubjectIDs) == 0 {
				info.problem = fmt.Sprintf("l'accompagnement personnalisé « %s » n'a aucune discipline reliée à la nomenclature SIECLE", info.title)
			}
		default:
			info.problem = fmt.Sprintf("projet « %s » de nature inconnue", info.title)
		}
		if info.problem == "" {
			c.plan.Projects.Items = append(c.plan.Projects.Items, clean)
		}
	}
	for _, g := range in.Groups {
		info := &groupInfo{}
		c.groupOf[g.ID] = info
		info.title, _ = cleanText(g.Title, false)
		p, ok := c.projectOf[g.ProjectID]
		if !ok {
			info.problem = fmt.Sprintf("le groupe « %s » renvoie à un EPI ou accompagnement personnalisé absent de l'export", info.title)
			continue
		}
		info.kind = p.kind
		if p.problem != "" {
			info.problem = p.problem
			continue
		}
		w := where{subject: p.kind.Label() + " « " + info.title + " »"}
		clean := ProjectGroup{ID: g.ID, ProjectID: g.ProjectID}
		clean.Title = text(&b, w, "intitulé du groupe", g.Title, projectTitleMax, true, false)
		clean.Comment = text(&b, w, "commentaire de la classe", g.Comment, projectTextMax, false, true)
		for _, pair := range g.Pairs {
			t, tok := c.teacherOf[pair.TeacherID]
			s, sok := c.subjectOf[pair.SubjectID]
			if !tok || !t.ok || !sok || s.problem != "" {
				b.add(w.line(Ignored, "couple enseignant–discipline non transmissible (enseignant inconnu ou discipline non reliée à la nomenclature SIECLE) : non transmis"))
				continue
			}
			ts := TeacherSubject{TeacherID: t.canon, SubjectID: s.canon}
			if !slices.Contains(clean.Pairs, ts) {
				clean.Pairs = append(clean.Pairs, ts)
			}
		}
		if len(clean.Pairs) == 0 {
			info.problem = fmt.Sprintf("le groupe « %s » n'a aucun enseignant avec sa discipline transmissible (LSU en exige au moins un)", info.title)
			continue
		}
		c.plan.Projects.Groups = append(c.plan.Projects.Groups, clean)
	}
	seen := map[string]bool{}
	for _, cp := range in.Parcours {
		code := strings.TrimSpace(cp.Code)
		pinfo, ok := c.periodOf[cp.PeriodID]
		w := where{division: cp.Division, subject: LabelOf(ParcoursCodes, code)}
		if ok {
			w.period = pinfo.label
		}
		switch {
		case !ok || pinfo.problem != "":
			continue // a period out of the export
		case !slices.ContainsFunc(ParcoursCodes, func(p CodeLabel) bool { return p.Code == code }):
			b.add(w.line(Ignored, fmt.Sprintf("parcours « %s » inconnu de LSU : non transmis", visible(code))))
			continue
		}
		key := pinfo.canon + "\x00" + cp.Division + "\x00" + code
		if seen[key] {
			b.add(w.line(Ignored, "projet de parcours de la classe saisi deux fois pour la période : le premier est transmis"))
			continue
		}
		seen[key] = true
		txt := text(&b, w, "projet de la classe", cp.Text, projectTextMax, false, true)
		if txt == "" {
			continue
		}
		c.plan.Projects.Parcours = append(c.plan.Projects.Parcours, ClassParcours{PeriodID: pinfo.canon, Division: cp.Division, Code: code, Text: txt})
	}
	for _, l := range b.lines {
		c.rep.add(l)
	}
}

// reportProjects checks a student's EPI, AP and parcours lines of a
// periodic report.
func (c *collector) reportProjects(b *lineBuf, w where, r PeriodicReport) ([]ProjectResult, []StudentParcours) {
	if c.sp.degree == FirstDegree {
		if len(r.Projects)+len(r.Parcours) > 0 {
			b.add(w.line(Ignored, "EPI, accompagnement personnalisé et parcours non transmis au 1er degré"))
		}
		return nil, nil
	}
	var out []ProjectResult
	for _, pr := range r.Projects {
		g, ok := c.groupOf[pr.GroupID]
		if !ok {
			b.add(w.line(Ignored, "groupe d'EPI ou d'accompagnement personnalisé inconnu (identifiant local "+pr.GroupID+") : non transmis"))
			continue
		}
		gw := w
		gw.subject = g.kind.Label() + " « " + g.title + " »"
		if g.problem != "" {
			l := gw.block(PlaceProjects, g.problem, "complétez sa déclaration sur la page des EPI et de l'accompagnement personnalisé")
			l.StudentRef, l.PeriodRef = w.studentRef, w.periodRef
			b.add(l)
			continue
		}
		if slices.ContainsFunc(out, func(o ProjectResult) bool { return o.GroupID == pr.GroupID }) {
			continue
		}
		res := ProjectResult{GroupID: pr.GroupID, Comment: text(b, gw, "appréciation", pr.Comment, projectTextMax, false, true)}
		if res.Comment == "" {
			l := gw.line(Warning, "appréciation absente : transmis sans appréciation de l'élève")
			l.Place, l.StudentRef, l.PeriodRef, l.GroupRef = PlaceProjectEntry, w.studentRef, w.periodRef, pr.GroupID
			l.Fix = "saisissez l'appréciation de l'élève pour ce groupe"
			b.add(l)
		}
		out = append(out, res)
	}
	var parcours []StudentParcours
	for _, p := range r.Parcours {
		code := strings.TrimSpace(p.Code)
		pw := w
		pw.subject = LabelOf(ParcoursCodes, code)
		switch {
		case !slices.ContainsFunc(ParcoursCodes, func(c CodeLabel) bool { return c.Code == code }):
			b.add(pw.line(Ignored, fmt.Sprintf("parcours « %s » inconnu de LSU : non transmis", visible(code))))
			continue
		case slices.ContainsFunc(parcours, func(o StudentParcours) bool { return o.Code == code }):
			b.add(pw.line(Ignored, "parcours saisi deux fois : le premier est transmis"))
			continue
		}
		if txt := text(b, pw, "commentaire du parcours", p.Text, projectTextMax, false, true); txt != "" {
			parcours = append(parcours, StudentParcours{Code: code, Text: txt})
		}
	}
	slices.SortFunc(parcours, func(a, b StudentParcours) int {
		return cmp.Compare(slices.IndexFunc(ParcoursCodes, func(c CodeLabel) bool { return c.Code == a.Code }),
			slices.IndexFunc(ParcoursCodes, func(c CodeLabel) bool { return c.Code == b.Code }))
	})
	return out, parcours
}

// projectDoc is what Generate writes of the blocks: only the groups the
// reports use, their projects, and the local themes they name.
type projectDoc struct {
	projects     map[string]Project
	groups       map[string]ProjectGroup
	usedGroups   []string
	usedProjects []string
	ids          map[string]string
}

// collectProjects checks the reports' references to groups and marks the
// disciplines and teachers the blocks refer to as used.
func (d *doc) collectProjects() error {
	pj := &d.pj
	pj.projects, pj.groups, pj.ids = map[string]Project{}, map[string]ProjectGroup{}, map[string]string{}
	for _, p := range d.p.Projects.Items {
		pj.projects[p.ID] = p
	}
	for _, g := range d.p.Projects.Groups {
		pj.groups[g.ID] = g
	}
	usedGroup, usedProject := map[string]bool{}, map[string]bool{}
	subject := func(id string) error {
		if _, ok := d.subjects[id]; !ok {
			return fmt.Errorf("référence inconnue : matière %q", id)
		}
		if !slices.Contains(d.usedSubjects, id) {
			d.usedSubjects = append(d.usedSubjects, id)
		}
		return nil
	}
	for _, r := range d.p.Periodic {
		if d.sp.degree == FirstDegree && len(r.Projects)+len(r.Parcours) > 0 {
			return fmt.Errorf("EPI, AP ou parcours dans un bilan du 1er degré")
		}
		for _, pr := range r.Projects {
			g, ok := pj.groups[pr.GroupID]
			if !ok {
				return fmt.Errorf("référence inconnue : groupe %q", pr.GroupID)
			}
			if usedGroup[g.ID] {
				continue
			}
			usedGroup[g.ID] = true
			pj.usedGroups = append(pj.usedGroups, g.ID)
			p, ok := pj.projects[g.ProjectID]
			if !ok {
				return fmt.Errorf("référence inconnue : projet %q", g.ProjectID)
			}
			if len(g.Pairs) == 0 {
				return fmt.Errorf("groupe %q sans enseignant", g.ID)
			}
			for _, pair := range g.Pairs {
				if _, ok := d.teachers[pair.TeacherID]; !ok {
					return fmt.Errorf("référence inconnue : enseignant %q", pair.TeacherID)
				}
				if !slices.Contains(d.usedTeachers, pair.TeacherID) {
					d.usedTeachers = append(d.usedTeachers, pair.TeacherID)
				}
				if err := subject(pair.SubjectID); err != nil {
					return err
				}
			}
			if usedProject[p.ID] {
				continue
			}
			usedProject[p.ID] = true
			pj.usedProjects = append(pj.usedProjects, p.ID)
			if min := map[ProjectKind]int{KindEPI: 2, KindAP: 1}[p.Kind]; min == 0 || len(p.SubjectIDs) < min {
				return fmt.Errorf("projet %q sans ses disciplines", p.ID)
			}
			for _, s := range p.SubjectIDs {
				if err := subject(s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// assignProjectIDs gives the used projects and groups their xs:ID, in
// title order.
func (d *doc) assignProjectIDs() {
	pj := &d.pj
	a := newIDAllocator()
	slices.SortFunc(pj.usedProjects, func(x, y string) int {
		p, q := pj.projects[x], pj.projects[y]
		return cmp.Or(cmp.Compare(p.Kind, q.Kind), cmp.Compare(p.Title, q.Title), cmp.Compare(x, y))
	})
	n := map[ProjectKind]int{}
	for _, id := range pj.usedProjects {
		p := pj.projects[id]
		n[p.Kind]++
		pj.ids["p\x00"+id] = a.next(strings.ToUpper(string(p.Kind))+"_", strconv.Itoa(n[p.Kind]))
	}
	slices.SortFunc(pj.usedGroups, func(x, y string) int {
		g, h := pj.groups[x], pj.groups[y]
		return cmp.Or(cmp.Compare(pj.ids["p\x00"+g.ProjectID], pj.ids["p\x00"+h.ProjectID]), cmp.Compare(g.Title, h.Title), cmp.Compare(x, y))
	})
	for _, id := range pj.usedGroups {
		p := pj.projects[pj.groups[id].ProjectID]
		pj.ids["g\x00"+id] = a.next(pj.ids["p\x00"+p.ID]+"_G", "")
	}
}

// writeParcoursCommuns writes the class projects of the divisions and
// periods of the file's reports.
func (d *doc) writeParcoursCommuns(x *xw) {
	inFile := map[string]bool{}
	for _, r := range d.p.Periodic {
		inFile[r.PeriodID+"\x00"+d.students[r.StudentID].Division] = true
	}
	type key struct{ period, division string }
	byKey := map[key][]ClassParcours{}
	var keys []key
	for _, cp := range d.p.Projects.Parcours {
		k := key{cp.PeriodID, cp.Division}
		if !inFile[k.period+"\x00"+k.division] {
			continue
		}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], cp)
	}
	if len(keys) == 0 {
		return
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(periodLess(d.periods[a.period], d.periods[b.period]), cmp.Compare(a.division, b.division))
	})
	x.open("parcours-communs")
	for _, k := range keys {
		x.open("parcours-commun", a("periode-ref", d.id("période", k.period)), a("code-division", k.division))
		if parcoursList(x, byKey[k], func(cp ClassParcours) (string, string) { return cp.Code, cp.Text }) == 0 {
			x.fail(fmt.Errorf("parcours commun sans parcours connu"))
		}
		x.close("parcours-commun")
	}
	x.close("parcours-communs")
}

// parcoursList writes parcours elements in the nomenclature's order, one
// per code, and returns how many it wrote.
func parcoursList[T any](x *xw, items []T, get func(T) (code, text string)) int {
	n := 0
	for _, pc := range ParcoursCodes {
		for _, it := range items {
			if code, txt := get(it); code == pc.Code {
				x.text("parcours", fit(txt, projectTextMax, true, true), a("code", code))
				n++
				break
			}
		}
	}
	return n
}

// writeProjects writes epis-thematiques, epis, epis-groupes, acc-persos and
// acc-persos-groupes.
func (d *doc) writeProjects(x *xw) {
	pj := &d.pj
	var epis, aps []string
	for _, id := range pj.usedProjects {
		if pj.projects[id].Kind == KindEPI {
			epis = append(epis, id)
		} else {
			aps = append(aps, id)
		}
	}
	var themes []CodeLabel
	for _, t := range d.p.Projects.Themes {
		if slices.ContainsFunc(epis, func(id string) bool { return pj.projects[id].Theme == t.Code }) &&
			!slices.ContainsFunc(themes, func(o CodeLabel) bool { return o.Code == t.Code }) {
			themes = append(themes, t)
		}
	}
	if len(themes) > 0 {
		x.open("epis-thematiques")
		for _, t := range themes {
			if utf8.RuneCountInString(t.Code) > themeCodeMax || strings.TrimSpace(t.Code) == "" {
				x.fail(fmt.Errorf("thématique d'EPI %q invalide", t.Code))
				return
			}
			x.empty("epi-thematique", a("code", t.Code), a("libelle", fit(t.Label, themeLabelMax, true, false)))
		}
		x.close("epis-thematiques")
	}
	project := func(id, elem string) {
		p := pj.projects[id]
		attrs := []attr{a("id", pj.ids["p\x00"+id]), a("intitule", fit(p.Title, projectTitleMax, true, false))}
		if p.Kind == KindEPI {
			if !slices.ContainsFunc(EPIThemes, func(t CodeLabel) bool { return t.Code == p.Theme }) && !slices.ContainsFunc(themes, func(t CodeLabel) bool { return t.Code == p.Theme }) {
				x.fail(fmt.Errorf("EPI %q : thématique %q non déclarée", p.ID, p.Theme))
				return
			}
			attrs = append(attrs, a("thematique", p.Theme))
		}
		attrs = append(attrs, a("discipline-refs", d.refs("matière", p.SubjectIDs)))
		if desc := fit(p.Description, projectTextMax, false, true); desc != "" {
			x.open(elem, attrs...)
			x.text("description", desc)
			x.close(elem)
			return
		}
		x.empty(elem, attrs...)
	}
	group := func(id, elem, ref string) {
		g := pj.groups[id]
		x.open(elem, a("id", pj.ids["g\x00"+id]), a(ref, pj.ids["p\x00"+g.ProjectID]), a("intitule", fit(g.Title, projectTitleMax, true, false)))
		if c := fit(g.Comment, projectTextMax, false, true); c != "" {
			x.text("commentaire", c)
		}
		x.open("enseignants-disciplines")
		for _, pair := range g.Pairs {
			x.empty("enseignant-discipline", a("enseignant-ref", d.id("enseignant", pair.TeacherID)), a("discipline-ref", d.id("matière", pair.SubjectID)))
		}
		x.close("enseignants-disciplines")
		x.close(elem)
	}
	groupsOf := func(kind ProjectKind) []string {
		var out []string
		for _, id := range pj.usedGroups {
			if pj.projects[pj.groups[id].ProjectID].Kind == kind {
				out = append(out, id)
			}
		}
		return out
	}
	for _, k := range []struct {
		kind                               ProjectKind
		list, item, groups, groupItem, ref string
		ids                                []string
	}{
		{KindEPI, "epis", "epi", "epis-groupes", "epi-groupe", "epi-ref", epis},
		{KindAP, "acc-persos", "acc-perso", "acc-persos-groupes", "acc-perso-groupe", "acc-perso-ref", aps},
	} {
		if len(k.ids) == 0 {
			continue
		}
		x.open(k.list)
		for _, id := range k.ids {
			project(id, k.item)
		}
		x.close(k.list)
		x.open(k.groups)
		for _, id := range groupsOf(k.kind) {
			group(id, k.groupItem, k.ref)
		}
		x.close(k.groups)
	}
}

// reportProjects writes a report's epis-eleve, acc-persos-eleve and
// liste-parcours.
func (d *doc) reportProjects(x *xw, r PeriodicReport) {
	pj := &d.pj
	for _, k := range []struct {
		kind            ProjectKind
		list, item, ref string
	}{
		{KindEPI, "epis-eleve", "epi-eleve", "epi-groupe-ref"},
		{KindAP, "acc-persos-eleve", "acc-perso-eleve", "acc-perso-groupe-ref"},
	} {
		var lines []ProjectResult
		for _, pr := range r.Projects {
			if pj.projects[pj.groups[pr.GroupID].ProjectID].Kind == k.kind && !slices.ContainsFunc(lines, func(o ProjectResult) bool { return o.GroupID == pr.GroupID }) {
				lines = append(lines, pr)
			}
		}
		if len(lines) == 0 {
			continue
		}
		slices.SortFunc(lines, func(a, b ProjectResult) int { return cmp.Compare(pj.ids["g\x00"+a.GroupID], pj.ids["g\x00"+b.GroupID]) })
		x.open(k.list)
		for _, pr := range lines {
			ref := a(k.ref, pj.ids["g\x00"+pr.GroupID])
			if c := fit(pr.Comment, projectTextMax, false, true); c != "" {
				x.open(k.item, ref)
				x.text("commentaire", c)
				x.close(k.item)
				continue
			}
			x.empty(k.item, ref)
		}
		x.close(k.list)
	}
	if len(r.Parcours) > 0 {
		x.open("liste-parcours")
		if parcoursList(x, r.Parcours, func(p StudentParcours) (string, string) { return p.Code, p.Text }) == 0 {
			x.fail(fmt.Errorf("liste de parcours sans parcours connu"))
		}
		x.close("liste-parcours")
	}
}
