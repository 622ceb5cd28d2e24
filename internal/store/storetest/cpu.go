package storetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/sillage/sillage/internal/store"
)

// CPU is the processor time spent by this process and, on PostgreSQL, by
// the server processes of the store's connections (found by the
// application name DSN gives them, when the server runs on this machine):
// on a machine shared with other work, wall times inflate with the load
// while CPU times hold.
type CPU struct {
	Self    time.Duration
	Server  map[int]time.Duration // by server process
	Visible bool                  // every process could be read (always on SQLite)
}

// Total is the time of this process and of the server processes.
func (c CPU) Total() time.Duration {
	t := c.Self
	for _, d := range c.Server {
		t += d
	}
	return t
}

// Since is the CPU time spent between before and c: a server process that
// started in between counts from zero.
func (c CPU) Since(before CPU) time.Duration {
	d := c.Self - before.Self
	for pid, t := range c.Server {
		d += t - before.Server[pid]
	}
	return d
}

// CPUTime reads the processor time of this process and of the store's
// server processes.
func CPUTime(ctx context.Context, st *store.Store) (CPU, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return CPU{}, err
	}
	c := CPU{Self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), Server: map[int]time.Duration{}}
	if st.Kind() != store.Postgres {
		c.Visible = true
		return c, nil
	}
	rows, err := st.SQLDB().QueryContext(ctx, `SELECT pid FROM pg_stat_activity
		WHERE application_name = current_setting('application_name') AND application_name <> ''`)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	c.Visible = true
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return c, err
		}
		t, err := procCPU(pid)
		if err != nil {
			c.Visible = false
			continue
		}
		c.Server[pid] = t
	}
	return c, rows.Err()
}

// procCPU reads the user and system time of a process from /proc.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name: state is the first, utime the
	// 12th, stime the 13th (proc(5) fields 14 and 15).
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	stt, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(ut+stt) * tick, nil
}
