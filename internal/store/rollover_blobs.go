package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sillage/sillage"
)

// ListRolloverFiles returns the initialisation files uploaded for the
// changeovers up to year, newest first.
func (tx Rollover) ListRolloverFiles(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.RolloverFile, error) {
	return collect(ctx, tx.txn, `SELECT uai, id, school_year, name, sha256, size, uploaded_at, uploaded_by FROM rollover_files
		WHERE uai = $1 AND school_year <= $2 ORDER BY uploaded_at DESC, id DESC`, []any{uai, year},
		func(r *sql.Rows) (sillage.RolloverFile, error) {
			var f sillage.RolloverFile
			var u string
			var y int64
			err := r.Scan(&u, &f.ID, &y, &f.Name, &f.SHA256, &f.Size, ts{&f.UploadedAt}, &f.UploadedBy)
			f.UAI, f.SchoolYear = sillage.UAI(u), sillage.SchoolYear(y)
			return f, err
		})
}

// blobColumns are the columns holding blob hashes: the same as BlobRefs
// reads (TestBlobReferenced keeps the two in step).
var blobColumns = []string{"attachments.sha256", "documents.sha256", "archives.sha256", "credential_lists.pdf_sha256",
	"credential_lists.csv_sha256", "lsu_report_pdfs.sha256", "lsu_exports.report_sha256", "lsu_exports.file_sha256",
	"class_space_files.sha256", "rollover_files.sha256", "rollover_pack_blobs.sha256"}

// IsBlobReferenced reports whether a row of the instance still refers to
// the blob sum: the targeted form of BlobRefs, for removing one file at
// once. Instance-wide by nature, like BlobRefs.
func (tx CrossTenant) IsBlobReferenced(ctx context.Context, sum string) (bool, error) {
	var parts []string
	for _, c := range blobColumns {
		table, col, _ := strings.Cut(c, ".")
		parts = append(parts, `SELECT 1 FROM `+table+` WHERE `+col+` = $1`)
	}
	var one int
	err := tx.queryRow(ctx, `SELECT 1 WHERE EXISTS (`+strings.Join(parts, ` UNION ALL `)+`)`, sum).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, mapErr(err)
}
