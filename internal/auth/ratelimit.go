package auth

import (
	"net/netip"
	"sync"
	"time"

	"github.com/sillage/sillage"
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
type Limiter struct {
	Clock        sillage.Clock
	FreeFailures int           // failures of a login before any delay
	BaseDelay    time.Duration // the first delay; each further failure doubles it
	MaxDelay     time.Duration // the ceiling of the delay
	Forget       time.Duration // a login's failures are forgotten this long after the last
	Window       time.Duration // the address window
	MaxPerAddr   int

	mu           sync.Mutex
	logins       map[string]*loginState
	failures     map[string][]time.Time // per address
	reported     map[string]bool        // keys whose limit was reported in the current episode
	lastSweep    time.Time
	sweepEveryIn time.Duration
}

type loginState struct {
	failures  int
	last      time.Time // last attempt reserved
	next      time.Time // no attempt is checked before
	prevNext  time.Time // next before the last reservation (Release)
	prevLast  time.Time
	delayedAt bool // the delay started in this episode (reported once)
}

// NewLimiter returns the default limiter: 3 free failures per login, then
// 2 s, 4 s, 8 s… up to 5 minutes between attempts; 30 failures per address
// (or IPv6 /64) in 15 minutes.
func NewLimiter(clock sillage.Clock) *Limiter {
	return &Limiter{Clock: clock, FreeFailures: 3, BaseDelay: 2 * time.Second, MaxDelay: 5 * time.Minute, Forget: time.Hour,
		Window: 15 * time.Minute, MaxPerAddr: 30,
		logins: map[string]*loginState{}, failures: map[string][]time.Time{}, reported: map[string]bool{}, sweepEveryIn: time.Minute}
}

func loginKey(login string) string { return sillage.NormalizeLogin(login) }

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

func (l *Limiter) login(key string, now time.Time) *loginState {
	st := l.logins[key]
	if st != nil && now.Sub(st.last) >= l.Forget {
		delete(l.logins, key)
		st = nil
	}
	if st == nil {
		st = &loginState{}
		l.logins[key] = st
	}
	return st
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
	if len(fs) < l.MaxPerAddr {
		delete(l.reported, key)
	}
	return fs
}

// Allow reports whether a sign-in for login from addr may be checked now,
// and if not, when it may. An allowed attempt is counted as a failure
// until Succeed or Release says otherwise.
func (l *Limiter) Allow(login, addr string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Clock.Now()
	l.sweep(now)
	ak := AddrKey(addr)
	if fs := l.recent(ak, now); len(fs) >= l.MaxPerAddr {
		return false, fs[len(fs)-l.MaxPerAddr].Add(l.Window)
	}
	st := l.login(loginKey(login), now)
	if now.Before(st.next) {
		return false, st.next
	}
	st.prevNext, st.prevLast = st.next, st.last
	st.failures++
	st.last = now
	st.next = now.Add(l.Delay(st.failures))
	l.failures[ak] = append(l.failures[ak], now)
	return true, time.Time{}
}

// Fail confirms an allowed attempt as a failure; it returns true when the
// login's delays begin or the address reaches its limit, once per episode
// (the moment to write the audit entry).
func (l *Limiter) Fail(login, addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Clock.Now()
	report := false
	if st := l.logins[loginKey(login)]; st != nil && st.failures >= l.FreeFailures && !st.delayedAt {
		st.delayedAt, report = true, true
	}
	ak := AddrKey(addr)
	if len(l.recent(ak, now)) >= l.MaxPerAddr && !l.reported[ak] {
		l.reported[ak], report = true, true
	}
	return report
}

// Succeed forgets the failures of a login after a successful sign-in and
// gives the address its attempt back.
func (l *Limiter) Succeed(login, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.logins, loginKey(login))
	l.drop(AddrKey(addr))
}

// Release gives back an allowed attempt that could not be checked (an
// error before the password was compared).
func (l *Limiter) Release(login, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.logins[loginKey(login)]; st != nil && st.failures > 0 {
		st.failures--
		st.next, st.last = st.prevNext, st.prevLast
	}
	l.drop(AddrKey(addr))
}

// drop removes the latest attempt of an address.
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
	for k, st := range l.logins {
		if now.Sub(st.last) >= l.Forget {
			delete(l.logins, k)
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
