package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sillage/sillage"
)

// The transfer engine's queries (transfer.md 5). Most of them are
// cross-tenant by design (the index, the log, the sweep over every
// establishment) and take no UAI; the ones that read or write one
// establishment's rows take it right after the context, like every tenant
// method, and filter on it in every statement.

// transferMatches is the CTE "m (uai, sid, ou, os)": every pair of a student
// (uai, sid) and an index entry of another establishment (ou, os) that
// match under some key version (transfer.md 2, "matched under both
// versions"): the entry's unqid is one of the student's versions, or the
// origin student and this one share a version. The second way finds an
// entry made under the newest key for a student only known here under an
// older one, so the result is the same whatever the order of the imports.
//
// The index (the departures) drives both halves through CROSS JOIN, which
// SQLite keeps in the written order: without statistics (a real instance
// has only those PRAGMA optimize gathered) its planner would scan every
// student's unqids instead, twice per run. PostgreSQL plans CROSS JOIN …
// WHERE like any inner join.
const transferMatches = `m (uai, sid, ou, os) AS (
		SELECT du.uai, du.person_id, i.origin_uai, i.origin_student_id
		FROM transfer_index i CROSS JOIN person_unqids du
		WHERE du.unqid = i.unqid AND du.uai <> i.origin_uai
		UNION
		SELECT du.uai, du.person_id, i.origin_uai, i.origin_student_id
		FROM transfer_index i CROSS JOIN person_unqids ou CROSS JOIN person_unqids du
		WHERE ou.uai = i.origin_uai AND ou.person_id = i.origin_student_id AND du.unqid = ou.unqid AND du.uai <> i.origin_uai)`

// transferCandidatesQuery is ListTransferCandidates' statement (a constant
// so that a test can check its plan).
const transferCandidatesQuery = `WITH ` + transferMatches + `
		SELECT p.uai, p.id, p.unqid, p.entered_at, p.diploma, p.previous_uai, p.previous_name,
		i.unqid, i.origin_uai, i.origin_student_id, i.diploma, i.deactivated_at
		FROM persons p LEFT JOIN m ON m.uai = p.uai AND m.sid = p.id
		LEFT JOIN transfer_index i ON i.origin_uai = m.ou AND i.origin_student_id = m.os
		WHERE p.role = 'student' AND p.transfer_status = 'new' AND p.deactivated_at IS NULL AND p.unqid <> ''
		ORDER BY p.uai, p.id, i.deactivated_at, i.origin_uai`

// ListTransferCandidates returns every new, active student of the instance
// that has an unqid, once per index entry of another establishment that
// matches them under any key version (once with a nil Entry when there is
// none), by establishment, student and deactivation date.
func (tx CrossTenant) ListTransferCandidates(ctx context.Context) ([]sillage.TransferCandidate, error) {
	return collect(ctx, tx.txn, transferCandidatesQuery, nil, func(r *sql.Rows) (sillage.TransferCandidate, error) {
		var c sillage.TransferCandidate
		var uai, prev string
		var oUnqid, oUAI, oDiploma sql.NullString
		var oID sql.NullInt64
		var oAt time.Time
		err := r.Scan(&uai, &c.StudentID, &c.Unqid, ts{&c.EnteredAt}, &c.Diploma, &prev, &c.PreviousName, &oUnqid, &oUAI, &oID, &oDiploma, ts{&oAt})
		c.UAI, c.PreviousUAI = sillage.UAI(uai), sillage.UAI(prev)
		if oUAI.Valid {
			c.Entry = &sillage.TransferIndexEntry{Unqid: oUnqid.String, OriginUAI: sillage.UAI(oUAI.String), OriginStudentID: oID.Int64, Diploma: oDiploma.String, DeactivatedAt: oAt}
		}
		return c, err
	})
}

// ListStudentsToSettle returns the new students entered before cutoff
// (transfer.md 5 step 1), across the instance.
func (tx CrossTenant) ListStudentsToSettle(ctx context.Context, cutoff time.Time) ([]sillage.StudentRef, error) {
	return collect(ctx, tx.txn, `SELECT uai, id FROM persons WHERE role = 'student' AND transfer_status = 'new' AND entered_at < $1
		ORDER BY uai, id`, []any{cutoff}, func(r *sql.Rows) (sillage.StudentRef, error) {
		var s sillage.StudentRef
		var u string
		err := r.Scan(&u, &s.StudentID)
		s.UAI = sillage.UAI(u)
		return s, err
	})
}

// SettleNewStudents marks settled every new student entered before cutoff,
// across the instance, and returns how many.
func (tx CrossTenant) SettleNewStudents(ctx context.Context, cutoff time.Time) (int64, error) {
	return tx.execN(ctx, `UPDATE persons SET transfer_status = 'settled' WHERE role = 'student' AND transfer_status = 'new' AND entered_at < $1`, cutoff)
}

// FindActiveElsewhere returns, for each of these students, the
// establishments other than their own where an active student shares one
// of their unqid versions ("still active in <UAI>"), each once, in order.
func (tx CrossTenant) FindActiveElsewhere(ctx context.Context, refs []sillage.StudentRef) (map[sillage.StudentRef][]sillage.UAI, error) {
	out := map[sillage.StudentRef][]sillage.UAI{}
	for _, c := range chunks(len(refs), 2, 0) {
		cte, args := refsCTE("r", refs[c[0]:c[1]], nil)
		type row struct {
			ref   sillage.StudentRef
			other sillage.UAI
		}
		rows, err := collect(ctx, tx.txn, `WITH `+cte+` SELECT DISTINCT pu.uai, pu.person_id, q.uai
			FROM r JOIN person_unqids pu ON pu.uai = r.uai AND pu.person_id = r.sid
			JOIN person_unqids qu ON qu.unqid = pu.unqid AND qu.uai <> pu.uai
			JOIN persons q ON q.uai = qu.uai AND q.id = qu.person_id
			WHERE q.role = 'student' AND q.deactivated_at IS NULL
			ORDER BY pu.uai, pu.person_id, q.uai`, args, func(r *sql.Rows) (row, error) {
			var x row
			var u, other string
			err := r.Scan(&u, &x.ref.StudentID, &other)
			x.ref.UAI, x.other = sillage.UAI(u), sillage.UAI(other)
			return x, err
		})
		if err != nil {
			return nil, err
		}
		for _, x := range rows {
			out[x.ref] = append(out[x.ref], x.other)
		}
	}
	return out, nil
}

// FormerEstablishmentName is the name of the generic author of the
// evaluations a transfer brings in (transfer.md 5, the seed's « ancien
// établissement »).
const FormerEstablishmentName = "Ancien établissement"

// UpsertSystemAuthor returns the id of the establishment's generic author
// "ancien établissement" (role system, no account), creating it on first
// use. Two transactions creating it at once end with one row: the second
// waits on the unique index and finds the first one's.
func (tx CrossTenant) UpsertSystemAuthor(ctx context.Context, uai sillage.UAI) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM persons WHERE uai = $1 AND role = 'system'`, uai).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err != sql.ErrNoRows {
		return 0, mapErr(err)
	}
	id, err = tx.NewID(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO persons (uai, id, role, last_name, first_name, source, created_at, updated_at)
		VALUES ($1, $2, 'system', $3, '', 'system', $4, $4) ON CONFLICT (uai) WHERE role = 'system' DO NOTHING`,
		uai, id, FormerEstablishmentName, tx.now); err != nil {
		return 0, err
	}
	err = tx.queryRow(ctx, `SELECT id FROM persons WHERE uai = $1 AND role = 'system'`, uai).Scan(&id)
	return id, mapErr(err)
}

// GetTransferRecord reads what a transfer of the student would move.
func (tx CrossTenant) GetTransferRecord(ctx context.Context, uai sillage.UAI, studentID int64) (sillage.TransferRecord, error) {
	ref := sillage.StudentRef{UAI: uai, StudentID: studentID}
	recs, err := tx.GetTransferRecords(ctx, []sillage.StudentRef{ref})
	return recs[ref], err
}

// UpsertTransferReferentials makes sure the destination dest has, for each
// referential of origin in refIDs, the referential of the same diploma
// (copied with all its competences when absent), and in it every competence
// of competenceIDs (origin ids) by code (copied when missing). It returns
// how many referentials and competences it created.
func (tx CrossTenant) UpsertTransferReferentials(ctx context.Context, dest sillage.UAI, origin sillage.UAI, refIDs, competenceIDs []int64) (refs, comps int, err error) {
	if len(refIDs) == 0 {
		return 0, 0, nil
	}
	needed := make(map[int64]bool, len(competenceIDs))
	for _, id := range competenceIDs {
		needed[id] = true
	}
	for _, refID := range refIDs {
		src, err := tx.Records().GetReferential(ctx, origin, refID)
		if sillage.KindOf(err) == sillage.KindNotFound {
			continue
		}
		if err != nil {
			return refs, comps, err
		}
		dst, err := tx.Records().GetReferentialByDiploma(ctx, dest, src.Diploma)
		if sillage.KindOf(err) == sillage.KindNotFound {
			cp := sillage.Referential{Diploma: src.Diploma, Kind: src.Kind, Label: src.Label}
			for _, c := range src.Competences {
				cp.Competences = append(cp.Competences, sillage.Competence{Domain: c.Domain, Code: c.Code, Label: c.Label, Position: c.Position})
			}
			if err := tx.Records().CreateReferential(ctx, dest, &cp); err != nil {
				return refs, comps, err
			}
			refs++
			comps += len(cp.Competences)
			continue
		}
		if err != nil {
			return refs, comps, err
		}
		have := make(map[string]bool, len(dst.Competences))
		last := 0
		for _, c := range dst.Competences {
			have[c.Code] = true
			last = max(last, c.Position)
		}
		for _, c := range src.Competences {
			if !needed[c.ID] || have[c.Code] {
				continue
			}
			last++
			nc := sillage.Competence{ReferentialID: dst.ID, Domain: c.Domain, Code: c.Code, Label: c.Label, Position: last}
			if err := tx.Records().CreateCompetence(ctx, dest, &nc); err != nil {
				return refs, comps, err
			}
			have[c.Code] = true
			comps++
		}
	}
	return refs, comps, nil
}
