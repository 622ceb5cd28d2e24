package transfer

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// The steps of a purge transaction, in order, as the failpoint sees them.
const (
	StepPurgeList      = "purge.list"
	StepPurgeIndex     = "purge.index"
	StepPurgeDelete    = "purge.delete"
	StepPurgeAccounts  = "purge.accounts"
	StepPurgeAudit     = "purge.audit"
	StepPurgeCommitted = "purge.committed"
)

// PurgeSteps lists the failpoints of a purge.
var PurgeSteps = []string{StepPurgeList, StepPurgeIndex, StepPurgeDelete, StepPurgeAccounts, StepPurgeAudit, StepPurgeCommitted}

// PurgeBatch is how many students one purge transaction deletes at most:
// each batch is atomic (deleted with their index entries, accounts closed
// and the audit count, or not at all).
const PurgeBatch = 500

// PurgeReport is what a purge did (or, dry, would do): counts only.
type PurgeReport struct {
	At             time.Time            `json:"date"`
	DryRun         bool                 `json:"simulation"`
	Cutoff         time.Time            `json:"desactives_avant"`
	Establishments []PurgeEstablishment `json:"etablissements"`
	Students       int                  `json:"eleves"`
	Accounts       int                  `json:"comptes_fermes"`
	IndexEntries   int                  `json:"entrees_index"`
	// LogCutoff and LogLines: the lines of the transfer log (the
	// follow-up's lists) that last changed before LogCutoff are deleted
	// with the purge; they hold names and are kept as long as the audit log.
	LogCutoff time.Time     `json:"suivi_avant"`
	LogLines  int           `json:"lignes_suivi"`
	Elapsed   time.Duration `json:"-"`
}

// LogBatch is how many lines of the transfer log one transaction deletes.
const LogBatch = 5000

// PurgeEstablishment is the count of one establishment.
type PurgeEstablishment struct {
	UAI      sillage.UAI `json:"uai"`
	Students int         `json:"eleves"`
}

// Purge deletes every student deactivated more than
// Retention.StudentMonths ago with all their data (transfer.md 6), in
// batches of PurgeBatch per transaction, and writes the counts to each
// establishment's audit log. Files are not deleted here: the blob
// collector removes the unreferenced ones later.
func Purge(ctx context.Context, st *store.Store, o Options) (*PurgeReport, error) {
	start := time.Now()
	if o.Retention == (sillage.Retention{}) {
		o.Retention = sillage.DefaultRetention()
	}
	e := &engine{st: st, o: o, now: st.Clock().Now()}
	rep := &PurgeReport{At: e.now, DryRun: o.DryRun, Cutoff: o.Retention.StudentPurgeCutoff(e.now), Establishments: []PurgeEstablishment{}}
	var counts map[sillage.UAI]int
	if err := st.Read(ctx, func(tx *store.Tx) (err error) {
		counts, err = tx.CrossTenant().CountPurgeable(ctx, rep.Cutoff)
		return err
	}); err != nil {
		return nil, err
	}
	uais := make([]sillage.UAI, 0, len(counts))
	for u := range counts {
		uais = append(uais, u)
	}
	sort.Slice(uais, func(i, j int) bool { return uais[i] < uais[j] })
	for _, uai := range uais {
		if o.DryRun {
			rep.Establishments = append(rep.Establishments, PurgeEstablishment{uai, counts[uai]})
			rep.Students += counts[uai]
			continue
		}
		done := 0
		for {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			n, accounts, index, err := e.purgeBatch(ctx, uai, rep.Cutoff)
			if err != nil {
				return rep, fmt.Errorf("purge de %s : %w", uai, err)
			}
			done += n
			rep.Accounts += accounts
			rep.IndexEntries += index
			if n < PurgeBatch {
				break
			}
		}
		if done > 0 {
			rep.Establishments = append(rep.Establishments, PurgeEstablishment{uai, done})
			rep.Students += done
		}
	}
	if err := e.purgeLog(ctx, rep); err != nil {
		return rep, fmt.Errorf("purge du suivi des transferts : %w", err)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// purgeLog deletes the lines of the transfer log past the audit log's
// retention, LogBatch per transaction, each batch counted in the
// instance's audit log (the log is the instance's, not one
// establishment's). A batch is one DELETE: interrupted, the next purge
// takes up what is left.
func (e *engine) purgeLog(ctx context.Context, rep *PurgeReport) error {
	rep.LogCutoff = e.o.Retention.AuditCutoff(e.now)
	if e.o.DryRun {
		return e.st.Read(ctx, func(tx *store.Tx) (err error) {
			rep.LogLines, err = tx.CrossTenant().CountTransferLogBefore(ctx, rep.LogCutoff)
			return err
		})
	}
	for {
		var n int
		err := e.st.Write(ctx, func(tx *store.Tx) (err error) {
			if n, err = tx.CrossTenant().DeleteTransferLogBefore(ctx, rep.LogCutoff, LogBatch); err != nil || n == 0 {
				return err
			}
			return audit.Record(ctx, tx, "", audit.System, audit.Purge, fmt.Sprintf("suivi des transferts antérieur au %s", sillage.FormatDate(rep.LogCutoff)),
				fmt.Sprintf("%d ligne(s) du suivi des transferts supprimée(s)", n))
		})
		if err != nil {
			return err
		}
		rep.LogLines += n
		if n < LogBatch {
			return nil
		}
	}
}

func (e *engine) purgeBatch(ctx context.Context, uai sillage.UAI, cutoff time.Time) (students, accounts, index int, err error) {
	err = e.st.Write(ctx, func(tx *store.Tx) error {
		students, accounts, index = 0, 0, 0
		cands, err := tx.CrossTenant().ListPurgeable(ctx, uai, cutoff, PurgeBatch)
		if err != nil || len(cands) == 0 {
			return err
		}
		if err := e.fp(StepPurgeList); err != nil {
			return err
		}
		ids := make([]int64, len(cands))
		var accIDs []int64
		for i, c := range cands {
			ids[i] = c.ID
			if c.AccountID != 0 {
				accIDs = append(accIDs, c.AccountID)
			}
		}
		n, err := tx.CrossTenant().RemoveIndexEntries(ctx, uai, ids)
		if err != nil {
			return err
		}
		index = int(n)
		if err := e.fp(StepPurgeIndex); err != nil {
			return err
		}
		if n, err = tx.CrossTenant().DeleteDeactivatedStudents(ctx, uai, ids, cutoff); err != nil {
			return err
		}
		students = int(n)
		if students > 0 {
			if err := e.changed(ctx, tx); err != nil {
				return err
			}
		}
		if err := e.fp(StepPurgeDelete); err != nil {
			return err
		}
		if n, err = tx.CrossTenant().CloseOrphanAccounts(ctx, accIDs, sillage.ClosedPurged); err != nil {
			return err
		}
		accounts = int(n)
		if err := e.fp(StepPurgeAccounts); err != nil {
			return err
		}
		err = audit.Record(ctx, tx, uai, audit.System, audit.Purge, fmt.Sprintf("élèves désactivés avant le %s", sillage.FormatDate(cutoff)),
			fmt.Sprintf("%d élève(s) supprimé(s) avec toutes leurs données, %d compte(s) fermé(s), %d entrée(s) retirée(s) de l'index des transferts",
				students, accounts, index))
		if err != nil {
			return err
		}
		return e.fp(StepPurgeAudit)
	})
	if err != nil {
		return 0, 0, 0, err
	}
	if students > 0 {
		if err := e.fp(StepPurgeCommitted); err != nil {
			return students, accounts, index, err
		}
	}
	return students, accounts, index, nil
}
