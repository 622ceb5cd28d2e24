package records

import (
	"context"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// A professional-situation sheet is evaluated competence by competence,
// with the scale, on the competences of the student's referential (the
// referential of their diploma), beside an optional overall result.

// SheetReferential returns the referential of a student's diploma, and
// false when the establishment has none for it.
func SheetReferential(ctx context.Context, tx *store.Tx, uai sillage.UAI, st sillage.Student) (sillage.Referential, bool, error) {
	refs, err := tx.Records().ListReferentials(ctx, uai)
	if err != nil {
		return sillage.Referential{}, false, err
	}
	for _, r := range refs {
		if st.Diploma != "" && r.Diploma == st.Diploma {
			ref, err := tx.Records().GetReferential(ctx, uai, r.ID)
			return ref, err == nil, err
		}
	}
	return sillage.Referential{}, false, nil
}

// SheetEntry is what a teacher enters on a sheet: an overall result
// and comment, and per-competence values and comments.
type SheetEntry struct {
	Result      string
	Comment     string
	Competences []sillage.SheetResult // CompetenceID, Value, Comment
}

// EvaluateSheet records who's evaluation of a sheet within reach, all or
// nothing: every value on the establishment's scale, every competence one
// of the student's referential, every comment within MaxCommentRunes, and
// something entered. Competences left empty are not stored. who becomes
// the sheet's evaluator.
func EvaluateSheet(ctx context.Context, tx *store.Tx, who sillage.Who, id int64, in SheetEntry) (sillage.Sheet, error) {
	sh, err := SheetInReach(ctx, tx, who, id)
	if err != nil {
		return sh, err
	}
	st, err := tx.People().GetStudent(ctx, who.UAI, sh.StudentID)
	if err != nil {
		return sh, err
	}
	sc, err := LoadScale(ctx, tx, who.UAI)
	if err != nil {
		return sh, err
	}
	ref, _, err := SheetReferential(ctx, tx, who.UAI, st)
	if err != nil {
		return sh, err
	}
	known := map[int64]sillage.Competence{}
	for _, c := range ref.Competences {
		known[c.ID] = c
	}
	value, comment := NormalizeValue(in.Result), strings.TrimSpace(in.Comment)
	if err := sc.Check(value); err != nil {
		return sh, err
	}
	if len([]rune(comment)) > MaxCommentRunes {
		return sh, sillage.Errorf(sillage.KindInvalid, "le commentaire dépasse 2 000 caractères")
	}
	var rs []sillage.SheetResult
	seen := map[int64]bool{}
	for _, x := range in.Competences {
		c, ok := known[x.CompetenceID]
		if !ok {
			return sh, sillage.Errorf(sillage.KindInvalid, "cette compétence n'appartient pas au référentiel du diplôme de l'élève")
		}
		v, text := NormalizeValue(x.Value), strings.TrimSpace(x.Comment)
		if err := sc.Check(v); err != nil {
			return sh, sillage.Errorf(sillage.KindInvalid, "%s : %s", c.Code, sillage.Message(err))
		}
		if len([]rune(text)) > MaxCommentRunes {
			return sh, sillage.Errorf(sillage.KindInvalid, "%s : le commentaire dépasse 2 000 caractères", c.Code)
		}
		if seen[c.ID] {
			return sh, sillage.Errorf(sillage.KindInvalid, "%s : la compétence est évaluée deux fois", c.Code)
		}
		seen[c.ID] = true
		if v != "" || text != "" {
			rs = append(rs, sillage.SheetResult{SheetID: sh.ID, CompetenceID: c.ID, Code: c.Code, Label: c.Label, Value: v, Comment: text})
		}
	}
	if value == "" && comment == "" && len(rs) == 0 {
		return sh, sillage.Errorf(sillage.KindInvalid, "choisissez un résultat, évaluez une compétence ou écrivez un commentaire")
	}
	sh.AuthorID, sh.Result, sh.Comment = who.PersonID, value, comment
	if err := tx.Records().UpdateSheet(ctx, who.UAI, sh); err != nil {
		return sh, err
	}
	if err := tx.Records().SetSheetResults(ctx, who.UAI, sh.ID, rs); err != nil {
		return sh, err
	}
	sh.Results = rs
	return sh, nil
}
