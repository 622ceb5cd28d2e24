package directory

import "time"

// SetWriters sets how many establishments an AAF import writes at once on
// PostgreSQL (1: one at a time, as on SQLite).
func SetWriters(im *Importer, n int) { im.writers = n }

// SetLoginLockTimeout sets how long an AAF import's login reservation waits
// for a login counter another transaction holds, per attempt.
func SetLoginLockTimeout(im *Importer, d time.Duration) { im.loginLockTimeout = d }
