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
	return tx.setClassText(ctx, "lsu_class_digital_skills", uai, sillage.ClassSchoolLife(v))
}

// ListClassDigitalSkills returns the common appreciations of the digital
// skills of the given periods (all periods when nil), by period and
// division.
func (tx Livret) ListClassDigitalSkills(ctx context.Context, uai sillage.UAI, periodIDs []int64) ([]sillage.ClassDigitalSkills, error) {
	vs, err := tx.listClassTexts(ctx, "lsu_class_digital_skills", uai, periodIDs)
	out := make([]sillage.ClassDigitalSkills, len(vs))
	for i, v := range vs {
		out[i] = sillage.ClassDigitalSkills(v)
	}
	return out, err
}
