package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sillage/sillage"
)

// Class spaces (rollover.md step 2): a division's shared space. While the
// year runs, who may read or post follows from the division (its teachers
// post, its students read) plus the explicit rights below; once in the
// trash only the rights rewritten by the changeover count.

// Class space rights.
const (
	SpaceManager = "manager"
	SpaceReader  = "reader"
)

const classSpaceCols = `s.uai, s.id, s.school_year, s.division_id, s.division_code, s.label, s.created_at, s.trashed_at,
	(SELECT COUNT(*) FROM class_space_files f WHERE f.uai = s.uai AND f.space_id = s.id)`

func scanClassSpace(r scanner) (sillage.ClassSpace, error) {
	var c sillage.ClassSpace
	var u string
	var y int64
	err := r.Scan(&u, &c.ID, &y, nullID{&c.DivisionID}, &c.DivisionCode, &c.Label, ts{&c.CreatedAt}, ts{&c.TrashedAt}, &c.Files)
	c.UAI, c.SchoolYear = sillage.UAI(u), sillage.SchoolYear(y)
	return c, err
}

// FindClassSpace returns the live class space of a division, creating it
// on first use (the division's first visit).
func (tx Rollover) FindClassSpace(ctx context.Context, uai sillage.UAI, divisionID int64) (sillage.ClassSpace, error) {
	c, err := scanClassSpace(tx.queryRow(ctx, `SELECT `+classSpaceCols+` FROM class_spaces s
		WHERE s.uai = $1 AND s.division_id = $2 AND s.trashed_at IS NULL`, uai, divisionID))
	if err == sql.ErrNoRows {
		return c, sillage.Errorf(sillage.KindNotFound, "espace de classe introuvable")
	}
	return c, mapErr(err)
}

// CreateClassSpace opens the space of a division (idempotent: the existing
// live space is returned).
func (tx Rollover) CreateClassSpace(ctx context.Context, uai sillage.UAI, divisionID int64) (sillage.ClassSpace, error) {
	if c, err := tx.FindClassSpace(ctx, uai, divisionID); err == nil || sillage.KindOf(err) != sillage.KindNotFound {
		return c, err
	}
	d, err := tx.People().GetDivision(ctx, uai, divisionID)
	if err != nil {
		return sillage.ClassSpace{}, err
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return sillage.ClassSpace{}, err
	}
	label := d.Label
	if label == "" {
		label = d.Code
	}
	if _, err := tx.exec(ctx, `INSERT INTO class_spaces (uai, id, school_year, division_id, division_code, label, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, uai, id, d.SchoolYear, d.ID, d.Code, label, tx.now); err != nil {
		return sillage.ClassSpace{}, err
	}
	return tx.GetClassSpace(ctx, uai, id)
}

// GetClassSpace returns a class space (live or in the trash).
func (tx Rollover) GetClassSpace(ctx context.Context, uai sillage.UAI, id int64) (sillage.ClassSpace, error) {
	c, err := scanClassSpace(tx.queryRow(ctx, `SELECT `+classSpaceCols+` FROM class_spaces s WHERE s.uai = $1 AND s.id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return c, sillage.Errorf(sillage.KindNotFound, "espace de classe introuvable")
	}
	return c, mapErr(err)
}

// ListClassSpaces returns class spaces, by year and division code.
func (tx Rollover) ListClassSpaces(ctx context.Context, uai sillage.UAI, f sillage.ClassSpaceFilter) ([]sillage.ClassSpace, error) {
	q, args := `SELECT `+classSpaceCols+` FROM class_spaces s WHERE s.uai = $1`, []any{uai}
	if f.Trashed {
		q += ` AND s.trashed_at IS NOT NULL`
	} else {
		q += ` AND s.trashed_at IS NULL`
	}
	if f.SchoolYear != 0 {
		args = append(args, f.SchoolYear)
		q += ` AND s.school_year = $2`
	}
	return collect(ctx, tx.txn, q+` ORDER BY s.school_year DESC, s.division_code, s.id`, args,
		func(r *sql.Rows) (sillage.ClassSpace, error) { return scanClassSpace(r) })
}

// ListClassSpaceRights returns the explicit rights on a space, by person.
func (tx Rollover) ListClassSpaceRights(ctx context.Context, uai sillage.UAI, spaceID int64) ([]sillage.ClassSpaceRight, error) {
	return collect(ctx, tx.txn, `SELECT space_id, person_id, role FROM class_space_rights WHERE uai = $1 AND space_id = $2 ORDER BY person_id`,
		[]any{uai, spaceID}, func(r *sql.Rows) (sillage.ClassSpaceRight, error) {
			var c sillage.ClassSpaceRight
			return c, r.Scan(&c.SpaceID, &c.PersonID, &c.Role)
		})
}

// GetClassSpaceRight returns a person's explicit right on a space ("" when none).
func (tx Rollover) GetClassSpaceRight(ctx context.Context, uai sillage.UAI, spaceID, personID int64) (string, error) {
	var role string
	err := tx.queryRow(ctx, `SELECT role FROM class_space_rights WHERE uai = $1 AND space_id = $2 AND person_id = $3`, uai, spaceID, personID).Scan(&role)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return role, mapErr(err)
}

// SetClassSpaceRight gives a person a right on a space; "" removes it.
func (tx Rollover) SetClassSpaceRight(ctx context.Context, uai sillage.UAI, spaceID, personID int64, role string) error {
	if role == "" {
		_, err := tx.exec(ctx, `DELETE FROM class_space_rights WHERE uai = $1 AND space_id = $2 AND person_id = $3`, uai, spaceID, personID)
		return err
	}
	if role != SpaceManager && role != SpaceReader {
		return sillage.Errorf(sillage.KindInvalid, "droit %q inconnu : gestionnaire ou lecteur", role)
	}
	_, err := tx.exec(ctx, `INSERT INTO class_space_rights (uai, space_id, person_id, role)
		SELECT $1, s.id, p.id, $4 FROM class_spaces s, persons p WHERE s.uai = $1 AND s.id = $2 AND p.uai = $1 AND p.id = $3
		ON CONFLICT (uai, space_id, person_id) DO UPDATE SET role = excluded.role`, uai, spaceID, personID, role)
	return err
}

// TrashClassSpace moves a space to the trash with the changeover's rights
// (rollover.md step 2): administrators are managers, every teacher of the
// establishment and the space's former managers are readers, every other
// right is removed. managers are the space's managers before the move (its
// explicit managers and the division's head teachers, as the caller reads
// them). It reports whether the space was moved (false: already there).
func (tx Rollover) TrashClassSpace(ctx context.Context, uai sillage.UAI, id int64, managers []int64) (bool, error) {
	n, err := tx.execN(ctx, `UPDATE class_spaces SET trashed_at = $3, division_id = NULL WHERE uai = $1 AND id = $2 AND trashed_at IS NULL`, uai, id, tx.now)
	if err != nil || n == 0 {
		return false, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM class_space_rights WHERE uai = $1 AND space_id = $2`, uai, id); err != nil {
		return false, err
	}
	for _, m := range managers {
		if _, err := tx.exec(ctx, `INSERT INTO class_space_rights (uai, space_id, person_id, role)
			SELECT $1, $2, p.id, 'reader' FROM persons p WHERE p.uai = $1 AND p.id = $3 ON CONFLICT DO NOTHING`, uai, id, m); err != nil {
			return false, err
		}
	}
	if _, err := tx.exec(ctx, `INSERT INTO class_space_rights (uai, space_id, person_id, role)
		SELECT $1, $2, p.id, 'reader' FROM persons p WHERE p.uai = $1 AND p.role = 'teacher' AND p.deactivated_at IS NULL
		ON CONFLICT (uai, space_id, person_id) DO NOTHING`, uai, id); err != nil {
		return false, err
	}
	_, err = tx.exec(ctx, `INSERT INTO class_space_rights (uai, space_id, person_id, role)
		SELECT $1, $2, p.id, 'manager' FROM persons p WHERE p.uai = $1 AND p.role = 'administrator' AND p.deactivated_at IS NULL
		ON CONFLICT (uai, space_id, person_id) DO UPDATE SET role = 'manager'`, uai, id)
	return err == nil, err
}

// DeleteTrashedClassSpaces deletes the spaces in the trash since before
// cutoff, with their rights and documents; it returns how many went.
func (tx Rollover) DeleteTrashedClassSpaces(ctx context.Context, uai sillage.UAI, cutoff time.Time) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM class_spaces WHERE uai = $1 AND trashed_at IS NOT NULL AND trashed_at < $2`, uai, cutoff)
	return int(n), err
}

// AddClassSpaceFile records a document posted in a space and sets its ID.
func (tx Rollover) AddClassSpaceFile(ctx context.Context, uai sillage.UAI, f *sillage.ClassSpaceFile) error {
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	f.UAI, f.ID = uai, id
	if f.PostedAt.IsZero() {
		f.PostedAt = tx.now
	}
	n, err := tx.execN(ctx, `INSERT INTO class_space_files (uai, id, space_id, name, sha256, size, content_type, posted_by, posted_at)
		SELECT $1, $2, s.id, $4, $5, $6, $7, $8, $9 FROM class_spaces s WHERE s.uai = $1 AND s.id = $3 AND s.trashed_at IS NULL`,
		uai, f.ID, f.SpaceID, f.Name, f.SHA256, f.Size, f.ContentType, f.PostedBy, f.PostedAt)
	return notFoundIfNone(n, err, "espace de classe")
}

const classSpaceFileCols = `f.uai, f.id, f.space_id, f.name, f.sha256, f.size, f.content_type, f.posted_by,
	COALESCE((SELECT p.first_name || ' ' || p.last_name FROM persons p WHERE p.uai = f.uai AND p.id = f.posted_by), ''), f.posted_at`

func scanClassSpaceFile(r scanner) (sillage.ClassSpaceFile, error) {
	var f sillage.ClassSpaceFile
	var u string
	err := r.Scan(&u, &f.ID, &f.SpaceID, &f.Name, &f.SHA256, &f.Size, &f.ContentType, &f.PostedBy, &f.PostedName, ts{&f.PostedAt})
	f.UAI = sillage.UAI(u)
	return f, err
}

// ListClassSpaceFiles returns the documents of a space, newest first.
func (tx Rollover) ListClassSpaceFiles(ctx context.Context, uai sillage.UAI, spaceID int64) ([]sillage.ClassSpaceFile, error) {
	return collect(ctx, tx.txn, `SELECT `+classSpaceFileCols+` FROM class_space_files f WHERE f.uai = $1 AND f.space_id = $2
		ORDER BY f.posted_at DESC, f.id DESC`, []any{uai, spaceID}, func(r *sql.Rows) (sillage.ClassSpaceFile, error) { return scanClassSpaceFile(r) })
}

// GetClassSpaceFile returns one document of a space.
func (tx Rollover) GetClassSpaceFile(ctx context.Context, uai sillage.UAI, id int64) (sillage.ClassSpaceFile, error) {
	f, err := scanClassSpaceFile(tx.queryRow(ctx, `SELECT `+classSpaceFileCols+` FROM class_space_files f WHERE f.uai = $1 AND f.id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return f, sillage.Errorf(sillage.KindNotFound, "document introuvable")
	}
	return f, mapErr(err)
}

// DeleteClassSpaceFile removes a document of a live space.
func (tx Rollover) DeleteClassSpaceFile(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `DELETE FROM class_space_files WHERE uai = $1 AND id = $2
		AND space_id IN (SELECT id FROM class_spaces WHERE uai = $1 AND trashed_at IS NULL)`, uai, id)
	return notFoundIfNone(n, err, "document")
}
