package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func uaiN(n int) sillage.UAI {
	digits := fmt.Sprintf("0%06d", 790000+n)
	l, _ := sillage.UAICheckLetter(digits)
	return sillage.UAI(digits + string(l))
}

var uaiA, uaiB = uaiN(1), uaiN(2)

// mover stores a student who left A with a sheet and a file, and the same
// student new at B: the next transfer run moves the record.
func mover(t *testing.T, st *store.Store, blobs blob.Store) (originID, destID int64, orphan string) {
	t.Helper()
	ctx := context.Background()
	ref, err := blobs.Put(bytes.NewReader([]byte("%PDF-1.4 compte rendu")))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := blobs.Put(bytes.NewReader([]byte("%PDF-1.4 bulletin de l'ancien établissement")))
	if err != nil {
		t.Fatal(err)
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		for _, u := range []sillage.UAI{uaiA, uaiB} {
			e := sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP, Transfer: sillage.TransferSettings{Enabled: true, Reference: "CNIL-1"}}
			if err := tx.Establishments().CreateEstablishment(ctx, e); err != nil {
				return err
			}
		}
		s := sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "Durand", Source: sillage.SourceSIECLE},
			Unqid: "v1:LEA", Diploma: "24732205", TransferStatus: sillage.TransferSettled}
		if err := tx.People().CreateStudent(ctx, uaiA, &s); err != nil {
			return err
		}
		sh := sillage.Sheet{StudentID: s.ID, Kind: sillage.SheetBacPro, Title: "Installation", Context: sillage.ContextClass}
		if err := tx.Records().CreateSheet(ctx, uaiA, &sh); err != nil {
			return err
		}
		a := sillage.Attachment{SheetID: sh.ID, Name: "cr.pdf", SHA256: ref.SHA256, Size: ref.Size, ContentType: "application/pdf"}
		if err := tx.Records().AddAttachment(ctx, uaiA, &a); err != nil {
			return err
		}
		d := sillage.Document{StudentID: s.ID, Kind: sillage.DocumentFile, Name: "b.pdf", SHA256: gone.SHA256, Size: gone.Size, ContentType: "application/pdf", SchoolYear: 2025}
		if err := tx.Records().AddDocument(ctx, uaiA, &d); err != nil {
			return err
		}
		if err := tx.People().SetPersonActive(ctx, uaiA, s.ID, false); err != nil {
			return err
		}
		if err := tx.CrossTenant().PutIndexEntry(ctx, sillage.TransferIndexEntry{Unqid: s.Unqid, OriginUAI: uaiA, OriginStudentID: s.ID, Diploma: s.Diploma, DeactivatedAt: tx.Now()}); err != nil {
			return err
		}
		originID = s.ID
		n := sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "Durand", Source: sillage.SourceSIECLE}, Unqid: "v1:LEA", Diploma: "24732205"}
		if err := tx.People().CreateStudent(ctx, uaiB, &n); err != nil {
			return err
		}
		destID = n.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return originID, destID, gone.SHA256
}

func transferred(t *testing.T, st *store.Store, destID, originID int64) bool {
	var done bool
	st.Read(context.Background(), func(tx *store.Tx) error {
		e, err := tx.CrossTenant().FindTransferLog(context.Background(), uaiB, destID, uaiA, originID)
		done = err == nil && e.Done
		return nil
	})
	return done
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func openQueue(t *testing.T, cfg jobs.Config) *jobs.Queue {
	t.Helper()
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	q, err := jobs.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return q
}

// TestAfterImportTransfers: an import's hook queues a run, the workers do
// it in the background, then collect the file only the origin used.
func TestAfterImportTransfers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		blobs, err := blob.Open(t.TempDir(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { blobs.Close() })
		originID, destID, orphan := mover(t, st, blobs)
		q := openQueue(t, jobs.Config{Store: st, Blobs: blobs, CollectGrace: time.Nanosecond})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		// What the import does in its transaction.
		if err := st.Write(ctx, func(tx *store.Tx) error {
			_, err := q.EnqueueTransferTx(ctx, tx, jobs.TriggerImport, []sillage.UAI{uaiB})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "the transfer", func() bool { return transferred(t, st, destID, originID) })
		t.Logf("import → transfer done: %v", time.Since(start))
		waitFor(t, 20*time.Second, "the collection", func() bool { return !blobs.Has(orphan) })
		waitFor(t, 20*time.Second, "both jobs completed", func() bool {
			list, err := q.List(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			done := 0
			for _, j := range list {
				if j.State == "completed" && (j.Kind == jobs.KindTransfer && j.Trigger == jobs.TriggerImport || j.Kind == jobs.KindCollect) {
					done++
				}
				if j.Kind == jobs.KindTransfer && j.State == "completed" && j.Output == "" {
					t.Errorf("no summary recorded: %+v", j)
				}
			}
			if done != 2 && time.Since(start) > 15*time.Second {
				t.Logf("jobs: %+v", list)
			}
			return done == 2
		})
	})
}

// TestDailySweepOncePerDay: two queues (two servers) enqueue the sweep of
// the same day: one job.
func TestDailySweepOncePerDay(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		q1 := openQueue(t, jobs.Config{Store: st})
		q2 := openQueue(t, jobs.Config{Store: st})
		day := time.Date(2025, 10, 6, 2, 0, 0, 0, time.Local)
		id1, err := q1.EnqueueSweep(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		id2, err := q2.EnqueueSweep(ctx, day.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if id1 != id2 {
			t.Errorf("the same day's sweep was enqueued twice: jobs %d and %d", id1, id2)
		}
		id3, err := q1.EnqueueSweep(ctx, day.AddDate(0, 0, 1))
		if err != nil || id3 == id1 {
			t.Errorf("next day's sweep: %d, %v", id3, err)
		}
		p1, _ := q1.EnqueueWeeklyPurge(ctx, day)
		p2, _ := q2.EnqueueWeeklyPurge(ctx, day.AddDate(0, 0, 2))
		if p1 != p2 || p1 == 0 {
			t.Errorf("weekly purge enqueued twice in a week: %d, %d", p1, p2)
		}
		// On-demand runs are never merged.
		a, _ := q1.EnqueueTransfer(ctx, jobs.TriggerOperator, nil)
		b, _ := q1.EnqueueTransfer(ctx, jobs.TriggerOperator, nil)
		if a == b {
			t.Error("two on-demand runs merged")
		}
	})
}

// TestRescuedAfterCrash: a server process dies in the middle of a transfer
// job; another one rescues the job and completes the transfer.
func TestRescuedAfterCrash(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			clock := &storetest.Clock{T: storetest.Epoch}
			dsn := storetest.DSN(t, kind)
			st, err := store.Open(ctx, dsn, store.Options{Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() }) // after the queue's own cleanup
			blobs, err := blob.Open(t.TempDir(), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { blobs.Close() })
			originID, destID, _ := mover(t, st, blobs)
			url := "sqlite:" + dsn.Path
			if dsn.Kind == store.Postgres {
				url = dsn.URL
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestJobsHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), "SILLAGE_JOBS_HELPER_DSN="+url)
			t0 := time.Now()
			out, err := cmd.CombinedOutput()
			t.Logf("helper died after %v", time.Since(t0))
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
				t.Fatalf("helper did not die mid-transfer: %v\n%s", err, out)
			}
			if transferred(t, st, destID, originID) {
				t.Fatal("the crashed transfer committed")
			}
			q := openQueue(t, jobs.Config{Store: st, Blobs: blobs, JobTimeout: 2 * time.Second, RescueAfter: 3 * time.Second})
			list, _ := q.List(ctx, 10)
			if len(list) != 1 || list[0].State != "running" {
				t.Fatalf("after the crash: %+v, want one job left running", list)
			}
			// The dead process was River's leader: its lease would expire in
			// a few seconds; end it now so the test need not wait for it.
			if _, err := st.SQLDB().ExecContext(ctx, "DELETE FROM river_leader"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second) // the job is now older than RescueAfter
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t1 := time.Now()
			waitFor(t, 30*time.Second, "the rescued transfer", func() bool { return transferred(t, st, destID, originID) })
			t.Logf("rescued and transferred %v after the start", time.Since(t1))
			waitFor(t, 10*time.Second, "the rescued job completed", func() bool {
				list, _ = q.List(ctx, 10)
				for _, j := range list {
					if j.Kind == jobs.KindTransfer && j.State == "completed" && j.Attempt == 2 && len(j.Errors) == 1 {
						return true
					}
				}
				return false
			})
			t.Logf("completed %v after the start", time.Since(t1))
		})
	}
}

// TestJobsHelperProcess is a server whose transfer job dies mid-transaction.
func TestJobsHelperProcess(t *testing.T) {
	url := os.Getenv("SILLAGE_JOBS_HELPER_DSN")
	if url == "" {
		t.Skip("helper process only")
	}
	ctx := context.Background()
	d, _ := store.ParseDSN(url)
	st, err := store.Open(ctx, d, store.Options{Clock: &storetest.Clock{T: storetest.Epoch}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.Open(ctx, jobs.Config{Store: st, PollInterval: 20 * time.Millisecond, Failpoint: func(step string) error {
		if step == "transfer.results" {
			os.Exit(7)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := q.EnqueueTransfer(ctx, jobs.TriggerCLI, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Second)
	t.Fatal("the job never reached the failpoint")
}

// TestHousekeepingPurgesExpiredRolloverPacks: the weekly purge deletes the
// changeover's undo packs past their days (by the store's clock), keeps
// the others, and the collection then removes the files only an expired
// pack kept.
func TestHousekeepingPurgesExpiredRolloverPacks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		blobs, err := blob.Open(t.TempDir(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { blobs.Close() })
		var sums []string
		for _, content := range []string{"%PDF-1.4 fiche purgée", "%PDF-1.4 fiche encore annulable"} {
			ref, err := blobs.Put(bytes.NewReader([]byte(content)))
			if err != nil {
				t.Fatal(err)
			}
			sums = append(sums, ref.SHA256)
		}
		// Two packs of A, each holding a deleted sheet and its file: one
		// made 31 days ago, one 10 days ago (30 days each).
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiA, Name: "Lycée A", Kind: sillage.KindLP}); err != nil {
				return err
			}
			s := sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "Durand", Source: sillage.SourceSIECLE}}
			if err := tx.People().CreateStudent(ctx, uaiA, &s); err != nil {
				return err
			}
			for i, sum := range sums {
				sh := sillage.Sheet{StudentID: s.ID, Kind: sillage.SheetBacPro, Title: "Fiche", Context: sillage.ContextClass}
				if err := tx.Records().CreateSheet(ctx, uaiA, &sh); err != nil {
					return err
				}
				a := sillage.Attachment{SheetID: sh.ID, Name: "f.pdf", SHA256: sum, Size: 10, ContentType: "application/pdf"}
				if err := tx.Records().AddAttachment(ctx, uaiA, &a); err != nil {
					return err
				}
				made := []time.Duration{31 * 24 * time.Hour, 10 * 24 * time.Hour}[i]
				pack, err := tx.Rollover().CreateRolloverPack(ctx, uaiA, 2025, i+1, "op", tx.Now().Add(-made).AddDate(0, 0, 30))
				if err != nil {
					return err
				}
				if _, err := tx.Rollover().AddRolloverPackRows(ctx, uaiA, pack, "sheets", []int64{sh.ID}); err != nil {
					return err
				}
				if err := tx.Records().DeleteSheet(ctx, uaiA, sh.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		q := openQueue(t, jobs.Config{Store: st, Blobs: blobs, CollectGrace: time.Nanosecond})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := q.EnqueueWeeklyPurge(ctx, clock.T); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "the expired pack's file collected", func() bool { return !blobs.Has(sums[0]) })
		if !blobs.Has(sums[1]) {
			t.Fatal("the file of a pack still within its days was collected")
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			packs, err := tx.Rollover().ListRolloverPacks(ctx, uaiA)
			if err != nil {
				return err
			}
			if len(packs) != 1 || packs[0].Step != 2 {
				t.Fatalf("packs left %+v, want step 2's only", packs)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
