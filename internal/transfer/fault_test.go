package transfer_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

var errInjected = errors.New("panne simulée")

// faultScenario builds two movers (Léa A → B, Tom A → C) and, for the
// purge, two students of D who left seven months ago.
func faultScenario(t *testing.T, st *store.Store, clock *storetest.Clock) *world {
	clock.T = storetest.Epoch
	w := newWorld(t, st, clock)
	oldLeft := w.student(uaiD, "Ines", "Leroy", "v1:INES", diplomaMELEC)
	oldLeft2 := w.student(uaiD, "Paul", "Girard", "", diplomaMELEC)
	w.deactivate(uaiD, oldLeft)
	w.deactivate(uaiD, oldLeft2)
	clock.T = storetest.Epoch.AddDate(0, 7, 0)
	lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
	tom := w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC)
	stay := w.student(uaiA, "Zoé", "Petit", "v1:ZOE", diplomaMELEC)
	w.record(uaiA, lea, stay)
	w.record(uaiA, tom, stay)
	w.deactivate(uaiA, lea)
	w.deactivate(uaiA, tom)
	w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
	w.arrival(uaiC, "Tom", "Martin", "v1:TOM", diplomaMELEC)
	return w
}

// once returns a failpoint that fails the first time step is reached.
func once(step string) func(string) error {
	var mu sync.Mutex
	fired := false
	return func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		if s == step && !fired {
			fired = true
			return errInjected
		}
		return nil
	}
}

// TestFaultInjection fails each step of a transfer and of a purge once,
// runs again without failure, and compares the whole instance with a run
// that never failed: nothing lost, nothing duplicated, same counts and
// manifest digests.
func TestFaultInjection(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			clock := &storetest.Clock{}
			ref := faultScenario(t, storetest.Open(t, kind, clock), clock)
			want := ref.run(transfer.Options{})
			if len(want.Transferred) != 2 {
				t.Fatalf("reference run %+v", want)
			}
			if _, err := transfer.Purge(ctx, ref.st, transfer.Options{}); err != nil {
				t.Fatal(err)
			}
			wantState := ref.state()

			type mode struct {
				name  string
				batch int
				steps []string
			}
			modes := []mode{
				{"lot", 0, append(append([]string(nil), transfer.TransferSteps...), transfer.PurgeSteps...)},
				{"unitaire", 1, transfer.TransferSteps},
			}
			for _, m := range modes {
				for _, step := range m.steps {
					t.Run(m.name+"/"+step, func(t *testing.T) {
						clock := &storetest.Clock{}
						w := faultScenario(t, storetest.Open(t, kind, clock), clock)
						o := transfer.Options{Failpoint: once(step), BatchSize: m.batch}
						_, runErr := transfer.Run(ctx, w.st, o)
						_, purgeErr := transfer.Purge(ctx, w.st, o)
						if !errors.Is(runErr, errInjected) && !errors.Is(purgeErr, errInjected) {
							t.Fatalf("the failpoint %s was never reached (run: %v, purge: %v)", step, runErr, purgeErr)
						}
						// The process "restarts": a clean run completes the work.
						rep := w.run(transfer.Options{})
						if _, err := transfer.Purge(ctx, w.st, transfer.Options{}); err != nil {
							t.Fatal(err)
						}
						if got := w.state(); got != wantState {
							t.Fatalf("state after a failure at %s and a new run differs from the reference:\n%s", step, diffLines(wantState, got))
						}
						for _, m := range rep.Transferred {
							for _, r := range want.Transferred {
								if r.OriginStudentID == m.OriginStudentID && (r.Manifest != m.Manifest || r.Counts != m.Counts) {
									t.Errorf("%s: transfer %+v, reference %+v", step, m, r)
								}
							}
						}
					})
				}
			}
		})
	}
}
