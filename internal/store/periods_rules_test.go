package store_test

import (
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestPeriodRules: the rules of the periods are the store's, whoever
// creates or deletes one (the periods page, step 5 of the changeover): a
// year does not mix trimesters and semesters, periods do not overlap nor
// leave the school year, and a period with reports is not deleted.
func TestPeriodRules(t *testing.T) {
	const created = sillage.Kind(-1) // no error: created, or deleted
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W") // T1 2025-2026 with a report
		for _, c := range []struct {
			name string
			p    sillage.Period
			want sillage.Kind
		}{
			{"semester in a year of trimesters", sillage.Period{SchoolYear: a.year, Kind: sillage.Semester, Index: 2,
				Start: sillage.NewDate(2026, 2, 1), End: sillage.NewDate(2026, 7, 4)}, sillage.KindConflict},
			{"overlap", sillage.Period{SchoolYear: a.year, Kind: sillage.Trimester, Index: 2,
				Start: sillage.NewDate(2025, 11, 30), End: sillage.NewDate(2026, 2, 28)}, sillage.KindInvalid},
			{"beyond the school year", sillage.Period{SchoolYear: a.year, Kind: sillage.Trimester, Index: 3,
				Start: sillage.NewDate(2026, 3, 1), End: sillage.NewDate(2026, 9, 1)}, sillage.KindInvalid},
			{"end before start", sillage.Period{SchoolYear: a.year, Kind: sillage.Trimester, Index: 2,
				Start: sillage.NewDate(2026, 2, 28), End: sillage.NewDate(2025, 12, 1)}, sillage.KindInvalid},
			{"rank beyond the kind", sillage.Period{SchoolYear: a.year, Kind: sillage.Trimester, Index: 4,
				Start: sillage.NewDate(2026, 3, 1), End: sillage.NewDate(2026, 7, 4)}, sillage.KindInvalid},
			{"semesters of another year", sillage.Period{SchoolYear: a.year + 1, Kind: sillage.Semester, Index: 1,
				Start: sillage.NewDate(2026, 9, 1), End: sillage.NewDate(2027, 1, 31)}, created},
			{"second trimester", sillage.Period{SchoolYear: a.year, Kind: sillage.Trimester, Index: 2,
				Start: sillage.NewDate(2025, 12, 1), End: sillage.NewDate(2026, 2, 28)}, created},
		} {
			err := st.Write(ctx, func(tx *store.Tx) error { return tx.Livret().CreatePeriodChecked(ctx, a.uai, &c.p) })
			if c.want == created && err != nil || c.want != created && sillage.KindOf(err) != c.want {
				t.Errorf("%s: %v, want kind %v", c.name, err, c.want)
			}
		}
		var t2 sillage.Period
		err := st.Read(ctx, func(tx *store.Tx) error {
			ps, err := tx.Periods().ListPeriods(ctx, a.uai, a.year)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.Index == 2 {
					t2 = p
				}
			}
			return nil
		})
		if err != nil || t2.ID == 0 {
			t.Fatalf("second trimester not created: %v", err)
		}
		for _, c := range []struct {
			name string
			id   int64
			want sillage.Kind
		}{
			{"with a report", a.period.ID, sillage.KindConflict},
			{"without reports", t2.ID, created},
			{"already gone", t2.ID, sillage.KindNotFound},
		} {
			err := st.Write(ctx, func(tx *store.Tx) error { return tx.Periods().DeletePeriod(ctx, a.uai, c.id) })
			if c.want == created && err != nil || c.want != created && sillage.KindOf(err) != c.want {
				t.Errorf("delete %s: %v, want kind %v", c.name, err, c.want)
			}
		}
	})
}
