//go:build unix

package backup_test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/backup"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// instance is a store with a recorded key and some files.
type instance struct {
	st      *store.Store
	dsn     store.DSN
	dataDir string
	keyFile string
}

func newInstance(t *testing.T, kind store.Kind, files int) *instance {
	t.Helper()
	ctx := context.Background()
	in := &instance{dsn: storetest.DSN(t, kind), dataDir: t.TempDir()}
	var err error
	if in.st, err = store.Open(ctx, in.dsn, store.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.st.Close() })
	in.keyFile = filepath.Join(in.dataDir, "id-key")
	if _, err := keyreg.LoadIDKey(ctx, in.st, in.keyFile, true); err != nil {
		t.Fatal(err)
	}
	b, err := blob.Open(filepath.Join(in.dataDir, "files"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// Every file referenced, as a year's archive of a division.
	err = in.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0860012W", Name: "Lycée", Kind: sillage.KindLP}); err != nil {
			return err
		}
		for i := 0; i < files; i++ {
			ref, err := b.Put(strings.NewReader(fmt.Sprintf("fichier %d %s", i, strings.Repeat("x", 2000))))
			if err != nil {
				return err
			}
			a := sillage.Archive{SchoolYear: 2024, DivisionCode: fmt.Sprint("D", i), Name: fmt.Sprint("archive-", i, ".zip"), SHA256: ref.SHA256, Size: ref.Size}
			if err := tx.Records().AddArchive(ctx, "0860012W", &a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (in *instance) options() backup.Options {
	return backup.Options{Store: in.st, BlobDir: filepath.Join(in.dataDir, "files"), Keys: []backup.Key{{Name: keyreg.IDKey, Path: in.keyFile}}}
}

func dsnString(d store.DSN) string {
	if d.Kind == store.Postgres {
		return d.URL
	}
	return "sqlite:" + d.Path
}

// TestHelperBackup is the process TestKilledBackup kills.
func TestHelperBackup(t *testing.T) {
	db := os.Getenv("BACKUP_HELPER_DB")
	if db == "" {
		t.Skip("helper process")
	}
	dsn, _ := store.ParseDSN(db)
	st, err := store.Open(context.Background(), dsn, store.Options{NoMigrate: true})
	if err != nil {
		os.Exit(3)
	}
	data := os.Getenv("BACKUP_HELPER_DATA")
	fmt.Println("STARTED")
	_, err = backup.Create(context.Background(), os.Getenv("BACKUP_HELPER_DEST"), backup.Options{Store: st, BlobDir: filepath.Join(data, "files"),
		Keys: []backup.Key{{Name: keyreg.IDKey, Path: filepath.Join(data, "id-key")}}})
	if err != nil {
		os.Exit(3)
	}
	os.Exit(0)
}

// TestKilledBackup kills backups at random moments: a killed backup never
// leaves a folder that looks finished, and the next one removes its
// leftovers and completes.
func TestKilledBackup(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			in := newInstance(t, kind, 400)
			// One backup undisturbed gives how long the kills spread over:
			// snapshot, keys, files, sums, rename.
			t0 := time.Now()
			if _, err := backup.Create(context.Background(), filepath.Join(t.TempDir(), "ref"), in.options()); err != nil {
				t.Fatal(err)
			}
			span := time.Since(t0) + 50*time.Millisecond
			const trials = 10
			killed, finished := 0, 0
			for i := 0; i < trials; i++ {
				dest := filepath.Join(t.TempDir(), "sauvegarde")
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBackup$", "-test.count=1")
				cmd.Env = append(os.Environ(), "BACKUP_HELPER_DB="+dsnString(in.dsn), "BACKUP_HELPER_DATA="+in.dataDir, "BACKUP_HELPER_DEST="+dest)
				out, _ := cmd.StdoutPipe()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				bufio.NewReader(out).ReadString('\n')
				time.Sleep(time.Duration(rand.Int64N(int64(span))))
				cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				signaled := false
				if ee, ok := err.(*exec.ExitError); ok && ee.Sys().(syscall.WaitStatus).Signaled() {
					signaled = true
					// Killed after its last rename, before it exited: the
					// backup is finished, and must be whole.
					if _, err := os.Stat(dest); err == nil {
						if _, err := backup.Verify(dest); err != nil {
							t.Fatalf("trial %d: a killed backup left %s, not a finished one: %v", i, dest, err)
						}
						signaled = false
					}
				}
				if signaled {
					killed++
				} else {
					finished++
					if _, err := backup.Verify(dest); err != nil {
						t.Fatalf("trial %d: finished backup: %v", i, err)
					}
					continue
				}
				meta, err := backup.Create(context.Background(), dest, in.options())
				if err != nil {
					t.Fatalf("trial %d: backup after a killed one: %v", i, err)
				}
				if _, err := os.Stat(dest + ".en-cours"); !os.IsNotExist(err) {
					t.Fatalf("trial %d: leftovers of the killed backup remain", i)
				}
				if _, err := backup.Verify(dest); err != nil || !meta.BlobsCopied {
					t.Fatalf("trial %d: %v", i, err)
				}
			}
			t.Logf("%s: %d trials over %v: %d backups killed at random, %d finished before the kill; after each kill, no finished-looking folder and the next backup complete and verified", kind, trials, span.Round(time.Millisecond), killed, finished)
			if killed == 0 {
				t.Error("no backup was killed: the trials test nothing")
			}
		})
	}
}

// TestBackupRefusals: a key file that lacks what the database was built
// with is not saved; a backup without its files restores only once they
// are copied; an altered or missing file of a backup is refused before
// anything is written; an interrupted restore is run again.
func TestBackupRefusals(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			in := newInstance(t, kind, 5)

			good, _ := os.ReadFile(in.keyFile)
			other := filepath.Join(t.TempDir(), "k")
			ident.Create(other, 1)
			otherData, _ := os.ReadFile(other)
			os.WriteFile(in.keyFile, otherData, 0o600)
			if _, err := backup.Create(ctx, filepath.Join(t.TempDir(), "b"), in.options()); err == nil || !strings.Contains(err.Error(), "sauvegarde refusée") {
				t.Fatalf("backup with a foreign key: %v", err)
			}
			os.WriteFile(in.keyFile, good, 0o600)

			// A referenced file gone from the data directory is named.
			var victim string
			filepath.WalkDir(filepath.Join(in.dataDir, "files", "sha256"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && victim == "" {
					victim = p
				}
				return nil
			})
			saved, _ := os.ReadFile(victim)
			os.Remove(victim)
			meta, err := backup.Create(ctx, filepath.Join(t.TempDir(), "b"), in.options())
			if err != nil || len(meta.MissingBlobs) != 1 || meta.MissingBlobs[0] != filepath.Base(victim) || meta.Blobs != 4 {
				t.Fatalf("missing file: %+v %v", meta, err)
			}
			os.WriteFile(victim, saved, 0o640)

			o := in.options()
			o.SkipBlobs = true
			dest := filepath.Join(t.TempDir(), "b")
			meta, err = backup.Create(ctx, dest, o)
			if err != nil || meta.BlobsCopied || meta.Blobs != 5 {
				t.Fatalf("skip blobs: %+v %v", meta, err)
			}
			if _, err := backup.Create(ctx, dest, o); err == nil || !strings.Contains(err.Error(), "existe déjà") {
				t.Fatalf("backup over an existing one: %v", err)
			}
			// Files in a store of their own (an object store's bucket):
			// listed, looked for there, not in the data directory.
			elsewhere, err := blob.Open(t.TempDir(), 0)
			if err != nil {
				t.Fatal(err)
			}
			defer elsewhere.Close()
			for i := range 4 {
				elsewhere.Put(strings.NewReader(fmt.Sprintf("fichier %d %s", i, strings.Repeat("x", 2000))))
			}
			o.Blobs, o.BlobDir = elsewhere, filepath.Join(t.TempDir(), "absent")
			meta, err = backup.Create(ctx, filepath.Join(t.TempDir(), "b"), o)
			if err != nil || meta.BlobsCopied || meta.Blobs != 4 || len(meta.MissingBlobs) != 1 || meta.BlobBytes != 4*2010 {
				t.Fatalf("files in a store of their own: %+v %v", meta, err)
			}
			o = in.options()
			o.SkipBlobs = true

			// Missing file of the backup.
			os.Rename(filepath.Join(dest, backup.BlobListFile), filepath.Join(dest, "x"))
			if _, err := backup.Verify(dest); err == nil || !strings.Contains(err.Error(), "incomplète") {
				t.Fatalf("missing list: %v", err)
			}
			os.Rename(filepath.Join(dest, "x"), filepath.Join(dest, backup.BlobListFile))

			target := backup.Target{DSN: storetest.DSN(t, kind), BlobDir: filepath.Join(t.TempDir(), "files"), Keys: map[string]string{keyreg.IDKey: filepath.Join(t.TempDir(), "id-key")}}
			if kind == store.Postgres {
				// Restoring a dump of a schema needs a database without
				// that schema: covered by cmd/sillage's round trip.
				target.DSN = in.dsn
			}
			if kind == store.SQLite {
				os.MkdirAll(filepath.Join(target.BlobDir, "sha256"), 0o750)
				// With the files listed but absent, the restore stops
				// before the database and says to copy them.
				if _, err := backup.Restore(ctx, dest, target); err == nil || !strings.Contains(err.Error(), "rsync") {
					t.Fatalf("restore without the files: %v", err)
				}
				if _, err := os.Stat(target.DSN.Path); !os.IsNotExist(err) {
					t.Fatal("the database was restored without its files")
				}
				// rsync, then the same restore again.
				if err := exec.Command("cp", "-a", filepath.Join(in.dataDir, "files", "sha256"), target.BlobDir).Run(); err != nil {
					t.Fatal(err)
				}
				rep, err := backup.Restore(ctx, dest, target)
				if err != nil || rep.BlobsMissing != 0 {
					t.Fatalf("restore after rsync: %+v %v", rep, err)
				}
				restored, err := store.Open(ctx, target.DSN, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer restored.Close()
				if err := keyreg.CheckIDKey(ctx, restored, target.Keys[keyreg.IDKey]); err != nil {
					t.Fatalf("restored key: %v", err)
				}
			} else {
				// The source itself is not empty: refused.
				if _, err := backup.Restore(ctx, dest, target); err == nil || !strings.Contains(err.Error(), "contient déjà") {
					t.Fatalf("restore over a live base: %v", err)
				}
			}
		})
	}
}
