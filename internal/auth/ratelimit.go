package auth

import (
	"sync"
	"time"

	"github.com/sillage/sillage"
)

// Limiter counts failed sign-ins per account and per address in a sliding
// window. An account or an address over its limit is locked until its
// oldest failure leaves the window.
//
// An attempt counts as a failure from the moment it is allowed: Allow
// reserves it, Succeed or Release give it back. Counting only once the
// password check has failed would let a burst of parallel attempts all pass
// Allow before the first failure is recorded.
type Limiter struct {
	Clock        sillage.Clock
	Window       time.Duration
	MaxPerLogin  int
	MaxPerAddr   int
	mu           sync.Mutex
	failures     map[string][]time.Time
	reported     map[string]bool // keys whose lock was reported in the current window
	lastSweep    time.Time
	sweepEveryIn time.Duration
}

// NewLimiter returns the default limiter: 5 failures per login and 30 per
// address in 15 minutes.
func NewLimiter(clock sillage.Clock) *Limiter {
	return &Limiter{Clock: clock, Window: 15 * time.Minute, MaxPerLogin: 5, MaxPerAddr: 30,
		failures: map[string][]time.Time{}, reported: map[string]bool{}, sweepEveryIn: time.Minute}
}

func loginKey(login string) string { return "l:" + sillage.NormalizeLogin(login) }
func addrKey(addr string) string   { return "a:" + addr }

func (l *Limiter) max(key string) int {
	if key[0] == 'l' {
		return l.MaxPerLogin
	}
	return l.MaxPerAddr
}

func (l *Limiter) recent(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.Window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = fs
	}
	if len(fs) < l.max(key) {
		delete(l.reported, key)
	}
	return fs
}

// Allow reports whether a sign-in for login from addr may be tried, and if
// not, when it may be retried. An allowed attempt is counted as a failure
// until Succeed or Release says otherwise.
func (l *Limiter) Allow(login, addr string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Clock.Now()
	l.sweep(now)
	keys := [2]string{loginKey(login), addrKey(addr)}
	for _, k := range keys {
		fs := l.recent(k, now)
		if limit := l.max(k); len(fs) >= limit {
			return false, fs[len(fs)-limit].Add(l.Window)
		}
	}
	for _, k := range keys {
		l.failures[k] = append(l.failures[k], now)
	}
	return true, time.Time{}
}

// Fail confirms an allowed attempt as a failure; it returns true when a
// limit is reached for the first time in the window (the moment to write
// the audit entry).
func (l *Limiter) Fail(login, addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Clock.Now()
	locked := false
	for _, k := range [2]string{loginKey(login), addrKey(addr)} {
		if len(l.recent(k, now)) >= l.max(k) && !l.reported[k] {
			l.reported[k] = true
			locked = true
		}
	}
	return locked
}

// Succeed clears the failures of a login after a successful sign-in and
// gives the address its attempt back.
func (l *Limiter) Succeed(login, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, loginKey(login))
	delete(l.reported, loginKey(login))
	l.drop(addrKey(addr))
}

// Release gives back an allowed attempt that could not be checked (an
// error before the password was compared).
func (l *Limiter) Release(login, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drop(loginKey(login))
	l.drop(addrKey(addr))
}

// drop removes the latest attempt of a key.
func (l *Limiter) drop(key string) {
	fs := l.failures[key]
	if len(fs) <= 1 {
		delete(l.failures, key)
		return
	}
	l.failures[key] = fs[:len(fs)-1]
}

func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.sweepEveryIn {
		return
	}
	l.lastSweep = now
	for k := range l.failures {
		l.recent(k, now)
	}
}
