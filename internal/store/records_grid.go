package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sillage/sillage"
)

// SetEvaluationCompetences replaces the competences an evaluation assesses
// (the columns of its grid). Competences of another referential than the
// evaluation's are refused.
func (tx Records) SetEvaluationCompetences(ctx context.Context, uai sillage.UAI, evaluationID int64, competenceIDs []int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM evaluation_competences WHERE uai = $1 AND evaluation_id = $2`, uai, evaluationID); err != nil {
		return err
	}
	return tx.AddEvaluationCompetences(ctx, uai, evaluationID, competenceIDs)
}

// AddEvaluationCompetences adds competences to an evaluation's grid; those
// already there are kept. Competences of another referential than the
// evaluation's are refused (and nothing is added).
func (tx Records) AddEvaluationCompetences(ctx context.Context, uai sillage.UAI, evaluationID int64, competenceIDs []int64) error {
	if len(competenceIDs) == 0 {
		return nil
	}
	unique := map[int64]bool{}
	for _, c := range competenceIDs {
		unique[c] = true
	}
	q, args := inIDs(`SELECT COUNT(*) FROM competences c JOIN evaluations e ON e.uai = c.uai AND e.referential_id = c.referential_id
		WHERE c.uai = $1 AND e.id = $2`, []any{uai, evaluationID}, "c.id", competenceIDs)
	n, err := tx.count(ctx, q, args...)
	if err != nil {
		return err
	}
	if n != len(unique) {
		return sillage.Errorf(sillage.KindInvalid, "compétence introuvable dans le référentiel de l'évaluation")
	}
	q, args = inIDs(`INSERT INTO evaluation_competences (uai, evaluation_id, competence_id)
		SELECT c.uai, e.id, c.id FROM competences c JOIN evaluations e ON e.uai = c.uai AND e.referential_id = c.referential_id
		WHERE c.uai = $1 AND e.id = $2`, []any{uai, evaluationID}, "c.id", competenceIDs)
	_, err = tx.exec(ctx, q+` ON CONFLICT (uai, evaluation_id, competence_id) DO NOTHING`, args...)
	return err
}

// ListEvaluationCompetences returns the competences of an evaluation's
// grid, in the referential's order: those chosen for it, and those that
// have results in it (an evaluation brought by a transfer or an import has
// no chosen list).
func (tx Records) ListEvaluationCompetences(ctx context.Context, uai sillage.UAI, evaluationID int64) ([]sillage.Competence, error) {
	return collect(ctx, tx.txn, `SELECT uai, id, referential_id, domain, code, label, position FROM competences c
		WHERE c.uai = $1 AND (c.id IN (SELECT competence_id FROM evaluation_competences WHERE uai = $1 AND evaluation_id = $2)
			OR c.id IN (SELECT competence_id FROM results WHERE uai = $1 AND evaluation_id = $2))
		ORDER BY c.position, c.code, c.id`, []any{uai, evaluationID}, scanCompetence)
}

func scanCompetence(r *sql.Rows) (sillage.Competence, error) {
	var c sillage.Competence
	var u string
	err := r.Scan(&u, &c.ID, &c.ReferentialID, &c.Domain, &c.Code, &c.Label, &c.Position)
	c.UAI = sillage.UAI(u)
	return c, err
}

// GetCompetence returns one competence.
func (tx Records) GetCompetence(ctx context.Context, uai sillage.UAI, id int64) (sillage.Competence, error) {
	cs, err := collect(ctx, tx.txn, `SELECT uai, id, referential_id, domain, code, label, position FROM competences WHERE uai = $1 AND id = $2`,
		[]any{uai, id}, scanCompetence)
	if err != nil {
		return sillage.Competence{}, err
	}
	if len(cs) == 0 {
		return sillage.Competence{}, sillage.Errorf(sillage.KindNotFound, "compétence introuvable")
	}
	return cs[0], nil
}

// CountCompetenceResults returns how many results were given on a competence
// (deleting the competence deletes them).
func (tx Records) CountCompetenceResults(ctx context.Context, uai sillage.UAI, competenceID int64) (int, error) {
	return tx.count(ctx, `SELECT COUNT(*) FROM results WHERE uai = $1 AND competence_id = $2`, uai, competenceID)
}

// CountReferentialUse returns how many evaluations (live or in the trash)
// use a referential, and how many results hang from its competences.
func (tx Records) CountReferentialUse(ctx context.Context, uai sillage.UAI, referentialID int64) (evaluations, results int, err error) {
	evaluations, err = tx.count(ctx, `SELECT COUNT(*) FROM evaluations WHERE uai = $1 AND referential_id = $2`, uai, referentialID)
	if err != nil {
		return 0, 0, err
	}
	results, err = tx.count(ctx, `SELECT COUNT(*) FROM results WHERE uai = $1 AND competence_id IN
		(SELECT id FROM competences WHERE uai = $1 AND referential_id = $2)`, uai, referentialID)
	return evaluations, results, err
}

// DeleteReferential deletes a referential and its competences. A referential
// that evaluations or sheets' per-competence results use cannot be deleted.
func (tx Records) DeleteReferential(ctx context.Context, uai sillage.UAI, id int64) error {
	// Sheets evaluated competence by competence are part of the record:
	// their results would go with the competences (foreign key cascade).
	var sheetResults int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM sheet_results WHERE uai = $1 AND competence_id IN
		(SELECT id FROM competences WHERE uai = $1 AND referential_id = $2)`, uai, id).Scan(&sheetResults); err != nil {
		return mapErr(err)
	}
	if sheetResults > 0 {
		return sillage.Errorf(sillage.KindConflict, "ce référentiel est utilisé par des fiches évaluées compétence par compétence : il ne peut pas être supprimé")
	}
	// The results on its competences, unless evaluations use it (then the
	// deletion below is refused and nothing changes).
	if _, err := tx.exec(ctx, `DELETE FROM results WHERE uai = $1 AND competence_id IN (SELECT id FROM competences WHERE uai = $1 AND referential_id = $2)
		AND NOT EXISTS (SELECT 1 FROM evaluations WHERE uai = $1 AND referential_id = $2)`, uai, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `DELETE FROM referentials WHERE uai = $1 AND id = $2`, uai, id)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "ce référentiel est utilisé par des évaluations : il ne peut pas être supprimé")
	}
	return notFoundIfNone(n, err, "référentiel")
}

// SetCompetencePositions renumbers a referential's competences in the
// order given (ids of other referentials are ignored).
func (tx Records) SetCompetencePositions(ctx context.Context, uai sillage.UAI, referentialID int64, ordered []int64) error {
	for i, id := range ordered {
		if _, err := tx.exec(ctx, `UPDATE competences SET position = $4 WHERE uai = $1 AND referential_id = $2 AND id = $3`,
			uai, referentialID, id, i+1); err != nil {
			return err
		}
	}
	return nil
}

// ListResultsOfEvaluations returns the results of several evaluations.
func (tx Records) ListResultsOfEvaluations(ctx context.Context, uai sillage.UAI, evaluationIDs []int64) ([]sillage.Result, error) {
	q, args := inIDs(`SELECT uai, evaluation_id, student_id, competence_id, value FROM results WHERE uai = $1`, []any{uai}, "evaluation_id", evaluationIDs)
	if evaluationIDs == nil {
		return nil, nil
	}
	return collect(ctx, tx.txn, q+` ORDER BY evaluation_id, student_id, competence_id`, args, func(r *sql.Rows) (sillage.Result, error) {
		var res sillage.Result
		var u string
		err := r.Scan(&u, &res.EvaluationID, &res.StudentID, &res.CompetenceID, &res.Value)
		res.UAI = sillage.UAI(u)
		return res, err
	})
}

// ListCommentsOfEvaluations returns the comments of several evaluations.
func (tx Records) ListCommentsOfEvaluations(ctx context.Context, uai sillage.UAI, evaluationIDs []int64) ([]sillage.Comment, error) {
	if evaluationIDs == nil {
		return nil, nil
	}
	q, args := inIDs(`SELECT uai, evaluation_id, student_id, text FROM comments WHERE uai = $1`, []any{uai}, "evaluation_id", evaluationIDs)
	return collect(ctx, tx.txn, q+` ORDER BY evaluation_id, student_id`, args, func(r *sql.Rows) (sillage.Comment, error) {
		var c sillage.Comment
		var u string
		err := r.Scan(&u, &c.EvaluationID, &c.StudentID, &c.Text)
		c.UAI = sillage.UAI(u)
		return c, err
	})
}

// FindEvaluationByKey returns the evaluation imported under an external key.
func (tx Records) FindEvaluationByKey(ctx context.Context, uai sillage.UAI, key string) (sillage.EvaluationRef, error) {
	return tx.findEvaluation(ctx, `SELECT id, deleted_at FROM evaluations WHERE uai = $1 AND external_key = $2 AND external_key <> ''`, uai, key)
}

// FindEvaluationNatural returns the evaluation without external key with
// this title, date, diploma and author: the natural key of an import.
func (tx Records) FindEvaluationNatural(ctx context.Context, uai sillage.UAI, title string, date sillage.Date, diploma string, authorID int64) (sillage.EvaluationRef, error) {
	return tx.findEvaluation(ctx, `SELECT id, deleted_at FROM evaluations WHERE uai = $1 AND title = $2 AND date = $3 AND diploma = $4
		AND author_id = $5 AND external_key = '' ORDER BY id`, uai, title, date, diploma, authorID)
}

func (tx *Tx) findEvaluation(ctx context.Context, q string, args ...any) (sillage.EvaluationRef, error) {
	var ref sillage.EvaluationRef
	var deleted time.Time
	err := tx.queryRow(ctx, q, args...).Scan(&ref.ID, ts{&deleted})
	if err == sql.ErrNoRows {
		return ref, sillage.Errorf(sillage.KindNotFound, "évaluation introuvable")
	}
	if err != nil {
		return ref, mapErr(err)
	}
	ref.Trashed = !deleted.IsZero()
	return ref, nil
}

// SetEvaluationKey records the external key an evaluation was imported with.
func (tx Records) SetEvaluationKey(ctx context.Context, uai sillage.UAI, id int64, key string) error {
	n, err := tx.execN(ctx, `UPDATE evaluations SET external_key = $3 WHERE uai = $1 AND id = $2`, uai, id, key)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "la clé d'évaluation %q est déjà utilisée", key)
	}
	return notFoundIfNone(n, err, "évaluation")
}

// ListEvaluationKeys returns the external keys of the evaluations imported
// with one, by evaluation id.
func (tx Records) ListEvaluationKeys(ctx context.Context, uai sillage.UAI) (map[int64]string, error) {
	return tx.keys(ctx, `SELECT id, external_key FROM evaluations WHERE uai = $1 AND external_key <> ''`, uai)
}

// ListSheetKeys returns the external keys of the sheets imported with one,
// by sheet id.
func (tx Records) ListSheetKeys(ctx context.Context, uai sillage.UAI) (map[int64]string, error) {
	return tx.keys(ctx, `SELECT id, external_key FROM sheets WHERE uai = $1 AND external_key <> ''`, uai)
}

func (tx *Tx) keys(ctx context.Context, q string, uai sillage.UAI) (map[int64]string, error) {
	rows, err := tx.query(ctx, q, uai)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			return nil, mapErr(err)
		}
		out[id] = k
	}
	return out, mapErr(rows.Err())
}

// FindSheetByKey returns the id of a student's sheet imported under an
// external key (live or in the trash) and whether it is in the trash.
func (tx Records) FindSheetByKey(ctx context.Context, uai sillage.UAI, studentID int64, key string) (sillage.EvaluationRef, error) {
	return tx.findSheet(ctx, `SELECT id, deleted_at FROM sheets WHERE uai = $1 AND student_id = $2 AND external_key = $3 AND external_key <> ''`,
		uai, studentID, key)
}

// FindSheetNatural returns a student's sheet without external key of this
// kind, title, context and PFMP start: the natural key of an import.
func (tx Records) FindSheetNatural(ctx context.Context, uai sillage.UAI, s sillage.Sheet) (sillage.EvaluationRef, error) {
	return tx.findSheet(ctx, `SELECT id, deleted_at FROM sheets WHERE uai = $1 AND student_id = $2 AND kind = $3 AND title = $4
		AND context = $5 AND (pfmp_start = $6 OR (pfmp_start IS NULL AND $6 IS NULL)) AND external_key = '' ORDER BY id`,
		uai, s.StudentID, s.Kind, s.Title, s.Context, s.PFMPStart)
}

func (tx *Tx) findSheet(ctx context.Context, q string, args ...any) (sillage.EvaluationRef, error) {
	var ref sillage.EvaluationRef
	var deleted time.Time
	err := tx.queryRow(ctx, q, args...).Scan(&ref.ID, ts{&deleted})
	if err == sql.ErrNoRows {
		return ref, sillage.Errorf(sillage.KindNotFound, "fiche introuvable")
	}
	if err != nil {
		return ref, mapErr(err)
	}
	ref.Trashed = !deleted.IsZero()
	return ref, nil
}

// SetSheetKey records the external key a sheet was imported with.
func (tx Records) SetSheetKey(ctx context.Context, uai sillage.UAI, id int64, key string) error {
	n, err := tx.execN(ctx, `UPDATE sheets SET external_key = $3 WHERE uai = $1 AND id = $2`, uai, id, key)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "la clé de fiche %q est déjà utilisée pour cet élève", key)
	}
	return notFoundIfNone(n, err, "fiche")
}

// ListStudentAttachments returns the attachments of the live sheets of a
// student (studentID 0: of every student), by sheet and upload time.
func (tx Records) ListStudentAttachments(ctx context.Context, uai sillage.UAI, studentID int64) ([]sillage.Attachment, error) {
	q, args := `SELECT `+prefixed("a.", attachmentCols)+` FROM attachments a JOIN sheets s ON s.uai = a.uai AND s.id = a.sheet_id
		WHERE a.uai = $1 AND s.deleted_at IS NULL`, []any{uai}
	if studentID != 0 {
		args = append(args, studentID)
		q += fmt.Sprintf(` AND s.student_id = $%d`, len(args))
	}
	return collect(ctx, tx.txn, q+` ORDER BY a.sheet_id, a.uploaded_at, a.id`, args,
		func(r *sql.Rows) (sillage.Attachment, error) { return scanAttachment(r) })
}

// ListDatedResults returns the results of live evaluations of the given
// students (nil: every student) dated from..to inclusive (a zero bound is
// open), oldest first: by date, then evaluation, student and competence.
func (tx Records) ListDatedResults(ctx context.Context, uai sillage.UAI, studentIDs []int64, from, to sillage.Date) ([]sillage.DatedResult, error) {
	if studentIDs != nil && len(studentIDs) == 0 {
		return nil, nil
	}
	q, args := inIDs(`SELECT r.student_id, r.competence_id, r.evaluation_id, e.date, e.origin_uai, r.value
		FROM results r JOIN evaluations e ON e.uai = r.uai AND e.id = r.evaluation_id
		WHERE r.uai = $1 AND e.deleted_at IS NULL`, []any{uai}, "r.student_id", studentIDs)
	if !from.IsZero() {
		args = append(args, from)
		q += fmt.Sprintf(` AND e.date >= $%d`, len(args))
	}
	if !to.IsZero() {
		args = append(args, to)
		q += fmt.Sprintf(` AND e.date <= $%d`, len(args))
	}
	return collect(ctx, tx.txn, q+` ORDER BY e.date, r.evaluation_id, r.student_id, r.competence_id`, args, func(r *sql.Rows) (sillage.DatedResult, error) {
		var d sillage.DatedResult
		var origin string
		err := r.Scan(&d.StudentID, &d.CompetenceID, &d.EvaluationID, dt{&d.Date}, &origin, &d.Value)
		d.OriginUAI = sillage.UAI(origin)
		return d, err
	})
}
