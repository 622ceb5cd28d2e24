package storetest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sillage/sillage/internal/store"
)

// RawLoad is the physical limit a bulk-writing benchmark is compared to:
// it loads rows into raw_<table>, a table with table's columns and nothing
// else (no key, no index, no foreign key, no default), made on first use.
// PostgreSQL gets one COPY, SQLite one prepared single-row INSERT per row
// in one transaction: the fastest way each engine takes rows, with none of
// Sillage's code in between. The rows are committed (synchronously, as
// production commits) and kept, so the table grows as the real one does.
func RawLoad(ctx context.Context, st *store.Store, table string, cols []string, rows [][]any) error {
	raw := "raw_" + table
	db := st.SQLDB()
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+raw+" AS SELECT "+strings.Join(cols, ", ")+" FROM "+table+" WHERE 1 = 0"); err != nil {
		return fmt.Errorf("raw table %s: %w", raw, err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if st.Kind() == store.Postgres {
		return conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("raw load: a pgx connection is needed, got %T", dc)
			}
			_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{raw}, cols, pgx.CopyFromRows(rows))
			return err
		})
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO "+raw+" ("+strings.Join(cols, ", ")+") VALUES (?"+strings.Repeat(", ?", len(cols)-1)+")")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("raw insert into %s: %w", raw, err)
		}
	}
	return tx.Commit()
}
