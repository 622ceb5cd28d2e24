package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/store"
)

// addEarlierEvaluation gives the fixture's student of A a September
// evaluation (C1 4, C3 2, C2 absent), so their progress spans two months:
// C1 then reads 4 → 3 by date.
func addEarlierEvaluation(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	a := f.a
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		comps, err := tx.Records().ListCompetences(ctx, a.UAI, a.IDs["referential"])
		if err != nil {
			return err
		}
		e := sillage.Evaluation{Title: "Diagnostic de rentrée", Date: sillage.NewDate(2025, 9, 10), Diploma: "24732205", ReferentialID: a.IDs["referential"],
			AuthorID: a.Persons[sillage.RoleTeacher].ID, DivisionID: a.Division.ID}
		if err := tx.Records().CreateEvaluation(ctx, a.UAI, &e); err != nil {
			return err
		}
		for i, v := range []string{"4", "ABS", "2"} {
			if err := tx.Records().SetResult(ctx, a.UAI, sillage.Result{EvaluationID: e.ID, StudentID: a.Student.ID, CompetenceID: comps[i].ID, Value: v}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAcquisitionStudentPage(t *testing.T) {
	f := newFixture(t)
	addOthers(t, f)
	addEarlierEvaluation(t, f)
	a := f.a
	for _, tc := range []struct {
		role sillage.Role
		path string
	}{
		{sillage.RoleStudent, "/mon-livret/acquis"},
		{sillage.RoleParent, fmt.Sprintf("/mes-enfants/%d/acquis", a.Student.ID)},
		{sillage.RoleTeacher, fmt.Sprintf("/eleves/%d/acquis", a.Student.ID)},
		{sillage.RoleDirector, fmt.Sprintf("/eleves/%d/acquis", a.Student.ID)},
		{sillage.RoleAdministrator, fmt.Sprintf("/eleves/%d/acquis", a.Student.ID)},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			status, body := f.do(f.session(a, tc.role), "GET", tc.path, nil)
			if status != http.StatusOK {
				t.Fatalf("status %d: %.300s", status, body)
			}
			p := parsePage(t, body)
			if !p.has("h1", "Acquis de Léa") {
				t.Errorf("heading %q", p.text("h1"))
			}
			// The default method is stated.
			if !p.has(".acq-method", "moyenne pondérée des 4 derniers résultats") {
				t.Errorf("method %q", p.text(".acq-method"))
			}
			// C1: 4 (September) then 3 (October), weighted (4·1+3·2)/3 = 3.33 → Maîtrisé.
			// C2: absent only, shown without a state. C3: 2. Préparer = C1
			// alone = 3.33 → Maîtrisé; Réaliser = 2.
			cells := func(sel string) string {
				var rows []string
				p.doc.Find(sel).Each(func(_ int, tr *goquery.Selection) {
					var c []string
					tr.Find("th, td").Each(func(_ int, td *goquery.Selection) { c = append(c, squash(td.Text())) })
					rows = append(rows, strings.Join(c, "|"))
				})
				return strings.Join(rows, "\n")
			}
			if got, want := cells("table.acq-table tr.competence"), "C1|S'informer sur l'intervention|3 Maîtrisé|2\n"+
				"C2|Organiser l'intervention|—|0\n"+
				"C3|Installer les équipements|2 Insuffisamment maîtrisé|1"; got != want {
				t.Errorf("competence rows\n%s\nwant\n%s", got, want)
			}
			if got, want := cells("table.acq-table tr.domain"), "Préparer|3 Maîtrisé|2\nRéaliser|2 Insuffisamment maîtrisé|1"; got != want {
				t.Errorf("domain rows\n%s\nwant\n%s", got, want)
			}
			if p.attr("table.acq-table tr.competence .level", "class") != "level lvl-3" {
				t.Errorf("C1's colour class %q", p.attr("table.acq-table tr.competence .level", "class"))
			}
			// The period selector: the year, the whole schooling.
			if got := p.texts("select[name=periode] option"); len(got) < 2 || !strings.Contains(got[0], "2025-2026") || !strings.Contains(got[len(got)-1], "toute la scolarité") {
				t.Errorf("spans %q", got)
			}
			// The chart and its table.
			if p.attr("svg.chart", "role") != "img" || p.count("svg.chart title") == 0 || p.count("svg.chart desc") != 1 {
				t.Errorf("chart: role %q", p.attr("svg.chart", "role"))
			}
			if got := p.texts("table.chart-data tbody th"); strings.Join(got, ",") != "sept. 2025,oct. 2025" {
				t.Errorf("chart table months %q", got)
			}
			if !p.has("table.chart-data tbody tr:last-child td", "Maîtrisé") {
				t.Errorf("chart table: %q", p.texts("table.chart-data tbody td"))
			}
			if !strings.HasSuffix(p.attr("a[href$='bilan.pdf?periode=annee']", "href"), tc.path+"/bilan.pdf?periode=annee") {
				t.Errorf("PDF link %q", p.attr("a[href*='bilan.pdf']", "href"))
			}
		})
	}
}

func TestAcquisitionReach(t *testing.T) {
	f := newFixture(t)
	o := addOthers(t, f)
	a := f.a
	for _, tc := range []struct {
		name   string
		client *http.Client
		path   string
		want   int
	}{
		{"a parent not legal guardian", f.sessionOf(a.UAI, o.nonLegal), fmt.Sprintf("/mes-enfants/%d/acquis", a.Student.ID), http.StatusNotFound},
		{"a parent, another student", f.session(a, sillage.RoleParent), fmt.Sprintf("/mes-enfants/%d/acquis", o.classmate.ID), http.StatusNotFound},
		{"a parent's bilan, another student", f.session(a, sillage.RoleParent), fmt.Sprintf("/mes-enfants/%d/acquis/bilan.pdf", o.classmate.ID), http.StatusNotFound},
		{"a teacher, a student of another class", f.session(a, sillage.RoleTeacher), fmt.Sprintf("/eleves/%d/acquis", o.far.ID), http.StatusNotFound},
		{"a teacher, another class", f.session(a, sillage.RoleTeacher), fmt.Sprintf("/acquis/classes/%d", o.farDivisionID), http.StatusNotFound},
		{"a teacher, another class's CSV", f.session(a, sillage.RoleTeacher), fmt.Sprintf("/acquis/classes/%d/synthese.csv", o.farDivisionID), http.StatusNotFound},
		{"the other teacher, this class", f.sessionOf(a.UAI, o.farTeacher), fmt.Sprintf("/acquis/classes/%d", a.Division.ID), http.StatusNotFound},
		{"a director of B, a class of A", f.session(f.b, sillage.RoleDirector), fmt.Sprintf("/acquis/classes/%d", a.Division.ID), http.StatusNotFound},
		{"a student, the staff's path", f.session(a, sillage.RoleStudent), fmt.Sprintf("/eleves/%d/acquis", a.Student.ID), http.StatusForbidden},
		{"the director, another class", f.session(a, sillage.RoleDirector), fmt.Sprintf("/acquis/classes/%d", o.farDivisionID), http.StatusOK},
		{"an unknown period", f.session(a, sillage.RoleStudent), "/mon-livret/acquis?periode=p999999", http.StatusBadRequest},
		{"an unknown sort", f.session(a, sillage.RoleDirector), fmt.Sprintf("/acquis/classes/%d?tri=c1", a.Division.ID), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.do(tc.client, "GET", tc.path, nil)
			if status != tc.want {
				t.Errorf("status %d, want %d: %.300s", status, tc.want, body)
			}
			if status == http.StatusBadRequest && !strings.Contains(body, "inconnu") {
				t.Errorf("no French reason: %.500s", body)
			}
		})
	}
}

func TestAcquisitionClassPage(t *testing.T) {
	f := newFixture(t)
	o := addOthers(t, f)
	addEarlierEvaluation(t, f)
	a := f.a
	base := fmt.Sprintf("/acquis/classes/%d", a.Division.ID)
	teacher := f.session(a, sillage.RoleTeacher)

	status, body := f.do(teacher, "GET", "/acquis", nil)
	if status != http.StatusOK {
		t.Fatalf("home: %d", status)
	}
	home := parsePage(t, body)
	if home.attr("ul.acq-classes a", "href") != base || home.count("form[action='/acquis/methode']") != 0 {
		t.Errorf("home: link %q, method form %d (a teacher does not set the method)", home.attr("ul.acq-classes a", "href"), home.count("form[action='/acquis/methode']"))
	}

	names := func(p page) []string { return p.texts("table.acq-synthesis tbody th") }
	status, body = f.do(teacher, "GET", base, nil)
	if status != http.StatusOK {
		t.Fatalf("class: %d %.300s", status, body)
	}
	p := parsePage(t, body)
	// French order: Camarade before Élève (É as E).
	if got := names(p); len(got) != 2 || !strings.HasPrefix(got[0], "CAMARADE") || !strings.HasPrefix(got[1], "ÉLÈVE") {
		t.Errorf("rows %q", got)
	}
	// C2 has only an absence: a column without a state.
	if got := p.texts("table.acq-synthesis thead th"); strings.Join(got, ",") != "Élève,C1,C2,C3" {
		t.Errorf("columns %q", got)
	}
	if p.attr("table.acq-synthesis thead th:first-child", "aria-sort") != "ascending" {
		t.Error("the student column is not marked as the sort")
	}
	// Camarade: C1 1 (Non maîtrisé), C3 none.
	if got := p.texts("table.acq-synthesis tbody tr:first-child td"); strings.Join(got, ",") != "1,—,—" {
		t.Errorf("Camarade's cells %q", got)
	}
	if p.attr("svg.chart", "role") != "img" || p.count("table.chart-data tbody tr") != 3 {
		t.Errorf("distribution chart or its table missing")
	}

	// Sorted by C1, the most advanced first: Élève (3) before Camarade (1).
	c1 := p.attr("table.acq-synthesis thead th:nth-child(2) a", "href")
	status, body = f.do(teacher, "GET", c1, nil)
	if status != http.StatusOK {
		t.Fatalf("sorted: %d", status)
	}
	p = parsePage(t, body)
	if got := names(p); len(got) != 2 || !strings.HasPrefix(got[0], "ÉLÈVE") {
		t.Errorf("sorted by C1: %q", got)
	}
	if p.attr("table.acq-synthesis thead th:nth-child(2)", "aria-sort") != "descending" {
		t.Error("the C1 column is not marked as the sort")
	}

	// The CSV keeps the sort.
	resp := f.get(teacher, p.attr("a[href*='synthese.csv']", "href"))
	csv := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	want := "\ufeffNom;Prénom;Classe;C1 — S'informer sur l'intervention;C2 — Organiser l'intervention;C3 — Installer les équipements\n" +
		"Élève Lycée A;Léa;1SN;Maîtrisé;;Insuffisamment maîtrisé\n" +
		"Camarade;Hugo;1SN;Non maîtrisé;;\n"
	if csv != want {
		t.Errorf("CSV\n%q\nwant\n%q", csv, want)
	}

	// The class bilan.
	resp = f.get(teacher, base+"/bilan.pdf")
	pdf := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, s := range []string{"Bilan des acquis — classe 1SN", "Méthode de calcul", "Répartition des élèves par compétence", "CAMARADE Hugo"} {
		if !pdfdoc.HasText([]byte(pdf), s) {
			t.Errorf("class bilan lacks %q", s)
		}
	}
	_ = o
}

func TestAcquisitionMethodSetting(t *testing.T) {
	f := newFixture(t)
	addEarlierEvaluation(t, f)
	a := f.a
	admin := f.session(a, sillage.RoleAdministrator)
	// Bad input: a French error, nothing changed.
	status, body := f.do(admin, "POST", "/acquis/methode", url.Values{"methode": {"mean"}, "nombre": {"40"}})
	if status != http.StatusBadRequest || !parsePage(t, body).has(".errors", "de 2 à 12") {
		t.Fatalf("bad count: %d %.400s", status, body)
	}
	status, body = f.do(f.session(a, sillage.RoleStudent), "GET", "/mon-livret/acquis", nil)
	if status != http.StatusOK || !parsePage(t, body).has(".acq-method", "moyenne pondérée des 4") {
		t.Fatalf("method changed by a refused form: %.300s", body)
	}
	// The last result: C1 reads 3 (October), C3 2.
	status, _ = f.do(admin, "POST", "/acquis/methode", url.Values{"methode": {"last"}})
	if status != http.StatusSeeOther {
		t.Fatalf("save: %d", status)
	}
	_, body = f.do(f.session(a, sillage.RoleStudent), "GET", "/mon-livret/acquis", nil)
	p := parsePage(t, body)
	if !p.has(".acq-method", "dernier résultat") || !p.has("table.acq-table tr.competence", "C1") {
		t.Errorf("after the change: %q", p.text(".acq-method"))
	}
	// The student's bilan states it, for the whole schooling.
	resp := f.get(f.session(a, sillage.RoleStudent), "/mon-livret/acquis/bilan.pdf?periode=scolarite")
	pdf := readAll(t, resp)
	for _, s := range []string{"dernier résultat", "toute la scolarité", "Préparer : Maîtrisé"} {
		if !pdfdoc.HasText([]byte(pdf), s) {
			t.Errorf("student bilan lacks %q", s)
		}
	}
	// The change is in the journal.
	_, body = f.do(admin, "GET", "/journal", nil)
	if !strings.Contains(body, "calcul des acquis") {
		t.Error("no journal entry for the change of method")
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
