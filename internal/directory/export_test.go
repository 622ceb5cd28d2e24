package directory

import "time"

// SetWriters sets how many establishments an AAF import writes at once on
// PostgreSQL (1: one at a time, as on SQLite).
func SetWriters(im *Importer, n int) { im.writers = n }

// SetLoginLockTimeout sets how long an AAF import's login reservation waits
// for a login counter another transaction holds, per attempt.
func SetLoginLockTimeout(im *Importer, d time.Duration) { im.loginLockTimeout = d }

// AAFLookups returns how many batches of persons an AAF import looked up
// (where a Delta's persons already are).
func AAFLookups(im *Importer) int64 { return im.aafLookups.Load() }
