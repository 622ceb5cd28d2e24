package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/backup"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// recordDigests describes every student's record by content: one line per
// student (establishment, number, status) with the manifest digest of its
// record (transfer.Manifest: evaluations, results, comments, sheets,
// files), plus the transfer log. Ids the database allocates are left out:
// two instances that did the same work give the same text.
func recordDigests(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	err := st.Read(ctx, func(tx *store.Tx) error {
		for _, e := range mustEstablishments(t, tx) {
			students, err := tx.People().ListStudents(ctx, e.UAI, sillage.StudentFilter{})
			if err != nil {
				return err
			}
			for _, s := range students {
				rec, err := tx.CrossTenant().GetTransferRecord(ctx, e.UAI, s.ID)
				if err != nil {
					return err
				}
				lines = append(lines, fmt.Sprintf("student %s %d %s %v %s", e.UAI, s.ID, s.TransferStatus, s.DeactivatedAt.IsZero(), transfer.Manifest(rec)))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.SQLDB().QueryContext(ctx, `SELECT origin_uai, dest_uai, origin_student_id, dest_student_id, done, final, reason, counts, manifest FROM transfer_log`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var o, d, reason, counts, manifest string
		var oid, did int64
		var done, final bool
		if err := rows.Scan(&o, &d, &oid, &did, &done, &final, &reason, &counts, &manifest); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("log %s %s %d %d %v %v %s %s %s", o, d, oid, did, done, final, reason, counts, manifest))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func mustEstablishments(t *testing.T, tx *store.Tx) []sillage.Establishment {
	es, err := tx.Establishments().ListEstablishments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// restoreTarget returns the environment of a new, empty instance of kind:
// a new SQLite file, or a new PostgreSQL database (dropped at cleanup)
// searched in the same schema as the source, as pg_restore recreates it.
func restoreTarget(t *testing.T, kind store.Kind, src map[string]string) map[string]string {
	dir := t.TempDir()
	env := map[string]string{"SILLAGE_DATA_DIR": filepath.Join(dir, "data")}
	if kind == store.SQLite {
		env["SILLAGE_DB"] = "sqlite:" + filepath.Join(dir, "restored.db")
		return env
	}
	base := os.Getenv("SILLAGE_TEST_POSTGRES")
	var b [5]byte
	rand.Read(b[:])
	name := "sillage_restore_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			db.Close()
		}
	})
	su, _ := url.Parse(src["SILLAGE_DB"])
	u, _ := url.Parse(base)
	u.Path = "/" + name
	q := u.Query()
	q.Set("search_path", su.Query().Get("search_path"))
	u.RawQuery = q.Encode()
	env["SILLAGE_DB"] = u.String()
	return env
}

// TestBackupRestoreUnderLoad: a backup taken while audit entries are
// written without pause and a transfer run is stopped in the middle of a
// batch (its transaction open) restores into a new instance where the
// audit chains verify, every record has the digest it had in the source at
// the backup's moment (the open batch absent, the committed ones present),
// the transfer re-run completes exactly what the source completed, and a
// third run moves nothing.
func TestBackupRestoreUnderLoad(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			c := newCLI(t, kind)
			if code, out, errs := c.run("demo", "--no-serve", "--no-transfer", "--establishments", "4", "--students", "600"); code != exitOK {
				t.Fatalf("demo: %d %q %q", code, out, errs)
			}
			t0 := time.Now()
			defer func() { t.Logf("%s: %v", kind, time.Since(t0)) }()
			dsn, _ := store.ParseDSN(c.env["SILLAGE_DB"])
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			// A second handle reads while the transfer holds the writer.
			reader, err := store.Open(ctx, dsn, store.Options{NoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			var uais []sillage.UAI
			st.Read(ctx, func(tx *store.Tx) error {
				for _, e := range mustEstablishments(t, tx) {
					uais = append(uais, e.UAI)
				}
				return nil
			})

			// Load: audit entries on the instance's chain and on every
			// establishment's, without pause.
			stopLoad := make(chan struct{})
			var loadDone sync.WaitGroup
			var loaded atomic.Int64
			loadDone.Add(1)
			go func() {
				defer loadDone.Done()
				for i := 0; ; i++ {
					select {
					case <-stopLoad:
						return
					default:
					}
					// The instance's journal, which the paused transfer does
					// not lock, and on SQLite every establishment's.
					uai := sillage.UAI("")
					if kind == store.SQLite && i%2 == 1 {
						uai = uais[i/2%len(uais)]
					}
					if err := st.Write(ctx, func(tx *store.Tx) error {
						return audit.Record(ctx, tx, uai, audit.System, audit.Import, "charge", fmt.Sprint(i))
					}); err == nil {
						loaded.Add(1)
					}
				}
			}()

			// The transfer stops in the middle: on PostgreSQL inside its
			// third batch's transaction (the dump must leave it out); on
			// SQLite, whose one writer it would hold, right after the
			// second batch's commit, so that the load writes on meanwhile
			// (the backup must see what the WAL holds).
			pauseAt := transfer.StepAudit
			if kind == store.SQLite {
				pauseAt = transfer.StepCommitted
			}
			paused, release := make(chan struct{}), make(chan struct{})
			var batches atomic.Int32
			fp := func(step string) error {
				if step == pauseAt && batches.Add(1) == 3 {
					close(paused)
					<-release
				}
				return nil
			}
			var srcRep *transfer.Report
			var srcErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				srcRep, srcErr = transfer.Run(ctx, st, transfer.Options{Failpoint: fp, BatchSize: 2, Workers: 1})
			}()
			select {
			case <-paused:
			case <-done:
				t.Fatalf("the transfer ended before its third batch: %v %+v", srcErr, srcRep)
			}
			atBackup := recordDigests(t, reader)
			dest := filepath.Join(t.TempDir(), "sauvegarde")
			loadedBefore := loaded.Load()
			code, out, errs := c.run("backup", dest)
			loadedDuring := loaded.Load() - loadedBefore
			close(release)
			<-done
			close(stopLoad)
			loadDone.Wait()
			if code != exitOK || !strings.Contains(out, "Sauvegarde écrite") {
				t.Fatalf("backup: %d %q %q", code, out, errs)
			}
			if srcErr != nil || len(srcRep.Transferred) < 6 {
				t.Fatalf("source transfer: %v, %d moved (want more than two batches)", srcErr, len(srcRep.Transferred))
			}
			final := recordDigests(t, st)
			movedAtBackup := 0
			for _, l := range strings.Split(atBackup, "\n") {
				if strings.HasPrefix(l, "log ") && strings.Contains(l, " true ") {
					movedAtBackup++
				}
			}
			t.Logf("%s: %d transfers in all, %d logged at the backup's moment, %d audit entries written during the backup, %d in all",
				kind, len(srcRep.Transferred), movedAtBackup, loadedDuring, loaded.Load())
			if loadedDuring == 0 {
				t.Error("no write went on during the backup: the load did not overlap it")
			}

			t.Logf("backup done after %v", time.Since(t0))
			// A damaged backup is refused before anything is written.
			rc := &cli{t: t, env: restoreTarget(t, kind, c.env)}
			var meta backup.Meta
			data, _ := os.ReadFile(filepath.Join(dest, backup.MetaFile))
			json.Unmarshal(data, &meta)
			if meta.Blobs == 0 || !meta.BlobsCopied || len(meta.MissingBlobs) != 0 {
				t.Fatalf("backup description: %+v", meta)
			}
			dbFile := filepath.Join(dest, meta.Database)
			orig, _ := os.ReadFile(dbFile)
			os.WriteFile(dbFile, append(append([]byte{}, orig...), 0), 0o600)
			code, _, errs = rc.run("restore", dest)
			if code != exitFailure || !strings.Contains(errs, "sauvegarde altérée") {
				t.Fatalf("altered backup: %d %q", code, errs)
			}
			if _, err := os.Stat(filepath.Join(rc.env["SILLAGE_DATA_DIR"], "id-key")); err == nil {
				t.Fatal("an altered backup wrote a key file")
			}
			os.WriteFile(dbFile, orig, 0o600)

			code, out, errs = rc.run("restore", dest)
			if code != exitOK || !strings.Contains(out, "restaurée") {
				t.Fatalf("restore: %d %q %q", code, out, errs)
			}
			code, _, errs = rc.run("restore", dest)
			if code != exitFailure || !strings.Contains(errs, "base cible") {
				t.Fatalf("restore over a restored instance: %d %q", code, errs)
			}
			code, out, errs = rc.run("audit", "verify", "--json")
			var verdict struct {
				Checked int  `json:"entrees_verifiees"`
				Intact  bool `json:"intact"`
			}
			if code != exitOK || json.Unmarshal([]byte(out), &verdict) != nil || !verdict.Intact || verdict.Checked == 0 {
				t.Fatalf("audit verify on the restored instance: %d %q %q", code, out, errs)
			}
			rdsn, _ := store.ParseDSN(rc.env["SILLAGE_DB"])
			restored, err := store.Open(ctx, rdsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer restored.Close()
			if got := recordDigests(t, restored); got != atBackup {
				t.Fatalf("restored records differ from the source at the backup's moment:\n%s", firstDiff(atBackup, got))
			}
			var refs map[string]bool
			restored.Read(ctx, func(tx *store.Tx) (err error) { refs, err = tx.CrossTenant().BlobRefs(ctx); return err })
			for sum := range refs {
				if _, err := os.Stat(filepath.Join(rc.env["SILLAGE_DATA_DIR"], "files", "sha256", sum[:2], sum)); err != nil {
					t.Errorf("restored instance lacks file %s", sum)
				}
			}

			t.Logf("restore checked after %v", time.Since(t0))
			// The transfer completes on the restored instance what the
			// source completed, then has nothing left to do.
			code, out, errs = rc.run("transfer", "run", "--json")
			var again transfer.Report
			if code != exitOK || json.Unmarshal([]byte(out), &again) != nil || len(again.Transferred) == 0 {
				t.Fatalf("transfer on the restored instance: %d %q", code, errs)
			}
			if got := recordDigests(t, restored); got != final {
				t.Fatalf("restored instance after its transfer differs from the source after its own:\n%s", firstDiff(final, got))
			}
			code, out, _ = rc.run("transfer", "run", "--json")
			var third transfer.Report
			if code != exitOK || json.Unmarshal([]byte(out), &third) != nil || len(third.Transferred) != 0 {
				t.Fatalf("third transfer run moved %d records", len(third.Transferred))
			}
			t.Logf("%s: restored run moved %d (source total %d), next run 0; %d files", kind, len(again.Transferred), len(srcRep.Transferred), meta.Blobs)
		})
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d (of %d / %d):\n want %s\n got  %s", i, len(w), len(g), a, b)
		}
	}
	return "same"
}
