package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// The transfer engine's queries (transfer.md 5). Most of them are
// cross-tenant by design (the index, the log, the sweep over every
// establishment) and take no UAI; the ones that read or write one
// establishment's rows take it right after the context, like every tenant
// method, and filter on it in every statement.

// TransferCandidate is a new, active student with an unqid, and one index
// entry of another establishment that matches them (Entry nil: none).
type TransferCandidate struct {
	UAI          sillage.UAI
	StudentID    int64
	Unqid        string // the newest version
	EnteredAt    time.Time
	Diploma      string
	PreviousUAI  sillage.UAI
	PreviousName string
	Entry        *IndexEntry
}

// transferMatches is the CTE "m (uai, sid, ou, os)": every pair of a student
// (uai, sid) and an index entry of another establishment (ou, os) that
// match under some key version (transfer.md 2, "matched under both
// versions"): the entry's unqid is one of the student's versions, or the
// origin student and this one share a version. The second way finds an
// entry made under the newest key for a student only known here under an
// older one, so the result is the same whatever the order of the imports.
const transferMatches = `m (uai, sid, ou, os) AS (
		SELECT du.uai, du.person_id, i.origin_uai, i.origin_student_id
		FROM person_unqids du JOIN transfer_index i ON i.unqid = du.unqid AND i.origin_uai <> du.uai
		UNION
		SELECT du.uai, du.person_id, i.origin_uai, i.origin_student_id
		FROM transfer_index i JOIN person_unqids ou ON ou.uai = i.origin_uai AND ou.person_id = i.origin_student_id
		JOIN person_unqids du ON du.unqid = ou.unqid AND du.uai <> i.origin_uai)`

// ListTransferCandidates returns every new, active student of the instance
// that has an unqid, once per index entry of another establishment that
// matches them under any key version (once with a nil Entry when there is
// none), by establishment, student and deactivation date.
func (tx *Tx) ListTransferCandidates(ctx context.Context) ([]TransferCandidate, error) {
	return collect(ctx, tx, `WITH `+transferMatches+`
		SELECT p.uai, p.id, p.unqid, p.entered_at, p.diploma, p.previous_uai, p.previous_name,
		i.unqid, i.origin_uai, i.origin_student_id, i.diploma, i.deactivated_at
		FROM persons p LEFT JOIN m ON m.uai = p.uai AND m.sid = p.id
		LEFT JOIN transfer_index i ON i.origin_uai = m.ou AND i.origin_student_id = m.os
		WHERE p.role = 'student' AND p.transfer_status = 'new' AND p.deactivated_at IS NULL AND p.unqid <> ''
		ORDER BY p.uai, p.id, i.deactivated_at, i.origin_uai`, nil, func(r *sql.Rows) (TransferCandidate, error) {
		var c TransferCandidate
		var uai, prev string
		var oUnqid, oUAI, oDiploma sql.NullString
		var oID sql.NullInt64
		var oAt time.Time
		err := r.Scan(&uai, &c.StudentID, &c.Unqid, ts{&c.EnteredAt}, &c.Diploma, &prev, &c.PreviousName, &oUnqid, &oUAI, &oID, &oDiploma, ts{&oAt})
		c.UAI, c.PreviousUAI = sillage.UAI(uai), sillage.UAI(prev)
		if oUAI.Valid {
			c.Entry = &IndexEntry{Unqid: oUnqid.String, OriginUAI: sillage.UAI(oUAI.String), OriginStudentID: oID.Int64, Diploma: oDiploma.String, DeactivatedAt: oAt}
		}
		return c, err
	})
}

// StudentRef names a student of an establishment.
type StudentRef struct {
	UAI       sillage.UAI `json:"uai"`
	StudentID int64       `json:"eleve"`
}

// ListStudentsToSettle returns the new students entered before cutoff
// (transfer.md 5 step 1), across the instance.
func (tx *Tx) ListStudentsToSettle(ctx context.Context, cutoff time.Time) ([]StudentRef, error) {
	return collect(ctx, tx, `SELECT uai, id FROM persons WHERE role = 'student' AND transfer_status = 'new' AND entered_at < $1
		ORDER BY uai, id`, []any{cutoff}, func(r *sql.Rows) (StudentRef, error) {
		var s StudentRef
		var u string
		err := r.Scan(&u, &s.StudentID)
		s.UAI = sillage.UAI(u)
		return s, err
	})
}

// SettleNewStudents marks settled every new student entered before cutoff,
// across the instance, and returns how many.
func (tx *Tx) SettleNewStudents(ctx context.Context, cutoff time.Time) (int64, error) {
	return tx.execN(ctx, `UPDATE persons SET transfer_status = 'settled' WHERE role = 'student' AND transfer_status = 'new' AND entered_at < $1`, cutoff)
}

// FindActiveElsewhere returns, for each of these students, the
// establishments other than their own where an active student shares one
// of their unqid versions ("still active in <UAI>"), each once, in order.
func (tx *Tx) FindActiveElsewhere(ctx context.Context, refs []StudentRef) (map[StudentRef][]sillage.UAI, error) {
	out := map[StudentRef][]sillage.UAI{}
	for _, c := range chunks(len(refs), 2, 0) {
		cte, args := refsCTE("r", refs[c[0]:c[1]], nil)
		type row struct {
			ref   StudentRef
			other sillage.UAI
		}
		rows, err := collect(ctx, tx, `WITH `+cte+` SELECT DISTINCT pu.uai, pu.person_id, q.uai
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

// DeleteIndexEntry claims a student's index entry for a transfer: it is
// deleted and returned, inside the caller's transaction. Of two runs
// claiming the same entry at once, one gets it and the other gets "not
// found" (PostgreSQL makes the second wait on the row lock until the first
// ends; SQLite has one writer). A transfer that turns out impossible puts
// the entry back with PutIndexEntry in the same transaction.
func (tx *Tx) DeleteIndexEntry(ctx context.Context, uai sillage.UAI, studentID int64) (IndexEntry, error) {
	e, err := scanIndexEntry(tx.queryRow(ctx, `DELETE FROM transfer_index WHERE origin_uai = $1 AND origin_student_id = $2
		RETURNING unqid, origin_uai, origin_student_id, diploma, deactivated_at`, uai, studentID))
	if err == sql.ErrNoRows {
		return IndexEntry{}, sillage.Errorf(sillage.KindNotFound, "élève absent de l'index")
	}
	if err != nil {
		return IndexEntry{}, mapErr(err)
	}
	return e, nil
}

// FormerEstablishmentName is the name of the generic author of the
// evaluations a transfer brings in (transfer.md 5, the seed's « ancien
// établissement »).
const FormerEstablishmentName = "Ancien établissement"

// UpsertSystemAuthor returns the id of the establishment's generic author
// "ancien établissement" (role system, no account), creating it on first
// use. Two transactions creating it at once end with one row: the second
// waits on the unique index and finds the first one's.
func (tx *Tx) UpsertSystemAuthor(ctx context.Context, uai sillage.UAI) (int64, error) {
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

// TransferRecord is what a transfer moves of one student: the live
// evaluations where they have a result or a comment (with their results and
// comment only), and their live sheets with the files.
type TransferRecord struct {
	Evaluations []TransferEvaluation
	Sheets      []sillage.Sheet // AuthorName resolved, Attachments filled
}

// TransferEvaluation is an origin evaluation with the student's part.
type TransferEvaluation struct {
	ID                 int64
	Title              string
	Date               sillage.Date
	Level              string
	Diploma            string
	SchoolYear         sillage.SchoolYear
	ReferentialID      int64
	ReferentialDiploma string
	Results            []TransferResult // by competence code
	Comment            string
	HasComment         bool
}

// TransferResult is one result with its competence.
type TransferResult struct {
	CompetenceID  int64
	ReferentialID int64
	Code          string
	Value         string
}

// GetTransferRecord reads what a transfer of the student would move.
func (tx *Tx) GetTransferRecord(ctx context.Context, uai sillage.UAI, studentID int64) (TransferRecord, error) {
	ref := StudentRef{UAI: uai, StudentID: studentID}
	recs, err := tx.GetTransferRecords(ctx, []StudentRef{ref})
	return recs[ref], err
}

// UpsertTransferReferentials makes sure the destination dest has, for each
// referential of origin in refIDs, the referential of the same diploma
// (copied with all its competences when absent), and in it every competence
// of competenceIDs (origin ids) by code (copied when missing). It returns
// how many referentials and competences it created.
func (tx *Tx) UpsertTransferReferentials(ctx context.Context, dest sillage.UAI, origin sillage.UAI, refIDs, competenceIDs []int64) (refs, comps int, err error) {
	if len(refIDs) == 0 {
		return 0, 0, nil
	}
	needed := make(map[int64]bool, len(competenceIDs))
	for _, id := range competenceIDs {
		needed[id] = true
	}
	for _, refID := range refIDs {
		src, err := tx.GetReferential(ctx, origin, refID)
		if sillage.KindOf(err) == sillage.KindNotFound {
			continue
		}
		if err != nil {
			return refs, comps, err
		}
		dst, err := tx.GetReferentialByDiploma(ctx, dest, src.Diploma)
		if sillage.KindOf(err) == sillage.KindNotFound {
			cp := sillage.Referential{Diploma: src.Diploma, Kind: src.Kind, Label: src.Label}
			for _, c := range src.Competences {
				cp.Competences = append(cp.Competences, sillage.Competence{Domain: c.Domain, Code: c.Code, Label: c.Label, Position: c.Position})
			}
			if err := tx.CreateReferential(ctx, dest, &cp); err != nil {
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
			if err := tx.CreateCompetence(ctx, dest, &nc); err != nil {
				return refs, comps, err
			}
			have[c.Code] = true
			comps++
		}
	}
	return refs, comps, nil
}

// IDPair maps an origin id to the id of its copy.
type IDPair struct{ Old, New int64 }

// idMap writes the CTE "m(old_id, new_id)" of pairs, numbering parameters
// after the first n. The casts type the parameters on PostgreSQL (a bare
// parameter in VALUES would be text).
func idMap(pairs []IDPair, n int) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 2*len(pairs))
	b.WriteString("WITH m (old_id, new_id) AS (VALUES ")
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(CAST($%d AS BIGINT), CAST($%d AS BIGINT))", n+2*i+1, n+2*i+2)
		args = append(args, p.Old, p.New)
	}
	b.WriteString(") ")
	return b.String(), args
}

// InsertTransferEvaluations creates in dest a copy of each origin
// evaluation of pairs (Old at origin, New its id in dest): same title, date,
// level, diploma and school year, authored by authorID, in dest's
// referential of the same diploma, tied to no division, origin_uai kept when
// already set (a record that moved twice) or set to origin.
func (tx *Tx) InsertTransferEvaluations(ctx context.Context, dest sillage.UAI, origin sillage.UAI, authorID int64, pairs []IDPair) (int64, error) {
	if len(pairs) == 0 {
		return 0, nil
	}
	cte, args := idMap(pairs, 4)
	return tx.execN(ctx, cte+`INSERT INTO evaluations (uai, id, title, date, level, diploma, referential_id, author_id, division_id,
		school_year, origin_uai, created_at)
		SELECT $1, m.new_id, e.title, e.date, e.level, e.diploma, dr.id, CAST($3 AS BIGINT), NULL, e.school_year,
			CASE WHEN e.origin_uai <> '' THEN e.origin_uai ELSE $2 END, $4
		FROM m JOIN evaluations e ON e.uai = $2 AND e.id = m.old_id
		JOIN referentials r ON r.uai = e.uai AND r.id = e.referential_id
		JOIN referentials dr ON dr.uai = $1 AND dr.diploma = r.diploma`,
		append([]any{dest, origin, authorID, tx.now}, args...)...)
}

// InsertTransferResults copies the origin student's results of the
// evaluations of pairs to the copies, for the destination student, each
// competence mapped by code into dest's referential of the same diploma.
func (tx *Tx) InsertTransferResults(ctx context.Context, dest sillage.UAI, origin sillage.UAI, originStudentID, destStudentID int64, pairs []IDPair) (int64, error) {
	if len(pairs) == 0 {
		return 0, nil
	}
	cte, args := idMap(pairs, 4)
	return tx.execN(ctx, cte+`INSERT INTO results (uai, evaluation_id, student_id, competence_id, value)
		SELECT $1, m.new_id, CAST($3 AS BIGINT), dc.id, x.value
		FROM m JOIN results x ON x.uai = $2 AND x.evaluation_id = m.old_id AND x.student_id = $4
		JOIN competences oc ON oc.uai = x.uai AND oc.id = x.competence_id
		JOIN referentials orf ON orf.uai = oc.uai AND orf.id = oc.referential_id
		JOIN referentials drf ON drf.uai = $1 AND drf.diploma = orf.diploma
		JOIN competences dc ON dc.uai = drf.uai AND dc.referential_id = drf.id AND dc.code = oc.code`,
		append([]any{dest, origin, destStudentID, originStudentID}, args...)...)
}

// InsertTransferComments copies the origin student's comments of the
// evaluations of pairs to the copies, for the destination student.
func (tx *Tx) InsertTransferComments(ctx context.Context, dest sillage.UAI, origin sillage.UAI, originStudentID, destStudentID int64, pairs []IDPair) (int64, error) {
	if len(pairs) == 0 {
		return 0, nil
	}
	cte, args := idMap(pairs, 4)
	return tx.execN(ctx, cte+`INSERT INTO comments (uai, evaluation_id, student_id, text)
		SELECT $1, m.new_id, CAST($3 AS BIGINT), c.text
		FROM m JOIN comments c ON c.uai = $2 AND c.evaluation_id = m.old_id AND c.student_id = $4`,
		append([]any{dest, origin, destStudentID, originStudentID}, args...)...)
}

// InsertTransferSheets copies the origin student's live sheets to dest for
// the destination student, keeping their ids (unique in the instance): the
// evaluating teacher, a person of the origin, is kept by name (author_id 0,
// author_name set).
func (tx *Tx) InsertTransferSheets(ctx context.Context, dest sillage.UAI, origin sillage.UAI, originStudentID, destStudentID int64) (int64, error) {
	return tx.execN(ctx, `INSERT INTO sheets (uai, id, student_id, kind, title, description, context, class, pfmp_start, pfmp_end,
		host, activities, author_id, author_name, result, comment, origin_uai, created_at, updated_at)
		SELECT $1, s.id, CAST($3 AS BIGINT), s.kind, s.title, s.description, s.context, s.class, s.pfmp_start, s.pfmp_end,
			s.host, s.activities, 0,
			COALESCE((SELECT p.last_name || ' ' || p.first_name FROM persons p WHERE p.uai = s.uai AND p.id = s.author_id), s.author_name),
			s.result, s.comment, CASE WHEN s.origin_uai <> '' THEN s.origin_uai ELSE $2 END, s.created_at, s.updated_at
		FROM sheets s WHERE s.uai = $2 AND s.student_id = $4 AND s.deleted_at IS NULL`, dest, origin, destStudentID, originStudentID)
}

// InsertTransferAttachments re-creates in dest the rows of the files of the
// origin student's live sheets (already copied by InsertTransferSheets),
// keeping ids, names and blob hashes: the references move, the bytes stay
// in the content-addressed store.
func (tx *Tx) InsertTransferAttachments(ctx context.Context, dest sillage.UAI, origin sillage.UAI, originStudentID, destStudentID int64) (int64, error) {
	return tx.execN(ctx, `INSERT INTO attachments (uai, id, sheet_id, name, sha256, size, content_type, uploaded_at, uploaded_by)
		SELECT $1, a.id, a.sheet_id, a.name, a.sha256, a.size, a.content_type, a.uploaded_at,
			CASE WHEN a.uploaded_by = $4 THEN CAST($3 AS BIGINT) ELSE 0 END
		FROM attachments a JOIN sheets s ON s.uai = a.uai AND s.id = a.sheet_id
		WHERE a.uai = $2 AND s.student_id = $4 AND s.deleted_at IS NULL`, dest, origin, destStudentID, originStudentID)
}

// CountAccountPersons counts the persons, in any establishment, an account
// is linked to: a transfer or a purge closes an account left with none.
func (tx *Tx) CountAccountPersons(ctx context.Context, accountID int64) (int, error) {
	return tx.count(ctx, `SELECT COUNT(*) FROM persons WHERE account_id = $1`, accountID)
}
