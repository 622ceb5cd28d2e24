package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestHourlyExpiry: the hourly job, run as soon as the workers start,
// deletes the credential lists past their days and the imports held past
// an hour; the recent ones stay.
func TestHourlyExpiry(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		days := 3
		add := func(title string, at time.Time) {
			t.Helper()
			err := st.Write(ctx, func(tx *store.Tx) error {
				return tx.AddCredentialList(ctx, uaiA, &store.CredentialList{SchoolYear: 2025, Title: title, Accounts: 1,
					PDFSHA256: strings.Repeat("a", 64), CSVSHA256: strings.Repeat("b", 64), CreatedAt: at})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.CreateEstablishment(ctx, sillage.Establishment{UAI: uaiA, Name: "Lycée A", Kind: sillage.KindLP})
		})
		if err != nil {
			t.Fatal(err)
		}
		add("ancienne", clock.T.AddDate(0, 0, -days).Add(-time.Minute))
		add("récente", clock.T.AddDate(0, 0, -days).Add(time.Hour))

		box, err := sealbox.LoadOrCreate(filepath.Join(t.TempDir(), "secrets-key"))
		if err != nil {
			t.Fatal(err)
		}
		src := filepath.Join(t.TempDir(), "eleves.xml")
		os.WriteFile(src, []byte("<BEE_ELEVES/>"), 0o600)
		held := &directory.HeldImports{Dir: filepath.Join(t.TempDir(), "imports-en-attente"), Box: box}
		keep := func(at time.Time) string {
			t.Helper()
			token, err := held.Keep(directory.HeldMeta{UAI: uaiA, Source: directory.SourceSIECLE, Created: at, Files: []directory.HeldFile{{Path: src, Orig: "e.xml"}}})
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		old, recent := keep(clock.T.Add(-directory.HeldTTL-time.Minute)), keep(clock.T.Add(-time.Minute))

		q := openQueue(t, jobs.Config{Store: st, HeldImportsDir: held.Dir, CredentialListDays: days})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		exists := func(token string) bool { _, err := os.Stat(filepath.Join(held.Dir, token)); return err == nil }
		titles := func() []string {
			var out []string
			st.Read(ctx, func(tx *store.Tx) error {
				lists, err := tx.ListCredentialLists(ctx, uaiA)
				for _, l := range lists {
					out = append(out, l.Title)
				}
				return err
			})
			return out
		}
		waitFor(t, 30*time.Second, "the hourly expiry", func() bool {
			list, err := q.List(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range list {
				if j.Kind == jobs.KindExpire && j.State == "completed" {
					if j.Output != "1 liste(s) d'identifiants supprimée(s), 1 import(s) en attente supprimé(s)" || j.KindLabel() != "Expiration des fichiers sensibles" {
						t.Fatalf("expiry job: %+v", j)
					}
					return true
				}
			}
			return false
		})
		if got := titles(); len(got) != 1 || got[0] != "récente" || exists(old) || !exists(recent) {
			t.Fatalf("after the expiry: lists %v, old held %v, recent held %v", got, exists(old), exists(recent))
		}
		// Called again directly: nothing more.
		if lists, n, err := q.Expire(ctx); err != nil || lists != 0 || n != 0 {
			t.Fatalf("second expiry: %d %d %v", lists, n, err)
		}
	})
}
