package rollover_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestStepJobs: the operator's button enqueues one durable job per
// establishment; the queue's workers run them; a job for a step out of
// order is refused and shows as failed with the reason.
func TestStepJobs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		w := newWorld(t, st, clock, 2, 40)
		clock.T = at(N, time.July, 15, 8)
		q, err := jobs.Open(ctx, jobs.Config{Store: st, PollInterval: 50 * time.Millisecond, Extensions: []jobs.Extension{rollover.Jobs(w.e)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(q.Close)
		queued, refused, err := rollover.Enqueue(ctx, st, q, N, rollover.StepPurge, nil, "operateur", rollover.Confirmations{})
		if err != nil || len(queued) != 2 || len(refused) != 0 {
			t.Fatalf("enqueue: %v %v %v", queued, refused, err)
		}
		// Enqueued again while waiting: nothing more.
		if again, _, err := rollover.Enqueue(ctx, st, q, N, rollover.StepPurge, nil, "operateur", rollover.Confirmations{}); err != nil || len(again) != 0 {
			t.Fatalf("second enqueue: %v %v", again, err)
		}
		// Step 3 asked for one establishment before step 2: refused at once.
		if _, refused, _ := rollover.Enqueue(ctx, st, q, N, rollover.StepCleanup, w.uais[:1], "operateur", rollover.Confirmations{}); len(refused) != 1 {
			t.Fatalf("step 3 before step 2: %v", refused)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			done := 0
			w.read(func(tx *store.Tx) error {
				steps, err := tx.Rollover().ListRolloverSteps(ctx, N)
				for _, s := range steps {
					if s.Step == 1 && s.State == sillage.StepDone {
						done++
					}
				}
				return err
			})
			if done == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the step jobs did not finish")
			}
			time.Sleep(50 * time.Millisecond)
		}
		list, err := q.List(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range list {
			if j.Kind == rollover.JobKind {
				n++
				if j.KindLabel() != "Changement d'année (étape d'un établissement)" {
					t.Fatalf("job label %q", j.KindLabel())
				}
			}
		}
		if n != 2 {
			t.Fatalf("%d step jobs", n)
		}
	})
}

// TestStepJobRefusesStalePreview: the preview confirmed, the jobs queued,
// then an establishment's trash changes before its job starts: that job
// refuses to start (the step shows failed with the reason), the other runs.
func TestStepJobRefusesStalePreview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		w := newWorld(t, st, clock, 2, 20)
		clock.T = at(N, time.July, 15, 8)
		q, err := jobs.Open(ctx, jobs.Config{Store: st, PollInterval: 50 * time.Millisecond, Extensions: []jobs.Extension{rollover.Jobs(w.e)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(q.Close)
		p, err := w.e.Guard(ctx, N, rollover.StepPurge, nil, rollover.Guards{Preview: previewOf(t, w).Digest})
		if err != nil {
			t.Fatal(err)
		}
		queued, _, err := rollover.Enqueue(ctx, st, q, N, rollover.StepPurge, nil, "operateur", rollover.Confirmations{Previews: p.Digests()})
		if err != nil || len(queued) != 2 {
			t.Fatalf("enqueue: %v %v", queued, err)
		}
		clock.T = clock.T.Add(-time.Minute) // trashed before the step starts: it would be purged
		w.trashUniqueDoc(w.uais[0])
		clock.T = at(N, time.July, 15, 8)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var states []sillage.RolloverStep
			w.read(func(tx *store.Tx) (err error) { states, err = tx.Rollover().ListRolloverSteps(ctx, N); return err })
			by := map[string]sillage.RolloverStep{}
			for _, s := range states {
				by[string(s.UAI)] = s
			}
			a, b := by[string(w.uais[0])], by[string(w.uais[1])]
			if a.State == sillage.StepFailed && b.State == sillage.StepDone {
				if !strings.Contains(a.Error, "ont changé depuis l'aperçu") {
					t.Fatalf("stale job's error %q", a.Error)
				}
				break
			}
			if a.State == sillage.StepDone {
				t.Fatal("the job ran on a stale preview")
			}
			if time.Now().After(deadline) {
				t.Fatalf("states %+v %+v", a, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func previewOf(t *testing.T, w *world) *rollover.Preview {
	t.Helper()
	p, err := w.e.Preview(w.ctx, N, rollover.StepPurge, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
