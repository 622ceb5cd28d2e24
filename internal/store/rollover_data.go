package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sillage/sillage"
)

// The changeover's reads and bulk writes over the other capabilities'
// tables: the trash purge of step 1, the year-scoped data of step 3, the
// students concerned by step 2's archives, step 4's retention.

// CountTrash counts the items moved to the trash before cutoff (zero: all).
func (tx Rollover) CountTrash(ctx context.Context, uai sillage.UAI, cutoff time.Time) (sillage.TrashCounts, error) {
	if cutoff.IsZero() {
		cutoff = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var c sillage.TrashCounts
	err := tx.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM evaluations WHERE uai = $1 AND deleted_at IS NOT NULL AND deleted_at < $2),
		(SELECT COUNT(*) FROM sheets WHERE uai = $1 AND deleted_at IS NOT NULL AND deleted_at < $2),
		(SELECT COUNT(*) FROM documents WHERE uai = $1 AND deleted_at IS NOT NULL AND deleted_at < $2),
		(SELECT COUNT(*) FROM class_spaces WHERE uai = $1 AND trashed_at IS NOT NULL AND trashed_at < $2)`, uai, cutoff).
		Scan(&c.Evaluations, &c.Sheets, &c.Documents, &c.ClassSpaces)
	return c, mapErr(err)
}

// DeleteTrashedEvaluations deletes up to limit evaluations moved to the
// trash before cutoff, with their results and comments; it returns how
// many went (the changeover's step 1 calls it until 0).
func (tx Rollover) DeleteTrashedEvaluations(ctx context.Context, uai sillage.UAI, cutoff time.Time, limit int) (int, error) {
	const which = `(SELECT id FROM evaluations WHERE uai = $1 AND deleted_at IS NOT NULL AND deleted_at < $2 ORDER BY id LIMIT $3)`
	if err := tx.deleteRecordsWhere(ctx, `uai = $1 AND evaluation_id IN `+which, uai, cutoff, limit); err != nil {
		return 0, err
	}
	n, err := tx.execN(ctx, `DELETE FROM evaluations WHERE uai = $1 AND id IN `+which, uai, cutoff, limit)
	return int(n), err
}

// DeleteTrashedSheets deletes up to limit sheets moved to the trash before
// cutoff, with their attachments' rows.
func (tx Rollover) DeleteTrashedSheets(ctx context.Context, uai sillage.UAI, cutoff time.Time, limit int) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM sheets WHERE uai = $1 AND id IN (SELECT id FROM sheets
		WHERE uai = $1 AND deleted_at IS NOT NULL AND deleted_at < $2 ORDER BY id LIMIT $3)`, uai, cutoff, limit)
	return int(n), err
}

// DeleteTrashedDocuments deletes up to limit documents moved to the trash
// before cutoff.
func (tx Rollover) DeleteTrashedDocuments(ctx context.Context, uai sillage.UAI, cutoff time.Time, limit int) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM documents WHERE uai = $1 AND id IN (SELECT id FROM documents
		WHERE uai = $1 AND deleted_at IS NOT NULL AND deleted_at < $2 ORDER BY id LIMIT $3)`, uai, cutoff, limit)
	return int(n), err
}

// CountYearScoped counts what step 3 deletes for year (and the years before).
func (tx Rollover) CountYearScoped(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (sillage.YearCounts, error) {
	var c sillage.YearCounts
	err := tx.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM divisions WHERE uai = $1 AND school_year <= $2),
		(SELECT COUNT(*) FROM groups WHERE uai = $1 AND kind = 'option' AND school_year <= $2),
		(SELECT COUNT(*) FROM groups WHERE uai = $1 AND kind = 'free' AND lifetime = 'year'),
		(SELECT COUNT(*) FROM groups WHERE uai = $1 AND kind = 'timetable'),
		(SELECT COUNT(*) FROM periods WHERE uai = $1 AND school_year <= $2),
		(SELECT COUNT(*) FROM import_reports WHERE uai = $1 AND school_year <= $2),
		(SELECT COUNT(*) FROM credential_lists WHERE uai = $1 AND school_year <= $2),
		(SELECT COUNT(*) FROM class_spaces WHERE uai = $1 AND trashed_at IS NULL AND school_year <= $2)`, uai, year).
		Scan(&c.Divisions, &c.OptionGroups, &c.FreeYearGroups, &c.TimetableGroups, &c.Periods, &c.ImportReports, &c.CredentialLists, &c.ClassSpaces)
	return c, mapErr(err)
}

// ListYearLimitedGroups returns the free groups limited to the school year,
// with their managers: the groups step 3 deletes and whose managers are warned.
func (tx Rollover) ListYearLimitedGroups(ctx context.Context, uai sillage.UAI) ([]sillage.Group, error) {
	groups, err := collect(ctx, tx.txn, `SELECT `+groupCols+` FROM groups WHERE uai = $1 AND kind = 'free' AND lifetime = 'year' ORDER BY label, id`,
		[]any{uai}, func(r *sql.Rows) (sillage.Group, error) { return scanGroup(r) })
	if err != nil || len(groups) == 0 {
		return groups, err
	}
	type link struct{ group, person int64 }
	links, err := collect(ctx, tx.txn, `SELECT m.group_id, m.person_id FROM group_managers m JOIN groups g ON g.uai = m.uai AND g.id = m.group_id
		WHERE m.uai = $1 AND g.kind = 'free' AND g.lifetime = 'year' ORDER BY m.group_id, m.person_id`, []any{uai},
		func(r *sql.Rows) (link, error) { var l link; return l, r.Scan(&l.group, &l.person) })
	if err != nil {
		return nil, err
	}
	idx := map[int64]int{}
	for i, g := range groups {
		idx[g.ID] = i
	}
	for _, l := range links {
		if i, ok := idx[l.group]; ok {
			groups[i].Managers = append(groups[i].Managers, l.person)
		}
	}
	return groups, nil
}

// ListManagedGroups returns the groups a person manages (every group of
// the establishment when personID is 0), with their managers.
func (tx Rollover) ListManagedGroups(ctx context.Context, uai sillage.UAI, personID int64) ([]sillage.Group, error) {
	q, args := `SELECT `+groupCols+` FROM groups WHERE uai = $1`, []any{uai}
	if personID != 0 {
		q += ` AND id IN (SELECT group_id FROM group_managers WHERE uai = $1 AND person_id = $2)`
		args = append(args, personID)
	}
	groups, err := collect(ctx, tx.txn, q+` ORDER BY label, id`, args, func(r *sql.Rows) (sillage.Group, error) { return scanGroup(r) })
	if err != nil {
		return nil, err
	}
	for i := range groups {
		if groups[i].Managers, err = collect(ctx, tx.txn, `SELECT person_id FROM group_managers WHERE uai = $1 AND group_id = $2 ORDER BY person_id`,
			[]any{uai, groups[i].ID}, func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) }); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// DeleteGroupsOfKind deletes the groups of a kind (option groups of year
// and before; timetable groups of every year; free groups limited to the
// school year of every year) with their memberships and services; it
// returns how many went.
func (tx Rollover) DeleteGroupsOfKind(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, kind sillage.GroupKind) (int, error) {
	var n int64
	var err error
	switch kind {
	case sillage.GroupOption:
		n, err = tx.execN(ctx, `DELETE FROM groups WHERE uai = $1 AND kind = 'option' AND school_year <= $2`, uai, year)
	case sillage.GroupTimetable:
		n, err = tx.execN(ctx, `DELETE FROM groups WHERE uai = $1 AND kind = 'timetable'`, uai)
	case sillage.GroupFree:
		n, err = tx.execN(ctx, `DELETE FROM groups WHERE uai = $1 AND kind = 'free' AND lifetime = 'year'`, uai)
	default:
		return 0, sillage.Errorf(sillage.KindInvalid, "type de groupe %q inconnu", kind)
	}
	return int(n), err
}

// DeletePeriods deletes the periods of year and before (with the Livret
// Scolaire period reports and programme elements that hang from them).
func (tx Rollover) DeletePeriods(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM periods WHERE uai = $1 AND school_year <= $2`, uai, year)
	return int(n), err
}

// ListYearStudents returns the students concerned by school year: in one
// of its divisions, or with a result or comment on one of its evaluations,
// or a sheet written or evaluated during it, or a Livret Scolaire report PDF of it.
// from and to bound the year (sheets are dated by their creation and last change).
func (tx Rollover) ListYearStudents(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, from, to time.Time) ([]int64, error) {
	return collect(ctx, tx.txn, `SELECT id FROM persons WHERE uai = $1 AND role = 'student' AND (
		division_id IN (SELECT id FROM divisions WHERE uai = $1 AND school_year = $2)
		OR id IN (SELECT r.student_id FROM results r JOIN evaluations e ON e.uai = r.uai AND e.id = r.evaluation_id
			WHERE r.uai = $1 AND e.school_year = $2 AND e.deleted_at IS NULL)
		OR id IN (SELECT c.student_id FROM comments c JOIN evaluations e ON e.uai = c.uai AND e.id = c.evaluation_id
			WHERE c.uai = $1 AND e.school_year = $2 AND e.deleted_at IS NULL)
		OR id IN (SELECT student_id FROM sheets WHERE uai = $1 AND deleted_at IS NULL
			AND ((created_at >= $3 AND created_at < $4) OR (updated_at >= $3 AND updated_at < $4)))
		OR id IN (SELECT student_id FROM lsu_report_pdfs WHERE uai = $1 AND school_year = $2))
		ORDER BY id`, []any{uai, year, from, to}, func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) })
}

// ListRetentionCandidates returns the persons other than students
// deactivated before cutoff: step 4 deletes them with their data.
func (tx Rollover) ListRetentionCandidates(ctx context.Context, uai sillage.UAI, cutoff time.Time) ([]sillage.Person, error) {
	return collect(ctx, tx.txn, `SELECT `+personCols+` FROM persons WHERE uai = $1 AND role NOT IN ('student', 'system')
		AND deactivated_at IS NOT NULL AND deactivated_at < $2 ORDER BY id`, []any{uai, cutoff},
		func(r *sql.Rows) (sillage.Person, error) { return scanPerson(r) })
}

// ListDivisionArchiveCounts counts, for each division of year, what its
// archive will hold (the dry run's figures).
func (tx Rollover) ListDivisionArchiveCounts(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.DivisionArchiveCounts, error) {
	return collect(ctx, tx.txn, `SELECT d.id, d.code,
		(SELECT COUNT(*) FROM persons p WHERE p.uai = d.uai AND p.role = 'student' AND p.division_id = d.id),
		(SELECT COUNT(*) FROM evaluations e WHERE e.uai = d.uai AND e.division_id = d.id AND e.deleted_at IS NULL),
		(SELECT COUNT(*) FROM results r JOIN evaluations e ON e.uai = r.uai AND e.id = r.evaluation_id
			WHERE r.uai = d.uai AND e.division_id = d.id AND e.deleted_at IS NULL),
		(SELECT COUNT(*) FROM comments c JOIN evaluations e ON e.uai = c.uai AND e.id = c.evaluation_id
			WHERE c.uai = d.uai AND e.division_id = d.id AND e.deleted_at IS NULL),
		(SELECT COUNT(*) FROM lsu_report_pdfs l WHERE l.uai = d.uai AND l.school_year = d.school_year AND l.division_code = d.code)
		FROM divisions d WHERE d.uai = $1 AND d.school_year = $2 ORDER BY d.code`, []any{uai, year},
		func(r *sql.Rows) (sillage.DivisionArchiveCounts, error) {
			var c sillage.DivisionArchiveCounts
			return c, r.Scan(&c.DivisionID, &c.Code, &c.Students, &c.Evaluations, &c.Results, &c.Comments, &c.ReportPDFs)
		})
}

// CountYearAttachments counts the files attached to the sheets written
// or changed during [from, to) (the students' archives copy them).
func (tx Rollover) CountYearAttachments(ctx context.Context, uai sillage.UAI, from, to time.Time) (int, int64, error) {
	var n int
	var size int64
	err := tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(a.size), 0) FROM attachments a JOIN sheets s ON s.uai = a.uai AND s.id = a.sheet_id
		WHERE a.uai = $1 AND s.deleted_at IS NULL
		AND ((s.created_at >= $2 AND s.created_at < $3) OR (s.updated_at >= $2 AND s.updated_at < $3))`, uai, from, to).Scan(&n, &size)
	return n, size, mapErr(err)
}
