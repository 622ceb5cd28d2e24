package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
