package store_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/sillage/sillage"
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
		// reserve is an AAF login reservation: the counters before and
		// after come from ReserveLogins, checked against reads of them.
		reserve := func(bases ...string) (before, after map[string]int64, logins []string) {
			if err := st.Write(ctx, func(tx *store.Tx) (err error) {
				read, err := tx.Imports().LockLoginCounters(ctx, bases)
				if err != nil {
					return err
				}
				if logins, before, after, err = tx.Imports().ReserveLogins(ctx, slices.Clone(bases)); err != nil {
					return err
				}
				if !maps.Equal(before, read) {
					t.Errorf("ReserveLogins: counters before %v, read %v", before, read)
				}
				if read, err = tx.Imports().LockLoginCounters(ctx, bases); err != nil {
					return err
				}
				if !maps.Equal(after, read) {
					t.Errorf("ReserveLogins: counters after %v, read %v", after, read)
				}
				return nil
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
		// Accounts the counters did not see: a new base whose counter
		// starts past them, a known base whose next number is taken.
		for _, login := range []string{"jean.dupont", "jean.dupont2", "lea.martin5"} {
			if err := st.Write(ctx, func(tx *store.Tx) error { return tx.Accounts().CreateAccount(ctx, &sillage.Account{Login: login}) }); err != nil {
				t.Fatal(err)
			}
		}
		before, after, logins = reserve("jean.dupont", "lea.martin")
		if !slices.Equal(logins, []string{"jean.dupont3", "lea.martin6"}) {
			t.Fatalf("logins past the accounts %v", logins)
		}
		if want := map[string]int64{"jean.dupont": 3, "lea.martin": 6}; !maps.Equal(after, want) {
			t.Fatalf("counters after %v, want %v", after, want)
		}
		restore(before, after)
		if got, want := counters("jean.dupont", "lea.martin"), map[string]int64{"lea.martin": 4}; !maps.Equal(got, want) {
			t.Fatalf("after restoring past the accounts: %v, want %v", got, want)
		}
	})
}

// TestAllocateLoginsKnownBases: the bases whose counters exist cost one
// statement per 500 (their update), not a read of the counters and then
// their update; the logins continue the numbering, a base that is new
// beside them starts at its bare form.
func TestAllocateLoginsKnownBases(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		bases := make([]string, 600) // two chunks of counters
		for i := range bases {
			bases[i] = "eleve" + strconv.Itoa(i) + ".nom"
		}
		alloc := func(bases []string) ([]string, int) {
			var logins []string
			var issued int
			err := st.Write(ctx, func(tx *store.Tx) error {
				var err error
				if logins, err = tx.Imports().AllocateLogins(ctx, slices.Clone(bases)); err != nil {
					return err
				}
				issued = tx.Issued()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return logins, issued
		}
		if got, _ := alloc(bases); got[0] != "eleve0.nom" || got[599] != "eleve599.nom" {
			t.Fatalf("first allocation: %v … %v", got[0], got[599])
		}
		// Every counter known: per chunk, the update and the check of
		// the logins against the accounts.
		got, issued := alloc(bases)
		if got[0] != "eleve0.nom2" || got[599] != "eleve599.nom2" {
			t.Errorf("second allocation: %v … %v", got[0], got[599])
		}
		if issued != 4 {
			t.Errorf("%d statements for 600 known bases, want 4", issued)
		}
		// Known and new bases in one chunk.
		got, _ = alloc([]string{"eleve1.nom", "nouveau.nom", "eleve1.nom"})
		if !slices.Equal(got, []string{"eleve1.nom3", "nouveau.nom", "eleve1.nom4"}) {
			t.Errorf("mixed allocation: %v", got)
		}
	})
}

// TestLoginCountersRoom: on PostgreSQL login_counters leaves room in its
// pages (migration 0037), so that moving a counter on is a heap-only
// update that does not touch the primary key's index.
func TestLoginCountersRoom(t *testing.T) {
	for _, k := range storetest.Engines(t) {
		if k != store.Postgres {
			continue
		}
		st := storetest.Open(t, k, &storetest.Clock{T: storetest.Epoch})
		var opts string
		err := st.SQLDB().QueryRowContext(context.Background(), `SELECT COALESCE(array_to_string(reloptions, ','), '') FROM pg_class
			WHERE relname = 'login_counters' AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`).Scan(&opts)
		if err != nil {
			t.Fatal(err)
		}
		if opts != "fillfactor=50" {
			t.Errorf("login_counters options %q, want fillfactor=50", opts)
		}
	}
}
