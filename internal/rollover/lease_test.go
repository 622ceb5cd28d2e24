package rollover_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// syncClock is a clock a test moves while a run's heartbeat reads it.
type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *syncClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var leaseUAI = sillage.UAI("0860012W")

// leaseStore opens a store of kind at a summer instant with one empty
// establishment: step 1 runs at once on it.
func leaseStore(t *testing.T, dsn store.DSN, clock sillage.Clock, create bool) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if create {
		ctx := context.Background()
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: leaseUAI, Name: "Lycée", Kind: sillage.KindLP})
		}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func leaseEngine(t *testing.T, st *store.Store, owner string) *rollover.Engine {
	t.Helper()
	blobs, err := blob.Open(filepath.Join(t.TempDir(), "files"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	return &rollover.Engine{Store: st, Blobs: blobs, Owner: owner}
}

func stepOf(t *testing.T, st *store.Store, step int) sillage.RolloverStep {
	t.Helper()
	var s sillage.RolloverStep
	if err := st.Read(context.Background(), func(tx *store.Tx) (err error) {
		s, err = tx.Rollover().GetRolloverStep(context.Background(), leaseUAI, N, step)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHeartbeatKeepsALiveRun: a run blocked for longer than its lease
// keeps its step, because its heartbeat renews the lease; another process
// is refused with the holder's name and last sign of life.
func TestHeartbeatKeepsALiveRun(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			clock := &syncClock{t: at(N, time.July, 15, 8)}
			st := leaseStore(t, storetest.DSN(t, kind), clock, true)
			a := leaseEngine(t, st, "processus A")
			a.Lease = 300 * time.Millisecond
			reached, release := make(chan struct{}), make(chan struct{})
			a.Failpoint = func(p string) error {
				if p == "step1.finish" {
					close(reached)
					<-release
				}
				return nil
			}
			done := make(chan rollover.Outcome)
			go func() {
				done <- a.RunOne(context.Background(), rollover.Request{Year: N, Step: rollover.StepPurge}, leaseUAI)
			}()
			<-reached
			claimed := stepOf(t, st, 1)
			clock.Advance(time.Second) // the claim's lease has expired
			deadline := time.Now().Add(5 * time.Second)
			for !stepOf(t, st, 1).LeaseUntil.After(clock.Now()) {
				if time.Now().After(deadline) {
					t.Fatal("the heartbeat never renewed the lease")
				}
				time.Sleep(20 * time.Millisecond)
			}
			s := stepOf(t, st, 1)
			if s.Stuck(clock.Now()) || !s.HeartbeatAt.After(claimed.HeartbeatAt) || s.LeaseOwner != "processus A" {
				t.Fatalf("renewed step: %+v (claimed %+v)", s, claimed)
			}
			b := leaseEngine(t, st, "processus B")
			o := b.RunOne(context.Background(), rollover.Request{Year: N, Step: rollover.StepPurge}, leaseUAI)
			if o.Status != rollover.OutcomeRefused || !strings.Contains(o.Message, "processus A") || !strings.Contains(o.Message, "dernier signe de vie") {
				t.Fatalf("second process: %+v", o)
			}
			close(release)
			if o := <-done; o.Status != rollover.OutcomeDone {
				t.Fatalf("live run: %+v", o)
			}
		})
	}
}

// recorder is an Inserter that keeps the jobs it is given.
type recorder struct {
	args []rollover.JobArgs
	err  error
}

func (r *recorder) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	if r.err != nil {
		return 0, r.err
	}
	r.args = append(r.args, args.(rollover.JobArgs))
	return int64(len(r.args)), nil
}

// TestStuckStepRelaunched: a step is queued with its job or not at all;
// the step of a process that died (its lease is
// never renewed) is "running" for 30 seconds, then stuck: enqueue says
// so and since when, and the operator's relaunch queues it again, in one
// transaction with its job (a job that cannot be queued leaves the step
// as it was). The relaunched job is not merged with the dead one.
func TestStuckStepRelaunched(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		clock.T = at(N, time.July, 15, 8)
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: leaseUAI, Name: "Lycée", Kind: sillage.KindLP})
		}); err != nil {
			t.Fatal(err)
		}
		// Enqueue only: the worker never runs here.
		q, err := jobs.Open(ctx, jobs.Config{Store: st, Extensions: []jobs.Extension{rollover.Jobs(nil)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(q.Close)
		// A job that cannot be queued: the step is not "queued" either.
		if _, _, err := rollover.Enqueue(ctx, st, &recorder{err: errors.New("file indisponible")}, N, rollover.StepPurge, nil, "operateur",
			rollover.Confirmations{}); err == nil {
			t.Fatal("enqueue without its job succeeded")
		}
		if err := st.Read(ctx, func(tx *store.Tx) error {
			_, err := tx.Rollover().GetRolloverStep(ctx, leaseUAI, N, 1)
			return err
		}); sillage.KindOf(err) != sillage.KindNotFound {
			t.Fatalf("step recorded without its job: %v", err)
		}
		queued, _, err := rollover.Enqueue(ctx, st, q, N, rollover.StepPurge, nil, "operateur", rollover.Confirmations{})
		if err != nil || len(queued) != 1 {
			t.Fatalf("enqueue: %v %v", queued, err)
		}
		died := clock.T
		// A worker takes the step, then its process dies.
		if err := st.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Rollover().UpdateRolloverStepClaim(ctx, leaseUAI, N, 1, tx.Now().Add(rollover.DefaultLease), "operateur", "serveur-1, processus 999")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		clock.Advance(rollover.DefaultLease - time.Second)
		if err := rollover.Relaunch(ctx, st, rec, N, rollover.StepPurge, leaseUAI, "operateur"); sillage.KindOf(err) != sillage.KindConflict {
			t.Fatalf("relaunch of a live step: %v", err)
		}
		sk, err := rollover.Skipped(ctx, st, N, rollover.StepPurge)
		if err != nil || len(sk) != 1 || sk[0].Stuck || !strings.Contains(sk[0].Why, "en cours") {
			t.Fatalf("skipped while alive: %+v %v", sk, err)
		}
		clock.Advance(2 * time.Second)
		sk, err = rollover.Skipped(ctx, st, N, rollover.StepPurge)
		want := "bloquée depuis " + sillage.FormatDateTime(died)
		if err != nil || len(sk) != 1 || !sk[0].Stuck || !sk[0].Since.Equal(died) || !strings.Contains(sk[0].Why, want) ||
			!strings.Contains(sk[0].Why, "serveur-1, processus 999") {
			t.Fatalf("skipped once stuck: %+v %v, want %q", sk, err, want)
		}
		// A job that cannot be queued: nothing changes.
		if err := rollover.Relaunch(ctx, st, &recorder{err: errors.New("file indisponible")}, N, rollover.StepPurge, leaseUAI, "operateur"); err == nil {
			t.Fatal("relaunch without its job succeeded")
		}
		if s := stepOf(t, st, 1); s.State != sillage.StepRunning || !s.Stuck(clock.Now()) {
			t.Fatalf("after a failed relaunch: %+v", s)
		}
		if err := rollover.Relaunch(ctx, st, q, N, rollover.StepPurge, leaseUAI, "operateur"); err != nil {
			t.Fatal(err)
		}
		if s := stepOf(t, st, 1); s.State != sillage.StepQueued || s.Stuck(clock.Now()) || s.LeaseOwner != "" {
			t.Fatalf("after the relaunch: %+v", s)
		}
		list, err := q.List(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range list {
			if j.Kind == rollover.JobKind && j.State == "available" {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("%d step jobs waiting, want 2 (the dead one until River rescues it, and the relaunch): %+v", n, list)
		}
		// The relaunch is in the journal.
		var found bool
		st.Read(ctx, func(tx *store.Tx) error {
			es, err := tx.Audit().ListAudit(ctx, leaseUAI, sillage.AuditFilter{})
			for _, e := range es {
				found = found || strings.Contains(e.Target, "relancée")
			}
			return err
		})
		if !found {
			t.Error("relaunch not in the audit journal")
		}
	})
}

// TestStepKilledIsTakenOverAfterLease kills (SIGKILL) a process in the
// middle of step 1: the step is "running" under its lease, refused to
// another process for 30 seconds, then stuck, and taken over at once.
func TestStepKilledIsTakenOverAfterLease(t *testing.T) {
	const trials = 3
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			for i := 0; i < trials; i++ {
				start := at(N, time.July, 15, 8)
				clock := &syncClock{t: start}
				dsn := storetest.DSN(t, kind)
				st := leaseStore(t, dsn, clock, true)
				url := "sqlite:" + dsn.Path
				if dsn.Kind == store.Postgres {
					url = dsn.URL
				}
				cmd := exec.Command(os.Args[0], "-test.run=^TestStepKillHelper$", "-test.count=1")
				cmd.Env = append(os.Environ(), "SILLAGE_ROLLOVER_KILL_DSN="+url, "SILLAGE_ROLLOVER_KILL_AT="+strconv.FormatInt(start.Unix(), 10))
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("helper not killed: %v\n%s", err, out)
				}
				s := stepOf(t, st, 1)
				if s.State != sillage.StepRunning || !strings.Contains(s.LeaseOwner, fmt.Sprintf("processus %d", cmd.Process.Pid)) || s.Stuck(clock.Now()) {
					t.Fatalf("after the kill: %+v", s)
				}
				e := leaseEngine(t, st, "")
				if o := e.RunOne(context.Background(), rollover.Request{Year: N, Step: rollover.StepPurge}, leaseUAI); o.Status != rollover.OutcomeRefused {
					t.Fatalf("during the lease: %+v", o)
				}
				clock.Advance(rollover.DefaultLease + time.Second)
				if s := stepOf(t, st, 1); !s.Stuck(clock.Now()) || !s.StuckSince().Equal(start) {
					t.Fatalf("after the lease: %+v", s)
				}
				if o := e.RunOne(context.Background(), rollover.Request{Year: N, Step: rollover.StepPurge}, leaseUAI); o.Status != rollover.OutcomeDone {
					t.Fatalf("taken over: %+v", o)
				}
				if s := stepOf(t, st, 1); s.State != sillage.StepDone || s.Attempts != 2 {
					t.Fatalf("finished: %+v", s)
				}
			}
			t.Logf("%d kills in step 1: each step refused during its 30-second lease, then stuck and taken over", trials)
		})
	}
}

// TestStepKillHelper runs step 1 and dies at its last checkpoint.
func TestStepKillHelper(t *testing.T) {
	url := os.Getenv("SILLAGE_ROLLOVER_KILL_DSN")
	if url == "" {
		t.Skip("helper process only")
	}
	sec, _ := strconv.ParseInt(os.Getenv("SILLAGE_ROLLOVER_KILL_AT"), 10, 64)
	d, _ := store.ParseDSN(url)
	st := leaseStore(t, d, &syncClock{t: time.Unix(sec, 0).UTC()}, false)
	e := leaseEngine(t, st, "")
	e.Failpoint = func(p string) error {
		if p == "step1.finish" {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		}
		return nil
	}
	o := e.RunOne(context.Background(), rollover.Request{Year: N, Step: rollover.StepPurge}, leaseUAI)
	t.Fatalf("not killed: %+v", o)
}
