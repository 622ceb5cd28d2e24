package jobs_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

type onePeer struct{ p federation.Peer }

func (o onePeer) Peers(context.Context) ([]federation.Peer, error) {
	return []federation.Peer{o.p}, nil
}

// TestTransferJobAsksPeers: the transfer job, after its run, asks the peer
// instance serving a new student's previous establishment for the record.
func TestTransferJobAsksPeers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		var asked atomic.Int32
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == federation.PathRequest {
				asked.Add(1)
			}
			http.Error(w, "indisponible", http.StatusServiceUnavailable)
		}))
		t.Cleanup(peer.Close)
		kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte("k"), 32)})
		if err != nil {
			t.Fatal(err)
		}
		signer, err := signing.NewSigner(kr)
		if err != nil {
			t.Fatal(err)
		}
		previous := uaiN(9) // served by the peer
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiB, Name: "Lycée B", Kind: sillage.KindLP,
				Transfer: sillage.TransferSettings{Enabled: true, Reference: "CNIL"}}); err != nil {
				return err
			}
			s := sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "DURAND", Source: sillage.SourceSIECLE, SIECLEID: "1"},
				Unqid: "v1:lea", Diploma: "24732205", TransferStatus: sillage.TransferNew, PreviousUAI: previous}
			if err := tx.People().CreateStudent(ctx, uaiB, &s); err != nil {
				return err
			}
			return tx.Imports().ReplaceFederationHashes(ctx, uaiB, []sillage.PersonFederationHashes{{PersonID: s.ID, Hashes: []string{"f1:lea"}}})
		})
		if err != nil {
			t.Fatal(err)
		}
		node := &federation.Node{Store: st, Signer: signer, Hashes: federation.StoreHashes{},
			Peers: onePeer{federation.Peer{Name: peer.URL, URL: peer.URL, Keys: signer.PublicKeys(), UAIs: []sillage.UAI{previous}}}}
		q := openQueue(t, jobs.Config{Store: st, Federation: node})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.Write(ctx, func(tx *store.Tx) error {
			_, err := q.EnqueueTransferTx(ctx, tx, jobs.TriggerImport, []sillage.UAI{uaiB})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the peer asked", func() bool { return asked.Load() == 1 })
		waitFor(t, 30*time.Second, "the job's summary", func() bool {
			list, err := q.List(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range list {
				if j.Kind == jobs.KindTransfer && j.State == "completed" && strings.Contains(j.Output, "fédération : 0 reçu(s), 1 demande(s), 1 échec(s)") {
					return true
				}
			}
			return false
		})
	})
}
