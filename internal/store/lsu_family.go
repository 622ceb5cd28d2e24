package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sillage/sillage"
)

// SetClassSchoolLife writes the school-life comment of a division for a
// period (v.PeriodID, v.DivisionID, v.Comment, by v.UpdatedBy); an empty
// comment removes it.
func (tx Livret) SetClassSchoolLife(ctx context.Context, uai sillage.UAI, v sillage.ClassSchoolLife) error {
	return tx.setClassText(ctx, "lsu_class_school_life", uai, v)
}

// ListClassSchoolLife returns the class school-life comments of periods.
func (tx Livret) ListClassSchoolLife(ctx context.Context, uai sillage.UAI, periodIDs []int64) ([]sillage.ClassSchoolLife, error) {
	return tx.listClassTexts(ctx, "lsu_class_school_life", uai, periodIDs)
}

// setClassText writes a text of a division for a period in table (one of
// this package's tables of class texts, never user input: the school-life
// comment, the common appreciation of the digital skills); an empty text
// removes it.
func (tx Livret) setClassText(ctx context.Context, table string, uai sillage.UAI, v sillage.ClassSchoolLife) error {
	comment := strings.TrimSpace(v.Comment)
	if comment == "" {
		_, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE uai = $1 AND period_id = $2 AND division_id = $3`, uai, v.PeriodID, v.DivisionID)
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
	_, err = tx.exec(ctx, `INSERT INTO `+table+` (uai, period_id, division_id, comment, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (uai, period_id, division_id) DO UPDATE SET comment = excluded.comment, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		uai, v.PeriodID, v.DivisionID, comment, tx.now, v.UpdatedBy)
	return err
}

// listClassTexts returns the texts of table for periods, by period and
// division.
func (tx Livret) listClassTexts(ctx context.Context, table string, uai sillage.UAI, periodIDs []int64) ([]sillage.ClassSchoolLife, error) {
	q, args := `SELECT uai, period_id, division_id, comment, updated_at, updated_by FROM `+table+` WHERE uai = $1`, []any{uai}
	q, args = inIDs(q, args, "period_id", periodIDs)
	return collect(ctx, tx.txn, q+` ORDER BY period_id, division_id`, args, func(r *sql.Rows) (sillage.ClassSchoolLife, error) {
		var v sillage.ClassSchoolLife
		var u string
		err := r.Scan(&u, &v.PeriodID, &v.DivisionID, &v.Comment, ts{&v.UpdatedAt}, &v.UpdatedBy)
		v.UAI = sillage.UAI(u)
		return v, err
	})
}

// SetPeriodicExtras writes the "devoirs faits" text and the socle of the
// term of a periodic report.
func (tx Livret) SetPeriodicExtras(ctx context.Context, uai sillage.UAI, e sillage.PeriodicExtras, by int64) error {
	res, err := tx.exec(ctx, `UPDATE lsu_periodic_reports SET homework_done = $3, socle = $4, updated_at = $5, updated_by = $6
		WHERE uai = $1 AND id = $2`, uai, e.ReportID, e.HomeworkDone, sillage.EncodeSocle(e.Socle), tx.now, by)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "bilan périodique introuvable")
	}
	return err
}

// ListPeriodicExtras returns the extras of the given periodic reports (all
// when nil), keyed by report; reports with nothing entered are left out.
func (tx Livret) ListPeriodicExtras(ctx context.Context, uai sillage.UAI, reportIDs []int64) (map[int64]sillage.PeriodicExtras, error) {
	q, args := `SELECT id, homework_done, socle FROM lsu_periodic_reports WHERE uai = $1 AND (homework_done <> '' OR socle <> '')`, []any{uai}
	q, args = inIDs(q, args, "id", reportIDs)
	list, err := collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.PeriodicExtras, error) {
		var e sillage.PeriodicExtras
		var socle string
		err := r.Scan(&e.ReportID, &e.HomeworkDone, &socle)
		e.Socle = sillage.DecodeSocle(socle)
		return e, err
	})
	out := make(map[int64]sillage.PeriodicExtras, len(list))
	for _, e := range list {
		out[e.ReportID] = e
	}
	return out, err
}

// SetPostalAddress writes the postal address of a person (a guardian).
func (tx People) SetPostalAddress(ctx context.Context, uai sillage.UAI, personID int64, a sillage.PostalAddress) error {
	_, err := tx.exec(ctx, `UPDATE persons SET address_lines = $3, postal_code = $4, town = $5 WHERE uai = $1 AND id = $2`,
		uai, personID, strings.Join(a.Lines, "\n"), a.PostalCode, a.Town)
	return err
}

// SetGuardianDetails writes what the SIECLE guardians import keeps of a
// guardian for the Livret: its postal address and its denomination (""
// for a natural person), in one statement.
func (tx People) SetGuardianDetails(ctx context.Context, uai sillage.UAI, personID int64, d sillage.GuardianDetails) error {
	a := d.Address
	_, err := tx.exec(ctx, `UPDATE persons SET address_lines = $3, postal_code = $4, town = $5, denomination = $6 WHERE uai = $1 AND id = $2`,
		uai, personID, strings.Join(a.Lines, "\n"), a.PostalCode, a.Town, d.Denomination)
	return err
}

// ListGuardianContacts returns the legal guardians of the given students
// (all students when nil) with their rank, denomination and postal
// address, by student, then legal guardian 1, 2 and those of unknown
// rank, then parent.
func (tx People) ListGuardianContacts(ctx context.Context, uai sillage.UAI, studentIDs []int64) ([]sillage.GuardianContact, error) {
	q, args := `SELECT g.student_id, p.id, p.civility, p.last_name, p.first_name, p.denomination, g.legal_rank, g.relation, p.address_lines, p.postal_code, p.town
		FROM guardianships g JOIN persons p ON p.uai = g.uai AND p.id = g.parent_id
		WHERE g.uai = $1 AND g.legal AND p.deactivated_at IS NULL`, []any{uai}
	q, args = inIDs(q, args, "g.student_id", studentIDs)
	q += ` ORDER BY g.student_id, CASE WHEN g.legal_rank > 0 THEN g.legal_rank ELSE 3 END, g.parent_id`
	return collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.GuardianContact, error) {
		var c sillage.GuardianContact
		var lines string
		err := r.Scan(&c.StudentID, &c.ParentID, &c.Civility, &c.LastName, &c.FirstName, &c.Denomination, &c.Rank, &c.Relation, &lines, &c.Address.PostalCode, &c.Address.Town)
		if lines != "" {
			c.Address.Lines = strings.Split(lines, "\n")
		}
		return c, err
	})
}
