package livret_test

import (
	"bytes"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/pdfdoc"
)

// pdfText joins a PDF's pages and gives the position of s in them, -1 when
// absent (UTF-16BE, as the Go fonts write; parentheses would be escaped).
func pdfText(t *testing.T, v *livret.ReportView) func(string) int {
	t.Helper()
	var buf bytes.Buffer
	if err := livret.PeriodicPDF(&buf, v); err != nil {
		t.Fatal(err)
	}
	pages := bytes.Join(pdfdoc.Pages(buf.Bytes()), nil)
	return func(s string) int {
		var want []byte
		for _, c := range utf16.Encode([]rune(s)) {
			want = append(want, byte(c>>8), byte(c))
		}
		return bytes.Index(pages, want)
	}
}

func sectionsView(degree lsu.Degree) *livret.ReportView {
	n := 2
	return &livret.ReportView{
		Degree:        degree,
		Establishment: sillage.Establishment{UAI: "0861234Z", Name: "Collège Jean Moulin"},
		Student:       sillage.Student{Person: sillage.Person{LastName: "MARTIN", FirstName: "Léa"}},
		Division:      sillage.Division{ID: 1, Code: "6E1"},
		Period:        sillage.Period{ID: 1, SchoolYear: 2025, Index: 1, Start: sillage.NewDate(2025, 9, 1), End: sillage.NewDate(2025, 11, 30)},
		Report: sillage.PeriodicReport{ID: 1, GeneralAppreciation: "Bon trimestre.", Late: &n, Support: []string{"PAP"},
			UpdatedAt: time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC)},
		EPI: []livret.ReportProject{{Kind: "epi", Title: "Journal du collège", ThemeLabel: "Information, communication, citoyenneté",
			Subjects: []string{"Français", "Mathématiques"}, ClassComment: "Deux numéros publiés.", Appreciation: "Rédactrice investie."}},
		Digital: []livret.DigitalLine{{Num: "1.1", Label: "Mener une recherche et une veille d'information", Level: 2},
			{Num: "3.4", Label: "Programmer", Level: 3}},
		DigitalAppreciation: "Cherche avec méthode.",
		ClassDigital:        "Séances en salle informatique.",
		AP:                  []livret.ReportProject{{Kind: "ap", Title: "Méthodologie", Subjects: []string{"Mathématiques"}, Appreciation: "Fiches soignées."}},
		Parcours:            []livret.ReportParcours{{Code: "PAR_CIT", Label: "Parcours citoyen", ClassText: "Élection des délégués.", Text: "Élue déléguée."}},
		Extras:              sillage.PeriodicExtras{ReportID: 1, HomeworkDone: "Deux séances par semaine."},
		SocleTerm:           []livret.SocleLine{{Code: "CPD_FRA", Label: "Comprendre, s'exprimer en utilisant la langue française", Level: 3}},
		ClassSchoolLife:     "Classe attentive.",
		Guardians: []sillage.GuardianContact{{Civility: "Mme", FirstName: "Claire", LastName: "MARTIN", Relation: "10",
			Address: sillage.PostalAddress{Lines: []string{"4 rue du Port"}, PostalCode: "17000", Town: "LA ROCHELLE"}}},
	}
}

// TestPeriodicPDFSections: the printed report follows the paper livret;
// the sections a student has nothing in are left out, the required ones
// stay; the école's report has no school life nor devoirs faits.
func TestPeriodicPDFSections(t *testing.T) {
	at := pdfText(t, sectionsView(lsu.SecondDegree))
	last := -1
	for _, s := range []string{"Suivi des acquis scolaires", "Compétences numériques", "1.1 Mener une recherche et une veille d'information",
		"Niveau 2 — novice", "3.4 Programmer", "Niveau 3 — indépendant", "Cherche avec méthode.", "Séances en salle informatique.", "Projets", "Enseignements pratiques interdisciplinaires", "Journal du collège",
		"Deux numéros publiés.", "Rédactrice investie.", "Accompagnement personnalisé", "Fiches soignées.", "Parcours éducatifs",
		"Parcours citoyen", "Élection des délégués.", "Élue déléguée.", "Modalités spécifiques d'accompagnement",
		"Bilan de l'acquisition des connaissances et compétences", "Bon trimestre.", "3 — Maîtrise satisfaisante", "Devoirs faits",
		"Deux séances par semaine.", "Vie scolaire", "Classe attentive.", "Communication avec la famille", "Mme Claire MARTIN", "17000 LA ROCHELLE"} {
		i := at(s)
		if i < 0 {
			t.Errorf("the PDF does not show %q", s)
			continue
		}
		if i < last {
			t.Errorf("%q is out of the livret's order", s)
		}
		last = i
	}

	empty := sectionsView(lsu.SecondDegree)
	empty.EPI, empty.AP, empty.Parcours, empty.Extras, empty.SocleTerm, empty.ClassSchoolLife, empty.Guardians, empty.Report.Support = nil, nil, nil, sillage.PeriodicExtras{}, nil, "", nil, nil
	empty.Digital, empty.DigitalAppreciation, empty.ClassDigital = nil, "", ""
	at = pdfText(t, empty)
	for _, s := range []string{"Compétences numériques", "Projets", "Enseignements pratiques", "Parcours éducatifs", "Devoirs faits", "Modalités spécifiques", "Positionnement sur le socle", "Vie scolaire de la classe", "Responsable légal"} {
		if at(s) >= 0 {
			t.Errorf("an empty section is printed: %q", s)
		}
	}
	for _, s := range []string{"Bilan de l'acquisition des connaissances et compétences", "Vie scolaire", "Communication avec la famille"} {
		if at(s) < 0 {
			t.Errorf("a required section is left out: %q", s)
		}
	}

	// Only the class's common appreciation: LSU receives the block (its
	// reference), the PDF prints it without a table.
	common := sectionsView(lsu.SecondDegree)
	common.Digital, common.DigitalAppreciation = nil, ""
	at = pdfText(t, common)
	if at("Compétences numériques") < 0 || at("Séances en salle informatique.") < 0 || at("Niveau") >= 0 {
		t.Error("the class's common appreciation alone: the section is missing, or a level is printed")
	}

	ecole := sectionsView(lsu.FirstDegree)
	ecole.EPI, ecole.AP, ecole.Parcours, ecole.ClassSchoolLife, ecole.Extras.HomeworkDone = nil, nil, nil, "", ""
	at = pdfText(t, ecole)
	if at("Vie scolaire") >= 0 || at("Devoirs faits") >= 0 || at("3 — Maîtrise satisfaisante") < 0 {
		t.Error("the école's report: school life or devoirs faits printed, or the socle of the term missing")
	}
}
