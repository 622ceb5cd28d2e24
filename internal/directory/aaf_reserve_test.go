package directory_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestLoginReservationBesideImport: an AAF run's login reservation and an
// establishment's import allocating from the same counters at once wait
// for each other instead of deadlocking. The reservation used to lock the
// counters that exist first, then create the new ones: with an import that
// created a new counter sorting before one the reservation held, each
// waited for the other. The interleaving is forced with a holder
// transaction keeping a new counter uncommitted until the reservation
// waits for it, seen in pg_stat_activity. SQLite has one writer: both run
// one after the other there.
func TestLoginReservationBesideImport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		im := &directory.Importer{Store: st, Keyring: testKeyring}
		directory.SetLoginLockTimeout(im, 5*time.Second)
		alloc := func(bases ...string) error {
			return st.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Imports().AllocateLogins(ctx, slices.Clone(bases))
				return err
			})
		}
		if err := alloc("b.known"); err != nil {
			t.Fatal(err)
		}
		pg := st.Kind() == store.Postgres
		// The holder creates a.block and keeps it uncommitted.
		var release func() error
		if pg {
			release = storetest.Hold(t, st, func(tx *store.Tx) error {
				_, err := tx.Imports().AllocateLogins(ctx, []string{"a.block"})
				return err
			})
		}
		// The reservation needs a.block, a.new and b.known: it waits
		// for a.block.
		reservation := make(chan error, 1)
		var logins []string
		go func() {
			var err error
			logins, err = directory.ReserveLogins(ctx, im, []string{"b.known", "a.new", "a.block"})
			reservation <- err
		}()
		storetest.UntilLockWaiters(t, st, 1, reservation)
		// The import creates a.new, then needs b.known.
		imp := make(chan error, 1)
		go func() { imp <- alloc("a.new", "b.known") }()
		storetest.UntilLockWaiters(t, st, 2, imp)
		if pg {
			if err := release(); err != nil {
				t.Fatal(err)
			}
		}
		for what, c := range map[string]chan error{"AAF login reservation": reservation, "import": imp} {
			if err := <-c; err != nil {
				t.Errorf("%s refused: %q (deadlock: %v)", what, sillage.Message(err), store.Retryable(err))
			}
		}
		if len(logins) != 3 || logins[0] != "b.known2" && logins[0] != "b.known3" {
			t.Errorf("reserved logins %v", logins)
		}
	})
}
