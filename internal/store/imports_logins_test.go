package store_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestRestoreLoginCounters: numbers reserved for an establishment that was
// not written are given back, the counters an allocation created are
// removed, and a counter another allocation moved on since is left alone.
func TestRestoreLoginCounters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		counters := func(bases ...string) map[string]int64 {
			var out map[string]int64
			if err := st.Write(ctx, func(tx *store.Tx) (err error) {
				out, err = tx.Imports().LockLoginCounters(ctx, bases)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		reserve := func(bases ...string) (before, after map[string]int64, logins []string) {
			if err := st.Write(ctx, func(tx *store.Tx) (err error) {
				if before, err = tx.Imports().LockLoginCounters(ctx, bases); err != nil {
					return err
				}
				if logins, err = tx.Imports().AllocateLogins(ctx, slices.Clone(bases)); err != nil {
					return err
				}
				after, err = tx.Imports().LockLoginCounters(ctx, bases)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return before, after, logins
		}
		restore := func(before, after map[string]int64) {
			if err := st.Write(ctx, func(tx *store.Tx) error { return tx.Imports().RestoreLoginCounters(ctx, before, after) }); err != nil {
				t.Fatal(err)
			}
		}
		reserve("lea.martin", "lea.martin")
		start := counters("lea.martin", "paul.roux", "zoe.petit")
		if want := map[string]int64{"lea.martin": 2}; !maps.Equal(start, want) {
			t.Fatalf("counters %v, want %v", start, want)
		}
		before, after, logins := reserve("paul.roux", "lea.martin", "Zoe.Petit", "lea.martin")
		if !slices.Equal(logins, []string{"paul.roux", "lea.martin3", "zoe.petit", "lea.martin4"}) {
			t.Fatalf("logins %v", logins)
		}
		restore(before, after)
		if got := counters("lea.martin", "paul.roux", "zoe.petit"); !maps.Equal(got, start) {
			t.Fatalf("after restoring: %v, want %v", got, start)
		}
		// Another reservation after ours: ours is not given back.
		before, after, _ = reserve("lea.martin", "paul.roux")
		_, _, _ = reserve("lea.martin")
		restore(before, after)
		if got, want := counters("lea.martin", "paul.roux"), map[string]int64{"lea.martin": 4}; !maps.Equal(got, want) {
			t.Fatalf("after a later reservation: %v, want %v", got, want)
		}
		if got := counters("lea.martin", "paul.roux", "zoe.petit"); got["paul.roux"] != 0 {
			t.Fatalf("a counter created by the restored reservation is still there: %v", got)
		}
	})
}
