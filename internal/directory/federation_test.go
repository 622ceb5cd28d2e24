package directory_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func fedKeyring(t *testing.T, versions ...int) ident.Keyring {
	t.Helper()
	m := map[int][]byte{}
	for _, v := range versions {
		m[v] = bytes.Repeat([]byte{byte(40 + v)}, 32)
	}
	kr, err := ident.NewKeyring(m)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestFederationHashesAtImport: with a federation key, an import holding
// the INE stores every student's federation hash under every version of
// that key, beside the unqids and never equal to one; after a rotation
// the next import adds the new version; an import without the federation
// key keeps what is stored.
func TestFederationHashesAtImport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		ctx := context.Background()
		stored := func() (map[int64][]string, map[int64][]string) {
			t.Helper()
			var fed, unqids map[int64][]string
			if err := st.Read(ctx, func(tx *store.Tx) (err error) {
				if fed, err = tx.Imports().ListFederationHashes(ctx, scenarioUAI); err != nil {
					return err
				}
				unqids, err = tx.Imports().ListPersonUnqids(ctx, scenarioUAI)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return fed, unqids
		}
		check := func(kr ident.Keyring, wantPrefixes ...string) {
			t.Helper()
			expected := map[string]bool{}
			for _, ine := range scenarioINEs {
				hs, err := kr.FederationHashes(ident.RawINE(ine))
				if err != nil {
					continue
				}
				for _, h := range hs {
					expected[h] = true
				}
			}
			fed, unqids := stored()
			if len(unqids) < 3 || len(fed) != len(unqids) {
				t.Fatalf("%d students with unqids, %d with federation hashes", len(unqids), len(fed))
			}
			for id, hs := range fed {
				if len(hs) != len(wantPrefixes) {
					t.Errorf("student %d: %v, want one per version %v", id, hs, wantPrefixes)
				}
				for i, h := range hs {
					if !strings.HasPrefix(h, wantPrefixes[i]) || !expected[h] {
						t.Errorf("student %d: %s is not the federation hash of a file's INE", id, h)
					}
					for _, u := range unqids[id] {
						if u[strings.Index(u, ":"):] == h[strings.Index(h, ":"):] {
							t.Errorf("student %d: federation hash equals the unqid %s", id, u)
						}
					}
				}
			}
		}
		e.im.Federation = fedKeyring(t, 1)
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		check(e.im.Federation, "f1:")

		e.im.Federation = fedKeyring(t, 1, 2)
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		check(e.im.Federation, "f1:", "f2:")

		// Federation turned off: the stored hashes stay.
		e.im.Federation = ident.Keyring{}
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		check(fedKeyring(t, 1, 2), "f1:", "f2:")
	})
}
