package store

import (
	"context"
	"database/sql"

	"github.com/sillage/sillage"
)

const documentCols = `uai, id, student_id, kind, name, sha256, size, content_type, school_year, created_at, deleted_at, deleted_by`

func scanDocument(r scanner) (sillage.Document, error) {
	var d sillage.Document
	var u, kind string
	var year int64
	err := r.Scan(&u, &d.ID, &d.StudentID, &kind, &d.Name, &d.SHA256, &d.Size, &d.ContentType, &year, ts{&d.CreatedAt},
		ts{&d.DeletedAt}, nullID{&d.DeletedBy})
	d.UAI, d.Kind, d.SchoolYear = sillage.UAI(u), sillage.DocumentKind(kind), sillage.SchoolYear(year)
	return d, err
}

// AddDocument records a file of a student's document space and sets its ID.
func (tx Records) AddDocument(ctx context.Context, uai sillage.UAI, d *sillage.Document) error {
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	d.UAI, d.ID = uai, id
	if d.CreatedAt.IsZero() {
		d.CreatedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO documents (uai, id, student_id, kind, name, sha256, size, content_type, school_year, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		uai, d.ID, d.StudentID, d.Kind, d.Name, d.SHA256, d.Size, d.ContentType, d.SchoolYear, d.CreatedAt)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindInvalid, "élève introuvable")
	}
	return err
}

// GetDocument returns a document.
func (tx Records) GetDocument(ctx context.Context, uai sillage.UAI, id int64) (sillage.Document, error) {
	d, err := scanDocument(tx.queryRow(ctx, `SELECT `+documentCols+` FROM documents WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return d, sillage.Errorf(sillage.KindNotFound, "document introuvable")
	}
	return d, mapErr(err)
}

// ListDocuments returns a student's documents, newest first (not the trashed ones).
func (tx Records) ListDocuments(ctx context.Context, uai sillage.UAI, studentID int64) ([]sillage.Document, error) {
	return collect(ctx, tx.txn, `SELECT `+documentCols+` FROM documents WHERE uai = $1 AND student_id = $2 AND deleted_at IS NULL
		ORDER BY created_at DESC, id DESC`, []any{uai, studentID}, func(r *sql.Rows) (sillage.Document, error) { return scanDocument(r) })
}

// TrashDocument moves a document to the trash.
func (tx Records) TrashDocument(ctx context.Context, uai sillage.UAI, id, by int64) error {
	n, err := tx.execN(ctx, `UPDATE documents SET deleted_at = $3, deleted_by = $4 WHERE uai = $1 AND id = $2 AND deleted_at IS NULL`, uai, id, tx.now, by)
	return notFoundIfNone(n, err, "document")
}

// RestoreDocument takes a document out of the trash.
func (tx Records) RestoreDocument(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `UPDATE documents SET deleted_at = NULL, deleted_by = NULL WHERE uai = $1 AND id = $2 AND deleted_at IS NOT NULL`, uai, id)
	return notFoundIfNone(n, err, "document dans la corbeille")
}

// DeleteDocument removes a document's row.
func (tx Records) DeleteDocument(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `DELETE FROM documents WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "document")
}

const archiveCols = `uai, id, school_year, division_code, name, sha256, size, created_at`

func scanArchive(r scanner) (sillage.Archive, error) {
	var a sillage.Archive
	var u string
	var year int64
	err := r.Scan(&u, &a.ID, &year, &a.DivisionCode, &a.Name, &a.SHA256, &a.Size, ts{&a.CreatedAt})
	a.UAI, a.SchoolYear = sillage.UAI(u), sillage.SchoolYear(year)
	return a, err
}

// AddArchive records a file of the establishment's Archives space and sets its ID.
func (tx Records) AddArchive(ctx context.Context, uai sillage.UAI, a *sillage.Archive) error {
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	a.UAI, a.ID = uai, id
	if a.CreatedAt.IsZero() {
		a.CreatedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO archives (uai, id, school_year, division_code, name, sha256, size, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, uai, a.ID, a.SchoolYear, a.DivisionCode, a.Name, a.SHA256, a.Size, a.CreatedAt)
	return err
}

// GetArchive returns one archive.
func (tx Records) GetArchive(ctx context.Context, uai sillage.UAI, id int64) (sillage.Archive, error) {
	a, err := scanArchive(tx.queryRow(ctx, `SELECT `+archiveCols+` FROM archives WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return a, sillage.Errorf(sillage.KindNotFound, "archive introuvable")
	}
	return a, mapErr(err)
}

// ListArchives returns the establishment's archives, newest year first.
func (tx Records) ListArchives(ctx context.Context, uai sillage.UAI) ([]sillage.Archive, error) {
	return collect(ctx, tx.txn, `SELECT `+archiveCols+` FROM archives WHERE uai = $1 ORDER BY school_year DESC, division_code, name`,
		[]any{uai}, func(r *sql.Rows) (sillage.Archive, error) { return scanArchive(r) })
}

// DeleteArchive removes an archive's row.
func (tx Records) DeleteArchive(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `DELETE FROM archives WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "archive")
}

// ListTrash returns everything in an establishment's trash, newest first.
func (tx Records) ListTrash(ctx context.Context, uai sillage.UAI) ([]sillage.TrashItem, error) {
	return collect(ctx, tx.txn, `SELECT 'evaluation', id, title, author_id, deleted_at, deleted_by FROM evaluations WHERE uai = $1 AND deleted_at IS NOT NULL
		UNION ALL SELECT 'sheet', id, title, student_id, deleted_at, deleted_by FROM sheets WHERE uai = $1 AND deleted_at IS NOT NULL
		UNION ALL SELECT 'document', id, name, student_id, deleted_at, deleted_by FROM documents WHERE uai = $1 AND deleted_at IS NOT NULL
		ORDER BY 5 DESC, 2 DESC`, []any{uai}, func(r *sql.Rows) (sillage.TrashItem, error) {
		var t sillage.TrashItem
		var kind string
		err := r.Scan(&kind, &t.ID, &t.Label, &t.OwnerID, ts{&t.DeletedAt}, nullID{&t.DeletedBy})
		t.UAI, t.Kind = uai, sillage.TrashKind(kind)
		return t, err
	})
}

// BlobRefs returns every blob hash a row of the instance refers to, for the
// collector of unreferenced blobs. It is instance-wide by nature.
func (tx CrossTenant) BlobRefs(ctx context.Context) (map[string]bool, error) {
	rows, err := tx.query(ctx, `SELECT sha256 FROM attachments UNION SELECT sha256 FROM documents UNION SELECT sha256 FROM archives
		UNION SELECT pdf_sha256 FROM credential_lists UNION SELECT csv_sha256 FROM credential_lists
		UNION SELECT sha256 FROM lsu_report_pdfs UNION SELECT report_sha256 FROM lsu_exports UNION SELECT file_sha256 FROM lsu_exports WHERE file_sha256 <> ''
		UNION SELECT sha256 FROM class_space_files UNION SELECT sha256 FROM rollover_files UNION SELECT sha256 FROM rollover_pack_blobs`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, mapErr(err)
		}
		out[h] = true
	}
	return out, mapErr(rows.Err())
}
