package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sillage/sillage"
)

const importReportCols = `uai, id, source, file_name, school_year, created_at, created_by`

func scanImportReport(r scanner, withBody bool) (sillage.ImportReport, error) {
	var ir sillage.ImportReport
	var uai string
	var year int64
	dest := []any{&uai, &ir.ID, &ir.Source, &ir.FileName, &year, ts{&ir.CreatedAt}, &ir.CreatedBy}
	if withBody {
		dest = append(dest, &ir.Report)
	}
	err := r.Scan(dest...)
	ir.UAI, ir.SchoolYear = sillage.UAI(uai), sillage.SchoolYear(year)
	return ir, err
}

// CreateImportReport stores a report and sets its ID.
func (tx Imports) CreateImportReport(ctx context.Context, uai sillage.UAI, r *sillage.ImportReport) error {
	if strings.TrimSpace(r.Report) == "" {
		return sillage.Errorf(sillage.KindInvalid, "rapport d'import vide")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	r.UAI, r.ID = uai, id
	if r.CreatedAt.IsZero() {
		r.CreatedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO import_reports (uai, id, source, file_name, school_year, created_at, created_by, report)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, uai, r.ID, r.Source, r.FileName, r.SchoolYear, r.CreatedAt, r.CreatedBy, r.Report)
	return err
}

// ListImportReports returns the reports of an establishment, newest first,
// without their body.
func (tx Imports) ListImportReports(ctx context.Context, uai sillage.UAI) ([]sillage.ImportReport, error) {
	return collect(ctx, tx.txn, `SELECT `+importReportCols+` FROM import_reports WHERE uai = $1 ORDER BY created_at DESC, id DESC`,
		[]any{uai}, func(r *sql.Rows) (sillage.ImportReport, error) { return scanImportReport(r, false) })
}

// GetImportReport returns one report with its body.
func (tx Imports) GetImportReport(ctx context.Context, uai sillage.UAI, id int64) (sillage.ImportReport, error) {
	ir, err := scanImportReport(tx.queryRow(ctx, `SELECT `+importReportCols+`, report FROM import_reports WHERE uai = $1 AND id = $2`, uai, id), true)
	if err == sql.ErrNoRows {
		return ir, sillage.Errorf(sillage.KindNotFound, "rapport d'import introuvable")
	}
	return ir, mapErr(err)
}

// DeleteImportReports deletes the reports of school year and earlier
// (the changeover's step 3); it returns how many went.
func (tx Imports) DeleteImportReports(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM import_reports WHERE uai = $1 AND school_year <= $2`, uai, year)
	return int(n), err
}

// SetAAFStructure records that the AAF structure joinID is the establishment.
func (tx Imports) SetAAFStructure(ctx context.Context, uai sillage.UAI, joinID, name string) error {
	if strings.TrimSpace(joinID) == "" {
		return sillage.Errorf(sillage.KindInvalid, "identifiant de structure AAF vide")
	}
	_, err := tx.exec(ctx, `INSERT INTO aaf_structures (uai, join_id, name, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (uai, join_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`, uai, joinID, name, tx.now)
	return err
}

// ListAAFStructures returns the AAF structures of an establishment.
func (tx Imports) ListAAFStructures(ctx context.Context, uai sillage.UAI) ([]sillage.AAFStructure, error) {
	return collect(ctx, tx.txn, `SELECT uai, join_id, name FROM aaf_structures WHERE uai = $1 ORDER BY join_id`, []any{uai},
		func(r *sql.Rows) (sillage.AAFStructure, error) {
			var s sillage.AAFStructure
			var u string
			err := r.Scan(&u, &s.JoinID, &s.Name)
			s.UAI = sillage.UAI(u)
			return s, err
		})
}

// FindAAFStructures returns the establishments of AAF structure join ids,
// across the instance: an AAF import routes each record to its
// establishment with it (it reveals no establishment's data).
func (tx CrossTenant) FindAAFStructures(ctx context.Context, joinIDs []string) ([]sillage.AAFStructure, error) {
	var out []sillage.AAFStructure
	for _, chunk := range impChunks(joinIDs, 500) {
		chunk = impPad(chunk)
		q, args := `SELECT uai, join_id, name FROM aaf_structures WHERE join_id IN (`+impPlaceholders(1, len(chunk))+`) ORDER BY join_id, uai`, impArgs(chunk)
		part, err := collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.AAFStructure, error) {
			var s sillage.AAFStructure
			var u string
			err := r.Scan(&u, &s.JoinID, &s.Name)
			s.UAI = sillage.UAI(u)
			return s, err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// FindAAFPersons returns the persons, in any establishment, whose AAF join
// id is one of ids (their establishment and role only).
func (tx CrossTenant) FindAAFPersons(ctx context.Context, ids []string) ([]sillage.PersonLocation, error) {
	var out []sillage.PersonLocation
	for _, chunk := range impChunks(ids, 500) {
		chunk = impPad(chunk)
		q := findAAFPersonsQuery(len(chunk))
		part, err := collect(ctx, tx.txn, q, impArgs(chunk), func(r *sql.Rows) (sillage.PersonLocation, error) {
			var p sillage.PersonLocation
			var u, role string
			err := r.Scan(&u, &p.ID, &role, &p.AAFID)
			p.UAI, p.Role = sillage.UAI(u), sillage.Role(role)
			return p, err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// findAAFPersonsQuery is FindAAFPersons' statement for n ids. It repeats
// the partial index's condition (a non-empty aaf_id), without which neither
// engine can prove that the index holds the rows.
func findAAFPersonsQuery(n int) string {
	return `SELECT uai, id, role, aaf_id FROM persons WHERE aaf_id <> '' AND aaf_id IN (` + impPlaceholders(1, n) + `) ORDER BY aaf_id, uai`
}

// impPad pads a list to a power of two (at least 8) by repeating its last
// element, so that IN lists take a few lengths only: SQLite's rewrite
// cache (dialect.rebind) keeps every query text it sees.
func impPad[T any](s []T) []T {
	if len(s) == 0 {
		return s
	}
	n := 8
	for n < len(s) {
		n *= 2
	}
	out := make([]T, len(s), n)
	copy(out, s)
	for len(out) < n {
		out = append(out, s[len(s)-1])
	}
	return out
}

func impChunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > 0 {
		k := min(n, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

func impArgs(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// impPlaceholders returns "$first, …, $(first+n-1)".
func impPlaceholders(first, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(itoa(first + i))
	}
	return b.String()
}
