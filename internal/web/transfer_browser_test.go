package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/store"
)

// browserSignIn signs in through the form.
func browserSignIn(b *browsertest.Browser, f *fixture, login string) {
	b.Do(chromedp.Navigate(f.ts.URL+"/connexion"), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), login),
		chromedp.SendKeys(chromedp.CSS("#password"), fixturePassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitNotPresent(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// TestBrowserTransferSettings: the administrator turns transfers on; without
// a number it is refused with the message, with one it is accepted.
func TestBrowserTransferSettings(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	moveStudent(t, f, false)
	ctx := context.Background()
	f.st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().SetTransferSettings(ctx, uaiB, sillage.TransferSettings{})
	})
	browserSignIn(b, f, "administrator."+strings.ToLower(string(uaiB)))
	b.Do(chromedp.Navigate(f.ts.URL+"/transferts/parametres"), chromedp.WaitVisible(chromedp.CSS("#transfer-settings")))
	if !strings.Contains(b.Text("ul.without-ine"), "CARRIE Stéphanie (1SN)") {
		t.Error("students without INE not listed")
	}
	b.Screenshot("parametres")
	b.Do(chromedp.Click(chromedp.CSS("#transfert-oui")), chromedp.Click(chromedp.CSS("#transfer-settings button")),
		chromedp.WaitVisible(chromedp.CSS(".errors")))
	if msg := b.Text(".errors"); !strings.Contains(msg, "numéro de déclaration CNIL") {
		t.Fatalf("refusal message %q", msg)
	}
	b.Screenshot("refus-sans-numero")
	b.Do(chromedp.SendKeys(chromedp.CSS("#reference"), "1234567"), chromedp.Click(chromedp.CSS("#transfert-oui")),
		chromedp.Click(chromedp.CSS("#transfer-settings button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if state := b.Text("#transfer-state"); !strings.Contains(state, "transfert activé") {
		t.Fatalf("state after enabling %q", state)
	}
	b.Screenshot("active")
}

// TestBrowserTransferDashboard shows both sides of a transfer.
func TestBrowserTransferDashboard(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	moveStudent(t, f, true)
	browserSignIn(b, f, "director."+strings.ToLower(string(uaiB)))
	b.Do(chromedp.Navigate(f.ts.URL+"/transferts"), chromedp.WaitVisible(chromedp.CSS("#incoming")))
	if got := b.Text("#incoming"); !strings.Contains(got, "DURAND Léa") || !strings.Contains(got, "oui") {
		t.Errorf("incoming %q", got)
	}
	if got := b.Text("#pending"); !strings.Contains(got, "ATTENTE Hugo") {
		t.Errorf("pending %q", got)
	}
	b.Screenshot("suivi-destination")
	b2 := browsertest.New(t)
	browserSignIn(b2, f, "administrator."+strings.ToLower(string(uaiA)))
	b2.Do(chromedp.Navigate(f.ts.URL+"/transferts"), chromedp.WaitVisible(chromedp.CSS("#outgoing")))
	if got := b2.Text("#outgoing"); !strings.Contains(got, "L. É.") || strings.Contains(got, "Léa") {
		t.Errorf("outgoing %q: initials only", got)
	}
	b2.Screenshot("suivi-origine")
}

// TestBrowserDepartedPage: a departed student signs in and sees their one page.
func TestBrowserDepartedPage(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	ctx := context.Background()
	f.st.Write(ctx, func(tx *store.Tx) error { return tx.People().SetPersonActive(ctx, uaiA, f.a.Student.ID, false) })
	browserSignIn(b, f, "student."+strings.ToLower(string(uaiA)))
	b.Do(chromedp.WaitVisible(chromedp.CSS("#download")))
	if !strings.HasSuffix(b.Location(), "/depart") {
		t.Fatalf("landed on %s", b.Location())
	}
	if got := b.Text("#access-ends"); got == "" {
		t.Error("no end of access shown")
	}
	links, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("nav.menu a").length`))
	if err != nil {
		t.Fatal(err)
	}
	if links > 1 {
		t.Errorf("the departed student sees %d menu entries", links)
	}
	b.Screenshot("eleve-parti")
	b.Do(chromedp.Navigate(f.ts.URL+"/messages"), chromedp.WaitVisible(chromedp.CSS("#download")))
	if !strings.HasSuffix(b.Location(), "/depart") {
		t.Errorf("another page led to %s", b.Location())
	}
}
