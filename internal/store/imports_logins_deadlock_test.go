package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestAllocateLoginsNoDeadlock: two imports allocating logins from the
// same counters at once wait for each other instead of deadlocking, with
// their bases in opposite orders, and with a third allocation creating a
// counter between the two. PostgreSQL detects a deadlock after
// deadlock_timeout (1 s) and aborts one transaction, which the user saw as
// « base de données occupée ». The interleavings are forced: a holder
// transaction keeps a counter locked (or a new counter uncommitted) until
// the allocations under test wait where they must, seen in
// pg_stat_activity. SQLite has one writer: the allocations run one after
// the other there.
func TestAllocateLoginsNoDeadlock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		alloc := func(bases ...string) error {
			return st.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Imports().AllocateLogins(ctx, slices.Clone(bases))
				return err
			})
		}
		if err := alloc("a.known", "b.known"); err != nil { // the counters exist
			t.Fatal(err)
		}
		pg := st.Kind() == store.Postgres
		// spread returns first, 499 new bases starting with prefix,
		// and last: first and last are 500 bases apart, in two
		// statements of the allocation.
		spread := func(first, prefix, last string) []string {
			out := []string{first}
			for i := range 499 {
				out = append(out, fmt.Sprintf("%s.fill%03d", prefix, i))
			}
			return append(out, last)
		}
		async := func(bases ...string) chan error {
			done := make(chan error, 1)
			go func() { done <- alloc(bases...) }()
			return done
		}
		check := func(t *testing.T, what string, errs ...chan error) {
			t.Helper()
			for i, c := range errs {
				if err := <-c; err != nil {
					t.Errorf("%s: import %d refused: %q (deadlock: %v)", what, i+1, sillage.Message(err), store.Retryable(err))
				}
			}
		}

		t.Run("opposite orders", func(t *testing.T) {
			// The holder keeps b.known; the first import asks for
			// b.known (in its first 500 bases) then a.known and waits
			// for b.known; the second asks for a.known then b.known.
			// Once the holder is done, each import holds one counter
			// the other waits for, unless both take them in one order.
			var release func() error
			if pg {
				release = storetest.Hold(t, st, func(tx *store.Tx) error {
					_, err := tx.Imports().LockLoginCounters(ctx, []string{"b.known"})
					return err
				})
			}
			first := async(spread("b.known", "d", "a.known")...)
			storetest.UntilLockWaiters(t, st, 1, first)
			second := async(spread("a.known", "e", "b.known")...)
			storetest.UntilLockWaiters(t, st, 2, second)
			if pg {
				if err := release(); err != nil {
					t.Fatal(err)
				}
			}
			check(t, "opposite orders", first, second)
		})

		t.Run("counter created between", func(t *testing.T) {
			// The holder creates a.block and keeps it uncommitted. The
			// first import needs a.block, a.new and b.known: it waits
			// on a.block. The second creates a.new (in its first 500
			// bases) then needs b.known. Had the first locked b.known
			// before creating its new counters, it would wait for the
			// second's a.new while the second waits for its b.known.
			var release func() error
			if pg {
				release = storetest.Hold(t, st, func(tx *store.Tx) error {
					_, err := tx.Imports().AllocateLogins(ctx, []string{"a.block"})
					return err
				})
			}
			first := async("a.block", "a.new", "b.known")
			storetest.UntilLockWaiters(t, st, 1, first)
			bases := make([]string, 0, 501)
			for i := range 499 {
				bases = append(bases, fmt.Sprintf("a.fill%03d", i))
			}
			bases = append(bases, "a.new", "b.known")
			second := async(bases...)
			storetest.UntilLockWaiters(t, st, 2, second)
			if pg {
				if err := release(); err != nil {
					t.Fatal(err)
				}
			}
			check(t, "counter created between", first, second)
		})
	})
}
