package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestLSUOfferedByKind: the Livret Scolaire (entry pages, export page,
// export route, menu) is offered to collèges and écoles; a lycée, general
// or professional, and an establishment of unknown kind are told why not,
// in French, on every engine.
func TestLSUOfferedByKind(t *testing.T) {
	cases := []struct {
		kind    sillage.EstablishmentKind
		offered bool
		reason  string
	}{
		{sillage.KindCollege, true, ""},
		{sillage.KindEcole, true, ""},
		{sillage.KindLGT, false, "ne s'applique pas à 0861300C, lycée général et technologique"},
		{sillage.KindLP, false, "ne s'applique pas à 0861300C, lycée professionnel"},
		{sillage.KindUnknown, false, "Le type de l'établissement 0861300C n'est pas connu"},
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			f := newFixtureOn(t, engine)
			for i, tc := range cases {
				t.Run(string(tc.kind), func(t *testing.T) {
					uai := scopeUAI(t, 1300+i)
					tc.reason = strings.ReplaceAll(tc.reason, "0861300C", string(uai))
					director := scopeEstablishment(t, f, uai, tc.kind)
					c := f.sessionOf(uai, director)
					for _, path := range []string{"/lsu", "/livret"} {
						resp := f.get(c, path)
						pg := parsePage(t, bodyOf(resp))
						if resp.StatusCode != http.StatusOK {
							t.Fatalf("%s: %d", path, resp.StatusCode)
						}
						explained := pg.count("#lsu-not-applicable") == 1
						if explained == tc.offered {
							t.Errorf("%s: explanation shown %v, LSU offered %v", path, explained, tc.offered)
						}
						if !tc.offered && (!pg.has("#lsu-not-applicable", tc.reason) || !pg.has("#lsu-not-applicable", "écoles") ||
							!pg.has("#lsu-not-applicable", "sillage establishment kind --uai "+string(uai)) ||
							!pg.has("#lsu-not-applicable", "« Établissements de l'instance »")) {
							t.Errorf("%s: reason %q not in %q", path, tc.reason, pg.text("#lsu-not-applicable"))
						}
						if tc.offered && path == "/lsu" && !pg.has("h2", "Prérequis") {
							t.Errorf("/lsu: no prerequisites on the export page")
						}
						// The menu offers the Livret Scolaire only where it applies.
						for _, entry := range []string{"/lsu", "/livret"} {
							if got := pg.count(`nav.menu a[href="` + entry + `"]`); got != map[bool]int{true: 1, false: 0}[tc.offered] {
								t.Errorf("%s: menu entry %s shown %d times", path, entry, got)
							}
						}
					}
					// The export route refuses with the reason.
					status, body := f.do(c, "POST", "/lsu", url.Values{"portee": {"etablissement"}})
					if !tc.offered {
						if pg := parsePage(t, body); status != http.StatusConflict || !pg.has("#lsu-not-applicable", tc.reason) {
							t.Errorf("POST /lsu: %d %q", status, pg.text("#lsu-not-applicable"))
						}
					} else if status == http.StatusConflict {
						t.Errorf("POST /lsu refused for a %s", tc.kind)
					}
				})
			}
		})
	}
}

// scopeUAI is a valid UAI of number n in the 086 department.
func scopeUAI(t *testing.T, n int) sillage.UAI {
	t.Helper()
	digits := fmt.Sprintf("086%04d", n)
	l, err := sillage.UAICheckLetter(digits)
	if err != nil {
		t.Fatal(err)
	}
	return sillage.UAI(digits + string(l))
}

// scopeEstablishment adds an establishment of a kind with its director,
// who has an account.
func scopeEstablishment(t *testing.T, f *fixture, uai sillage.UAI, kind sillage.EstablishmentKind) sillage.Person {
	t.Helper()
	ctx := context.Background()
	director := sillage.Person{Role: sillage.RoleDirector, Civility: "MME", LastName: "FONTAINE", FirstName: "Claire", Source: sillage.SourceSTS, STSID: "900"}
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Établissement " + string(kind), Kind: kind}); err != nil {
			return err
		}
		if err := tx.People().CreatePerson(ctx, uai, &director); err != nil {
			return err
		}
		return withAccount(ctx, tx, uai, &director, "direction."+string(uai))
	})
	if err != nil {
		t.Fatal(err)
	}
	return director
}

// TestLSUReportLeadsSomewhere: stored situations trigger blocking checks;
// the export's report shows each blocking line with the student's name,
// what to do and a link to the page where it is done, and a prerequisite
// still to do links to its page. On every engine.
func TestLSUReportLeadsSomewhere(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			f := newFixtureOn(t, engine)
			lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 4, PerDivision: 3, Periods: 1, Subjects: 3, Cycle: true, Draft: true})
			var in3E1 []sillage.Student
			for _, s := range lf.Students {
				if s.DivisionCode == "3E1" {
					in3E1 = append(in3E1, s)
				}
			}
			noID, noSocle, draft := in3E1[0], in3E1[1], in3E1[2]
			ctx := context.Background()
			err := f.st.Write(ctx, func(tx *store.Tx) error {
				noID.SIECLEID = ""
				if err := tx.People().UpdateStudent(ctx, uaiCollege, noID); err != nil {
					return err
				}
				c, err := tx.Livret().FindCycleReport(ctx, uaiCollege, noSocle.ID, 4)
				if err != nil {
					return err
				}
				if err := tx.Livret().SetCycleReportState(ctx, uaiCollege, c.ID, sillage.ReportDraft, 0); err != nil {
					return err
				}
				delete(c.Socle, "SYS_NAT")
				if err := tx.Livret().UpsertCycleReport(ctx, uaiCollege, &c); err != nil {
					return err
				}
				return tx.Livret().SetCycleReportState(ctx, uaiCollege, c.ID, sillage.ReportClosed, 0)
			})
			if err != nil {
				t.Fatal(err)
			}
			c := f.sessionOf(uaiCollege, lf.Director)
			period := lf.Periods[0].ID

			// Each prerequisite to do links to the page where it is done.
			pg := parsePage(t, bodyOf(f.get(c, "/lsu")))
			todo := map[string]string{}
			pg.doc.Find("#prereqs li.ko").Each(func(_ int, li *goquery.Selection) {
				href, _ := li.Find("a.todo").Attr("href")
				todo[squash(li.Text())] = href
			})
			for label, href := range map[string]string{
				"à faire Élèves importés de SIECLE (identifiant ELEVE_ID) — 1 élève(s) sans ELEVE_ID": "/imports",
				"à faire Bilans fermés — " + lf.Periods[0].Label() + " — 0 fermé(s) sur 12 saisi(s)":  fmt.Sprintf("/livret?periode=%d", period),
			} {
				if todo[label] != href {
					t.Errorf("prerequisite %q: link %q, want %q (%q)", label, todo[label], href, todo)
				}
			}
			if len(todo) == 0 || pg.count("#prereqs li.ko a.todo[href]") != len(todo) {
				t.Errorf("prerequisites to do without a link: %q", todo)
			}

			form := url.Values{"portee": {"division"}, "division": {"3E1"}, "periode": {fmt.Sprint(period)}, "cycle": {"1"}}
			resp := postMultipart(t, c, f.ts.URL+"/lsu", form, "", nil)
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !exportLink.MatchString(loc) {
				t.Fatalf("POST /lsu: %d %s %.300s", resp.StatusCode, loc, bodyOf(resp))
			}
			pg = parsePage(t, bodyOf(f.get(c, loc+"?type=blocking")))
			for _, want := range []struct {
				student sillage.Student
				message string
				href    string
			}{
				{noID, "élève sans identifiant SIECLE", "/imports"},
				{noSocle, "domaines du socle sans positionnement", fmt.Sprintf("/livret/cycle/eleve/%d", noSocle.ID)},
				{noSocle, "bilan non fermé", fmt.Sprintf("/livret/eleve/%d/%d", noSocle.ID, period)},
				{draft, "bilan non fermé", fmt.Sprintf("/livret/eleve/%d/%d", draft.ID, period)},
			} {
				found := false
				pg.doc.Find("#report tr.kind-blocking").Each(func(_ int, row *goquery.Selection) {
					cells := row.Find("td")
					if squash(cells.Eq(1).Text()) != want.student.FullName() || !strings.Contains(cells.Eq(5).Text(), want.message) {
						return
					}
					found = true
					link := cells.Eq(5).Find("a.fix-link")
					if href, _ := link.Attr("href"); href != want.href || !strings.HasPrefix(squash(cells.Eq(5).Find(".fix").Text()), "À faire : ") || squash(link.Text()) == "" {
						t.Errorf("%s, %s: link %q (want %q), %q", want.student.FullName(), want.message, href, want.href, squash(cells.Eq(5).Text()))
					}
				})
				if !found {
					t.Errorf("no blocking line %q for %s in %q", want.message, want.student.FullName(), pg.texts("#report tr"))
				}
			}
			// Every blocking line leads somewhere.
			if n, linked := pg.count("#report tr.kind-blocking"), pg.count("#report tr.kind-blocking a.fix-link"); n == 0 || n != linked {
				t.Errorf("%d blocking lines, %d with a link", n, linked)
			}
		})
	}
}
