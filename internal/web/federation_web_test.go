package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/signedzip"
	"github.com/sillage/sillage/internal/store"
)

// postVerify sends a file to the public /verifier page, without a session.
func postVerify(t *testing.T, f *fixture, data []byte) (int, page) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("fichier", "livret.zip")
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", f.ts.URL+"/verifier", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := f.anonymous().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, parsePage(t, string(body))
}

// TestVerifierPage: a student's passport downloaded from the instance is
// shown valid on the public /verifier page — issuer and date only, none of
// its content —; the same archive altered, or any other file, is invalid.
func TestVerifierPage(t *testing.T) {
	f := newFixture(t)
	f.cfg.BaseURL = f.ts.URL
	status, zipBody := f.do(f.session(f.a, sillage.RoleStudent), "GET", "/mon-livret/telecharger", nil)
	if status != http.StatusOK || !strings.HasPrefix(zipBody, "PK") {
		t.Fatalf("passport download: %d", status)
	}
	passport := []byte(zipBody)
	if _, err := signedzip.Verify(bytes.NewReader(passport), int64(len(passport)), nil); err == nil {
		t.Fatal("verified without keys")
	}

	status, p := postVerify(t, f, passport)
	if status != http.StatusOK || !p.has("#verdict", "Document valide") || !p.has("#verdict", "passeport d'un élève parti") || !p.has("#verdict", f.ts.URL) {
		t.Fatalf("valid passport: %d %q", status, p.text("main"))
	}
	student := f.a.Persons[sillage.RoleStudent]
	if p.has("main", student.LastName) {
		t.Fatal("the verifier page shows the record's content")
	}
	// Altered: one byte of the archive changed anywhere refuses it.
	altered := bytes.Clone(passport)
	altered[len(altered)/3] ^= 0x20
	status, p = postVerify(t, f, altered)
	if status != http.StatusOK || !p.has("#verdict", "Document invalide") {
		t.Fatalf("altered passport: %d %q", status, p.text("main"))
	}
	status, p = postVerify(t, f, []byte("pas une archive"))
	if !p.has("#verdict", "Document invalide") || status != http.StatusOK {
		t.Fatalf("not a zip: %d %q", status, p.text("main"))
	}
	// No file: a French message, no verdict.
	status, body := f.do(f.anonymous(), "POST", "/verifier", url.Values{})
	if p := parsePage(t, body); status != http.StatusBadRequest || !p.has(".errors", "Aucun fichier reçu") || p.has("#verdict", "Document") {
		t.Fatalf("empty form: %d %q", status, p.text("main"))
	}
	// A cross-origin post is refused (as every form of the instance).
	req, _ := http.NewRequest("POST", f.ts.URL+"/verifier", strings.NewReader(""))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := f.anonymous().Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %v %v", resp.StatusCode, err)
	}
	status, body = f.do(f.anonymous(), "GET", "/verifier", nil)
	if p := parsePage(t, body); status != http.StatusOK || !p.has("h1", "Vérifier un document") || p.doc.Find(`input[type=file][name=fichier]`).Length() != 1 {
		t.Fatalf("verifier page: %d", status)
	}
}

// TestFederationOperatorPage: the operator sees the instance's fingerprint
// and declares, refreshes and removes peers (audited); the description is
// public and signed.
func TestFederationOperatorPage(t *testing.T) {
	f := newFixture(t)
	f.cfg.BaseURL = f.ts.URL
	status, body := f.do(f.anonymous(), "GET", "/federation/description", nil)
	if status != http.StatusOK {
		t.Fatalf("description: %d %s", status, body)
	}
	keys, d, err := federation.PublishedKeys([]byte(body))
	if err != nil || d.PublicURL != f.ts.URL || len(keys) != 1 {
		t.Fatalf("published description: %v %+v", err, d)
	}
	op := f.session(f.a, "operator")
	status, body = f.do(op, "GET", "/operateur/federation", nil)
	p := parsePage(t, body)
	if status != http.StatusOK || !p.has("#federation-self", keys[0].ID) || !p.has("main", "Aucune instance partenaire") {
		t.Fatalf("operator page: %d %q", status, p.text("main"))
	}
	status, body = f.do(op, "POST", "/operateur/federation", url.Values{"name": {"B"}, "url": {"https://b.example"}, "fingerprint": {"abc"}})
	if p := parsePage(t, body); status != http.StatusBadRequest || !p.has(".errors", "empreinte de clé invalide") {
		t.Fatalf("bad fingerprint: %d %q", status, p.text("main"))
	}
	// The instance declared as its own peer (loopback): its description
	// is fetched and verified against the pinned fingerprint.
	status, _ = f.do(op, "POST", "/operateur/federation", url.Values{"name": {"Moi-même"}, "url": {f.ts.URL}, "fingerprint": {keys[0].ID}})
	if status != http.StatusSeeOther {
		t.Fatalf("add peer: %d", status)
	}
	ctx := context.Background()
	var peers []sillage.FederationPeer
	f.st.Read(ctx, func(tx *store.Tx) (err error) { peers, err = tx.Federation().ListPeers(ctx); return err })
	if len(peers) != 1 || peers[0].Description == nil || peers[0].LastError != "" {
		t.Fatalf("declared peer: %+v", peers)
	}
	_, body = f.do(op, "GET", "/operateur/federation", nil)
	if p := parsePage(t, body); !p.has("#federation-peers", "Moi-même") || !p.has("#federation-peers", "vérifiée le") {
		t.Fatalf("peer row: %q", p.text("#federation-peers"))
	}
	if status, _ := f.do(op, "POST", "/operateur/federation/actualiser", url.Values{"peer": {"0"}}); status != http.StatusBadRequest {
		t.Fatalf("refresh without a peer: %d", status)
	}
	if status, _ := f.do(op, "POST", "/operateur/federation/retirer", url.Values{"peer": {itoa(peers[0].ID)}}); status != http.StatusSeeOther {
		t.Fatalf("remove: %d", status)
	}
	var entries []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		entries, err = tx.Audit().ListAudit(ctx, "", sillage.AuditFilter{Action: "federation."})
		return err
	})
	if len(entries) != 2 || entries[0].Action != federation.PeerRemoved || entries[1].Action != federation.PeerAdded {
		t.Fatalf("audit: %+v", entries)
	}
	var sd federation.Signed
	_, body = f.do(f.anonymous(), "GET", "/federation/description", nil)
	if json.Unmarshal([]byte(body), &sd) != nil || sd.Purpose != federation.PurposeDescription {
		t.Fatalf("description envelope: %s", body)
	}
}
