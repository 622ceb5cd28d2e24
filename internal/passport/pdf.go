package passport

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/records"
)

// writePDF writes the readable record: identity, evaluations with their
// results per competence and comments, the scale, the sheets with their
// evaluation and attached files.
func writePDF(w io.Writer, recs *records.Records, sr *records.StudentRecord, paths map[int64]string, now time.Time, birthDate bool) error {
	s := sr.Student
	d := pdfdoc.New("Livret de "+s.FullName(), now)
	d.Title("Livret de " + s.FullName())
	d.Field("Établissement", fmt.Sprintf("%s (%s)", recs.Establishment.Name, recs.Establishment.UAI))
	if birthDate && !s.BirthDate.IsZero() {
		d.Field("Né(e) le", s.BirthDate.French())
	}
	d.Field("Division", s.DivisionCode)
	for _, r := range recs.Referentials {
		if r.Diploma == s.Diploma {
			d.Field("Diplôme préparé", r.Label)
		}
	}
	d.Field("Édité le", sillage.FormatDate(now))

	d.Heading(fmt.Sprintf("Évaluations (%d)", len(sr.Evaluations)))
	if len(sr.Evaluations) == 0 {
		d.Note("Aucune évaluation.")
	}
	for _, e := range sr.Evaluations {
		d.Subheading(e.Date.French() + " — " + e.Title)
		var meta []string
		if e.Level != "" {
			meta = append(meta, "Niveau : "+e.Level)
		}
		if e.Referential != nil {
			meta = append(meta, "Référentiel : "+e.Referential.Label)
		}
		if author := authorName(recs, e.AuthorID, e.AuthorName); author != "" {
			meta = append(meta, "Évalué par : "+author)
		}
		if e.OriginUAI != "" {
			meta = append(meta, "Reçu de l'établissement "+string(e.OriginUAI))
		}
		if len(meta) > 0 {
			d.Note(strings.Join(meta, " — "))
		}
		if len(e.Results) > 0 {
			rows := make([][]string, 0, len(e.Results))
			for _, r := range e.Results {
				rows = append(rows, []string{r.Competence.Domain, r.Competence.Code + " — " + r.Competence.Label, valueText(recs.Scale, r.Value)})
			}
			d.Table([]string{"Domaine", "Compétence", "Résultat"}, []float64{0.25, 0.5, 0.25}, rows)
		}
		if e.Comment != "" {
			d.Para("Commentaire : " + e.Comment)
		}
	}
	if len(recs.Scale) > 0 {
		d.Heading("Échelle des résultats")
		rows := make([][]string, 0, len(recs.Scale))
		for _, l := range recs.Scale {
			rows = append(rows, []string{l.Code, l.Label})
		}
		d.Table([]string{"Code", "Niveau"}, []float64{0.2, 0.8}, rows)
	}

	d.Heading(fmt.Sprintf("Situations professionnelles (%d)", len(sr.Sheets)))
	if len(sr.Sheets) == 0 {
		d.Note("Aucune fiche de situation professionnelle.")
	}
	for _, sh := range sr.Sheets {
		d.Subheading(sh.Kind.Label() + " — " + sh.Title)
		switch sh.Context {
		case sillage.ContextPFMP:
			d.Field("Contexte", fmt.Sprintf("PFMP du %s au %s", sh.PFMPStart.French(), sh.PFMPEnd.French()))
			d.Field("Organisme d'accueil", sh.Host)
		default:
			d.Field("Contexte", "En établissement")
			d.Field("Classe, atelier", sh.Class)
		}
		d.Field("Description", sh.Description)
		d.Field("Activités et compétences", sh.Activities)
		if sh.OriginUAI != "" {
			d.Field("Reçue de l'établissement", string(sh.OriginUAI))
		}
		if sh.Result != "" || sh.Comment != "" {
			d.Field("Résultat", valueText(recs.Scale, sh.Result))
			d.Field("Évaluée par", authorName(recs, sh.AuthorID, sh.AuthorName))
			d.Field("Commentaire", sh.Comment)
		} else {
			d.Note("Fiche non encore évaluée.")
		}
		if len(sh.Attachments) > 0 {
			var names []string
			for _, a := range sh.Attachments {
				names = append(names, paths[a.ID])
			}
			d.Field("Fichiers joints", strings.Join(names, "\n"))
		}
	}
	return d.Write(w)
}

func valueText(sc sillage.Scale, v string) string {
	if v == "" {
		return ""
	}
	if l := records.ValueLabel(sc, v); l != v {
		return v + " — " + l
	}
	return v
}

func authorName(recs *records.Records, id int64, joined string) string {
	if p, ok := recs.Authors[id]; ok {
		return p.FullName()
	}
	return joined
}
