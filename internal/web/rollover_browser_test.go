package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/web"
)

// TestBrowserRollover: the operator's plan page, a step running with its
// progress refreshed by htmx until done, and a blocked student.
func TestBrowserRollover(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	blocker := rollover.NewBlocker(f.st)
	f.serveWith(web.Hooks{AccessBlocked: blocker.Blocked, Jobs: &fakeQueue{}})
	ctx := context.Background()
	year := sillage.SchoolYearOf(f.clock.T)

	browserSignIn(b, f, "operateur")
	b.Do(chromedp.Navigate(f.ts.URL+"/operateur/changement-annee?plan=1"), chromedp.WaitVisible(chromedp.CSS("#plan")))
	if got := b.Text("h1"); !strings.Contains(got, "Changement d'année "+year.String()) {
		t.Fatalf("heading %q", got)
	}
	if plan := b.Text("main"); !strings.Contains(plan, "Archives de classe à écrire") || !strings.Contains(plan, "Évaluations dans la corbeille") {
		t.Fatalf("plan page without the counts: %.500s", plan)
	}
	b.Screenshot("plan")

	// Step 1 of A is running: 12 items of 40 done.
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.UpdateRolloverStepClaim(ctx, uaiA, year, 1, tx.Now().Add(time.Hour), "test", "test-owner"); err != nil {
			return err
		}
		return tx.UpdateRolloverStepProgress(ctx, uaiA, year, 1, 12, 40, tx.Now().Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(f.ts.URL+"/operateur/changement-annee"), chromedp.WaitVisible(chromedp.CSS(`#rollover-table progress`)))
	if got := b.Text(`tr[data-uai="` + string(uaiA) + `"] .step-running`); !strings.Contains(got, "12 / 40") {
		t.Fatalf("progress cell %q", got)
	}
	b.Screenshot("etape-en-cours")
	// The step ends: the table refreshes itself (htmx, every 2 s).
	err = f.st.Write(ctx, func(tx *store.Tx) error {
		return tx.SetRolloverStepDone(ctx, uaiA, year, 1, `{"comptes":[{"cle":"evaluations","libelle":"Évaluations supprimées","nombre":3}]}`)
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.WaitVisible(chromedp.CSS(`tr[data-uai="` + string(uaiA) + `"] .step-done`)))
	b.Screenshot("etape-terminee")
	b.Do(chromedp.Click(chromedp.CSS(`tr[data-uai="`+string(uaiA)+`"] .step-done a`)), chromedp.WaitVisible(chromedp.CSS("#report-counts")))
	if got := b.Text("#report-counts"); !strings.Contains(got, "Évaluations supprimées") {
		t.Fatalf("report %q", got)
	}
	b.Screenshot("rapport")

	// A student signs in during the blocking window.
	b2 := browsertest.New(t)
	f.clock.T = time.Date(int(year)+1, time.August, 24, 9, 0, 0, 0, time.UTC)
	browserSignIn(b2, f, "student."+strings.ToLower(string(uaiA)))
	if got := b2.Text("#blocked-message"); !strings.Contains(got, "indisponible du 17 août au 31 août") {
		t.Fatalf("blocked page %q", got)
	}
	if strings.Contains(b2.Text("body"), "Mon livret") {
		t.Fatal("the blocked student sees the menu")
	}
	b2.Screenshot("eleve-bloque")
}
