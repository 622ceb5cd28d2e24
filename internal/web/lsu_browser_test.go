package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/store"
)

// lsuSignIn signs in through the sign-in page.
func lsuSignIn(b *browsertest.Browser, f *fixture, login string) {
	b.Do(
		chromedp.Navigate(f.ts.URL+"/connexion"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), login),
		chromedp.SendKeys(chromedp.CSS("#password"), fixturePassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
	)
}

// TestBrowserLivretGridAndExport: a teacher fills the Livret Scolaire grid
// in chromium (each row saved on change, a wrong average refused on its
// row, the proposed positioning retained with one click), then the
// director exports the class to LSU and reads the report; screenshots of
// each step.
func TestBrowserLivretGridAndExport(t *testing.T) {
	requireXmllint(t)
	b := browsertest.New(t)
	f := newFixture(t)
	lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 1, PerDivision: 4, Periods: 1, Subjects: 3, Draft: true})
	ctx := context.Background()
	teacher, div, period := lf.Teachers[0], lf.Divisions[0], lf.Periods[0]
	first, second := lf.Students[0], lf.Students[1]
	// Competence results of the period, for the proposal.
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		ref := sillage.Referential{Diploma: "CYCLE3", Kind: sillage.ReferentialOther, Label: "Français cycle 3",
			Competences: []sillage.Competence{{Code: "LIRE", Label: "Lire"}, {Code: "ECRIRE", Label: "Écrire"}}}
		if err := tx.Records().CreateReferential(ctx, lf.UAI, &ref); err != nil {
			return err
		}
		ev := sillage.Evaluation{Title: "Lecture", Date: sillage.NewDate(2025, 10, 1), ReferentialID: ref.ID, AuthorID: teacher.ID, DivisionID: div.ID}
		if err := tx.Records().CreateEvaluation(ctx, lf.UAI, &ev); err != nil {
			return err
		}
		// The two rows start without an average in French.
		for _, st := range []sillage.Student{first, second} {
			r, err := tx.Livret().FindPeriodicReport(ctx, lf.UAI, st.ID, period.ID)
			if err != nil {
				return err
			}
			if err := tx.Livret().SetSubjectResult(ctx, lf.UAI, sillage.SubjectResult{ReportID: r.ID, SubjectCode: "020700", Appreciation: "Bon travail."}); err != nil {
				return err
			}
		}
		for i, v := range []string{"4", "4"} {
			if err := tx.Records().SetResult(ctx, lf.UAI, sillage.Result{EvaluationID: ev.ID, StudentID: first.ID, CompetenceID: ref.Competences[i].ID, Value: v}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	lsuSignIn(b, f, "prof0."+strings.ToLower(string(lf.UAI)))
	b.Do(chromedp.Navigate(f.ts.URL+"/livret"), chromedp.WaitVisible(chromedp.CSS("#grids")))
	b.Screenshot("livret-enseignant")
	b.Do(chromedp.Click(chromedp.CSS("#grids a")), chromedp.WaitVisible(chromedp.CSS("#grid")))
	row1 := fmt.Sprintf("#eleve-%d", first.ID)
	row2 := fmt.Sprintf("#eleve-%d", second.ID)
	b.Screenshot("grille")
	// An average, then leave the field: the row is saved.
	b.Do(
		chromedp.SendKeys(chromedp.CSS(row2+` input[name="moyenne"]`), "15,5\t"),
		chromedp.WaitVisible(chromedp.CSS(row2+".saved")),
	)
	// A wrong average: refused on its row, with the reason.
	b.Do(
		chromedp.SendKeys(chromedp.CSS(row1+` input[name="moyenne"]`), "25\t"),
		chromedp.WaitVisible(chromedp.CSS(row1+".failed")),
	)
	if msg := b.Text(row1 + " .row-status"); !strings.Contains(msg, "0 à 20") {
		t.Fatalf("refused row: %q", msg)
	}
	b.Screenshot("grille-refus")
	// Back to a valid average, then retain the proposal (4: two results at 4).
	b.Do(
		chromedp.SendKeys(chromedp.CSS(row1+` input[name="moyenne"]`), kb.End+"\b\b17\t"),
		chromedp.WaitVisible(chromedp.CSS(row1+".saved")),
	)
	b.Screenshot("grille-corrigee")
	b.Do(
		chromedp.Click(chromedp.CSS(row1+` button[name="retenir"]`)),
		chromedp.WaitReady(chromedp.CSS(row1+`.saved select[name="positionnement"] option[value="4"][selected]`)),
	)
	b.Screenshot("grille-enregistree")
	var res map[int64]sillage.SubjectResult
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		res, err = tx.Livret().ListPeriodSubjectResults(ctx, lf.UAI, div.ID, period.ID, "020700")
		return err
	})
	if r := res[first.ID]; r.Average == nil || *r.Average != 1700 || r.Positioning != 4 {
		t.Fatalf("first row in the database: %+v", r)
	}
	if r := res[second.ID]; r.Average == nil || *r.Average != 1550 {
		t.Fatalf("second row in the database: %+v", r)
	}

	// The head teacher closes the class.
	b.Do(chromedp.Navigate(fmt.Sprintf("%s/livret/classe/%d/%d", f.ts.URL, div.ID, period.ID)), chromedp.WaitVisible(chromedp.CSS("#close-class")))
	b.Do(chromedp.Submit(chromedp.CSS("#close-class button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.Screenshot("classe-fermee")

	// The director exports the class.
	b.Do(chromedp.Submit(chromedp.CSS(`form[action="/deconnexion"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))
	lsuSignIn(b, f, "direction."+strings.ToLower(string(lf.UAI)))
	b.Do(chromedp.Navigate(f.ts.URL+"/lsu"), chromedp.WaitVisible(chromedp.CSS("#export-form")))
	b.Screenshot("export-lsu")
	b.Do(
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="periode"][value="%d"]`, period.ID))),
		chromedp.Submit(chromedp.CSS("#export-form button")),
		chromedp.WaitVisible(chromedp.CSS("#outcome")),
	)
	if got := b.Text("#outcome"); !strings.Contains(got, "fichier produit et validé") {
		t.Fatalf("export outcome: %q", got)
	}
	if got := b.Text("#counts"); !strings.Contains(got, "4 élève(s) exporté(s)") {
		t.Fatalf("export counts: %q", got)
	}
	b.Screenshot("rapport-export")
}
