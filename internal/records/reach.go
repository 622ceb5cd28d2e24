package records

import (
	"context"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// The reach of each role over students (privacy.md), checked with the
// establishment: a student sees themself, a parent the students they are
// legal guardian of, a teacher the students of their divisions and
// groups, the director and the administrator every student. Out of reach
// is "not found", never "forbidden": nothing says the student exists.

// Reach returns a student of who's establishment within their reach.
func Reach(ctx context.Context, tx *store.Tx, who sillage.Who, studentID int64) (sillage.Student, error) {
	st, err := tx.People().GetStudent(ctx, who.UAI, studentID)
	if err != nil {
		return st, err
	}
	ok, err := reaches(ctx, tx, who, studentID)
	if err != nil {
		return st, err
	}
	if !ok {
		return sillage.Student{}, sillage.Errorf(sillage.KindNotFound, "élève introuvable")
	}
	return st, nil
}

func reaches(ctx context.Context, tx *store.Tx, who sillage.Who, studentID int64) (bool, error) {
	switch who.Role {
	case sillage.RoleStudent:
		return who.PersonID == studentID, nil
	case sillage.RoleParent:
		return tx.People().IsGuardianOf(ctx, who.UAI, who.PersonID, studentID)
	case sillage.RoleTeacher:
		return tx.Records().TeachesStudent(ctx, who.UAI, who.PersonID, studentID)
	case sillage.RoleDirector, sillage.RoleAdministrator:
		return true, nil
	}
	return false, nil
}

// StudentsInReach lists the students a member of staff may see, within
// the filter (nil for the other roles).
func StudentsInReach(ctx context.Context, tx *store.Tx, who sillage.Who, f sillage.StudentFilter) ([]sillage.Student, error) {
	if who.Role == sillage.RoleTeacher {
		ids, err := tx.Records().TeacherStudentIDs(ctx, who.UAI, who.PersonID)
		if err != nil {
			return nil, err
		}
		if ids == nil {
			ids = []int64{}
		}
		f.IDs = ids
	} else if !who.Staff() {
		return nil, nil
	}
	return tx.People().ListStudents(ctx, who.UAI, f)
}

// DivisionsInReach lists the divisions whose evaluations a member of
// staff handles: a teacher's own (taught or headed), every division for
// the director and the administrators.
func DivisionsInReach(ctx context.Context, tx *store.Tx, who sillage.Who) ([]sillage.Division, error) {
	all, err := tx.People().ListDivisions(ctx, who.UAI, 0)
	if err != nil || who.Staff() {
		return all, err
	}
	ids, err := tx.People().TeacherDivisionIDs(ctx, who.UAI, who.PersonID)
	if err != nil {
		return nil, err
	}
	mine := map[int64]bool{}
	for _, id := range ids {
		mine[id] = true
	}
	var out []sillage.Division
	for _, d := range all {
		if mine[d.ID] {
			out = append(out, d)
		}
	}
	return out, nil
}

// DivisionInReach returns a division in which who creates evaluations:
// any for an administrator, one they teach for a teacher.
func DivisionInReach(ctx context.Context, tx *store.Tx, who sillage.Who, id int64) (sillage.Division, error) {
	d, err := tx.People().GetDivision(ctx, who.UAI, id)
	if err != nil {
		return d, err
	}
	if who.Role == sillage.RoleAdministrator {
		return d, nil
	}
	ok, err := tx.People().TeachesDivision(ctx, who.UAI, who.PersonID, id)
	if err != nil {
		return d, err
	}
	if !ok {
		return sillage.Division{}, sillage.Errorf(sillage.KindNotFound, "division introuvable")
	}
	return d, nil
}

// EvaluationInReach returns a live evaluation who may see: an
// administrator every one; a teacher those they wrote and those of the
// divisions they teach and the groups they manage or teach.
func EvaluationInReach(ctx context.Context, tx *store.Tx, who sillage.Who, id int64) (sillage.Evaluation, error) {
	e, err := tx.Records().GetEvaluation(ctx, who.UAI, id)
	if err != nil {
		return e, err
	}
	if !e.DeletedAt.IsZero() {
		return sillage.Evaluation{}, sillage.Errorf(sillage.KindNotFound, "évaluation introuvable")
	}
	switch {
	case who.Role == sillage.RoleAdministrator, who.Role == sillage.RoleTeacher && e.AuthorID == who.PersonID:
		return e, nil
	case who.Role == sillage.RoleTeacher && e.DivisionID != 0:
		ok, err := tx.People().TeachesDivision(ctx, who.UAI, who.PersonID, e.DivisionID)
		if err != nil || ok {
			return e, err
		}
	case who.Role == sillage.RoleTeacher && e.GroupID != 0:
		ok, err := tx.People().TeachesGroup(ctx, who.UAI, who.PersonID, e.GroupID)
		if err != nil || ok {
			return e, err
		}
	}
	return sillage.Evaluation{}, sillage.Errorf(sillage.KindNotFound, "évaluation introuvable")
}

// EvaluationsWithoutDivision lists the evaluations attached to no
// division and no group that who handles: a teacher's own, every one for an
// administrator.
func EvaluationsWithoutDivision(ctx context.Context, tx *store.Tx, who sillage.Who) ([]sillage.Evaluation, error) {
	author := who.PersonID
	if who.Role == sillage.RoleAdministrator {
		author = 0
	}
	all, err := tx.Records().ListEvaluations(ctx, who.UAI, sillage.EvaluationFilter{AuthorID: author})
	if err != nil {
		return nil, err
	}
	var out []sillage.Evaluation
	for _, e := range all {
		if e.DivisionID == 0 && e.GroupID == 0 {
			out = append(out, e)
		}
	}
	return out, nil
}

// SheetInReach returns a live sheet whose student is within who's reach.
func SheetInReach(ctx context.Context, tx *store.Tx, who sillage.Who, id int64) (sillage.Sheet, error) {
	sh, err := tx.Records().GetSheet(ctx, who.UAI, id)
	if err != nil {
		return sh, err
	}
	if !sh.DeletedAt.IsZero() {
		return sillage.Sheet{}, sillage.Errorf(sillage.KindNotFound, "fiche introuvable")
	}
	ok, err := reaches(ctx, tx, who, sh.StudentID)
	if err != nil {
		return sh, err
	}
	if !ok {
		return sillage.Sheet{}, sillage.Errorf(sillage.KindNotFound, "fiche introuvable")
	}
	return sh, nil
}

// AttachmentInReach returns an attachment of a live sheet within reach,
// with its sheet.
func AttachmentInReach(ctx context.Context, tx *store.Tx, who sillage.Who, id int64) (sillage.Attachment, sillage.Sheet, error) {
	a, err := tx.Records().GetAttachment(ctx, who.UAI, id)
	if err != nil {
		return a, sillage.Sheet{}, err
	}
	sh, err := SheetInReach(ctx, tx, who, a.SheetID)
	if err != nil {
		return sillage.Attachment{}, sh, sillage.Errorf(sillage.KindNotFound, "fichier introuvable")
	}
	return a, sh, nil
}

// DocumentInReach returns a live document of a student within reach.
func DocumentInReach(ctx context.Context, tx *store.Tx, who sillage.Who, studentID, id int64) (sillage.Document, error) {
	d, err := tx.Records().GetDocument(ctx, who.UAI, id)
	if err != nil {
		return d, err
	}
	if d.StudentID != studentID || !d.DeletedAt.IsZero() {
		return sillage.Document{}, sillage.Errorf(sillage.KindNotFound, "document introuvable")
	}
	if _, err := Reach(ctx, tx, who, studentID); err != nil {
		return sillage.Document{}, sillage.Errorf(sillage.KindNotFound, "document introuvable")
	}
	return d, nil
}
