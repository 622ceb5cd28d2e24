package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/store"
)

// TestBrowserFirstSignIn walks a new account's first sign-in in chromium:
// sign-in page → privacy notice → acknowledgement → forced password change
// → home, with a screenshot of each step.
func TestBrowserFirstSignIn(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	ctx := context.Background()
	var created accounts.Created
	err := f.st.Write(ctx, func(tx *store.Tx) (err error) {
		created, err = accounts.Create(ctx, tx, uaiA, audit.System, accounts.NewPerson{Role: sillage.RoleTeacher, FirstName: "Inès", LastName: "Nouvelle"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(f.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#login")))
	b.Screenshot("connexion")
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#login"), created.Login),
		chromedp.SendKeys(chromedp.CSS("#password"), created.Password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if !strings.Contains(b.Location(), "/premiere-connexion") {
		t.Fatalf("after sign-in: %s", b.Location())
	}
	if !strings.Contains(b.Text("main"), "Durées de conservation") {
		t.Fatal("the notice must state the retention periods")
	}
	b.Screenshot("notice")
	b.Do(
		chromedp.Click(chromedp.CSS(`input[name="ack"]`)),
		chromedp.Submit(chromedp.CSS(`input[name="ack"]`)),
		chromedp.WaitVisible(chromedp.CSS("#new")),
	)
	b.Screenshot("mot-de-passe")
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#current"), created.Password),
		chromedp.SendKeys(chromedp.CSS("#new"), "nouveau-secret-2026"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "nouveau-secret-2026"),
		chromedp.Submit(chromedp.CSS("#confirm")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
	)
	if got := b.Text("h1"); !strings.Contains(got, "Bonjour Inès") {
		t.Fatalf("home heading %q", got)
	}
	if flash := b.Text(".flash"); !strings.Contains(flash, "mot de passe a été enregistré") {
		t.Fatalf("flash %q", flash)
	}
	b.Screenshot("accueil")
	var acc sillage.Account
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		acc, err = tx.Accounts().GetAccountByLogin(ctx, created.Login)
		return err
	})
	if acc.MustChangePassword || acc.PrivacyVersion == 0 || acc.PrivacyAckedAt.IsZero() {
		t.Fatalf("account after onboarding: %+v", acc)
	}
}
