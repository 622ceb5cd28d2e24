package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"unicode/utf16"

	"github.com/PuerkitoBio/goquery"
	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// sectionsFixture is a collège whose first division follows an EPI and an
// AP in the first period, with a parcours, and whose first student has
// every block of the report filled.
type sectionsFixture struct {
	lf       *lsutest.Fixture
	epi, ap  sillage.LSUProjectGroup
	period   sillage.Period
	student  sillage.Student // 6E1, every block filled
	neighbor sillage.Student // 6E1, nothing of their own
	other    sillage.Student // 5E1: no project, no parcours
}

func newSectionsFixture(t *testing.T, f *fixture) *sectionsFixture {
	t.Helper()
	lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 2, PerDivision: 3, Periods: 1, Subjects: 3, Draft: true})
	sf := &sectionsFixture{lf: lf, period: lf.Periods[0], student: lf.Students[0], neighbor: lf.Students[1], other: lf.Students[3]}
	div, period, s := lf.Divisions[0], sf.period, sf.student
	ctx := context.Background()
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		lv := tx.Livret()
		epi := sillage.LSUProject{SchoolYear: period.SchoolYear, Kind: "epi", Title: "Journal du collège", Theme: "EPI_ICC",
			Description: "Un journal trimestriel.", Subjects: []string{"020700", "061300"}}
		if err := lv.CreateProject(ctx, uaiCollege, &epi); err != nil {
			return err
		}
		sf.epi = sillage.LSUProjectGroup{ProjectID: epi.ID, DivisionID: div.ID, PeriodID: period.ID, Title: "Journal — 6E1", Comment: "Deux numéros publiés.",
			Teachers: []sillage.TeacherSubject{{TeacherID: lf.Teachers[0].ID, SubjectCode: "020700"}}}
		if err := lv.CreateProjectGroup(ctx, uaiCollege, &sf.epi); err != nil {
			return err
		}
		ap := sillage.LSUProject{SchoolYear: period.SchoolYear, Kind: "ap", Title: "Méthodologie", Subjects: []string{"061300"}}
		if err := lv.CreateProject(ctx, uaiCollege, &ap); err != nil {
			return err
		}
		sf.ap = sillage.LSUProjectGroup{ProjectID: ap.ID, DivisionID: div.ID, PeriodID: period.ID, Title: "Méthodologie — 6E1",
			Teachers: []sillage.TeacherSubject{{TeacherID: lf.Teachers[1].ID, SubjectCode: "061300"}}}
		if err := lv.CreateProjectGroup(ctx, uaiCollege, &sf.ap); err != nil {
			return err
		}
		if err := lv.SetClassParcours(ctx, uaiCollege, sillage.ClassParcours{DivisionID: div.ID, PeriodID: period.ID, Code: "PAR_CIT", Text: "Élection des délégués."}); err != nil {
			return err
		}
		r, err := lv.FindPeriodicReport(ctx, uaiCollege, s.ID, period.ID)
		if err != nil {
			return err
		}
		for _, b := range []sillage.ReportBlock{{GroupID: sf.epi.ID, Text: "Rédactrice en chef investie."}, {GroupID: sf.ap.ID, Text: "Fiches de méthode soignées."},
			{Parcours: "PAR_CIT", Text: "Élue déléguée de classe."}} {
			b.ReportID = r.ID
			if err := lv.SetReportBlock(ctx, uaiCollege, b); err != nil {
				return err
			}
		}
		if err := lv.SetPeriodicExtras(ctx, uaiCollege, sillage.PeriodicExtras{ReportID: r.ID, HomeworkDone: "Deux séances de devoirs faits par semaine.",
			Socle: map[string]int{"CPD_FRA": 3, "MET_APP": 2}}, lf.Director.ID); err != nil {
			return err
		}
		if err := lv.SetClassSchoolLife(ctx, uaiCollege, sillage.ClassSchoolLife{PeriodID: period.ID, DivisionID: div.ID, Comment: "Classe attentive et solidaire."}); err != nil {
			return err
		}
		if err := lv.SetDigitalSkills(ctx, uaiCollege, sillage.DigitalSkills{ReportID: r.ID, Levels: map[string]int{"CN_INF_MEN": 2, "CN_CRE_PRO": 3},
			Appreciation: "Cherche avec méthode."}, lf.Director.ID); err != nil {
			return err
		}
		if err := lv.SetClassDigitalSkills(ctx, uaiCollege, sillage.ClassDigitalSkills{PeriodID: period.ID, DivisionID: div.ID, Comment: "Séances en salle informatique."}); err != nil {
			return err
		}
		r.Support = []string{"PPRE"}
		r.PPREComplement = "Soutien en lecture."
		r.SchoolLifeComment = "Toujours ponctuelle."
		if err := lv.UpdatePeriodicReport(ctx, uaiCollege, r); err != nil {
			return err
		}
		parent := sillage.Person{Role: sillage.RoleParent, Civility: "Mme", LastName: s.LastName, FirstName: "Claire", Source: sillage.SourceSIECLE}
		if err := tx.People().CreatePerson(ctx, uaiCollege, &parent); err != nil {
			return err
		}
		if err := tx.People().LinkGuardian(ctx, uaiCollege, sillage.Guardianship{ParentID: parent.ID, StudentID: s.ID, Legal: true, Relation: "10"}); err != nil {
			return err
		}
		return tx.People().SetPostalAddress(ctx, uaiCollege, parent.ID, sillage.PostalAddress{Lines: []string{"4 rue du Port"}, PostalCode: "17000", Town: "LA ROCHELLE"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return sf
}

// TestReportSections: the report page shows the digital skills, the EPI,
// the AP, the parcours,
// the support measures, the general appreciation with the socle of the
// term, devoirs faits, school life (the student's and the class's) and
// the legal guardians, in the order of the paper livret, each with a link
// to its entry for who may enter it; a student without them has none of
// these sections.
func TestReportSections(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			sf := newSectionsFixture(t, f)
			lf := sf.lf
			french := f.sessionOf(uaiCollege, lf.Teachers[0]) // head teacher of 6E1, teacher of the EPI group
			maths := f.sessionOf(uaiCollege, lf.Teachers[1])  // teaches 6E1, teacher of the AP group
			director := f.sessionOf(uaiCollege, lf.Director)
			div := lf.Divisions[0]
			report := fmt.Sprintf("/livret/eleve/%d/%d", sf.student.ID, sf.period.ID)

			st, body := f.do(french, "GET", report, nil)
			pg := parsePage(t, body)
			if st != 200 {
				t.Fatalf("report page: %d", st)
			}
			epiRow := fmt.Sprintf("#epi tr#groupe-%d", sf.epi.ID)
			apRow := fmt.Sprintf("#ap tr#groupe-%d", sf.ap.ID)
			for _, c := range []struct{ sel, want string }{
				{epiRow + " td", "Information, communication, citoyenneté"},
				{epiRow + " td", "Journal du collège"},
				{epiRow + " td", "Deux numéros publiés."},
				{epiRow + " td.appreciation", "Rédactrice en chef investie."},
				{apRow + " td", "Méthodologie"},
				{apRow + " td.appreciation", "Fiches de méthode soignées."},
				{"#digital-skills td", "1.1 Mener une recherche et une veille d'information"},
				{"#digital-skills td", "Niveau 2 — novice"},
				{"#digital-skills td", "3.4 Programmer"},
				{"#digital-skills td", "Niveau 3 — indépendant"},
				{"#digital-appreciation", "Cherche avec méthode."},
				{"#class-digital", "Séances en salle informatique."},
				{"#parcours tr#parcours-PAR_CIT td", "Parcours citoyen"},
				{"#parcours tr#parcours-PAR_CIT td", "Élection des délégués."},
				{"#parcours tr#parcours-PAR_CIT td.appreciation", "Élue déléguée de classe."},
				{"#support li", "PPRE"},
				{"#support li", "Soutien en lecture."},
				{"#general-appreciation", "Bon trimestre dans l'ensemble."},
				{"#socle-term td", "3 — Maîtrise satisfaisante"},
				{"#homework", "Deux séances de devoirs faits par semaine."},
				{"#school-life-comment", "Toujours ponctuelle."},
				{"#class-school-life", "Classe attentive et solidaire."},
				{"#report-guardians li", "Mme Claire " + sf.student.LastName + " (MERE) — 4 rue du Port, 17000 LA ROCHELLE"},
			} {
				if !pg.has(c.sel, c.want) {
					t.Errorf("%s does not show %q", c.sel, c.want)
				}
			}
			if n := pg.count("#socle-term tbody tr"); n != 2 {
				t.Errorf("%d socle domains shown, want the 2 positioned", n)
			}
			if n := pg.count("#digital-skills tbody tr"); n != 2 {
				t.Errorf("%d digital skills shown, want the 2 positioned", n)
			}
			// The sections follow the paper livret.
			var order []string
			pg.doc.Find("main section[id], #subjects").Each(func(_ int, s *goquery.Selection) {
				order = append(order, s.AttrOr("id", ""))
			})
			want := []string{"subjects", "digital", "projects", "support", "assessment", "homework", "school-life", "family"}
			if fmt.Sprint(order) != fmt.Sprint(want) {
				t.Errorf("sections %v, want %v", order, want)
			}
			// The links to the entries, for who may enter them.
			if pg.attr(epiRow+" a.enter", "href") != fmt.Sprintf("/livret/groupe/%d", sf.epi.ID) || pg.count(apRow+" a.enter") != 0 {
				t.Error("the EPI's teacher gets no link to its entry, or one to the AP's they are not in")
			}
			if pg.attr("#parcours-PAR_CIT a.enter", "href") != fmt.Sprintf("/livret/parcours/%d/%d?parcours=PAR_CIT", div.ID, sf.period.ID) {
				t.Error("the head teacher gets no link to the parcours' entry")
			}
			if pg.count("#class-school-life-link") != 0 || pg.count("#guardians-import-link") != 0 {
				t.Error("a teacher gets the link to the class school-life entry or to the imports")
			}
			digitalEntry := fmt.Sprintf("/livret/numerique/%d/%d#eleve-%d", div.ID, sf.period.ID, sf.student.ID)
			if pg.attr("#digital #digital-link", "href") != digitalEntry {
				t.Errorf("the head teacher's link to the digital skills: %q, want %q", pg.attr("#digital #digital-link", "href"), digitalEntry)
			}
			_, body = f.do(maths, "GET", report, nil)
			pg = parsePage(t, body)
			if pg.count(epiRow+" a.enter") != 0 || pg.attr(apRow+" a.enter", "href") != fmt.Sprintf("/livret/groupe/%d", sf.ap.ID) ||
				pg.count("#parcours a.enter") != 0 || pg.count("#head-form") != 0 || !pg.has("#epi td.appreciation", "Rédactrice en chef investie.") {
				t.Error("a teacher of the class who is not its head teacher: wrong links, or the sections not shown")
			}
			if pg.attr("#digital-link", "href") != digitalEntry {
				t.Error("a teacher of the 6e gets no link to the digital skills' entry")
			}
			_, body = f.do(director, "GET", report, nil)
			pg = parsePage(t, body)
			if pg.attr("#class-school-life-link", "href") != fmt.Sprintf("/livret/vie-scolaire?periode=%d#division-%d", sf.period.ID, div.ID) ||
				pg.count("#epi a.enter, #ap a.enter") != 2 || pg.count("#guardians-import-link") != 0 {
				t.Error("the director gets no link to the class school-life entry or to the groups, or one to the imports")
			}
			// The administrator, who imports SIECLE, is led to the imports.
			admin := sillage.Person{Role: sillage.RoleAdministrator, LastName: "ADMIN", FirstName: "Alice"}
			if err := f.st.Write(context.Background(), func(tx *store.Tx) error {
				if err := tx.People().CreatePerson(context.Background(), uaiCollege, &admin); err != nil {
					return err
				}
				return withAccount(context.Background(), tx, uaiCollege, &admin, "admin.sections")
			}); err != nil {
				t.Fatal(err)
			}
			_, body = f.do(f.sessionOf(uaiCollege, admin), "GET", report, nil)
			if parsePage(t, body).attr("#guardians-import-link", "href") != "/imports" {
				t.Error("the administrator gets no link to the import of the guardians")
			}

			// A classmate: the division's EPI, AP and parcours are sent for
			// them too (without appreciation); nothing of their own.
			_, body = f.do(french, "GET", fmt.Sprintf("/livret/eleve/%d/%d", sf.neighbor.ID, sf.period.ID), nil)
			pg = parsePage(t, body)
			if pg.text(epiRow+" td.appreciation") != "— Saisir les appréciations du groupe" || pg.text("#parcours-PAR_CIT td.appreciation") != "— Saisir le parcours" {
				t.Errorf("a classmate's projects: %q, %q", pg.text(epiRow+" td.appreciation"), pg.text("#parcours-PAR_CIT td.appreciation"))
			}
			if pg.count("#support, #homework, #socle-term, #report-guardians, #digital-skills, #digital-appreciation") != 0 || !pg.has("#class-school-life", "Classe attentive") {
				t.Error("a classmate shows another student's blocks, or not the class's comment")
			}
			// LSU receives the class's common appreciation for them too.
			if !pg.has("#digital #class-digital", "Séances en salle informatique.") || !pg.has("#digital", "Aucune compétence positionnée.") {
				t.Error("a classmate's report misses the class's common digital appreciation")
			}
			// Nothing entered for the class either: no section, only the
			// way to the entry for who may enter.
			if err := f.st.Write(context.Background(), func(tx *store.Tx) error {
				return tx.Livret().SetClassDigitalSkills(context.Background(), uaiCollege, sillage.ClassDigitalSkills{PeriodID: sf.period.ID, DivisionID: div.ID})
			}); err != nil {
				t.Fatal(err)
			}
			neighborEntry := fmt.Sprintf("/livret/numerique/%d/%d#eleve-%d", div.ID, sf.period.ID, sf.neighbor.ID)
			_, body = f.do(french, "GET", fmt.Sprintf("/livret/eleve/%d/%d", sf.neighbor.ID, sf.period.ID), nil)
			pg = parsePage(t, body)
			if pg.count("#digital") != 0 || pg.attr("#digital-entry #digital-link", "href") != neighborEntry {
				t.Error("a report without digital skills shows the section, or not the way to enter them")
			}

			// A student of a division without projects: no such sections.
			_, body = f.do(director, "GET", fmt.Sprintf("/livret/eleve/%d/%d", sf.other.ID, sf.period.ID), nil)
			pg = parsePage(t, body)
			if pg.count("#projects, #epi, #ap, #parcours, #homework, #class-school-life, #digital, #digital-entry") != 0 {
				t.Error("a student without EPI, AP or parcours (or of a 5e) shows their sections or the digital skills' entry")
			}
			if pg.count("#projects-entry") != 1 || pg.count("#assessment") != 1 || pg.count("#school-life") != 1 || pg.count("#family") != 1 {
				t.Error("the required sections or the way to enter projects are missing")
			}

			// Closed, the report keeps its sections without the entry links.
			if st, _ := f.do(french, "POST", report+"/fermer", url.Values{}); st != http.StatusSeeOther {
				t.Fatalf("close: %d", st)
			}
			_, body = f.do(french, "GET", report, nil)
			pg = parsePage(t, body)
			if !pg.has("#epi td.appreciation", "Rédactrice en chef investie.") || pg.count("a.enter") != 0 ||
				!pg.has("#digital-skills td", "Niveau 3 — indépendant") || pg.count("#digital-link") != 0 {
				t.Error("the closed report's sections or links")
			}
		})
	}
}

// pdfIndex is where s first shows in the PDF's pages, -1 if it does not:
// the Go fonts write text as UTF-16BE (parentheses are escaped: not in s).
func pdfIndex(pages [][]byte, s string) int {
	var want []byte
	for _, c := range utf16.Encode([]rune(s)) {
		want = append(want, byte(c>>8), byte(c))
	}
	return bytes.Index(bytes.Join(pages, nil), want)
}

// TestReportPDFSections: the printed report carries the same sections in
// the same order; a student without projects has none.
func TestReportPDFSections(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			sf := newSectionsFixture(t, f)
			director := f.sessionOf(uaiCollege, sf.lf.Director)
			resp := f.get(director, fmt.Sprintf("/livret/eleve/%d/%d/pdf", sf.student.ID, sf.period.ID))
			pdf := []byte(bodyOf(resp))
			if resp.StatusCode != 200 || !pdfdoc.HasText(pdf, "Suivi des acquis scolaires") {
				t.Fatalf("report PDF: %d", resp.StatusCode)
			}
			pages := pdfdoc.Pages(pdf)
			last := -1
			for _, s := range []string{"Suivi des acquis scolaires", "Compétences numériques", "1.1 Mener une recherche et une veille d'information",
				"Niveau 2 — novice", "3.4 Programmer", "Niveau 3 — indépendant", "Cherche avec méthode.", "Séances en salle informatique.",
				"Projets", "Enseignements pratiques interdisciplinaires", "Journal du collège",
				"Rédactrice en chef investie.", "Accompagnement personnalisé", "Fiches de méthode soignées.", "Parcours éducatifs", "Parcours citoyen",
				"Élue déléguée de classe.", "Modalités spécifiques d'accompagnement", "Soutien en lecture.",
				"Bilan de l'acquisition des connaissances et compétences", "3 — Maîtrise satisfaisante", "Devoirs faits",
				"Deux séances de devoirs faits par semaine.", "Vie scolaire", "Toujours ponctuelle.", "Classe attentive et solidaire.",
				"Communication avec la famille", "17000 LA ROCHELLE"} {
				i := pdfIndex(pages, s)
				if i < 0 {
					t.Errorf("the PDF does not show %q", s)
					continue
				}
				if i < last {
					t.Errorf("%q is out of the livret's order", s)
				}
				last = i
			}
			resp = f.get(director, fmt.Sprintf("/livret/eleve/%d/%d/pdf", sf.other.ID, sf.period.ID))
			pdf = []byte(bodyOf(resp))
			for _, s := range []string{"Compétences numériques", "Projets", "Enseignements pratiques interdisciplinaires", "Parcours éducatifs", "Devoirs faits"} {
				if pdfdoc.HasText(pdf, s) {
					t.Errorf("the PDF of a student without them shows %q", s)
				}
			}
			if !pdfdoc.HasText(pdf, "Communication avec la famille") {
				t.Error("the PDF of a student without projects misses a required section")
			}
		})
	}
}
