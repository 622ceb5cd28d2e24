package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
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
	f.serveWith(web.Hooks{AccessBlocked: blocker.Blocked, BlockingChanged: blocker.Invalidate, Jobs: &fakeQueue{}})
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
		if _, err := tx.Rollover().UpdateRolloverStepClaim(ctx, uaiA, year, 1, tx.Now().Add(time.Hour), "test", "test-owner"); err != nil {
			return err
		}
		return tx.Rollover().UpdateRolloverStepProgress(ctx, uaiA, year, 1, 12, 40, tx.Now().Add(time.Hour))
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
		return tx.Rollover().SetRolloverStepDone(ctx, uaiA, year, 1, `{"comptes":[{"cle":"evaluations","libelle":"Évaluations supprimées","nombre":3}]}`)
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

// TestBrowserRolloverGuardAndUndo: the operator asks for step 1 out of its
// window; the preview lists what would be deleted per establishment; the
// run needs the typed confirmation naming the step and the year; once the
// step has run, the establishment's story says what was done and until
// when it can be undone, and the undo button restores it.
func TestBrowserRolloverGuardAndUndo(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	q := &fakeQueue{}
	f.serveWith(web.Hooks{Jobs: q})
	ctx := context.Background()
	year := sillage.SchoolYearOf(f.clock.T)
	token := fmt.Sprintf("1/%d", int(year))

	count := func() int {
		var n sillage.TrashCounts
		if err := f.st.Read(ctx, func(tx *store.Tx) (err error) { n, err = tx.Rollover().CountTrash(ctx, uaiA, time.Time{}); return err }); err != nil {
			t.Fatal(err)
		}
		return n.Total()
	}
	// An evaluation of A in the trash (with its results).
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		return tx.Records().TrashEvaluation(ctx, uaiA, f.a.IDs["evaluation"], f.a.Persons[sillage.RoleTeacher].ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.T = f.clock.T.Add(time.Minute)
	if count() == 0 {
		t.Fatal("A's trash is empty: the test lost its reach")
	}
	browserSignIn(b, f, "operateur")
	b.Do(chromedp.Navigate(f.ts.URL+"/operateur/changement-annee"), chromedp.WaitVisible(chromedp.CSS("#run-step-1")))
	b.Do(chromedp.Click(chromedp.CSS("#run-step-1")), chromedp.WaitVisible(chromedp.CSS("#preview-table")))
	if got := b.Text("#preview-table"); !strings.Contains(got, string(uaiA)) || !strings.Contains(got, "Évaluations dans la corbeille") {
		t.Fatalf("preview %q", got)
	}
	if len(q.inserted) != 0 {
		t.Fatal("the step was queued before its confirmation")
	}
	b.Screenshot("apercu-hors-calendrier")
	// A wrong confirmation: refused, nothing queued, the preview again.
	b.Do(chromedp.SendKeys(chromedp.CSS("#off-calendar"), "3/2000"), chromedp.Click(chromedp.CSS("#confirm-off-calendar")),
		chromedp.WaitVisible(chromedp.CSS("#preview-refused")))
	if got := b.Text("#preview-refused"); !strings.Contains(got, token) || len(q.inserted) != 0 {
		t.Fatalf("wrong confirmation: %q, %d jobs", got, len(q.inserted))
	}
	b.Do(chromedp.SendKeys(chromedp.CSS("#off-calendar"), token), chromedp.Click(chromedp.CSS("#confirm-off-calendar")),
		chromedp.WaitVisible(chromedp.CSS("#rollover-table")))
	if len(q.inserted) != 2 {
		t.Fatalf("%d jobs after the confirmation, want 2", len(q.inserted))
	}
	b.Screenshot("etape-confirmee")

	// The worker runs A's job.
	before := count()
	e := &rollover.Engine{Store: f.st, Retention: sillage.DefaultRetention()}
	if o := e.RunOne(ctx, rollover.Request{Year: year, Step: rollover.StepPurge, Actor: audit.Actor{Role: "operator", Name: "operateur"}}, uaiA); o.Status != rollover.OutcomeDone {
		t.Fatalf("step 1 of A: %+v", o)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d items left in A's trash", n)
	}
	b.Do(chromedp.Navigate(f.ts.URL+"/operateur/changement-annee"), chromedp.WaitVisible(chromedp.CSS(`tr.story[data-uai="`+string(uaiA)+`"]`)))
	story := b.Text(`tr.story[data-uai="` + string(uaiA) + `"]`)
	if !strings.Contains(story, "terminée le") || !strings.Contains(story, "par operateur") || !strings.Contains(story, "annulable jusqu'au") {
		t.Fatalf("story %q", story)
	}
	b.Screenshot("historique-annulable")
	// The retention page counts the live pack and names its duration.
	b.Do(chromedp.Navigate(f.ts.URL+"/operateur/conservation"), chromedp.WaitVisible(chromedp.CSS("#rollover-packs")))
	if got := b.Text("#rollover-packs"); !strings.Contains(got, "en cours : 1 (") || !strings.Contains(b.Text("#retention"), "30 jours après l'étape") {
		t.Fatalf("retention page: %q", got)
	}
	b.Do(chromedp.Navigate(f.ts.URL+"/operateur/changement-annee"), chromedp.WaitVisible(chromedp.CSS("#undo-"+string(uaiA)+"-1")))
	b.Do(chromedp.Click(chromedp.CSS("#undo-"+string(uaiA)+"-1")), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if got := b.Text("p.flash"); !strings.Contains(got, "étape 1 annulée pour "+string(uaiA)) {
		t.Fatalf("after the undo: %.400s", got)
	}
	if story := b.Text(`tr.story[data-uai="` + string(uaiA) + `"]`); !strings.Contains(story, "annulée le") {
		t.Fatalf("story after the undo %q", story)
	}
	if n := count(); n != before {
		t.Fatalf("%d items in A's trash after the undo, want %d", n, before)
	}
	b.Screenshot("etape-annulee")
}
