package rollover

import (
	"context"
	"fmt"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// purgeBatch is how many items of one kind a transaction of step 1 deletes.
const purgeBatch = 500

// purge is step 1: everything moved to the trash before the step started
// is deleted for good — the class spaces archived by the previous
// changeover and the evaluations, sheets and documents trashed during the
// year. An item restored before is not in the trash any more: it stays.
// The cut-off is the step's first start, so a run resumed later does not
// delete what was trashed after the step began. The class archives whose
// retention has ended (year N - Retention.ArchiveYears and before) are
// deleted too (privacy.md). Each batch's transaction records its counts
// in the audit log (no name, no content).
func (r *run) purge() (func(*store.Tx) error, error) {
	ctx, uai, cutoff := r.ctx, r.uai, r.started
	lastYear := expiredArchiveYear(r.year, r.e.retention())
	var before sillage.TrashCounts
	var expired int
	var warned int
	var cal Calendar
	err := r.e.Store.Read(ctx, func(tx *store.Tx) (err error) {
		if before, err = tx.Rollover().CountTrash(ctx, uai, cutoff); err != nil {
			return err
		}
		if expired, err = countExpiredArchives(ctx, tx, uai, lastYear); err != nil {
			return err
		}
		if cal, err = LoadCalendar(ctx, tx, r.year); err != nil {
			return err
		}
		ns, err := tx.Rollover().ListRolloverNotices(ctx, uai, r.year, NoticeTrash)
		warned = len(ns)
		return err
	})
	if err != nil {
		return nil, err
	}
	if warned == 0 {
		r.rep.warn("les administrateurs n'ont pas été prévenus avant la purge (avertissement prévu le %s)", cal.TrashWarning.French())
	}
	if today := sillage.DateOf(r.started); !cal.Step(StepPurge).Contains(today) {
		r.rep.warn("étape lancée le %s, hors de ses dates au calendrier (%s)", today.French(), cal.Step(StepPurge).French())
	}
	total := before.Total() + expired
	done := 0
	r.progress(done, total)
	trash := fmt.Sprintf("Purge de la corbeille (changement d'année %s)", r.year)
	retention := fmt.Sprintf("Archives de classe de %s et avant (conservation de %d ans échue)", lastYear, r.e.retention().ArchiveYears)
	kinds := []struct {
		key, label     string
		action, target string
		del            func(context.Context, *store.Tx) (int, error)
	}{
		{"evaluations", "Évaluations supprimées", audit.Purge, trash, func(ctx context.Context, tx *store.Tx) (int, error) {
			if err := r.packTrash(tx, "evaluations", cutoff); err != nil {
				return 0, err
			}
			return tx.Rollover().DeleteTrashedEvaluations(ctx, uai, cutoff, purgeBatch)
		}},
		{"sheets", "Fiches supprimées", audit.Purge, trash, func(ctx context.Context, tx *store.Tx) (int, error) {
			if err := r.packTrash(tx, "sheets", cutoff); err != nil {
				return 0, err
			}
			return tx.Rollover().DeleteTrashedSheets(ctx, uai, cutoff, purgeBatch)
		}},
		{"documents", "Documents supprimés", audit.Purge, trash, func(ctx context.Context, tx *store.Tx) (int, error) {
			if err := r.packTrash(tx, "documents", cutoff); err != nil {
				return 0, err
			}
			return tx.Rollover().DeleteTrashedDocuments(ctx, uai, cutoff, purgeBatch)
		}},
		{"class_spaces", "Espaces de classe supprimés", audit.Purge, trash, func(ctx context.Context, tx *store.Tx) (int, error) {
			ids, err := tx.Rollover().ListTrashedIDs(ctx, uai, "class_spaces", cutoff, 0)
			if err == nil {
				err = r.packRows(tx, "class_spaces", ids)
			}
			if err != nil {
				return 0, err
			}
			return tx.Rollover().DeleteTrashedClassSpaces(ctx, uai, cutoff)
		}},
		{"archives", fmt.Sprintf("Archives de classe supprimées (conservation de %d ans échue)", r.e.retention().ArchiveYears), audit.RetentionDeletion, retention,
			func(ctx context.Context, tx *store.Tx) (int, error) {
				return deleteExpiredArchives(ctx, tx, uai, lastYear, purgeBatch, r.packRows)
			}},
	}
	// What earlier attempts deleted is counted from their checkpoints.
	cps, err := r.checkpoints()
	if err != nil {
		return nil, err
	}
	for _, k := range kinds {
		n := cps["deleted:"+k.key].RefID
		for {
			var got int
			err := r.e.Store.Write(ctx, func(tx *store.Tx) (err error) {
				if got, err = k.del(ctx, tx); err != nil || got == 0 {
					return err
				}
				n += int64(got)
				// Counts only: what the batch deleted, never what it held.
				if err := audit.Record(ctx, tx, uai, auditActor(r.req.Actor), k.action, k.target, fmt.Sprintf("%s : %d", k.label, got)); err != nil {
					return err
				}
				if err := tx.Rollover().SetRolloverCheckpoint(ctx, uai, store.RolloverCheckpoint{SchoolYear: r.year, Step: int(r.step),
					Item: "deleted:" + k.key, RefID: n}); err != nil {
					return err
				}
				return r.fail("batch")
			})
			if err != nil {
				return nil, err
			}
			if got == 0 {
				break
			}
			done += got
			r.progress(done, total)
		}
		r.rep.count(k.key, k.label, n)
	}
	r.rep.Details = append(r.rep.Details, fmt.Sprintf("Éléments mis à la corbeille avant le %s supprimés définitivement.", sillage.FormatDateTime(r.started)),
		fmt.Sprintf("Archives de classe conservées %d ans : celles de %s et avant sont supprimées.", r.e.retention().ArchiveYears, lastYear))
	// The reports of the previous changeovers are kept until this one.
	return func(tx *store.Tx) error {
		_, err := tx.Rollover().DeleteRolloverSteps(ctx, uai, r.year)
		return err
	}, nil
}

// expiredArchiveYear is the last school year whose class archives the
// changeover closing year deletes: year-N archives are kept
// Retention.ArchiveYears years.
func expiredArchiveYear(year sillage.SchoolYear, ret sillage.Retention) sillage.SchoolYear {
	return year - sillage.SchoolYear(ret.ArchiveYears)
}

// expiredArchives returns the archives of the establishment's Archives
// space of lastYear and before.
func expiredArchives(ctx context.Context, tx *store.Tx, uai sillage.UAI, lastYear sillage.SchoolYear) ([]sillage.Archive, error) {
	all, err := tx.Records().ListArchives(ctx, uai)
	var out []sillage.Archive
	for _, a := range all {
		if a.SchoolYear <= lastYear {
			out = append(out, a)
		}
	}
	return out, err
}

func countExpiredArchives(ctx context.Context, tx *store.Tx, uai sillage.UAI, lastYear sillage.SchoolYear) (int, error) {
	list, err := expiredArchives(ctx, tx, uai, lastYear)
	return len(list), err
}

// deleteExpiredArchives deletes at most limit archives of lastYear and
// before (their files go with the next collection).
func deleteExpiredArchives(ctx context.Context, tx *store.Tx, uai sillage.UAI, lastYear sillage.SchoolYear, limit int,
	pack func(*store.Tx, string, []int64) error) (int, error) {
	list, err := expiredArchives(ctx, tx, uai, lastYear)
	if err != nil {
		return 0, err
	}
	if len(list) > limit {
		list = list[:limit]
	}
	ids := make([]int64, len(list))
	for i, a := range list {
		ids[i] = a.ID
	}
	if err := pack(tx, "archives", ids); err != nil {
		return 0, err
	}
	for _, a := range list {
		if err := tx.Records().DeleteArchive(ctx, uai, a.ID); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}
