package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/signing"
)

// leave makes a student leave A with a record and arrive at B; it returns
// both and A's digest and counts.
func leave(a, b *peerInst, first, hash string) (sillage.Student, sillage.Student, string, federation.Counts) {
	s := a.student(first, hash, sillage.TransferSettled, "")
	a.record(s, 2, 2, 3, 600)
	want, counts := a.digest(s.ID), a.counts(s.ID)
	a.deactivate(s)
	arrived := b.student(first, hash, sillage.TransferNew, a.uai)
	return s, arrived, want, counts
}

// settle runs B until the request of to is done (at most tries runs, the
// clocks advancing between them past the retry delays).
func settle(t *testing.T, a, b *peerInst, to sillage.Student, tries int) {
	t.Helper()
	for i := 0; i < tries; i++ {
		for _, q := range b.requests() {
			if q.DestStudentID == to.ID && q.State == sillage.FederationDone {
				return
			}
		}
		advance(10*time.Minute, a, b)
		b.run()
	}
}

// TestFailpoints kills each side at every step (a failpoint fails once,
// as a crash there would) and checks that the next runs end with the
// record at B, once, and nothing at A.
func TestFailpoints(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	type fault struct {
		side *peerInst
		step string
	}
	var faults []fault
	for _, s := range federation.DestSteps {
		faults = append(faults, fault{b, s})
	}
	for _, s := range federation.OriginSteps {
		faults = append(faults, fault{a, s})
	}
	for _, f := range faults {
		t.Run(f.step, func(t *testing.T) {
			from, to, want, counts := leave(a, b, "Léa", "fed:"+f.step)
			step := f.step
			f.side.failStep.Store(&step)
			rep, err := b.node.Run(context.Background())
			if f.side.failStep.Load() != nil {
				t.Fatalf("the failpoint %s was never reached (run: %+v, %v)", f.step, rep, err)
			}
			if strings.HasPrefix(f.step, "federation.dest.") && err == nil {
				t.Fatalf("a failpoint of the destination must stop its run")
			}
			settle(t, a, b, to, 4)
			checkArrived(t, a, b, from, to, want, counts)
		})
	}
	if n := a.audits(a.uai, audit.TransferSent); n != len(faults) {
		t.Errorf("A's audit: %d transfer.sent, want %d (one per student)", n, len(faults))
	}
}

// post sends raw bytes to an endpoint and returns the status and the
// refusal's text.
func post(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r federation.Refusal
	json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r.Error
}

func sealed(t *testing.T, s *signing.Signer, purpose string, payload any) []byte {
	t.Helper()
	env, err := s.Seal(purpose, payload)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	return b
}

// TestRefusals: replayed, tampered, unsigned, unknown-peer, expired and
// skewed messages are refused by the origin, and each refusal audited.
func TestRefusals(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	now := a.clock.T
	self := a.instanceID()
	req := func(issued, expires time.Time) federation.Request {
		return federation.Request{Audience: self, RequestID: "r1", Nonce: issued.String() + expires.String(), FedHashes: []string{"fed:nobody"}, DestUAI: b.uai,
			DestReference: "CNIL", Diploma: diploma, IssuedAt: issued, ExpiresAt: expires}
	}
	valid := sealed(t, b.signer, federation.PurposeRequest, req(now, now.Add(10*time.Minute)))
	url := a.srv.URL + federation.PathRequest
	if code, msg := post(t, url, valid); code != http.StatusOK {
		t.Fatalf("a valid request: %d %s", code, msg)
	}
	var env signing.Envelope
	json.Unmarshal(valid, &env)
	tampered := env
	tampered.Payload = bytes.Replace(env.Payload, []byte("fed:nobody"), []byte("fed:someone"), 1)
	if bytes.Equal(tampered.Payload, env.Payload) {
		t.Fatal("nothing tampered")
	}
	unsigned := env
	unsigned.Signature = signing.Signature{}
	wrongPurpose := sealed(t, b.signer, federation.PurposeReceipt, req(now, now.Add(time.Minute)))
	// What B sent to a third instance, replayed to A (or A's own message
	// sent on by B): addressed to another instance.
	elsewhere := req(now, now.Add(time.Minute))
	elsewhere.Audience, elsewhere.Nonce = "sillage-autre", "n-elsewhere"
	// A request for an establishment B does not serve (one of A's).
	notServed := req(now, now.Add(time.Minute))
	notServed.DestUAI, notServed.Nonce = a.uai, "n-notserved"
	enc := func(e signing.Envelope) []byte { x, _ := json.Marshal(e); return x }
	for _, c := range []struct {
		name string
		body []byte
		code int
		says string
	}{
		{"replayed", valid, http.StatusConflict, "rejeu"},
		{"tampered", enc(tampered), http.StatusBadRequest, "signature invalide"},
		{"unsigned", enc(unsigned), http.StatusBadRequest, "non signé"},
		{"unknown peer", sealed(t, newSigner(t, "C"), federation.PurposeRequest, req(now, now.Add(time.Minute))), http.StatusForbidden, "non déclarée"},
		{"expired", sealed(t, b.signer, federation.PurposeRequest, req(now.Add(-4*time.Minute), now.Add(-time.Minute))), http.StatusBadRequest, "expiré"},
		{"clock skew", sealed(t, b.signer, federation.PurposeRequest, req(now.Add(6*time.Minute), now.Add(10*time.Minute))), http.StatusBadRequest, "écart d'horloge"},
		{"valid too long", sealed(t, b.signer, federation.PurposeRequest, req(now, now.Add(3*time.Hour))), http.StatusBadRequest, "valable plus"},
		{"other purpose", wrongPurpose, http.StatusBadRequest, "attendu"},
		{"not an envelope", []byte(`{"hello": 1`), http.StatusBadRequest, "illisible"},
		{"other audience", sealed(t, b.signer, federation.PurposeRequest, elsewhere), http.StatusForbidden, "autre instance"},
		{"destination not served by the peer", sealed(t, b.signer, federation.PurposeRequest, notServed), http.StatusForbidden, "ne sert pas"},
		{"receipt of nothing", sealed(t, b.signer, federation.PurposeReceipt, federation.Receipt{Audience: self, RequestID: "r9", Nonce: "n9", Digest: "x",
			DestUAI: b.uai, IssuedAt: now, ExpiresAt: now.Add(time.Minute)}), http.StatusNotFound, "aucun dossier"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := url
			if c.name == "receipt of nothing" {
				path = a.srv.URL + federation.PathReceipt
			}
			code, msg := post(t, path, c.body)
			if code != c.code || !strings.Contains(msg, c.says) {
				t.Errorf("got %d %q, want %d with %q", code, msg, c.code, c.says)
			}
		})
	}
	if n := a.audits("", audit.FederationRefused); n != 12 {
		t.Errorf("A's instance journal: %d refusals, want 12", n)
	}
}

// TestDestinationRefuses: a package or an answer altered on the way is
// refused by the destination, audited there, and asked again; the record
// arrives once the way is clean.
func TestDestinationRefuses(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	from, to, want, counts := leave(a, b, "Léa", "fed:lea")
	a.tamper.Store(true)
	rep := b.run()
	if rep.Imported != 0 || rep.Failed != 1 {
		t.Fatalf("tampered package: %+v", rep)
	}
	if q := b.requests()[0]; q.State != sillage.FederationSent || q.Reason != federation.ReasonRefused || !strings.Contains(q.Detail, "refusé") {
		t.Fatalf("request after a tampered package: %+v", q)
	}
	if n, m := b.audits("", audit.FederationRefused), b.audits(b.uai, audit.FederationRefused); n != 1 || m != 1 {
		t.Fatalf("B's journals: %d and %d refusals, want 1 and 1", n, m)
	}
	if _, ok := a.studentRow(from.ID); !ok {
		t.Fatal("A deleted the student without a receipt")
	}
	a.tamper.Store(false)
	settle(t, a, b, to, 3)
	checkArrived(t, a, b, from, to, want, counts)
}

// TestPeerDownForADay: the origin's instance is unreachable for a day; the
// destination keeps asking, less and less often, and the record arrives
// when it is back.
func TestPeerDownForADay(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	from, to, want, counts := leave(a, b, "Léa", "fed:lea")
	a.down.Store(true)
	for i := 0; i < 6; i++ {
		rep := b.run()
		if rep.Imported != 0 {
			t.Fatalf("imported from a peer that is down: %+v", rep)
		}
		advance(4*time.Hour, a, b)
	}
	q := b.requests()[0]
	if q.State != sillage.FederationSent || q.Reason != federation.ReasonUnreachable || q.Attempts < 3 || !strings.Contains(q.Detail, "injoignable") {
		t.Fatalf("request while the peer is down: %+v", q)
	}
	if _, ok := a.studentRow(from.ID); !ok {
		t.Fatal("A lost the student while it was down")
	}
	a.down.Store(false)
	advance(6*time.Hour, a, b)
	settle(t, a, b, to, 2)
	checkArrived(t, a, b, from, to, want, counts)
}

// TestPackageTooLarge: a package over the destination's limit is refused
// while it arrives (spooled to a temporary file, never held in memory),
// audited, asked again later; nothing is imported, no temporary file is
// left, and the origin keeps the record.
func TestPackageTooLarge(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	from, to, want, counts := leave(a, b, "Léa", "fed:lea")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	b.node.MaxPackage = 1000
	rep := b.run()
	if rep.Imported != 0 || rep.Failed != 1 {
		t.Fatalf("package over the limit: %+v", rep)
	}
	if q := b.requests()[0]; q.State != sillage.FederationSent || q.Reason != federation.ReasonRefused || !strings.Contains(q.Detail, "dossier de plus de") {
		t.Fatalf("request after a package over the limit: %+v", q)
	}
	if n := b.audits(b.uai, audit.FederationRefused); n != 1 {
		t.Fatalf("B's journal: %d refusals, want 1", n)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if _, ok := a.studentRow(from.ID); !ok {
		t.Fatal("A deleted the student without a receipt")
	}
	b.node.MaxPackage = 0
	settle(t, a, b, to, 3)
	checkArrived(t, a, b, from, to, want, counts)
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("temporary files left after the transfer: %v", left)
	}
}

// TestAnonymousRefusalsLimited: messages that do not open (anyone can send
// them) are refused and audited up to the address's limit, the limit
// audited once, then refused without an audit entry each; a declared
// peer's signed messages are refused and audited whatever the limit.
func TestAnonymousRefusalsLimited(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	a.node.Refusals = &auth.Window{Clock: a.clock, Store: a.st, Name: "federation", Max: 3, Period: 15 * time.Minute}
	url := a.srv.URL + federation.PathRequest
	for i := range 6 {
		if code, _ := post(t, url, []byte(`{"pas":"une enveloppe"}`)); code != http.StatusBadRequest {
			t.Fatalf("junk message %d: %d, want 400", i+1, code)
		}
	}
	// 3 refusals and the limit, not 6 refusals.
	if n := a.audits("", audit.FederationRefused); n != 4 {
		t.Fatalf("A's journal: %d refusal entries, want 3 and the limit", n)
	}
	// A declared peer's message refused (expired) is still audited.
	now := a.clock.T
	old := federation.Request{Audience: a.instanceID(), RequestID: "r1", Nonce: "n-old", FedHashes: []string{"fed:nobody"}, DestUAI: b.uai,
		DestReference: "CNIL", Diploma: diploma, IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	if code, _ := post(t, url, sealed(t, b.signer, federation.PurposeRequest, old)); code == http.StatusOK {
		t.Fatal("an expired request was accepted")
	}
	if n := a.audits("", audit.FederationRefused); n != 5 {
		t.Fatalf("A's journal after a peer's refused message: %d entries, want 5", n)
	}
	// The window passes: the address is audited again.
	a.clock.T = a.clock.T.Add(15 * time.Minute)
	post(t, url, []byte(`{}`))
	if n := a.audits("", audit.FederationRefused); n != 6 {
		t.Fatalf("A's journal after the window: %d entries, want 6", n)
	}
}
