package federation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

func (in *peerInst) status() *transfer.Status {
	in.t.Helper()
	st, err := transfer.LoadStatus(context.Background(), in.st, in.uai, transfer.StatusFilter{}, sillage.Retention{})
	if err != nil {
		in.t.Fatal(err)
	}
	return st
}

// TestDashboards: both dashboards name the peer instance as the other
// side, and the pending lines say which side holds the transfer.
func TestDashboards(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	lea := a.student("Léa", "fed:lea", sillage.TransferSettled, "")
	a.record(lea, 1, 1, 1, 600)
	to := b.student("Léa", "fed:lea", sillage.TransferNew, a.uai)

	// Still at A: B's pending line says A's instance holds it.
	b.run()
	st := b.status()
	if len(st.Pending) != 1 || !strings.Contains(st.Pending[0].Reason, "Chez l'instance "+a.srv.URL+" (origine)") ||
		!strings.Contains(st.Pending[0].Reason, "aucun dossier") {
		t.Fatalf("B's pending list: %+v", st.Pending)
	}
	// A down: still A's side, unreachable.
	a.deactivate(lea)
	advance(13*time.Hour, a, b)
	a.down.Store(true)
	b.run()
	if st := b.status(); len(st.Pending) != 1 || !strings.Contains(st.Pending[0].Reason, "injoignable") {
		t.Fatalf("B's pending list, A down: %+v", st.Pending)
	}
	a.down.Store(false)
	// The package imported at B, the receipt lost: A's outgoing line waits
	// for it and is not an impossible transfer.
	step := federation.StepReceiptSent
	b.failStep.Store(&step)
	advance(time.Hour, a, b)
	if _, err := b.node.Run(context.Background()); err == nil {
		t.Fatal("the failpoint did not stop the run")
	}
	st = a.status()
	if len(st.Outgoing) != 1 || st.Outgoing[0].Done || !strings.Contains(st.Outgoing[0].Reason, "accusé de réception") ||
		st.Outgoing[0].OtherName != "autre instance ("+b.srv.URL+")" || len(st.Impossible) != 0 {
		t.Fatalf("A's lists before the receipt: %+v / %+v", st.Outgoing, st.Impossible)
	}
	settle(t, a, b, to, 2)
	st = a.status()
	if len(st.Outgoing) != 1 || !st.Outgoing[0].Done || st.Outgoing[0].OtherUAI != b.uai || st.Outgoing[0].OtherName != "autre instance ("+b.srv.URL+")" {
		t.Fatalf("A's outgoing list: %+v", st.Outgoing)
	}
	st = b.status()
	if len(st.Incoming) != 1 || !st.Incoming[0].Done || st.Incoming[0].OtherUAI != a.uai || st.Incoming[0].OtherName != "autre instance ("+a.srv.URL+")" ||
		len(st.Pending) != 0 || st.Incoming[0].Counts == nil || st.Incoming[0].Counts.Results != 4 {
		t.Fatalf("B's lists: %+v / %+v", st.Incoming, st.Pending)
	}
}

// TestImpossible: the origin's conditions refuse, the reason is shown on
// both sides, and a final one is not asked again.
func TestImpossible(t *testing.T) {
	ka, kb := engines(t)
	a, b := pair(t, ka, kb)
	lea := a.student("Léa", "fed:lea", sillage.TransferSettled, "")
	a.record(lea, 1, 1, 1, 600)
	a.deactivate(lea)
	// A's establishment has transfer off: impossible, asked again later.
	a.write(func(tx *store.Tx) error {
		return tx.Establishments().SetTransferSettings(context.Background(), a.uai, sillage.TransferSettings{Enabled: false, Reference: "x"})
	})
	b.student("Léa", "fed:lea", sillage.TransferNew, a.uai)
	if rep := b.run(); rep.Impossible != 1 {
		t.Fatalf("run: %+v", rep)
	}
	st := b.status()
	if len(st.Impossible) != 1 || st.Impossible[0].Reason != transfer.ReasonOriginDisabled.Label() || st.Impossible[0].OtherUAI != a.uai ||
		len(st.Pending) != 0 {
		t.Fatalf("B's lists: %+v / %+v", st.Impossible, st.Pending)
	}
	if st := a.status(); len(st.Impossible) != 1 || st.Impossible[0].Reason != transfer.ReasonOriginDisabled.Label() {
		t.Fatalf("A's impossible list: %+v", st.Impossible)
	}
	// Expired at A (deactivated more than 6 months ago): final.
	a.write(func(tx *store.Tx) error {
		return tx.Establishments().SetTransferSettings(context.Background(), a.uai, sillage.TransferSettings{Enabled: true, Reference: "x"})
	})
	advance(200*24*time.Hour, a, b)
	b.write(func(tx *store.Tx) error {
		_, err := tx.CrossTenant().SettleNewStudents(context.Background(), time.Time{}) // keep the student new
		return err
	})
	rep := b.run()
	if rep.Impossible != 1 {
		t.Fatalf("run after 200 days: %+v", rep)
	}
	if q := b.requests()[0]; q.State != sillage.FederationImpossible || !q.Final || q.Reason != string(transfer.ReasonOriginExpired) {
		t.Fatalf("request: %+v", q)
	}
	advance(48*time.Hour, a, b)
	if rep := b.run(); rep.Asked != 0 {
		t.Fatalf("a final refusal asked again: %+v", rep)
	}
	if _, ok := a.studentRow(lea.ID); !ok {
		t.Fatal("A deleted a student it did not send")
	}
}
