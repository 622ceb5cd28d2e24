package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestYearStateMigration goes up from 0017 with the two string settings
// present: migration 0018 moves them into the typed year state, removes
// the keys, and turns step 2's undo checkpoint into the state as it was.
func TestYearStateMigration(t *testing.T) {
	ctx := context.Background()
	for _, k := range storetest.Engines(t) {
		t.Run(string(k), func(t *testing.T) {
			clock := &storetest.Clock{T: storetest.Epoch}
			st, err := store.Open(ctx, storetest.DSN(t, k), store.Options{Clock: clock, NoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.MigrateTo(ctx, 17); err != nil {
				t.Fatal(err)
			}
			// Between steps 2 and 4; after step 4 (closed cleared); never
			// changed over; a value that does not read as a year.
			inStep, after, never, odd := sillage.UAI("0860012W"), sillage.UAI("0010856A"), sillage.UAI("0860013X"), sillage.UAI("0860014Y")
			err = st.Write(ctx, func(tx *store.Tx) error {
				for _, u := range []sillage.UAI{inStep, after, never, odd} {
					if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP}); err != nil {
						return err
					}
					if err := tx.Periods().SetSetting(ctx, u, "scale", "20"); err != nil {
						return err
					}
				}
				settings := []struct {
					uai        sillage.UAI
					key, value string
				}{
					{inStep, "rollover.closed_year", "2025"}, {inStep, "rollover.archived_year", "2025"},
					{after, "rollover.closed_year", ""}, {after, "rollover.archived_year", "2024"},
					{odd, "rollover.archived_year", "x"},
				}
				for _, s := range settings {
					if err := tx.Periods().SetSetting(ctx, s.uai, s.key, s.value); err != nil {
						return err
					}
				}
				return tx.Rollover().AddRolloverCheckpoint(ctx, inStep, store.RolloverCheckpoint{SchoolYear: 2025, Step: 2, Item: "settings",
					Detail: `{"rollover.archived_year":"2024","rollover.closed_year":""}`})
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			err = st.Read(ctx, func(tx *store.Tx) error {
				want := map[sillage.UAI]sillage.YearState{
					inStep: {Closed: 2025, Archived: 2025},
					after:  {Archived: 2024},
					never:  {},
					odd:    {},
				}
				for u, w := range want {
					got, err := tx.Rollover().GetYearState(ctx, u)
					if err != nil {
						return err
					}
					if got != w {
						t.Errorf("%s: year state %+v, want %+v", u, got, w)
					}
					for _, key := range []string{"rollover.closed_year", "rollover.archived_year"} {
						if v, err := tx.Periods().GetSetting(ctx, u, key, "unset"); err != nil || v != "unset" {
							t.Errorf("%s: setting %s still there: %q, %v", u, key, v, err)
						}
					}
					if v, err := tx.Periods().GetSetting(ctx, u, "scale", ""); err != nil || v != "20" {
						t.Errorf("%s: another setting lost: %q, %v", u, v, err)
					}
				}
				cps, err := tx.Rollover().ListRolloverCheckpoints(ctx, inStep, 2025, 2)
				if err != nil {
					return err
				}
				if len(cps) != 1 || cps[0].Item != "year_state" {
					t.Fatalf("checkpoints %+v", cps)
				}
				var before sillage.YearState
				if err := json.Unmarshal([]byte(cps[0].Detail), &before); err != nil || before != (sillage.YearState{Archived: 2024}) {
					t.Errorf("kept state %q: %+v, %v", cps[0].Detail, before, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestYearState: the zero state is no row, so restoring it leaves the
// table as it was before the first changeover.
func TestYearState(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		uai := sillage.UAI("0860012W")
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée A", Kind: sillage.KindLP}); err != nil {
				return err
			}
			s, err := tx.Rollover().GetYearState(ctx, uai)
			if err != nil || s != (sillage.YearState{}) {
				t.Fatalf("fresh state %+v, %v", s, err)
			}
			closed := s.Close(2025)
			if err := tx.Rollover().SetYearState(ctx, uai, closed); err != nil {
				return err
			}
			if s, err := tx.Rollover().GetYearState(ctx, uai); err != nil || s != closed {
				t.Fatalf("state %+v, %v; want %+v", s, err, closed)
			}
			if err := tx.Rollover().SetYearState(ctx, uai, closed.Reopen()); err != nil {
				return err
			}
			if s, err := tx.Rollover().GetYearState(ctx, uai); err != nil || s != (sillage.YearState{Archived: 2025}) {
				t.Fatalf("reopened state %+v, %v", s, err)
			}
			return tx.Rollover().SetYearState(ctx, uai, sillage.YearState{})
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := st.SQLDB().QueryRow(`SELECT COUNT(*) FROM year_states`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d rows after the zero state, %v", n, err)
		}
	})
}
