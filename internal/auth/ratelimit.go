package auth

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Limiter slows down password guessing without handing attackers a way to
// lock the owner out.
//
// Per login, a growing delay: the first failures are free, then each one
// doubles the wait before the next attempt is checked, up to a ceiling.
// Attempts during the wait are refused without looking at the password;
// once it is over, the next attempt is checked, so the owner's correct
// password always passes after at most MaxDelay, however many failures
// others caused. A success or a quiet hour forgets the failures.
//
// Per address, a hard limit in a sliding window (an address over it is
// refused until its oldest failure leaves the window). IPv6 addresses count
// per /64: one host usually holds the whole /64.
//
// An attempt counts as a failure from the moment it is allowed: Allow
// reserves it, Succeed or Release give it back, so a burst of parallel
// attempts cannot all pass before the first failure is recorded.
//
// With a Store, the state lives in the database (table signin_throttle),
// its rows locked while an attempt is judged: every server process counts
// the same failures, as a load balancer spreads them. Without one, it
// lives in this process's memory. A database that cannot be reached
// refuses the attempt (Allow) or leaves it counted (Succeed, Release).
type Limiter struct {
	Clock        sillage.Clock
	Store        *store.Store  // nil: in memory
	FreeFailures int           // failures of a login before any delay
	BaseDelay    time.Duration // the first delay; each further failure doubles it
	MaxDelay     time.Duration // the ceiling of the delay
	Forget       time.Duration // a login's failures are forgotten this long after the last
	Window       time.Duration // the address window
	MaxPerAddr   int

	mu           sync.Mutex
	mem          map[string]string // in memory: the same records as the table's
	lastSweep    time.Time
	sweepEveryIn time.Duration
}

// loginState is a login's record.
type loginState struct {
	Failures int       `json:"f"`
	Last     time.Time `json:"l"`           // last attempt reserved
	Next     time.Time `json:"n"`           // no attempt is checked before
	PrevNext time.Time `json:"pn"`          // Next before the last reservation (Release)
	PrevLast time.Time `json:"pl"`          // Last before it
	Delayed  bool      `json:"d,omitempty"` // the delay started in this episode (reported once)
}

// empty reports whether the record holds nothing to keep.
func (ls loginState) empty() bool {
	return ls.Failures == 0 && ls.Last.IsZero() && ls.Next.IsZero() && !ls.Delayed
}

// addrState is an address's record.
type addrState struct {
	Failures []time.Time `json:"f"`           // in the window, oldest first
	Reported bool        `json:"r,omitempty"` // its limit was reported in the current episode
}

// NewLimiter returns the default limiter: 3 free failures per login, then
// 2 s, 4 s, 8 s… up to 5 minutes between attempts; 30 failures per address
// (or IPv6 /64) in 15 minutes.
func NewLimiter(clock sillage.Clock) *Limiter {
	return &Limiter{Clock: clock, FreeFailures: 3, BaseDelay: 2 * time.Second, MaxDelay: 5 * time.Minute, Forget: time.Hour,
		Window: 15 * time.Minute, MaxPerAddr: 30, sweepEveryIn: time.Minute}
}

func loginKey(login string) string { return "l:" + sillage.NormalizeLogin(login) }

// AddrKey is the key an address is counted under: the address itself for
// IPv4, its /64 for IPv6.
func AddrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "a:" + addr
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "a:" + p.String()
	}
	return "a:" + a.String()
}

// Delay is the wait imposed after n failures of a login.
func (l *Limiter) Delay(n int) time.Duration {
	if n < l.FreeFailures {
		return 0
	}
	d := l.BaseDelay
	for i := l.FreeFailures; i < n && d < l.MaxDelay; i++ {
		d *= 2
	}
	return min(d, l.MaxDelay)
}

// limiterTimeout bounds the database work of one attempt.
const limiterTimeout = 10 * time.Second

// update hands fn the records of login and addr, decoded, and keeps what
// fn leaves in them: in one locked transaction with a Store, under the
// mutex otherwise.
func (l *Limiter) update(login, addr string, fn func(now time.Time, ls *loginState, as *addrState)) error {
	lk, ak := loginKey(login), AddrKey(addr)
	apply := func(now time.Time, states map[string]string) (map[string]string, error) {
		var ls loginState
		var as addrState
		if s := states[lk]; s != "" {
			if err := json.Unmarshal([]byte(s), &ls); err != nil {
				return nil, err
			}
		}
		if s := states[ak]; s != "" {
			if err := json.Unmarshal([]byte(s), &as); err != nil {
				return nil, err
			}
		}
		fn(now, &ls, &as)
		out := map[string]string{lk: "", ak: ""}
		if !ls.empty() {
			b, _ := json.Marshal(ls)
			out[lk] = string(b)
		}
		if len(as.Failures) > 0 || as.Reported {
			b, _ := json.Marshal(as)
			out[ak] = string(b)
		}
		return out, nil
	}
	if l.Store == nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		now := l.Clock.Now()
		l.sweepMemory(now)
		out, err := apply(now, map[string]string{lk: l.mem[lk], ak: l.mem[ak]})
		if err != nil {
			return err
		}
		if l.mem == nil {
			l.mem = map[string]string{}
		}
		for k, v := range out {
			if v == "" {
				delete(l.mem, k)
			} else {
				l.mem[k] = v
			}
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), limiterTimeout)
	defer cancel()
	return l.Store.Write(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		if l.sweepDue(now) {
			// Records older than both periods say nothing any more.
			if _, err := tx.Accounts().DeleteThrottleBefore(ctx, now.Add(-max(l.Forget, l.Window))); err != nil {
				return err
			}
		}
		states, err := tx.Accounts().LockThrottle(ctx, []string{lk, ak})
		if err != nil {
			return err
		}
		out, err := apply(now, states)
		if err != nil {
			return err
		}
		for k, v := range out {
			if err := tx.Accounts().SaveThrottle(ctx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// forget drops a login's record once it has been quiet for Forget.
func (l *Limiter) forget(ls *loginState, now time.Time) {
	if ls.Failures > 0 || !ls.Last.IsZero() {
		if now.Sub(ls.Last) >= l.Forget {
			*ls = loginState{}
		}
	}
}

// recent drops the address failures that left the window; under the limit
// again, the address's episode is over.
func (l *Limiter) recent(as *addrState, now time.Time) {
	i := 0
	for i < len(as.Failures) && now.Sub(as.Failures[i]) >= l.Window {
		i++
	}
	as.Failures = as.Failures[i:]
	if len(as.Failures) < l.MaxPerAddr {
		as.Reported = false
	}
}

// Allow reports whether a sign-in for login from addr may be checked now,
// and if not, when it may. An allowed attempt is counted as a failure
// until Succeed or Release says otherwise.
func (l *Limiter) Allow(login, addr string) (bool, time.Time) {
	ok, until, err := l.Check(login, addr)
	if err != nil {
		// Nothing can be counted: nothing is checked.
		return false, l.Clock.Now().Add(l.BaseDelay)
	}
	return ok, until
}

// Check is Allow that says why it could not judge the attempt (the
// database is unreachable): the caller answers that, not "too many
// attempts".
func (l *Limiter) Check(login, addr string) (bool, time.Time, error) {
	var ok bool
	var until time.Time
	err := l.update(login, addr, func(now time.Time, ls *loginState, as *addrState) {
		l.recent(as, now)
		if len(as.Failures) >= l.MaxPerAddr {
			until = as.Failures[len(as.Failures)-l.MaxPerAddr].Add(l.Window)
			return
		}
		l.forget(ls, now)
		if now.Before(ls.Next) {
			until = ls.Next
			return
		}
		ls.PrevNext, ls.PrevLast = ls.Next, ls.Last
		ls.Failures++
		ls.Last = now
		ls.Next = now.Add(l.Delay(ls.Failures))
		as.Failures = append(as.Failures, now)
		ok = true
	})
	if err != nil {
		return false, time.Time{}, err
	}
	return ok, until, nil
}

// Fail confirms an allowed attempt as a failure; it returns true when the
// login's delays begin or the address reaches its limit, once per episode
// (the moment to write the audit entry).
func (l *Limiter) Fail(login, addr string) bool {
	report := false
	l.update(login, addr, func(now time.Time, ls *loginState, as *addrState) {
		if ls.Failures >= l.FreeFailures && !ls.Delayed {
			ls.Delayed, report = true, true
		}
		l.recent(as, now)
		if len(as.Failures) >= l.MaxPerAddr && !as.Reported {
			as.Reported, report = true, true
		}
	})
	return report
}

// Succeed forgets the failures of a login after a successful sign-in and
// gives the address its attempt back.
func (l *Limiter) Succeed(login, addr string) {
	l.update(login, addr, func(now time.Time, ls *loginState, as *addrState) {
		*ls = loginState{}
		dropLatest(as)
	})
}

// Release gives back an allowed attempt that could not be checked (an
// error before the password was compared).
func (l *Limiter) Release(login, addr string) {
	l.update(login, addr, func(now time.Time, ls *loginState, as *addrState) {
		if ls.Failures > 0 {
			ls.Failures--
			ls.Next, ls.Last = ls.PrevNext, ls.PrevLast
		}
		dropLatest(as)
	})
}

// dropLatest removes the latest attempt of an address.
func dropLatest(as *addrState) {
	if n := len(as.Failures); n > 0 {
		as.Failures = as.Failures[:n-1]
	}
}

// sweepDue reports whether a sweep of old records is due (at most once
// per sweepEveryIn in this process).
func (l *Limiter) sweepDue(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	every := l.sweepEveryIn
	if every <= 0 {
		every = time.Minute
	}
	if now.Sub(l.lastSweep) < every {
		return false
	}
	l.lastSweep = now
	return true
}

// sweepMemory drops the in-memory records the limiter forgot (l.mu held).
func (l *Limiter) sweepMemory(now time.Time) {
	every := l.sweepEveryIn
	if every <= 0 {
		every = time.Minute
	}
	if now.Sub(l.lastSweep) < every {
		return
	}
	l.lastSweep = now
	for k, v := range l.mem {
		if strings.HasPrefix(k, "l:") {
			var ls loginState
			if json.Unmarshal([]byte(v), &ls) == nil {
				if l.forget(&ls, now); ls.empty() {
					delete(l.mem, k)
				}
			}
			continue
		}
		var as addrState
		if json.Unmarshal([]byte(v), &as) == nil {
			if l.recent(&as, now); len(as.Failures) == 0 {
				delete(l.mem, k)
			}
		}
	}
}

// RetryIn says in words how long until t: "12 secondes", "3 minutes".
func RetryIn(t, now time.Time) string {
	d := t.Sub(now)
	if d < time.Second {
		d = time.Second
	}
	if d > 2*time.Minute {
		return sillage.FormatDuration((d + time.Minute - 1) / time.Minute * time.Minute)
	}
	return sillage.FormatDuration((d + time.Second - 1) / time.Second * time.Second)
}
