package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sillage/sillage"
)

const divisionCols = `uai, id, school_year, code, label, mefs, from_sts`

func scanDivision(r scanner) (sillage.Division, error) {
	var d sillage.Division
	var uai, mefs string
	var year int64
	err := r.Scan(&uai, &d.ID, &year, &d.Code, &d.Label, &mefs, &d.FromSTS)
	d.UAI, d.SchoolYear = sillage.UAI(uai), sillage.SchoolYear(year)
	if mefs != "" {
		d.MEFs = strings.Split(mefs, ",")
	}
	return d, err
}

// CreateDivision adds a division and sets its ID.
func (tx People) CreateDivision(ctx context.Context, uai sillage.UAI, d *sillage.Division) error {
	if strings.TrimSpace(d.Code) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le code de la division est obligatoire")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	d.UAI, d.ID = uai, id
	_, err = tx.exec(ctx, `INSERT INTO divisions (uai, id, school_year, code, label, mefs, from_sts) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		uai, d.ID, d.SchoolYear, d.Code, d.Label, strings.Join(d.MEFs, ","), d.FromSTS)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "la division %q existe déjà pour l'année %s", d.Code, d.SchoolYear)
	}
	return err
}

// UpdateDivision rewrites a division's label, MEFs and STS flag.
func (tx People) UpdateDivision(ctx context.Context, uai sillage.UAI, d sillage.Division) error {
	n, err := tx.execN(ctx, `UPDATE divisions SET label = $3, mefs = $4, from_sts = $5 WHERE uai = $1 AND id = $2`,
		uai, d.ID, d.Label, strings.Join(d.MEFs, ","), d.FromSTS)
	return notFoundIfNone(n, err, "division")
}

// GetDivision returns a division.
func (tx People) GetDivision(ctx context.Context, uai sillage.UAI, id int64) (sillage.Division, error) {
	d, err := scanDivision(tx.queryRow(ctx, `SELECT `+divisionCols+` FROM divisions WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return d, sillage.Errorf(sillage.KindNotFound, "division introuvable")
	}
	return d, mapErr(err)
}

// GetDivisionByCode returns the division code of a school year.
func (tx People) GetDivisionByCode(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, code string) (sillage.Division, error) {
	d, err := scanDivision(tx.queryRow(ctx, `SELECT `+divisionCols+` FROM divisions WHERE uai = $1 AND school_year = $2 AND code = $3`, uai, year, code))
	if err == sql.ErrNoRows {
		return d, sillage.Errorf(sillage.KindNotFound, "division %q introuvable", code)
	}
	return d, mapErr(err)
}

// ListDivisions returns the divisions of a school year (0: every year), by code.
func (tx People) ListDivisions(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.Division, error) {
	q, args := `SELECT `+divisionCols+` FROM divisions WHERE uai = $1`, []any{uai}
	if year != 0 {
		q += ` AND school_year = $2`
		args = append(args, year)
	}
	return collect(ctx, tx.txn, q+` ORDER BY school_year, code`, args, func(r *sql.Rows) (sillage.Division, error) { return scanDivision(r) })
}

// DeleteDivision deletes a division; its students keep their records and
// lose the link (the changeover's step 3).
func (tx People) DeleteDivision(ctx context.Context, uai sillage.UAI, id int64) error {
	if _, err := tx.exec(ctx, `UPDATE persons SET division_id = NULL WHERE uai = $1 AND division_id = $2`, uai, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE evaluations SET division_id = NULL WHERE uai = $1 AND division_id = $2`, uai, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `DELETE FROM divisions WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "division")
}

const groupCols = `uai, id, school_year, code, label, kind, lifetime, created_at`

func scanGroup(r scanner) (sillage.Group, error) {
	var g sillage.Group
	var uai, kind, lifetime string
	var year int64
	err := r.Scan(&uai, &g.ID, &year, &g.Code, &g.Label, &kind, &lifetime, ts{&g.CreatedAt})
	g.UAI, g.SchoolYear, g.Kind, g.Lifetime = sillage.UAI(uai), sillage.SchoolYear(year), sillage.GroupKind(kind), sillage.GroupLifetime(lifetime)
	return g, err
}

// CreateGroup adds a group with its managers and sets its ID.
func (tx People) CreateGroup(ctx context.Context, uai sillage.UAI, g *sillage.Group) error {
	if strings.TrimSpace(g.Label) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le nom du groupe est obligatoire")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	g.UAI, g.ID = uai, id
	if g.CreatedAt.IsZero() {
		g.CreatedAt = tx.now
	}
	if g.Lifetime == "" {
		g.Lifetime = sillage.LifetimeYear
	}
	if _, err := tx.exec(ctx, `INSERT INTO groups (uai, id, school_year, code, label, kind, lifetime, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		uai, g.ID, g.SchoolYear, g.Code, g.Label, g.Kind, g.Lifetime, g.CreatedAt); err != nil {
		return err
	}
	for _, m := range g.Managers {
		if _, err := tx.exec(ctx, `INSERT INTO group_managers (uai, group_id, person_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, uai, g.ID, m); err != nil {
			return err
		}
	}
	return nil
}

// GetGroup returns a group with its managers.
func (tx People) GetGroup(ctx context.Context, uai sillage.UAI, id int64) (sillage.Group, error) {
	g, err := scanGroup(tx.queryRow(ctx, `SELECT `+groupCols+` FROM groups WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return g, sillage.Errorf(sillage.KindNotFound, "groupe introuvable")
	}
	if err != nil {
		return g, mapErr(err)
	}
	g.Managers, err = collect(ctx, tx.txn, `SELECT person_id FROM group_managers WHERE uai = $1 AND group_id = $2 ORDER BY person_id`,
		[]any{uai, id}, func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) })
	return g, err
}

// ListGroups returns the groups of a school year (0: every year).
func (tx People) ListGroups(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.Group, error) {
	q, args := `SELECT `+groupCols+` FROM groups WHERE uai = $1`, []any{uai}
	if year != 0 {
		q += ` AND school_year = $2`
		args = append(args, year)
	}
	return collect(ctx, tx.txn, q+` ORDER BY label, id`, args, func(r *sql.Rows) (sillage.Group, error) { return scanGroup(r) })
}

// SetGroupLifetime makes a group permanent or limited to the school year.
func (tx People) SetGroupLifetime(ctx context.Context, uai sillage.UAI, id int64, l sillage.GroupLifetime) error {
	n, err := tx.execN(ctx, `UPDATE groups SET lifetime = $3 WHERE uai = $1 AND id = $2`, uai, id, l)
	return notFoundIfNone(n, err, "groupe")
}

// DeleteGroup deletes a group, its memberships and services.
func (tx People) DeleteGroup(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `DELETE FROM groups WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "groupe")
}

// AddGroupMember adds a person to a group (idempotent).
func (tx People) AddGroupMember(ctx context.Context, uai sillage.UAI, groupID, personID int64) error {
	_, err := tx.exec(ctx, `INSERT INTO group_members (uai, group_id, person_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, uai, groupID, personID)
	return err
}

// RemoveGroupMembers removes every member of a group.
func (tx People) RemoveGroupMembers(ctx context.Context, uai sillage.UAI, groupID int64) error {
	_, err := tx.exec(ctx, `DELETE FROM group_members WHERE uai = $1 AND group_id = $2`, uai, groupID)
	return err
}

// RemoveGroupMember takes a person out of a group (idempotent).
func (tx People) RemoveGroupMember(ctx context.Context, uai sillage.UAI, groupID, personID int64) error {
	_, err := tx.exec(ctx, `DELETE FROM group_members WHERE uai = $1 AND group_id = $2 AND person_id = $3`, uai, groupID, personID)
	return err
}

// teacherGroups selects the ids of the groups a teacher manages or
// teaches (an STS service). $1 is the UAI, $2 the teacher.
const teacherGroups = `SELECT group_id FROM group_managers WHERE uai = $1 AND person_id = $2
	UNION SELECT group_id FROM services WHERE uai = $1 AND teacher_id = $2 AND group_id IS NOT NULL`

// ListTeacherGroups returns the groups a teacher manages or teaches.
func (tx People) ListTeacherGroups(ctx context.Context, uai sillage.UAI, teacherID int64) ([]sillage.Group, error) {
	return collect(ctx, tx.txn, `SELECT `+groupCols+` FROM groups WHERE uai = $1 AND id IN (`+teacherGroups+`) ORDER BY label, id`,
		[]any{uai, teacherID}, func(r *sql.Rows) (sillage.Group, error) { return scanGroup(r) })
}

// TeachesGroup reports whether a teacher manages or teaches a group.
func (tx People) TeachesGroup(ctx context.Context, uai sillage.UAI, teacherID, groupID int64) (bool, error) {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM (`+teacherGroups+`) t WHERE t.group_id = $3`, uai, teacherID, groupID)
	return n > 0, err
}

// ListGroupMembers returns the ids of a group's members.
func (tx People) ListGroupMembers(ctx context.Context, uai sillage.UAI, groupID int64) ([]int64, error) {
	return collect(ctx, tx.txn, `SELECT person_id FROM group_members WHERE uai = $1 AND group_id = $2 ORDER BY person_id`,
		[]any{uai, groupID}, func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) })
}

// ReplaceServices replaces a teacher's services (STS import).
func (tx People) ReplaceServices(ctx context.Context, uai sillage.UAI, teacherID int64, services []sillage.Service) error {
	if _, err := tx.exec(ctx, `DELETE FROM services WHERE uai = $1 AND teacher_id = $2`, uai, teacherID); err != nil {
		return err
	}
	for _, s := range services {
		id, err := tx.NewID(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO services (uai, id, teacher_id, division_id, group_id, subject_code, modality) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			uai, id, teacherID, idOrNull(s.DivisionID), idOrNull(s.GroupID), s.SubjectCode, s.Modality); err != nil {
			return err
		}
	}
	return nil
}

// ListServices returns the services of a teacher (teacherID != 0) or of the whole establishment.
func (tx People) ListServices(ctx context.Context, uai sillage.UAI, teacherID int64) ([]sillage.Service, error) {
	q, args := `SELECT uai, teacher_id, division_id, group_id, subject_code, modality FROM services WHERE uai = $1`, []any{uai}
	if teacherID != 0 {
		q += ` AND teacher_id = $2`
		args = append(args, teacherID)
	}
	return collect(ctx, tx.txn, q+` ORDER BY teacher_id, subject_code, id`, args, func(r *sql.Rows) (sillage.Service, error) {
		var s sillage.Service
		var u string
		err := r.Scan(&u, &s.TeacherID, nullID{&s.DivisionID}, nullID{&s.GroupID}, &s.SubjectCode, &s.Modality)
		s.UAI = sillage.UAI(u)
		return s, err
	})
}

// TeachesDivision reports whether a teacher has a service in a division, or
// is its head teacher: the teacher's reach over the whole division. A
// teacher who only teaches a group reaches that group's students one by one
// (TeachesStudent), never their divisions: a language group drawn from two
// classes must not open either class's grid, space or report.
func (tx People) TeachesDivision(ctx context.Context, uai sillage.UAI, teacherID, divisionID int64) (bool, error) {
	n, err := tx.count(ctx, `SELECT
		(SELECT COUNT(*) FROM services WHERE uai = $1 AND teacher_id = $2 AND division_id = $3) +
		(SELECT COUNT(*) FROM head_teachers WHERE uai = $1 AND teacher_id = $2 AND division_id = $3)`, uai, teacherID, divisionID)
	return n > 0, err
}

// TeachesInDivision reports whether a teacher teaches anyone in a division:
// a service in it, its head, or a group service with a member in it. Only
// for pages that then keep the rows of the students within reach, such as
// the LSU grid of a language group drawn from several classes.
func (tx People) TeachesInDivision(ctx context.Context, uai sillage.UAI, teacherID, divisionID int64) (bool, error) {
	if ok, err := tx.TeachesDivision(ctx, uai, teacherID, divisionID); err != nil || ok {
		return ok, err
	}
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM services s JOIN group_members m ON m.uai = s.uai AND m.group_id = s.group_id
		JOIN persons p ON p.uai = m.uai AND p.id = m.person_id
		WHERE s.uai = $1 AND s.teacher_id = $2 AND p.division_id = $3`, uai, teacherID, divisionID)
	return n > 0, err
}

// TeacherDivisionIDs returns the divisions a teacher teaches or heads.
func (tx People) TeacherDivisionIDs(ctx context.Context, uai sillage.UAI, teacherID int64) ([]int64, error) {
	return collect(ctx, tx.txn, `SELECT division_id FROM services WHERE uai = $1 AND teacher_id = $2 AND division_id IS NOT NULL
		UNION SELECT division_id FROM head_teachers WHERE uai = $1 AND teacher_id = $2
		ORDER BY 1`, []any{uai, teacherID}, func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) })
}

// SetHeadTeachers replaces the head teachers of a division.
func (tx People) SetHeadTeachers(ctx context.Context, uai sillage.UAI, divisionID int64, teacherIDs []int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM head_teachers WHERE uai = $1 AND division_id = $2`, uai, divisionID); err != nil {
		return err
	}
	for _, t := range teacherIDs {
		if _, err := tx.exec(ctx, `INSERT INTO head_teachers (uai, division_id, teacher_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, uai, divisionID, t); err != nil {
			return err
		}
	}
	return nil
}

// ListHeadTeachers returns the head teachers of a division.
func (tx People) ListHeadTeachers(ctx context.Context, uai sillage.UAI, divisionID int64) ([]int64, error) {
	return collect(ctx, tx.txn, `SELECT teacher_id FROM head_teachers WHERE uai = $1 AND division_id = $2 ORDER BY teacher_id`,
		[]any{uai, divisionID}, func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) })
}

// UpsertMEF records a MEF code and its labels.
func (tx People) UpsertMEF(ctx context.Context, uai sillage.UAI, m sillage.MEF) error {
	_, err := tx.exec(ctx, `INSERT INTO mefs (uai, code, formation, label) VALUES ($1, $2, $3, $4)
		ON CONFLICT (uai, code) DO UPDATE SET formation = excluded.formation, label = excluded.label`, uai, m.Code, m.Formation, m.Label)
	return err
}

// ListMEFs returns the MEFs of an establishment.
func (tx People) ListMEFs(ctx context.Context, uai sillage.UAI) ([]sillage.MEF, error) {
	return collect(ctx, tx.txn, `SELECT code, formation, label FROM mefs WHERE uai = $1 ORDER BY code`, []any{uai},
		func(r *sql.Rows) (sillage.MEF, error) {
			var m sillage.MEF
			return m, r.Scan(&m.Code, &m.Formation, &m.Label)
		})
}

// UpsertSubject records a subject and its labels.
func (tx People) UpsertSubject(ctx context.Context, uai sillage.UAI, s sillage.Subject) error {
	_, err := tx.exec(ctx, `INSERT INTO subjects (uai, code, short_label, long_label, national_code) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (uai, code) DO UPDATE SET short_label = excluded.short_label, long_label = excluded.long_label, national_code = excluded.national_code`,
		uai, s.Code, s.ShortLabel, s.LongLabel, s.NationalCode)
	return err
}

// ListSubjects returns the subjects of an establishment.
func (tx People) ListSubjects(ctx context.Context, uai sillage.UAI) ([]sillage.Subject, error) {
	return collect(ctx, tx.txn, `SELECT code, short_label, long_label, national_code FROM subjects WHERE uai = $1 ORDER BY code`, []any{uai},
		func(r *sql.Rows) (sillage.Subject, error) {
			var s sillage.Subject
			return s, r.Scan(&s.Code, &s.ShortLabel, &s.LongLabel, &s.NationalCode)
		})
}

// ReplaceProgrammes replaces the Nomenclature's programmes of an establishment.
func (tx People) ReplaceProgrammes(ctx context.Context, uai sillage.UAI, ps []sillage.Programme) error {
	if _, err := tx.exec(ctx, `DELETE FROM programmes WHERE uai = $1`, uai); err != nil {
		return err
	}
	for _, p := range ps {
		if _, err := tx.exec(ctx, `INSERT INTO programmes (uai, mef, subject_code, modality, hours) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`, uai, p.MEF, p.SubjectCode, p.Modality, p.Hours); err != nil {
			return err
		}
	}
	return nil
}

// ListProgrammes returns the programmes of an establishment.
func (tx People) ListProgrammes(ctx context.Context, uai sillage.UAI) ([]sillage.Programme, error) {
	return collect(ctx, tx.txn, `SELECT mef, subject_code, modality, hours FROM programmes WHERE uai = $1 ORDER BY mef, subject_code, modality`, []any{uai},
		func(r *sql.Rows) (sillage.Programme, error) {
			var p sillage.Programme
			return p, r.Scan(&p.MEF, &p.SubjectCode, &p.Modality, &p.Hours)
		})
}
