package directory

import (
	"context"
	"sync"
	"time"
)

// SetWriters sets how many establishments an AAF import writes at once on
// PostgreSQL (1: one at a time, as on SQLite).
func SetWriters(im *Importer, n int) { im.writers = n }

// SetLoginLockTimeout sets how long an AAF import's login reservation waits
// for a login counter another transaction holds, per attempt.
func SetLoginLockTimeout(im *Importer, d time.Duration) { im.loginLockTimeout = d }

// AAFLookups returns how many batches of persons an AAF import looked up
// (where a Delta's persons already are).
func AAFLookups(im *Importer) int64 { return im.aafLookups.Load() }

// ReserveLogins reserves logins as an AAF import's parallel writers do
// (loginReserver), in a transaction of its own, committed.
func ReserveLogins(ctx context.Context, im *Importer, bases []string) ([]string, error) {
	return newLoginReserver(im, &sync.Mutex{}, nil).allocate(ctx, bases)
}
