package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sillage/sillage"
)

// CreateReferential adds a referential with its competences and sets the IDs.
func (tx Records) CreateReferential(ctx context.Context, uai sillage.UAI, r *sillage.Referential) error {
	if strings.TrimSpace(r.Diploma) == "" || strings.TrimSpace(r.Label) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le diplôme et le libellé du référentiel sont obligatoires")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	r.UAI, r.ID = uai, id
	if r.CreatedAt.IsZero() {
		r.CreatedAt = tx.now
	}
	if r.Kind == "" {
		r.Kind = sillage.ReferentialOther
	}
	_, err = tx.exec(ctx, `INSERT INTO referentials (uai, id, diploma, kind, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		uai, r.ID, r.Diploma, r.Kind, r.Label, r.CreatedAt)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "un référentiel existe déjà pour le diplôme %s", r.Diploma)
	}
	if err != nil {
		return err
	}
	for i := range r.Competences {
		c := &r.Competences[i]
		c.ReferentialID = r.ID
		if c.Position == 0 {
			c.Position = i + 1
		}
		if err := tx.CreateCompetence(ctx, uai, c); err != nil {
			return err
		}
	}
	return nil
}

// UpdateReferential renames a referential and changes its kind.
func (tx Records) UpdateReferential(ctx context.Context, uai sillage.UAI, r sillage.Referential) error {
	n, err := tx.execN(ctx, `UPDATE referentials SET label = $3, kind = $4 WHERE uai = $1 AND id = $2`, uai, r.ID, r.Label, r.Kind)
	return notFoundIfNone(n, err, "référentiel")
}

// CreateCompetence adds a competence to a referential and sets its ID.
func (tx Records) CreateCompetence(ctx context.Context, uai sillage.UAI, c *sillage.Competence) error {
	if err := c.Validate(); err != nil {
		return err
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	c.UAI, c.ID = uai, id
	_, err = tx.exec(ctx, `INSERT INTO competences (uai, id, referential_id, domain, code, label, position) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		uai, c.ID, c.ReferentialID, c.Domain, c.Code, c.Label, c.Position)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "la compétence %s existe déjà dans ce référentiel (ou le référentiel est introuvable)", c.Code)
	}
	return err
}

// UpdateCompetence rewrites a competence's domain, code, label and position.
func (tx Records) UpdateCompetence(ctx context.Context, uai sillage.UAI, c sillage.Competence) error {
	if err := c.Validate(); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `UPDATE competences SET domain = $3, code = $4, label = $5, position = $6 WHERE uai = $1 AND id = $2`,
		uai, c.ID, c.Domain, c.Code, c.Label, c.Position)
	return notFoundIfNone(n, err, "compétence")
}

// DeleteCompetence deletes a competence and the results given on it.
func (tx Records) DeleteCompetence(ctx context.Context, uai sillage.UAI, id int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM results WHERE uai = $1 AND competence_id = $2`, uai, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `DELETE FROM competences WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "compétence")
}

const referentialCols = `uai, id, diploma, kind, label, created_at`

func scanReferential(r scanner) (sillage.Referential, error) {
	var ref sillage.Referential
	var uai, kind string
	err := r.Scan(&uai, &ref.ID, &ref.Diploma, &kind, &ref.Label, ts{&ref.CreatedAt})
	ref.UAI, ref.Kind = sillage.UAI(uai), sillage.ReferentialKind(kind)
	return ref, err
}

// GetReferential returns a referential with its competences.
func (tx Records) GetReferential(ctx context.Context, uai sillage.UAI, id int64) (sillage.Referential, error) {
	ref, err := scanReferential(tx.queryRow(ctx, `SELECT `+referentialCols+` FROM referentials WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return ref, sillage.Errorf(sillage.KindNotFound, "référentiel introuvable")
	}
	if err != nil {
		return ref, mapErr(err)
	}
	ref.Competences, err = tx.ListCompetences(ctx, uai, id)
	return ref, err
}

// GetReferentialByDiploma returns the referential of a diploma.
func (tx Records) GetReferentialByDiploma(ctx context.Context, uai sillage.UAI, diploma string) (sillage.Referential, error) {
	ref, err := scanReferential(tx.queryRow(ctx, `SELECT `+referentialCols+` FROM referentials WHERE uai = $1 AND diploma = $2`, uai, diploma))
	if err == sql.ErrNoRows {
		return ref, sillage.Errorf(sillage.KindNotFound, "aucun référentiel pour le diplôme %s", diploma)
	}
	if err != nil {
		return ref, mapErr(err)
	}
	ref.Competences, err = tx.ListCompetences(ctx, uai, ref.ID)
	return ref, err
}

// ListReferentials returns the referentials, without their competences.
func (tx Records) ListReferentials(ctx context.Context, uai sillage.UAI) ([]sillage.Referential, error) {
	return collect(ctx, tx.txn, `SELECT `+referentialCols+` FROM referentials WHERE uai = $1 ORDER BY label, id`, []any{uai},
		func(r *sql.Rows) (sillage.Referential, error) { return scanReferential(r) })
}

// ListCompetences returns a referential's competences in order.
func (tx Records) ListCompetences(ctx context.Context, uai sillage.UAI, referentialID int64) ([]sillage.Competence, error) {
	return collect(ctx, tx.txn, `SELECT uai, id, referential_id, domain, code, label, position FROM competences
		WHERE uai = $1 AND referential_id = $2 ORDER BY position, code`, []any{uai, referentialID}, scanCompetence)
}

// ListAllCompetences returns the competences of every referential of the
// establishment, each referential's in order: one query where a page
// needs them all.
func (tx Records) ListAllCompetences(ctx context.Context, uai sillage.UAI) ([]sillage.Competence, error) {
	return collect(ctx, tx.txn, `SELECT uai, id, referential_id, domain, code, label, position FROM competences
		WHERE uai = $1 ORDER BY referential_id, position, code`, []any{uai}, scanCompetence)
}

const evaluationCols = `e.uai, e.id, e.title, e.date, e.level, e.diploma, e.referential_id, e.author_id,
	COALESCE((SELECT p.last_name || ' ' || p.first_name FROM persons p WHERE p.uai = e.uai AND p.id = e.author_id), ''),
	e.division_id, e.school_year, e.origin_uai, e.created_at, e.deleted_at, e.deleted_by, e.group_id`

func scanEvaluation(r scanner) (sillage.Evaluation, error) {
	var e sillage.Evaluation
	var uai, origin string
	var year int64
	err := r.Scan(&uai, &e.ID, &e.Title, dt{&e.Date}, &e.Level, &e.Diploma, &e.ReferentialID, &e.AuthorID, &e.AuthorName,
		nullID{&e.DivisionID}, &year, &origin, ts{&e.CreatedAt}, ts{&e.DeletedAt}, nullID{&e.DeletedBy}, nullID{&e.GroupID})
	e.UAI, e.SchoolYear, e.OriginUAI = sillage.UAI(uai), sillage.SchoolYear(year), sillage.UAI(origin)
	return e, err
}

// CreateEvaluation adds an evaluation and sets its ID.
func (tx Records) CreateEvaluation(ctx context.Context, uai sillage.UAI, e *sillage.Evaluation) error {
	if err := e.Validate(); err != nil {
		return err
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	e.UAI, e.ID = uai, id
	if e.CreatedAt.IsZero() {
		e.CreatedAt = tx.now
	}
	if e.SchoolYear == 0 {
		e.SchoolYear = sillage.SchoolYearOf(e.Date.Time())
	}
	_, err = tx.exec(ctx, `INSERT INTO evaluations (uai, id, title, date, level, diploma, referential_id, author_id, division_id,
		school_year, origin_uai, created_at, group_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		uai, e.ID, e.Title, e.Date, e.Level, e.Diploma, e.ReferentialID, e.AuthorID, idOrNull(e.DivisionID),
		e.SchoolYear, e.OriginUAI, e.CreatedAt, idOrNull(e.GroupID))
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindInvalid, "référentiel introuvable")
	}
	return err
}

// UpdateEvaluation rewrites an evaluation's title, date and level.
func (tx Records) UpdateEvaluation(ctx context.Context, uai sillage.UAI, e sillage.Evaluation) error {
	if err := e.Validate(); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `UPDATE evaluations SET title = $3, date = $4, level = $5 WHERE uai = $1 AND id = $2 AND deleted_at IS NULL`,
		uai, e.ID, e.Title, e.Date, e.Level)
	return notFoundIfNone(n, err, "évaluation")
}

// GetEvaluation returns an evaluation (also when it is in the trash).
func (tx Records) GetEvaluation(ctx context.Context, uai sillage.UAI, id int64) (sillage.Evaluation, error) {
	e, err := scanEvaluation(tx.queryRow(ctx, `SELECT `+evaluationCols+` FROM evaluations e WHERE e.uai = $1 AND e.id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return e, sillage.Errorf(sillage.KindNotFound, "évaluation introuvable")
	}
	return e, mapErr(err)
}

// ListEvaluations returns evaluations, newest first.
func (tx Records) ListEvaluations(ctx context.Context, uai sillage.UAI, f sillage.EvaluationFilter) ([]sillage.Evaluation, error) {
	q, args := `SELECT `+evaluationCols+` FROM evaluations e WHERE e.uai = $1`, []any{uai}
	if f.Trashed {
		q += ` AND e.deleted_at IS NOT NULL`
	} else {
		q += ` AND e.deleted_at IS NULL`
	}
	if f.DivisionID != 0 {
		args = append(args, f.DivisionID)
		q += fmt.Sprintf(` AND e.division_id = $%d`, len(args))
	}
	if f.GroupID != 0 {
		args = append(args, f.GroupID)
		q += fmt.Sprintf(` AND e.group_id = $%d`, len(args))
	}
	if f.AuthorID != 0 {
		args = append(args, f.AuthorID)
		q += fmt.Sprintf(` AND e.author_id = $%d`, len(args))
	}
	if f.StudentID != 0 {
		args = append(args, f.StudentID)
		n := len(args)
		q += fmt.Sprintf(` AND (EXISTS (SELECT 1 FROM results r WHERE r.uai = e.uai AND r.evaluation_id = e.id AND r.student_id = $%d)
			OR EXISTS (SELECT 1 FROM comments c WHERE c.uai = e.uai AND c.evaluation_id = e.id AND c.student_id = $%d))`, n, n)
	}
	return collect(ctx, tx.txn, q+` ORDER BY e.date DESC, e.id DESC`, args, func(r *sql.Rows) (sillage.Evaluation, error) { return scanEvaluation(r) })
}

// TrashEvaluation moves an evaluation to the trash.
func (tx Records) TrashEvaluation(ctx context.Context, uai sillage.UAI, id, by int64) error {
	n, err := tx.execN(ctx, `UPDATE evaluations SET deleted_at = $3, deleted_by = $4 WHERE uai = $1 AND id = $2 AND deleted_at IS NULL`, uai, id, tx.now, by)
	return notFoundIfNone(n, err, "évaluation")
}

// RestoreEvaluation takes an evaluation out of the trash.
func (tx Records) RestoreEvaluation(ctx context.Context, uai sillage.UAI, id int64) error {
	n, err := tx.execN(ctx, `UPDATE evaluations SET deleted_at = NULL, deleted_by = NULL WHERE uai = $1 AND id = $2 AND deleted_at IS NOT NULL`, uai, id)
	return notFoundIfNone(n, err, "évaluation dans la corbeille")
}

// DeleteEvaluation deletes an evaluation with its results and comments.
func (tx Records) DeleteEvaluation(ctx context.Context, uai sillage.UAI, id int64) error {
	if err := tx.deleteRecordsWhere(ctx, `uai = $1 AND evaluation_id = $2`, uai, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `DELETE FROM evaluations WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "évaluation")
}

// SetResult sets one result; an empty value removes it.
func (tx Records) SetResult(ctx context.Context, uai sillage.UAI, r sillage.Result) error {
	if r.Value == "" {
		_, err := tx.exec(ctx, `DELETE FROM results WHERE uai = $1 AND evaluation_id = $2 AND student_id = $3 AND competence_id = $4`,
			uai, r.EvaluationID, r.StudentID, r.CompetenceID)
		return err
	}
	// The checks the foreign keys made before migration 0021, the
	// student locked as the key's check locked it (studentLock).
	n, err := tx.execN(ctx, `INSERT INTO results (uai, evaluation_id, student_id, competence_id, value)
		SELECT CAST($1 AS TEXT), CAST($2 AS BIGINT), CAST($3 AS BIGINT), CAST($4 AS BIGINT), CAST($5 AS TEXT)
		WHERE EXISTS (SELECT 1 FROM evaluations WHERE uai = $1 AND id = $2) AND EXISTS (SELECT 1 FROM persons WHERE uai = $1 AND id = $3`+tx.studentLock()+`)
			AND EXISTS (SELECT 1 FROM competences WHERE uai = $1 AND id = $4)
		ON CONFLICT (uai, evaluation_id, student_id, competence_id) DO UPDATE SET value = excluded.value`,
		uai, r.EvaluationID, r.StudentID, r.CompetenceID, r.Value)
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindInvalid, "élève, évaluation ou compétence introuvable")
	}
	return err
}

// studentLock is the locking clause of a writer's check that a student
// exists: on PostgreSQL the row is locked FOR KEY SHARE, as the foreign
// keys dropped in migration 0021 locked it, so that a transfer moving the
// student (which locks it FOR UPDATE before reading its record) either
// reads this write or makes it wait and fail. SQLite has one writer.
func (tx *Tx) studentLock() string {
	if tx.Kind() == Postgres {
		return ` FOR KEY SHARE`
	}
	return ""
}

// ListResults returns results, by evaluation, student and competence.
func (tx Records) ListResults(ctx context.Context, uai sillage.UAI, f sillage.ResultFilter) ([]sillage.Result, error) {
	q, args := `SELECT uai, evaluation_id, student_id, competence_id, value FROM results WHERE uai = $1`, []any{uai}
	if f.EvaluationID != 0 {
		args = append(args, f.EvaluationID)
		q += fmt.Sprintf(` AND evaluation_id = $%d`, len(args))
	}
	if f.StudentID != 0 {
		args = append(args, f.StudentID)
		q += fmt.Sprintf(` AND student_id = $%d`, len(args))
	}
	return collect(ctx, tx.txn, q+` ORDER BY evaluation_id, student_id, competence_id`, args, func(r *sql.Rows) (sillage.Result, error) {
		var res sillage.Result
		var u string
		err := r.Scan(&u, &res.EvaluationID, &res.StudentID, &res.CompetenceID, &res.Value)
		res.UAI = sillage.UAI(u)
		return res, err
	})
}

// InsertResults bulk-inserts new results (they must not exist yet): the
// path of the demo generator and of records imports. Their evaluations,
// students and competences must exist: the callers take them from the
// database in the same transaction (no foreign key checks them since
// migration 0021). PostgreSQL uses COPY
// inside the transaction; SQLite a prepared statement.
func (tx Records) InsertResults(ctx context.Context, uai sillage.UAI, rs []sillage.Result) error {
	if len(rs) == 0 {
		return nil
	}
	if tx.Kind() == Postgres {
		// The students locked as SetResult locks them (studentLock).
		seen := map[int64]bool{}
		var ids []int64
		for _, r := range rs {
			if !seen[r.StudentID] {
				seen[r.StudentID] = true
				ids = append(ids, r.StudentID)
			}
		}
		slices.Sort(ids)
		live, err := tx.lockPersons(ctx, uai, ids)
		if err != nil {
			return err
		}
		if len(live) != len(ids) {
			return sillage.Errorf(sillage.KindNotFound, "élève introuvable")
		}
		return tx.copyResults(ctx, uai, rs)
	}
	tx.issued++
	stmt, err := tx.tx.PrepareContext(ctx, tx.d.rebind(`INSERT INTO results (uai, evaluation_id, student_id, competence_id, value) VALUES ($1, $2, $3, $4, $5)`))
	if err != nil {
		return mapErr(err)
	}
	defer stmt.Close()
	u := string(uai)
	for _, r := range rs {
		if _, err := stmt.ExecContext(ctx, u, r.EvaluationID, r.StudentID, r.CompetenceID, r.Value); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (tx *Tx) copyResults(ctx context.Context, uai sillage.UAI, rs []sillage.Result) error {
	u := string(uai)
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(rs) {
			return nil, nil
		}
		r := rs[i]
		i++
		return []any{u, r.EvaluationID, r.StudentID, r.CompetenceID, r.Value}, nil
	})
	return tx.copyFrom(ctx, "results", []string{"uai", "evaluation_id", "student_id", "competence_id", "value"}, src)
}

// copyFrom runs COPY on the transaction's own connection: the rows are part
// of the transaction.
func (tx *Tx) copyFrom(ctx context.Context, table string, cols []string, src pgx.CopyFromSource) error {
	return mapErr(tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, got %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src)
		return err
	}))
}

// SetComment sets a student's comment on an evaluation; empty removes it.
func (tx Records) SetComment(ctx context.Context, uai sillage.UAI, c sillage.Comment) error {
	if strings.TrimSpace(c.Text) == "" {
		_, err := tx.exec(ctx, `DELETE FROM comments WHERE uai = $1 AND evaluation_id = $2 AND student_id = $3`, uai, c.EvaluationID, c.StudentID)
		return err
	}
	// The checks the foreign keys made before migration 0021 (studentLock).
	n, err := tx.execN(ctx, `INSERT INTO comments (uai, evaluation_id, student_id, text)
		SELECT CAST($1 AS TEXT), CAST($2 AS BIGINT), CAST($3 AS BIGINT), CAST($4 AS TEXT)
		WHERE EXISTS (SELECT 1 FROM evaluations WHERE uai = $1 AND id = $2) AND EXISTS (SELECT 1 FROM persons WHERE uai = $1 AND id = $3`+tx.studentLock()+`)
		ON CONFLICT (uai, evaluation_id, student_id) DO UPDATE SET text = excluded.text`, uai, c.EvaluationID, c.StudentID, c.Text)
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindInvalid, "élève ou évaluation introuvable")
	}
	return err
}

// ListComments returns comments of an evaluation and/or a student.
func (tx Records) ListComments(ctx context.Context, uai sillage.UAI, f sillage.ResultFilter) ([]sillage.Comment, error) {
	q, args := `SELECT uai, evaluation_id, student_id, text FROM comments WHERE uai = $1`, []any{uai}
	if f.EvaluationID != 0 {
		args = append(args, f.EvaluationID)
		q += fmt.Sprintf(` AND evaluation_id = $%d`, len(args))
	}
	if f.StudentID != 0 {
		args = append(args, f.StudentID)
		q += fmt.Sprintf(` AND student_id = $%d`, len(args))
	}
	return collect(ctx, tx.txn, q+` ORDER BY evaluation_id, student_id`, args, func(r *sql.Rows) (sillage.Comment, error) {
		var c sillage.Comment
		var u string
		err := r.Scan(&u, &c.EvaluationID, &c.StudentID, &c.Text)
		c.UAI = sillage.UAI(u)
		return c, err
	})
}
