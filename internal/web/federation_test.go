package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestFederationEndpointsWithoutFederation: an instance in no federation
// answers the protocol's endpoints with 404 and a French message, in JSON,
// without a session and without the cross-origin check's refusal.
func TestFederationEndpointsWithoutFederation(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/federation/demande", "/federation/accuse"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		f.srv.ServeHTTP(rec, req)
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusNotFound || !strings.Contains(body["erreur"], "fédération") {
			t.Errorf("POST %s: %d %q, want 404 with a message", path, rec.Code, rec.Body.String())
		}
	}
}

// TestVerifierLimited: the public verifier takes 60 documents per address
// a quarter of an hour, then says in French how long to wait, before it
// reads the upload.
func TestVerifierLimited(t *testing.T) {
	f := newFixture(t)
	for i := range 60 {
		if status, p := postVerify(t, f, []byte("pas une archive")); status != http.StatusOK || !p.has("#verdict", "Document invalide") {
			t.Fatalf("check %d: %d", i+1, status)
		}
	}
	status, p := postVerify(t, f, []byte("pas une archive"))
	if status != http.StatusTooManyRequests || !p.has(".errors", "Trop de vérifications depuis votre adresse : réessayez dans 15 minutes") || p.has("#verdict", "Document") {
		t.Fatalf("61st check: %d %q", status, p.text("main"))
	}
	f.clock.Advance(15 * time.Minute)
	if status, _ := postVerify(t, f, []byte("pas une archive")); status != http.StatusOK {
		t.Fatalf("after the window: %d", status)
	}
}
