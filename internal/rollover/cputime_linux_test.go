//go:build linux

package rollover_test

import (
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD (linux/resource.h), which package syscall
// does not name.
const rusageThread = 1

// threadCPU is the processor time the calling OS thread used so far (user
// and system). The caller locks itself to its thread
// (runtime.LockOSThread): the raw limit is measured on its own thread, so
// the other goroutines and processes of a loaded machine do not count in
// it, and its processor time compares with the archives'.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
