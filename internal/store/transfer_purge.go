package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// The weekly purge (transfer.md 6): students deactivated before a cut-off
// are deleted with all their data, their index entries removed and their
// accounts closed when no other person uses them.

// countPurgeableQuery and listPurgeableQuery (followed by the limit) are
// the purge's reads, read by index (persons_deactivated) whatever the
// statistics (TestPersonsReadsUseIndexes).
const (
	countPurgeableQuery = `SELECT uai, COUNT(*) FROM persons WHERE role = 'student' AND deactivated_at IS NOT NULL AND deactivated_at < $1
		GROUP BY uai ORDER BY uai`
	listPurgeableQuery = `SELECT id, account_id FROM persons WHERE uai = $1 AND role = 'student' AND deactivated_at IS NOT NULL
		AND deactivated_at < $2 ORDER BY deactivated_at, id LIMIT `
)

// CountPurgeable returns, per establishment, how many students were
// deactivated before cutoff (across the instance).
func (tx CrossTenant) CountPurgeable(ctx context.Context, cutoff time.Time) (map[sillage.UAI]int, error) {
	rows, err := tx.query(ctx, countPurgeableQuery, cutoff)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[sillage.UAI]int{}
	for rows.Next() {
		var u string
		var n int
		if err := rows.Scan(&u, &n); err != nil {
			return nil, mapErr(err)
		}
		out[sillage.UAI(u)] = n
	}
	return out, mapErr(rows.Err())
}

// PurgeCandidate is a student the purge deletes.
type PurgeCandidate struct {
	ID        int64
	AccountID int64
}

// ListPurgeable returns up to limit students of uai deactivated before
// cutoff, oldest deactivation first.
func (tx CrossTenant) ListPurgeable(ctx context.Context, uai sillage.UAI, cutoff time.Time, limit int) ([]PurgeCandidate, error) {
	return collect(ctx, tx.txn, listPurgeableQuery+itoa(max(limit, 1)), []any{uai, cutoff},
		func(r *sql.Rows) (PurgeCandidate, error) {
			var c PurgeCandidate
			err := r.Scan(&c.ID, nullID{&c.AccountID})
			return c, err
		})
}

// RemoveIndexEntries removes the index entries of these students of uai.
func (tx CrossTenant) RemoveIndexEntries(ctx context.Context, uai sillage.UAI, studentIDs []int64) (int64, error) {
	if len(studentIDs) == 0 {
		return 0, nil
	}
	q, args := inIDs(`DELETE FROM transfer_index WHERE origin_uai = $1`, []any{uai}, "origin_student_id", studentIDs)
	return tx.execN(ctx, q, args...)
}

// DeleteDeactivatedStudents deletes these students of uai — only those
// deactivated before cutoff — with everything hanging from them (their
// results and comments, then the rest by cascade, then their unqid
// versions: deletePersonKeysOf), and returns how many.
func (tx CrossTenant) DeleteDeactivatedStudents(ctx context.Context, uai sillage.UAI, studentIDs []int64, cutoff time.Time) (int64, error) {
	if len(studentIDs) == 0 {
		return 0, nil
	}
	const which = `SELECT id FROM persons WHERE uai = $1 AND role = 'student' AND deactivated_at IS NOT NULL AND deactivated_at < $2`
	q, args := inIDs(which, []any{uai, cutoff}, "id", studentIDs)
	if err := tx.deleteRecordsWhere(ctx, `uai = $1 AND student_id IN (`+q+`)`, args...); err != nil {
		return 0, err
	}
	q, args = inIDs(`DELETE FROM persons WHERE uai = $1 AND role = 'student' AND deactivated_at IS NOT NULL AND deactivated_at < $2`,
		[]any{uai, cutoff}, "id", studentIDs)
	n, err := tx.execN(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	q, args = inIDs(`uai = $1`, []any{uai}, "{id}", studentIDs)
	return n, tx.deletePersonKeysOf(ctx, q, args...)
}

// CloseOrphanAccounts closes, for reason, those of these accounts that no
// person of any establishment uses any more (their sessions end), and
// returns how many it closed.
func (tx CrossTenant) CloseOrphanAccounts(ctx context.Context, accountIDs []int64, reason string) (int64, error) {
	if len(accountIDs) == 0 {
		return 0, nil
	}
	q, args := inIDs(`DELETE FROM sessions WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.account_id = sessions.account_id)`, nil, "account_id", accountIDs)
	if _, err := tx.exec(ctx, q, args...); err != nil {
		return 0, err
	}
	q, args = inIDs(`UPDATE accounts SET closed_at = $1, closed_reason = $2 WHERE closed_at IS NULL AND NOT operator
		AND NOT EXISTS (SELECT 1 FROM persons p WHERE p.account_id = accounts.id)`, []any{tx.now, reason}, "id", accountIDs)
	return tx.execN(ctx, q, args...)
}

// NoteAccountsTransferredTo records, for accounts a transfer closed, the
// establishment that holds the record now (closed_to), so that their owner
// learns it after signing in with the right password.
func (tx CrossTenant) NoteAccountsTransferredTo(ctx context.Context, to map[int64]sillage.UAI) error {
	ids := make([]int64, 0, len(to))
	for id := range to {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, c := range chunks(len(ids), 2, 1) {
		var b strings.Builder
		args := []any{sillage.ClosedTransferred}
		b.WriteString(`WITH v (id, dest) AS (VALUES `)
		for i, id := range ids[c[0]:c[1]] {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, id, string(to[id]))
			fmt.Fprintf(&b, "(CAST($%d AS BIGINT), CAST($%d AS TEXT))", len(args)-1, len(args))
		}
		b.WriteString(`) UPDATE accounts SET closed_to = v.dest FROM v WHERE accounts.id = v.id AND accounts.closed_reason = $1`)
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
