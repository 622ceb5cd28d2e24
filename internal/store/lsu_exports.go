package store

import (
	"context"
	"database/sql"

	"github.com/sillage/sillage"
)

// Report PDF kinds.
const (
	ReportPDFPeriodic = "periodic"
	ReportPDFCycle    = "cycle"
)

const reportPDFCols = `uai, id, kind, report_id, student_id, school_year, division_code, student_name, title, name, sha256, size, created_at, created_by`

func scanReportPDF(r scanner) (sillage.ReportPDF, error) {
	var p sillage.ReportPDF
	var u string
	var year int64
	err := r.Scan(&u, &p.ID, &p.Kind, &p.ReportID, &p.StudentID, &year, &p.DivisionCode, &p.StudentName, &p.Title, &p.Name,
		&p.SHA256, &p.Size, ts{&p.CreatedAt}, &p.CreatedBy)
	p.UAI, p.SchoolYear = sillage.UAI(u), sillage.SchoolYear(year)
	return p, err
}

// AddReportPDF records an archived report PDF and sets its ID.
func (tx Livret) AddReportPDF(ctx context.Context, uai sillage.UAI, p *sillage.ReportPDF) error {
	if p.SHA256 == "" || p.Name == "" {
		return sillage.Errorf(sillage.KindInvalid, "PDF du bilan incomplet")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	p.UAI, p.ID = uai, id
	if p.CreatedAt.IsZero() {
		p.CreatedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO lsu_report_pdfs (uai, id, kind, report_id, student_id, school_year, division_code, student_name,
		title, name, sha256, size, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		uai, p.ID, p.Kind, p.ReportID, p.StudentID, p.SchoolYear, p.DivisionCode, p.StudentName, p.Title, p.Name, p.SHA256, p.Size,
		p.CreatedAt, p.CreatedBy)
	return err
}

// ListReportPDFs returns the report PDFs archived for a school year, by
// division, student and date: what the changeover's step 2 puts in each
// class archive. Every closing is there; the last one of a report is its
// final version.
func (tx Livret) ListReportPDFs(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.ReportPDF, error) {
	return collect(ctx, tx.txn, `SELECT `+reportPDFCols+` FROM lsu_report_pdfs WHERE uai = $1 AND school_year = $2
		ORDER BY division_code, student_name, student_id, created_at, id`, []any{uai, year},
		func(r *sql.Rows) (sillage.ReportPDF, error) { return scanReportPDF(r) })
}

// ListReportPDFsByDivision returns a year's report PDFs grouped by division
// code ("" for students without a division).
func (tx Livret) ListReportPDFsByDivision(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (map[string][]sillage.ReportPDF, error) {
	all, err := tx.ListReportPDFs(ctx, uai, year)
	if err != nil {
		return nil, err
	}
	out := map[string][]sillage.ReportPDF{}
	for _, p := range all {
		out[p.DivisionCode] = append(out[p.DivisionCode], p)
	}
	return out, nil
}

// ListReportPDFsOfReport returns the PDFs archived for one report, oldest first.
func (tx Livret) ListReportPDFsOfReport(ctx context.Context, uai sillage.UAI, kind string, reportID int64) ([]sillage.ReportPDF, error) {
	return collect(ctx, tx.txn, `SELECT `+reportPDFCols+` FROM lsu_report_pdfs WHERE uai = $1 AND kind = $2 AND report_id = $3
		ORDER BY created_at, id`, []any{uai, kind, reportID}, func(r *sql.Rows) (sillage.ReportPDF, error) { return scanReportPDF(r) })
}

// GetReportPDF returns one archived report PDF.
func (tx Livret) GetReportPDF(ctx context.Context, uai sillage.UAI, id int64) (sillage.ReportPDF, error) {
	p, err := scanReportPDF(tx.queryRow(ctx, `SELECT `+reportPDFCols+` FROM lsu_report_pdfs WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return p, sillage.Errorf(sillage.KindNotFound, "PDF du bilan introuvable")
	}
	return p, mapErr(err)
}

// Export outcomes.
const (
	ExportFile    = "file"
	ExportRefused = "refused"
)

const lsuExportCols = `uai, id, school_year, degree, version, selection, outcome, refusal, students, blocked, fixed, ignored, warnings,
	report_sha256, report_size, file_name, file_sha256, file_size, created_at, created_by, created_name`

func scanLSUExport(r scanner) (sillage.LSUExport, error) {
	var e sillage.LSUExport
	var u string
	var year int64
	err := r.Scan(&u, &e.ID, &year, &e.Degree, &e.Version, &e.Selection, &e.Outcome, &e.Refusal, &e.Students, &e.Blocked, &e.Fixed,
		&e.Ignored, &e.Warnings, &e.ReportSHA256, &e.ReportSize, &e.FileName, &e.FileSHA256, &e.FileSize, ts{&e.CreatedAt}, &e.CreatedBy, &e.CreatedName)
	e.UAI, e.SchoolYear = sillage.UAI(u), sillage.SchoolYear(year)
	return e, err
}

// CreateLSUExport records an export and sets its ID.
func (tx Livret) CreateLSUExport(ctx context.Context, uai sillage.UAI, e *sillage.LSUExport) error {
	if e.ReportSHA256 == "" {
		return sillage.Errorf(sillage.KindInvalid, "export LSU sans rapport")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	e.UAI, e.ID = uai, id
	if e.CreatedAt.IsZero() {
		e.CreatedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO lsu_exports (`+lsuExportCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
		$14, $15, $16, $17, $18, $19, $20, $21)`, uai, e.ID, e.SchoolYear, e.Degree, e.Version, e.Selection, e.Outcome, e.Refusal,
		e.Students, e.Blocked, e.Fixed, e.Ignored, e.Warnings, e.ReportSHA256, e.ReportSize, e.FileName, e.FileSHA256, e.FileSize,
		e.CreatedAt, e.CreatedBy, e.CreatedName)
	return err
}

// GetLSUExport returns an export.
func (tx Livret) GetLSUExport(ctx context.Context, uai sillage.UAI, id int64) (sillage.LSUExport, error) {
	e, err := scanLSUExport(tx.queryRow(ctx, `SELECT `+lsuExportCols+` FROM lsu_exports WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return e, sillage.Errorf(sillage.KindNotFound, "export introuvable")
	}
	return e, mapErr(err)
}

// ListLSUExports returns the exports of a school year (0: all), newest first.
func (tx Livret) ListLSUExports(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.LSUExport, error) {
	q, args := `SELECT `+lsuExportCols+` FROM lsu_exports WHERE uai = $1`, []any{uai}
	if year != 0 {
		q += ` AND school_year = $2`
		args = append(args, year)
	}
	return collect(ctx, tx.txn, q+` ORDER BY created_at DESC, id DESC`, args, func(r *sql.Rows) (sillage.LSUExport, error) { return scanLSUExport(r) })
}
