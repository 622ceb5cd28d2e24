package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sillage/sillage"
)

const sheetCols = `s.uai, s.id, s.student_id, s.kind, s.title, s.description, s.context, s.class, s.pfmp_start, s.pfmp_end,
	s.host, s.activities, s.author_id,
	COALESCE((SELECT p.last_name || ' ' || p.first_name FROM persons p WHERE p.uai = s.uai AND p.id = s.author_id), s.author_name),
	s.result, s.comment, s.origin_uai, s.created_at, s.updated_at, s.deleted_at, s.deleted_by`

func scanSheet(r scanner) (sillage.Sheet, error) {
	var s sillage.Sheet
	var uai, kind, context, origin string
	err := r.Scan(&uai, &s.ID, &s.StudentID, &kind, &s.Title, &s.Description, &context, &s.Class, dt{&s.PFMPStart}, dt{&s.PFMPEnd},
		&s.Host, &s.Activities, &s.AuthorID, &s.AuthorName, &s.Result, &s.Comment, &origin, ts{&s.CreatedAt}, ts{&s.UpdatedAt},
		ts{&s.DeletedAt}, nullID{&s.DeletedBy})
	s.UAI, s.Kind, s.Context, s.OriginUAI = sillage.UAI(uai), sillage.SheetKind(kind), sillage.SituationContext(context), sillage.UAI(origin)
	return s, err
}

// CreateSheet adds a professional-situation sheet and sets its ID.
func (tx Records) CreateSheet(ctx context.Context, uai sillage.UAI, s *sillage.Sheet) error {
	if err := s.Validate(); err != nil {
		return err
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	s.UAI, s.ID = uai, id
	if s.CreatedAt.IsZero() {
		s.CreatedAt = tx.now
	}
	s.UpdatedAt = tx.now
	_, err = tx.exec(ctx, `INSERT INTO sheets (uai, id, student_id, kind, title, description, context, class, pfmp_start, pfmp_end,
		host, activities, author_id, result, comment, origin_uai, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		uai, s.ID, s.StudentID, s.Kind, s.Title, s.Description, s.Context, s.Class, s.PFMPStart, s.PFMPEnd,
		s.Host, s.Activities, s.AuthorID, s.Result, s.Comment, s.OriginUAI, s.CreatedAt, s.UpdatedAt)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindInvalid, "élève introuvable")
	}
	return err
}

// UpdateSheet rewrites the descriptive fields and the evaluation of a sheet.
func (tx Records) UpdateSheet(ctx context.Context, uai sillage.UAI, s sillage.Sheet) error {
	if err := s.Validate(); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `UPDATE sheets SET kind = $3, title = $4, description = $5, context = $6, class = $7, pfmp_start = $8,
		pfmp_end = $9, host = $10, activities = $11, author_id = $12, result = $13, comment = $14, updated_at = $15
		WHERE uai = $1 AND id = $2 AND deleted_at IS NULL`,
		uai, s.ID, s.Kind, s.Title, s.Description, s.Context, s.Class, s.PFMPStart, s.PFMPEnd, s.Host, s.Activities,
		s.AuthorID, s.Result, s.Comment, tx.now)
	return notFoundIfNone(n, err, "fiche")
}

// GetSheet returns a sheet with its attachments.
func (tx Records) GetSheet(ctx context.Context, uai sillage.UAI, id int64) (sillage.Sheet, error) {
	s, err := scanSheet(tx.queryRow(ctx, `SELECT `+sheetCols+` FROM sheets s WHERE s.uai = $1 AND s.id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return s, sillage.Errorf(sillage.KindNotFound, "fiche introuvable")
	}
	if err != nil {
		return s, mapErr(err)
	}
	s.Attachments, err = tx.ListAttachments(ctx, uai, id)
	return s, err
}

// ListSheets returns sheets (without attachments), newest first.
func (tx Records) ListSheets(ctx context.Context, uai sillage.UAI, f sillage.SheetFilter) ([]sillage.Sheet, error) {
	q, args := `SELECT `+sheetCols+` FROM sheets s WHERE s.uai = $1`, []any{uai}
	if f.Trashed {
		q += ` AND s.deleted_at IS NOT NULL`
	} else {
		q += ` AND s.deleted_at IS NULL`
	}
	if f.StudentID != 0 {
		args = append(args, f.StudentID)
		q += fmt.Sprintf(` AND s.student_id = $%d`, len(args))
	}
	if f.DivisionID != 0 {
		args = append(args, f.DivisionID)
		q += fmt.Sprintf(` AND s.student_id IN (SELECT id FROM persons WHERE uai = $1 AND division_id = $%d)`, len(args))
	}
	return collect(ctx, tx.txn, q+` ORDER BY s.created_at DESC, s.id DESC`, args, func(r *sql.Rows) (sillage.Sheet, error) { return scanSheet(r) })
}

// TrashSheet moves a sheet to the trash.
func (tx Records) TrashSheet(ctx context.Context, uai sillage.UAI, id, by int64) error {
	n, err := tx.execN(ctx, `UPDATE sheets SET deleted_at = $3, deleted_by = $4 WHERE uai = $1 AND id = $2 AND deleted_at IS NULL`, uai, id, tx.now, by)
	return notFoundIfNone(n, err, "fiche")
}

// RestoreSheet takes a sheet out of the trash.
func (tx Records) RestoreSheet(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `UPDATE sheets SET deleted_at = NULL, deleted_by = NULL WHERE uai = $1 AND id = $2 AND deleted_at IS NOT NULL`, uai, id)
	return notFoundIfNone(n, err, "fiche dans la corbeille")
}

// DeleteSheet deletes a sheet and its attachments' rows (the blobs are
// collected later, outside any transaction).
func (tx Records) DeleteSheet(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `DELETE FROM sheets WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "fiche")
}

// AddAttachment records a file attached to a sheet and sets its ID; the
// bytes are already in the blob store under a.SHA256.
func (tx Records) AddAttachment(ctx context.Context, uai sillage.UAI, a *sillage.Attachment) error {
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	a.UAI, a.ID = uai, id
	if a.UploadedAt.IsZero() {
		a.UploadedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO attachments (uai, id, sheet_id, name, sha256, size, content_type, uploaded_at, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		uai, a.ID, a.SheetID, a.Name, a.SHA256, a.Size, a.ContentType, a.UploadedAt, a.UploadedBy)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindInvalid, "fiche introuvable")
	}
	return err
}

// HasAttachmentContent reports whether a sheet of the establishment, live or
// in the trash, has a file with the content sum: the only blobs a records
// file may name by their sum alone. Another establishment's file is not
// there, even when the instance holds it.
func (tx Records) HasAttachmentContent(ctx context.Context, uai sillage.UAI, sum string) (bool, error) {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM attachments WHERE sha256 = $1 AND uai = $2`, sum, uai)
	return n > 0, err
}

const attachmentCols = `uai, id, sheet_id, name, sha256, size, content_type, uploaded_at, uploaded_by`

func scanAttachment(r scanner) (sillage.Attachment, error) {
	var a sillage.Attachment
	var u string
	err := r.Scan(&u, &a.ID, &a.SheetID, &a.Name, &a.SHA256, &a.Size, &a.ContentType, ts{&a.UploadedAt}, &a.UploadedBy)
	a.UAI = sillage.UAI(u)
	return a, err
}

// ListAttachments returns a sheet's attachments by upload time.
func (tx Records) ListAttachments(ctx context.Context, uai sillage.UAI, sheetID int64) ([]sillage.Attachment, error) {
	return collect(ctx, tx.txn, `SELECT `+attachmentCols+` FROM attachments WHERE uai = $1 AND sheet_id = $2 ORDER BY uploaded_at, id`,
		[]any{uai, sheetID}, func(r *sql.Rows) (sillage.Attachment, error) { return scanAttachment(r) })
}

// GetAttachment returns one attachment.
func (tx Records) GetAttachment(ctx context.Context, uai sillage.UAI, id int64) (sillage.Attachment, error) {
	a, err := scanAttachment(tx.queryRow(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return a, sillage.Errorf(sillage.KindNotFound, "fichier introuvable")
	}
	return a, mapErr(err)
}

// DeleteAttachment removes an attachment's row.
func (tx Records) DeleteAttachment(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `DELETE FROM attachments WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "fichier")
}

// sheetResultCols reads sheet_results r joined with competences c.
const sheetResultCols = `r.sheet_id, r.competence_id, c.code, c.label, r.value, r.comment`

func scanSheetResult(r *sql.Rows) (sillage.SheetResult, error) {
	var x sillage.SheetResult
	return x, r.Scan(&x.SheetID, &x.CompetenceID, &x.Code, &x.Label, &x.Value, &x.Comment)
}

// SetSheetResults replaces a sheet's per-competence results.
func (tx Records) SetSheetResults(ctx context.Context, uai sillage.UAI, sheetID int64, rs []sillage.SheetResult) error {
	if _, err := tx.exec(ctx, `DELETE FROM sheet_results WHERE uai = $1 AND sheet_id = $2`, uai, sheetID); err != nil {
		return err
	}
	for _, x := range rs {
		if _, err := tx.exec(ctx, `INSERT INTO sheet_results (uai, sheet_id, competence_id, value, comment) VALUES ($1, $2, $3, $4, $5)`,
			uai, sheetID, x.CompetenceID, x.Value, x.Comment); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// ListSheetResults returns the per-competence results of the sheets of a
// student (0: of every student), by sheet then in the referential's order.
func (tx Records) ListSheetResults(ctx context.Context, uai sillage.UAI, studentID int64) ([]sillage.SheetResult, error) {
	q, args := `SELECT `+sheetResultCols+` FROM sheet_results r
		JOIN competences c ON c.uai = r.uai AND c.id = r.competence_id
		JOIN sheets s ON s.uai = r.uai AND s.id = r.sheet_id
		WHERE r.uai = $1`, []any{uai}
	if studentID != 0 {
		q += ` AND s.student_id = $2`
		args = append(args, studentID)
	}
	return collect(ctx, tx.txn, q+` ORDER BY r.sheet_id, c.position, c.id`, args, scanSheetResult)
}

// ListResultsOfSheet returns one sheet's per-competence results.
func (tx Records) ListResultsOfSheet(ctx context.Context, uai sillage.UAI, sheetID int64) ([]sillage.SheetResult, error) {
	return collect(ctx, tx.txn, `SELECT `+sheetResultCols+` FROM sheet_results r
		JOIN competences c ON c.uai = r.uai AND c.id = r.competence_id
		WHERE r.uai = $1 AND r.sheet_id = $2 ORDER BY c.position, c.id`, []any{uai, sheetID}, scanSheetResult)
}

// SetSheetAuthorName records the name of the teacher who evaluated a sheet
// when they are not a person of the establishment (a record received from
// another establishment keeps its evaluator by name): author_id 0.
func (tx Records) SetSheetAuthorName(ctx context.Context, uai sillage.UAI, sheetID int64, name string) error {
	_, err := tx.exec(ctx, `UPDATE sheets SET author_id = 0, author_name = $3 WHERE uai = $1 AND id = $2`, string(uai), sheetID, name)
	return err
}
