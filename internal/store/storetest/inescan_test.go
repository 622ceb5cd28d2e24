package storetest_test

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// recorder is a test that records its failures instead of stopping.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.failures = append(r.failures, fmt.Sprint(args...)) }
func (r *recorder) Fatalf(f string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(f, args...))
}

// TestNoINEAtRestFinds: the scan finds an INE in a table (SQLite file or
// WAL, PostgreSQL dump), in a file and inside a ZIP of the data folder, and
// in a file name; it finds nothing when there is nothing; INEsIn refuses
// inputs without any INE.
func TestNoINEAtRestFinds(t *testing.T) {
	const ine = "9900000002T"
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		input := filepath.Join(t.TempDir(), "eleves.xml")
		os.WriteFile(input, []byte("<ID_NATIONAL>"+ine+"</ID_NATIONAL><ID_NATIONAL>12345</ID_NATIONAL>"), 0o600)
		ines := storetest.INEsIn(t, input)
		if len(ines) != 1 || ines[0] != ine {
			t.Fatalf("INEsIn = %v", ines)
		}
		r := &recorder{TB: t}
		storetest.INEsIn(r, filepath.Join("..", "..", "..", "go.mod"))
		if len(r.failures) != 1 {
			t.Fatalf("INEsIn of a file without INE: %v", r.failures)
		}

		data := t.TempDir()
		os.WriteFile(filepath.Join(data, "propre.txt"), []byte("rien"), 0o600)
		check := func(what string, want bool) {
			t.Helper()
			r := &recorder{TB: t}
			storetest.NoINEAtRest(r, st, ines, data)
			if got := len(r.failures) > 0; got != want {
				t.Fatalf("%s: found %v (%v), want %v", what, got, r.failures, want)
			}
		}
		check("clean", false)
		z, _ := os.Create(filepath.Join(data, "archive.zip"))
		zw := zip.NewWriter(z)
		w, _ := zw.Create("eleves.csv")
		w.Write([]byte("DURAND;" + ine))
		zw.Close()
		z.Close()
		check("inside a ZIP", true)
		os.Remove(filepath.Join(data, "archive.zip"))
		os.WriteFile(filepath.Join(data, "import-"+ine), nil, 0o600)
		check("a file name", true)
		os.Remove(filepath.Join(data, "import-"+ine))
		check("clean again", false)
		err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0860012W", Name: "Lycée " + ine, Kind: sillage.KindLP})
		})
		if err != nil {
			t.Fatal(err)
		}
		check("a table", true)
	})
}
