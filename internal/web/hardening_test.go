package web_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/web"
)

// TestSecureCookiesFollowBaseURL: behind an https public URL, the session
// cookie is Secure (and HSTS sent), even without TLS in Sillage itself.
func TestSecureCookiesFollowBaseURL(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		base       string
		wantSecure bool
	}{{"https://sillage.ac-exemple.fr", true}, {"http://localhost:8080", false}} {
		cfg := *f.cfg
		cfg.BaseURL, cfg.SecureCookies = tt.base, false
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		srv, err := web.NewServer(web.Deps{Config: &cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"login": {"teacher.0860012w"}, "password": {fixturePassword}, "retour": {"/"}}
		r := httptest.NewRequest("POST", "/connexion", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		cookie := w.Header().Get("Set-Cookie")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(cookie, "sillage_session=") {
			t.Fatalf("%s: sign-in %d %q", tt.base, w.Code, cookie)
		}
		if strings.Contains(cookie, "; Secure") != tt.wantSecure || (w.Header().Get("Strict-Transport-Security") != "") != tt.wantSecure {
			t.Errorf("%s: cookie %q, HSTS %q, want secure %v", tt.base, cookie, w.Header().Get("Strict-Transport-Security"), tt.wantSecure)
		}
	}
}

// TestRequestBodyIsBounded: a body larger than any route accepts is
// refused before it is read, in French.
func TestRequestBodyIsBounded(t *testing.T) {
	f := newFixture(t)
	cfg := *f.cfg
	cfg.MaxImport, cfg.MaxUpload = 1<<10, 1<<10
	srv, err := web.NewServer(web.Deps{Config: &cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1 << 10, 3 << 20} {
		r := httptest.NewRequest("POST", "/connexion", bytes.NewReader(bytes.Repeat([]byte("a"), size)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		tooLarge := w.Code == http.StatusRequestEntityTooLarge && parsePage(t, w.Body.String()).has(".error-message", "Requête trop volumineuse")
		if tooLarge != (size > 2<<20) {
			t.Errorf("body of %d bytes: %d", size, w.Code)
		}
	}
}
