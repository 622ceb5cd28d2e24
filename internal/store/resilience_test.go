package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func countEstablishments(ctx context.Context, st *store.Store) (int, error) {
	var n int
	err := st.Read(ctx, func(tx *store.Tx) error {
		es, err := tx.Establishments().ListEstablishments(ctx)
		n = len(es)
		return err
	})
	return n, err
}

// TestBrokenPostgresConnection: every pooled connection is ended by the
// server (PostgreSQL restarted) or cut (the network) between requests: the next read and the next write succeed
// on a new connection. A connection cut in the middle of a write is not
// retried: the write fails as "unavailable" (HTTP 503), in French, and
// nothing of it is committed. A database that stays unreachable is
// "unavailable" too, never "driver: bad connection".
func TestBrokenPostgresConnection(t *testing.T) {
	if storetest.Engines(t)[len(storetest.Engines(t))-1] != store.Postgres {
		t.Skip("PostgreSQL not configured")
	}
	ctx := context.Background()
	st, p, terminate := storetest.Proxied(t, &storetest.Clock{T: storetest.Epoch}, store.Options{MaxConns: 2})
	const trials = 20
	for i := 0; i < trials; i++ {
		if i%4 < 2 {
			terminate()
		} else {
			p.Cut()
		}
		if i%2 == 0 {
			if _, err := countEstablishments(ctx, st); err != nil {
				t.Fatalf("read %d after a cut: %v", i, err)
			}
			continue
		}
		uai := uaiN(i)
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée", Kind: sillage.KindLP})
		}); err != nil {
			t.Fatalf("write %d after a cut: %v", i, err)
		}
	}
	if n, err := countEstablishments(ctx, st); err != nil || n != trials/2 {
		t.Fatalf("after %d cuts: %d establishments, %v", trials, n, err)
	}
	// Cut while a read begins, before its first statement answered:
	// retried once on a new connection; cut again, it fails as unavailable.
	for i := 0; i < trials; i++ {
		calls := 0
		var n int
		err := st.Read(ctx, func(tx *store.Tx) error {
			calls++
			if calls == 1 {
				p.Cut()
			}
			es, err := tx.Establishments().ListEstablishments(ctx)
			n = len(es)
			return err
		})
		if err != nil || calls != 2 || n != trials/2 {
			t.Fatalf("read cut before its first answer (trial %d): %d calls, %d establishments, %v", i, calls, n, err)
		}
	}
	calls := 0
	err := st.Read(ctx, func(tx *store.Tx) error {
		calls++
		p.Cut()
		_, err := tx.Establishments().ListEstablishments(ctx)
		return err
	})
	if calls != 2 || sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(sillage.Message(err), "injoignable") {
		t.Fatalf("read cut twice: %d calls, %v (%q)", calls, err, sillage.Message(err))
	}
	// Cut in the middle of a write: refused, nothing committed.
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiN(100), Name: "Lycée", Kind: sillage.KindLP}); err != nil {
			return err
		}
		p.Cut()
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiN(101), Name: "Lycée", Kind: sillage.KindLP})
	})
	if sillage.KindOf(err) != sillage.KindUnavailable || strings.Contains(sillage.Message(err), "driver") {
		t.Fatalf("write cut in the middle: %v (%s)", err, sillage.Message(err))
	}
	if n, err := countEstablishments(ctx, st); err != nil || n != trials/2 {
		t.Fatalf("after the cut write: %d establishments, %v", n, err)
	}
	// Unreachable.
	p.Stop()
	_, err = countEstablishments(ctx, st)
	if sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(sillage.Message(err), "injoignable") {
		t.Fatalf("unreachable: %v (%q)", err, sillage.Message(err))
	}
	t.Logf("%d restarts or cuts between requests: %d reads and %d writes all answered; %d reads cut before their first answer: "+
		"all answered on the second try; cut twice, a cut mid-write and an unreachable server: unavailable", trials, trials/2, trials/2, trials)
}

func uaiN(n int) sillage.UAI {
	digits := "0" + strings.Repeat("0", 0) + itoa6(790000+n)
	l, _ := sillage.UAICheckLetter(digits)
	return sillage.UAI(digits + string(l))
}

func itoa6(n int) string {
	s := ""
	for i := 0; i < 6; i++ {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}

// TestSQLiteBusyWriter: another process holds SQLite's write lock past the
// busy timeout: a write waits with back-off and succeeds once the lock is
// released; a lock held longer than every retry fails as "busy" (HTTP
// 503, in French); readiness reads through the readers meanwhile.
func TestSQLiteBusyWriter(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, store.SQLite)
	open := func() *store.Store {
		st, err := store.Open(ctx, dsn, store.Options{Clock: &storetest.Clock{T: storetest.Epoch}, BusyTimeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	other, st := open(), open() // two processes on one file
	hold := func(d time.Duration) chan struct{} {
		locked, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			other.Write(ctx, func(tx *store.Tx) error {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiN(int(d / time.Millisecond)), Name: "Verrou", Kind: sillage.KindLP}); err != nil {
					return err
				}
				close(locked)
				time.Sleep(d)
				return nil
			})
		}()
		<-locked
		return done
	}
	for i, d := range []time.Duration{300 * time.Millisecond, 1200 * time.Millisecond} {
		done := hold(d)
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		if err := st.Ready(rctx); err != nil {
			t.Fatalf("readiness during the lock: %v", err)
		}
		cancel()
		err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiN(10 + i), Name: "Lycée", Kind: sillage.KindLP})
		})
		if err != nil {
			t.Fatalf("write behind a lock held %v: %v", d, err)
		}
		t.Logf("lock held %v: the write waited %v and succeeded", d, time.Since(start).Round(10*time.Millisecond))
		<-done
	}
	done := hold(8 * time.Second)
	err := st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiN(20), Name: "Lycée", Kind: sillage.KindLP})
	})
	if sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(sillage.Message(err), "occupée") {
		t.Fatalf("behind a lock held longer than every retry: %v (%q)", err, sillage.Message(err))
	}
	<-done
	if !errors.Is(err, sillage.ErrUnavailable) {
		t.Fatalf("not unavailable: %v", err)
	}
}
