package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/french"
)

const personCols = `uai, id, role, account_id, civility, last_name, first_name, email, birth_date, source,
	siecle_id, aaf_id, sts_id, created_at, updated_at, deactivated_at, last_sign_in_at`

const studentCols = personCols + `, unqid, ine_status, previous_uai, previous_name, entered_at, school_entry,
	exit_date, exit_reason, transfer_status, transferred_at, mef, diploma, division_id,
	COALESCE((SELECT d.code FROM divisions d WHERE d.uai = persons.uai AND d.id = persons.division_id), '')`

type scanner interface{ Scan(...any) error }

func personDest(p *sillage.Person, uai, role, source *string) []any {
	return []any{uai, &p.ID, role, nullID{&p.AccountID}, &p.Civility, &p.LastName, &p.FirstName, &p.Email,
		dt{&p.BirthDate}, source, &p.SIECLEID, &p.AAFID, &p.STSID, ts{&p.CreatedAt}, ts{&p.UpdatedAt},
		ts{&p.DeactivatedAt}, ts{&p.LastSignInAt}}
}

func scanPerson(r scanner) (sillage.Person, error) {
	var p sillage.Person
	var uai, role, source string
	err := r.Scan(personDest(&p, &uai, &role, &source)...)
	p.UAI, p.Role, p.Source = sillage.UAI(uai), sillage.Role(role), sillage.Source(source)
	return p, err
}

func scanStudent(r scanner) (sillage.Student, error) {
	var s sillage.Student
	var uai, role, source, ineStatus, prevUAI, status string
	dest := personDest(&s.Person, &uai, &role, &source)
	dest = append(dest, &s.Unqid, &ineStatus, &prevUAI, &s.PreviousName, ts{&s.EnteredAt}, dt{&s.SchoolEntry},
		dt{&s.ExitDate}, &s.ExitReason, &status, ts{&s.TransferredAt}, &s.MEF, &s.Diploma, nullID{&s.DivisionID}, &s.DivisionCode)
	err := r.Scan(dest...)
	s.UAI, s.Role, s.Source = sillage.UAI(uai), sillage.Role(role), sillage.Source(source)
	s.INEStatus, s.PreviousUAI, s.TransferStatus = sillage.INEStatus(ineStatus), sillage.UAI(prevUAI), sillage.TransferStatus(status)
	return s, err
}

func (tx *Tx) stampPerson(ctx context.Context, uai sillage.UAI, p *sillage.Person) error {
	p.UAI = uai
	if p.ID == 0 {
		id, err := tx.NewID(ctx)
		if err != nil {
			return err
		}
		p.ID = id
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = tx.now
	}
	p.UpdatedAt = tx.now
	if strings.TrimSpace(p.LastName) == "" && strings.TrimSpace(p.FirstName) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le nom est obligatoire")
	}
	return nil
}

// CreatePerson adds a person (not a student: use CreateStudent) and sets its ID.
func (tx People) CreatePerson(ctx context.Context, uai sillage.UAI, p *sillage.Person) error {
	if p.Role == sillage.RoleStudent {
		return sillage.Errorf(sillage.KindInvalid, "un élève se crée avec CreateStudent")
	}
	if err := tx.stampPerson(ctx, uai, p); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO persons (uai, id, role, account_id, civility, last_name, first_name, email, birth_date, source,
		siecle_id, aaf_id, sts_id, created_at, updated_at, deactivated_at, last_sign_in_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		uai, p.ID, p.Role, idOrNull(p.AccountID), p.Civility, p.LastName, p.FirstName, p.Email, p.BirthDate, p.Source,
		p.SIECLEID, p.AAFID, p.STSID, p.CreatedAt, p.UpdatedAt, p.DeactivatedAt, p.LastSignInAt)
	return err
}

// CreateStudent adds a student and sets its ID.
func (tx People) CreateStudent(ctx context.Context, uai sillage.UAI, s *sillage.Student) error {
	s.Role = sillage.RoleStudent
	if err := tx.stampPerson(ctx, uai, &s.Person); err != nil {
		return err
	}
	if s.EnteredAt.IsZero() {
		s.EnteredAt = tx.now
	}
	if s.TransferStatus == "" {
		s.TransferStatus = sillage.TransferNew
	}
	_, err := tx.exec(ctx, `INSERT INTO persons (uai, id, role, account_id, civility, last_name, first_name, email, birth_date, source,
		siecle_id, aaf_id, sts_id, created_at, updated_at, deactivated_at, last_sign_in_at,
		unqid, ine_status, previous_uai, previous_name, entered_at, school_entry, exit_date, exit_reason,
		transfer_status, transferred_at, mef, diploma, division_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
		$18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)`,
		uai, s.ID, s.Role, idOrNull(s.AccountID), s.Civility, s.LastName, s.FirstName, s.Email, s.BirthDate, s.Source,
		s.SIECLEID, s.AAFID, s.STSID, s.CreatedAt, s.UpdatedAt, s.DeactivatedAt, s.LastSignInAt,
		s.Unqid, s.INEStatus, s.PreviousUAI, s.PreviousName, s.EnteredAt, s.SchoolEntry, s.ExitDate, s.ExitReason,
		s.TransferStatus, s.TransferredAt, s.MEF, s.Diploma, idOrNull(s.DivisionID))
	if err != nil {
		return err
	}
	return tx.addNewestUnqids(ctx, uai, []*sillage.Student{s})
}

// UpdatePerson rewrites the identity and external ids of a person.
func (tx People) UpdatePerson(ctx context.Context, uai sillage.UAI, p sillage.Person) error {
	n, err := tx.execN(ctx, `UPDATE persons SET civility = $3, last_name = $4, first_name = $5, email = $6, birth_date = $7,
		siecle_id = $8, aaf_id = $9, sts_id = $10, updated_at = $11 WHERE uai = $1 AND id = $2`,
		uai, p.ID, p.Civility, p.LastName, p.FirstName, p.Email, p.BirthDate, p.SIECLEID, p.AAFID, p.STSID, tx.now)
	return notFoundIfNone(n, err, "personne")
}

// UpdateStudent rewrites what an import maintains of a student. The
// transfer fields (status, transferred_at, entered_at) are not touched:
// the transfer engine owns them. A new unqid joins the student's versions
// (person_unqids); the import replaces the versions with
// ReplacePersonUnqids.
func (tx People) UpdateStudent(ctx context.Context, uai sillage.UAI, s sillage.Student) error {
	n, err := tx.execN(ctx, `UPDATE persons SET civility = $3, last_name = $4, first_name = $5, email = $6, birth_date = $7,
		siecle_id = $8, aaf_id = $9, unqid = $10, ine_status = $11, previous_uai = $12, previous_name = $13,
		school_entry = $14, exit_date = $15, exit_reason = $16, mef = $17, diploma = $18, division_id = $19, updated_at = $20
		WHERE uai = $1 AND id = $2 AND role = 'student'`,
		uai, s.ID, s.Civility, s.LastName, s.FirstName, s.Email, s.BirthDate, s.SIECLEID, s.AAFID, s.Unqid, s.INEStatus,
		s.PreviousUAI, s.PreviousName, s.SchoolEntry, s.ExitDate, s.ExitReason, s.MEF, s.Diploma, idOrNull(s.DivisionID), tx.now)
	if err := notFoundIfNone(n, err, "élève"); err != nil {
		return err
	}
	return tx.addNewestUnqids(ctx, uai, []*sillage.Student{&s})
}

func notFoundIfNone(n int64, err error, what string) error {
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "%s introuvable", what)
	}
	return err
}

// SetPersonActive deactivates (at the transaction's time) or reactivates a person.
func (tx People) SetPersonActive(ctx context.Context, uai sillage.UAI, id int64, active bool) error {
	var at time.Time // zero is stored as NULL: active
	if !active {
		at = tx.now
	}
	n, err := tx.execN(ctx, `UPDATE persons SET deactivated_at = $3, updated_at = $4 WHERE uai = $1 AND id = $2`,
		uai, id, at, tx.now)
	return notFoundIfNone(n, err, "personne")
}

// SetPersonRole changes the role of a person.
func (tx People) SetPersonRole(ctx context.Context, uai sillage.UAI, id int64, role sillage.Role) error {
	n, err := tx.execN(ctx, `UPDATE persons SET role = $3, updated_at = $4 WHERE uai = $1 AND id = $2`, uai, id, role, tx.now)
	return notFoundIfNone(n, err, "personne")
}

// SetTransferStatus sets a student's transfer status (and when it was transferred).
func (tx People) SetTransferStatus(ctx context.Context, uai sillage.UAI, id int64, st sillage.TransferStatus) error {
	var at time.Time
	if st == sillage.TransferTransferred {
		at = tx.now
	}
	n, err := tx.execN(ctx, `UPDATE persons SET transfer_status = $3, transferred_at = $4 WHERE uai = $1 AND id = $2 AND role = 'student'`,
		uai, id, st, at)
	return notFoundIfNone(n, err, "élève")
}

// DeletePerson deletes a person with everything hanging from them: their
// results and comments, then, by cascade, sheets and attachments,
// documents, links, then their unqid versions (deletePersonKeysOf).
func (tx People) DeletePerson(ctx context.Context, uai sillage.UAI, id int64) error {
	if err := tx.deleteRecordsWhere(ctx, `uai = $1 AND student_id = $2`, uai, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `DELETE FROM persons WHERE uai = $1 AND id = $2`, uai, id)
	if err := notFoundIfNone(n, err, "personne"); err != nil {
		return err
	}
	return tx.deletePersonKeysOf(ctx, `uai = $1 AND {id} = $2`, uai, id)
}

// GetPerson returns a person of any role.
func (tx People) GetPerson(ctx context.Context, uai sillage.UAI, id int64) (sillage.Person, error) {
	p, err := scanPerson(tx.queryRow(ctx, `SELECT `+personCols+` FROM persons WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return p, sillage.Errorf(sillage.KindNotFound, "personne introuvable")
	}
	return p, mapErr(err)
}

// GetStudent returns a student.
func (tx People) GetStudent(ctx context.Context, uai sillage.UAI, id int64) (sillage.Student, error) {
	s, err := scanStudent(tx.queryRow(ctx, `SELECT `+studentCols+` FROM persons WHERE uai = $1 AND id = $2 AND role = 'student'`, uai, id))
	if err == sql.ErrNoRows {
		return s, sillage.Errorf(sillage.KindNotFound, "élève introuvable")
	}
	return s, mapErr(err)
}

// GetStudentBySIECLEID returns the student whose SIECLE ELEVE_ID is eleveID.
func (tx People) GetStudentBySIECLEID(ctx context.Context, uai sillage.UAI, eleveID string) (sillage.Student, error) {
	s, err := scanStudent(tx.queryRow(ctx, `SELECT `+studentCols+` FROM persons WHERE uai = $1 AND role = 'student' AND siecle_id = $2`, uai, eleveID))
	if err == sql.ErrNoRows || eleveID == "" {
		return s, sillage.Errorf(sillage.KindNotFound, "élève %s introuvable", eleveID)
	}
	return s, mapErr(err)
}

// ListPersons returns the persons of an establishment, by name.
func (tx People) ListPersons(ctx context.Context, uai sillage.UAI, f sillage.PersonFilter) ([]sillage.Person, error) {
	q, args := `SELECT `+personCols+` FROM persons WHERE uai = $1`, []any{uai}
	if f.Role != "" {
		args = append(args, f.Role)
		q += ` AND role = $` + itoa(len(args))
	}
	if f.ActiveOnly {
		q += ` AND deactivated_at IS NULL`
	}
	q, args = inIDs(q, args, "id", f.IDs)
	q += ` ORDER BY last_name, first_name, id`
	persons, err := collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.Person, error) { return scanPerson(r) })
	french.SortFunc(persons, func(p sillage.Person) []string { return []string{p.LastName, p.FirstName} })
	return persons, err
}

// ListStudents returns students, in French order of their names.
func (tx People) ListStudents(ctx context.Context, uai sillage.UAI, f sillage.StudentFilter) ([]sillage.Student, error) {
	q, args := `SELECT `+studentCols+` FROM persons WHERE uai = $1 AND role = 'student'`, []any{uai}
	if f.DivisionID != 0 {
		args = append(args, f.DivisionID)
		q += ` AND division_id = $` + itoa(len(args))
	}
	if f.ActiveOnly {
		q += ` AND deactivated_at IS NULL`
	}
	if f.InactiveOnly {
		q += ` AND deactivated_at IS NOT NULL`
	}
	if f.TransferStatus != "" {
		args = append(args, f.TransferStatus)
		q += ` AND transfer_status = $` + itoa(len(args))
	}
	if f.WithoutUnqid {
		q += ` AND unqid = ''`
	}
	q, args = inIDs(q, args, "id", f.IDs)
	q += ` ORDER BY last_name, first_name, id`
	return sortStudents(collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.Student, error) { return scanStudent(r) }))
}

// sortStudents puts students in French order of their names (SQL orders by
// bytes, where Élodie comes after Zoé); the SQL order breaks ties.
func sortStudents(students []sillage.Student, err error) ([]sillage.Student, error) {
	french.SortFunc(students, func(s sillage.Student) []string { return []string{s.LastName, s.FirstName} })
	return students, err
}

// LinkGuardian records that a parent is responsible for a student (idempotent).
func (tx People) LinkGuardian(ctx context.Context, uai sillage.UAI, g sillage.Guardianship) error {
	live, err := tx.liveLinks(ctx, uai, []sillage.Guardianship{g})
	if err != nil {
		return err
	}
	if len(live) == 0 {
		return sillage.Errorf(sillage.KindNotFound, "personne introuvable")
	}
	_, err = tx.exec(ctx, `INSERT INTO guardianships (uai, parent_id, student_id, legal, relation, legal_rank) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (uai, parent_id, student_id) DO UPDATE SET legal = excluded.legal, relation = excluded.relation, legal_rank = excluded.legal_rank`,
		uai, g.ParentID, g.StudentID, g.Legal, g.Relation, g.Rank)
	return err
}

// UnlinkGuardian removes a parent–student link.
func (tx People) UnlinkGuardian(ctx context.Context, uai sillage.UAI, parentID, studentID int64) error {
	_, err := tx.exec(ctx, `DELETE FROM guardianships WHERE uai = $1 AND parent_id = $2 AND student_id = $3`, uai, parentID, studentID)
	return err
}

// ListChildren returns the students a parent is the legal guardian of.
func (tx People) ListChildren(ctx context.Context, uai sillage.UAI, parentID int64) ([]sillage.Student, error) {
	return sortStudents(collect(ctx, tx.txn, `SELECT `+studentCols+` FROM persons WHERE uai = $1 AND role = 'student'
		AND id IN (SELECT student_id FROM guardianships WHERE uai = $1 AND parent_id = $2 AND legal)
		ORDER BY last_name, first_name, id`, []any{uai, parentID},
		func(r *sql.Rows) (sillage.Student, error) { return scanStudent(r) }))
}

// ListGuardians returns the links of a student to their parents.
func (tx People) ListGuardians(ctx context.Context, uai sillage.UAI, studentID int64) ([]sillage.Guardianship, error) {
	return collect(ctx, tx.txn, `SELECT uai, parent_id, student_id, legal, relation, legal_rank FROM guardianships
		WHERE uai = $1 AND student_id = $2 ORDER BY parent_id`, []any{uai, studentID},
		func(r *sql.Rows) (sillage.Guardianship, error) {
			var g sillage.Guardianship
			var u string
			err := r.Scan(&u, &g.ParentID, &g.StudentID, &g.Legal, &g.Relation, &g.Rank)
			g.UAI = sillage.UAI(u)
			return g, err
		})
}

// IsGuardianOf reports whether parentID is the legal guardian of studentID.
func (tx People) IsGuardianOf(ctx context.Context, uai sillage.UAI, parentID, studentID int64) (bool, error) {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM guardianships WHERE uai = $1 AND parent_id = $2 AND student_id = $3 AND legal`,
		uai, parentID, studentID)
	return n > 0, err
}

// inIDs appends "AND col IN (...)" for a non-empty id list.
func inIDs(q string, args []any, col string, ids []int64) (string, []any) {
	if ids == nil {
		return q, args
	}
	if len(ids) == 0 {
		return q + ` AND 1 = 0`, args
	}
	var b strings.Builder
	b.WriteString(q + ` AND ` + col + ` IN (`)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		args = append(args, id)
		b.WriteString("$" + itoa(len(args)))
	}
	b.WriteByte(')')
	return b.String(), args
}
