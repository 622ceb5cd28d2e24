package lsu

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the blocks of the Livret that concern the family and the
// school life around the subjects: the class-level school-life comment
// (vie-scolaire-commun), "devoirs faits", the socle positioning of a term
// and the legal guardians with their addresses (responsables).

// ClassSchoolLife is the school-life comment common to a division for a
// period (vies-scolaires-communs/vie-scolaire-commun, 2nd degree only),
// written by the vie scolaire (CPE) or the head of establishment.
type ClassSchoolLife struct {
	PeriodID string
	Division string // SIECLE division code
	Comment  string
}

// Guardian is a legal guardian of a student (responsable), written in the
// student's reports so that LSU can address them.
type Guardian struct {
	Civility  string // "M" or "MME"; required in the 1st degree
	LastName  string // required in the 1st degree
	FirstName string // required in the 1st degree
	// Denomination is set for a legal person (the Aide sociale à
	// l'enfance…): the 2nd degree writes it instead of civility and names;
	// the 1st degree's schema has no place for it.
	Denomination string
	// Rank is 1 for the first legal guardian, 2 for the second (legal1,
	// legal2 in the 2nd degree), 0 when not known.
	Rank     int
	Relation string // lien de parenté: a SIECLE CODE_PARENTE ("10") or a label ("MERE")
	Address  *Address
}

// maxDenomination is LSU's limit for a legal person's denomination
// (Chaine600).
const maxDenomination = 600

// Address is a postal address of a guardian.
type Address struct {
	Lines      [4]string // up to four lines, 50 characters each
	PostalCode string    // up to 10 characters, required
	Town       string    // up to 100 characters, required
}

// relationLabels are the long labels of SIECLE's LIENS_PARENTE
// nomenclature, which LSU shows as the lien de parenté (40 characters).
var relationLabels = map[string]string{
	"10": "MERE", "20": "PERE", "37": "FRATRIE", "38": "ASCENDANT", "39": "AUTRE MEMBRE DE LA FAMILLE",
	"41": "EDUCATEUR", "42": "ASSISTANT FAMILIAL", "50": "TUTEUR", "51": "AIDE SOCIALE A L'ENFANCE",
	"70": "ELEVE LUI-MEME", "90": "AUTRE LIEN",
}

// RelationLabel turns a SIECLE CODE_PARENTE into its label; any other value
// (an AAF label, a label typed in) is returned as it is.
func RelationLabel(code string) string {
	code = strings.TrimSpace(code)
	if l, ok := relationLabels[code]; ok {
		return l
	}
	return code
}

// guardians cleans a student's guardians: names and address lines cut to
// the schema's lengths, the guardians or addresses the schema would refuse
// left out with a line.
func (c *collector) guardians(b *lineBuf, w where, gs []Guardian) []Guardian {
	var out []Guardian
	var ranked [3]bool
	for _, g := range gs {
		if g.Rank < 1 || g.Rank > 2 || ranked[g.Rank] || c.sp.degree == FirstDegree {
			// A rank LSU does not know or already given stays unsaid;
			// the 1st degree's schema has no legal1/legal2.
			g.Rank = 0
		}
		if den, _ := cleanText(g.Denomination, false); den != "" {
			if c.sp.degree == FirstDegree {
				b.add(w.line(Ignored, "responsable légal "+den+" (personne morale) non transmis : le livret du 1er degré n'accepte que des personnes, avec civilité, nom et prénom"))
				continue
			}
			ranked[g.Rank] = true
			out = append(out, Guardian{Rank: g.Rank,
				Denomination: text(b, w, "responsable légal "+den+" : dénomination", den, maxDenomination, false, false),
				Relation:     text(b, w, "responsable légal "+den+" : lien de parenté", RelationLabel(g.Relation), 40, false, false),
				Address:      c.addressOf(b, w, "responsable légal "+den, g.Address),
			})
			continue
		}
		civ := civility(g.Civility)
		last, _ := cleanText(g.LastName, false)
		first, _ := cleanText(g.FirstName, false)
		name := strings.TrimSpace(last + " " + first)
		if last == "" {
			b.add(w.line(Ignored, "responsable légal sans nom : non transmis"))
			continue
		}
		if c.sp.degree == FirstDegree && (civ == "" || first == "") {
			b.add(w.line(Ignored, "responsable légal "+name+" sans civilité ou prénom, obligatoires au 1er degré : non transmis ; complétez-les dans SIECLE ou ONDE puis réimportez"))
			continue
		}
		field := "responsable légal " + name
		ranked[g.Rank] = true
		out = append(out, Guardian{Civility: civ, Rank: g.Rank,
			LastName:  text(b, w, field+" : nom", last, c.sp.limits.Name, true, false),
			FirstName: text(b, w, field+" : prénom", first, c.sp.limits.Name, false, false),
			Relation:  text(b, w, field+" : lien de parenté", RelationLabel(g.Relation), 40, false, false),
			Address:   c.addressOf(b, w, field, g.Address),
		})
	}
	return out
}

// addressOf cleans an optional address.
func (c *collector) addressOf(b *lineBuf, w where, field string, a *Address) *Address {
	if a == nil {
		return nil
	}
	return c.address(b, w, field, *a)
}

// address cleans an address; one without postal code or town (or, in the
// 1st degree, without any line) is left out.
func (c *collector) address(b *lineBuf, w where, field string, a Address) *Address {
	var out Address
	n := 0
	for _, l := range a.Lines {
		if v := text(b, w, field+" : ligne d'adresse", l, 50, false, false); v != "" {
			out.Lines[n] = v
			n++
		}
	}
	out.PostalCode = text(b, w, field+" : code postal", a.PostalCode, 10, false, false)
	out.Town = text(b, w, field+" : commune", a.Town, 100, false, false)
	if n == 0 && out.PostalCode == "" && out.Town == "" {
		return nil
	}
	if out.PostalCode == "" || out.Town == "" || (c.sp.degree == FirstDegree && n == 0) {
		b.add(w.line(Ignored, field+" : adresse incomplète (code postal, commune ou ligne d'adresse manquant), non transmise ; corrigez-la dans SIECLE puis réimportez les responsables"))
		return nil
	}
	return &out
}

// periodicMore checks the term's "devoirs faits" and socle positioning.
func (c *collector) periodicMore(b *lineBuf, w where, r PeriodicReport, out *PeriodicReport) {
	if c.sp.degree == SecondDegree {
		out.HomeworkDone = text(b, w, "devoirs faits", r.HomeworkDone, c.sp.limits.Comment, false, true)
	} else if strings.TrimSpace(r.HomeworkDone) != "" {
		b.add(w.line(Ignored, "devoirs faits non transmis : le 1er degré ne les prévoit pas"))
	}
	if len(r.Socle) == 0 {
		return
	}
	var invalid, unknown []string
	socle := map[string]int{}
	for d, v := range r.Socle {
		switch {
		case !slices.Contains(SocleDomains, d):
			unknown = append(unknown, visible(d))
		case v < 0 || v > 4:
			invalid = append(invalid, fmt.Sprintf("%s (%d)", d, v))
		default:
			socle[d] = v
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		b.add(w.line(Ignored, "domaines du socle inconnus non transmis : "+strings.Join(unknown, ", ")))
	}
	if len(invalid) > 0 {
		slices.Sort(invalid)
		b.add(w.block(PlaceReport, "positionnement du socle de la période invalide : "+strings.Join(invalid, ", "),
			"positionnez ces domaines de 0 à 4 (0 = dispensé) dans le bilan de la période, ou effacez-les"))
	}
	if len(socle) > 0 {
		out.Socle = socle
	}
}

// classSchoolLife keeps the class-level comments of the periods and
// divisions the plan's periodic reports cover.
func (c *collector) classSchoolLife() {
	if len(c.in.ClassSchoolLife) == 0 {
		return
	}
	if c.sp.degree == FirstDegree {
		for _, v := range c.in.ClassSchoolLife {
			if strings.TrimSpace(v.Comment) != "" {
				c.rep.add(where{division: v.Division}.line(Ignored, "commentaire de vie scolaire de la classe non transmis : le 1er degré ne le prévoit pas"))
				break
			}
		}
		return
	}
	c.plan.ClassSchoolLife = c.classTexts(c.in.ClassSchoolLife, "commentaire de vie scolaire de la classe",
		"second commentaire de vie scolaire de la classe pour la même période : non transmis")
}

// classTexts keeps, of texts of a division for a period (the class's
// school-life comment, the common appreciation of the digital skills),
// those of the divisions and periods the plan's periodic reports cover,
// checked for length (what names them in the report's lines), under the
// plan's period IDs, sorted by period and division; a second text for the
// same division and period is left out with the line second.
func (c *collector) classTexts(texts []ClassSchoolLife, what, second string) []ClassSchoolLife {
	division := map[string]string{}
	for _, s := range c.plan.Students {
		division[s.ID] = s.Division
	}
	covered := map[[2]string]bool{}
	for _, r := range c.plan.Periodic {
		covered[[2]string{r.PeriodID, division[r.StudentID]}] = true
	}
	var out []ClassSchoolLife
	seen := map[[2]string]bool{}
	for _, v := range texts {
		p := c.periodOf[v.PeriodID]
		if p == nil {
			continue
		}
		key := [2]string{p.canon, v.Division}
		if !covered[key] {
			continue // no report of that division and period in this export
		}
		b := &lineBuf{}
		w := where{division: v.Division, period: p.label}
		comment := text(b, w, what, v.Comment, c.sp.limits.Comment, false, true)
		if comment != "" && seen[key] {
			b.add(w.line(Ignored, second))
			comment = ""
		}
		c.flush(b)
		if comment == "" {
			continue
		}
		seen[key] = true
		out = append(out, ClassSchoolLife{PeriodID: p.canon, Division: v.Division, Comment: comment})
	}
	slices.SortFunc(out, func(a, b ClassSchoolLife) int {
		return cmp.Or(periodLess(c.periodOf[a.PeriodID].period, c.periodOf[b.PeriodID].period), strings.Compare(a.Division, b.Division))
	})
	return out
}

// writeClassSchoolLife writes vies-scolaires-communs: the comments of the
// periods and divisions the file holds reports of.
func (d *doc) writeClassSchoolLife(x *xw) {
	if len(d.p.ClassSchoolLife) == 0 {
		return
	}
	covered := map[[2]string]bool{}
	for _, r := range d.p.Periodic {
		covered[[2]string{r.PeriodID, d.students[r.StudentID].Division}] = true
	}
	seen := map[[2]string]bool{}
	opened := false
	for _, v := range d.p.ClassSchoolLife {
		key := [2]string{v.PeriodID, v.Division}
		if !covered[key] || seen[key] {
			continue
		}
		seen[key] = true
		if utf8.RuneCountInString(v.Division) > d.sp.limits.Division {
			x.fail(fmt.Errorf("code de division %q trop long", v.Division))
			return
		}
		if !opened {
			x.open("vies-scolaires-communs")
			opened = true
		}
		x.open("vie-scolaire-commun", a("periode-ref", d.id("période", v.PeriodID)), a("code-division", v.Division))
		x.text("commentaire", fit(v.Comment, d.sp.limits.Comment, true, true))
		x.close("vie-scolaire-commun")
	}
	if opened {
		x.close("vies-scolaires-communs")
	}
}

// homeworkDone writes devoirs-faits (2nd degree).
func (d *doc) homeworkDone(x *xw, r PeriodicReport) {
	if v := fit(r.HomeworkDone, d.sp.limits.Comment, false, true); v != "" {
		x.text("devoirs-faits", v)
	}
}

// periodSocle writes the optional socle of a periodic report: the
// positioned domains in the 2nd degree (1 to 8, each positioned), all 8
// domains in the 1st (positioning optional; 1.0b requires the 8).
func (d *doc) periodSocle(x *xw, socle map[string]int) {
	if len(socle) == 0 {
		return
	}
	x.open("socle")
	for _, code := range SocleDomains {
		v, ok := socle[code]
		if ok && (v < 0 || v > 4) {
			x.fail(fmt.Errorf("domaine du socle %s sans positionnement valide", code))
			return
		}
		switch {
		case ok:
			x.empty("domaine", a("code", code), a("positionnement", strconv.Itoa(v)))
		case d.sp.degree == FirstDegree:
			x.empty("domaine", a("code", code))
		}
	}
	x.close("socle")
}

// responsables writes a student's legal guardians.
func (d *doc) responsables(x *xw, gs []Guardian) {
	if len(gs) == 0 {
		return
	}
	x.open("responsables")
	for _, g := range gs {
		// The attributes in the schema's order: civilite, nom, prenom,
		// legal1, legal2, lien-parente, denomination (2nd degree).
		var attrs []attr
		den := fit(g.Denomination, maxDenomination, false, false)
		if den == "" {
			civ := civility(g.Civility)
			last := fit(g.LastName, d.sp.limits.Name, false, false)
			first := fit(g.FirstName, d.sp.limits.Name, false, false)
			if d.sp.degree == FirstDegree && (civ == "" || last == "" || first == "") {
				x.fail(fmt.Errorf("responsable sans civilité, nom ou prénom"))
				return
			}
			if civ != "" {
				attrs = append(attrs, a("civilite", civ))
			}
			if last != "" {
				attrs = append(attrs, a("nom", last))
			}
			if first != "" {
				attrs = append(attrs, a("prenom", first))
			}
		} else if d.sp.degree == FirstDegree {
			x.fail(fmt.Errorf("personne morale responsable : le 1er degré ne la prévoit pas"))
			return
		}
		if d.sp.degree == SecondDegree {
			switch g.Rank {
			case 1:
				attrs = append(attrs, a("legal1", "true"))
			case 2:
				attrs = append(attrs, a("legal2", "true"))
			}
		}
		if rel := fit(g.Relation, 40, false, false); rel != "" {
			attrs = append(attrs, a("lien-parente", rel))
		}
		if den != "" {
			attrs = append(attrs, a("denomination", den))
		}
		if g.Address == nil {
			x.empty("responsable", attrs...)
			continue
		}
		x.open("responsable", attrs...)
		ad := g.Address
		var aattrs []attr
		for i, l := range ad.Lines {
			if v := fit(l, 50, false, false); v != "" {
				aattrs = append(aattrs, a("ligne"+strconv.Itoa(i+1), v))
			}
		}
		pc, town := fit(ad.PostalCode, 10, false, false), fit(ad.Town, 100, false, false)
		if pc == "" || town == "" || (d.sp.degree == FirstDegree && fit(ad.Lines[0], 50, false, false) == "") {
			x.fail(fmt.Errorf("adresse de responsable incomplète"))
			return
		}
		aattrs = append(aattrs, a("code-postal", pc), a("commune", town))
		x.empty("adresse", aattrs...)
		x.close("responsable")
	}
	x.close("responsables")
}
