package livret

import (
	"io"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/pdfdoc"
)

// PeriodicPDF writes a periodic report as a readable PDF, dated by its last
// closing (or its last change while a draft), so the same report gives the
// same bytes.
func PeriodicPDF(w io.Writer, v *ReportView) error {
	at := v.Report.ClosedAt
	if !v.Report.Closed() || at.IsZero() {
		at = v.Report.UpdatedAt
	}
	title := "Bilan périodique — " + v.Period.Label() + " " + v.Period.SchoolYear.String()
	d := pdfdoc.New(title, at)
	d.Title(title)
	d.Field("Établissement", v.Establishment.Name+" ("+string(v.Establishment.UAI)+")")
	d.Field("Élève", v.Student.FullName())
	d.Field("Classe", strings.TrimSpace(v.Division.Code+" "+v.Division.Label))
	d.Field("Période", "du "+v.Period.Start.French()+" au "+v.Period.End.French())
	d.Field("Professeur(s) principal(aux)", strings.Join(v.HeadTeachers, ", "))
	d.Field("État", stateText(v.Report.Closed(), sillage.FormatDate(v.Report.ClosedAt)))

	d.Heading("Suivi des acquis scolaires")
	if len(v.Lines) == 0 {
		d.Note("Aucune matière renseignée.")
	} else {
		headers := []string{"Matière", "Enseignant(s)", "Éléments de programme travaillés", "Évaluation", "Appréciation"}
		widths := []float64{0.16, 0.16, 0.22, 0.14, 0.32}
		var rows [][]string
		for _, l := range v.Lines {
			rows = append(rows, []string{l.Subject.Label, strings.Join(l.Teachers, ", "), strings.Join(l.Elements, " ; "), evaluationText(v.Degree, l), l.Result.Appreciation})
		}
		d.Table(headers, widths, rows)
	}
	writeDigital(d, v)
	writeProjects(d, v)
	if len(v.Report.Support) > 0 {
		d.Heading("Modalités spécifiques d'accompagnement")
		for _, c := range v.Report.Support {
			line := c + " — " + SupportLabels[c]
			if c == "PPRE" && strings.TrimSpace(v.Report.PPREComplement) != "" {
				line += " : " + v.Report.PPREComplement
			}
			d.Para(line)
		}
	}
	d.Heading("Bilan de l'acquisition des connaissances et compétences")
	d.Subheading("Appréciation générale sur la progression de l'élève")
	d.Para(orDash(v.Report.GeneralAppreciation))
	if len(v.SocleTerm) > 0 {
		d.Subheading("Positionnement sur le socle commun pour la période")
		var rows [][]string
		for _, l := range v.SocleTerm {
			rows = append(rows, []string{l.Label, l.LevelLabel()})
		}
		d.Table([]string{"Domaine", "Positionnement"}, []float64{0.7, 0.3}, rows)
	}
	if h := strings.TrimSpace(v.Extras.HomeworkDone); h != "" {
		d.Heading("Devoirs faits")
		d.Para(h)
	}
	if v.HasSchoolLife() {
		d.Heading("Vie scolaire")
		d.Field("Retards", counterText(v.Report.Late))
		d.Field("Demi-journées d'absence", counterText(v.Report.Absences))
		d.Field("dont non justifiées", counterText(v.Report.Unjustified))
		d.Field("Heures de cours manquées", counterText(v.Report.MissedHours))
		if c := strings.TrimSpace(v.Report.SchoolLifeComment); c != "" {
			d.Para(c)
		}
		d.Field("Vie scolaire de la classe", v.ClassSchoolLife)
	}
	d.Heading("Communication avec la famille")
	if !v.Report.CouncilDate.IsZero() {
		d.Field("Conseil de classe", v.Report.CouncilDate.French())
	}
	if len(v.Heads) > 0 {
		d.Field("Chef d'établissement", strings.Join(v.Heads, ", "))
	}
	for _, g := range v.Guardians {
		d.Field("Responsable légal", guardianText(g))
	}
	return d.Write(w)
}

// writeDigital writes the digital skills of cycle 3, where LSU places
// them (after the subjects); nothing when none is entered.
func writeDigital(d *pdfdoc.Doc, v *ReportView) {
	if !v.HasDigital() {
		return
	}
	d.Heading("Compétences numériques")
	if len(v.Digital) > 0 {
		var rows [][]string
		for _, l := range v.Digital {
			rows = append(rows, []string{l.Num + " " + l.Label, l.LevelLabel()})
		}
		d.Table([]string{"Compétence", "Niveau"}, []float64{0.7, 0.3}, rows)
	}
	if a := strings.TrimSpace(v.DigitalAppreciation); a != "" {
		d.Field("Appréciation", a)
	}
	if c := strings.TrimSpace(v.ClassDigital); c != "" {
		d.Field("Appréciation commune à la classe", c)
	}
}

// writeProjects writes the EPI, the AP and the parcours of the period;
// nothing when the student has none.
func writeProjects(d *pdfdoc.Doc, v *ReportView) {
	if !v.HasProjects() {
		return
	}
	d.Heading("Projets")
	if len(v.EPI) > 0 {
		d.Subheading("Enseignements pratiques interdisciplinaires (EPI)")
		var rows [][]string
		for _, p := range v.EPI {
			rows = append(rows, []string{p.ThemeLabel + "\n" + p.Title, strings.Join(p.Subjects, ", "), firstNonEmpty(p.ClassComment, p.Description), orDash(p.Appreciation)})
		}
		d.Table([]string{"Thématique et intitulé", "Disciplines", "Projet réalisé", "Implication de l'élève"}, []float64{0.24, 0.2, 0.26, 0.3}, rows)
	}
	if len(v.AP) > 0 {
		d.Subheading("Accompagnement personnalisé")
		var rows [][]string
		for _, p := range v.AP {
			rows = append(rows, []string{p.Title, strings.Join(p.Subjects, ", "), firstNonEmpty(p.ClassComment, p.Description), orDash(p.Appreciation)})
		}
		d.Table([]string{"Intitulé", "Disciplines", "Action réalisée", "Appréciation"}, []float64{0.24, 0.2, 0.26, 0.3}, rows)
	}
	if len(v.Parcours) > 0 {
		d.Subheading("Parcours éducatifs")
		var rows [][]string
		for _, p := range v.Parcours {
			rows = append(rows, []string{p.Label, orDash(p.ClassText), orDash(p.Text)})
		}
		d.Table([]string{"Parcours", "Projet mis en œuvre", "Implication de l'élève"}, []float64{0.24, 0.38, 0.38}, rows)
	}
}

// guardianText is a legal guardian as the family reads it: name, link,
// postal address.
func guardianText(g sillage.GuardianContact) string {
	s := strings.Join(strings.Fields(g.Civility+" "+g.FirstName+" "+g.LastName), " ")
	if g.Denomination != "" {
		s = g.Denomination + " (personne morale)"
	}
	s = sillage.LegalRankLabel(g.Rank) + " : " + s
	if rel := lsu.RelationLabel(g.Relation); rel != "" {
		s += " (" + rel + ")"
	}
	var addr []string
	addr = append(addr, g.Address.Lines...)
	if t := strings.TrimSpace(g.Address.PostalCode + " " + g.Address.Town); t != "" {
		addr = append(addr, t)
	}
	if len(addr) > 0 {
		s += " — " + strings.Join(addr, ", ")
	}
	return s
}

func stateText(closed bool, date string) string {
	if closed {
		return "fermé le " + date
	}
	return "brouillon (non fermé)"
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func counterText(v *int) string {
	if v == nil {
		return "non renseigné"
	}
	return strconv.Itoa(*v)
}

// evaluationText shows a subject line's average, positioning or status.
func evaluationText(d lsu.Degree, l ReportLine) string {
	var parts []string
	if l.Result.Status > 0 && l.Result.Status < len(StatusLabels) {
		parts = append(parts, StatusLabels[l.Result.Status])
	}
	if l.Result.Average != nil {
		s := FormatAverage(l.Result.Average) + "/20"
		if l.ClassAverage != nil {
			s += " (classe : " + FormatAverage(l.ClassAverage) + ")"
		}
		parts = append(parts, s)
	}
	if p := l.Result.Positioning; p > 0 && p < len(PositioningLabels) {
		parts = append(parts, strconv.Itoa(p)+" — "+PositioningLabels[p])
	}
	return strings.Join(parts, " ; ")
}

// CyclePDF writes an end-of-cycle report as a readable PDF.
func CyclePDF(w io.Writer, v *CycleView) error {
	at := v.Report.ClosedAt
	if !v.Report.Closed() || at.IsZero() {
		at = v.Report.UpdatedAt
	}
	title := "Bilan de fin de cycle " + strconv.Itoa(v.Cycle) + " — " + v.Report.SchoolYear.String()
	d := pdfdoc.New(title, at)
	d.Title(title)
	d.Field("Établissement", v.Establishment.Name+" ("+string(v.Establishment.UAI)+")")
	d.Field("Élève", v.Student.FullName())
	d.Field("Classe", strings.TrimSpace(v.Division.Code+" "+v.Division.Label))
	d.Field("État", stateText(v.Report.Closed(), sillage.FormatDate(v.Report.ClosedAt)))
	d.Heading("Maîtrise des composantes du socle commun")
	var rows [][]string
	for _, dom := range v.Domains {
		rows = append(rows, []string{SocleLabels[dom.Code], dom.LevelLabel()})
	}
	d.Table([]string{"Domaine", "Positionnement"}, []float64{0.7, 0.3}, rows)
	d.Heading("Synthèse des acquis scolaires")
	d.Para(orDash(v.Report.Synthesis))
	if c := v.Report.ComplementCode; c != "" {
		d.Field("Enseignement de complément", ComplementLabels[c]+optionLevel(c, v.Report.ComplementLevel))
	}
	if c := v.Report.RegionalCode; c != "" {
		d.Field("Langue et culture régionale", RegionalLabels[c]+optionLevel(c, v.Report.RegionalLevel))
	}
	if len(v.Heads) > 0 {
		d.Field("Chef d'établissement", strings.Join(v.Heads, ", "))
	}
	return d.Write(w)
}

func optionLevel(code string, level int) string {
	switch {
	case code == "AUC":
		return ""
	case level == 1:
		return " — objectif atteint"
	case level == 2:
		return " — objectif dépassé"
	}
	return ""
}
