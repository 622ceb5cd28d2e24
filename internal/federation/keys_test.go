package federation_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
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

// TestServedAwayStaysForTheInstance: while a record sent to another
// instance waits for its receipt, the same student arriving in another
// establishment of the origin's own instance waits too (the in-instance
// transfer does not take it: both destinations would keep it); after the
// receipt the record is at the other instance only.
func TestServedAwayStaysForTheInstance(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	lea := a.student("Léa", "fed:lea", sillage.TransferSettled, "")
	a.record(lea, 2, 1, 1, 500)
	a.deactivate(lea)
	advance(time.Hour, a, b)
	b.student("Léa", "fed:lea", sillage.TransferNew, a.uai)
	step := federation.StepReceiptSent
	b.failStep.Store(&step)
	if _, err := b.node.Run(context.Background()); err == nil {
		t.Fatal("the lost receipt must stop B's run")
	}
	// Léa also turns up in a second establishment of A's instance.
	ctx := context.Background()
	other := a.arrivesElsewhere(lea)
	rep, err := transfer.Run(ctx, a.st, transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Transferred) != 0 || len(rep.Pending) != 1 || rep.Pending[0].Reason != transfer.ReasonServedAwayText {
		t.Fatalf("in-instance run while the record waits for B's receipt: %+v", rep)
	}
	if _, ok := a.studentRow(lea.ID); !ok {
		t.Fatal("A's origin student is gone before any receipt")
	}
	// The second establishment's dashboard says why she waits.
	status, err := transfer.LoadStatus(ctx, a.st, other, transfer.StatusFilter{}, sillage.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	if len(status.Pending) != 1 || status.Pending[0].Reason != transfer.ReasonServedAwayText {
		t.Fatalf("dashboard of the second establishment: %+v", status.Pending)
	}
	advance(time.Hour, a, b)
	if rep := b.run(); rep.Receipts != 1 {
		t.Fatalf("B's receipt, sent again: %+v", rep)
	}
	if _, ok := a.studentRow(lea.ID); ok {
		t.Fatal("A still holds the student after B's receipt")
	}
	rep, err = transfer.Run(ctx, a.st, transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Transferred) != 0 {
		t.Fatalf("the in-instance run moved a record already at B: %+v", rep)
	}
}

// TestServedDuringTheRun: a package served to another instance after the
// in-instance run read its candidates, before it moves them, keeps the
// student where it is (the move checks in its own transaction). Only
// PostgreSQL runs writers side by side; SQLite's single writer cannot
// interleave them.
func TestServedDuringTheRun(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.Postgres) {
		t.Skip("needs PostgreSQL")
	}
	a, b := pair(t, store.Postgres, store.Postgres)
	lea := a.student("Léa", "fed:lea", sillage.TransferSettled, "")
	a.record(lea, 2, 1, 1, 500)
	a.deactivate(lea)
	advance(time.Hour, a, b)
	ctx := context.Background()
	a.arrivesElsewhere(lea)
	served := false
	rep, err := transfer.Run(ctx, a.st, transfer.Options{Failpoint: func(step string) error {
		if step == transfer.StepBegin && !served {
			served = true
			// Another connection: the package leaves for instance B.
			return a.st.Write(ctx, func(tx *store.Tx) error {
				return tx.CrossTenant().PutFederationServed(ctx, sillage.FederationServed{Peer: b.srv.URL, RequestID: "r-1", OriginUAI: a.uai,
					OriginStudentID: lea.ID, DestUAI: b.uai, Digest: "d", Counts: "{}"})
			})
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !served || len(rep.Transferred) != 0 || rep.Skipped != 1 {
		t.Fatalf("run while a package was served during it: %+v", rep)
	}
	if _, ok := a.studentRow(lea.ID); !ok {
		t.Fatal("the origin student was moved while its package waits for B's receipt")
	}
	a.read(func(tx *store.Tx) error {
		_, err := tx.CrossTenant().GetIndexEntry(ctx, a.uai, lea.ID)
		if err != nil {
			t.Errorf("the index entry was not put back: %v", err)
		}
		return nil
	})
}

// arrivesElsewhere makes s, gone from the instance's first establishment,
// a new student of a second establishment of the same instance (transfers
// on), and returns that establishment's UAI.
func (in *peerInst) arrivesElsewhere(s sillage.Student) sillage.UAI {
	in.t.Helper()
	ctx := context.Background()
	other := uaiN(9)
	in.write(func(tx *store.Tx) error {
		e := sillage.Establishment{UAI: other, Name: "Lycée " + in.name + " bis", Kind: sillage.KindLP,
			Transfer: sillage.TransferSettings{Enabled: true, Reference: "CNIL-" + string(other)}}
		if err := tx.Establishments().CreateEstablishment(ctx, e); err != nil {
			return err
		}
		div := sillage.Division{SchoolYear: sillage.SchoolYearOf(in.clock.T), Code: "TMELEC", Label: "Tle MELEC"}
		if err := tx.People().CreateDivision(ctx, other, &div); err != nil {
			return err
		}
		acc := sillage.Account{Login: strings.ToLower(s.FirstName) + ".bis"}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return err
		}
		here := sillage.Student{Person: sillage.Person{FirstName: s.FirstName, LastName: s.LastName, Source: sillage.SourceSIECLE, SIECLEID: "9001"},
			Unqid: s.Unqid, MEF: s.MEF, Diploma: s.Diploma, DivisionID: div.ID, TransferStatus: sillage.TransferNew, PreviousUAI: in.uai}
		here.AccountID = acc.ID
		return tx.People().CreateStudent(ctx, other, &here)
	})
	return other
}
