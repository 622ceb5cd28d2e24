package directory_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// FuzzSIECLEImport feeds arbitrary students exports to the import of an
// establishment that already has students: a file the import refuses
// (malformed, another establishment, a mass deactivation held…) leaves
// the database exactly as it was, and nothing panics.
func FuzzSIECLEImport(f *testing.F) {
	for _, name := range []string{"siecle_0860012W_1.xml", "siecle_0860012W_2.xml", "siecle_0860012W_3.xml"} {
		data, err := os.ReadFile(testdata(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(bytes.ReplaceAll(data, []byte("0860012W"), []byte("0010856A")))
		f.Add(bytes.ReplaceAll(data, []byte("<DATE_SORTIE>"), []byte("<DATE_SORTIE>3")))
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "reference", "siecle", "fixtures_dossiersco", "eleves_avec_adresse_simple.xml")); err == nil {
		f.Add(data)
	}
	clock := &storetest.Clock{T: storetest.Epoch}
	st := storetest.Open(f, store.SQLite, clock)
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error {
		return tx.CreateEstablishment(ctx, sillage.Establishment{UAI: scenarioUAI, Name: "Fuzz", Kind: sillage.KindLP})
	}); err != nil {
		f.Fatal(err)
	}
	im := &directory.Importer{Store: st, Keyring: testKeyring}
	seed, _ := os.ReadFile(testdata("siecle_0860012W_1.xml"))
	if _, err := im.SIECLE(ctx, bytes.NewReader(seed), directory.Options{UAI: scenarioUAI}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := dump(t, st)
		rep, err := im.SIECLE(ctx, bytes.NewReader(data), directory.Options{UAI: scenarioUAI})
		if err != nil {
			if after := dump(t, st); after != before {
				t.Fatalf("a refused import (%v) changed the database", err)
			}
			if sillage.KindOf(err) == sillage.KindInternal && !strings.Contains(err.Error(), "context") {
				t.Fatalf("internal error: %v", err)
			}
			return
		}
		if rep.Status != directory.StatusApplied {
			t.Fatalf("status %s without an error", rep.Status)
		}
	})
}
