package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestFederationProtocolState: the protocol's state tables on both engines
// — a request per (student, peer) kept across retries, a package served
// refreshed until deleted, a nonce seen once, the peer of a log line.
func TestFederationProtocolState(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		const uai, peer = sillage.UAI("0860002K"), "https://autre.example"
		write := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := st.Write(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		var q sillage.FederationRequest
		write(func(tx *store.Tx) (err error) {
			q, err = tx.CrossTenant().EnsureFederationRequest(ctx, uai, 42, peer, "r1")
			return err
		})
		if q.ID != "r1" || q.State != sillage.FederationSent || !q.NextAt.Equal(clock.T) {
			t.Fatalf("new request: %+v", q)
		}
		clock.Advance(time.Hour)
		write(func(tx *store.Tx) error {
			again, err := tx.CrossTenant().EnsureFederationRequest(ctx, uai, 42, peer, "r2")
			if err != nil || again.ID != "r1" {
				t.Errorf("the same student and peer: %+v, %v; want the first request", again, err)
			}
			q.State, q.Reason, q.Final, q.OriginUAI, q.Digest, q.Attempts, q.NextAt = sillage.FederationImpossible, "origin_expired", true, "0860001J", "d", 3, clock.T
			return tx.CrossTenant().UpdateFederationRequest(ctx, q)
		})
		st.Read(ctx, func(tx *store.Tx) error {
			got, err := tx.CrossTenant().GetFederationRequest(ctx, "r1")
			if err != nil || got.State != sillage.FederationImpossible || !got.Final || got.Attempts != 3 || got.OriginUAI != "0860001J" || !got.UpdatedAt.Equal(clock.T) {
				t.Errorf("updated request: %+v, %v", got, err)
			}
			l, err := tx.CrossTenant().ListFederationRequests(ctx, uai, sillage.FederationImpossible, sillage.FederationDone)
			if err != nil || len(l) != 1 {
				t.Errorf("list: %+v, %v", l, err)
			}
			if l, _ := tx.CrossTenant().ListFederationRequests(ctx, "0860001J"); len(l) != 0 {
				t.Errorf("another establishment's list: %+v", l)
			}
			_, err = tx.CrossTenant().GetFederationRequest(ctx, "nope")
			if sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("unknown request: %v", err)
			}
			return nil
		})
		s := sillage.FederationServed{Peer: peer, RequestID: "r1", OriginUAI: "0860001J", OriginStudentID: 7, DestUAI: uai, Digest: "d1"}
		write(func(tx *store.Tx) error { return tx.CrossTenant().PutFederationServed(ctx, s) })
		s.Digest = "d2"
		write(func(tx *store.Tx) error { return tx.CrossTenant().PutFederationServed(ctx, s) })
		write(func(tx *store.Tx) error {
			ok, err := tx.CrossTenant().MarkFederationServedDeleted(ctx, peer, "r1")
			if err != nil || !ok {
				t.Errorf("delete: %v %v", ok, err)
			}
			if ok, _ := tx.CrossTenant().MarkFederationServedDeleted(ctx, peer, "r1"); ok {
				t.Errorf("deleted twice")
			}
			s.Digest = "d3" // a late request again: a deleted package stays so
			return tx.CrossTenant().PutFederationServed(ctx, s)
		})
		st.Read(ctx, func(tx *store.Tx) error {
			got, err := tx.CrossTenant().GetFederationServed(ctx, peer, "r1")
			if err != nil || got.Digest != "d2" || got.State != sillage.FederationStateDeleted {
				t.Errorf("served: %+v, %v", got, err)
			}
			return nil
		})
		write(func(tx *store.Tx) error {
			for i, want := range []bool{true, false} {
				fresh, err := tx.CrossTenant().SeeFederationNonce(ctx, peer, "n1", clock.T.Add(time.Minute))
				if err != nil || fresh != want {
					t.Errorf("nonce seen %d time(s): fresh %v, %v", i+1, fresh, err)
				}
			}
			n, err := tx.CrossTenant().DeleteExpiredFederationNonces(ctx, clock.T.Add(2*time.Minute))
			if err != nil || n != 1 {
				t.Errorf("expired nonces: %d, %v", n, err)
			}
			l := sillage.TransferLogEntry{OriginUAI: "0860001J", DestUAI: uai, DestStudentID: 42, Reason: "origin_disabled"}
			if err := tx.CrossTenant().RecordTransferLogs(ctx, []sillage.TransferLogEntry{l}); err != nil {
				return err
			}
			return tx.CrossTenant().SetTransferLogPeer(ctx, uai, 42, "0860001J", 0, peer)
		})
		st.Read(ctx, func(tx *store.Tx) error {
			got, err := tx.CrossTenant().FindTransferLog(ctx, uai, 42, "0860001J", 0)
			if err != nil || got.Peer != peer {
				t.Errorf("log line: %+v, %v", got, err)
			}
			return nil
		})
	})
}
