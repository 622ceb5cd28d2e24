// Package storetest opens fresh stores for tests, on SQLite always and on
// PostgreSQL when SILLAGE_TEST_POSTGRES holds a URL (each store in a schema
// of its own, dropped at the end). SILLAGE_REQUIRE_POSTGRES=1 turns the
// PostgreSQL skip into a failure, so CI never skips it silently.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Epoch is the default time of test clocks: a school day of 2025-2026.
var Epoch = time.Date(2025, time.October, 6, 9, 0, 0, 0, time.UTC)

// Clock is a settable clock for tests.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.T = c.T.Add(d) }

// Engines lists the engines to test on: SQLite, and PostgreSQL when configured.
func Engines(tb testing.TB) []store.Kind {
	tb.Helper()
	kinds := []store.Kind{store.SQLite}
	if os.Getenv("SILLAGE_TEST_POSTGRES") != "" {
		kinds = append(kinds, store.Postgres)
	} else if os.Getenv("SILLAGE_REQUIRE_POSTGRES") == "1" {
		tb.Fatal("SILLAGE_REQUIRE_POSTGRES=1 but SILLAGE_TEST_POSTGRES is not set")
	}
	return kinds
}

// Run runs fn as a subtest per engine, each with a fresh store.
func Run(t *testing.T, fn func(t *testing.T, st *store.Store, clock *Clock)) {
	t.Helper()
	for _, k := range Engines(t) {
		t.Run(string(k), func(t *testing.T) {
			clock := &Clock{T: Epoch}
			st := Open(t, k, clock)
			fn(t, st, clock)
		})
	}
}

// Open returns a fresh, migrated store of engine k, closed at cleanup.
func Open(tb testing.TB, k store.Kind, clock sillage.Clock) *store.Store {
	tb.Helper()
	dsn := DSN(tb, k)
	st, err := store.Open(context.Background(), dsn, store.Options{Clock: clock})
	if err != nil {
		tb.Fatalf("open %s: %v", k, err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// DSN returns the data source of a fresh, empty database of engine k:
// a file in a temporary folder, or a new PostgreSQL schema dropped at cleanup.
func DSN(tb testing.TB, k store.Kind) store.DSN {
	tb.Helper()
	if k == store.SQLite {
		return store.DSN{Kind: store.SQLite, Path: filepath.Join(tb.TempDir(), "sillage.db")}
	}
	base := os.Getenv("SILLAGE_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("SILLAGE_REQUIRE_POSTGRES") == "1" {
			tb.Fatal("SILLAGE_REQUIRE_POSTGRES=1 but SILLAGE_TEST_POSTGRES is not set")
		}
		tb.Skip("PostgreSQL not configured (set SILLAGE_TEST_POSTGRES)")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema on %s: %v", base, err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// The schema names the store's server processes too, so that a
	// benchmark can find them and measure their CPU time (CPUTime).
	if q.Get("application_name") == "" {
		q.Set("application_name", schema)
	}
	// Tests need no durability across a machine crash: do not wait for
	// the WAL flush at each commit. Benchmarks measure what production
	// gets, which waits for it.
	if _, bench := tb.(*testing.B); !bench {
		q.Set("synchronous_commit", "off")
	}
	u.RawQuery = q.Encode()
	return store.DSN{Kind: store.Postgres, URL: u.String()}
}
