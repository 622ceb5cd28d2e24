package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

const siecleUAI = sillage.UAI("0860012W")

var siecleFile = filepath.Join("..", "directory", "testdata", "siecle_0860012W_1.xml")

func testKeyring(t testing.TB) ident.Keyring {
	kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// importSIECLE imports the SIECLE file of the directory's tests with the
// queue's hook; failpoint fails (or kills) the import at a step.
func importSIECLE(ctx context.Context, t testing.TB, st *store.Store, q *jobs.Queue, failpoint func(string) error) (*directory.Report, error) {
	data, err := os.ReadFile(siecleFile)
	if err != nil {
		t.Fatal(err)
	}
	im := &directory.Importer{Store: st, Keyring: testKeyring(t), QueueTransfer: q.ImportHook(), Failpoint: failpoint}
	return im.SIECLE(ctx, bytes.NewReader(data), directory.Options{UAI: siecleUAI, FileName: "siecle.xml"})
}

func createSIECLEEstablishment(t testing.TB, st *store.Store) {
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: siecleUAI, Name: "Lycée de test", Kind: sillage.KindLP})
	}); err != nil {
		t.Fatal(err)
	}
}

// state is what a trial left: applied import reports, and transfer jobs
// queued by an import.
type state struct {
	reports, jobs int
}

func stateOf(t *testing.T, st *store.Store, q *jobs.Queue) state {
	t.Helper()
	ctx := context.Background()
	var s state
	if err := st.Read(ctx, func(tx *store.Tx) error {
		rs, err := tx.Imports().ListImportReports(ctx, siecleUAI)
		s.reports = len(rs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	list, err := q.List(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range list {
		if j.Kind == jobs.KindTransfer && j.Trigger == jobs.TriggerImport {
			s.jobs++
		}
	}
	return s
}

var errFault = errors.New("panne injectée")

// TestTransferQueuedInImportTransaction: the transfer run that follows an
// import is queued in the import's transaction. A failure at any step of
// the transaction (the last one just before the commit) leaves neither
// the import nor a job; a failure right after the commit (the process
// goes on to crash before doing anything else) still leaves the job.
func TestTransferQueuedInImportTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		createSIECLEEstablishment(t, st)
		q := openQueue(t, jobs.Config{Store: st})
		for _, step := range []string{"start", "report", "commit"} {
			_, err := importSIECLE(ctx, t, st, q, func(s string) error {
				if s == step {
					return errFault
				}
				return nil
			})
			if !errors.Is(err, errFault) {
				t.Fatalf("fault at %s: %v", step, err)
			}
			if s := stateOf(t, st, q); s.reports != 0 || s.jobs != 0 {
				t.Fatalf("fault at %s: %+v left behind, want nothing", step, s)
			}
		}
		rep, err := importSIECLE(ctx, t, st, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.TouchesTransfer() || !rep.TransferQueued {
			t.Fatalf("report: touches %v queued %v", rep.TouchesTransfer(), rep.TransferQueued)
		}
		if s := stateOf(t, st, q); s.reports != 1 || s.jobs != 1 {
			t.Fatalf("after the import: %+v, want 1 report and 1 job", s)
		}
		// The same file again changes nothing: no transfer to run.
		if _, err := importSIECLE(ctx, t, st, q, nil); err != nil {
			t.Fatal(err)
		}
		if s := stateOf(t, st, q); s.reports != 2 || s.jobs != 1 {
			t.Fatalf("after an import creating nobody: %+v, want 2 reports and still 1 job", s)
		}
	})
}

// TestImportKilledAroundCommit kills an importing process (SIGKILL) either
// inside the import's transaction, after the job is queued, or right
// after the commit, before it prints its report: the import and its
// transfer job are there together or not at all.
func TestImportKilledAroundCommit(t *testing.T) {
	const trials = 5
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			for _, at := range []string{"commit", "after"} {
				for i := 0; i < trials; i++ {
					dsn := storetest.DSN(t, kind)
					st, err := store.Open(context.Background(), dsn, store.Options{Clock: &storetest.Clock{T: storetest.Epoch}})
					if err != nil {
						t.Fatal(err)
					}
					createSIECLEEstablishment(t, st)
					url := "sqlite:" + dsn.Path
					if dsn.Kind == store.Postgres {
						url = dsn.URL
					}
					cmd := exec.Command(os.Args[0], "-test.run=^TestImportKillHelper$", "-test.count=1")
					cmd.Env = append(os.Environ(), "SILLAGE_JOBS_KILL_DSN="+url, "SILLAGE_JOBS_KILL_AT="+at)
					out, err := cmd.CombinedOutput()
					var ee *exec.ExitError
					if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
						t.Fatalf("helper not killed at %s: %v\n%s", at, err, out)
					}
					q := openQueue(t, jobs.Config{Store: st})
					want := state{reports: 1, jobs: 1}
					if at == "commit" {
						want = state{}
					}
					if s := stateOf(t, st, q); s.reports != want.reports || s.jobs != want.jobs {
						t.Errorf("killed at %s (trial %d): %+v, want %+v", at, i+1, s, want)
					}
					q.Close()
					st.Close()
				}
			}
			t.Logf("%d kills inside the transaction, %d right after the commit", trials, trials)
		})
	}
}

// TestImportKillHelper is an importing process killed at a point.
func TestImportKillHelper(t *testing.T) {
	url := os.Getenv("SILLAGE_JOBS_KILL_DSN")
	if url == "" {
		t.Skip("helper process only")
	}
	at := os.Getenv("SILLAGE_JOBS_KILL_AT")
	ctx := context.Background()
	d, _ := store.ParseDSN(url)
	st, err := store.Open(ctx, d, store.Options{Clock: &storetest.Clock{T: storetest.Epoch}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.Open(ctx, jobs.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	kill := func() {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	}
	_, err = importSIECLE(ctx, t, st, q, func(step string) error {
		if step == at {
			kill()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if at == "after" {
		kill()
	}
	t.Fatalf("not killed at %s", at)
}

// TestEnqueueWaitsForABusyWriter: another process holds SQLite's write
// lock longer than the busy timeout: `jobs enqueue` waits with back-off
// and queues its job once the lock is released.
func TestEnqueueWaitsForABusyWriter(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, store.SQLite)
	open := func() *store.Store {
		st, err := store.Open(ctx, dsn, store.Options{Clock: &storetest.Clock{T: storetest.Epoch}, BusyTimeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	other, st := open(), open()
	q := openQueue(t, jobs.Config{Store: st})
	for _, hold := range []time.Duration{300 * time.Millisecond, 1500 * time.Millisecond} {
		locked, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			other.Write(ctx, func(tx *store.Tx) error {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiN(int(hold / time.Millisecond)), Name: "Verrou", Kind: sillage.KindLP}); err != nil {
					return err
				}
				close(locked)
				time.Sleep(hold)
				return nil
			})
		}()
		<-locked
		start := time.Now()
		id, err := q.EnqueueTransfer(ctx, jobs.TriggerCLI, nil)
		if err != nil || id == 0 {
			t.Fatalf("enqueue behind a lock held %v: %d %v", hold, id, err)
		}
		t.Logf("lock held %v: the enqueue waited %v", hold, time.Since(start).Round(10*time.Millisecond))
		<-done
	}
}

func collectJobs(t *testing.T, q *jobs.Queue) int {
	t.Helper()
	list, err := q.List(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range list {
		if j.Kind == jobs.KindCollect {
			n++
		}
	}
	return n
}

// TestCollectionQueuedWithTransferAndPurge: the collection of the files a
// transfer or a purge leaves behind is queued in the transaction that
// moved or deleted the students: a failure before the commit leaves no
// job (and no change), a failure right after it leaves the job.
func TestCollectionQueuedWithTransferAndPurge(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		blobs, err := blob.Open(t.TempDir(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { blobs.Close() })
		originID, destID, _ := mover(t, st, blobs)
		q := openQueue(t, jobs.Config{Store: st})
		hook := func(ctx context.Context, tx *store.Tx) error {
			_, err := q.EnqueueCollectTx(ctx, tx, "after")
			return err
		}
		failAt := func(step string) func(string) error {
			return func(s string) error {
				if s == step {
					return errFault
				}
				return nil
			}
		}
		for _, step := range []string{transfer.StepStatus, transfer.StepLog, transfer.StepAudit} {
			transfer.Run(ctx, st, transfer.Options{BatchSize: 1, Failpoint: failAt(step), AfterChangeTx: hook})
			if n := collectJobs(t, q); n != 0 || transferred(t, st, destID, originID) {
				t.Fatalf("transfer failed at %s: %d collection job(s), transferred %v", step, n, transferred(t, st, destID, originID))
			}
		}
		if _, err := transfer.Run(ctx, st, transfer.Options{BatchSize: 1, Failpoint: failAt(transfer.StepCommitted), AfterChangeTx: hook}); err == nil {
			t.Fatal("the failure after the commit was not reported")
		}
		if n := collectJobs(t, q); n != 1 || !transferred(t, st, destID, originID) {
			t.Fatalf("transfer failed right after its commit: %d collection job(s), transferred %v", n, transferred(t, st, destID, originID))
		}
		// The purge of a student who left eight months ago.
		if err := st.Write(ctx, func(tx *store.Tx) error {
			s := sillage.Student{Person: sillage.Person{FirstName: "Paul", LastName: "Parti", Source: sillage.SourceSIECLE}, Unqid: "v1:PAUL", Diploma: "24732205"}
			if err := tx.People().CreateStudent(ctx, uaiA, &s); err != nil {
				return err
			}
			return tx.People().SetPersonActive(ctx, uaiA, s.ID, false)
		}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(8 * 31 * 24 * time.Hour)
		if _, err := q.EnqueueCollect(ctx, "test"); err != nil { // within ten minutes: merged with the first
			t.Fatal(err)
		}
		if _, err := st.SQLDB().ExecContext(ctx, "DELETE FROM river_job WHERE kind = 'blob_collect'"); err != nil {
			t.Fatal(err)
		}
		for _, step := range []string{transfer.StepPurgeDelete, transfer.StepPurgeAudit} {
			rep, _ := transfer.Purge(ctx, st, transfer.Options{Failpoint: failAt(step), AfterChangeTx: hook})
			if n := collectJobs(t, q); n != 0 || rep != nil && rep.Students != 0 {
				t.Fatalf("purge failed at %s: %d collection job(s), report %+v", step, n, rep)
			}
		}
		if _, err := transfer.Purge(ctx, st, transfer.Options{Failpoint: failAt(transfer.StepPurgeCommitted), AfterChangeTx: hook}); err == nil {
			t.Fatal("the failure after the purge's commit was not reported")
		}
		if n := collectJobs(t, q); n != 1 {
			t.Fatalf("purge failed right after its commit: %d collection job(s)", n)
		}
		if rep, err := transfer.Purge(ctx, st, transfer.Options{AfterChangeTx: hook}); err != nil || rep.Students != 0 {
			t.Fatalf("purge again: %+v %v, want nothing left", rep, err)
		}
	})
}

// TestTransferRunsCoalesce: an AAF import queues one transfer run per
// establishment; a run that starts while a later one waits leaves the work
// to it.
func TestTransferRunsCoalesce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		q := openQueue(t, jobs.Config{Store: st, Workers: 1})
		var ids []int64
		if err := st.Write(ctx, func(tx *store.Tx) error {
			for _, u := range []sillage.UAI{uaiA, uaiB, uaiN(3)} {
				id, err := q.EnqueueTransferTx(ctx, tx, jobs.TriggerImport, []sillage.UAI{u})
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		// Only the three runs count: the queue's own periodic jobs (the
		// hourly expiry runs at start) complete beside them.
		out := map[int64]string{}
		waitFor(t, 30*time.Second, "the three runs", func() bool {
			list, err := q.List(ctx, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range list {
				if j.State == "completed" && slices.Contains(ids, j.ID) {
					out[j.ID] = j.Output
				}
			}
			return len(out) == len(ids)
		})
		for i, id := range ids {
			coalesced := strings.HasPrefix(out[id], "regroupée avec la tâche n° ")
			if last := i == len(ids)-1; coalesced == last {
				t.Errorf("job %d (%d of %d): output %q", id, i+1, len(ids), out[id])
			}
		}
	})
}
