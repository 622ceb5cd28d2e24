package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sillage/sillage"
)

// LockLoginCounters returns the login counters of bases (normalised; a base
// without a counter is absent), and on PostgreSQL locks them in the order of
// the bases, sorted, one statement per 500 bases: the order the allocations
// lock them in (upsertLoginCounters), so that it never deadlocks with one.
// The allocations themselves take no such lock first (their statements
// return the values ReserveLogins needs); the tests read and hold the
// counters with it. SQLite has one writer.
func (tx Imports) LockLoginCounters(ctx context.Context, bases []string) (map[string]int64, error) {
	seen := map[string]bool{}
	var sorted []string
	for _, b := range bases {
		b = sillage.NormalizeLogin(b)
		if !seen[b] {
			seen[b] = true
			sorted = append(sorted, b)
		}
	}
	sort.Strings(sorted)
	lock := ""
	if tx.s.dsn.Kind == Postgres {
		// Locked in Go's byte order, the order every allocation takes
		// the counters in (upsertLoginCounters).
		lock = ` COLLATE "C" FOR UPDATE`
	}
	out := make(map[string]int64, len(sorted))
	for _, chunk := range impChunks(sorted, 500) {
		chunk = impPad(chunk)
		got, err := collect(ctx, tx.txn, `SELECT base, last FROM login_counters WHERE base IN (`+impPlaceholders(1, len(chunk))+`) ORDER BY base`+lock,
			impArgs(chunk), func(r *sql.Rows) (loginCounter, error) {
				var c loginCounter
				return c, r.Scan(&c.base, &c.last)
			})
		if err != nil {
			return nil, err
		}
		for _, c := range got {
			out[c.base] = c.last
		}
	}
	return out, nil
}

// RestoreLoginCounters gives back the numbers an allocation took when what
// it allocated for was not written: each counter of after that still holds
// its value there is set back to its value in before, or removed when
// before has none. A counter another transaction moved on since is left as
// it is (its numbers in between are skipped, which costs nothing: logins
// stay unique).
func (tx Imports) RestoreLoginCounters(ctx context.Context, before, after map[string]int64) error {
	bases := make([]string, 0, len(after))
	for b := range after {
		bases = append(bases, b)
	}
	sort.Strings(bases)
	for _, b := range bases {
		prev, ok := before[b]
		if ok && prev == after[b] {
			continue
		}
		var err error
		if ok {
			_, err = tx.exec(ctx, `UPDATE login_counters SET last = $2 WHERE base = $1 AND last = $3`, b, prev, after[b])
		} else {
			_, err = tx.exec(ctx, `DELETE FROM login_counters WHERE base = $1 AND last = $2`, b, after[b])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// SetLockTimeout makes the transaction's statements fail on PostgreSQL
// (LockTimedOut) instead of waiting more than d for a row lock another
// transaction holds, until the transaction ends. SQLite has one writer, and
// a transaction waiting for it waits the store's busy timeout: nothing to
// set.
func (tx Imports) SetLockTimeout(ctx context.Context, d time.Duration) error {
	if tx.s.dsn.Kind != Postgres {
		return nil
	}
	// SET takes no parameter: the value is a number of milliseconds.
	if _, err := tx.exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, max(1, d.Milliseconds()))); err != nil {
		return fmt.Errorf("lock_timeout: %w", err)
	}
	return nil
}

// LockTimedOut reports whether err is PostgreSQL's lock_not_available: a
// statement waited for a lock longer than the transaction's lock timeout
// (SetLockTimeout). The transaction is aborted: nothing it wrote stays.
func LockTimedOut(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// Retryable reports whether err is a PostgreSQL deadlock or serialization
// failure: the transaction was rolled back whole, and running it again may
// succeed.
func Retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
