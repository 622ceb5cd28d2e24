package idptest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage/internal/browsertest"
)

// TestBrowserCASSignIn signs in through the provider's login page in
// chromium, to a small CAS client standing where Sillage's callback is: the
// page works in the browser, its session cookie holds on 127.0.0.1 (a
// second visit is signed in without the form), and the ticket validates.
func TestBrowserCASSignIn(t *testing.T) {
	p := FromEnv(t)
	b := browsertest.New(t)
	l := p.ListenSP(t)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.SPBase+r.URL.Path != p.CASService() {
			http.NotFound(w, r)
			return
		}
		v, err := validate(p, p.CASService(), r.URL.Query().Get("ticket"))
		if err != nil || v.Success == nil {
			fmt.Fprintf(w, "<h1 id=who>refusé</h1>")
			return
		}
		fmt.Fprintf(w, "<h1 id=who>%s %s</h1>", v.Success.User, v.attrs()[AttrJointure])
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	login := p.CASBase() + "/login?service=" + strings.ReplaceAll(p.CASService(), ":", "%3A")
	b.Do(chromedp.Navigate(login), chromedp.WaitVisible(chromedp.CSS("#userfield")))
	b.Screenshot("idp-connexion")
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#userfield"), Teacher.Login),
		chromedp.SendKeys(chromedp.CSS("#passwordfield"), Teacher.Password),
		chromedp.Submit(chromedp.CSS("#passwordfield")),
		chromedp.WaitVisible(chromedp.CSS("#who")),
	)
	want := Teacher.Login + " [" + Teacher.Jointure + "]"
	if got := b.Text("#who"); got != want {
		t.Fatalf("after sign-in: %q, want %q (%s)", got, want, b.Location())
	}
	// Signed in at the provider: a second visit gets a ticket at once.
	b.Do(chromedp.Navigate(login), chromedp.WaitVisible(chromedp.CSS("#who")))
	if got := b.Text("#who"); got != want {
		t.Fatalf("second visit: %q, want %q", got, want)
	}
	b.Screenshot("client")
}
