package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// htmx posts a form as htmx does.
func (f *fixture) htmx(c *http.Client, path string, form url.Values) (int, string) {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, bodyOf(resp)
}

// TestEntryGridPages: a teacher's grid, row saves through htmx (saved, and
// refused with the reason), the proposal's "Retenir", programme elements,
// then the head teacher closes and the director reopens.
func TestEntryGridPages(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 2, PerDivision: 3, Periods: 1, Subjects: 3, Draft: true})
			french := f.sessionOf(uaiCollege, lf.Teachers[0]) // FRANCAIS, head teacher of 6E1
			maths := f.sessionOf(uaiCollege, lf.Teachers[1])  // MATHEMATIQUES, head teacher of 5E1
			div, period, s := lf.Divisions[0], lf.Periods[0], lf.Students[0]
			base := fmt.Sprintf("/livret/saisie/%d/%d", div.ID, period.ID)

			st, home := f.do(french, "GET", "/livret", nil)
			pg := parsePage(t, home)
			if st != 200 || pg.count(`#grids td a[href="`+base+`?matiere=020700"]`) != 1 || pg.count(`a[href*="?matiere=061300"]`) != 0 {
				t.Fatalf("teacher's Livret page: %d", st)
			}
			st, grid := f.do(french, "GET", base+"?matiere=020700", nil)
			pg = parsePage(t, grid)
			if st != 200 || !pg.has("form.lsu-row .student", s.FullName()) || pg.attr(fmt.Sprintf("form#eleve-%d", s.ID), "hx-post") != base {
				t.Fatalf("grid: %d", st)
			}
			if st, _ := f.do(french, "GET", base+"?matiere=061300", nil); st != http.StatusNotFound {
				t.Errorf("another teacher's subject: %d", st)
			}
			row := url.Values{"eleve": {fmt.Sprint(s.ID)}, "matiere": {"020700"}, "moyenne": {"16,5"}, "positionnement": {"3"}, "appreciation": {"Très bon trimestre."}}
			st, frag := f.htmx(french, base, row)
			pg = parsePage(t, frag)
			if st != 200 || pg.count("form.lsu-row.saved") != 1 || pg.attr("form.lsu-row input.average", "value") != "16,5" || pg.count("main, header") != 0 {
				t.Fatalf("htmx save: %d %s", st, frag)
			}
			row.Set("moyenne", "25")
			st, frag = f.htmx(french, base, row)
			pg = parsePage(t, frag)
			if st != http.StatusBadRequest || pg.count("form.lsu-row.failed") != 1 || !pg.has("form.lsu-row .row-status", "un nombre de 0 à 20") || pg.attr("form.lsu-row input.average", "value") != "25" {
				t.Fatalf("refused row: %d %s", st, frag)
			}
			row.Set("moyenne", "12")
			if st, _ := f.do(french, "POST", base, row); st != http.StatusSeeOther {
				t.Errorf("save without htmx: %d", st)
			}
			if st, _ := f.htmx(maths, base, row); st != http.StatusNotFound {
				t.Errorf("the maths teacher saving French: %d", st)
			}
			// Programme elements.
			if st, _ := f.do(french, "POST", base+"/elements", url.Values{"matiere": {"020700"}, "libelle": {"La poésie lyrique"}}); st != http.StatusSeeOther {
				t.Fatalf("add element: %d", st)
			}
			if _, g := f.do(french, "GET", base+"?matiere=020700", nil); !parsePage(t, g).has("ul.elements li", "La poésie lyrique") {
				t.Error("the element is not listed")
			}

			// The head teacher's part, then closing.
			report := fmt.Sprintf("/livret/eleve/%d/%d", s.ID, period.ID)
			if st, _ := f.do(maths, "POST", report+"/fermer", url.Values{}); st != http.StatusForbidden {
				t.Errorf("closing by a teacher of the class who is not its head teacher: %d", st)
			}
			head := url.Values{"appreciation": {"Élève investi."}, "retards": {"1"}, "absences": {"2"}, "injustifiees": {"0"}, "heures": {"4"},
				"accompagnement": {"PAP"}, "conseil": {"2025-11-27"}}
			if st, body := f.do(french, "POST", report, head); st != http.StatusSeeOther {
				t.Fatalf("head fields: %d %.300s", st, body)
			}
			if st, body := f.do(french, "POST", report+"/fermer", url.Values{}); st != http.StatusSeeOther {
				t.Fatalf("close: %d %.300s", st, body)
			}
			_, page := f.do(french, "GET", report, nil)
			pg = parsePage(t, page)
			if !pg.has("#state .badge", "fermé le") || pg.count(`#pdfs a[href^="/livret/pdf/"]`) == 0 || pg.count("#head-form") != 0 {
				t.Fatal("the closed report page")
			}
			if st, frag := f.htmx(french, base, row); st != http.StatusConflict || !parsePage(t, frag).has(".row-status", "fermé") {
				t.Errorf("entering into a closed report: %d", st)
			}
			if st, _ := f.do(french, "POST", report+"/rouvrir", url.Values{}); st != http.StatusForbidden {
				t.Errorf("a teacher reopening: %d", st)
			}
			pdf := f.get(french, report+"/pdf")
			if pdf.StatusCode != 200 || pdf.Header.Get("Content-Type") != "application/pdf" {
				t.Errorf("report PDF: %d", pdf.StatusCode)
			}
			director := f.sessionOf(uaiCollege, lf.Director)
			if st, _ := f.do(director, "POST", report+"/rouvrir", url.Values{}); st != http.StatusSeeOther {
				t.Fatalf("the director reopening: %d", st)
			}
			if st, _ := f.do(french, "POST", fmt.Sprintf("/livret/classe/%d/%d/fermer", div.ID, period.ID), url.Values{}); st != http.StatusSeeOther {
				t.Fatal("closing the class")
			}
			var pdfs []sillage.ReportPDF
			f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
				pdfs, err = tx.Livret().ListReportPDFs(context.Background(), uaiCollege, lsutest.Year)
				return err
			})
			if len(pdfs) != 4 {
				t.Fatalf("%d archived PDFs, want 4 (3 students, one closed twice)", len(pdfs))
			}
			if r := f.get(french, fmt.Sprintf("/livret/pdf/%d", pdfs[0].ID)); r.StatusCode != 200 || !strings.HasPrefix(bodyOf(r), "%PDF-") {
				t.Errorf("archived PDF: %d", r.StatusCode)
			}
			if r := f.get(f.session(f.a, sillage.RoleTeacher), fmt.Sprintf("/livret/pdf/%d", pdfs[0].ID)); r.StatusCode != 404 {
				t.Errorf("another establishment's archived PDF: %d", r.StatusCode)
			}
		})
	}
}

func TestCycleReportPages(t *testing.T) {
	f := newFixture(t)
	lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 4, PerDivision: 2, Periods: 1, Subjects: 2})
	head := f.sessionOf(uaiCollege, lf.Teachers[1]) // heads 5E1 and 3E1 (4 divisions, 2 teachers)
	s := lf.Students[6]                             // 3E1
	st, page := f.do(head, "GET", fmt.Sprintf("/livret/cycle/classe/%d", lf.Divisions[3].ID), nil)
	if pg := parsePage(t, page); st != 200 || !pg.has("h1", "fin de cycle 4") || !pg.has("table td", s.FullName()) {
		t.Fatalf("3e cycle page: %d", st)
	}
	form := url.Values{"cycle": {"4"}, "synthese": {"Fin de cycle réussie."}, "complement": {"LCA"}, "complement_niveau": {"1"}}
	for _, d := range store.SocleDomains {
		form.Set(d, "3")
	}
	if st, body := f.do(head, "POST", fmt.Sprintf("/livret/cycle/eleve/%d", s.ID), form); st != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", st, body)
	}
	if st, _ := f.do(head, "POST", fmt.Sprintf("/livret/cycle/eleve/%d/fermer", s.ID), url.Values{"cycle": {"4"}}); st != http.StatusSeeOther {
		t.Fatal("close")
	}
	_, page = f.do(head, "GET", fmt.Sprintf("/livret/cycle/eleve/%d?cycle=4", s.ID), nil)
	if pg := parsePage(t, page); !pg.has("#state .badge", "fermé le") || pg.count(`input[value="3"][checked][disabled]`) == 0 {
		t.Fatal("the closed cycle report")
	}
	if r := f.get(head, fmt.Sprintf("/livret/cycle/eleve/%d/pdf?cycle=4", s.ID)); r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("cycle PDF: %d", r.StatusCode)
	}
	if st, _ := f.do(head, "POST", fmt.Sprintf("/livret/cycle/eleve/%d", s.ID), url.Values{"cycle": {"2"}}); st != http.StatusBadRequest {
		t.Errorf("cycle 2 in a collège: %d", st)
	}
}

func TestPeriodsPage(t *testing.T) {
	f := newFixture(t)
	c := f.session(f.a, sillage.RoleAdministrator)
	if st, _ := f.do(c, "POST", "/periodes/rentree", url.Values{"rentree": {"2025-09-02"}}); st != http.StatusConflict && st != http.StatusBadRequest {
		// The fixture's trimester starts on 1 September: refused.
		t.Fatalf("term start after a period's start: %d", st)
	}
	pid := f.a.IDs["period"]
	if st, body := f.do(c, "POST", fmt.Sprintf("/periodes/%d", pid), url.Values{"debut": {"2025-09-02"}, "fin": {"2025-11-29"}}); st != http.StatusSeeOther {
		t.Fatalf("move the trimester: %d %.200s", st, body)
	}
	if st, _ := f.do(c, "POST", "/periodes/rentree", url.Values{"rentree": {"02/09/2025"}}); st != http.StatusSeeOther {
		t.Fatalf("term start: %d", st)
	}
	st, body := f.do(c, "POST", "/periodes", url.Values{"type": {"trimestre"}, "rang": {"2"}, "debut": {"2025-08-25"}, "fin": {"2026-02-28"}})
	if st != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "avant la rentrée") {
		t.Fatalf("a period before the first day of term: %d", st)
	}
	if st, _ := f.do(c, "POST", "/periodes", url.Values{"type": {"semestre"}, "rang": {"2"}, "debut": {"2026-02-01"}, "fin": {"2026-06-30"}}); st != http.StatusConflict {
		t.Errorf("semesters in a year of trimesters: %d", st)
	}
	if st, _ := f.do(c, "POST", "/periodes", url.Values{"type": {"trimestre"}, "rang": {"2"}, "debut": {"2025-12-01"}, "fin": {"2026-02-28"}}); st != http.StatusSeeOther {
		t.Fatalf("second trimester: %d", st)
	}
	_, page := f.do(c, "GET", "/periodes", nil)
	if pg := parsePage(t, page); !pg.has("table td", "Trimestre 2") || pg.attr("#rentree", "value") != "2025-09-02" {
		t.Fatal("the periods page")
	}
	if st, _ := f.do(c, "POST", fmt.Sprintf("/periodes/%d/supprimer", pid), url.Values{}); st != http.StatusConflict {
		t.Errorf("deleting a period with reports: %d", st)
	}
	// Next year's periods can be prepared.
	if st, _ := f.do(c, "POST", "/periodes", url.Values{"annee": {"2026"}, "type": {"semestre"}, "rang": {"1"}, "debut": {"2026-09-01"}, "fin": {"2027-01-31"}}); st != http.StatusSeeOther {
		t.Errorf("next year's semester: %d", st)
	}
	var entries []sillage.AuditEntry
	f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
		entries, err = tx.Audit().ListAudit(context.Background(), uaiA, sillage.AuditFilter{Action: "periods"})
		return err
	})
	if len(entries) != 4 {
		t.Errorf("%d audit entries of period changes, want 4", len(entries))
	}
}
