package rollover_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestExpiredArchivesPurged: step 1 deletes the class archives whose
// retention has ended (year N - ArchiveYears and before), with a
// counts-only audit entry, reports and plans them, and asks for the
// collection of the files; the younger archives stay.
func TestExpiredArchivesPurged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 30)
		ctx, uai := w.ctx, w.uais[0]
		years := w.e.Retention
		if years == (sillage.Retention{}) {
			years = sillage.DefaultRetention()
		}
		last := N - sillage.SchoolYear(years.ArchiveYears)
		var expired, kept []int64
		w.write(func(tx *store.Tx) error {
			for i, y := range []sillage.SchoolYear{last - 1, last, last, last + 1} {
				ref := w.put(fmt.Sprintf("PK archive %d %d", y, i))
				a := sillage.Archive{SchoolYear: y, DivisionCode: fmt.Sprintf("1SN%d", i), Name: fmt.Sprintf("Archive %s — 1SN%d.zip", y, i), SHA256: ref.SHA256, Size: ref.Size}
				if err := tx.Records().AddArchive(ctx, uai, &a); err != nil {
					return err
				}
				if y <= last {
					expired = append(expired, a.ID)
				} else {
					kept = append(kept, a.ID)
				}
			}
			return nil
		})
		var collects atomic.Int32
		w.e.CollectTx = func(context.Context, *store.Tx) error { collects.Add(1); return nil }
		clock.T = at(N, time.July, 15, 8)
		p, err := w.e.PlanOne(ctx, N, uai)
		if err != nil {
			t.Fatal(err)
		}
		if sp := p.Steps[0]; sp.Get("archives") != 3 || !strings.Contains(strings.Join(sp.Details, "\n"), "Archives de classe de "+last.String()+" supprimées : 2") {
			t.Fatalf("plan of step 1: %+v %q", sp.Counts, sp.Details)
		}
		res := w.run(N, rollover.StepPurge)
		if rep := res.Outcomes[0].Report; rep.Get("archives") != 3 {
			t.Fatalf("step 1 report: %+v", rep.Counts)
		}
		if collects.Load() != 1 {
			t.Fatalf("collection asked for %d times", collects.Load())
		}
		w.read(func(tx *store.Tx) error {
			for _, id := range expired {
				if _, err := tx.Records().GetArchive(ctx, uai, id); sillage.KindOf(err) != sillage.KindNotFound {
					t.Fatalf("expired archive %d still there: %v", id, err)
				}
			}
			for _, id := range kept {
				if _, err := tx.Records().GetArchive(ctx, uai, id); err != nil {
					t.Fatalf("archive %d within its retention deleted: %v", id, err)
				}
			}
			entries, err := tx.Audit().ListAudit(ctx, uai, sillage.AuditFilter{Action: "retention.deletion"})
			if err != nil {
				return err
			}
			if len(entries) != 1 || entries[0].Details != "Archives de classe supprimées (conservation de 10 ans échue) : 3" ||
				!strings.Contains(entries[0].Target, last.String()) {
				t.Fatalf("audit of the archives' deletion: %+v", entries)
			}
			return nil
		})
		// Run again: nothing more.
		w.twice(N, rollover.StepPurge)
	})
}

// TestPurgeAuditEachBatch: every transaction of step 1 records what it
// deleted in the audit log, in counts only (no name of what it held).
func TestPurgeAuditEachBatch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 30)
		ctx, uai := w.ctx, w.uais[0]
		fx := w.fx[uai]
		ref := w.put("%PDF-1.4 brouillon")
		const extra = 501 // with the world's trashed document: two batches of documents
		w.write(func(tx *store.Tx) error {
			for i := 0; i < extra; i++ {
				d := sillage.Document{StudentID: fx.student, Kind: sillage.DocumentFile, Name: fmt.Sprintf("brouillon-secret-%d.pdf", i), SHA256: ref.SHA256,
					Size: ref.Size, ContentType: "application/pdf", SchoolYear: N}
				if err := tx.Records().AddDocument(ctx, uai, &d); err != nil {
					return err
				}
				if err := tx.Records().TrashDocument(ctx, uai, d.ID, fx.student); err != nil {
					return err
				}
			}
			return nil
		})
		w.restore() // the world's second trashed evaluation is restored: one left to purge
		clock.T = at(N, time.July, 15, 8)
		res := w.run(N, rollover.StepPurge)
		if rep := res.Outcomes[0].Report; rep.Get("documents") != extra+1 || rep.Get("evaluations") != 1 {
			t.Fatalf("step 1 report: %+v", rep.Counts)
		}
		w.read(func(tx *store.Tx) error {
			entries, err := tx.Audit().ListAudit(ctx, uai, sillage.AuditFilter{Action: "purge"})
			if err != nil {
				return err
			}
			var got []string
			for _, e := range entries {
				if strings.Contains(e.Details, "brouillon") || strings.Contains(e.Target, "brouillon") {
					t.Fatalf("purge audit names a document: %+v", e)
				}
				got = append(got, e.Details)
			}
			want := map[string]bool{"Évaluations supprimées : 1": true, "Fiches supprimées : 1": true, "Documents supprimés : 500": true, "Documents supprimés : 2": true}
			if len(got) != len(want) {
				t.Fatalf("purge audit entries %q, want one per batch %v", got, want)
			}
			for _, d := range got {
				if !want[d] {
					t.Fatalf("purge audit entries %q, want %v", got, want)
				}
			}
			return nil
		})
	})
}
