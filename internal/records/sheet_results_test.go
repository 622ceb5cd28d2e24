package records_test

import (
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestEvaluateSheetPerCompetence: a sheet is evaluated competence by
// competence on the student's referential; a bad value, a competence of
// another referential or an empty entry changes nothing; out of reach is
// "not found"; the student's record holds the results in the
// referential's order. Both engines.
func TestEvaluateSheetPerCompetence(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		w := newReachWorld(t, st)
		e1 := w.students["E1"]
		c := w.ref.Competences
		sh := sillage.Sheet{StudentID: e1.ID, Kind: sillage.SheetBacPro, Title: "Pose d'un tableau", Context: sillage.ContextClass}
		var foreign sillage.Referential
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Records().CreateSheet(ctx, uai, &sh); err != nil {
				return err
			}
			foreign = sillage.Referential{Diploma: "50033610", Kind: sillage.ReferentialBEP, Label: "CAP", Competences: []sillage.Competence{{Domain: "D", Code: "X1", Label: "Autre"}}}
			return tx.Records().CreateReferential(ctx, uai, &foreign)
		})
		if err != nil {
			t.Fatal(err)
		}
		load := func() sillage.Sheet {
			var out sillage.Sheet
			if err := st.Read(ctx, func(tx *store.Tx) error {
				_, rec, err := records.LoadStudent(ctx, tx, uai, e1.ID)
				if err == nil && len(rec.Sheets) == 1 {
					out = rec.Sheets[0]
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		evaluate := func(who sillage.Who, in records.SheetEntry) error {
			return st.Write(ctx, func(tx *store.Tx) error { _, err := records.EvaluateSheet(ctx, tx, who, sh.ID, in); return err })
		}
		for _, bad := range []struct {
			name string
			who  sillage.Who
			in   records.SheetEntry
			want sillage.Kind
		}{
			{"nothing entered", w.teacher, records.SheetEntry{Competences: []sillage.SheetResult{{CompetenceID: c[0].ID}}}, sillage.KindInvalid},
			{"value off the scale", w.teacher, records.SheetEntry{Competences: []sillage.SheetResult{{CompetenceID: c[0].ID, Value: "3"}, {CompetenceID: c[1].ID, Value: "9"}}}, sillage.KindInvalid},
			{"competence of another referential", w.teacher, records.SheetEntry{Competences: []sillage.SheetResult{{CompetenceID: foreign.Competences[0].ID, Value: "3"}}}, sillage.KindInvalid},
			{"twice the same competence", w.teacher, records.SheetEntry{Competences: []sillage.SheetResult{{CompetenceID: c[0].ID, Value: "3"}, {CompetenceID: c[0].ID, Value: "2"}}}, sillage.KindInvalid},
			{"teacher out of reach", w.idleW, records.SheetEntry{Result: "3"}, sillage.KindNotFound},
		} {
			if err := evaluate(bad.who, bad.in); sillage.KindOf(err) != bad.want {
				t.Errorf("%s: %v, want %v", bad.name, err, bad.want)
			}
		}
		if got := load(); got.AuthorID != 0 || len(got.Results) != 0 {
			t.Fatalf("a refused evaluation left %+v", got)
		}
		// Entered out of order, one competence left empty.
		err = evaluate(w.teacher, records.SheetEntry{Result: "3", Comment: "Bon travail.", Competences: []sillage.SheetResult{
			{CompetenceID: c[3].ID, Value: "abs"}, {CompetenceID: c[0].ID, Value: "4", Comment: " Très autonome. "}, {CompetenceID: c[2].ID}}})
		if err != nil {
			t.Fatal(err)
		}
		got := load()
		want := []sillage.SheetResult{
			{SheetID: sh.ID, CompetenceID: c[0].ID, Code: "C1", Label: "S'informer", Value: "4", Comment: "Très autonome."},
			{SheetID: sh.ID, CompetenceID: c[3].ID, Code: "C4", Label: "Contrôler", Value: "ABS"},
		}
		if got.AuthorID != w.teacher.PersonID || got.Result != "3" || len(got.Results) != len(want) {
			t.Fatalf("evaluated sheet %+v", got)
		}
		for i := range want {
			if got.Results[i] != want[i] {
				t.Errorf("result %d: %+v, want %+v", i, got.Results[i], want[i])
			}
		}
		// A new evaluation replaces the per-competence results.
		if err := evaluate(w.adminW, records.SheetEntry{Competences: []sillage.SheetResult{{CompetenceID: c[1].ID, Value: "2"}}}); err != nil {
			t.Fatal(err)
		}
		if got := load(); len(got.Results) != 1 || got.Results[0].Code != "C2" || got.Result != "" || got.AuthorID != w.adminW.PersonID {
			t.Errorf("after the second evaluation: %+v", got)
		}
	})
}
