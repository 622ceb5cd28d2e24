package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/store"
)

// lockWaiters returns how many of st's transactions wait for a lock
// (PostgreSQL: pg_stat_activity, counted for st's application name).
func lockWaiters(tb testing.TB, st *store.Store) int {
	tb.Helper()
	var n int
	if err := st.SQLDB().QueryRowContext(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = current_setting('application_name') AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// UntilLockWaiters waits until n of st's transactions wait for a lock, or
// until done has a value (the work finished without waiting: the value is
// put back for the caller, so done must have room for it). It fails the
// test after 10 seconds. On SQLite (one writer, nobody waits on a row) it
// returns at once.
func UntilLockWaiters(tb testing.TB, st *store.Store, n int, done chan error) {
	tb.Helper()
	if st.Kind() != store.Postgres {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		waiting := lockWaiters(tb, st)
		if waiting >= n {
			return
		}
		select {
		case err := <-done:
			done <- err
			return
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d transactions waiting for a lock, want %d", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Hold runs fn in a write transaction of st that stays open, holding
// what fn locked, until release is called; release returns the
// transaction's outcome. An error of fn fails the test. A test that stops
// before release lets the transaction go at its cleanup, before the
// store's own (dropping a schema would wait for the held locks).
func Hold(tb testing.TB, st *store.Store, fn func(tx *store.Tx) error) (release func() error) {
	tb.Helper()
	held, stop, done := make(chan error, 1), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	var outcome error
	release = func() error {
		once.Do(func() { close(stop); outcome = <-done })
		return outcome
	}
	tb.Cleanup(func() { release() })
	go func() {
		done <- st.Write(context.Background(), func(tx *store.Tx) error {
			err := fn(tx)
			held <- err
			if err != nil {
				return err
			}
			<-stop
			return nil
		})
	}()
	if err := <-held; err != nil {
		tb.Fatal(err)
	}
	return release
}
