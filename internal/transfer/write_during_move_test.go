package transfer_test

import (
	"context"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// TestWriteDuringTheMove: a result changed for a departing student while
// the batch moving them runs (here, just after the batch staged their
// results) is either moved with the record or refused because the student
// is gone — never deleted at the origin without being copied. On
// PostgreSQL (READ COMMITTED) this holds because the batch locks its
// students before reading their records and every writer locks the
// student it writes for; SQLite has one writer.
func TestWriteDuringTheMove(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		b := newBasic(t, st, clock, true)
		var evalID int64
		err := st.Read(ctx, func(tx *store.Tx) error {
			evals, err := tx.Records().ListEvaluations(ctx, uaiA, sillage.EvaluationFilter{StudentID: b.lea.ID})
			for _, e := range evals {
				if e.Title == "Mise en service" {
					evalID = e.ID
				}
			}
			return err
		})
		if err != nil || evalID == 0 {
			t.Fatalf("the evaluation to change: %v", err)
		}
		// Léa's result there on the first competence is 2 (record).
		const value = "4"
		compA, compB := b.w.refs[uaiA].Competences[0].ID, b.w.refs[uaiB].Competences[0].ID
		done := make(chan error, 1)
		started := false
		rep := b.w.run(transfer.Options{Failpoint: func(step string) error {
			if step != transfer.StepStage || started {
				return nil
			}
			started = true
			go func() {
				done <- st.Write(ctx, func(tx *store.Tx) error {
					return tx.Records().SetResult(ctx, uaiA, sillage.Result{EvaluationID: evalID, StudentID: b.lea.ID, CompetenceID: compA, Value: value})
				})
			}()
			// Let the write commit, or find it waiting for the batch.
			select {
			case err := <-done:
				done <- err
			case <-time.After(300 * time.Millisecond):
			}
			return nil
		}})
		if len(rep.Transferred) != 1 {
			t.Fatalf("transferred = %+v, want Léa", rep)
		}
		werr := <-done
		var arrived bool
		var orphans map[string]int64
		err = st.Read(ctx, func(tx *store.Tx) error {
			evals, err := tx.Records().ListEvaluations(ctx, uaiB, sillage.EvaluationFilter{StudentID: b.newLea.ID})
			if err != nil {
				return err
			}
			rs, err := tx.Records().ListResults(ctx, uaiB, sillage.ResultFilter{StudentID: b.newLea.ID})
			if err != nil {
				return err
			}
			for _, e := range evals {
				for _, r := range rs {
					if e.Title == "Mise en service" && r.EvaluationID == e.ID && r.CompetenceID == compB {
						arrived = r.Value == value
					}
				}
			}
			orphans, err = tx.CrossTenant().RecordOrphans(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case werr == nil && !arrived:
			t.Error("the result written during the move was accepted, then lost: not at the destination")
		case werr != nil && arrived:
			t.Errorf("the result arrived but its write failed: %v", werr)
		case werr != nil && sillage.KindOf(werr) == sillage.KindInternal:
			t.Errorf("the write refused with an internal error: %v", werr)
		}
		for rel, n := range orphans {
			if n != 0 {
				t.Errorf("%d orphans in %s", n, rel)
			}
		}
		t.Logf("write: %v; arrived: %v", werr, arrived)
	})
}
