package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// Set-based statements of the transfer engine: a batch of transfers moves
// in one transaction with a handful of INSERT … SELECT statements, instead
// of a dozen statements per student. Identifiers are unique in the
// instance, so a student or an evaluation is named by its id alone; the
// UAI travels beside it for the indexes.

// TransferPair is one transfer of a batch: the origin student, the
// destination student, and the destination's generic author.
type TransferPair struct {
	OriginUAI       sillage.UAI
	OriginStudentID int64
	DestUAI         sillage.UAI
	DestStudentID   int64
	AuthorID        int64
}

// maxParams keeps statements under SQLite's parameter limit (32766).
const maxParams = 30000

// refsCTE writes "name (uai, sid) AS (VALUES …)" for refs.
func refsCTE(name string, refs []sillage.StudentRef, args []any) (string, []any) {
	var b strings.Builder
	b.WriteString(name + " (uai, sid) AS (VALUES ")
	for i, r := range refs {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, string(r.UAI), r.StudentID)
		fmt.Fprintf(&b, "($%d, CAST($%d AS BIGINT))", len(args)-1, len(args))
	}
	b.WriteString(")")
	return b.String(), args
}

// chunks splits n items so that each chunk's statement stays under the
// parameter limit, per items of perItem parameters beside fixed ones.
func chunks(n, perItem, fixed int) [][2]int {
	size := max(1, (maxParams-fixed)/perItem)
	var out [][2]int
	for start := 0; start < n; start += size {
		out = append(out, [2]int{start, min(n, start+size)})
	}
	return out
}

// DeleteIndexEntries claims the index entries of these origin students for
// a batch of transfers: they are deleted and returned, inside the caller's
// transaction. Of two runs claiming the same entry at once, one gets it and
// the other does not find it (PostgreSQL makes the second wait on the row
// lock until the first ends; SQLite has one writer). A transfer that turns
// out impossible puts its entry back with PutIndexEntries in the same
// transaction.
func (tx CrossTenant) DeleteIndexEntries(ctx context.Context, refs []sillage.StudentRef) ([]sillage.TransferIndexEntry, error) {
	var out []sillage.TransferIndexEntry
	for _, c := range chunks(len(refs), 2, 0) {
		cte, args := refsCTE("r", refs[c[0]:c[1]], nil)
		es, err := collect(ctx, tx.txn, `WITH `+cte+` DELETE FROM transfer_index WHERE (origin_uai, origin_student_id) IN (SELECT uai, sid FROM r)
			RETURNING unqid, origin_uai, origin_student_id, diploma, deactivated_at`, args,
			func(r *sql.Rows) (sillage.TransferIndexEntry, error) { return scanIndexEntry(r) })
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// PutIndexEntries puts entries back (an impossible transfer keeps its entry).
func (tx CrossTenant) PutIndexEntries(ctx context.Context, entries []sillage.TransferIndexEntry) error {
	for _, e := range entries {
		if err := tx.PutIndexEntry(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// ListStudentsByRef returns the students named by refs (any establishment),
// those that exist.
func (tx CrossTenant) ListStudentsByRef(ctx context.Context, refs []sillage.StudentRef) ([]sillage.Student, error) {
	var out []sillage.Student
	for _, c := range chunks(len(refs), 2, 0) {
		cte, args := refsCTE("r", refs[c[0]:c[1]], nil)
		// A filter, not a join: the student columns are unqualified and r
		// has a uai column too (PostgreSQL refuses the ambiguity).
		ss, err := collect(ctx, tx.txn, `WITH `+cte+` SELECT `+studentCols+` FROM persons
			WHERE role = 'student' AND (uai, id) IN (SELECT uai, sid FROM r)`, args, func(r *sql.Rows) (sillage.Student, error) { return scanStudent(r) })
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	return out, nil
}

// transferEvalCols are the evaluation columns of a transfer record's reads.
const transferEvalCols = `e.id, e.title, e.date, e.level, e.diploma, e.school_year, e.referential_id, rf.diploma`

// transferResultsQuery reads the results of the students of the CTE r (the
// bulk of a transfer record; a constant so that a test can check its plan).
const transferResultsQuery = ` SELECT x.student_id, ` + transferEvalCols + `, x.competence_id, c.referential_id, crf.diploma, c.code, x.value
			FROM r JOIN results x ON x.uai = r.uai AND x.student_id = r.sid
			JOIN evaluations e ON e.uai = x.uai AND e.id = x.evaluation_id AND e.deleted_at IS NULL
			JOIN referentials rf ON rf.uai = e.uai AND rf.id = e.referential_id
			JOIN competences c ON c.uai = x.uai AND c.id = x.competence_id
			JOIN referentials crf ON crf.uai = c.uai AND crf.id = c.referential_id
			ORDER BY x.student_id, e.id, c.code`

// GetTransferRecords reads what a transfer moves for each of these origin
// students (see TransferRecord): their results and comments with their
// live evaluations, their live sheets with files. Students with nothing get
// an empty record.
func (tx CrossTenant) GetTransferRecords(ctx context.Context, refs []sillage.StudentRef) (map[sillage.StudentRef]sillage.TransferRecord, error) {
	out := make(map[sillage.StudentRef]sillage.TransferRecord, len(refs))
	type evalKey struct{ student, eval int64 }
	for _, c := range chunks(len(refs), 2, 0) {
		part := refs[c[0]:c[1]]
		evals := map[evalKey]*sillage.TransferEvaluation{}
		order := map[int64][]evalKey{}
		addEval := func(student int64, e sillage.TransferEvaluation) *sillage.TransferEvaluation {
			k := evalKey{student, e.ID}
			if p, ok := evals[k]; ok {
				return p
			}
			p := &e
			evals[k] = p
			order[student] = append(order[student], k)
			return p
		}
		var year int64
		evalDest := func(e *sillage.TransferEvaluation) []any {
			return []any{&e.ID, &e.Title, dt{&e.Date}, &e.Level, &e.Diploma, &year, &e.ReferentialID, &e.ReferentialDiploma}
		}
		cte, args := refsCTE("r", part, nil)
		rows, err := tx.query(ctx, `WITH `+cte+transferResultsQuery, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var sid int64
			var e sillage.TransferEvaluation
			var res sillage.TransferResult
			dest := append(append([]any{&sid}, evalDest(&e)...), &res.CompetenceID, &res.ReferentialID, &res.ReferentialDiploma, &res.Code, &res.Value)
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, mapErr(err)
			}
			e.SchoolYear = sillage.SchoolYear(year)
			p := addEval(sid, e)
			p.Results = append(p.Results, res)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
		rows, err = tx.query(ctx, `WITH `+cte+` SELECT x.student_id, `+transferEvalCols+`, x.text
			FROM r JOIN comments x ON x.uai = r.uai AND x.student_id = r.sid
			JOIN evaluations e ON e.uai = x.uai AND e.id = x.evaluation_id AND e.deleted_at IS NULL
			JOIN referentials rf ON rf.uai = e.uai AND rf.id = e.referential_id
			ORDER BY x.student_id, e.id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var sid int64
			var e sillage.TransferEvaluation
			var text string
			if err := rows.Scan(append(append([]any{&sid}, evalDest(&e)...), &text)...); err != nil {
				rows.Close()
				return nil, mapErr(err)
			}
			e.SchoolYear = sillage.SchoolYear(year)
			p := addEval(sid, e)
			p.Comment, p.HasComment = text, true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
		sheets, err := collect(ctx, tx.txn, `WITH `+cte+` SELECT `+sheetCols+` FROM r JOIN sheets s ON s.uai = r.uai AND s.student_id = r.sid
			WHERE s.deleted_at IS NULL ORDER BY s.student_id, s.created_at DESC, s.id DESC`, args,
			func(r *sql.Rows) (sillage.Sheet, error) { return scanSheet(r) })
		if err != nil {
			return nil, err
		}
		atts, err := collect(ctx, tx.txn, `WITH `+cte+` SELECT a.uai, a.id, a.sheet_id, a.name, a.sha256, a.size, a.content_type, a.uploaded_at, a.uploaded_by
			FROM r JOIN sheets s ON s.uai = r.uai AND s.student_id = r.sid AND s.deleted_at IS NULL
			JOIN attachments a ON a.uai = s.uai AND a.sheet_id = s.id ORDER BY a.uploaded_at, a.id`, args,
			func(r *sql.Rows) (sillage.Attachment, error) { return scanAttachment(r) })
		if err != nil {
			return nil, err
		}
		bySheet := map[int64][]sillage.Attachment{}
		for _, a := range atts {
			bySheet[a.SheetID] = append(bySheet[a.SheetID], a)
		}
		sheetsOf := map[int64][]sillage.Sheet{}
		for _, s := range sheets {
			s.Attachments = bySheet[s.ID]
			sheetsOf[s.StudentID] = append(sheetsOf[s.StudentID], s)
		}
		for _, r := range part {
			var rec sillage.TransferRecord
			for _, k := range order[r.StudentID] {
				rec.Evaluations = append(rec.Evaluations, *evals[k])
			}
			rec.Sheets = sheetsOf[r.StudentID]
			out[r] = rec
		}
	}
	return out, nil
}

// SetStudentsTransferred marks these students transferred, now.
func (tx CrossTenant) SetStudentsTransferred(ctx context.Context, refs []sillage.StudentRef) (int64, error) {
	var total int64
	for _, c := range chunks(len(refs), 2, 1) {
		cte, args := refsCTE("r", refs[c[0]:c[1]], []any{tx.now})
		n, err := tx.execN(ctx, `WITH `+cte+` UPDATE persons SET transfer_status = 'transferred', transferred_at = $1
			WHERE role = 'student' AND (uai, id) IN (SELECT uai, sid FROM r)`, args...)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// RecordTransferLogs writes the lines of pairs, a few hundred per
// statement: each inserted the first time, rewritten when its state (done,
// final, reason) changes, left alone otherwise (an impossible transfer
// retried at every run keeps the date it became impossible).
func (tx CrossTenant) RecordTransferLogs(ctx context.Context, es []sillage.TransferLogEntry) error {
	if len(es) == 0 {
		return nil
	}
	ids, err := tx.NewIDs(ctx, len(es))
	if err != nil {
		return err
	}
	for _, c := range chunks(len(es), 13, 0) {
		var b strings.Builder
		b.WriteString(`INSERT INTO transfer_log (id, at, origin_uai, dest_uai, origin_student_id, dest_student_id, done, final, reason,
			dest_name, origin_initials, counts, manifest) VALUES `)
		var args []any
		for i := c[0]; i < c[1]; i++ {
			e := es[i]
			if e.At.IsZero() {
				e.At = tx.now
			}
			if i > c[0] {
				b.WriteString(", ")
			}
			n := len(args)
			b.WriteString("(")
			for k := 1; k <= 13; k++ {
				if k > 1 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", n+k)
			}
			b.WriteString(")")
			args = append(args, ids[i], e.At, string(e.OriginUAI), string(e.DestUAI), e.OriginStudentID, e.DestStudentID, e.Done, e.Final, e.Reason,
				e.DestName, e.OriginInitials, e.Counts, e.Manifest)
		}
		b.WriteString(` ON CONFLICT (dest_uai, dest_student_id, origin_uai, origin_student_id) DO UPDATE SET at = excluded.at, done = excluded.done,
			final = excluded.final, reason = excluded.reason, dest_name = excluded.dest_name, origin_initials = excluded.origin_initials,
			counts = excluded.counts, manifest = excluded.manifest
			WHERE transfer_log.done <> excluded.done OR transfer_log.final <> excluded.final OR transfer_log.reason <> excluded.reason`)
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// AppendAuditEntries appends entries to one establishment's chain in a few
// statements (AppendAudit does one entry): the head is advanced once, the
// hashes chained in order, the rows inserted together.
func (tx Audit) AppendAuditEntries(ctx context.Context, uai sillage.UAI, es []*sillage.AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO audit_heads (uai, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (uai) DO NOTHING`, uai, sillage.GenesisHash); err != nil {
		return err
	}
	var last int64
	var prev string
	if err := tx.queryRow(ctx, `UPDATE audit_heads SET seq = seq + $2 WHERE uai = $1 RETURNING seq, hash`, uai, int64(len(es))).Scan(&last, &prev); err != nil {
		return mapErr(err)
	}
	seq := last - int64(len(es))
	for _, e := range es {
		seq++
		e.UAI, e.Seq, e.PrevHash = uai, seq, prev
		if e.At.IsZero() {
			e.At = tx.now
		}
		e.At = e.At.UTC().Truncate(time.Microsecond)
		e.Hash = tx.s.sealAudit(*e)
		prev = e.Hash
	}
	if _, err := tx.exec(ctx, `UPDATE audit_heads SET hash = $2 WHERE uai = $1`, uai, prev); err != nil {
		return err
	}
	for _, c := range chunks(len(es), 11, 0) {
		var b strings.Builder
		b.WriteString(`INSERT INTO audit_log (uai, seq, at, actor_id, actor_role, actor_name, action, target, details, prev_hash, hash) VALUES `)
		var args []any
		for i, e := range es[c[0]:c[1]] {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11)
			args = append(args, uai, e.Seq, e.At, e.ActorID, e.ActorRole, e.ActorName, e.Action, e.Target, e.Details, e.PrevHash, e.Hash)
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
