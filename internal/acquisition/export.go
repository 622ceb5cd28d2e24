package acquisition

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/csvout"
	"github.com/sillage/sillage/internal/pdfdoc"
)

// StateText is a state as a person reads it: the level's label, or "—".
func StateText(s Score) string {
	if !s.Valid() {
		return "—"
	}
	return s.Level.Label
}

// ClassCSV writes the class table: a line per student, a column per
// competence, the level's label in each cell (empty without a result).
func ClassCSV(w io.Writer, v *ClassView) error {
	cw := csvout.NewWriter(w)
	head := []string{"Nom", "Prénom", "Classe"}
	for _, c := range v.Columns {
		head = append(head, c.Competence.Code+" — "+c.Competence.Label)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range v.Rows {
		line := []string{r.Student.LastName, r.Student.FirstName, v.Division.Code}
		for _, c := range r.Cells {
			cell := ""
			if c.Valid() {
				cell = c.Level.Label
			}
			line = append(line, cell)
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// contextFields writes what every bilan states: establishment, span,
// method and scale.
func contextFields(d *pdfdoc.Doc, c Context) {
	d.Field("Établissement", c.Establishment.Name+" ("+string(c.Establishment.UAI)+")")
	d.Field("Période", c.Span.Label)
	d.Field("Méthode de calcul", c.Method.Label())
	var levels []string
	for _, l := range c.Scale {
		if l.Points >= 0 {
			levels = append(levels, l.Code+" "+l.Label)
		}
	}
	d.Field("Échelle", strings.Join(levels, ", ")+" (les absences, dispenses et codes hors échelle ne comptent pas)")
}

// StudentPDF writes a student's bilan, edited at (shown in the schools'
// zone).
func StudentPDF(w io.Writer, v *StudentView, at time.Time) error {
	title := "Bilan des acquis — " + v.Student.Student.FullName()
	d := pdfdoc.New(title, at)
	d.Title(title)
	d.Field("Élève", v.Student.Student.FullName())
	d.Field("Classe", v.Student.Student.DivisionCode)
	contextFields(d, v.Context)
	d.Field("Résultats pris en compte", resultsText(v.Results, v.Transferred))
	writeStates(d, v.Referentials)
	writeProgress(d, v.Progress)
	return d.Write(w)
}

func resultsText(n, transferred int) string {
	s := strconv.Itoa(n)
	if transferred > 0 {
		s += fmt.Sprintf(", dont %d reçu(s) par transfert", transferred)
	}
	return s
}

func writeStates(d *pdfdoc.Doc, refs []ReferentialState) {
	if len(refs) == 0 {
		d.Note("Aucun résultat sur cette période.")
		return
	}
	for _, r := range refs {
		d.Heading(r.Referential.Label)
		for _, dom := range r.Domains {
			d.Subheading(dom.Name + " : " + StateText(dom.Score))
			var rows [][]string
			for _, c := range dom.Competences {
				rows = append(rows, []string{c.Competence.Code, c.Competence.Label, StateText(c.Score), strconv.Itoa(c.Count)})
			}
			d.Table([]string{"Code", "Compétence", "État", "Résultats"}, []float64{0.12, 0.52, 0.24, 0.12}, rows)
		}
	}
}

func writeProgress(d *pdfdoc.Doc, p Progress) {
	if len(p.Months) < 2 || len(p.Series) == 0 {
		return
	}
	d.Heading("Progression par domaine")
	for k, s := range p.Series {
		d.Field(SeriesLabel(k), s.Name)
	}
	months := make([]string, len(p.Months))
	for i, m := range p.Months {
		months[i] = m.Label()
	}
	wideTable(d, "Fin du mois", 0.16, 5, len(p.Series), months, func(i, k int) string { return StateText(p.Series[k].Scores[i]) })
}

// wideTable writes a table of n labelled columns (SeriesLabel) as several
// tables of at most per columns each, every one headed by the first column
// (first, its rows named by rowNames), so that it fits a page.
func wideTable(d *pdfdoc.Doc, first string, firstWidth float64, per, n int, rowNames []string, cell func(row, col int) string) {
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		head := []string{first}
		widths := []float64{firstWidth}
		for k := start; k < end; k++ {
			head = append(head, SeriesLabel(k))
			widths = append(widths, (1-firstWidth)/float64(end-start))
		}
		rows := make([][]string, len(rowNames))
		for i, name := range rowNames {
			row := []string{name}
			for k := start; k < end; k++ {
				row = append(row, cell(i, k))
			}
			rows[i] = row
		}
		d.Table(head, widths, rows)
	}
}

// ClassPDF writes a class's bilan: the distribution per competence, the
// state of each student per domain.
func ClassPDF(w io.Writer, v *ClassView, at time.Time) error {
	title := "Bilan des acquis — classe " + v.Division.Code
	d := pdfdoc.New(title, at)
	d.Title(title)
	d.Field("Classe", strings.TrimSpace(v.Division.Code+" "+v.Division.Label))
	d.Field("Élèves", strconv.Itoa(len(v.Rows)))
	contextFields(d, v.Context)
	if len(v.Columns) == 0 {
		d.Note("Aucun résultat sur cette période.")
		return d.Write(w)
	}
	var levels []sillage.ScaleLevel
	for _, l := range v.Scale {
		if l.Points >= 0 {
			levels = append(levels, l)
		}
	}
	d.Heading("Répartition des élèves par compétence")
	head := []string{"Compétence"}
	widths := []float64{0.40}
	for _, l := range levels {
		head = append(head, l.Label)
		widths = append(widths, 0.48/float64(len(levels)))
	}
	head = append(head, "Sans résultat")
	widths = append(widths, 0.12)
	var rows [][]string
	for _, c := range v.Columns {
		row := []string{c.Competence.Code + " " + c.Competence.Label}
		for _, l := range levels {
			row = append(row, strconv.Itoa(c.Distribution[l.Code]))
		}
		rows = append(rows, append(row, strconv.Itoa(c.Missing)))
	}
	d.Table(head, widths, rows)

	// Students × domains: the domains of every referential in use.
	type domKey struct{ ref, name string }
	var doms []domKey
	seen := map[domKey]bool{}
	for _, st := range v.Students {
		for _, r := range st.Referentials {
			for _, dm := range r.Domains {
				k := domKey{r.Referential.Label, dm.Name}
				if !seen[k] {
					seen[k] = true
					doms = append(doms, k)
				}
			}
		}
	}
	if len(doms) == 0 || len(v.Students) == 0 {
		return d.Write(w)
	}
	d.Heading("État de chaque élève par domaine")
	for k, dm := range doms {
		d.Field(SeriesLabel(k), dm.ref+" — "+dm.name)
	}
	names := make([]string, len(v.Students))
	states := make([]map[domKey]Score, len(v.Students))
	for i, st := range v.Students {
		names[i] = st.Student.FullName()
		states[i] = map[domKey]Score{}
		for _, r := range st.Referentials {
			for _, dm := range r.Domains {
				states[i][domKey{r.Referential.Label, dm.Name}] = dm.Score
			}
		}
	}
	wideTable(d, "Élève", 0.28, 6, len(doms), names, func(i, k int) string { return StateText(states[i][doms[k]]) })
	return d.Write(w)
}
