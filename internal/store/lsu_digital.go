package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sillage/sillage"
)

// SetDigitalSkills writes the digital skills of a periodic report (levels
// and appreciation; empty ones clear them).
func (tx Livret) SetDigitalSkills(ctx context.Context, uai sillage.UAI, d sillage.DigitalSkills, by int64) error {
	res, err := tx.exec(ctx, `UPDATE lsu_periodic_reports SET digital_levels = $3, digital_appreciation = $4, updated_at = $5, updated_by = $6
		WHERE uai = $1 AND id = $2`, uai, d.ReportID, sillage.EncodeDigitalLevels(d.Levels), strings.TrimSpace(d.Appreciation), tx.now, by)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "bilan périodique introuvable")
	}
	return err
}

// ListDigitalSkills returns the digital skills of the given periodic
// reports (all when nil), keyed by report; reports with nothing entered
// are left out.
func (tx Livret) ListDigitalSkills(ctx context.Context, uai sillage.UAI, reportIDs []int64) (map[int64]sillage.DigitalSkills, error) {
	q, args := `SELECT id, digital_levels, digital_appreciation FROM lsu_periodic_reports
		WHERE uai = $1 AND (digital_levels <> '' OR digital_appreciation <> '')`, []any{uai}
	q, args = inIDs(q, args, "id", reportIDs)
	list, err := collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.DigitalSkills, error) {
		var d sillage.DigitalSkills
		var levels string
		err := r.Scan(&d.ReportID, &levels, &d.Appreciation)
		d.Levels = sillage.DecodeDigitalLevels(levels)
		return d, err
	})
	out := make(map[int64]sillage.DigitalSkills, len(list))
	for _, d := range list {
		out[d.ReportID] = d
	}
	return out, err
}

// SetClassDigitalSkills writes the appreciation of the digital skills
// common to a division for a period; an empty one removes it.
func (tx Livret) SetClassDigitalSkills(ctx context.Context, uai sillage.UAI, v sillage.ClassDigitalSkills) error {
	comment := strings.TrimSpace(v.Comment)
	if comment == "" {
		_, err := tx.exec(ctx, `DELETE FROM lsu_class_digital_skills WHERE uai = $1 AND period_id = $2 AND division_id = $3`, uai, v.PeriodID, v.DivisionID)
		return err
	}
	// Checked first: on PostgreSQL a failed insert would abort the caller's
	// transaction.
	n, err := tx.count(ctx, `SELECT (SELECT COUNT(*) FROM periods WHERE uai = $1 AND id = $2)
		* (SELECT COUNT(*) FROM divisions WHERE uai = $1 AND id = $3)`, uai, v.PeriodID, v.DivisionID)
	if err != nil {
		return err
	}
	if n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "période ou division introuvable")
	}
	_, err = tx.exec(ctx, `INSERT INTO lsu_class_digital_skills (uai, period_id, division_id, comment, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (uai, period_id, division_id) DO UPDATE SET comment = excluded.comment, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		uai, v.PeriodID, v.DivisionID, comment, tx.now, v.UpdatedBy)
	return err
}

// ListClassDigitalSkills returns the common appreciations of the digital
// skills of the given periods (all periods when nil), by period and
// division.
func (tx Livret) ListClassDigitalSkills(ctx context.Context, uai sillage.UAI, periodIDs []int64) ([]sillage.ClassDigitalSkills, error) {
	q, args := `SELECT uai, period_id, division_id, comment, updated_at, updated_by FROM lsu_class_digital_skills WHERE uai = $1`, []any{uai}
	q, args = inIDs(q, args, "period_id", periodIDs)
	return collect(ctx, tx.txn, q+` ORDER BY period_id, division_id`, args, func(r *sql.Rows) (sillage.ClassDigitalSkills, error) {
		var v sillage.ClassDigitalSkills
		var u string
		err := r.Scan(&u, &v.PeriodID, &v.DivisionID, &v.Comment, ts{&v.UpdatedAt}, &v.UpdatedBy)
		v.UAI = sillage.UAI(u)
		return v, err
	})
}
