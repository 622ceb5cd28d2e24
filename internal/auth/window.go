package auth

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Window bounds how often one address may do something costly that needs
// no account: upload a document to the public verifier, or have a
// federation message refused (each refusal is audited). At most Max events
// per address (IPv6 per /64) in any Period; past it the address waits until
// its oldest event leaves the window.
//
// Like the sign-in limiter, the counts live in the database when Store is
// set (table signin_throttle, under keys of their own), so that every
// server process behind a load balancer counts the same events; in this
// process's memory otherwise. The sign-in limiter's sweep removes the
// table's records unwritten for an hour: a Period longer than that would
// be cut short.
type Window struct {
	Clock  sillage.Clock
	Store  *store.Store // nil: in memory
	Name   string       // what is counted; the records' key prefix ("verifier")
	Max    int
	Period time.Duration

	mu        sync.Mutex
	mem       map[string][]time.Time
	lastSweep time.Time
}

// windowForget is how long a record may stay unwritten before a sweep
// removes it: longer than any period, and than the sign-in limiter's own
// records live (the sweep runs over the shared table).
const windowForget = 24 * time.Hour

func (w *Window) key(addr string) string { return "w:" + w.Name + ":" + AddrKey(addr) }

// Take counts one event of addr. When the address had used up its events
// already, the event is not counted and ok is false, with the moment it
// may try again. reached is true when this event used up the last one:
// the moment to say so once (in the audit log, say).
func (w *Window) Take(addr string) (ok bool, until time.Time, reached bool, err error) {
	err = w.update(addr, func(now time.Time, events []time.Time) []time.Time {
		events = w.recent(events, now)
		if len(events) >= w.Max {
			until = events[len(events)-w.Max].Add(w.Period)
			return events
		}
		events = append(events, now)
		ok, reached = true, len(events) == w.Max
		return events
	})
	return ok, until, reached, err
}

// recent drops the events that left the window.
func (w *Window) recent(events []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(events) && now.Sub(events[i]) >= w.Period {
		i++
	}
	return events[i:]
}

// update hands fn the events of addr and keeps what it returns: in one
// locked transaction with a Store, under the mutex otherwise.
func (w *Window) update(addr string, fn func(now time.Time, events []time.Time) []time.Time) error {
	k := w.key(addr)
	if w.Store == nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		now := w.Clock.Now()
		if w.mem == nil {
			w.mem = map[string][]time.Time{}
		}
		if now.Sub(w.lastSweep) >= w.Period {
			w.lastSweep = now
			for key, events := range w.mem {
				if len(w.recent(events, now)) == 0 {
					delete(w.mem, key)
				}
			}
		}
		if events := fn(now, w.mem[k]); len(events) > 0 {
			w.mem[k] = events
		} else {
			delete(w.mem, k)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), limiterTimeout)
	defer cancel()
	return w.Store.Write(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		if w.sweepDue(now) {
			if _, err := tx.Accounts().DeleteThrottleBefore(ctx, now.Add(-windowForget)); err != nil {
				return err
			}
		}
		states, err := tx.Accounts().LockThrottle(ctx, []string{k})
		if err != nil {
			return err
		}
		var events []time.Time
		if s := states[k]; s != "" {
			if err := json.Unmarshal([]byte(s), &events); err != nil {
				return err
			}
		}
		state := ""
		if events = fn(now, events); len(events) > 0 {
			b, err := json.Marshal(events)
			if err != nil {
				return err
			}
			state = string(b)
		}
		return tx.Accounts().SaveThrottle(ctx, k, state)
	})
}

// sweepDue reports whether a sweep of stale records is due (at most once
// an hour in this process).
func (w *Window) sweepDue(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.lastSweep) < time.Hour {
		return false
	}
	w.lastSweep = now
	return true
}
