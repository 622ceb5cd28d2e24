package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestDigitalSkillsPage: a teacher of a 6e opens the page from the Livret
// and the class's reports, positions students with labelled selects,
// writes the class's appreciation; a bad level is refused with nothing
// changed; a 5e and an école are told the page does not apply; the link of
// an export's line leads to the student's row.
func TestDigitalSkillsPage(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 2, PerDivision: 3, Periods: 1, Subjects: 3, Draft: true})
			teacher := f.sessionOf(uaiCollege, lf.Teachers[1])
			sixth, fifth, period := lf.Divisions[0], lf.Divisions[1], lf.Periods[0]
			if !strings.HasPrefix(sixth.Code, "6") || !strings.HasPrefix(fifth.Code, "5") {
				t.Fatalf("fixture divisions: %s %s", sixth.Code, fifth.Code)
			}
			base := fmt.Sprintf("/livret/numerique/%d/%d", sixth.ID, period.ID)

			_, home := f.do(teacher, "GET", fmt.Sprintf("/livret?periode=%d", period.ID), nil)
			if pg := parsePage(t, home); pg.count(`#classes a.digital-link[href="`+base+`"]`) != 1 || pg.count(`#classes a.digital-link`) != 1 {
				t.Errorf("the Livret page does not link the 6e's digital skills only: %.600s", home)
			}
			_, class := f.do(teacher, "GET", fmt.Sprintf("/livret/classe/%d/%d", sixth.ID, period.ID), nil)
			if parsePage(t, class).attr("#digital-link a", "href") != base {
				t.Errorf("the class page does not link the digital skills")
			}
			_, class5 := f.do(teacher, "GET", fmt.Sprintf("/livret/classe/%d/%d", fifth.ID, period.ID), nil)
			if parsePage(t, class5).count("#digital-link") != 0 {
				t.Errorf("a 5e links the digital skills")
			}

			st, body := f.do(teacher, "GET", base, nil)
			pg := parsePage(t, body)
			if st != http.StatusOK || pg.count("#digital-students tbody tr") != 3 || pg.count("#digital-students tbody select") != 3*16 ||
				pg.count("#digital-students select:not([aria-label])") != 0 || pg.count(`label[for="commune"]`) != 1 ||
				!pg.has("#digital-skills", "Mener une recherche et une veille d'information") {
				t.Fatalf("page: %d %.800s", st, body)
			}
			var students []sillage.Student
			for _, s := range lf.Students {
				if s.DivisionID == sixth.ID {
					students = append(students, s)
				}
			}
			s0 := students[0]
			form := url.Values{"commune": {"Salle informatique : recherche documentaire."},
				fmt.Sprintf("niveau-%d-CN_INF_MEN", s0.ID): {"3"}, fmt.Sprintf("niveau-%d-CN_CRE_PRO", s0.ID): {"1"},
				fmt.Sprintf("niveau-%d-CN_ENV_EVO", s0.ID): {""}, fmt.Sprintf("appreciation-%d", s0.ID): {"Autonome & curieux."}}
			if st, body := f.do(teacher, "POST", base, form); st != http.StatusSeeOther {
				t.Fatalf("save: %d %.300s", st, body)
			}
			_, body = f.do(teacher, "GET", base, nil)
			pg = parsePage(t, body)
			row := fmt.Sprintf("#eleve-%d", s0.ID)
			if pg.attr(fmt.Sprintf(`%s select[name="niveau-%d-CN_INF_MEN"] option[selected]`, row, s0.ID), "value") != "3" ||
				!pg.has(row+" textarea", "Autonome & curieux.") || !pg.has("#commune", "Salle informatique") {
				t.Fatalf("saved values not shown: %.1500s", body)
			}

			bad := url.Values{"commune": {"Changé"}, fmt.Sprintf("niveau-%d-CN_INF_MEN", s0.ID): {"4"}}
			if st, body := f.do(teacher, "POST", base, bad); st != http.StatusBadRequest || !strings.Contains(body, "invalide") {
				t.Errorf("a level 4: %d %.300s", st, body)
			}
			if _, body := f.do(teacher, "GET", base, nil); !parsePage(t, body).has("#commune", "Salle informatique") {
				t.Error("a refused form changed the common appreciation")
			}
			var skills map[int64]sillage.DigitalSkills
			f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
				skills, err = tx.Livret().ListDigitalSkills(context.Background(), uaiCollege, nil)
				return err
			})
			if len(skills) != 1 {
				t.Errorf("stored: %+v", skills)
			}
			for _, s := range skills {
				if s.Levels["CN_INF_MEN"] != 3 || s.Levels["CN_CRE_PRO"] != 1 || len(s.Levels) != 2 {
					t.Errorf("stored levels: %+v", s.Levels)
				}
			}

			if st, body := f.do(teacher, "GET", fmt.Sprintf("/livret/numerique/%d/%d", fifth.ID, period.ID), nil); st != http.StatusBadRequest || !strings.Contains(body, "cycle 3") {
				t.Errorf("a 5e: %d %.300s", st, body)
			}
			resp := f.get(teacher, fmt.Sprintf("/livret/numerique/eleve/%d/%d", s0.ID, period.ID))
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != fmt.Sprintf("%s#eleve-%d", base, s0.ID) {
				t.Errorf("link of a report line: %d %s", resp.StatusCode, loc)
			}

			ecole := f.lsuEstablishment(lsutest.Options{UAI: uaiEcole, Ecole: true, Divisions: 1, PerDivision: 2, Periods: 1, Subjects: 2})
			st, body = f.do(f.sessionOf(uaiEcole, ecole.Director), "GET", fmt.Sprintf("/livret/numerique/%d/%d", ecole.Divisions[0].ID, ecole.Periods[0].ID), nil)
			if st != http.StatusBadRequest || !strings.Contains(body, "1er degré") {
				t.Errorf("an école: %d %.300s", st, body)
			}
		})
	}
}

// TestBrowserDigitalSkills: in chromium, the head teacher of a 6e goes
// from the Livret to the class's digital skills, positions a student and
// writes the class's appreciation; screenshots of the page.
func TestBrowserDigitalSkills(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 1, PerDivision: 4, Periods: 1, Subjects: 3, Draft: true})
	first := lf.Students[0]
	lsuSignIn(b, f, "prof0."+strings.ToLower(string(lf.UAI)))
	b.Do(chromedp.Navigate(f.ts.URL+"/livret"), chromedp.WaitVisible(chromedp.CSS("#classes")))
	b.Do(chromedp.Click(chromedp.CSS("#classes a.digital-link")), chromedp.WaitVisible(chromedp.CSS("#digital-entry")))
	b.Screenshot("competences-numeriques")
	row := fmt.Sprintf("#eleve-%d", first.ID)
	b.Do(
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`%s select[name="niveau-%d-CN_CRE_TEX"]`, row, first.ID)), "2"),
		chromedp.SendKeys(chromedp.CSS(row+" textarea"), "Met en forme ses textes avec soin."),
		chromedp.SendKeys(chromedp.CSS("#commune"), "Séances de traitement de texte."),
		chromedp.Click(chromedp.CSS(`#digital-entry button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.Screenshot("competences-numeriques-enregistrees")
	if msg := b.Text("p.flash"); !strings.Contains(msg, "compétences numériques sont enregistrées") {
		t.Fatalf("after saving: %q", msg)
	}
	var skills map[int64]sillage.DigitalSkills
	f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
		skills, err = tx.Livret().ListDigitalSkills(context.Background(), uaiCollege, nil)
		return err
	})
	if len(skills) != 1 {
		t.Fatalf("stored: %+v", skills)
	}
	for _, s := range skills {
		if s.Levels["CN_CRE_TEX"] != 2 || len(s.Levels) != 1 || s.Appreciation != "Met en forme ses textes avec soin." {
			t.Errorf("stored: %+v", s)
		}
	}
}
