package rollover

import (
	"bytes"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/records"
)

// The class PDF of an archive shows every student's name: with the
// standard faces when every text of the class fits them (French accents,
// Œ, €), with the embedded Go fonts when a name does not (Polish,
// Cyrillic); and the same class gives the same bytes.
func TestClassPDFNames(t *testing.T) {
	div := sillage.Division{ID: 7, Code: "1SN", Label: "Première SN — Œnologie"}
	comp := sillage.Competence{ID: 1, Code: "C1", Label: "S'informer (coût : 12 €)", Position: 1}
	for _, c := range []struct {
		name     string
		students [][2]string // last, first
		standard bool
	}{
		{"french", [][2]string{{"Durand", "Léa"}, {"Œuvray", "Zoé"}, {"N'Diaye", "Maëlys-Chloé"}}, true},
		{"polish", [][2]string{{"Durand", "Léa"}, {"Wałęsa", "Łukasz"}}, false},
		{"cyrillic", [][2]string{{"Œuvray", "Zoé"}, {"Иванова", "Анна"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := &yearData{year: 2025, est: sillage.Establishment{Name: "Lycée Émile-Zola", UAI: "0860012W"}, recs: &records.Records{}}
			ev := &classEval{Evaluation: sillage.Evaluation{ID: 1, Title: "Évaluation n°1", Date: sillage.Date{Year: 2026, Month: 3, Day: 2}},
				results: map[int64][]records.CompetenceResult{}}
			var members []*records.StudentRecord
			for i, s := range c.students {
				sr := &records.StudentRecord{Student: sillage.Student{Person: sillage.Person{ID: int64(i + 1), LastName: s[0], FirstName: s[1]}}}
				sr.Student.DivisionID = div.ID
				members = append(members, sr)
				ev.results[sr.Student.ID] = []records.CompetenceResult{{Competence: comp, Value: "3"}}
			}
			write := func() []byte {
				var buf bytes.Buffer
				if err := d.classPDF(&buf, div, members, []*classEval{ev}, time.Date(2026, 7, 16, 8, 0, 0, 0, time.UTC)); err != nil {
					t.Fatal(err)
				}
				return buf.Bytes()
			}
			pdf := write()
			if standard := bytes.Contains(pdf, []byte("/BaseFont /Helvetica")); standard != c.standard {
				t.Fatalf("standard faces: %v, want %v", standard, c.standard)
			}
			for _, m := range members {
				if !pdfdoc.HasText(pdf, m.Student.FullName()) {
					t.Errorf("%s is not in the class PDF", m.Student.FullName())
				}
			}
			for _, s := range []string{"Lycée Émile-Zola (0860012W)", "Première SN — Œnologie", "C1 : S'informer (coût : 12 €)"} {
				if !pdfdoc.HasText(pdf, s) {
					t.Errorf("%q is not in the class PDF", s)
				}
			}
			if !bytes.Equal(pdf, write()) {
				t.Error("the same class gave two different PDFs")
			}
		})
	}
}
