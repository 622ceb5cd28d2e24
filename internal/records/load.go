package records

import (
	"context"
	"sort"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// StudentRecord is everything of a student's learning record in one
// establishment: the pages, the API, the records export and the full-record
// download all read it.
type StudentRecord struct {
	Student     sillage.Student
	Evaluations []EvaluationRecord // newest first
	Sheets      []sillage.Sheet    // live ones, newest first, with their attachments
	Documents   []sillage.Document // loaded for one student only
}

// EvaluationRecord is one evaluation as seen from one student: their
// results per competence in the referential's order, and their comment.
type EvaluationRecord struct {
	sillage.Evaluation
	Key         string // external key of an imported evaluation
	Referential *sillage.Referential
	Results     []CompetenceResult
	Comment     string
}

// CompetenceResult is a student's result on one competence.
type CompetenceResult struct {
	Competence sillage.Competence
	Value      string
}

// Domain groups consecutive results of one domain, for display.
type Domain struct {
	Name    string
	Results []CompetenceResult
}

// Domains groups the results by domain, in the referential's order.
func (e EvaluationRecord) Domains() []Domain {
	var out []Domain
	for _, r := range e.Results {
		if len(out) == 0 || out[len(out)-1].Name != r.Competence.Domain {
			out = append(out, Domain{Name: r.Competence.Domain})
		}
		out[len(out)-1].Results = append(out[len(out)-1].Results, r)
	}
	return out
}

// Records is the learning records of some students, with what describes
// them: the scale, the referentials used, the authors.
type Records struct {
	Establishment sillage.Establishment
	Scale         sillage.Scale
	Referentials  []sillage.Referential // those the evaluations use, by label
	Students      []StudentRecord
	Authors       map[int64]sillage.Person
	SheetKeys     map[int64]string
}

// Load reads the records of the given students (nil: every student of the
// establishment) in one read transaction's view. Evaluations in the trash
// and their results are left out, as are trashed sheets and documents.
func Load(ctx context.Context, tx *store.Tx, uai sillage.UAI, studentIDs []int64) (*Records, error) {
	est, err := tx.Establishments().GetEstablishment(ctx, uai)
	if err != nil {
		return nil, err
	}
	out := &Records{Establishment: est, Authors: map[int64]sillage.Person{}}
	if out.Scale, err = LoadScale(ctx, tx, uai); err != nil {
		return nil, err
	}
	students, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{IDs: studentIDs})
	if err != nil {
		return nil, err
	}
	if studentIDs != nil && len(students) != len(studentIDs) {
		return nil, sillage.Errorf(sillage.KindNotFound, "élève introuvable")
	}
	one := int64(0)
	if len(studentIDs) == 1 {
		one = studentIDs[0]
	}
	evals, err := tx.Records().ListEvaluations(ctx, uai, sillage.EvaluationFilter{StudentID: one})
	if err != nil {
		return nil, err
	}
	results, err := tx.Records().ListResults(ctx, uai, sillage.ResultFilter{StudentID: one})
	if err != nil {
		return nil, err
	}
	comments, err := tx.Records().ListComments(ctx, uai, sillage.ResultFilter{StudentID: one})
	if err != nil {
		return nil, err
	}
	sheets, err := tx.Records().ListSheets(ctx, uai, sillage.SheetFilter{StudentID: one})
	if err != nil {
		return nil, err
	}
	atts, err := tx.Records().ListStudentAttachments(ctx, uai, one)
	if err != nil {
		return nil, err
	}
	sheetResults, err := tx.Records().ListSheetResults(ctx, uai, one)
	if err != nil {
		return nil, err
	}
	evalKeys, err := tx.Records().ListEvaluationKeys(ctx, uai)
	if err != nil {
		return nil, err
	}
	if out.SheetKeys, err = tx.Records().ListSheetKeys(ctx, uai); err != nil {
		return nil, err
	}

	// Referentials of the evaluations, with their competences.
	refs := map[int64]*sillage.Referential{}
	comps := map[int64]sillage.Competence{}
	evalByID := make(map[int64]*sillage.Evaluation, len(evals))
	authorIDs := map[int64]bool{}
	for i := range evals {
		e := &evals[i]
		evalByID[e.ID] = e
		authorIDs[e.AuthorID] = true
		if refs[e.ReferentialID] == nil {
			ref, err := tx.Records().GetReferential(ctx, uai, e.ReferentialID)
			if err != nil {
				return nil, err
			}
			refs[ref.ID] = &ref
			for _, c := range ref.Competences {
				comps[c.ID] = c
			}
		}
	}
	for _, r := range refs {
		out.Referentials = append(out.Referentials, *r)
	}
	sort.Slice(out.Referentials, func(i, j int) bool {
		if out.Referentials[i].Label != out.Referentials[j].Label {
			return out.Referentials[i].Label < out.Referentials[j].Label
		}
		return out.Referentials[i].ID < out.Referentials[j].ID
	})

	// Group by student, then by evaluation.
	type key struct{ student, eval int64 }
	perEval := map[key]*EvaluationRecord{}
	byStudent := map[int64]*StudentRecord{}
	for _, s := range students {
		byStudent[s.ID] = &StudentRecord{Student: s}
	}
	get := func(studentID, evalID int64) *EvaluationRecord {
		k := key{studentID, evalID}
		if er := perEval[k]; er != nil {
			return er
		}
		e, ok := evalByID[evalID]
		if !ok || byStudent[studentID] == nil {
			return nil // in the trash, or another student
		}
		er := &EvaluationRecord{Evaluation: *e, Key: evalKeys[evalID], Referential: refs[e.ReferentialID]}
		perEval[k] = er
		return er
	}
	for _, r := range results {
		if er := get(r.StudentID, r.EvaluationID); er != nil {
			er.Results = append(er.Results, CompetenceResult{Competence: comps[r.CompetenceID], Value: r.Value})
		}
	}
	for _, c := range comments {
		if er := get(c.StudentID, c.EvaluationID); er != nil {
			er.Comment = c.Text
		}
	}
	for k, er := range perEval {
		sort.Slice(er.Results, func(i, j int) bool {
			a, b := er.Results[i].Competence, er.Results[j].Competence
			if a.Position != b.Position {
				return a.Position < b.Position
			}
			return a.Code < b.Code
		})
		byStudent[k.student].Evaluations = append(byStudent[k.student].Evaluations, *er)
	}
	attsBySheet := map[int64][]sillage.Attachment{}
	for _, a := range atts {
		attsBySheet[a.SheetID] = append(attsBySheet[a.SheetID], a)
	}
	resultsBySheet := map[int64][]sillage.SheetResult{}
	for _, x := range sheetResults {
		resultsBySheet[x.SheetID] = append(resultsBySheet[x.SheetID], x)
	}
	for _, sh := range sheets {
		if sr := byStudent[sh.StudentID]; sr != nil {
			sh.Attachments = attsBySheet[sh.ID]
			sh.Results = resultsBySheet[sh.ID]
			sr.Sheets = append(sr.Sheets, sh)
			if sh.AuthorID != 0 {
				authorIDs[sh.AuthorID] = true
			}
		}
	}
	ids := make([]int64, 0, len(authorIDs))
	for id := range authorIDs {
		if id != 0 {
			ids = append(ids, id)
		}
	}
	authors, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{IDs: ids})
	if err != nil {
		return nil, err
	}
	for _, p := range authors {
		out.Authors[p.ID] = p
	}
	for _, s := range students {
		sr := byStudent[s.ID]
		sort.Slice(sr.Evaluations, func(i, j int) bool {
			a, b := sr.Evaluations[i], sr.Evaluations[j]
			if a.Date != b.Date {
				return b.Date.Before(a.Date)
			}
			return a.ID > b.ID
		})
		if one != 0 {
			if sr.Documents, err = tx.Records().ListDocuments(ctx, uai, s.ID); err != nil {
				return nil, err
			}
		}
		out.Students = append(out.Students, *sr)
	}
	return out, nil
}

// LoadStudent reads one student's record.
func LoadStudent(ctx context.Context, tx *store.Tx, uai sillage.UAI, studentID int64) (*Records, *StudentRecord, error) {
	recs, err := Load(ctx, tx, uai, []int64{studentID})
	if err != nil {
		return nil, nil, err
	}
	return recs, &recs.Students[0], nil
}
