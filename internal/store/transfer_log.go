package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/french"
)

const transferLogCols = `l.id, l.at, l.origin_uai, l.dest_uai, l.origin_student_id, l.dest_student_id, l.done, l.final, l.reason,
	l.dest_name, l.origin_initials, l.counts, l.manifest, COALESCE(o.name, ''), COALESCE(d.name, ''), l.peer`

const transferLogFrom = ` FROM transfer_log l LEFT JOIN establishments o ON o.uai = l.origin_uai LEFT JOIN establishments d ON d.uai = l.dest_uai`

func scanTransferLog(r scanner) (sillage.TransferLogEntry, error) {
	var e sillage.TransferLogEntry
	var o, d string
	err := r.Scan(&e.ID, ts{&e.At}, &o, &d, &e.OriginStudentID, &e.DestStudentID, &e.Done, &e.Final, &e.Reason,
		&e.DestName, &e.OriginInitials, &e.Counts, &e.Manifest, &e.OriginName, &e.DestEstab, &e.Peer)
	e.OriginUAI, e.DestUAI = sillage.UAI(o), sillage.UAI(d)
	return e, err
}

// ListTransferLog returns an establishment's lines on one side, newest first.
func (tx Transfer) ListTransferLog(ctx context.Context, uai sillage.UAI, f sillage.TransferLogFilter) ([]sillage.TransferLogEntry, error) {
	col := "l.dest_uai"
	if f.Side == sillage.TransferOutgoing {
		col = "l.origin_uai"
	}
	q, args := `SELECT `+transferLogCols+transferLogFrom+` WHERE `+col+` = $1`, []any{uai}
	if !f.Since.IsZero() {
		args = append(args, f.Since)
		q += fmt.Sprintf(` AND l.at >= $%d`, len(args))
	}
	if !f.Until.IsZero() {
		args = append(args, f.Until)
		q += fmt.Sprintf(` AND l.at < $%d`, len(args))
	}
	switch f.Done {
	case 1:
		q += ` AND l.done`
	case 2:
		q += ` AND NOT l.done`
	}
	if f.Reason != "" {
		args = append(args, f.Reason)
		q += fmt.Sprintf(` AND l.reason = $%d`, len(args))
	}
	q += ` ORDER BY l.at DESC, l.id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + itoa(f.Limit)
	}
	return collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.TransferLogEntry, error) { return scanTransferLog(r) })
}

// FindTransferLog returns the line of a pair (cross-tenant: the engine's).
func (tx CrossTenant) FindTransferLog(ctx context.Context, destUAI sillage.UAI, destStudentID int64, originUAI sillage.UAI, originStudentID int64) (sillage.TransferLogEntry, error) {
	e, err := scanTransferLog(tx.queryRow(ctx, `SELECT `+transferLogCols+transferLogFrom+`
		WHERE l.dest_uai = $1 AND l.dest_student_id = $2 AND l.origin_uai = $3 AND l.origin_student_id = $4`,
		destUAI, destStudentID, originUAI, originStudentID))
	if err == sql.ErrNoRows {
		return e, sillage.Errorf(sillage.KindNotFound, "transfert introuvable")
	}
	return e, mapErr(err)
}

// ListPendingTransfers returns the establishment's new, active students
// with an unqid that have not received a record, entered in the window, by
// name. Matches (another establishment's active student, an index entry)
// are under any key version, as the transfer run makes them.
func (tx Transfer) ListPendingTransfers(ctx context.Context, uai sillage.UAI, f sillage.PendingTransferFilter) ([]sillage.PendingTransfer, error) {
	args := []any{uai}
	var window, entered string
	if !f.Since.IsZero() {
		args = append(args, f.Since)
		window += fmt.Sprintf(` AND l.at >= $%d`, len(args))
		entered += fmt.Sprintf(` AND p.entered_at >= $%d`, len(args))
	}
	if !f.Until.IsZero() {
		args = append(args, f.Until)
		window += fmt.Sprintf(` AND l.at < $%d`, len(args))
		entered += fmt.Sprintf(` AND p.entered_at < $%d`, len(args))
	}
	pending, err := collect(ctx, tx.txn, `SELECT p.id, p.last_name, p.first_name, COALESCE(d.code, ''), p.entered_at, p.previous_uai, p.previous_name,
		COALESCE((SELECT COALESCE(MAX(CASE WHEN q.uai = p.previous_uai THEN q.uai END), MIN(q.uai)) FROM person_unqids pu JOIN person_unqids qu ON qu.unqid = pu.unqid AND qu.uai <> pu.uai
			JOIN persons q ON q.uai = qu.uai AND q.id = qu.person_id
			WHERE pu.uai = p.uai AND pu.person_id = p.id AND q.role = 'student' AND q.deactivated_at IS NULL), ''),
		EXISTS (SELECT 1 FROM person_unqids pu JOIN transfer_index i ON i.unqid = pu.unqid AND i.origin_uai <> pu.uai
			WHERE pu.uai = p.uai AND pu.person_id = p.id)
		OR EXISTS (SELECT 1 FROM person_unqids pu JOIN person_unqids ou ON ou.unqid = pu.unqid AND ou.uai <> pu.uai
			JOIN transfer_index i ON i.origin_uai = ou.uai AND i.origin_student_id = ou.person_id
			WHERE pu.uai = p.uai AND pu.person_id = p.id),
		EXISTS (SELECT 1 FROM transfer_log l WHERE l.dest_uai = p.uai AND l.dest_student_id = p.id AND NOT l.done`+window+`),
		EXISTS (SELECT 1 FROM person_unqids pu JOIN transfer_index i ON i.unqid = pu.unqid AND i.origin_uai <> pu.uai
			JOIN federation_served fs ON fs.origin_uai = i.origin_uai AND fs.origin_student_id = i.origin_student_id AND fs.state = 'served'
			WHERE pu.uai = p.uai AND pu.person_id = p.id)
		FROM persons p LEFT JOIN divisions d ON d.uai = p.uai AND d.id = p.division_id
		WHERE p.uai = $1 AND p.role = 'student' AND p.transfer_status = 'new' AND p.deactivated_at IS NULL AND p.unqid <> ''`+entered+`
		ORDER BY p.last_name, p.first_name, p.id`, args, func(r *sql.Rows) (sillage.PendingTransfer, error) {
		var p sillage.PendingTransfer
		var prev, active string
		err := r.Scan(&p.StudentID, &p.LastName, &p.FirstName, &p.DivisionCode, ts{&p.EnteredAt}, &prev, &p.PreviousName, &active,
			&p.EntryWaiting, &p.ImpossibleLog, &p.ServedAway)
		p.PreviousUAI, p.ActiveIn = sillage.UAI(prev), sillage.UAI(active)
		return p, err
	})
	french.SortFunc(pending, func(p sillage.PendingTransfer) []string { return []string{p.LastName, p.FirstName} })
	return pending, err
}

// CountTransferLogBefore counts the lines of the transfer log that last
// changed before cutoff (the purge's dry run).
func (tx CrossTenant) CountTransferLogBefore(ctx context.Context, cutoff time.Time) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM transfer_log WHERE at < $1`, cutoff).Scan(&n)
	return n, mapErr(err)
}

// DeleteTransferLogBefore deletes at most limit lines of the transfer log
// that last changed before cutoff, and reports how many. The log holds the
// student's name at the destination: it goes once its retention is over.
func (tx CrossTenant) DeleteTransferLogBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM transfer_log WHERE id IN (SELECT id FROM transfer_log WHERE at < $1 ORDER BY id LIMIT `+itoa(limit)+`)`, cutoff)
	return int(n), err
}
