package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sillage/sillage"
)

// AddCredentialList records a generated list and sets its ID.
func (tx Accounts) AddCredentialList(ctx context.Context, uai sillage.UAI, l *sillage.CredentialList) error {
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	l.UAI, l.ID = uai, id
	if l.CreatedAt.IsZero() {
		l.CreatedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO credential_lists (uai, id, school_year, division_code, title, accounts, pdf_sha256, pdf_size,
		csv_sha256, csv_size, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		uai, l.ID, l.SchoolYear, l.DivisionCode, l.Title, l.Accounts, l.PDFSHA256, l.PDFSize, l.CSVSHA256, l.CSVSize, l.CreatedAt, l.CreatedBy)
	return err
}

const credentialCols = `uai, id, school_year, division_code, title, accounts, pdf_sha256, pdf_size, csv_sha256, csv_size, created_at, created_by`

func scanCredentialList(r scanner) (sillage.CredentialList, error) {
	var l sillage.CredentialList
	var u string
	var year int64
	err := r.Scan(&u, &l.ID, &year, &l.DivisionCode, &l.Title, &l.Accounts, &l.PDFSHA256, &l.PDFSize, &l.CSVSHA256, &l.CSVSize, ts{&l.CreatedAt}, &l.CreatedBy)
	l.UAI, l.SchoolYear = sillage.UAI(u), sillage.SchoolYear(year)
	return l, err
}

// ListCredentialLists returns an establishment's lists, newest first.
func (tx Accounts) ListCredentialLists(ctx context.Context, uai sillage.UAI) ([]sillage.CredentialList, error) {
	return collect(ctx, tx.txn, `SELECT `+credentialCols+` FROM credential_lists WHERE uai = $1 ORDER BY created_at DESC, id DESC`, []any{uai},
		func(r *sql.Rows) (sillage.CredentialList, error) { return scanCredentialList(r) })
}

// GetCredentialList returns one list.
func (tx Accounts) GetCredentialList(ctx context.Context, uai sillage.UAI, id int64) (sillage.CredentialList, error) {
	l, err := scanCredentialList(tx.queryRow(ctx, `SELECT `+credentialCols+` FROM credential_lists WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return l, sillage.Errorf(sillage.KindNotFound, "liste d'identifiants introuvable")
	}
	return l, mapErr(err)
}

// ListAllCredentialLists returns the lists of every establishment (the
// hourly job seals the files of the lists written before they were sealed).
func (tx CrossTenant) ListAllCredentialLists(ctx context.Context) ([]sillage.CredentialList, error) {
	return collect(ctx, tx.txn, `SELECT `+credentialCols+` FROM credential_lists ORDER BY uai, id`, nil,
		func(r *sql.Rows) (sillage.CredentialList, error) { return scanCredentialList(r) })
}

// ReplaceCredentialListFiles points a list at other files (their sealed
// copies).
func (tx Accounts) ReplaceCredentialListFiles(ctx context.Context, uai sillage.UAI, id int64, pdfSHA256 string, pdfSize int64, csvSHA256 string, csvSize int64) error {
	n, err := tx.execN(ctx, `UPDATE credential_lists SET pdf_sha256 = $3, pdf_size = $4, csv_sha256 = $5, csv_size = $6 WHERE uai = $1 AND id = $2`,
		uai, id, pdfSHA256, pdfSize, csvSHA256, csvSize)
	if err == nil && n == 0 {
		err = sillage.Errorf(sillage.KindNotFound, "liste d'identifiants introuvable")
	}
	return err
}

// DeleteCredentialLists deletes the lists of a school year (the changeover);
// it returns how many went.
func (tx Accounts) DeleteCredentialLists(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM credential_lists WHERE uai = $1 AND school_year <= $2`, uai, year)
	return int(n), err
}

// ExpireCredentialLists deletes, in every establishment, the lists created
// before cutoff, and returns how many went per establishment. The lists
// hold one-time passwords in clear: they are kept only as long as it takes
// to hand them out.
func (tx Accounts) ExpireCredentialLists(ctx context.Context, cutoff time.Time) (map[sillage.UAI]int, error) {
	uais, err := collect(ctx, tx.txn, `DELETE FROM credential_lists WHERE created_at < $1 RETURNING uai`, []any{cutoff},
		func(r *sql.Rows) (string, error) {
			var u string
			return u, r.Scan(&u)
		})
	if err != nil {
		return nil, err
	}
	counts := map[sillage.UAI]int{}
	for _, u := range uais {
		counts[sillage.UAI(u)]++
	}
	return counts, nil
}
