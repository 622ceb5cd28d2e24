package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// forEachWindow runs test against two windows sharing their counts — in
// one process's memory (the same Window twice), or over the database of
// each engine (two server processes).
func forEachWindow(t *testing.T, test func(t *testing.T, a, b *Window, clock *storetest.Clock)) {
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	t.Run("memory", func(t *testing.T) {
		clock := &storetest.Clock{T: start}
		w := &Window{Clock: clock, Name: "verifier", Max: 3, Period: 15 * time.Minute}
		test(t, w, w, clock)
	})
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			clock := &storetest.Clock{T: start}
			st := storetest.Open(t, kind, clock)
			a := &Window{Clock: clock, Store: st, Name: "verifier", Max: 3, Period: 15 * time.Minute}
			b := &Window{Clock: clock, Store: st, Name: "verifier", Max: 3, Period: 15 * time.Minute}
			test(t, a, b, clock)
		})
	}
}

// TestWindowCountsPerAddress: Max events per address in any Period,
// counted across servers; the address waits until its oldest event leaves
// the window; the limit is said once; other addresses, other names and the
// same /64 are told apart as they should be.
func TestWindowCountsPerAddress(t *testing.T) {
	forEachWindow(t, func(t *testing.T, a, b *Window, clock *storetest.Clock) {
		servers := []*Window{a, b}
		first := clock.T
		reachedCount := 0
		for i := range 3 {
			ok, _, reached, err := servers[i%2].Take("203.0.113.7")
			if err != nil || !ok {
				t.Fatalf("event %d refused: ok=%v err=%v", i+1, ok, err)
			}
			if reached {
				reachedCount++
				if i != 2 {
					t.Fatalf("limit said reached at event %d, want 3", i+1)
				}
			}
			clock.T = clock.T.Add(time.Minute)
		}
		if reachedCount != 1 {
			t.Fatalf("limit said reached %d times, want once", reachedCount)
		}
		ok, until, reached, err := a.Take("203.0.113.7")
		if err != nil || ok || reached {
			t.Fatalf("fourth event: ok=%v reached=%v err=%v, want refused", ok, reached, err)
		}
		if want := first.Add(15 * time.Minute); !until.Equal(want) {
			t.Fatalf("until %v, want %v (the oldest event leaves the window)", until, want)
		}
		if ok, _, _, err := b.Take("203.0.113.7"); err != nil || ok {
			t.Fatalf("the other server does not see the address over its limit: ok=%v err=%v", ok, err)
		}
		if ok, _, _, err := b.Take("203.0.113.8"); err != nil || !ok {
			t.Fatalf("another address is over: %v %v", ok, err)
		}
		other := &Window{Clock: clock, Store: a.Store, Name: "federation", Max: 3, Period: 15 * time.Minute}
		if ok, _, _, err := other.Take("203.0.113.7"); err != nil || !ok {
			t.Fatalf("another window's count leaks: %v %v", ok, err)
		}
		// An IPv6 host holds its /64: two addresses of one /64 count together.
		for range 3 {
			if ok, _, _, err := a.Take("2001:db8:1:2::10"); err != nil || !ok {
				t.Fatalf("IPv6 event refused: %v %v", ok, err)
			}
		}
		if ok, _, _, _ := b.Take("2001:db8:1:2::99"); ok {
			t.Fatal("a second address of the same /64 escaped the limit")
		}
		clock.T = first.Add(15 * time.Minute)
		if ok, _, _, err := b.Take("203.0.113.7"); err != nil || !ok {
			t.Fatalf("once the oldest event left the window, the address must pass: %v %v", ok, err)
		}
		if ok, _, _, _ := a.Take("203.0.113.7"); ok {
			t.Fatal("only one event left the window: the next must wait")
		}
	})
}

// TestWindowBurst: a burst of parallel events over two servers lets Max
// through, not more.
func TestWindowBurst(t *testing.T) {
	forEachWindow(t, func(t *testing.T, a, b *Window, clock *storetest.Clock) {
		servers := []*Window{a, b}
		var mu sync.Mutex
		passed := 0
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				ok, _, _, err := servers[i%2].Take("198.51.100.1")
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					passed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if passed != a.Max {
			t.Fatalf("a burst let %d events through, want %d", passed, a.Max)
		}
		if a.Store != nil {
			// Stale records are swept: a day later nothing of it is left.
			clock.T = clock.T.Add(windowForget + time.Hour)
			a.lastSweep = time.Time{}
			if _, _, _, err := a.Take("198.51.100.2"); err != nil {
				t.Fatal(err)
			}
			var left map[string]string
			if err := a.Store.Write(context.Background(), func(tx *store.Tx) (err error) {
				left, err = tx.Accounts().LockThrottle(context.Background(), []string{a.key("198.51.100.1")})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if s := left[a.key("198.51.100.1")]; s != "" {
				t.Fatalf("a record unwritten for a day is still there: %s", s)
			}
		}
	})
}
