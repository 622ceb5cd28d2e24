package federation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/store"
)

// checkArrived checks that the record A held for from is now B's to's,
// whole and once, and that A holds nothing of the student any more.
func checkArrived(t *testing.T, a, b *peerInst, from, to sillage.Student, want string, wantCounts federation.Counts) {
	t.Helper()
	if got := b.digest(to.ID); got != want {
		t.Errorf("digest at B = %s, want A's %s", got, want)
	}
	if got := b.counts(to.ID); got != wantCounts {
		t.Errorf("B holds %+v, want %+v (nothing lost, nothing twice)", got, wantCounts)
	}
	// The sheets' per-competence results came too (the fixture gives each
	// sheet three, one on a competence B's referential lacked).
	b.read(func(tx *store.Tx) error {
		rs, err := tx.Records().ListSheetResults(context.Background(), b.uai, to.ID)
		if err == nil && len(rs) != 3*wantCounts.Sheets {
			t.Errorf("B holds %d per-competence sheet results, want %d", len(rs), 3*wantCounts.Sheets)
		}
		return err
	})
	if s, _ := b.studentRow(to.ID); s.TransferStatus != sillage.TransferTransferred {
		t.Errorf("B's student is %q, want transferred", s.TransferStatus)
	}
	if _, ok := a.studentRow(from.ID); ok {
		t.Errorf("A still holds the student after the receipt")
	}
	if d := a.digest(from.ID); d != "" {
		t.Errorf("A still holds a record")
	}
	a.read(func(tx *store.Tx) error {
		_, err := tx.CrossTenant().GetIndexEntry(context.Background(), a.uai, from.ID)
		if sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("A's index entry: %v, want removed", err)
		}
		return nil
	})
	var qs []sillage.FederationRequest
	for _, q := range b.requests() {
		if q.DestStudentID == to.ID {
			qs = append(qs, q)
		}
	}
	if len(qs) != 1 || qs[0].State != sillage.FederationDone || qs[0].Digest != want || qs[0].OriginUAI != a.uai {
		t.Errorf("B's requests: %+v, want one done with the digest", qs)
	}
	var ss []sillage.FederationServed
	for _, s := range a.served() {
		if s.OriginStudentID == from.ID {
			ss = append(ss, s)
		}
	}
	if len(ss) != 1 || ss[0].State != sillage.FederationStateDeleted || ss[0].Digest != want {
		t.Errorf("A's packages served: %+v, want one deleted", ss)
	}
	var in, out []sillage.TransferLogEntry
	for _, l := range b.log(sillage.TransferIncoming) {
		if l.DestStudentID == to.ID {
			in = append(in, l)
		}
	}
	for _, l := range a.log(sillage.TransferOutgoing) {
		if l.OriginStudentID == from.ID {
			out = append(out, l)
		}
	}
	if len(in) != 1 || !in[0].Done || in[0].Peer != a.srv.URL || in[0].OriginUAI != a.uai || in[0].Manifest != want || in[0].DestName != to.FullName() {
		t.Errorf("B's incoming list: %+v", in)
	}
	if len(out) != 1 || !out[0].Done || out[0].Peer != b.srv.URL || out[0].DestUAI != b.uai || out[0].Manifest != want || out[0].OriginInitials != "L. D." {
		t.Errorf("A's outgoing list: %+v", out)
	}
}

// TestFederatedTransfer: a student leaves A (one instance) and arrives at B
// (another), in both orders of the imports and on both engines each side.
func TestFederatedTransfer(t *testing.T) {
	k1, k2 := engines(t)
	for _, c := range []struct {
		name         string
		ka, kb       store.Kind
		arrivalFirst bool
	}{
		{"departure first", k1, k2, false},
		{"arrival first", k2, k1, true},
	} {
		t.Run(fmt.Sprintf("%s/A=%s,B=%s", c.name, c.ka, c.kb), func(t *testing.T) {
			a, b := pair(t, c.ka, c.kb)
			lea := a.student("Léa", "fed:lea", sillage.TransferSettled, "")
			a.record(lea, 3, 2, 3, 2000)
			want, wantCounts := a.digest(lea.ID), a.counts(lea.ID)
			if wantCounts != (federation.Counts{Evaluations: 3, Results: 12, Comments: 1, Sheets: 2, Files: 3}) {
				t.Fatalf("fixture: %+v", wantCounts)
			}
			var arrived sillage.Student
			if c.arrivalFirst {
				arrived = b.student("Léa", "fed:lea", sillage.TransferNew, a.uai)
				rep := b.run()
				if rep.Pending != 1 || rep.Imported != 0 {
					t.Fatalf("before the departure: %+v, want pending", rep)
				}
				if qs := b.requests(); len(qs) != 1 || qs[0].State != sillage.FederationPending || qs[0].Reason != federation.ReasonNoRecord {
					t.Fatalf("requests: %+v", qs)
				}
				a.deactivate(lea)
				if rep := b.run(); rep.Asked != 0 {
					t.Fatalf("asked again before the delay: %+v", rep)
				}
				advance(13*time.Hour, a, b)
			} else {
				a.deactivate(lea)
				advance(time.Hour, a, b)
				arrived = b.student("Léa", "fed:lea", sillage.TransferNew, a.uai)
			}
			rep := b.run()
			if rep.Imported != 1 || rep.Receipts != 1 || rep.Failed != 0 {
				t.Fatalf("run: %+v", rep)
			}
			checkArrived(t, a, b, lea, arrived, want, wantCounts)
			if n := a.audits(a.uai, audit.TransferSent); n != 1 {
				t.Errorf("A's audit: %d transfer.sent, want 1", n)
			}
			if n := b.audits(b.uai, audit.TransferReceived); n != 1 {
				t.Errorf("B's audit: %d transfer.received, want 1", n)
			}
			// Nothing more to do, nothing done twice.
			advance(24*time.Hour, a, b)
			if rep := b.run(); rep.Asked+rep.Imported+rep.Receipts != 0 {
				t.Fatalf("second run: %+v", rep)
			}
			checkArrived(t, a, b, lea, arrived, want, wantCounts)
		})
	}
}
