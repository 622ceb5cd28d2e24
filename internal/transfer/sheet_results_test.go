package transfer_test

import (
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// A sheet evaluated competence by competence arrives with its results, on
// the destination's competences of the same codes (created there when the
// destination's referential lacks them); the origin keeps nothing.
func TestTransferMovesSheetResults(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		b := newBasic(t, st, clock, true)
		w := b.w
		var sheetID int64
		w.write(func(tx *store.Tx) error {
			sheets, err := tx.Records().ListSheets(ctx, uaiA, sillage.SheetFilter{StudentID: b.lea.ID})
			if err != nil || len(sheets) == 0 {
				t.Fatalf("no sheet to evaluate: %v", err)
			}
			sheetID = sheets[0].ID
			var rs []sillage.SheetResult
			for _, c := range w.refs[uaiA].Competences {
				if c.Code == "C1.1" || c.Code == "C1.2" { // C1.2 is missing from B's referential
					rs = append(rs, sillage.SheetResult{CompetenceID: c.ID, Value: "3", Comment: "observé en atelier " + c.Code})
				}
			}
			return tx.Records().SetSheetResults(ctx, uaiA, sheetID, rs)
		})
		if rep := w.run(transfer.Options{}); len(rep.Transferred) != 1 {
			t.Fatalf("transferred = %+v, want one", rep)
		}
		err := st.Read(ctx, func(tx *store.Tx) error {
			got, err := tx.Records().ListResultsOfSheet(ctx, uaiB, sheetID)
			if err != nil {
				return err
			}
			codes := map[string]string{}
			for _, r := range got {
				codes[r.Code] = r.Comment
			}
			if len(got) != 2 || codes["C1.1"] != "observé en atelier C1.1" || codes["C1.2"] != "observé en atelier C1.2" {
				t.Errorf("sheet results at the destination: %+v", got)
			}
			left, err := tx.Records().ListResultsOfSheet(ctx, uaiA, sheetID)
			if err != nil {
				return err
			}
			if len(left) != 0 {
				t.Errorf("the origin kept %d sheet results", len(left))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
