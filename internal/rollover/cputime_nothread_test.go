//go:build !linux

package rollover_test

import "time"

// threadCPU falls back to the processor time of the whole process where a
// thread's own is not known: the raw limit runs alone (no benchmark work
// beside it), so the process's time is its time plus the runtime's. 0 and
// false where that is unknown too: the CPU ratios are then not reported.
func threadCPU() (time.Duration, bool) {
	t := cpuTime()
	return t, t > 0
}
