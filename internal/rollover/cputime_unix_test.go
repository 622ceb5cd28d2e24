//go:build unix

package rollover_test

import (
	"syscall"
	"time"
)

// cpuTime is the processor time this process used so far (user and
// system): the benchmarks report it beside the elapsed time, which on a
// shared machine depends on the other work as much as on this one.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
