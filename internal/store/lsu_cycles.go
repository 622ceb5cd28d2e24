package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sillage/sillage"
)

// SocleDomains are the 8 domains of the socle commun, in LSU's order; the
// columns of lsu_cycle_reports carry the same names in lower case.
var SocleDomains = []string{"CPD_FRA", "CPD_ETR", "CPD_SCI", "CPD_ART", "MET_APP", "FRM_CIT", "SYS_NAT", "REP_MND"}

var cycleReportCols = `uai, id, student_id, cycle, school_year, state, closed_at, closed_by, ` +
	strings.ToLower(strings.Join(SocleDomains, ", ")) +
	`, synthesis, complement_code, complement_level, regional_code, regional_level, updated_at, updated_by`

func scanCycleReport(r scanner) (sillage.CycleReport, error) {
	var c sillage.CycleReport
	var u, state string
	var year int64
	socle := make([]*int, len(SocleDomains))
	dest := []any{&u, &c.ID, &c.StudentID, &c.Cycle, &year, &state, ts{&c.ClosedAt}, &c.ClosedBy}
	for i := range socle {
		dest = append(dest, nullInt{&socle[i]})
	}
	dest = append(dest, &c.Synthesis, &c.ComplementCode, &c.ComplementLevel, &c.RegionalCode, &c.RegionalLevel, ts{&c.UpdatedAt}, &c.UpdatedBy)
	err := r.Scan(dest...)
	c.UAI, c.SchoolYear, c.State = sillage.UAI(u), sillage.SchoolYear(year), sillage.ReportState(state)
	c.Socle = map[string]int{}
	for i, v := range socle {
		if v != nil {
			c.Socle[SocleDomains[i]] = *v
		}
	}
	return c, err
}

// UpsertCycleReport creates or rewrites a student's end-of-cycle report
// (a draft; a closed one is refused) and sets its ID.
func (tx Livret) UpsertCycleReport(ctx context.Context, uai sillage.UAI, c *sillage.CycleReport) error {
	if c.Cycle < 2 || c.Cycle > 4 {
		return sillage.Errorf(sillage.KindInvalid, "cycle %d invalide (2, 3 ou 4)", c.Cycle)
	}
	for d, v := range c.Socle {
		if v < 0 || v > 4 {
			return sillage.Errorf(sillage.KindInvalid, "positionnement %d du domaine %s invalide (0 à 4)", v, d)
		}
	}
	for _, lvl := range []int{c.ComplementLevel, c.RegionalLevel} {
		if lvl < 0 || lvl > 2 {
			return sillage.Errorf(sillage.KindInvalid, "niveau d'enseignement facultatif invalide (1 atteint, 2 dépassé)")
		}
	}
	socle := make([]any, len(SocleDomains))
	for i, d := range SocleDomains {
		if v, ok := c.Socle[d]; ok {
			socle[i] = int64(v)
		}
	}
	existing, err := tx.FindCycleReport(ctx, uai, c.StudentID, c.Cycle)
	switch {
	case err == nil:
		if existing.Closed() {
			return errReportClosed()
		}
		c.ID = existing.ID
		args := append([]any{uai, c.ID}, socle...)
		args = append(args, c.Synthesis, c.ComplementCode, c.ComplementLevel, c.RegionalCode, c.RegionalLevel, tx.now, c.UpdatedBy, c.SchoolYear)
		_, err = tx.exec(ctx, `UPDATE lsu_cycle_reports SET cpd_fra = $3, cpd_etr = $4, cpd_sci = $5, cpd_art = $6, met_app = $7,
			frm_cit = $8, sys_nat = $9, rep_mnd = $10, synthesis = $11, complement_code = $12, complement_level = $13,
			regional_code = $14, regional_level = $15, updated_at = $16, updated_by = $17, school_year = $18
			WHERE uai = $1 AND id = $2 AND state = 'draft'`, args...)
		return err
	case sillage.KindOf(err) != sillage.KindNotFound:
		return err
	}
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM persons WHERE uai = $1 AND id = $2 AND role = 'student'`, uai, c.StudentID)
	if err != nil {
		return err
	}
	if n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "élève introuvable")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	c.UAI, c.ID = uai, id
	args := append([]any{uai, c.ID, c.StudentID, c.Cycle, c.SchoolYear}, socle...)
	args = append(args, c.Synthesis, c.ComplementCode, c.ComplementLevel, c.RegionalCode, c.RegionalLevel, tx.now, c.UpdatedBy)
	_, err = tx.exec(ctx, `INSERT INTO lsu_cycle_reports (uai, id, student_id, cycle, school_year, state,
		cpd_fra, cpd_etr, cpd_sci, cpd_art, met_app, frm_cit, sys_nat, rep_mnd,
		synthesis, complement_code, complement_level, regional_code, regional_level, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`, args...)
	return err
}

// GetCycleReport returns an end-of-cycle report.
func (tx Livret) GetCycleReport(ctx context.Context, uai sillage.UAI, id int64) (sillage.CycleReport, error) {
	c, err := scanCycleReport(tx.queryRow(ctx, `SELECT `+cycleReportCols+` FROM lsu_cycle_reports WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return c, sillage.Errorf(sillage.KindNotFound, "bilan de fin de cycle introuvable")
	}
	return c, mapErr(err)
}

// FindCycleReport returns a student's report for a cycle.
func (tx Livret) FindCycleReport(ctx context.Context, uai sillage.UAI, studentID int64, cycle int) (sillage.CycleReport, error) {
	c, err := scanCycleReport(tx.queryRow(ctx, `SELECT `+cycleReportCols+` FROM lsu_cycle_reports
		WHERE uai = $1 AND student_id = $2 AND cycle = $3`, uai, studentID, cycle))
	if err == sql.ErrNoRows {
		return c, sillage.Errorf(sillage.KindNotFound, "bilan de fin de cycle introuvable")
	}
	return c, mapErr(err)
}

// ListCycleReports returns the end-of-cycle reports of students (nil:
// every student), by student then cycle.
func (tx Livret) ListCycleReports(ctx context.Context, uai sillage.UAI, studentIDs []int64) ([]sillage.CycleReport, error) {
	q, args := `SELECT `+cycleReportCols+` FROM lsu_cycle_reports WHERE uai = $1`, []any{uai}
	q, args = inIDs(q, args, "student_id", studentIDs)
	return collect(ctx, tx.txn, q+` ORDER BY student_id, cycle`, args, func(r *sql.Rows) (sillage.CycleReport, error) { return scanCycleReport(r) })
}

// SetCycleReportState closes or reopens an end-of-cycle report.
func (tx Livret) SetCycleReportState(ctx context.Context, uai sillage.UAI, id int64, state sillage.ReportState, by int64) error {
	return tx.setReportState(ctx, uai, "lsu_cycle_reports", id, state, by)
}
