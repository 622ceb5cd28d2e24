package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestAllocateLogins: the base first, then numbers; counted from the
// accounts the first time, from the counter afterwards; a login taken by
// an account created elsewhere (an administrator's) is skipped.
func TestAllocateLogins(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		alloc := func(bases ...string) []string {
			var out []string
			err := st.Write(ctx, func(tx *store.Tx) error {
				logins, err := tx.Imports().AllocateLogins(ctx, bases)
				if err != nil {
					return err
				}
				accs := make([]*sillage.Account, len(logins))
				for i, l := range logins {
					accs[i] = &sillage.Account{Login: l}
				}
				out = logins
				return tx.Imports().InsertAccounts(ctx, accs)
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		create := func(login string) {
			if err := st.Write(ctx, func(tx *store.Tx) error { return tx.Accounts().CreateAccount(ctx, &sillage.Account{Login: login}) }); err != nil {
				t.Fatal(err)
			}
		}
		create("lea.martin")
		create("lea.martin7")
		create("lea.martinez")
		if got := alloc("lea.martin", "paul.roux", "lea.martin", "paul.roux"); !slices.Equal(got, []string{"lea.martin8", "paul.roux", "lea.martin9", "paul.roux2"}) {
			t.Errorf("first allocation = %v", got)
		}
		create("paul.roux3") // outside the counters
		if got := alloc("paul.roux", "lea.martin"); !slices.Equal(got, []string{"paul.roux4", "lea.martin10"}) {
			t.Errorf("second allocation = %v", got)
		}
	})
}
