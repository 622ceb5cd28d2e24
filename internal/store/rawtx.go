package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// DriverTx is a write transaction as the drivers see it, for a library
// that must write inside the same transaction as Sillage (the job queue:
// a job queued by a change commits or rolls back with it). On SQLite SQL
// is the transaction; on PostgreSQL Pgx is the same transaction seen
// through pgx (the connection it runs on).
type DriverTx struct {
	SQL *sql.Tx
	Pgx pgx.Tx
}

// errNestedTx: the library asked for a sub-transaction or tried to end
// Sillage's transaction itself.
var errNestedTx = errors.New("store: the transaction belongs to the store (no nested transaction, no commit or rollback here)")

// Driver runs fn with the driver's view of this write transaction. fn
// must not commit, roll back or keep it.
func (tx *Tx) Driver(ctx context.Context, fn func(DriverTx) error) error {
	if tx.readOnly {
		return errors.New("store: Driver in a read-only transaction")
	}
	tx.issued++
	if tx.s.dsn.Kind != Postgres {
		return fn(DriverTx{SQL: tx.tx})
	}
	return tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: unexpected PostgreSQL driver connection %T", dc)
		}
		return fn(DriverTx{SQL: tx.tx, Pgx: pgxInTx{c: c.Conn()}})
	})
}

// pgxInTx is a pgx.Tx over a connection already inside a transaction
// opened through database/sql: the statements run in that transaction.
// Every method of pgx.Tx is written out, so that the compiler says when a
// new pgx version adds one.
type pgxInTx struct {
	c *pgx.Conn
}

var _ pgx.Tx = pgxInTx{}

func (p pgxInTx) Begin(context.Context) (pgx.Tx, error) { return nil, errNestedTx }
func (p pgxInTx) Commit(context.Context) error          { return errNestedTx }
func (p pgxInTx) Rollback(context.Context) error        { return errNestedTx }
func (p pgxInTx) Conn() *pgx.Conn                       { return p.c }

func (p pgxInTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return p.c.Prepare(ctx, name, sql)
}

// LargeObjects cannot be offered: pgx builds them only over its own
// transaction type (an unexported field), and Sillage stores no large
// object. A library that asks for them gets a clear panic rather than a
// nil dereference deep inside pgx.
func (p pgxInTx) LargeObjects() pgx.LargeObjects {
	panic("store: large objects are not available in a store transaction")
}

func (p pgxInTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return p.c.Exec(ctx, sql, args...)
}

func (p pgxInTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return p.c.Query(ctx, sql, args...)
}

func (p pgxInTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return p.c.QueryRow(ctx, sql, args...)
}

func (p pgxInTx) CopyFrom(ctx context.Context, t pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return p.c.CopyFrom(ctx, t, cols, src)
}

func (p pgxInTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return p.c.SendBatch(ctx, b)
}
