package sso

import "github.com/jonboulle/clockwork"

// clockworkReal supplies the timers of clockwork.Clock; clockAdapter
// replaces what reads the time.
type clockworkReal = clockwork.Clock

func newRealClock() clockwork.Clock { return clockwork.NewRealClock() }
