package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A busy or broken database is a wait, not an error (operations.md):
//
//   - a connection that broke (PostgreSQL restarted, a network cut) before
//     the transaction's first statement answered is retried once with a new
//     connection: nothing of the transaction reached the database, and fn
//     saw nothing;
//   - SQLite's write lock held by another process past the busy timeout
//     fails BEGIN IMMEDIATE before fn runs: it is retried with back-off;
//   - otherwise the error is KindUnavailable with a French message (HTTP 503).

// errUnreachable is the message of a broken connection.
const errUnreachable = "base de données momentanément injoignable : réessayez dans quelques instants"

// errBusy is the message of SQLite's write lock held too long by another process.
const errBusy = "base de données occupée par une autre opération : réessayez dans quelques instants"

// connBroken reports whether err is a lost or refused connection.
func connBroken(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") // connection exception, shutdown
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	// pgx reports a connection it closed itself with this text.
	return strings.Contains(err.Error(), "conn closed")
}

// sqliteBusy reports whether err is SQLite's lock held by another
// connection past the busy timeout.
func sqliteBusy(err error) bool {
	var le *sqlite.Error
	if errors.As(err, &le) {
		switch le.Code() {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
			return true
		}
	}
	return false
}

// Transient reports whether err is a database momentarily busy or
// unreachable: the operation may be tried again as it is when it is
// idempotent (the job queue's inserts).
func Transient(err error) bool {
	return connBroken(err) || sqliteBusy(err)
}

// busyBackoff are the waits between the attempts at SQLite's write lock,
// each attempt itself waiting up to the busy timeout.
var busyBackoff = []time.Duration{250 * time.Millisecond, time.Second, 3 * time.Second}

// Retry runs op, and again after a back-off while it fails with a
// transient error (at most len(busyBackoff) more times, until ctx ends).
// Use it only for idempotent operations.
func Retry(ctx context.Context, op func() error) error {
	err := op()
	for _, wait := range busyBackoff {
		if err == nil || !Transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		err = op()
	}
	return err
}

// latestMigration is the highest migration of the engine, as goose reads
// the embedded files (read once, at Open).
func (s *Store) latestMigration() (int64, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, src := range p.ListSources() {
		latest = max(latest, src.Version)
	}
	return latest, nil
}
