package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sillage/sillage"
)

func intOrNull(v *int) any {
	if v == nil {
		return nil
	}
	return int64(*v)
}

// nullInt scans a nullable integer into a *int.
type nullInt struct{ p **int }

func (s nullInt) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	if !n.Valid {
		*s.p = nil
		return nil
	}
	v := int(n.Int64)
	*s.p = &v
	return nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

const periodicReportCols = `uai, id, student_id, period_id, state, closed_at, closed_by, council_date, general_appreciation,
	late, absences, unjustified, missed_hours, school_life_comment, support, ppre_complement, updated_at, updated_by`

func scanPeriodicReport(r scanner) (sillage.PeriodicReport, error) {
	var p sillage.PeriodicReport
	var u, state, support string
	err := r.Scan(&u, &p.ID, &p.StudentID, &p.PeriodID, &state, ts{&p.ClosedAt}, &p.ClosedBy, dt{&p.CouncilDate}, &p.GeneralAppreciation,
		nullInt{&p.Late}, nullInt{&p.Absences}, nullInt{&p.Unjustified}, nullInt{&p.MissedHours}, &p.SchoolLifeComment, &support,
		&p.PPREComplement, ts{&p.UpdatedAt}, &p.UpdatedBy)
	p.UAI, p.State, p.Support = sillage.UAI(u), sillage.ReportState(state), splitList(support)
	return p, err
}

// UpsertPeriodicReport returns the report of a student for a period,
// creating it as a draft when there is none.
func (tx Livret) UpsertPeriodicReport(ctx context.Context, uai sillage.UAI, studentID, periodID int64, by int64) (sillage.PeriodicReport, error) {
	r, err := tx.FindPeriodicReport(ctx, uai, studentID, periodID)
	if sillage.KindOf(err) != sillage.KindNotFound {
		return r, err
	}
	// Checked first: on PostgreSQL a failed insert would abort the caller's
	// transaction.
	n, err := tx.count(ctx, `SELECT (SELECT COUNT(*) FROM persons WHERE uai = $1 AND id = $2 AND role = 'student')
		* (SELECT COUNT(*) FROM periods WHERE uai = $1 AND id = $3)`, uai, studentID, periodID)
	if err != nil {
		return r, err
	}
	if n == 0 {
		return r, sillage.Errorf(sillage.KindNotFound, "élève ou période introuvable")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return r, err
	}
	_, err = tx.exec(ctx, `INSERT INTO lsu_periodic_reports (uai, id, student_id, period_id, state, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, 'draft', $5, $6)`, uai, id, studentID, periodID, tx.now, by)
	if err != nil {
		return r, err
	}
	return tx.GetPeriodicReport(ctx, uai, id)
}

// GetPeriodicReport returns a periodic report.
func (tx Livret) GetPeriodicReport(ctx context.Context, uai sillage.UAI, id int64) (sillage.PeriodicReport, error) {
	r, err := scanPeriodicReport(tx.queryRow(ctx, `SELECT `+periodicReportCols+` FROM lsu_periodic_reports WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return r, sillage.Errorf(sillage.KindNotFound, "bilan introuvable")
	}
	return r, mapErr(err)
}

// FindPeriodicReport returns the report of a student for a period.
func (tx Livret) FindPeriodicReport(ctx context.Context, uai sillage.UAI, studentID, periodID int64) (sillage.PeriodicReport, error) {
	r, err := scanPeriodicReport(tx.queryRow(ctx, `SELECT `+periodicReportCols+` FROM lsu_periodic_reports
		WHERE uai = $1 AND student_id = $2 AND period_id = $3`, uai, studentID, periodID))
	if err == sql.ErrNoRows {
		return r, sillage.Errorf(sillage.KindNotFound, "bilan introuvable")
	}
	return r, mapErr(err)
}

// ListPeriodicReports returns periodic reports, by student then period.
func (tx Livret) ListPeriodicReports(ctx context.Context, uai sillage.UAI, f sillage.ReportFilter) ([]sillage.PeriodicReport, error) {
	q, args := `SELECT `+periodicReportCols+` FROM lsu_periodic_reports WHERE uai = $1`, []any{uai}
	q, args = inIDs(q, args, "period_id", f.PeriodIDs)
	q, args = inIDs(q, args, "student_id", f.StudentIDs)
	if f.DivisionID != 0 {
		args = append(args, f.DivisionID)
		q += fmt.Sprintf(` AND student_id IN (SELECT id FROM persons WHERE uai = $1 AND division_id = $%d)`, len(args))
	}
	return collect(ctx, tx.txn, q+` ORDER BY student_id, period_id`, args, func(r *sql.Rows) (sillage.PeriodicReport, error) { return scanPeriodicReport(r) })
}

// errReportClosed refuses a change to a closed report.
func errReportClosed() error {
	return sillage.Errorf(sillage.KindConflict, "ce bilan est fermé : il ne peut plus être modifié (seuls le chef d'établissement ou un administrateur peuvent le rouvrir)")
}

// lockDraft checks that a report of the establishment exists and is a draft.
func (tx *Tx) lockDraft(ctx context.Context, uai sillage.UAI, table string, id int64) error {
	var state string
	err := tx.queryRow(ctx, `SELECT state FROM `+table+` WHERE uai = $1 AND id = $2`, uai, id).Scan(&state)
	if err == sql.ErrNoRows {
		return sillage.Errorf(sillage.KindNotFound, "bilan introuvable")
	}
	if err != nil {
		return mapErr(err)
	}
	if sillage.ReportState(state) == sillage.ReportClosed {
		return errReportClosed()
	}
	return nil
}

// UpdatePeriodicReport rewrites what the head teacher enters: general
// appreciation, school life, support measures and class council date. A
// closed report is refused.
func (tx Livret) UpdatePeriodicReport(ctx context.Context, uai sillage.UAI, r sillage.PeriodicReport) error {
	if err := tx.lockDraft(ctx, uai, "lsu_periodic_reports", r.ID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `UPDATE lsu_periodic_reports SET council_date = $3, general_appreciation = $4, late = $5, absences = $6,
		unjustified = $7, missed_hours = $8, school_life_comment = $9, support = $10, ppre_complement = $11, updated_at = $12, updated_by = $13
		WHERE uai = $1 AND id = $2`, uai, r.ID, r.CouncilDate, r.GeneralAppreciation, intOrNull(r.Late), intOrNull(r.Absences),
		intOrNull(r.Unjustified), intOrNull(r.MissedHours), r.SchoolLifeComment, strings.Join(r.Support, ","), r.PPREComplement, tx.now, r.UpdatedBy)
	return err
}

// SetPeriodicReportState closes a report (stamping the closing instant and
// who closed it) or reopens it (the last closing date is kept).
func (tx Livret) SetPeriodicReportState(ctx context.Context, uai sillage.UAI, id int64, state sillage.ReportState, by int64) error {
	return tx.setReportState(ctx, uai, "lsu_periodic_reports", id, state, by)
}

func (tx *Tx) setReportState(ctx context.Context, uai sillage.UAI, table string, id int64, state sillage.ReportState, by int64) error {
	var n int64
	var err error
	switch state {
	case sillage.ReportClosed:
		n, err = tx.execN(ctx, `UPDATE `+table+` SET state = 'closed', closed_at = $3, closed_by = $4, updated_at = $3, updated_by = $4
			WHERE uai = $1 AND id = $2 AND state = 'draft'`, uai, id, tx.now, by)
	case sillage.ReportDraft:
		n, err = tx.execN(ctx, `UPDATE `+table+` SET state = 'draft', updated_at = $3, updated_by = $4
			WHERE uai = $1 AND id = $2 AND state = 'closed'`, uai, id, tx.now, by)
	default:
		return sillage.Errorf(sillage.KindInvalid, "état de bilan %q inconnu", state)
	}
	if err != nil || n > 0 {
		return err
	}
	var cur string
	err = tx.queryRow(ctx, `SELECT state FROM `+table+` WHERE uai = $1 AND id = $2`, uai, id).Scan(&cur)
	if err == sql.ErrNoRows {
		return sillage.Errorf(sillage.KindNotFound, "bilan introuvable")
	}
	if err != nil {
		return mapErr(err)
	}
	if state == sillage.ReportClosed {
		return sillage.Errorf(sillage.KindConflict, "ce bilan est déjà fermé")
	}
	return sillage.Errorf(sillage.KindConflict, "ce bilan n'est pas fermé")
}

const subjectResultCols = `uai, report_id, subject_code, average, positioning, status, appreciation, teacher_id, updated_at`

func scanSubjectResult(r scanner) (sillage.SubjectResult, error) {
	var s sillage.SubjectResult
	var u string
	err := r.Scan(&u, &s.ReportID, &s.SubjectCode, nullInt{&s.Average}, &s.Positioning, &s.Status, &s.Appreciation, &s.TeacherID, ts{&s.UpdatedAt})
	s.UAI = sillage.UAI(u)
	return s, err
}

// SetSubjectResult writes a subject line of a draft report; an empty line
// is removed. Values are checked here so no path stores what LSU refuses.
func (tx Livret) SetSubjectResult(ctx context.Context, uai sillage.UAI, s sillage.SubjectResult) error {
	switch {
	case strings.TrimSpace(s.SubjectCode) == "":
		return sillage.Errorf(sillage.KindInvalid, "matière manquante")
	case s.Average != nil && (*s.Average < 0 || *s.Average > 2000):
		return sillage.Errorf(sillage.KindInvalid, "la moyenne doit être comprise entre 0 et 20")
	case s.Positioning < 0 || s.Positioning > 4:
		return sillage.Errorf(sillage.KindInvalid, "le positionnement doit être compris entre 1 et 4")
	case s.Status < 0 || s.Status > 3:
		return sillage.Errorf(sillage.KindInvalid, "statut d'évaluation inconnu")
	}
	if err := tx.lockDraft(ctx, uai, "lsu_periodic_reports", s.ReportID); err != nil {
		return err
	}
	if s.Empty() {
		_, err := tx.exec(ctx, `DELETE FROM lsu_subject_results WHERE uai = $1 AND report_id = $2 AND subject_code = $3`, uai, s.ReportID, s.SubjectCode)
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO lsu_subject_results (uai, report_id, subject_code, average, positioning, status, appreciation, teacher_id, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (uai, report_id, subject_code) DO UPDATE SET average = excluded.average, positioning = excluded.positioning,
		status = excluded.status, appreciation = excluded.appreciation, teacher_id = excluded.teacher_id, updated_at = excluded.updated_at`,
		uai, s.ReportID, s.SubjectCode, intOrNull(s.Average), s.Positioning, s.Status, s.Appreciation, s.TeacherID, tx.now)
	return err
}

// ListSubjectResults returns the subject lines of reports (nil: every
// report of the establishment), by report then subject.
func (tx Livret) ListSubjectResults(ctx context.Context, uai sillage.UAI, reportIDs []int64) ([]sillage.SubjectResult, error) {
	q, args := `SELECT `+subjectResultCols+` FROM lsu_subject_results WHERE uai = $1`, []any{uai}
	q, args = inIDs(q, args, "report_id", reportIDs)
	return collect(ctx, tx.txn, q+` ORDER BY report_id, subject_code`, args, func(r *sql.Rows) (sillage.SubjectResult, error) { return scanSubjectResult(r) })
}

// ListPeriodSubjectResults returns the subject lines of one subject for
// a period's reports of the students of a division, keyed by student.
func (tx Livret) ListPeriodSubjectResults(ctx context.Context, uai sillage.UAI, divisionID, periodID int64, subjectCode string) (map[int64]sillage.SubjectResult, error) {
	rows, err := tx.query(ctx, `SELECT r.student_id, `+prefixed("s.", subjectResultCols)+` FROM lsu_subject_results s
		JOIN lsu_periodic_reports r ON r.uai = s.uai AND r.id = s.report_id
		WHERE s.uai = $1 AND r.period_id = $2 AND s.subject_code = $3
		AND r.student_id IN (SELECT id FROM persons WHERE uai = $1 AND division_id = $4)`, uai, periodID, subjectCode, divisionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]sillage.SubjectResult{}
	for rows.Next() {
		var student int64
		var s sillage.SubjectResult
		var u string
		if err := rows.Scan(&student, &u, &s.ReportID, &s.SubjectCode, nullInt{&s.Average}, &s.Positioning, &s.Status, &s.Appreciation,
			&s.TeacherID, ts{&s.UpdatedAt}); err != nil {
			return nil, mapErr(err)
		}
		s.UAI = sillage.UAI(u)
		out[student] = s
	}
	return out, mapErr(rows.Err())
}

const elementCols = `uai, id, division_id, period_id, subject_code, label, created_at`

// AddProgrammeElement records a programme element worked on and sets its ID.
func (tx Livret) AddProgrammeElement(ctx context.Context, uai sillage.UAI, e *sillage.ProgrammeElement) error {
	e.Label = strings.TrimSpace(e.Label)
	if e.Label == "" || strings.TrimSpace(e.SubjectCode) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le libellé de l'élément de programme est obligatoire")
	}
	n, err := tx.count(ctx, `SELECT (SELECT COUNT(*) FROM divisions WHERE uai = $1 AND id = $2)
		* (SELECT COUNT(*) FROM periods WHERE uai = $1 AND id = $3)`, uai, e.DivisionID, e.PeriodID)
	if err != nil {
		return err
	}
	if n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "division ou période introuvable")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	e.UAI, e.ID, e.CreatedAt = uai, id, tx.now
	_, err = tx.exec(ctx, `INSERT INTO lsu_programme_elements (uai, id, division_id, period_id, subject_code, label, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, uai, e.ID, e.DivisionID, e.PeriodID, e.SubjectCode, e.Label, e.CreatedAt)
	return err
}

// ListProgrammeElements returns the elements of a division and period
// (0: every one), in the order they were added.
func (tx Livret) ListProgrammeElements(ctx context.Context, uai sillage.UAI, divisionID, periodID int64) ([]sillage.ProgrammeElement, error) {
	q, args := `SELECT `+elementCols+` FROM lsu_programme_elements WHERE uai = $1`, []any{uai}
	if divisionID != 0 {
		args = append(args, divisionID)
		q += fmt.Sprintf(` AND division_id = $%d`, len(args))
	}
	if periodID != 0 {
		args = append(args, periodID)
		q += fmt.Sprintf(` AND period_id = $%d`, len(args))
	}
	return collect(ctx, tx.txn, q+` ORDER BY division_id, period_id, subject_code, created_at, id`, args, func(r *sql.Rows) (sillage.ProgrammeElement, error) {
		var e sillage.ProgrammeElement
		var u string
		err := r.Scan(&u, &e.ID, &e.DivisionID, &e.PeriodID, &e.SubjectCode, &e.Label, ts{&e.CreatedAt})
		e.UAI = sillage.UAI(u)
		return e, err
	})
}

// DeleteProgrammeElement removes a programme element.
func (tx Livret) DeleteProgrammeElement(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `DELETE FROM lsu_programme_elements WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "élément de programme")
}

// ListCompetenceValues returns the results a teacher gave in a division's
// evaluations dated within [from, to] (live evaluations only).
func (tx Livret) ListCompetenceValues(ctx context.Context, uai sillage.UAI, divisionID, authorID int64, from, to sillage.Date) ([]sillage.CompetenceValue, error) {
	return collect(ctx, tx.txn, `SELECT r.student_id, r.value FROM results r
		JOIN evaluations e ON e.uai = r.uai AND e.id = r.evaluation_id
		WHERE r.uai = $1 AND e.division_id = $2 AND e.author_id = $3 AND e.deleted_at IS NULL AND e.date >= $4 AND e.date <= $5
		ORDER BY r.student_id, e.date, r.evaluation_id, r.competence_id`, []any{uai, divisionID, authorID, from, to},
		func(r *sql.Rows) (sillage.CompetenceValue, error) {
			var v sillage.CompetenceValue
			return v, r.Scan(&v.StudentID, &v.Value)
		})
}
