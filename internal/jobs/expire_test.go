package jobs_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
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
				return tx.Accounts().AddCredentialList(ctx, uaiA, &sillage.CredentialList{SchoolYear: 2025, Title: title, Accounts: 1,
					PDFSHA256: strings.Repeat("a", 64), CSVSHA256: strings.Repeat("b", 64), CreatedAt: at})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiA, Name: "Lycée A", Kind: sillage.KindLP})
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
		held := &directory.HeldImports{Store: st, Box: box}
		keep := func(at time.Time) string {
			t.Helper()
			token, err := held.Keep(ctx, directory.HeldMeta{UAI: uaiA, Source: directory.SourceSIECLE, Created: at, Files: []directory.HeldFile{{Path: src, Orig: "e.xml"}}})
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		old, recent := keep(clock.T.Add(-directory.HeldTTL-time.Minute)), keep(clock.T.Add(-time.Minute))

		q := openQueue(t, jobs.Config{Store: st, CredentialListDays: days})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		// Taking is the only way to read a held upload; a taken one is
		// gone, so each is looked at once, after the expiry.
		exists := func(token string) bool {
			_, err := held.Take(ctx, uaiA, token, clock.T.Add(-time.Minute), t.TempDir())
			return err == nil
		}
		titles := func() []string {
			var out []string
			st.Read(ctx, func(tx *store.Tx) error {
				lists, err := tx.Accounts().ListCredentialLists(ctx, uaiA)
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
					if j.Output != "1 liste(s) d'identifiants supprimée(s), 1 import(s) en attente supprimé(s), 0 fichier(s) écrit(s) en clair chiffré(s)" || j.KindLabel() != "Expiration des fichiers sensibles" {
						t.Fatalf("expiry job: %+v", j)
					}
					return true
				}
			}
			return false
		})
		if got, oldHeld, recentHeld := titles(), exists(old), exists(recent); len(got) != 1 || got[0] != "récente" || oldHeld || !recentHeld {
			t.Fatalf("after the expiry: lists %v, old held %v, recent held %v", got, oldHeld, recentHeld)
		}
		// Called again directly: nothing more.
		if lists, n, err := q.Expire(ctx); err != nil || lists != 0 || n != 0 {
			t.Fatalf("second expiry: %d %d %v", lists, n, err)
		}
	})
}

// TestLegacyFilesSealed: the credential lists and the initialisation file
// an older version wrote in clear are sealed in place by the hourly job:
// their rows point at sealed copies that open into the same bytes, the
// clear files are gone unless another row uses them, and a second run
// changes nothing.
func TestLegacyFilesSealed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		blobs, err := blob.Open(t.TempDir(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { blobs.Close() })
		box, err := sealbox.LoadOrCreate(filepath.Join(t.TempDir(), "secrets-key"))
		if err != nil {
			t.Fatal(err)
		}
		put := func(content string) blob.Ref {
			t.Helper()
			ref, err := blobs.Put(strings.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			return ref
		}
		pdf, csv := put("%PDF-1.4 mot de passe Xy12"), put("Nom;Mot de passe\nDURAND;Xy12\n")
		initFile := put("<BEE_ELEVES><ID_NATIONAL>9900000002T</ID_NATIONAL></BEE_ELEVES>")
		sealedCSV, _ := box.Seal([]byte("déjà chiffrée"), sealbox.PurposeCredentials)
		already := put(string(sealedCSV))
		var list, other sillage.CredentialList
		var file sillage.RolloverFile
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiA, Name: "Lycée A", Kind: sillage.KindLP}); err != nil {
				return err
			}
			list = sillage.CredentialList{SchoolYear: 2025, Title: "1SN", Accounts: 1, PDFSHA256: pdf.SHA256, PDFSize: pdf.Size, CSVSHA256: csv.SHA256, CSVSize: csv.Size}
			if err := tx.Accounts().AddCredentialList(ctx, uaiA, &list); err != nil {
				return err
			}
			// Half sealed already; its PDF is the same clear file as the first list's.
			other = sillage.CredentialList{SchoolYear: 2025, Title: "2SN", Accounts: 1, PDFSHA256: pdf.SHA256, PDFSize: pdf.Size, CSVSHA256: already.SHA256, CSVSize: already.Size}
			if err := tx.Accounts().AddCredentialList(ctx, uaiA, &other); err != nil {
				return err
			}
			file = sillage.RolloverFile{SchoolYear: 2025, Name: "eleves.xml", SHA256: initFile.SHA256, Size: initFile.Size}
			return tx.Rollover().AddRolloverFile(ctx, uaiA, &file)
		})
		if err != nil {
			t.Fatal(err)
		}
		q := openQueue(t, jobs.Config{Store: st, Blobs: blobs, Box: box})
		if n, err := q.SealLegacy(ctx); err != nil || n != 4 {
			t.Fatalf("sealed %d files, %v; want 4 (two PDFs, a CSV, the initialisation file)", n, err)
		}
		opens := func(sum, purpose, want string) {
			t.Helper()
			f, err := blobs.Open(sum)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(f)
			f.Close()
			got, err := box.Open(data, purpose)
			if err != nil || string(got) != want {
				t.Fatalf("%s: %q %v, want %q", sum, got, err, want)
			}
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			l, err := tx.Accounts().GetCredentialList(ctx, uaiA, list.ID)
			if err != nil {
				return err
			}
			opens(l.PDFSHA256, sealbox.PurposeCredentials, "%PDF-1.4 mot de passe Xy12")
			opens(l.CSVSHA256, sealbox.PurposeCredentials, "Nom;Mot de passe\nDURAND;Xy12\n")
			o, err := tx.Accounts().GetCredentialList(ctx, uaiA, other.ID)
			if err != nil {
				return err
			}
			opens(o.PDFSHA256, sealbox.PurposeCredentials, "%PDF-1.4 mot de passe Xy12")
			if o.CSVSHA256 != already.SHA256 {
				t.Errorf("a sealed file was sealed again")
			}
			f, err := tx.Rollover().GetRolloverFile(ctx, uaiA, 2025)
			if err != nil {
				return err
			}
			opens(f.SHA256, sealbox.PurposeInitFile, "<BEE_ELEVES><ID_NATIONAL>9900000002T</ID_NATIONAL></BEE_ELEVES>")
			if f.Size != initFile.Size {
				t.Errorf("the initialisation file's size changed: %d", f.Size)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range []blob.Ref{pdf, csv, initFile} {
			if blobs.Has(ref.SHA256) {
				t.Errorf("the clear file %s is still stored", ref.SHA256)
			}
		}
		if n, err := q.SealLegacy(ctx); err != nil || n != 0 {
			t.Fatalf("second run: %d %v", n, err)
		}
	})
}
