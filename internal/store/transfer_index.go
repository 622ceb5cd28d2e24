package store

import (
	"context"
	"database/sql"

	"github.com/sillage/sillage"
)

// PutIndexEntry adds (or refreshes) the index entry of a deactivated
// student, in the transaction that deactivates them.
func (tx CrossTenant) PutIndexEntry(ctx context.Context, e sillage.TransferIndexEntry) error {
	if e.Unqid == "" {
		return sillage.Errorf(sillage.KindInvalid, "un élève sans INE n'entre pas dans l'index")
	}
	_, err := tx.exec(ctx, `INSERT INTO transfer_index (unqid, origin_uai, origin_student_id, diploma, deactivated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (origin_uai, origin_student_id) DO UPDATE SET unqid = excluded.unqid, diploma = excluded.diploma, deactivated_at = excluded.deactivated_at`,
		e.Unqid, e.OriginUAI, e.OriginStudentID, e.Diploma, e.DeactivatedAt)
	return err
}

// DeactivateStudents deactivates these students of uai (at the
// transaction's time) and, in the same transaction, enters each one with
// an unqid in the transfer index (transfer.md §4): the unqid is how another
// establishment finds them, so a student without one is not entered. It
// returns the IDs entered; a student of another establishment is neither
// deactivated nor entered.
func (tx People) DeactivateStudents(ctx context.Context, uai sillage.UAI, students []sillage.Student) ([]int64, error) {
	ids := make([]int64, len(students))
	for i, s := range students {
		ids[i] = s.ID
	}
	if err := tx.Imports().SetPersonsActive(ctx, uai, ids, false); err != nil {
		return nil, err
	}
	var entered []int64
	for _, s := range students {
		if s.Unqid == "" {
			continue
		}
		n, err := tx.execN(ctx, `INSERT INTO transfer_index (unqid, origin_uai, origin_student_id, diploma, deactivated_at)
			SELECT $3, uai, id, $4, $5 FROM persons WHERE uai = $1 AND id = $2
			ON CONFLICT (origin_uai, origin_student_id) DO UPDATE SET unqid = excluded.unqid, diploma = excluded.diploma, deactivated_at = excluded.deactivated_at`,
			uai, s.ID, s.Unqid, s.Diploma, tx.now)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			entered = append(entered, s.ID)
		}
	}
	return entered, nil
}

// ReactivateStudents reactivates these students of uai and, in the same
// transaction, removes their transfer index entries: a student back in
// their establishment is no longer to be transferred. It returns the IDs
// whose entry was removed.
func (tx People) ReactivateStudents(ctx context.Context, uai sillage.UAI, ids []int64) ([]int64, error) {
	if err := tx.Imports().SetPersonsActive(ctx, uai, ids, true); err != nil {
		return nil, err
	}
	var left []int64
	for _, id := range ids {
		removed, err := tx.CrossTenant().RemoveIndexEntry(ctx, uai, id)
		if err != nil {
			return nil, err
		}
		if removed {
			left = append(left, id)
		}
	}
	return left, nil
}

// RemoveIndexEntry removes a student's entry; it reports whether there was one.
func (tx CrossTenant) RemoveIndexEntry(ctx context.Context, uai sillage.UAI, studentID int64) (bool, error) {
	n, err := tx.execN(ctx, `DELETE FROM transfer_index WHERE origin_uai = $1 AND origin_student_id = $2`, uai, studentID)
	return n > 0, err
}

func scanIndexEntry(r scanner) (sillage.TransferIndexEntry, error) {
	var e sillage.TransferIndexEntry
	var u string
	err := r.Scan(&e.Unqid, &u, &e.OriginStudentID, &e.Diploma, ts{&e.DeactivatedAt})
	e.OriginUAI = sillage.UAI(u)
	return e, err
}

// GetIndexEntry returns the entry of one origin student.
func (tx CrossTenant) GetIndexEntry(ctx context.Context, uai sillage.UAI, studentID int64) (sillage.TransferIndexEntry, error) {
	e, err := scanIndexEntry(tx.queryRow(ctx, `SELECT unqid, origin_uai, origin_student_id, diploma, deactivated_at FROM transfer_index
		WHERE origin_uai = $1 AND origin_student_id = $2`, uai, studentID))
	if err == sql.ErrNoRows {
		return e, sillage.Errorf(sillage.KindNotFound, "élève absent de l'index")
	}
	return e, mapErr(err)
}

// CountIndexEntries counts an establishment's entries in the index.
func (tx Transfer) CountIndexEntries(ctx context.Context, uai sillage.UAI) (int, error) {
	return tx.count(ctx, `SELECT COUNT(*) FROM transfer_index WHERE origin_uai = $1`, uai)
}
