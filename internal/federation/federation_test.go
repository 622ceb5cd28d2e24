package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func signer(t *testing.T, secrets map[int]string) *signing.Signer {
	t.Helper()
	m := map[int][]byte{}
	for v, s := range secrets {
		m[v] = bytes.Repeat([]byte(s), 32)
	}
	kr, err := ident.NewKeyring(m)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSigner(kr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var operator = audit.Actor{Role: "operator", Name: "test"}

// instance is a store with establishments, one with transfers enabled.
func instance(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error {
		for _, u := range []sillage.UAI{"0860012W", "0010856A"} {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP}); err != nil {
				return err
			}
		}
		return tx.Establishments().SetTransferSettings(ctx, "0860012W", sillage.TransferSettings{Enabled: true, Reference: "CNIL-1"})
	}); err != nil {
		t.Fatal(err)
	}
}

// TestDescriptionFetch: a peer's description is fetched and verified
// against the pinned fingerprint, then stored; a wrong pin, a tampered or
// misaddressed description and an undeclared peer are refused; after a
// rotation at the peer, the old pin still accepts (endorsement).
func TestDescriptionFetch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		instance(t, st)
		peerKey := signer(t, map[int]string{1: "p"})
		var serve func() ([]byte, error) // what the peer publishes
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != federation.DescriptionPath {
				http.NotFound(w, r)
				return
			}
			b, err := serve()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Write(b)
		}))
		defer srv.Close()
		// The peer's own description, signed by its key, naming its URL.
		publish := func(s *signing.Signer, url string) func() ([]byte, error) {
			return func() ([]byte, error) {
				var sd federation.Signed
				err := st.Write(ctx, func(tx *store.Tx) (err error) { sd, _, err = federation.Describe(ctx, tx, s, url); return err })
				if err != nil {
					return nil, err
				}
				return json.Marshal(sd)
			}
		}
		serve = publish(peerKey, srv.URL)

		// Undeclared: nothing is fetched.
		if _, _, err := federation.FetchDescription(ctx, srv.Client(), sillage.FederationPeer{BaseURL: srv.URL}); !federation.IsUndeclared(err) {
			t.Fatalf("undeclared peer: %v", err)
		}
		p, err := federation.AddPeer(ctx, st, "Académie B", srv.URL+"/", peerKey.KeyID(), operator)
		if err != nil {
			t.Fatal(err)
		}
		if p.BaseURL != srv.URL {
			t.Fatalf("URL not normalised: %q", p.BaseURL)
		}
		d, err := federation.Fetch(ctx, srv.Client(), st, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.PublicURL != srv.URL || d.Endpoint != srv.URL+federation.EndpointPath || !slices.Equal(d.UAIs, []sillage.UAI{"0860012W"}) ||
			len(d.Keys) != 1 || d.Keys[0].ID != peerKey.KeyID() || d.InstanceID == "" || !d.IssuedAt.Equal(clock.T) {
			t.Fatalf("description %+v", d)
		}
		_ = st.Read(ctx, func(tx *store.Tx) error {
			got, _ := tx.Federation().GetPeer(ctx, p.ID)
			if last, ok := federation.LastDescription(got); !ok || last.InstanceID != d.InstanceID || got.LastError != "" {
				t.Errorf("stored description: %+v", got)
			}
			entries, _ := tx.Audit().ListAudit(ctx, "", sillage.AuditFilter{})
			if len(entries) == 0 || entries[0].Action != federation.PeerAdded {
				t.Errorf("peer declaration not audited: %+v", entries)
			}
			return nil
		})

		// After a rotation at the peer the new key signs; the old one
		// endorses, so the pin still holds.
		rotated := signer(t, map[int]string{1: "p", 2: "q"})
		serve = publish(rotated, srv.URL)
		if d, err := federation.Fetch(ctx, srv.Client(), st, p.ID); err != nil || len(d.Keys) != 2 {
			t.Fatalf("rotated peer: %v %+v", err, d)
		}

		other := signer(t, map[int]string{1: "z"})
		tampered := func() ([]byte, error) {
			b, err := publish(peerKey, srv.URL)()
			var sd federation.Signed
			json.Unmarshal(b, &sd)
			sd.Payload = bytes.Replace(sd.Payload, []byte("0860012W"), []byte("0010856A"), 1)
			b, _ = json.Marshal(sd)
			return b, err
		}
		for _, c := range []struct {
			name  string
			serve func() ([]byte, error)
			want  string
		}{
			{"other key", publish(other, srv.URL), "non épinglée"},
			{"tampered", tampered, "signature invalide"},
			{"another instance's description", publish(peerKey, "https://autre.example"), "est celle de"},
			{"not a description", func() ([]byte, error) { return []byte(`{"purpose":"federation-receipt"}`), nil }, "attendue"},
			{"garbage", func() ([]byte, error) { return []byte(`<html>`), nil }, "illisible"},
		} {
			t.Run(c.name, func(t *testing.T) {
				serve = c.serve
				_, err := federation.Fetch(ctx, srv.Client(), st, p.ID)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("want a refusal with %q, got %v", c.want, err)
				}
				_ = st.Read(ctx, func(tx *store.Tx) error {
					got, _ := tx.Federation().GetPeer(ctx, p.ID)
					if got.LastError == "" || got.Description == nil {
						t.Errorf("the error is recorded, the last description kept: %+v", got)
					}
					return nil
				})
			})
		}

		// A peer pinned to a key it never used is refused from the start.
		q, err := federation.AddPeer(ctx, st, "Mauvaise empreinte", "http://127.0.0.1:1", other.KeyID(), operator)
		if err != nil {
			t.Fatal(err)
		}
		serve = publish(peerKey, "http://127.0.0.1:1")
		if _, err := federation.VerifyDescription(q, must(serve())); err == nil || !strings.Contains(err.Error(), "non épinglée") {
			t.Fatalf("pinned fingerprint mismatch: %v", err)
		}
		if _, err := federation.RemovePeer(ctx, st, q.ID, operator); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAddPeerRefuses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		fp := strings.Repeat("ab", 32)
		for _, c := range []struct{ url, fp, want string }{
			{"http://sillage.example", fp, "https obligatoire"},
			{"sillage.example", fp, "invalide"},
			{"https://sillage.example?x=1", fp, "invalide"},
			{"https://sillage.example", "abc", "empreinte"},
			{"https://sillage.example", strings.Repeat("zz", 32), "empreinte"},
		} {
			if _, err := federation.AddPeer(ctx, st, "x", c.url, c.fp, operator); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %s: %v", c.url, c.fp, err)
			}
		}
		if _, err := federation.AddPeer(ctx, st, "x", "https://sillage.example/", strings.ToUpper(fp), operator); err != nil {
			t.Fatal(err)
		}
		if _, err := federation.AddPeer(ctx, st, "y", "https://sillage.example", fp, operator); sillage.KindOf(err) != sillage.KindConflict {
			t.Fatalf("declared twice: %v", err)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
