package records

import (
	"context"
	"fmt"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Result entry: the grid of the evaluation page (one cell at a time) and
// the API (a batch) write results and comments through EnterResults, so
// both hold the same checks.

// MaxCommentRunes is the longest comment on a student's work.
const MaxCommentRunes = 2000

// ResultInput is one result to enter. The competence is named by id (a
// column of the grid) or by code (any competence of the evaluation's
// referential: one not yet evaluated becomes a column). An empty value
// clears the result.
type ResultInput struct {
	StudentID    int64
	CompetenceID int64
	Code         string
	Value        string
}

// CommentInput is one comment to enter (empty: cleared).
type CommentInput struct {
	StudentID int64
	Text      string
}

// Entry is what EnterResults writes.
type Entry struct {
	Results  []ResultInput
	Comments []CommentInput
}

// ItemError is the refusal of one item of an entry ("resultats" or
// "commentaires", and its index): the API names the item, the grid shows
// the message in the cell. Kind and message are those of Err.
type ItemError struct {
	List  string
	Index int
	Err   error
}

func (e *ItemError) Error() string { return fmt.Sprintf("%s[%d] : %v", e.List, e.Index, e.Err) }

func (e *ItemError) Unwrap() error { return e.Err }

// EnterResults writes results and comments of an evaluation within who's
// reach, all or nothing: the evaluation editable by who (its author or an
// administrator), each student a row of its grid, each competence a
// column or a competence of its referential, each value on the
// establishment's scale, each comment within MaxCommentRunes. It returns
// the evaluation.
func EnterResults(ctx context.Context, tx *store.Tx, who sillage.Who, evaluationID int64, in Entry) (sillage.Evaluation, error) {
	e, err := EvaluationInReach(ctx, tx, who, evaluationID)
	if err != nil {
		return e, err
	}
	if !who.MayEdit(e) {
		return e, sillage.Errorf(sillage.KindForbidden, "seuls l'auteur de l'évaluation et les administrateurs saisissent ses résultats")
	}
	g, err := LoadGrid(ctx, tx, who.UAI, e)
	if err != nil {
		return e, err
	}
	rows := map[int64]bool{}
	for _, st := range g.Students {
		rows[st.ID] = true
	}
	row := func(studentID int64) error {
		if studentID == 0 {
			return sillage.Errorf(sillage.KindInvalid, "élève manquant")
		}
		if !rows[studentID] {
			return sillage.Errorf(sillage.KindInvalid, "cet élève n'est pas dans la grille de l'évaluation")
		}
		return nil
	}
	if len(in.Results) > 0 {
		if err := enterResults(ctx, tx, who.UAI, g, row, in.Results); err != nil {
			return e, err
		}
	}
	for i, c := range in.Comments {
		text := strings.TrimSpace(c.Text)
		err := row(c.StudentID)
		if err == nil && len([]rune(text)) > MaxCommentRunes {
			err = sillage.Errorf(sillage.KindInvalid, "le commentaire dépasse 2 000 caractères")
		}
		if err != nil {
			return e, &ItemError{List: "commentaires", Index: i, Err: err}
		}
		if err := tx.Records().SetComment(ctx, who.UAI, sillage.Comment{EvaluationID: e.ID, StudentID: c.StudentID, Text: text}); err != nil {
			return e, err
		}
	}
	return e, nil
}

func enterResults(ctx context.Context, tx *store.Tx, uai sillage.UAI, g *Grid, row func(int64) error, results []ResultInput) error {
	e := g.Evaluation
	columns, byCode := map[int64]bool{}, map[string]int64{}
	for _, c := range g.Columns {
		columns[c.ID], byCode[c.Code] = true, c.ID
	}
	ref, err := tx.Records().GetReferential(ctx, uai, e.ReferentialID)
	if err != nil {
		return err
	}
	sc, err := LoadScale(ctx, tx, uai)
	if err != nil {
		return err
	}
	var added []int64
	competence := func(x ResultInput) (int64, error) {
		if x.Code == "" {
			if !columns[x.CompetenceID] {
				return 0, sillage.Errorf(sillage.KindInvalid, "cette compétence n'est pas évaluée dans cette évaluation")
			}
			return x.CompetenceID, nil
		}
		if id, ok := byCode[x.Code]; ok {
			return id, nil
		}
		for _, c := range ref.Competences {
			if c.Code == x.Code {
				byCode[c.Code] = c.ID
				added = append(added, c.ID)
				return c.ID, nil
			}
		}
		return 0, sillage.Errorf(sillage.KindInvalid, "compétence « %s » inconnue dans le référentiel de l'évaluation", x.Code)
	}
	for i, x := range results {
		v := NormalizeValue(x.Value)
		err := row(x.StudentID)
		var compID int64
		if err == nil {
			compID, err = competence(x)
		}
		if err == nil {
			err = sc.Check(v)
		}
		if err != nil {
			return &ItemError{List: "resultats", Index: i, Err: err}
		}
		if err := tx.Records().SetResult(ctx, uai, sillage.Result{EvaluationID: e.ID, StudentID: x.StudentID, CompetenceID: compID, Value: v}); err != nil {
			return err
		}
	}
	return tx.Records().AddEvaluationCompetences(ctx, uai, e.ID, added)
}

// Grid is an evaluation as its entry grid shows it: the competences
// evaluated (columns), the students (rows: the active students of its
// division or group, then those with a result or a comment who are no
// longer in it), the results and the comments. InDivision marks the
// students of the division or group.
type Grid struct {
	Evaluation sillage.Evaluation
	Columns    []sillage.Competence
	Students   []sillage.Student
	InDivision map[int64]bool
	Results    []sillage.Result
	Comments   []sillage.Comment
}

// LoadGrid reads the grid of an evaluation already within reach (see
// EvaluationInReach).
func LoadGrid(ctx context.Context, tx *store.Tx, uai sillage.UAI, e sillage.Evaluation) (*Grid, error) {
	g := &Grid{Evaluation: e, InDivision: map[int64]bool{}}
	var err error
	if g.Columns, err = tx.Records().ListEvaluationCompetences(ctx, uai, e.ID); err != nil {
		return nil, err
	}
	var sts []sillage.Student
	switch {
	case e.GroupID != 0:
		sts, err = GroupStudents(ctx, tx, uai, e.GroupID)
	case e.DivisionID != 0:
		sts, err = tx.People().ListStudents(ctx, uai, sillage.StudentFilter{DivisionID: e.DivisionID, ActiveOnly: true})
	}
	if err != nil {
		return nil, err
	}
	for _, st := range sts {
		g.Students = append(g.Students, st)
		g.InDivision[st.ID] = true
	}
	if g.Results, err = tx.Records().ListResults(ctx, uai, sillage.ResultFilter{EvaluationID: e.ID}); err != nil {
		return nil, err
	}
	if g.Comments, err = tx.Records().ListComments(ctx, uai, sillage.ResultFilter{EvaluationID: e.ID}); err != nil {
		return nil, err
	}
	var extra []int64
	seen := map[int64]bool{}
	add := func(id int64) {
		if !g.InDivision[id] && !seen[id] {
			seen[id] = true
			extra = append(extra, id)
		}
	}
	for _, r := range g.Results {
		add(r.StudentID)
	}
	for _, c := range g.Comments {
		add(c.StudentID)
	}
	if len(extra) > 0 {
		sts, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{IDs: extra})
		if err != nil {
			return nil, err
		}
		g.Students = append(g.Students, sts...)
	}
	return g, nil
}

// SaveEvaluation stores an evaluation (new when its id is 0) with the
// competences it evaluates, the columns of its grid, together: an
// evaluation is never left without them.
func SaveEvaluation(ctx context.Context, tx *store.Tx, uai sillage.UAI, e *sillage.Evaluation, competenceIDs []int64) error {
	var err error
	if e.ID == 0 {
		err = tx.Records().CreateEvaluation(ctx, uai, e)
	} else {
		err = tx.Records().UpdateEvaluation(ctx, uai, *e)
	}
	if err != nil {
		return err
	}
	return tx.Records().SetEvaluationCompetences(ctx, uai, e.ID, competenceIDs)
}
