package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// pgWithEstablishment opens a PostgreSQL store holding one establishment,
// or returns nil when the suite runs without PostgreSQL.
func pgWithEstablishment(t *testing.T) *store.Store {
	t.Helper()
	if !slices.Contains(storetest.Engines(t), store.Postgres) {
		return nil
	}
	st := storetest.Open(t, store.Postgres, &storetest.Clock{T: storetest.Epoch})
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0860012W", Name: "Lycée", Kind: sillage.KindLP})
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestOptimizeListsFreshTables: the query Optimize finds the never
// analyzed tables with (pg_class, cheaper) lists what the view
// pg_stat_user_tables lists for the store's schema, of the tables that
// hold rows.
func TestOptimizeListsFreshTables(t *testing.T) {
	st := pgWithEstablishment(t)
	if st == nil {
		return
	}
	ctx := context.Background()
	list := func(q string) []string {
		t.Helper()
		rows, err := st.SQLDB().QueryContext(ctx, q)
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
		WHERE schemaname = current_schema() AND last_analyze IS NULL AND last_autoanalyze IS NULL AND pg_relation_size(relid) > 0`)
	if !slices.Contains(want, "establishments") || !slices.Equal(got, want) {
		t.Errorf("fresh tables:\n got %v\nwant %v", got, want)
	}
}

// TestOptimizeLeavesEmptyTables: on PostgreSQL Optimize analyzes the never
// analyzed tables that hold rows and leaves the empty ones for a later call
// (reltuples stays -1, "never analyzed", rather than becoming 0, "empty").
// PostgreSQL 13 and older do not tell the two apart (0 for both): the test
// needs 14 or later.
func TestOptimizeLeavesEmptyTables(t *testing.T) {
	st := pgWithEstablishment(t)
	if st == nil {
		return
	}
	ctx := context.Background()
	var version int
	if err := st.SQLDB().QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version < 140000 {
		t.Skipf("PostgreSQL %d: reltuples does not mark never-analyzed tables before 14", version)
	}
	if err := st.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	reltuples := func(table string) float64 {
		t.Helper()
		var n float64
		if err := st.SQLDB().QueryRowContext(ctx, `SELECT reltuples FROM pg_class
			WHERE relname = $1 AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := reltuples("establishments"); n != 1 {
		t.Errorf("establishments: reltuples %v after Optimize, want 1 (analyzed)", n)
	}
	if n := reltuples("results"); n != -1 {
		t.Errorf("results (empty): reltuples %v after Optimize, want -1 (left for later)", n)
	}
	if err := st.Optimize(ctx); err != nil { // nothing left to analyze
		t.Fatal(err)
	}
}
