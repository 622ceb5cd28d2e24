package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/sso"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/web"
)

// casServer is a CAS server for the page tests: it issues tickets for
// the service the login names and answers serviceValidate.
type casServer struct {
	*httptest.Server
	mu      sync.Mutex
	tickets map[string][2]string // ticket → service, ENTPersonJointure
}

func newCASServer(t *testing.T) *casServer {
	c := &casServer{tickets: map[string][2]string{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		tk, ok := c.tickets[r.URL.Query().Get("ticket")]
		c.mu.Unlock()
		if r.URL.Path != "/cas/p3/serviceValidate" || !ok || tk[0] != r.URL.Query().Get("service") {
			w.Write([]byte(`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="INVALID_TICKET"/></cas:serviceResponse>`))
			return
		}
		w.Write([]byte(`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>u-` +
			html.EscapeString(tk[1]) + `</cas:user><cas:attributes><cas:ENTPersonJointure>` + html.EscapeString(tk[1]) +
			`</cas:ENTPersonJointure></cas:attributes></cas:authenticationSuccess></cas:serviceResponse>`))
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *casServer) issue(t *testing.T, loginURL, jointure string) string {
	t.Helper()
	u, err := url.Parse(loginURL)
	if err != nil || !strings.HasPrefix(loginURL, c.URL+"/cas/login?") {
		t.Fatalf("not a CAS login: %q", loginURL)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ticket := "ST-" + strconv.Itoa(len(c.tickets)+1)
	c.tickets[ticket] = [2]string{u.Query().Get("service"), jointure}
	return ticket
}

// callback is where the CAS server sends the browser back with a ticket:
// the service URL the ticket was issued for, plus the ticket.
func (c *casServer) callback(ticket string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tickets[ticket][0] + "&ticket=" + url.QueryEscape(ticket)
}

// serveSSO restarts the fixture's server with an ENT's CAS configured.
func (f *fixture) serveSSO(cas *casServer) {
	f.t.Helper()
	ts := httptest.NewServer(nil)
	f.t.Cleanup(ts.Close)
	svc, err := sso.New(sso.Options{
		Providers: []sso.Provider{{ID: "ent", Protocol: sso.CAS, Label: "l'ENT", CASURL: cas.URL + "/cas"}},
		Store:     f.st, Clock: f.clock, Sessions: &auth.Sessions{Store: f.st, Clock: f.clock, Idle: f.cfg.SessionIdle},
		Keyring: func(context.Context) (ident.Keyring, error) { return ident.Load(f.cfg.IDKeyFile) },
		BaseURL: ts.URL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	srv, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Rollover: f.rolloverEngine(), SSO: svc})
	if err != nil {
		f.t.Fatal(err)
	}
	ts.Config.Handler = srv
	f.srv, f.ts = srv, ts
}

// location sends a GET and returns the redirection's target.
func location(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestSSOPages(t *testing.T) {
	f := newFixture(t)
	cas := newCASServer(t)
	f.serveSSO(cas)
	ctx := context.Background()
	teacher := f.a.Persons[sillage.RoleTeacher]
	teacher.AAFID = "AAF-ENS-1"
	// Their password is a provisional one: a password session would be
	// sent to change it; a single sign-on session is not.
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Accounts().SetPassword(ctx, teacher.AccountID, "x", true); err != nil {
			return err
		}
		return tx.People().UpdatePerson(ctx, f.a.UAI, teacher)
	})
	if err != nil {
		t.Fatal(err)
	}

	// Without the operator's choice, the sign-in page offers no button.
	_, body := f.do(f.anonymous(), "GET", "/connexion?etablissement="+string(f.a.UAI), nil)
	if p := parsePage(t, body); p.count("#sso") != 0 {
		t.Fatalf("single sign-on offered before the operator enabled it")
	}
	op := f.session(f.a, "operator")
	status, body := f.do(op, "POST", "/operateur/sso", url.Values{"uai": {string(f.a.UAI)}, "provider": {"ent"}})
	if status != http.StatusSeeOther {
		t.Fatalf("operator save: %d %.300s", status, body)
	}
	_, body = f.do(op, "GET", "/operateur/sso", nil)
	p := parsePage(t, body)
	if !p.has("#sso-providers", "Se connecter avec l'ENT") || !p.has("#sso-providers", f.ts.URL+"/sso/cas/ent/callback") ||
		p.count("#sso-"+string(f.a.UAI)+" input[value=ent][checked]") != 1 || p.count("#sso-"+string(f.b.UAI)+" input[value=ent][checked]") != 0 {
		t.Fatalf("operator page: %s", p.text("main"))
	}

	// The sign-in page of A: the button, in French.
	browser := f.anonymous()
	_, body = f.do(browser, "GET", "/connexion?etablissement="+string(f.a.UAI), nil)
	p = parsePage(t, body)
	href := p.attr("#sso .sso-buttons a", "href")
	if !p.has("#sso .sso-buttons a", "Se connecter avec l'ENT") || href == "" {
		t.Fatalf("sign-in page: %s", p.text("main"))
	}
	// Start → the CAS login → back with a ticket → signed in.
	status, login := location(t, browser, f.ts.URL+href)
	if status != http.StatusSeeOther {
		t.Fatalf("start: %d", status)
	}
	ticket := cas.issue(t, login, "AAF-ENS-1")
	// Login CSRF: the ticket delivered to another browser (one without
	// the state cookie) signs nobody in there, and is audited.
	victim := f.anonymous()
	status, body = f.do(victim, "GET", strings.TrimPrefix(cas.callback(ticket), f.ts.URL), nil)
	if p := parsePage(t, body); status != http.StatusForbidden || !strings.Contains(p.text(".errors"), "pas été commencée dans ce navigateur") {
		t.Fatalf("a ticket in another browser: %d %s", status, p.text(".errors"))
	}
	if status, _ := f.do(victim, "GET", "/compte", nil); status != http.StatusSeeOther {
		t.Fatalf("another browser was signed in by the ticket: /compte answers %d", status)
	}
	status, to := location(t, browser, cas.callback(ticket))
	if status != http.StatusSeeOther || to != "/" {
		t.Fatalf("callback: %d → %q", status, to)
	}
	if status, _ := f.do(browser, "GET", "/compte", nil); status != http.StatusOK {
		t.Fatalf("signed in through the ENT, /compte answers %d", status)
	}

	// The administrator sees the link, then unlinks it.
	admin := f.session(f.a, sillage.RoleAdministrator)
	linksPath := "/comptes/" + strconv.FormatInt(teacher.ID, 10) + "/sso"
	_, body = f.do(admin, "GET", linksPath, nil)
	if p := parsePage(t, body); !p.has("#sso-links", "l'ENT (CAS)") || !p.has("#sso-links", "Délier") {
		t.Fatalf("links page: %s", p.text("main"))
	}
	if status, _ := f.do(f.session(f.b, sillage.RoleAdministrator), "GET", linksPath, nil); status != http.StatusNotFound {
		t.Errorf("B's administrator reads A's links: %d", status)
	}

	// The CAS server's single log-out ends the session (a server-to-server
	// POST, from another origin).
	req, _ := http.NewRequest("POST", f.ts.URL+"/sso/cas/ent/callback", strings.NewReader(url.Values{"logoutRequest": {
		`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0" IssueInstant="2025-10-06T09:00:00Z"><samlp:SessionIndex>` + ticket + `</samlp:SessionIndex></samlp:LogoutRequest>`}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", cas.URL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("single log-out: %d", resp.StatusCode)
	}
	if status, _ := f.do(browser, "GET", "/compte", nil); status != http.StatusSeeOther {
		t.Errorf("after the CAS single log-out, /compte answers %d", status)
	}

	status, body = f.do(admin, "POST", linksPath+"/delier", url.Values{"provider": {"ent"}})
	if status != http.StatusSeeOther {
		t.Fatalf("unlink: %d %.200s", status, body)
	}
	_, body = f.do(admin, "GET", linksPath, nil)
	if p := parsePage(t, body); p.count("#sso-links") != 0 || !strings.Contains(p.text("main"), "Aucune identité") {
		t.Fatalf("after unlinking: %s", p.text("main"))
	}

	// Someone the directory does not know: refused in French, nobody signed in.
	stranger := f.anonymous()
	_, login = location(t, stranger, f.ts.URL+href)
	status, body = f.do(stranger, "GET", strings.TrimPrefix(cas.callback(cas.issue(t, login, "AAF-INCONNU")), f.ts.URL), nil)
	p = parsePage(t, body)
	if status != http.StatusForbidden || !strings.Contains(p.text(".errors"), "Adressez-vous à l'administrateur de Sillage") {
		t.Fatalf("unknown identity: %d %s", status, p.text(".errors"))
	}
	if status, _ := f.do(stranger, "GET", "/compte", nil); status != http.StatusSeeOther {
		t.Errorf("a refused identity got a session: %d", status)
	}

	// A provider answers only under its own protocol and where it is
	// enabled; the SAML route, open to cross-site posts, is no exception.
	foreign := func(method, path string) int {
		req, _ := http.NewRequest(method, f.ts.URL+path, strings.NewReader("SAMLResponse=x&RelayState=y"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://idp.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/sso/saml/ent/acs", http.StatusNotFound},
		{"GET", "/sso/saml/ent/metadata", http.StatusNotFound},
		{"GET", "/sso/oidc/ent/callback?code=x&state=y", http.StatusNotFound},
		{"GET", "/sso/inconnu/connexion?etablissement=" + string(f.a.UAI), http.StatusNotFound},
		{"GET", "/sso/ent/connexion?etablissement=" + string(f.b.UAI), http.StatusNotFound},
		{"GET", "/sso/ent/connexion", http.StatusBadRequest},
		{"POST", "/sso/cas/ent/callback", http.StatusBadRequest},
		{"POST", "/sso/saml/ent/slo", http.StatusNotFound},
		{"GET", "/sso/saml/ent/slo?SAMLRequest=x", http.StatusNotFound},
		{"POST", "/sso/oidc/ent/deconnexion", http.StatusNotFound},
	} {
		if got := foreign(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, got, tc.want)
		}
	}

	// Sign-out of an ENT session offers to end the ENT's session too.
	browser = f.anonymous()
	_, login = location(t, browser, f.ts.URL+href)
	location(t, browser, cas.callback(cas.issue(t, login, "AAF-ENS-1")))
	status, to = func() (int, string) {
		req, _ := http.NewRequest("POST", f.ts.URL+"/deconnexion", nil)
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}()
	if status != http.StatusSeeOther || to != "/connexion?deconnecte=ent" {
		t.Fatalf("sign-out: %d → %q", status, to)
	}
	_, body = f.do(browser, "GET", to, nil)
	if p := parsePage(t, body); !strings.HasPrefix(p.attr("#sso-logout a", "href"), cas.URL+"/cas/logout?service=") {
		t.Errorf("sign-out page: %s", p.text("#sso-logout"))
	}
	// The link rides from the sign-out in a cookie; one that is not the
	// provider's log-out address (planted by someone else) is not shown.
	u, _ := url.Parse(f.ts.URL)
	browser.Jar.SetCookies(u, []*http.Cookie{{Name: "sillage_sso_logout", Value: "https://piege.example/logout", Path: "/connexion"}})
	_, body = f.do(browser, "GET", to, nil)
	if p := parsePage(t, body); !strings.HasPrefix(p.attr("#sso-logout a", "href"), cas.URL+"/cas/logout?service=") {
		t.Errorf("sign-out page with a planted link: %s", p.attr("#sso-logout a", "href"))
	}
}

// TestSSOStateCookie: the cookie that binds a provider's answer to the
// browser is HttpOnly, for /sso/ only, at most the sign-in's 10 minutes;
// over TLS it is SameSite=None; Secure (the SAML answer is a cross-site
// POST), on plain http SameSite=Lax (browsers drop None without Secure).
func TestSSOStateCookie(t *testing.T) {
	for _, tc := range []struct {
		secure bool
		want   http.SameSite
	}{{false, http.SameSiteLaxMode}, {true, http.SameSiteNoneMode}} {
		f := newFixture(t)
		f.cfg.SecureCookies = tc.secure
		cas := newCASServer(t)
		f.serveSSO(cas)
		if err := f.st.Write(context.Background(), func(tx *store.Tx) error {
			return tx.Accounts().SetSSOProviders(context.Background(), f.a.UAI, []string{"ent"})
		}); err != nil {
			t.Fatal(err)
		}
		resp, err := f.anonymous().Get(f.ts.URL + "/sso/ent/connexion?etablissement=" + string(f.a.UAI))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var c *http.Cookie
		for _, x := range resp.Cookies() {
			if x.Name == "sillage_sso" {
				c = x
			}
		}
		if resp.StatusCode != http.StatusSeeOther || c == nil {
			t.Fatalf("start (secure %v): %d, cookies %v", tc.secure, resp.StatusCode, resp.Cookies())
		}
		if !c.HttpOnly || c.Path != "/sso/" || c.MaxAge <= 0 || c.MaxAge > 600 || c.Secure != tc.secure || c.SameSite != tc.want {
			t.Errorf("state cookie (secure %v): %s", tc.secure, resp.Header.Get("Set-Cookie"))
		}
		// The cookie's value is the state the CAS service URL carries.
		login, _ := url.Parse(resp.Header.Get("Location"))
		svc, _ := url.Parse(login.Query().Get("service"))
		if svc.Query().Get("state") != c.Value || c.Value == "" {
			t.Errorf("service %s does not carry the cookie's state", svc)
		}
	}
}
