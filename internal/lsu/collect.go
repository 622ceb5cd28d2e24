package lsu

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sillage/sillage"
)

// Collect checks every selected student's reports (lsu.md "Checks and the
// report", formats-notes.md §1.6) and returns the plan of what can be
// exported, with a report of what blocks, what was fixed, what was left out
// and what LSU may still reject. The plan is nil when no file can be
// generated; the report then says why. Collect never fails otherwise: every
// problem is a report line.
func Collect(in *Input) (*Plan, *Report) {
	if in == nil {
		rep := &Report{Lines: []Line{}}
		rep.blockFile(PlaceExport, "aucune donnée à exporter", "choisissez des élèves et au moins une période ou les bilans de fin de cycle")
		return nil, rep
	}
	c := &collector{in: in, rep: &Report{Target: in.Target, Lines: []Line{}}}
	sp, err := resolve(in.Target)
	if err != nil {
		c.rep.blockFile(PlaceExport, sillage.Message(err), "choisissez une version de schéma proposée dans les paramètres de l'export")
		return nil, c.rep
	}
	c.sp = sp
	c.rep.Target = Target{Degree: sp.degree, Version: sp.version}
	c.plan = &Plan{Target: c.rep.Target}
	c.blockedStudents = map[*studentInfo]bool{}

	c.header()
	c.heads()
	c.directory()
	c.periods()
	c.subjects()
	c.teachers()
	c.elements()
	c.projects()
	c.students()
	c.reports()
	c.classSchoolLife()
	c.digitalCommons()
	return c.finish()
}

type collector struct {
	in   *Input
	sp   spec
	rep  *Report
	plan *Plan

	headOf    map[string]string // input head id → plan head id
	periodOf  map[string]*periodInfo
	subjectOf map[string]*subjectInfo
	teacherOf map[string]*teacherInfo
	elementOf map[string]string // input element id → plan element id
	projectOf map[string]*projectInfo
	groupOf   map[string]*groupInfo
	studentOf map[string]*studentInfo
	order     []*studentInfo // students in file order

	stsDivisions map[string]bool
	ondeClasses  map[string]bool

	blockedStudents map[*studentInfo]bool
}

type periodInfo struct {
	canon   string // plan period id
	label   string
	problem string // non-empty: the period cannot be exported
	period  Period
}

type subjectInfo struct {
	canon   string
	label   string
	problem string
	// Where the problem is fixed, when not by importing the nomenclature.
	place Place
	fix   string
	key   string // sort key of the canonical subject
}

type teacherInfo struct {
	canon string
	name  string
	ok    bool
}

type studentInfo struct {
	student  Student // cleaned
	name     string  // "NOM Prénom", for report lines
	division string  // division code or class label, for report lines
	blocked  bool
	exported bool
}

// where locates a report line: what it shows, and the local ids of the
// student and period a blocking line links to.
type where struct {
	student, division, period, subject string
	studentRef, periodRef              string
}

func (w where) line(k Kind, msg string) Line {
	return Line{Kind: k, Student: w.student, Division: w.division, Period: w.period, Subject: w.subject, Message: msg}
}

// block is a blocking line: what blocks, what to do, and where.
func (w where) block(place Place, msg, fix string) Line {
	l := w.line(Blocking, msg)
	l.Fix, l.Place = fix, place
	if place == PlaceReport || place == PlaceCycle {
		l.StudentRef = w.studentRef
	}
	if place == PlaceReport {
		l.PeriodRef = w.periodRef
	}
	return l
}

func (w where) fix(msg, before, after string) Line {
	l := w.line(Fixed, msg)
	l.Before, l.After = before, after
	return l
}

// lineBuf holds the lines of one report (or one student) until we know
// whether it is exported: the fixes of a blocked report are noise.
type lineBuf struct {
	lines   []Line
	blocked bool
}

func (b *lineBuf) add(l Line) {
	if l.Kind == Blocking {
		b.blocked = true
	}
	b.lines = append(b.lines, l)
}

// flush moves the buffered lines to the report: only the blocking ones when
// something blocks.
func (c *collector) flush(b *lineBuf) {
	for _, l := range b.lines {
		if !b.blocked || l.Kind == Blocking {
			c.rep.add(l)
		}
	}
	b.lines = b.lines[:0]
}

// text normalises a free text to what the schema accepts, recording each
// change: characters XML cannot carry, truncation to max characters, and
// the "-" written for a required text left empty.
func text(b *lineBuf, w where, field, s string, max int, required, multiline bool) string {
	out, removed := cleanText(s, multiline)
	if removed {
		b.add(w.fix(field+" : caractères non autorisés dans un fichier XML retirés", visible(s), out))
	}
	if cut, ok := truncate(out, max); ok {
		b.add(w.fix(fmt.Sprintf("%s tronqué à %d caractères (%d à l'origine)", field, max, utf8.RuneCountInString(out)), out, cut))
		out = cut
	}
	if out == "" && required {
		b.add(w.fix(field+" vide : « "+placeholder+" » écrit, LSU refuse un texte vide", "", placeholder))
		out = placeholder
	}
	return out
}

// visible shows a raw input value in the report: invalid bytes and
// characters XML forbids become U+FFFD.
func visible(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if !xmlChar(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func (c *collector) header() {
	var b lineBuf
	w := where{}
	def := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "Sillage"
		}
		return s
	}
	c.plan.Editor = text(&b, w, "éditeur", def(c.in.Editor), 50, true, false)
	c.plan.Application = text(&b, w, "application", def(c.in.Application), 50, true, false)
	if c.sp.degree == SecondDegree {
		c.plan.AppVersion = text(&b, w, "version de l'application", c.in.AppVersion, 50, false, false)
	}
	c.flush(&b)

	uai, err := sillage.ParseUAI(c.in.Establishment.UAI)
	if err != nil {
		c.rep.blockFile(PlaceImports, "établissement : "+sillage.Message(err), "importez un fichier SIECLE ou STS-web de l'établissement pour en établir l'UAI")
	}
	c.plan.UAI = string(uai)
	if c.in.YearRolledOver {
		c.rep.blockFile(PlaceRollover, "l'année scolaire a été basculée : l'export vers LSU n'est plus possible une fois l'année changée, LSU refuserait ces bilans",
			"aucune correction possible dans Sillage : les bilans de cette année se transmettent à LSU avant le changement d'année ; les PDF des bilans fermés restent dans les archives")
	}
}

// headLabel is the libellé of a head of establishment (2D), unique in a file.
func headLabel(h Head) string {
	return fit(h.FirstName+" "+h.LastName, 100, false, false)
}

// civility normalises a civility as LSU writes it, "" when unknown.
func civility(s string) string {
	switch strings.ToUpper(strings.TrimSpace(strings.TrimSuffix(s, "."))) {
	case "M", "MR", "MONSIEUR", "1":
		return "M"
	case "MME", "MLLE", "MADAME", "MADEMOISELLE", "2", "3":
		return "MME"
	}
	return ""
}

func (c *collector) heads() {
	c.headOf = map[string]string{}
	byKey := map[string]string{}
	var b lineBuf
	for _, h := range c.in.Establishment.Heads {
		w := where{}
		var key string
		clean := Head{ID: h.ID}
		if c.sp.degree == SecondDegree {
			clean.FirstName = fit(h.FirstName, 100, false, false)
			clean.LastName = fit(h.LastName, 100, false, false)
			clean.Civility = civility(h.Civility)
			// The libellé is what LSU shows; record its truncation.
			key = text(&b, w, "libellé du responsable d'établissement", clean.FirstName+" "+clean.LastName, 100, false, false)
			if key == "" {
				b.add(w.line(Ignored, "responsable d'établissement sans nom : non transmis"))
				continue
			}
		} else {
			name, _ := cleanText(h.FirstName+" "+h.LastName, false)
			clean.Civility = civility(h.Civility)
			if clean.Civility == "" {
				b.add(w.line(Ignored, fmt.Sprintf("directeur « %s » sans civilité (M ou MME) : non transmis", name)))
				continue
			}
			clean.LastName = text(&b, w, "nom du directeur", h.LastName, 100, true, false)
			clean.FirstName = text(&b, w, "prénom du directeur", h.FirstName, 100, true, false)
			key = clean.Civility + "\x00" + clean.LastName + "\x00" + clean.FirstName
		}
		if canon, ok := byKey[key]; ok {
			c.headOf[h.ID] = canon
			continue
		}
		byKey[key] = h.ID
		c.headOf[h.ID] = h.ID
		c.plan.Heads = append(c.plan.Heads, clean)
	}
	c.flush(&b)
	if len(c.plan.Heads) == 0 {
		if c.sp.degree == SecondDegree {
			c.rep.blockFile(PlaceAccounts, "aucun chef d'établissement", "renseignez le ou les responsables de l'établissement qui signent les bilans (import STS-web ou compte de direction)")
		} else {
			c.rep.blockFile(PlaceAccounts, "aucun directeur d'école", "renseignez le directeur (civilité, nom, prénom) qui signe les bilans")
		}
	}
}

func (c *collector) directory() {
	if c.sp.degree == SecondDegree {
		c.stsDivisions = map[string]bool{}
		for _, d := range c.in.Directory.STSDivisions {
			c.stsDivisions[d] = true
		}
		if len(c.stsDivisions) == 0 {
			c.rep.blockFile(PlaceImports, "aucune division issue d'un import STS-web", "importez le fichier STS-web de l'année avant d'exporter vers LSU")
		}
		return
	}
	c.ondeClasses = map[string]bool{}
	for _, id := range c.in.Directory.ONDEClassIDs {
		if n, ok := positiveInteger(id); ok {
			c.ondeClasses[n] = true
		}
	}
	if len(c.ondeClasses) == 0 {
		c.rep.blockFile(PlaceImports, "aucune classe issue d'un import ONDE", "importez le fichier ONDE de tous les élèves de l'école avant d'exporter vers LSU")
	}
}

// periodLabel names a period in report lines.
func periodLabel(p Period) string {
	var kind string
	switch p.Count {
	case 3:
		kind = "Trimestre"
	case 2:
		kind = "Semestre"
	default:
		kind = "Période"
	}
	return fmt.Sprintf("%s %d/%d %d-%d", kind, p.Index, p.Count, p.Year, p.Year+1)
}

func periodLess(a, b Period) int {
	return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Count, b.Count), cmp.Compare(a.Index, b.Index),
		cmp.Compare(day(a.Start), day(b.Start)), cmp.Compare(a.ID, b.ID))
}

func (c *collector) periods() {
	c.periodOf = map[string]*periodInfo{}
	ps := slices.Clone(c.in.Periods)
	slices.SortFunc(ps, periodLess)
	byKey := map[string]string{}
	for _, p := range ps {
		info := &periodInfo{canon: p.ID, label: periodLabel(p), period: p}
		c.periodOf[p.ID] = info
		w := where{period: info.label}
		switch {
		case p.Year < 1000 || p.Year > 9999:
			info.problem = fmt.Sprintf("millésime %d invalide (année de la rentrée sur 4 chiffres attendue)", p.Year)
		case p.Count < 1 || p.Index < 1 || p.Index > p.Count:
			info.problem = fmt.Sprintf("rang de période %d sur %d invalide", p.Index, p.Count)
		case !validDate(p.Start):
			info.problem = "date de début de période absente"
		case !validDate(p.End) && c.sp.degree == FirstDegree:
			info.problem = "date de fin de période absente"
		case validDate(p.End) && day(p.End) < day(p.Start):
			info.problem = fmt.Sprintf("la période finit le %s, avant son début le %s", sillage.DateOf(p.End).French(), sillage.DateOf(p.Start).French())
		}
		if info.problem != "" {
			continue // blocks the reports of this period, in their lines
		}
		if validDate(p.TermStart) && day(p.Start) < day(p.TermStart) {
			c.rep.add(w.line(Warning, fmt.Sprintf("la période commence le %s, avant la rentrée du %s : LSU risque de rejeter les élèves comme non scolarisés ; corrigez la date de début de la période",
				sillage.DateOf(p.Start).French(), sillage.DateOf(p.TermStart).French())))
		}
		key := fmt.Sprintf("%04d/%d/%d", p.Year, p.Index, p.Count)
		if c.sp.degree == FirstDegree {
			key += "/" + day(p.Start) + "/" + day(p.End)
		}
		if canon, ok := byKey[key]; ok {
			info.canon = canon
			c.rep.add(w.line(Warning, "période déclarée deux fois (même millésime, rang et nombre de périodes) : une seule est transmise"))
			continue
		}
		byKey[key] = p.ID
		c.plan.Periods = append(c.plan.Periods, p)
	}
}

// modalities accepted by LSU (10.0 and 7.0).
var modalities = []string{"S", "O", "F", "L", "R", "X", "D"}

func (c *collector) subjects() {
	c.subjectOf = map[string]*subjectInfo{}
	var b lineBuf
	byKey := map[string]*subjectInfo{}
	for _, s := range c.in.Subjects {
		label, _ := cleanText(s.Label, false)
		if label == "" {
			label = strings.TrimSpace(s.Code + s.DomainCode)
		}
		info := &subjectInfo{canon: s.ID, label: label}
		c.subjectOf[s.ID] = info
		w := where{subject: label}
		clean := Subject{ID: s.ID, Label: label}
		var key string
		if c.sp.degree == SecondDegree {
			clean.Code = strings.TrimSpace(s.Code)
			clean.Modality = strings.ToUpper(strings.TrimSpace(s.Modality))
			switch n := utf8.RuneCountInString(clean.Code); {
			case n == 0:
				info.problem = "matière non rattachée à un code matière SIECLE"
			case n != 6:
				info.problem = fmt.Sprintf("code matière SIECLE « %s » invalide : 6 caractères attendus", visible(clean.Code))
			}
			if info.problem == "" && clean.Modality == "N" {
				repl := strings.ToUpper(strings.TrimSpace(c.in.Config.ModalityN))
				if slices.Contains(modalities, repl) {
					b.add(w.fix("modalité d'élection N (obligatoire ou facultative) refusée par LSU : remplacée selon la configuration", "N", repl))
					clean.Modality = repl
				} else {
					info.problem = "modalité d'élection N refusée par LSU et aucune modalité de remplacement valide (S, O, F, L, R, X ou D) n'est configurée"
					info.place, info.fix = PlaceSettings, "choisissez la modalité qui remplace N dans les paramètres de l'export"
				}
			}
			if info.problem == "" && !slices.Contains(modalities, clean.Modality) {
				info.problem = fmt.Sprintf("modalité d'élection « %s » inconnue de LSU (S, O, F, L, R, X ou D)", visible(clean.Modality))
			}
			if nc := strings.TrimSpace(s.NationalCode); nc != "" {
				if utf8.RuneCountInString(nc) == 6 {
					clean.NationalCode = nc
				} else {
					b.add(w.line(Ignored, fmt.Sprintf("code matière national « %s » invalide (6 caractères attendus) : non transmis", visible(nc))))
				}
			}
			clean.Label = text(&b, w, "libellé de la matière", s.Label, c.sp.limits.SubjectLabel, true, false)
			key = clean.Code + "\x00" + clean.Modality
		} else {
			clean.DomainCode = strings.TrimSpace(s.DomainCode)
			if utf8.RuneCountInString(clean.DomainCode) != 7 {
				info.problem = "matière non rattachée à un domaine LSU du 1er degré (code de 7 caractères, par exemple FRA-RAC)"
				info.place, info.fix = PlaceReport, "saisissez ce résultat dans l'un des domaines LSU proposés par la saisie du Livret scolaire"
			}
			key = clean.DomainCode
		}
		if info.problem != "" {
			continue // blocks the students who have this subject, in their lines
		}
		info.key = key
		if first, ok := byKey[key]; ok {
			info.canon = first.canon
			b.add(w.line(Warning, fmt.Sprintf("matière déclarée deux fois avec le même code et la même modalité (aussi « %s ») : une seule est transmise ; un élève noté dans les deux est bloqué", first.label)))
			continue
		}
		byKey[key] = info
		c.plan.Subjects = append(c.plan.Subjects, clean)
	}
	// File-level lines are not student reports: keep them all.
	for _, l := range b.lines {
		c.rep.add(l)
	}
}

// Teacher types LSU accepts.
var teacherTypes = []string{"epp", "local", "dir", "autre"}

// substituteSTSID derives a stable stand-in id-sts for a teacher STS-web
// does not know: 10.0 requires a positive integer, and OENT writes one with
// type "autre" in that case. Hashing the local id keeps it the same from
// one export to the next; 9 digits starting with 9 stay clear of the short
// ids STS hands out.
func substituteSTSID(localID string, taken map[string]bool) string {
	h := fnv.New32a()
	h.Write([]byte(localID))
	n := 900000000 + int(h.Sum32()%100000000)
	for {
		id := strconv.Itoa(n)
		if !taken["autre\x00"+id] {
			return id
		}
		n++
		if n > 999999999 {
			n = 900000000
		}
	}
}

func teacherName(t Teacher) string {
	name, _ := cleanText(t.LastName+" "+t.FirstName, false)
	if name == "" {
		return "sans nom"
	}
	return name
}

// displayName names a student in report lines: "NOM Prénom", on one line.
func displayName(s Student) string {
	name, _ := cleanText(s.LastName+" "+s.FirstName, false)
	if name == "" {
		return "élève sans nom (identifiant local " + s.ID + ")"
	}
	return name
}

func (c *collector) teachers() {
	c.teacherOf = map[string]*teacherInfo{}
	var b lineBuf
	byKey := map[string]string{}
	taken := map[string]bool{}
	type pending struct {
		clean Teacher
		info  *teacherInfo
		w     where
		orig  string
	}
	var needID []pending
	add := func(clean Teacher, info *teacherInfo, key string) {
		if canon, ok := byKey[key]; ok {
			info.canon = canon
			return
		}
		byKey[key] = clean.ID
		taken[key] = true
		c.plan.Teachers = append(c.plan.Teachers, clean)
	}
	for _, t := range c.in.Teachers {
		name := teacherName(t)
		info := &teacherInfo{canon: t.ID, name: name, ok: true}
		c.teacherOf[t.ID] = info
		w := where{subject: "enseignant " + name}
		clean := Teacher{ID: t.ID, Civility: civility(t.Civility)}
		if c.sp.degree == FirstDegree {
			if clean.Civility == "" {
				info.ok = false
				b.add(w.line(Ignored, "enseignant sans civilité (M ou MME), obligatoire au 1er degré : non transmis"))
				continue
			}
			clean.LastName = text(&b, w, "nom de l'enseignant", t.LastName, 100, true, false)
			clean.FirstName = text(&b, w, "prénom de l'enseignant", t.FirstName, 100, true, false)
			add(clean, info, clean.Civility+"\x00"+clean.LastName+"\x00"+clean.FirstName)
			continue
		}
		if t.Civility != "" && clean.Civility == "" {
			b.add(w.line(Ignored, fmt.Sprintf("civilité « %s » inconnue (M ou MME) : non transmise", visible(t.Civility))))
		}
		clean.LastName = text(&b, w, "nom de l'enseignant", t.LastName, 100, false, false)
		clean.FirstName = text(&b, w, "prénom de l'enseignant", t.FirstName, 100, false, false)
		raw := strings.TrimSpace(t.STSID)
		if len(raw) > 1 && (raw[0] == 'P' || raw[0] == 'p') {
			raw = raw[1:] // Gepi's NUMIND form "P1234"
		}
		id, ok := positiveInteger(raw)
		if !ok {
			needID = append(needID, pending{clean: clean, info: info, w: w, orig: strings.TrimSpace(t.STSID)})
			continue
		}
		clean.STSID = id
		clean.STSType = strings.ToLower(strings.TrimSpace(t.STSType))
		if !slices.Contains(teacherTypes, clean.STSType) {
			b.add(w.fix("type STS-web de l'enseignant absent ou inconnu : « epp » (personnel de l'Éducation nationale) écrit", visible(t.STSType), "epp"))
			clean.STSType = "epp"
		}
		add(clean, info, clean.STSType+"\x00"+clean.STSID)
	}
	// Teachers without an STS id come last so that their stand-in ids never
	// take the place of a real one.
	for _, p := range needID {
		p.clean.STSType = "autre"
		p.clean.STSID = substituteSTSID(p.clean.ID, taken)
		before := p.orig
		if before == "" {
			before = "(aucun)"
		}
		b.add(p.w.fix("enseignant sans identifiant STS-web valide : écrit avec le type « autre » et un identifiant de substitution (LSU ne le rapprochera pas de STS-web ; importez STS-web pour le corriger)",
			before, "autre "+p.clean.STSID))
		add(p.clean, p.info, "autre\x00"+p.clean.STSID)
	}
	for _, l := range b.lines {
		c.rep.add(l)
	}
}

func (c *collector) elements() {
	c.elementOf = map[string]string{}
	var b lineBuf
	byLabel := map[string]string{}
	for _, e := range c.in.Elements {
		label := text(&b, where{subject: "élément de programme"}, "libellé de l'élément de programme", e.Label, c.sp.limits.Element, true, false)
		if canon, ok := byLabel[label]; ok {
			// LSU requires unique labels; two local elements with one
			// label are one element for LSU.
			c.elementOf[e.ID] = canon
			continue
		}
		byLabel[label] = e.ID
		c.elementOf[e.ID] = e.ID
		c.plan.Elements = append(c.plan.Elements, ProgrammeElement{ID: e.ID, Label: label})
	}
	for _, l := range b.lines {
		c.rep.add(l)
	}
}

// studentKey orders students in the file: by division or class, then name.
func (c *collector) studentKey(s Student) []string {
	if c.sp.degree == FirstDegree {
		return []string{s.ClassLabel, s.ClassID, s.LastName, s.FirstName, s.ID}
	}
	return []string{s.Division, s.LastName, s.FirstName, s.ID}
}

func (c *collector) students() {
	c.studentOf = map[string]*studentInfo{}
	infos := make([]*studentInfo, 0, len(c.in.Students))
	bufs := map[*studentInfo]*lineBuf{}
	idCount := map[string]int{}
	for _, s := range c.in.Students {
		name := displayName(s)
		info := &studentInfo{name: name, division: s.Division}
		if c.sp.degree == FirstDegree {
			info.division = fit(s.ClassLabel, c.sp.limits.ClassLabel, false, false)
		}
		w := where{student: name, division: info.division, studentRef: s.ID}
		b := &lineBuf{}
		clean := Student{ID: s.ID, EntryDate: s.EntryDate, Level: strings.TrimSpace(s.Level)}
		clean.LastName = text(b, w, "nom de l'élève", s.LastName, c.sp.limits.Name, true, false)
		clean.FirstName = text(b, w, "prénom de l'élève", s.FirstName, c.sp.limits.Name, true, false)
		if c.sp.degree == SecondDegree {
			clean.Division = s.Division
			clean.EleveID = strings.TrimSpace(s.EleveID)
			switch {
			case clean.EleveID == "":
				b.add(w.block(PlaceImports, "élève sans identifiant SIECLE (ELEVE_ID)", "refaites l'import SIECLE ; LSU identifie l'élève par cet identifiant, jamais par l'INE"))
			case c.sp.idBeInteger:
				if n, ok := positiveInteger(clean.EleveID); ok {
					clean.EleveID = n
				} else {
					b.add(w.block(PlaceImports, "identifiant SIECLE (ELEVE_ID) non numérique : le schéma "+c.sp.version+" exige un entier", "refaites l'import SIECLE avec le fichier de SIECLE lui-même"))
				}
			default:
				if v, _ := cleanText(clean.EleveID, false); v != clean.EleveID || utf8.RuneCountInString(v) > 50 {
					b.add(w.block(PlaceImports, "identifiant SIECLE (ELEVE_ID) invalide : caractères non autorisés ou plus de 50 caractères", "refaites l'import SIECLE avec le fichier de SIECLE lui-même"))
				}
			}
			switch n := utf8.RuneCountInString(s.Division); {
			case strings.TrimSpace(s.Division) == "":
				b.add(w.block(PlaceImports, "élève sans division", "importez le fichier SIECLE de l'année, qui place l'élève dans sa division"))
			case n > c.sp.limits.Division:
				b.add(w.block(PlaceImports, fmt.Sprintf("code de division de %d caractères : LSU en accepte %d au plus", n, c.sp.limits.Division), "raccourcissez le code de la division dans STS-web et SIECLE, puis réimportez-les"))
			case !c.stsDivisions[s.Division]:
				b.add(w.block(PlaceImports, fmt.Sprintf("la division « %s » est absente du dernier import STS-web", visible(s.Division)), "importez le fichier STS-web de l'année, ou corrigez la division de l'élève dans SIECLE et réimportez"))
			}
		} else {
			clean.ClassLabel = text(b, w, "libellé de la classe", s.ClassLabel, c.sp.limits.ClassLabel, false, false)
			// The messages of ident never hold the INE itself.
			ine, _, err := s.INE.Check()
			switch {
			case s.INE.IsZero():
				b.add(w.block(PlaceExport, "INE absent", "déposez avec l'export le dernier fichier ONDE de l'école, qui donne l'INE de l'élève"))
			case err != nil:
				b.add(w.block(PlaceExport, "INE invalide ("+sillage.Message(err)+")", "vérifiez l'INE de l'élève dans ONDE et déposez une nouvelle extraction avec l'export"))
			}
			clean.INE = ine
			classID, ok := positiveInteger(s.ClassID)
			switch {
			case strings.TrimSpace(s.ClassID) == "":
				b.add(w.block(PlaceImports, "élève sans identifiant de classe ONDE", "importez le fichier ONDE de tous les élèves de l'école"))
			case !ok:
				b.add(w.block(PlaceImports, fmt.Sprintf("identifiant de classe ONDE « %s » invalide : un nombre est attendu", visible(s.ClassID)), "importez l'extraction ONDE elle-même (CSVExtraction.csv)"))
			case !c.ondeClasses[classID]:
				b.add(w.block(PlaceImports, fmt.Sprintf("la classe d'identifiant ONDE %s est absente du dernier import ONDE", classID), "importez le fichier ONDE de tous les élèves de l'école"))
			}
			clean.ClassID = classID
		}
		clean.Guardians = c.guardians(b, w, s.Guardians)
		info.student = clean
		idCount[s.ID]++
		if idCount[s.ID] > 1 {
			b.add(w.block(PlaceExport, "élève présent deux fois dans l'export (même identifiant local)", "relancez l'export : l'élève ne doit y figurer qu'une fois"))
		} else {
			c.studentOf[s.ID] = info
		}
		bufs[info] = b
		infos = append(infos, info)
	}

	// Identifiers LSU requires unique: every student sharing one is blocked,
	// since we cannot tell which one is right.
	shared := map[string]int{}
	keyOf := func(s Student) string {
		if c.sp.degree == FirstDegree {
			return s.INE.Value()
		}
		return s.EleveID
	}
	for _, info := range infos {
		if k := keyOf(info.student); k != "" {
			shared[k]++
		}
	}
	for _, info := range infos {
		if k := keyOf(info.student); k != "" && shared[k] > 1 {
			w := where{student: info.name, division: info.division, studentRef: info.student.ID}
			if c.sp.degree == FirstDegree {
				bufs[info].add(w.block(PlaceExport, "INE partagé avec un autre élève de l'export", "vérifiez les INE des deux élèves dans ONDE et déposez une nouvelle extraction avec l'export"))
			} else {
				bufs[info].add(w.block(PlaceImports, "identifiant SIECLE (ELEVE_ID) partagé avec un autre élève de l'export", "refaites l'import SIECLE"))
			}
		}
	}

	slices.SortStableFunc(infos, func(a, b *studentInfo) int {
		return slices.Compare(c.studentKey(a.student), c.studentKey(b.student))
	})
	for _, info := range infos {
		b := bufs[info]
		info.blocked = b.blocked
		if b.blocked {
			c.blockedStudents[info] = true
		}
		c.flush(b) // in file order; a blocked student keeps only blocking lines
		if c.studentOf[info.student.ID] == info {
			c.order = append(c.order, info)
		}
	}
}

func (c *collector) reports() {
	periodic := map[string][]PeriodicReport{}
	cycles := map[string][]CycleReport{}
	var unknown []string
	for _, r := range c.in.Periodic {
		if _, ok := c.studentOf[r.StudentID]; !ok {
			unknown = append(unknown, r.StudentID)
			continue
		}
		periodic[r.StudentID] = append(periodic[r.StudentID], r)
	}
	for _, r := range c.in.Cycles {
		if _, ok := c.studentOf[r.StudentID]; !ok {
			unknown = append(unknown, r.StudentID)
			continue
		}
		cycles[r.StudentID] = append(cycles[r.StudentID], r)
	}
	slices.Sort(unknown)
	for _, id := range slices.Compact(unknown) {
		c.rep.add(where{student: "identifiant local " + id}.block(PlaceExport, "bilan d'un élève absent de la liste des élèves de l'export",
			"relancez l'export en choisissant l'élève, sa division ou son niveau"))
	}

	for _, info := range c.order {
		w := where{student: info.name, division: info.division}
		ps, cs := periodic[info.student.ID], cycles[info.student.ID]
		if info.blocked {
			continue // the blocking lines are already there
		}
		if len(ps)+len(cs) == 0 {
			c.rep.add(w.line(Ignored, "aucun bilan à exporter pour cet élève"))
			continue
		}
		slices.SortStableFunc(ps, func(a, b PeriodicReport) int {
			pa, pb := c.periodOf[a.PeriodID], c.periodOf[b.PeriodID]
			switch {
			case pa == nil && pb == nil:
				return cmp.Compare(a.PeriodID, b.PeriodID)
			case pa == nil:
				return 1
			case pb == nil:
				return -1
			}
			return periodLess(pa.period, pb.period)
		})
		slices.SortStableFunc(cs, func(a, b CycleReport) int { return cmp.Compare(a.Cycle, b.Cycle) })
		seenPeriod := map[string]bool{}
		for _, r := range ps {
			if out, ok := c.periodic(info, r, seenPeriod); ok {
				c.plan.Periodic = append(c.plan.Periodic, out)
				info.exported = true
			} else {
				c.blockedStudents[info] = true
			}
		}
		seenCycle := map[int]bool{}
		for _, r := range cs {
			if out, ok := c.cycle(info, r, seenCycle); ok {
				c.plan.Cycles = append(c.plan.Cycles, out)
				info.exported = true
			} else {
				c.blockedStudents[info] = true
			}
		}
		if info.exported {
			c.plan.Students = append(c.plan.Students, info.student)
		}
	}
}

// head resolves the head of establishment a report names.
func (c *collector) head(b *lineBuf, w where, id string) string {
	if id == "" {
		return c.defaultHead()
	}
	if canon, ok := c.headOf[id]; ok {
		return canon
	}
	def := c.defaultHead()
	b.add(w.fix("responsable d'établissement du bilan inconnu ou non transmis : le premier responsable est indiqué", "", c.headName(def)))
	return def
}

func (c *collector) defaultHead() string {
	if len(c.plan.Heads) == 0 {
		return ""
	}
	return c.plan.Heads[0].ID
}

func (c *collector) headName(id string) string {
	for _, h := range c.plan.Heads {
		if h.ID == id {
			return strings.TrimSpace(h.FirstName + " " + h.LastName)
		}
	}
	return ""
}

// teacherRefs resolves teacher ids, dropping the unknown ones with a line.
func (c *collector) teacherRefs(b *lineBuf, w where, ids []string, role string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		t, ok := c.teacherOf[id]
		if !ok || !t.ok {
			name := "inconnu (identifiant local " + id + ")"
			if ok {
				name = t.name
			}
			b.add(w.line(Ignored, fmt.Sprintf("%s %s non transmis", role, name)))
			continue
		}
		if !slices.Contains(out, t.canon) {
			out = append(out, t.canon)
		}
	}
	if len(out) == 0 {
		return nil // no list rather than an empty one, as before
	}
	return out
}

func (c *collector) elementRefs(b *lineBuf, w where, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		canon, ok := c.elementOf[id]
		if !ok {
			b.add(w.line(Ignored, "élément de programme inconnu (identifiant local "+id+") non transmis"))
			continue
		}
		if !slices.Contains(out, canon) {
			out = append(out, canon)
		}
	}
	if len(out) == 0 {
		return nil // no list rather than an empty one, as before
	}
	return out
}

// schoolingDate is date-scolarite: the later of the entry date and the
// period start (Gepi's rule; SACoche clamps the same way).
func schoolingDate(s Student, p Period) time.Time {
	if validDate(s.EntryDate) && day(s.EntryDate) > day(p.Start) {
		return s.EntryDate
	}
	return p.Start
}

func (c *collector) periodic(info *studentInfo, r PeriodicReport, seen map[string]bool) (PeriodicReport, bool) {
	b := &lineBuf{}
	defer c.flush(b)
	w := where{student: info.name, division: info.division, studentRef: r.StudentID, periodRef: r.PeriodID}
	pinfo, ok := c.periodOf[r.PeriodID]
	if !ok {
		w.period = "période inconnue (identifiant local " + r.PeriodID + ")"
		b.add(w.block(PlaceExport, "bilan périodique d'une période absente de l'export", "relancez l'export en cochant la période de ce bilan"))
		return PeriodicReport{}, false
	}
	w.period = pinfo.label
	if pinfo.problem != "" {
		b.add(w.block(PlacePeriods, "période invalide : "+pinfo.problem, "corrigez la période (rang, dates) sur la page des périodes"))
		return PeriodicReport{}, false
	}
	period := c.periodOf[pinfo.canon].period
	if seen[pinfo.canon] {
		b.add(w.block(PlacePeriods, "deux bilans périodiques pour la même période : un seul peut être transmis",
			"supprimez la période déclarée deux fois (même rang) sur la page des périodes, ou n'exportez que l'une des deux"))
		return PeriodicReport{}, false
	}
	seen[pinfo.canon] = true

	out := PeriodicReport{StudentID: r.StudentID, PeriodID: pinfo.canon, State: Closed, ClosedAt: r.ClosedAt}
	if r.State != Closed {
		b.add(w.block(PlaceReport, "bilan non fermé", "complétez le bilan et fermez-le avant l'export"))
	} else if !validDate(r.ClosedAt) {
		b.add(w.block(PlaceReport, "bilan fermé sans date de fermeture", "rouvrez le bilan puis fermez-le de nouveau"))
	}
	out.CouncilDate = r.CouncilDate
	if !validDate(r.CouncilDate) && validDate(r.ClosedAt) {
		// LSU shows this date as the date the report came up; SACoche
		// and Gepi use the last closing date when there is none.
		msg := "date du conseil de classe absente : date de la dernière fermeture du bilan écrite"
		if c.sp.degree == FirstDegree {
			msg = "date de création du bilan absente : date de la dernière fermeture du bilan écrite"
		}
		// The closing is an instant; the council date is the schools'
		// calendar day it fell on, as the file's other dates are.
		out.CouncilDate = sillage.Today(r.ClosedAt).Time()
		b.add(w.fix(msg, "", sillage.DateOf(out.CouncilDate).French()))
	}
	scol := schoolingDate(info.student, period)
	if validDate(info.student.EntryDate) && day(period.Start) < day(info.student.EntryDate) {
		b.add(w.line(Warning, fmt.Sprintf("la période commence le %s, avant l'entrée de l'élève le %s : la date de scolarité transmise est celle de l'entrée",
			sillage.DateOf(period.Start).French(), sillage.DateOf(info.student.EntryDate).French())))
	}
	if validDate(out.CouncilDate) && day(out.CouncilDate) < day(scol) {
		b.add(w.line(Warning, fmt.Sprintf("conseil de classe du %s antérieur à la date de scolarité (%s)", sillage.DateOf(out.CouncilDate).French(), sillage.DateOf(scol).French())))
	}
	out.HeadID = c.head(b, w, r.HeadID)
	role := "professeur principal"
	if c.sp.degree == FirstDegree {
		role = "enseignant de la classe"
	}
	out.HeadTeacherIDs = c.teacherRefs(b, w, r.HeadTeacherIDs, role)

	out.Subjects = c.subjectResults(b, w, r.Subjects)
	if len(out.Subjects) == 0 && !b.blocked {
		b.add(w.block(PlaceReport, "aucune matière à transmettre : LSU exige au moins un acquis par bilan", "saisissez au moins une matière (moyenne ou positionnement) dans ce bilan"))
	}
	field := "appréciation générale"
	out.GeneralAppreciation = text(b, w, field, r.GeneralAppreciation, c.sp.limits.GeneralAppreciation, true, true)
	if c.sp.degree == SecondDegree {
		out.SchoolLife = c.schoolLife(b, w, r.SchoolLife)
	}
	out.Support = c.support(b, w, r.Support)
	out.Projects, out.Parcours = c.reportProjects(b, w, r)
	c.periodicMore(b, w, r, &out)
	c.digitalSkills(b, w, info, r, &out)
	if c.sp.degree == FirstDegree && len(teachers1D(out.HeadTeacherIDs, out.Subjects)) == 0 {
		b.add(w.block(PlaceReport, "aucun enseignant pour ce bilan : le 1er degré exige au moins un enseignant", "indiquez l'enseignant de la classe ou d'un domaine du bilan"))
	}
	return out, !b.blocked
}

// teachers1D is the enseignant-refs of a 1st-degree periodic report: the
// class teachers and every teacher of a subject.
func teachers1D(head []string, results []SubjectResult) []string {
	out := slices.Clone(head)
	for _, r := range results {
		for _, t := range r.TeacherIDs {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func (c *collector) subjectResults(b *lineBuf, rw where, results []SubjectResult) []SubjectResult {
	type kept struct {
		key string
		r   SubjectResult
	}
	out := make([]kept, 0, len(results))
	seen := make(map[string]bool, len(results))
	var otherMode []string
	mode := c.in.Config.Positioning
	if mode == "" {
		mode = ModeAverages
	}
	for _, r := range results {
		w := rw
		sinfo, ok := c.subjectOf[r.SubjectID]
		if !ok {
			w.subject = "matière inconnue (identifiant local " + r.SubjectID + ")"
			b.add(w.block(PlaceReport, "matière absente de l'export", "retirez la matière du bilan ou réimportez la nomenclature SIECLE qui la déclare"))
			continue
		}
		w.subject = sinfo.label
		if sinfo.problem != "" {
			if sinfo.place == "" {
				b.add(w.block(PlaceImports, sinfo.problem, "reliez la matière à la nomenclature : importez la nomenclature SIECLE (matières et modalités d'élection) de l'année"))
			} else {
				b.add(w.block(sinfo.place, sinfo.problem, sinfo.fix))
			}
			continue
		}
		canon := c.subjectOf[sinfo.canon]
		if seen[sinfo.canon] {
			b.add(w.block(PlaceReport, "la matière apparaît deux fois dans le bilan (même code et même modalité) : LSU n'en accepte qu'une", "ne gardez qu'une ligne pour cette matière dans le bilan"))
			continue
		}
		seen[sinfo.canon] = true
		res, keep := c.subjectResult(b, w, r)
		if !keep {
			continue
		}
		res.SubjectID = sinfo.canon
		if c.sp.degree == SecondDegree &&
			((mode == ModeAverages && res.Average == nil && res.Positioning != 0) ||
				(mode == ModePositioning && res.Positioning == 0 && res.Average != nil)) {
			otherMode = append(otherMode, sinfo.label)
		}
		out = append(out, kept{key: canon.key, r: res})
	}
	if len(otherMode) > 0 {
		declared := "moyennes sur 20"
		used := "positionnements"
		if mode == ModePositioning {
			declared, used = "positionnements", "moyennes"
		}
		b.add(rw.line(Warning, fmt.Sprintf("%s en %s alors que l'établissement a déclaré des %s dans LSU (qui attend des moyennes sur 20 par défaut) : LSU les ignorera si son paramétrage diffère (%s)",
			plural(len(otherMode), "matière évaluée", "matières évaluées"), used, declared, strings.Join(otherMode, ", "))))
	}
	slices.SortStableFunc(out, func(a, b kept) int { return cmp.Compare(a.key, b.key) })
	rs := make([]SubjectResult, len(out))
	for i, k := range out {
		rs[i] = k.r
	}
	return rs
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

var statusLabels = map[EvaluationStatus]string{NotGraded: "non noté", Pending: "en attente", Exempt: "dispensé"}

// subjectResult checks one subject line; keep is false when the line is
// left out (with an Ignored line) or blocks (with a Blocking line).
func (c *collector) subjectResult(b *lineBuf, w where, r SubjectResult) (SubjectResult, bool) {
	out := SubjectResult{Positioning: r.Positioning}
	if r.Positioning < 0 || r.Positioning > 4 {
		b.add(w.block(PlaceReport, fmt.Sprintf("positionnement %d invalide : 1 à 4 attendu", r.Positioning), "saisissez un positionnement de 1 à 4 pour cette matière"))
		return out, false
	}
	out.ElementIDs = c.elementRefs(b, w, r.ElementIDs)
	out.TeacherIDs = c.teacherRefs(b, w, r.TeacherIDs, "enseignant")

	if c.sp.degree == FirstDegree {
		if r.Average != nil || r.StructureAverage != nil || r.Status != NoStatus || r.StructureStatus != NoStatus {
			b.add(w.line(Ignored, "moyennes et statuts d'évaluation non transmis au 1er degré (positionnement seulement)"))
		}
		out.NotEvaluated = r.NotEvaluated
		if r.NotEvaluated && !c.sp.nonEvalue {
			b.add(w.line(Ignored, "mention « non évalué » non transmise : le schéma 1.0 ne la connaît pas"))
			out.NotEvaluated = false
		}
		var ok bool
		if out.SubDomains, ok = c.subDomains(b, w, r.SubDomains); !ok {
			return out, false
		}
		out.Appreciation = text(b, w, "appréciation", r.Appreciation, c.sp.limits.Appreciation, false, true)
		if out.Positioning == 0 && !out.NotEvaluated && len(out.SubDomains) == 0 && out.Appreciation == "" && len(out.ElementIDs) == 0 {
			b.add(w.line(Ignored, "domaine sans positionnement ni appréciation : non transmis"))
			return out, false
		}
		return out, true
	}

	if r.Status < NoStatus || r.Status > Exempt {
		b.add(w.block(PlaceReport, fmt.Sprintf("statut d'évaluation %d invalide", r.Status), "choisissez non noté, en attente ou dispensé pour cette matière, ou saisissez une note"))
		return out, false
	}
	out.Status = r.Status
	if r.Average != nil {
		v := *r.Average
		if !validMark(v) {
			b.add(w.block(PlaceReport, "moyenne "+frMark(v)+" hors de l'intervalle 0 à 20", "saisissez une moyenne de 0 à 20 pour cette matière"))
			return out, false
		}
		if out.Status != NoStatus {
			b.add(w.line(Ignored, fmt.Sprintf("moyenne %s non transmise : l'élève est déclaré %s dans cette matière", frMark(v), statusLabels[out.Status])))
		} else {
			v = roundMark(v)
			out.Average = &v
		}
	}
	if r.StructureStatus == NotGraded || r.StructureStatus == Pending {
		out.StructureStatus = r.StructureStatus
	} else if r.StructureStatus != NoStatus {
		b.add(w.line(Ignored, fmt.Sprintf("statut d'évaluation de la classe %d invalide : non transmis", r.StructureStatus)))
	}
	if r.StructureAverage != nil {
		v := *r.StructureAverage
		switch {
		case !validMark(v):
			b.add(w.line(Ignored, "moyenne de la classe "+frMark(v)+" hors de l'intervalle 0 à 20 : non transmise"))
		case out.StructureStatus != NoStatus:
			b.add(w.line(Ignored, "moyenne de la classe non transmise : la classe est déclarée "+statusLabels[out.StructureStatus]))
		default:
			v = roundMark(v)
			out.StructureAverage = &v
		}
	}
	graded := out.Average != nil || out.Positioning != 0
	appreciation, _ := cleanText(r.Appreciation, true)
	if !graded && out.Status == NoStatus && appreciation == "" {
		b.add(w.line(Ignored, "matière sans moyenne, positionnement, statut ni appréciation : non transmise"))
		return out, false
	}
	if len(out.TeacherIDs) == 0 {
		b.add(w.block(PlaceReport, "matière sans enseignant transmissible : LSU exige au moins un enseignant par matière",
			"indiquez l'enseignant de la matière (issu de STS-web) dans la saisie de la classe"))
		return out, false
	}
	// SACoche writes "-" when a graded subject has no appreciation: LSU
	// expects one with every mark or positioning.
	out.Appreciation = text(b, w, "appréciation", r.Appreciation, c.sp.limits.Appreciation, graded, true)
	return out, true
}

// subDomains checks the sub-domains of a 1st-degree domain; ok is false
// when one blocks the report.
func (c *collector) subDomains(b *lineBuf, w where, subs []SubDomainResult) (out []SubDomainResult, ok bool) {
	ok = true
	seen := map[string]bool{}
	for _, s := range subs {
		code := strings.TrimSpace(s.Code)
		if utf8.RuneCountInString(code) != 7 {
			b.add(w.line(Ignored, fmt.Sprintf("sous-domaine « %s » invalide (code de 7 caractères attendu) : non transmis", visible(code))))
			continue
		}
		if seen[code] {
			b.add(w.line(Ignored, fmt.Sprintf("sous-domaine %s en double : un seul transmis", code)))
			continue
		}
		if s.Positioning < 0 || s.Positioning > 4 {
			b.add(w.block(PlaceReport, fmt.Sprintf("positionnement %d du sous-domaine %s invalide : 1 à 4 attendu", s.Positioning, code), "saisissez un positionnement de 1 à 4 pour ce sous-domaine"))
			ok = false
			continue
		}
		seen[code] = true
		sd := SubDomainResult{Code: code, Positioning: s.Positioning, ElementIDs: c.elementRefs(b, w, s.ElementIDs), NotEvaluated: s.NotEvaluated && c.sp.nonEvalue}
		out = append(out, sd)
	}
	return out, ok
}

// counter reads one school-life counter: missing and negative counts
// become 0, and LSU caps them at 999.
func counter(b *lineBuf, w where, field string, v *int) int {
	switch {
	case v == nil:
		b.add(w.fix(field+" non renseigné : 0 écrit", "", "0"))
		return 0
	case *v < 0:
		b.add(w.fix(field+" négatif : 0 écrit", strconv.Itoa(*v), "0"))
		return 0
	case *v > 999:
		b.add(w.fix(field+" supérieur au maximum de LSU : 999 écrit", strconv.Itoa(*v), "999"))
		return 999
	}
	return *v
}

func (c *collector) schoolLife(b *lineBuf, w where, sl *SchoolLife) *SchoolLife {
	if sl == nil {
		b.add(w.fix("vie scolaire non renseignée : retards et absences écrits 0", "", "0"))
		return &SchoolLife{Late: new(int), Absences: new(int), Unjustified: new(int), MissedHours: new(int)}
	}
	late := counter(b, w, "nombre de retards", sl.Late)
	abs := counter(b, w, "nombre d'absences", sl.Absences)
	unj := counter(b, w, "nombre d'absences non justifiées", sl.Unjustified)
	hours := counter(b, w, "nombre d'heures manquées", sl.MissedHours)
	if unj > abs {
		b.add(w.fix(fmt.Sprintf("absences non justifiées (%d) supérieures au total des absences (%d) : ramenées au total", unj, abs),
			strconv.Itoa(unj), strconv.Itoa(abs)))
		unj = abs
	}
	return &SchoolLife{
		Late: &late, Absences: &abs, Unjustified: &unj, MissedHours: &hours,
		Comment: text(b, w, "commentaire de vie scolaire", sl.Comment, c.sp.limits.Comment, false, true),
	}
}

func (c *collector) support(b *lineBuf, w where, ms []SupportMeasure) []SupportMeasure {
	var out []SupportMeasure
	for _, m := range ms {
		code := strings.ToUpper(strings.TrimSpace(m.Code))
		if !slices.Contains(c.sp.supportCodes, code) {
			b.add(w.line(Ignored, fmt.Sprintf("modalité d'accompagnement « %s » inconnue au %s (%s) : non transmise",
				visible(code), c.sp.degree.label(), strings.Join(c.sp.supportCodes, ", "))))
			continue
		}
		if slices.ContainsFunc(out, func(o SupportMeasure) bool { return o.Code == code }) {
			continue // the same measure twice says nothing more
		}
		sm := SupportMeasure{Code: code}
		if code == "PPRE" {
			sm.PPREComplement = text(b, w, "complément PPRE", m.PPREComplement, c.sp.limits.Comment, false, true)
		} else if strings.TrimSpace(m.PPREComplement) != "" {
			b.add(w.line(Ignored, "complément de la modalité "+code+" non transmis : LSU n'en prévoit que pour le PPRE"))
		}
		out = append(out, sm)
	}
	slices.SortFunc(out, func(a, b SupportMeasure) int {
		return cmp.Compare(slices.Index(c.sp.supportCodes, a.Code), slices.Index(c.sp.supportCodes, b.Code))
	})
	return out
}

// End-of-cycle option codes (10.0 and 7.0).
var (
	complementCodes = []string{"AUC", "LCA", "LCE", "LCR", "CHK", "PRO", "LSF", "LVE"}
	regionalCodes   = []string{"AUC", "BAQ", "BRE", "CAT", "COS", "CPF", "FUD", "GAL", "GSW", "MEL", "MOL", "OCI", "TAH", "WLS"}
)

func (c *collector) cycle(info *studentInfo, r CycleReport, seen map[int]bool) (CycleReport, bool) {
	b := &lineBuf{}
	defer c.flush(b)
	w := where{student: info.name, division: info.division, period: fmt.Sprintf("Fin de cycle %d", r.Cycle), studentRef: r.StudentID}
	out := CycleReport{StudentID: r.StudentID, Cycle: r.Cycle, Year: r.Year, State: Closed, ClosedAt: r.ClosedAt}

	valid := []int{3, 4}
	if c.sp.degree == FirstDegree {
		valid = []int{2}
	}
	if !slices.Contains(valid, r.Cycle) {
		b.add(w.block(PlaceCycle, fmt.Sprintf("cycle %d invalide au %s", r.Cycle, c.sp.degree.label()), "saisissez le bilan du cycle de l'élève (3 ou 4 au collège, 2 à l'école)"))
		return out, false
	}
	if seen[r.Cycle] {
		b.add(w.block(PlaceCycle, "deux bilans de fin de cycle pour le même cycle : un seul peut être transmis", "n'exportez que le bilan de fin de cycle de l'année en cours"))
		return out, false
	}
	seen[r.Cycle] = true
	if r.Year < 1000 || r.Year > 9999 {
		b.add(w.block(PlaceCycle, fmt.Sprintf("millésime %d invalide (année de la rentrée sur 4 chiffres attendue)", r.Year), "rouvrez et fermez de nouveau le bilan de fin de cycle dans l'année en cours"))
	}
	if r.State != Closed {
		b.add(w.block(PlaceCycle, "bilan de fin de cycle non fermé", "complétez le bilan de fin de cycle et fermez-le avant l'export"))
	} else if !validDate(r.ClosedAt) {
		b.add(w.block(PlaceCycle, "bilan de fin de cycle fermé sans date de fermeture", "rouvrez le bilan de fin de cycle puis fermez-le de nouveau"))
	}
	out.CreatedAt = r.CreatedAt
	if !validDate(r.CreatedAt) && validDate(r.ClosedAt) {
		out.CreatedAt = sillage.Today(r.ClosedAt).Time()
		b.add(w.fix("date de création du bilan de fin de cycle absente : date de la dernière fermeture écrite", "", sillage.DateOf(out.CreatedAt).French()))
	}

	var missing, invalid []string
	out.Socle = map[string]int{}
	for _, d := range SocleDomains {
		v, ok := r.Socle[d]
		switch {
		case !ok:
			missing = append(missing, d)
		case v < 0 || v > 4:
			invalid = append(invalid, fmt.Sprintf("%s (%d)", d, v))
		default:
			out.Socle[d] = v
		}
	}
	if len(missing) > 0 {
		b.add(w.block(PlaceCycle, "domaines du socle sans positionnement : "+strings.Join(missing, ", "), "positionnez les 8 domaines du socle (0 = dispensé), ils sont obligatoires"))
	}
	if len(invalid) > 0 {
		b.add(w.block(PlaceCycle, "positionnement du socle invalide : "+strings.Join(invalid, ", "), "positionnez ces domaines de 0 à 4 (0 = dispensé)"))
	}
	var unknown []string
	for d := range r.Socle {
		if !slices.Contains(SocleDomains, d) {
			unknown = append(unknown, visible(d))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		b.add(w.line(Ignored, "domaines du socle inconnus non transmis : "+strings.Join(unknown, ", ")))
	}
	out.Synthesis = text(b, w, "synthèse", r.Synthesis, c.sp.limits.Synthesis, true, true)

	if c.sp.degree == SecondDegree {
		out.Complement = option(b, w, "enseignement de complément", r.Complement, complementCodes)
		out.RegionalLanguage = option(b, w, "langue et culture régionale", r.RegionalLanguage, regionalCodes)
	} else if r.Complement != nil || r.RegionalLanguage != nil {
		b.add(w.line(Ignored, "enseignement de complément et langue régionale non transmis au 1er degré"))
	}
	out.HeadID = c.head(b, w, r.HeadID)
	role := "professeur principal"
	if c.sp.degree == FirstDegree {
		role = "enseignant de la classe"
	}
	out.HeadTeacherIDs = c.teacherRefs(b, w, r.HeadTeacherIDs, role)
	if c.sp.degree == FirstDegree && len(out.HeadTeacherIDs) == 0 {
		b.add(w.block(PlaceCycle, "aucun enseignant pour ce bilan de fin de cycle : le 1er degré exige au moins un enseignant", "indiquez l'enseignant de la classe de l'élève"))
	}
	return out, !b.blocked
}

// option checks an end-of-cycle option: a known code, and a level 1 or 2
// except for AUC (none).
func option(b *lineBuf, w where, field string, o *Option, codes []string) *Option {
	if o == nil {
		return nil
	}
	code := strings.ToUpper(strings.TrimSpace(o.Code))
	if !slices.Contains(codes, code) {
		b.add(w.line(Ignored, fmt.Sprintf("%s : code « %s » inconnu (%s), non transmis", field, visible(code), strings.Join(codes, ", "))))
		return nil
	}
	out := &Option{Code: code}
	switch {
	case code == "AUC" || o.Level == 0:
	case o.Level == 1 || o.Level == 2:
		out.Level = o.Level
	default:
		b.add(w.line(Ignored, fmt.Sprintf("%s : niveau %d invalide (1 = objectif atteint, 2 = dépassé), non transmis", field, o.Level)))
	}
	return out
}

func (c *collector) finish() (*Plan, *Report) {
	c.rep.Counts.StudentsBlocked = len(c.blockedStudents)
	if !c.rep.FileBlocked && c.plan.Empty() {
		c.rep.blockFile(PlaceExport, "aucun bilan exportable", "corrigez les lignes bloquantes des élèves, puis relancez l'export")
	}
	if c.rep.FileBlocked {
		return nil, c.rep
	}
	c.rep.Counts.StudentsExported = len(c.plan.Students)
	c.rep.Counts.PeriodicReports = len(c.plan.Periodic)
	c.rep.Counts.CycleReports = len(c.plan.Cycles)
	return c.plan, c.rep
}
