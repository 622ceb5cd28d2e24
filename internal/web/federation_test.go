package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/web"
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

// TestFederationRefusalsLimited: every refused federation message is
// audited, so an address whose messages were refused 30 times in a quarter
// of an hour is turned away unexamined (429, Retry-After) until its oldest
// refusal leaves the window; the limit is audited once; accepted messages
// do not count, and other addresses are not concerned.
func TestFederationRefusalsLimited(t *testing.T) {
	f := newFixture(t)
	reached := 0
	protocol := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		if r.Header.Get("X-Test") == "valide" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Error(w, "refusé", http.StatusForbidden)
	})
	srv, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Federation: protocol})
	if err != nil {
		t.Fatal(err)
	}
	post := func(addr string, valid bool) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/federation/demande", strings.NewReader(`{}`))
		req.RemoteAddr = addr + ":4000"
		if valid {
			req.Header.Set("X-Test", "valide")
		}
		srv.ServeHTTP(rec, req)
		return rec
	}
	for i := range 40 {
		if rec := post("192.0.2.10", true); rec.Code != http.StatusOK {
			t.Fatalf("accepted message %d: %d", i, rec.Code)
		}
	}
	for i := range 30 {
		if rec := post("192.0.2.20", false); rec.Code != http.StatusForbidden {
			t.Fatalf("refused message %d: %d, want 403 from the protocol", i, rec.Code)
		}
	}
	before := reached
	rec := post("192.0.2.20", true)
	var body map[string]string
	json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != http.StatusTooManyRequests || reached != before || rec.Header().Get("Retry-After") == "" || !strings.Contains(body["erreur"], "réessayez dans 15 minutes") {
		t.Fatalf("31st message: %d %q Retry-After=%q, reached the protocol: %v", rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"), reached != before)
	}
	if rec := post("192.0.2.10", true); rec.Code != http.StatusOK {
		t.Fatalf("another address is turned away: %d", rec.Code)
	}
	ctx := context.Background()
	var entries []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		entries, err = tx.Audit().ListAudit(ctx, "", sillage.AuditFilter{Action: audit.FederationRefused})
		return err
	})
	limits := 0
	for _, e := range entries {
		if strings.Contains(e.Details, "30 messages refusés en 15 minutes depuis l'adresse 192.0.2.20") {
			limits++
		}
	}
	if limits != 1 {
		t.Fatalf("limit audited %d times, want once: %+v", limits, entries)
	}
	f.clock.Advance(15 * time.Minute)
	if rec := post("192.0.2.20", true); rec.Code != http.StatusOK {
		t.Fatalf("after the window: %d", rec.Code)
	}
}

// TestVerifierLimited: the public verifier takes 20 documents per address
// a quarter of an hour, then says in French how long to wait, before it
// reads the upload.
func TestVerifierLimited(t *testing.T) {
	f := newFixture(t)
	for i := range 20 {
		if status, p := postVerify(t, f, []byte("pas une archive")); status != http.StatusOK || !p.has("#verdict", "Document invalide") {
			t.Fatalf("check %d: %d", i+1, status)
		}
	}
	status, p := postVerify(t, f, []byte("pas une archive"))
	if status != http.StatusTooManyRequests || !p.has(".errors", "Trop de vérifications depuis votre adresse : réessayez dans 15 minutes") || p.has("#verdict", "Document") {
		t.Fatalf("21st check: %d %q", status, p.text("main"))
	}
	f.clock.Advance(15 * time.Minute)
	if status, _ := postVerify(t, f, []byte("pas une archive")); status != http.StatusOK {
		t.Fatalf("after the window: %d", status)
	}
}
