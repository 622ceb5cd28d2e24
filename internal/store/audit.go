package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sillage/sillage"
)

// SetAuditKey sets the key that seals the audit entries appended from now
// on (at start, before any write; tests).
func (s *Store) SetAuditKey(k sillage.AuditKey) { s.auditKey = k }

// AuditKeyed reports whether new audit entries are sealed under a key.
func (s *Store) AuditKeyed() bool { return s.auditKey != nil }

func (s *Store) sealAudit(e sillage.AuditEntry) string {
	if s.auditKey == nil {
		return e.ComputeHash()
	}
	return s.auditKey.Seal(e)
}

// AppendAudit appends an entry to its establishment's chain, in the caller's
// transaction (so the entry exists exactly when the action does). The
// chain head row serialises concurrent appends to one chain.
func (tx Audit) AppendAudit(ctx context.Context, uai sillage.UAI, e *sillage.AuditEntry) error {
	e.UAI = uai
	if e.At.IsZero() {
		e.At = tx.now
	}
	// Microsecond precision: what both engines store, so the hash verifies.
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if _, err := tx.exec(ctx, `INSERT INTO audit_heads (uai, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (uai) DO NOTHING`, uai, sillage.GenesisHash); err != nil {
		return err
	}
	if err := tx.queryRow(ctx, `UPDATE audit_heads SET seq = seq + 1 WHERE uai = $1 RETURNING seq, hash`, uai).Scan(&e.Seq, &e.PrevHash); err != nil {
		return mapErr(err)
	}
	e.Hash = tx.s.sealAudit(*e)
	if _, err := tx.exec(ctx, `UPDATE audit_heads SET hash = $2 WHERE uai = $1`, uai, e.Hash); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO audit_log (uai, seq, at, actor_id, actor_role, actor_name, action, target, details, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		uai, e.Seq, e.At, e.ActorID, e.ActorRole, e.ActorName, e.Action, e.Target, e.Details, e.PrevHash, e.Hash)
	return err
}

const auditCols = `uai, seq, at, actor_id, actor_role, actor_name, action, target, details, prev_hash, hash`

func scanAudit(r scanner) (sillage.AuditEntry, error) {
	var e sillage.AuditEntry
	var u string
	err := r.Scan(&u, &e.Seq, ts{&e.At}, &e.ActorID, &e.ActorRole, &e.ActorName, &e.Action, &e.Target, &e.Details, &e.PrevHash, &e.Hash)
	e.UAI = sillage.UAI(u)
	return e, err
}

func auditWhere(f sillage.AuditFilter, q string, args []any) (string, []any) {
	if !f.From.IsZero() {
		args = append(args, f.From)
		q += fmt.Sprintf(` AND at >= $%d`, len(args))
	}
	if !f.To.IsZero() {
		args = append(args, f.To)
		q += fmt.Sprintf(` AND at < $%d`, len(args))
	}
	if f.ActorID != 0 {
		args = append(args, f.ActorID)
		q += fmt.Sprintf(` AND actor_id = $%d`, len(args))
	}
	if f.Action != "" {
		args = append(args, f.Action+"%")
		q += fmt.Sprintf(` AND action LIKE $%d`, len(args))
	}
	return q, args
}

// auditPage is the LIMIT and OFFSET of a filter; an offset counts only with a
// limit (SQLite has no OFFSET without LIMIT).
func auditPage(f sillage.AuditFilter) string {
	if f.Limit <= 0 {
		return ""
	}
	return fmt.Sprintf(` LIMIT %d OFFSET %d`, f.Limit, max(f.Offset, 0))
}

// CountAudit counts an establishment's entries that match the filter
// (Limit and Offset aside).
func (tx Audit) CountAudit(ctx context.Context, uai sillage.UAI, f sillage.AuditFilter) (int, error) {
	q, args := auditWhere(f, `SELECT COUNT(*) FROM audit_log WHERE uai = $1`, []any{uai})
	var n int
	return n, mapErr(tx.queryRow(ctx, q, args...).Scan(&n))
}

// CountInstanceAudit counts the entries of every chain that match the filter.
func (tx Audit) CountInstanceAudit(ctx context.Context, f sillage.AuditFilter) (int, error) {
	q, args := auditWhere(f, `SELECT COUNT(*) FROM audit_log WHERE 1 = 1`, nil)
	var n int
	return n, mapErr(tx.queryRow(ctx, q, args...).Scan(&n))
}

// ListAudit returns an establishment's entries, newest first.
func (tx Audit) ListAudit(ctx context.Context, uai sillage.UAI, f sillage.AuditFilter) ([]sillage.AuditEntry, error) {
	q, args := auditWhere(f, `SELECT `+auditCols+` FROM audit_log WHERE uai = $1`, []any{uai})
	q += ` ORDER BY seq DESC` + auditPage(f)
	return collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.AuditEntry, error) { return scanAudit(r) })
}

// ListInstanceAudit returns the entries of every chain, newest first: the
// operator's view across the instance.
func (tx Audit) ListInstanceAudit(ctx context.Context, f sillage.AuditFilter) ([]sillage.AuditEntry, error) {
	q, args := auditWhere(f, `SELECT `+auditCols+` FROM audit_log WHERE 1 = 1`, nil)
	q += ` ORDER BY at DESC, uai, seq DESC` + auditPage(f)
	return collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.AuditEntry, error) { return scanAudit(r) })
}

// AuditChains lists the chains of the instance (” is the instance's own).
func (tx CrossTenant) AuditChains(ctx context.Context) ([]sillage.AuditHead, error) {
	return collect(ctx, tx.txn, `SELECT uai, seq, hash, purged_seq, purged_hash FROM audit_heads ORDER BY uai`, nil,
		func(r *sql.Rows) (sillage.AuditHead, error) {
			var h sillage.AuditHead
			var u string
			err := r.Scan(&u, &h.Seq, &h.Hash, &h.PurgedSeq, &h.PurgedHash)
			h.UAI = sillage.UAI(u)
			return h, err
		})
}

// WalkAudit calls fn for each entry of a chain in order; verification
// reads chains this way without loading them whole.
func (tx Audit) WalkAudit(ctx context.Context, uai sillage.UAI, fn func(sillage.AuditEntry) error) error {
	rows, err := tx.query(ctx, `SELECT `+auditCols+` FROM audit_log WHERE uai = $1 ORDER BY seq`, uai)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return mapErr(err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return mapErr(rows.Err())
}

// PurgeAudit deletes a chain's entries older than before (retention),
// recording where the chain now starts so verification accepts the cut.
func (tx Audit) PurgeAudit(ctx context.Context, uai sillage.UAI, before time.Time) (int, error) {
	var lastSeq int64
	var lastHash string
	err := tx.queryRow(ctx, `SELECT seq, hash FROM audit_log WHERE uai = $1 AND at < $2 ORDER BY seq DESC LIMIT 1`, uai, before).Scan(&lastSeq, &lastHash)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := tx.execN(ctx, `DELETE FROM audit_log WHERE uai = $1 AND seq <= $2`, uai, lastSeq)
	if err != nil {
		return 0, err
	}
	_, err = tx.exec(ctx, `UPDATE audit_heads SET purged_seq = $2, purged_hash = $3 WHERE uai = $1`, uai, lastSeq, lastHash)
	return int(n), err
}
