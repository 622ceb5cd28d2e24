package lsu

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the digital skills of cycle 3 (compétences numériques,
// CM2 and 6e) of the 2nd-degree schemas 7.0 and 10.0: per periodic report
// the level (1–3) reached on each of the 16 skills of the CRCN and an
// optional appreciation (bilan-periodique/competences-numeriques); per
// division and period an appreciation common to the class
// (competences-numeriques-communs), which each report of the class refers
// to. The 1st-degree schemas (1.0, 1.0b) have neither block, so CM2 is
// never written.

// DigitalSkillCodes are the 16 skills of the CRCN (cadre de référence des
// compétences numériques, décret 2019-919) with their official wording, in
// the order of the XSD's CodeCompetenceNumerique.
var DigitalSkillCodes = []CodeLabel{
	{"CN_INF_MEN", "Mener une recherche et une veille d'information"},
	{"CN_INF_GER", "Gérer des données"},
	{"CN_INF_TRA", "Traiter des données"},
	{"CN_COM_INT", "Interagir"},
	{"CN_COM_PAR", "Partager et publier"},
	{"CN_COM_COL", "Collaborer"},
	{"CN_COM_SIN", "S'insérer dans le monde numérique"},
	{"CN_CRE_TEX", "Développer des documents textuels"},
	{"CN_CRE_MUL", "Développer des documents multimédia"},
	{"CN_CRE_ADA", "Adapter les documents à leur finalité"},
	{"CN_CRE_PRO", "Programmer"},
	{"CN_PRO_SEC", "Sécuriser l'environnement numérique"},
	{"CN_PRO_DON", "Protéger les données personnelles et la vie privée"},
	{"CN_PRO_SAN", "Protéger la santé, le bien-être et l'environnement"},
	{"CN_ENV_RES", "Résoudre des problèmes techniques"},
	{"CN_ENV_EVO", "Évoluer dans un environnement numérique"},
}

// DigitalSkillDomains are the five domains of the CRCN, by code prefix.
var DigitalSkillDomains = []CodeLabel{
	{"CN_INF", "Informations et données"},
	{"CN_COM", "Communication et collaboration"},
	{"CN_CRE", "Création de contenus"},
	{"CN_PRO", "Protection et sécurité"},
	{"CN_ENV", "Environnement numérique"},
}

// MaxDigitalLevel is the highest level of a digital skill in cycle 3.
const MaxDigitalLevel = 3

// DigitalLevelLabels name the levels 1–3 as a family reads them: the
// CRCN's first three levels, the first two of its "novice" stage and the
// first of its "indépendant" one (décret 2019-919, annexe).
var DigitalLevelLabels = []string{"", "Niveau 1 — novice", "Niveau 2 — novice", "Niveau 3 — indépendant"}

// DigitalSkills is a student's positioning on the digital skills in a
// periodic report.
type DigitalSkills struct {
	Appreciation string
	Levels       map[string]int // skill code → 1–3; an absent skill is not positioned
}

func (s *DigitalSkills) empty() bool {
	return s == nil || (strings.TrimSpace(s.Appreciation) == "" && len(s.Levels) == 0)
}

// DigitalCommon is the appreciation of the digital skills common to a
// division for a period (competences-numeriques-commun with
// type-structure D).
type DigitalCommon struct {
	PeriodID string
	Division string // SIECLE division code
	Comment  string
}

// IsCycle3Level says whether a level (LevelOf: "6EME", "6", "CM2"…) is one
// of cycle 3, whose reports carry the digital skills.
func IsCycle3Level(level string) bool {
	l := strings.ToUpper(strings.Join(strings.Fields(level), ""))
	return strings.HasPrefix(l, "6") || l == "CM2"
}

// digitalSkills checks a report's digital skills: the appreciation cut to
// 600 characters, unknown skills left out, levels out of 1–3 blocking. A
// cycle-3 student of the 2nd degree with nothing positioned gets a warning.
func (c *collector) digitalSkills(b *lineBuf, w where, info *studentInfo, r PeriodicReport, out *PeriodicReport) {
	if c.sp.degree == FirstDegree {
		if !r.Digital.empty() {
			b.add(w.line(Ignored, "compétences numériques non transmises : le schéma LSU du 1er degré ne les prévoit pas"))
		}
		return
	}
	here := func(k Kind, msg string) Line {
		l := w.line(k, msg)
		l.Place, l.StudentRef, l.PeriodRef = PlaceDigitalSkills, w.studentRef, w.periodRef
		return l
	}
	if r.Digital.empty() {
		if IsCycle3Level(info.student.Level) {
			b.add(here(Warning, "aucune compétence numérique positionnée pour cette période (cycle 3) : LSU n'en recevra pas"))
		}
		return
	}
	d := &DigitalSkills{Appreciation: text(b, w, "appréciation des compétences numériques", r.Digital.Appreciation, c.sp.limits.Comment, false, true)}
	var unknown, invalid []string
	for code, level := range r.Digital.Levels {
		switch {
		case !slices.ContainsFunc(DigitalSkillCodes, func(s CodeLabel) bool { return s.Code == code }):
			unknown = append(unknown, visible(code))
		case level < 1 || level > MaxDigitalLevel:
			invalid = append(invalid, fmt.Sprintf("%s (%d)", LabelOf(DigitalSkillCodes, code), level))
		default:
			if d.Levels == nil {
				d.Levels = map[string]int{}
			}
			d.Levels[code] = level
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		b.add(w.line(Ignored, "compétences numériques inconnues non transmises : "+strings.Join(unknown, ", ")))
	}
	if len(invalid) > 0 {
		slices.Sort(invalid)
		l := here(Blocking, "niveau de compétence numérique invalide : "+strings.Join(invalid, ", "))
		l.Fix = "choisissez un niveau de 1 à 3 (ou aucun) sur la page des compétences numériques de la classe"
		b.add(l)
	}
	if !d.empty() {
		out.Digital = d
	}
}

// digitalCommons keeps the common appreciations of the periods and
// divisions the plan's periodic reports cover.
func (c *collector) digitalCommons() {
	if len(c.in.DigitalCommons) == 0 {
		return
	}
	if c.sp.degree == FirstDegree {
		c.rep.add(where{division: c.in.DigitalCommons[0].Division}.line(Ignored,
			"appréciation commune des compétences numériques non transmise : le schéma LSU du 1er degré ne la prévoit pas"))
		return
	}
	in := make([]ClassSchoolLife, len(c.in.DigitalCommons))
	for i, v := range c.in.DigitalCommons {
		in[i] = ClassSchoolLife(v)
	}
	for _, v := range c.classTexts(in, "appréciation commune des compétences numériques",
		"seconde appréciation commune des compétences numériques pour la même période : non transmise") {
		c.plan.DigitalCommons = append(c.plan.DigitalCommons, DigitalCommon(v))
	}
}

// assignDigitalIDs gives an xs:ID to each common appreciation of a period
// and division the file holds reports of; the reports refer to it.
func (d *doc) assignDigitalIDs() {
	if len(d.p.DigitalCommons) == 0 || d.sp.degree != SecondDegree {
		return
	}
	covered := map[[2]string]bool{}
	for _, r := range d.p.Periodic {
		covered[[2]string{r.PeriodID, d.students[r.StudentID].Division}] = true
	}
	d.digital = map[[2]string]string{}
	n := 0
	for _, v := range d.p.DigitalCommons {
		key := [2]string{v.PeriodID, v.Division}
		if !covered[key] || d.digital[key] != "" {
			continue
		}
		n++
		d.digital[key] = "CNC_" + strconv.Itoa(n)
		d.digitalOrder = append(d.digitalOrder, v)
	}
}

// writeDigitalCommons writes competences-numeriques-communs.
func (d *doc) writeDigitalCommons(x *xw) {
	if len(d.digitalOrder) == 0 {
		return
	}
	x.open("competences-numeriques-communs")
	for _, v := range d.digitalOrder {
		if utf8.RuneCountInString(v.Division) > d.sp.limits.Division || strings.TrimSpace(v.Division) == "" {
			x.fail(fmt.Errorf("code de division %q invalide", v.Division))
			return
		}
		x.text("competences-numeriques-commun", fit(v.Comment, d.sp.limits.Comment, true, true),
			a("id", d.digital[[2]string{v.PeriodID, v.Division}]), a("code-structure", v.Division), a("type-structure", "D"))
	}
	x.close("competences-numeriques-communs")
}

// reportDigitalSkills writes a report's competences-numeriques: the
// reference to its class's common appreciation, the student's
// appreciation and the positioned skills in the XSD's order.
func (d *doc) reportDigitalSkills(x *xw, r PeriodicReport) {
	ref := d.digital[[2]string{r.PeriodID, d.students[r.StudentID].Division}]
	if r.Digital.empty() && ref == "" {
		return
	}
	var attrs []attr
	if ref != "" {
		attrs = append(attrs, a("comp-num-commun-refs", ref))
	}
	var app string
	if r.Digital != nil {
		app = fit(r.Digital.Appreciation, d.sp.limits.Comment, false, true)
	}
	var levels []attr // code, niveau pairs, in order
	if r.Digital != nil {
		for code, v := range r.Digital.Levels {
			if v < 1 || v > MaxDigitalLevel || !slices.ContainsFunc(DigitalSkillCodes, func(s CodeLabel) bool { return s.Code == code }) {
				x.fail(fmt.Errorf("compétence numérique %q de niveau %d invalide", code, v))
				return
			}
		}
		for _, s := range DigitalSkillCodes {
			if v, ok := r.Digital.Levels[s.Code]; ok {
				levels = append(levels, a(s.Code, strconv.Itoa(v)))
			}
		}
	}
	if app == "" && len(levels) == 0 {
		x.empty("competences-numeriques", attrs...)
		return
	}
	x.open("competences-numeriques", attrs...)
	if app != "" {
		x.text("appreciation-num", app)
	}
	for _, l := range levels {
		x.empty("competence-num", a("code", l.name), a("niveau", l.value))
	}
	x.close("competences-numeriques")
}

// PlaceDigitalSkills is the entry page of the digital skills of the
// student's division for the period (StudentRef, PeriodRef).
const PlaceDigitalSkills Place = "digital"
