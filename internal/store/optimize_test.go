package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestOptimizeListsFreshTables: the query Optimize finds the never
// analyzed tables with (pg_class, cheaper) lists what the view
// pg_stat_user_tables lists for the store's schema.
func TestOptimizeListsFreshTables(t *testing.T) {
	for _, k := range storetest.Engines(t) {
		if k != store.Postgres {
			continue
		}
		st := storetest.Open(t, k, &storetest.Clock{T: storetest.Epoch})
		list := func(q string) []string {
			t.Helper()
			rows, err := st.SQLDB().QueryContext(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			slices.Sort(out)
			return out
		}
		got := list(store.UnanalyzedTablesSQL)
		want := list(`SELECT quote_ident(relname) FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND last_analyze IS NULL AND last_autoanalyze IS NULL`)
		if len(want) < 10 || !slices.Equal(got, want) {
			t.Errorf("fresh tables:\n got %v\nwant %v", got, want)
		}
	}
}
