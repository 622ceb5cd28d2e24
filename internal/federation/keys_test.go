package federation_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/federation"
)

// TestDescriptionKeysAreSigners: a description that lists another
// instance's key beside its own keeps only the keys that signed it, so
// that instance's messages cannot pass for this peer's.
func TestDescriptionKeysAreSigners(t *testing.T) {
	own, foreign := newSigner(t, "own"), newSigner(t, "foreign")
	const url = "https://b.example"
	d := federation.Description{InstanceID: "sillage-b", PublicURL: url, Keys: append(own.PublicKeys(), foreign.PublicKeys()...), IssuedAt: time.Now().UTC()}
	env, err := own.Seal(federation.PurposeDescription, d)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(federation.Signed{Envelope: env})
	got, err := federation.VerifyDescription(sillage.FederationPeer{BaseURL: url, Fingerprint: own.KeyID()}, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Keys) != 1 || got.Keys[0].ID != own.KeyID() {
		t.Fatalf("kept keys %v, want only the signing one", got.Keys)
	}
}

// TestKeyClaimedByTwoPeers: when two declared peers publish the same key,
// a message signed by it is refused: which one speaks cannot be told.
func TestKeyClaimedByTwoPeers(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	a.peers.peers = append(a.peers.peers, federation.Peer{Name: "https://autre.example", URL: "https://autre.example", Keys: b.signer.PublicKeys(), UAIs: []sillage.UAI{b.uai}})
	now := a.clock.T
	req := federation.Request{Audience: a.instanceID(), RequestID: "r1", Nonce: "n1", FedHashes: []string{"fed:nobody"}, DestUAI: b.uai,
		DestReference: "CNIL", Diploma: diploma, IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
	code, msg := post(t, a.srv.URL+federation.PathRequest, sealed(t, b.signer, federation.PurposeRequest, req))
	if code != http.StatusForbidden || !strings.Contains(msg, "plusieurs instances") {
		t.Fatalf("got %d %q, want a refusal naming the shared key", code, msg)
	}
}

// TestServedToOneAtATime: while a record sent to one instance waits for
// its receipt, another instance that asks for the same student is told
// to wait; once the receipt is in, the record is at the first only.
func TestServedToOneAtATime(t *testing.T) {
	ka, kb := engines(t)
	a, b, c := newInstance(t, "A", ka, 1), newInstance(t, "B", kb, 2), newInstance(t, "C", ka, 3)
	declare(a, b)
	declare(a, c)
	lea := a.student("Léa", "fed:lea", sillage.TransferSettled, "")
	a.record(lea, 2, 1, 1, 500)
	a.deactivate(lea)
	advance(time.Hour, a, b, c)
	b.student("Léa", "fed:lea", sillage.TransferNew, a.uai)
	c.student("Léa", "fed:lea", sillage.TransferNew, a.uai)
	// B imports, its receipt is lost.
	step := federation.StepReceiptSent
	b.failStep.Store(&step)
	if _, err := b.node.Run(context.Background()); err == nil {
		t.Fatal("the lost receipt must stop B's run")
	}
	if rep := c.run(); rep.Imported != 0 || rep.Pending != 1 {
		t.Fatalf("C while the record waits for B's receipt: %+v", rep)
	}
	if qs := c.requests(); len(qs) != 1 || qs[0].Reason != federation.ReasonBusy {
		t.Fatalf("C's request: %+v", qs)
	}
	advance(time.Hour, a, b, c)
	if rep := b.run(); rep.Receipts != 1 {
		t.Fatalf("B's receipt, sent again: %+v", rep)
	}
	if _, ok := a.studentRow(lea.ID); ok {
		t.Fatal("A still holds the student after B's receipt")
	}
	advance(13*time.Hour, a, b, c)
	if rep := c.run(); rep.Imported != 0 {
		t.Fatalf("C imported a record already at B: %+v", rep)
	}
}
