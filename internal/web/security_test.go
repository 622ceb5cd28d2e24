package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/web"
)

func signIn(t *testing.T, f *fixture, login, password string) (*http.Client, int, string) {
	t.Helper()
	c := f.anonymous()
	status, body := f.do(c, "POST", "/connexion", url.Values{"login": {login}, "password": {password}, "retour": {"/"}})
	return c, status, body
}

func TestSignInAndSessionExpiry(t *testing.T) {
	f := newFixture(t)
	login := "teacher." + strings.ToLower(string(uaiA))
	c, status, body := signIn(t, f, login, fixturePassword)
	if status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %.300s", status, body)
	}
	if status, _ := f.do(c, "GET", "/", nil); status != http.StatusOK {
		t.Fatalf("home: %d", status)
	}
	// Activity within the idle window keeps the session alive.
	f.clock.Advance(f.cfg.SessionIdle - time.Minute)
	if status, _ := f.do(c, "GET", "/", nil); status != http.StatusOK {
		t.Fatalf("home after %v: %d", f.cfg.SessionIdle-time.Minute, status)
	}
	// Idle longer than the window: signed out.
	f.clock.Advance(f.cfg.SessionIdle + time.Second)
	if status, _ := f.do(c, "GET", "/", nil); status != http.StatusSeeOther {
		t.Fatalf("home after the idle window: %d, want a redirect to sign-in", status)
	}
}

// TestSignInRateLimit: failures delay the next attempts of the login, the
// delay is journaled once, and the owner's right password passes once the
// delay is over, even while an attacker keeps failing from elsewhere.
func TestSignInRateLimit(t *testing.T) {
	f := newFixture(t)
	login := "director." + strings.ToLower(string(uaiA))
	for i := 0; i < 3; i++ {
		if _, status, _ := signIn(t, f, login, "mauvais-mot-de-passe"); status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, status)
		}
	}
	_, status, body := signIn(t, f, login, fixturePassword)
	if status != http.StatusUnauthorized || parsePage(t, body).text("p.errors") != "Trop de tentatives de connexion : réessayez dans 2 secondes." {
		t.Fatalf("right password during the delay: %d", status)
	}
	ctx := context.Background()
	var entries []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		entries, err = tx.Audit().ListAudit(ctx, uaiA, sillage.AuditFilter{Action: audit.SignInLocked})
		return err
	})
	if len(entries) != 1 || !strings.Contains(entries[0].Target, login) || !strings.Contains(entries[0].Details, "ralenties") {
		t.Fatalf("delay audit: %+v", entries)
	}
	// The attacker keeps trying as soon as each delay ends: the delay grows
	// to its ceiling, never a lock.
	for i := 0; i < 12; i++ {
		f.clock.Advance(5 * time.Minute)
		signIn(t, f, login, "mauvais-mot-de-passe")
	}
	_, _, body = signIn(t, f, login, fixturePassword)
	if !parsePage(t, body).has("p.errors", "réessayez dans 5 minutes") {
		t.Fatalf("during the longest delay: %.300s", body[strings.Index(body, "<main"):])
	}
	f.clock.Advance(5 * time.Minute)
	if _, status, _ := signIn(t, f, login, fixturePassword); status != http.StatusSeeOther {
		t.Fatalf("the owner after the delay: %d", status)
	}
}

func TestCrossSiteFormIsRefused(t *testing.T) {
	f := newFixture(t)
	c := f.session(f.a, sillage.RoleAdministrator)
	req, _ := http.NewRequest("POST", f.ts.URL+"/comptes/jetons", strings.NewReader("label=pirate"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://pirate.example")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	ctx := context.Background()
	var tokens []sillage.APIToken
	f.st.Read(ctx, func(tx *store.Tx) (err error) { tokens, err = tx.Accounts().ListAPITokens(ctx, uaiA); return err })
	for _, tk := range tokens {
		if tk.Label == "pirate" {
			t.Fatal("the cross-site request created a token")
		}
	}
	// The same request from the site itself goes through.
	req, _ = http.NewRequest("POST", f.ts.URL+"/comptes/jetons", strings.NewReader("label=script"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("same-origin POST: %d", resp.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	resp, err := f.anonymous().Get(f.ts.URL + "/connexion")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if got := resp.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", h, got, want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Error("scripts must come from the site only")
	}
}

func TestNewPrivacyVersionAsksAgain(t *testing.T) {
	f := newFixture(t)
	// Version 2 of the notice is published: accounts that acknowledged
	// version 1 must read it again.
	srv, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, NoticeVersion: web.PrivacyNoticeVersion + 1})
	if err != nil {
		t.Fatal(err)
	}
	f.ts.Config.Handler = srv
	c := f.session(f.a, sillage.RoleTeacher)
	status, _ := f.do(c, "GET", "/messages", nil)
	if status != http.StatusSeeOther {
		t.Fatalf("with an older acknowledgement: %d, want a redirect to the notice", status)
	}
	status, body := f.do(c, "GET", "/premiere-connexion", nil)
	if status != http.StatusOK || !parsePage(t, body).has("main p strong", "La notice a changé") {
		t.Fatalf("notice page: %d", status)
	}
	if status, _ := f.do(c, "POST", "/premiere-connexion", url.Values{"ack": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", status)
	}
	if status, _ := f.do(c, "GET", "/messages", nil); status != http.StatusOK {
		t.Fatalf("after acknowledging: %d", status)
	}
}

func TestAPITokens(t *testing.T) {
	f := newFixture(t)
	admin := f.session(f.a, sillage.RoleAdministrator)
	status, body := f.do(admin, "POST", "/comptes/jetons", url.Values{"label": {"script des notes"}})
	if status != http.StatusOK {
		t.Fatalf("issue: %d", status)
	}
	i := strings.Index(body, "<code>")
	token := body[i+len("<code>") : i+strings.Index(body[i:], "</code>")]
	call := func(tok string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", f.ts.URL+"/api/v1/moi", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	status, me := call(token)
	if status != http.StatusOK || me["etablissement"] != string(uaiA) || me["role"] != "administrator" || me["jeton"] != true {
		t.Fatalf("with the token: %d %v", status, me)
	}
	if status, _ := call("inconnu"); status != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", status)
	}
	ctx := context.Background()
	var tokens []sillage.APIToken
	f.st.Read(ctx, func(tx *store.Tx) (err error) { tokens, err = tx.Accounts().ListAPITokens(ctx, uaiA); return err })
	var id int64
	for _, tk := range tokens {
		if tk.TokenHash == auth.HashToken(token) {
			id = tk.ID
		}
	}
	if status, _ := f.do(admin, "POST", "/comptes/jetons/"+itoa(id)+"/revoquer", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", status)
	}
	if status, _ := call(token); status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", status)
	}
}

func TestOpenAPIDescribesEveryAPIRoute(t *testing.T) {
	f := newFixture(t)
	status, body := f.do(f.anonymous(), "GET", "/api/v1/openapi.json", nil)
	if status != http.StatusOK {
		t.Fatalf("openapi: %d", status)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rt := range f.srv.Routes() {
		if !rt.API || rt.Action == "" {
			continue
		}
		n++
		if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("%s %s is missing from openapi.json", rt.Method, rt.Path)
		}
	}
	if doc.OpenAPI == "" || n == 0 {
		t.Fatalf("openapi %q with %d routes", doc.OpenAPI, n)
	}
}

func TestSignOutEverywhere(t *testing.T) {
	f := newFixture(t)
	login := "staff." + strings.ToLower(string(uaiA))
	c1, _, _ := signIn(t, f, login, fixturePassword)
	c2, _, _ := signIn(t, f, login, fixturePassword)
	if status, _ := f.do(c1, "POST", "/compte/deconnexion-partout", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", status)
	}
	if status, _ := f.do(c2, "GET", "/compte", nil); status != http.StatusSeeOther {
		t.Fatalf("other session after sign-out everywhere: %d", status)
	}
}

func TestClosedAccountSignInExplains(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	student := f.a.Persons[sillage.RoleStudent]
	f.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.People().DeletePerson(ctx, uaiA, student.ID); err != nil {
			return err
		}
		return tx.Accounts().CloseAccount(ctx, student.AccountID, sillage.ClosedTransferred)
	})
	_, status, body := signIn(t, f, "student."+strings.ToLower(string(uaiA)), fixturePassword)
	if status != http.StatusUnauthorized || !parsePage(t, body).has("p.errors", "transféré") {
		t.Fatalf("closed account: %d %.200s", status, body)
	}
	_, _, body = signIn(t, f, "student."+strings.ToLower(string(uaiA)), "autre-mot-de-passe-1")
	if parsePage(t, body).has("main", "transféré") {
		t.Fatal("the reason must be told only with the right password")
	}
}

func TestEstablishmentChosenAtSignIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The teacher of A also teaches in B, with the same account.
	teacher := f.a.Persons[sillage.RoleTeacher]
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		p := sillage.Person{Role: sillage.RoleTeacher, FirstName: teacher.FirstName, LastName: teacher.LastName, Source: sillage.SourceManual, AccountID: teacher.AccountID}
		return tx.People().CreatePerson(ctx, uaiB, &p)
	})
	if err != nil {
		t.Fatal(err)
	}
	c, status, _ := signIn(t, f, "teacher."+strings.ToLower(string(uaiA)), fixturePassword)
	if status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", status)
	}
	status, _ = f.do(c, "GET", "/messages", nil)
	if status != http.StatusSeeOther {
		t.Fatalf("before choosing: %d, want a redirect to the choice", status)
	}
	status, body := f.do(c, "GET", "/etablissement", nil)
	if pg := parsePage(t, body); status != http.StatusOK || !pg.has("form label.choice", string(uaiA)) || !pg.has("form label.choice", string(uaiB)) {
		t.Fatalf("choice page: %d", status)
	}
	if status, _ := f.do(c, "POST", "/etablissement", url.Values{"uai": {"0750680G"}}); status != http.StatusNotFound {
		t.Fatalf("choosing an establishment of no membership: %d", status)
	}
	if status, _ := f.do(c, "POST", "/etablissement", url.Values{"uai": {string(uaiB)}}); status != http.StatusSeeOther {
		t.Fatalf("choose B: %d", status)
	}
	status, body = f.do(c, "GET", "/", nil)
	if status != http.StatusOK || !parsePage(t, body).has("header .etab", "Collège B") {
		t.Fatalf("home in B: %d", status)
	}
}

// TestSignInReturnStaysLocal: after signing in, "retour" leads back to a
// page of Sillage, never to another site, whatever the browser would make
// of backslashes, control characters or an encoded scheme.
func TestSignInReturnStaysLocal(t *testing.T) {
	f := newFixture(t)
	login := "teacher." + strings.ToLower(string(uaiA))
	cases := map[string]string{
		"/evaluations?division=3":       "/evaluations?division=3",
		"/":                             "/",
		"//evil.example/":               "/",
		"/\\evil.example":               "/",
		"/\t/evil.example":              "/",
		"/\n/evil.example":              "/",
		"https://evil.example/":         "/",
		"javascript:alert(1)":           "/",
		"/%2F%2Fevil.example":           "/",
		"evaluations":                   "/",
		"":                              "/",
		"/\\/evil.example":              "/",
		"/%5C%5Cevil.example/connexion": "/%5C%5Cevil.example/connexion", // a local path with encoded backslashes stays local
	}
	for ret, want := range cases {
		req, err := http.NewRequest("POST", f.ts.URL+"/connexion", strings.NewReader(url.Values{"login": {login}, "password": {fixturePassword}, "retour": {ret}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := f.anonymous().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("retour %q: %d Location %q, want %q", ret, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

// TestPasswordChangeEndsOtherSessions: changing one's password signs out
// the account's other sessions (the one that changed it goes on), and the
// current password is not guessed there more than at the sign-in.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	f := newFixture(t)
	login := "teacher." + strings.ToLower(string(uaiA))
	mine, status, _ := signIn(t, f, login, fixturePassword)
	other, status2, _ := signIn(t, f, login, fixturePassword)
	if status != http.StatusSeeOther || status2 != http.StatusSeeOther {
		t.Fatalf("sign-ins: %d %d", status, status2)
	}
	change := func(current string) (int, string) {
		return f.do(mine, "POST", "/compte/mot-de-passe", url.Values{"current": {current}, "new": {"nouveau-secret-2026"}, "confirm": {"nouveau-secret-2026"}})
	}
	status, body := change(fixturePassword)
	if status != http.StatusSeeOther {
		t.Fatalf("change: %d %.300s", status, body)
	}
	if status, _ := f.do(mine, "GET", "/", nil); status != http.StatusOK {
		t.Fatalf("the session that changed the password: %d", status)
	}
	if status, _ := f.do(other, "GET", "/", nil); status != http.StatusSeeOther {
		t.Fatalf("the other session after the change: %d, want a redirect to sign-in", status)
	}
	for i := 0; i < 3; i++ {
		if status, body := change("mauvais-mot-de-passe"); status != http.StatusBadRequest || !parsePage(t, body).has("p.errors", "actuel est incorrect") {
			t.Fatalf("wrong current password %d: %d", i+1, status)
		}
	}
	if status, body := change("nouveau-secret-2026"); status != http.StatusBadRequest || !parsePage(t, body).has("p.errors", "Trop de tentatives : réessayez dans 2 secondes") {
		t.Fatalf("right current password after 3 failures: %d %.300s", status, body)
	}
}

// TestErrorPageInFrench: an error page's title and heading are French.
func TestErrorPageInFrench(t *testing.T) {
	f := newFixture(t)
	status, body := f.do(f.session(f.a, sillage.RoleTeacher), "GET", "/eleves/999999999", nil)
	if pg := parsePage(t, body); status != http.StatusNotFound || pg.text("title") != "Introuvable — Sillage" || pg.text("h1") != "Introuvable" {
		t.Fatalf("not found page: %d %.400s", status, body)
	}
}
