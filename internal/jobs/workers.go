package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

type transferWorker struct {
	river.WorkerDefaults[TransferArgs]
	q *Queue
}

func (w *transferWorker) Timeout(*river.Job[TransferArgs]) time.Duration { return w.q.cfg.JobTimeout }

// Work runs the transfer; a failed run is retried by River (the transfers
// already done stay done, the others are redone from the start).
func (w *transferWorker) Work(ctx context.Context, job *river.Job[TransferArgs]) error {
	cfg := w.q.cfg
	if later, err := w.q.laterTransfer(ctx, job.ID); err == nil && later != 0 {
		// A run queued after this one waits: it will see everything this
		// one would (an AAF import queues one per establishment).
		_ = river.RecordOutput(ctx, fmt.Sprintf("regroupée avec la tâche n° %d", later))
		return nil
	}
	rep, err := transfer.Run(ctx, cfg.Store, transfer.Options{Retention: cfg.Retention, Failpoint: cfg.Failpoint, Logger: cfg.Logger,
		AfterChangeTx: w.q.collectTx})
	if rep != nil {
		summary := fmt.Sprintf("%d transféré(s), %d impossible(s), %d en attente, %d installé(s)", len(rep.Transferred), len(rep.Impossible),
			len(rep.Pending), len(rep.Settled))
		cfg.Logger.Info("transfer run", "trigger", job.Args.Trigger, "transferred", len(rep.Transferred), "impossible", len(rep.Impossible),
			"pending", len(rep.Pending), "settled", len(rep.Settled), "elapsed", rep.Elapsed)
		_ = river.RecordOutput(ctx, summary)
	}
	if err != nil || cfg.Federation == nil {
		return err
	}
	// Then the students no establishment here sends: asked of the peer
	// instances (what fails is retried by the next run).
	frep, err := cfg.Federation.Run(ctx)
	if frep != nil {
		cfg.Logger.Info("federation run", "asked", frep.Asked, "imported", frep.Imported, "pending", frep.Pending,
			"impossible", frep.Impossible, "receipts", frep.Receipts, "failed", frep.Failed)
		if rep != nil {
			_ = river.RecordOutput(ctx, fmt.Sprintf("%d transféré(s), %d impossible(s), %d en attente, %d installé(s) ; fédération : %d reçu(s), %d demande(s), %d échec(s)",
				len(rep.Transferred), len(rep.Impossible), len(rep.Pending), len(rep.Settled), frep.Imported, frep.Asked, frep.Failed))
		}
	}
	return err
}

type purgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	q *Queue
}

func (w *purgeWorker) Timeout(*river.Job[PurgeArgs]) time.Duration { return w.q.cfg.JobTimeout }

// Work runs the purge.
func (w *purgeWorker) Work(ctx context.Context, job *river.Job[PurgeArgs]) error {
	cfg := w.q.cfg
	rep, err := transfer.Purge(ctx, cfg.Store, transfer.Options{Retention: cfg.Retention, Failpoint: cfg.Failpoint, Logger: cfg.Logger,
		AfterChangeTx: w.q.collectTx})
	if rep != nil {
		cfg.Logger.Info("purge", "trigger", job.Args.Trigger, "students", rep.Students, "accounts", rep.Accounts, "elapsed", rep.Elapsed)
		_ = river.RecordOutput(ctx, fmt.Sprintf("%d élève(s) supprimé(s), %d compte(s) fermé(s), %d ligne(s) du suivi des transferts supprimée(s)",
			rep.Students, rep.Accounts, rep.LogLines))
	}
	if err != nil {
		return err
	}
	return w.q.housekeeping(ctx)
}

// housekeeping applies the other rolling rules with the weekly purge: audit
// entries past Retention.AuditMonths and expired sessions (the credential
// lists go with the hourly expiry).
func (q *Queue) housekeeping(ctx context.Context) error {
	cfg := q.cfg
	now := cfg.Store.Clock().Now()
	n, err := audit.PurgeExpired(ctx, cfg.Store, cfg.Retention.AuditCutoff(now))
	if err != nil {
		return err
	}
	var sessions int
	err = cfg.Store.Write(ctx, func(tx *store.Tx) (err error) {
		sessions, err = tx.Accounts().DeleteExpiredSessions(ctx, now)
		return err
	})
	if err != nil {
		return err
	}
	// The changeover's undo packs past their days; the collection of the
	// files they kept is queued in the same transaction.
	var packs int
	err = cfg.Store.Write(ctx, func(tx *store.Tx) (err error) {
		if packs, err = tx.CrossTenant().PurgeExpiredRolloverPacks(ctx, now); err != nil || packs == 0 {
			return err
		}
		return q.collectTx(ctx, tx)
	})
	if err != nil {
		return err
	}
	cfg.Logger.Info("housekeeping", "audit_entries", n, "sessions", sessions, "rollover_packs", packs)
	return nil
}

type expireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	q *Queue
}

func (w *expireWorker) Timeout(*river.Job[ExpireArgs]) time.Duration { return w.q.cfg.JobTimeout }

// Work deletes, every hour, what holds secrets or INEs past its time: the
// credential lists past their days (their sealed files then go with the
// blob collection) and the imports held for a confirmation past an hour;
// then it seals the files an older version wrote in clear.
func (w *expireWorker) Work(ctx context.Context, job *river.Job[ExpireArgs]) error {
	n, held, err := w.q.Expire(ctx)
	if err != nil {
		return err
	}
	sealed, err := w.q.sealLegacy(ctx)
	if err != nil {
		return err
	}
	_ = river.RecordOutput(ctx, fmt.Sprintf("%d liste(s) d'identifiants supprimée(s), %d import(s) en attente supprimé(s), %d fichier(s) écrit(s) en clair chiffré(s)",
		n, held, sealed))
	return nil
}

// Expire is the hourly expiry (the job's work, callable directly).
func (q *Queue) Expire(ctx context.Context) (lists, held int, err error) {
	cfg := q.cfg
	// The collection of their sealed files is queued in the same
	// transaction.
	lists, err = accounts.ExpireCredentialListsThen(ctx, cfg.Store, cfg.CredentialListDays, q.collectTx)
	if err != nil {
		return 0, 0, err
	}
	h := directory.HeldImports{Store: cfg.Store}
	if held, err = h.Expire(ctx, cfg.Store.Clock().Now()); err != nil {
		return lists, held, sillage.Wrap(sillage.KindUnavailable, err, "suppression des imports en attente expirés")
	}
	cfg.Logger.Info("expiry", "credential_lists", lists, "held_imports", held)
	return lists, held, nil
}

// collectTx queues the collection inside the transaction of a change
// (transfer.Options.AfterChangeTx).
func (q *Queue) collectTx(ctx context.Context, tx *store.Tx) error {
	if q.cfg.Blobs == nil {
		return nil
	}
	_, err := q.EnqueueCollectTx(ctx, tx, "after")
	return err
}

// laterTransfer returns the id of a transfer run queued after id and not
// started yet (0: none).
func (q *Queue) laterTransfer(ctx context.Context, id int64) (int64, error) {
	res, err := q.client.JobList(ctx, river.NewJobListParams().Kinds(KindTransfer).States(rivertype.JobStateAvailable).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(1))
	if err != nil || len(res.Jobs) == 0 || res.Jobs[0].ID <= id {
		return 0, err
	}
	return res.Jobs[0].ID, nil
}

type collectWorker struct {
	river.WorkerDefaults[CollectArgs]
	q *Queue
}

func (w *collectWorker) Timeout(*river.Job[CollectArgs]) time.Duration { return w.q.cfg.JobTimeout }

// Work removes the files no row refers to, older than the grace period (a
// file uploaded just now may not have its row committed yet). File times
// are the file system's: the grace period is measured on the real clock.
func (w *collectWorker) Work(ctx context.Context, job *river.Job[CollectArgs]) error {
	cfg := w.q.cfg
	if cfg.Blobs == nil {
		return river.JobCancel(errNoBlobs)
	}
	var refs map[string]bool
	if err := cfg.Store.Read(ctx, func(tx *store.Tx) (err error) { refs, err = tx.CrossTenant().BlobRefs(ctx); return err }); err != nil {
		return err
	}
	rep, err := cfg.Blobs.Collect(ctx, refs, time.Now().Add(-cfg.CollectGrace))
	if err != nil {
		return err
	}
	cfg.Logger.Info("blob collection", "removed", rep.Removed, "freed", rep.Freed, "kept", rep.Kept)
	_ = river.RecordOutput(ctx, fmt.Sprintf("%d fichier(s) supprimé(s), %d conservé(s) (délai de grâce)", rep.Removed, rep.Kept))
	return nil
}

// daily is the schedule of the transfer sweep: every day at hour:minute
// in the schools' time zone.
type daily struct{ hour, minute int }

// Next returns the first hour:minute strictly after t.
func (d daily) Next(t time.Time) time.Time {
	t = t.In(sillage.SchoolZone)
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, d.minute, 0, 0, sillage.SchoolZone)
	if !next.After(t) {
		next = time.Date(t.Year(), t.Month(), t.Day()+1, d.hour, d.minute, 0, 0, sillage.SchoolZone)
	}
	return next
}

// weekly is the schedule of the purge: on day at hour:00 in the schools'
// time zone.
type weekly struct {
	day  time.Weekday
	hour int
}

// Next returns the first weekday at hour:00 strictly after t.
func (w weekly) Next(t time.Time) time.Time {
	t = t.In(sillage.SchoolZone)
	for i := 0; i <= 7; i++ {
		d := time.Date(t.Year(), t.Month(), t.Day()+i, w.hour, 0, 0, 0, sillage.SchoolZone)
		if d.Weekday() == w.day && d.After(t) {
			return d
		}
	}
	return time.Date(t.Year(), t.Month(), t.Day()+7, w.hour, 0, 0, 0, sillage.SchoolZone)
}

// periodic returns the daily sweep, the weekly purge and the hourly expiry
// (also run when the workers start). Only the elected
// leader of the running processes enqueues them, and each is unique for
// its day or week anyway. River's scheduler runs on the wall clock, so the
// day or week of the unique key is read from the same clock (the rules
// with durations inside the jobs read the injected one).
func (q *Queue) periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(daily{q.cfg.SweepHour, q.cfg.SweepMinute}, func() (river.JobArgs, *river.InsertOpts) {
			return sweepArgs(time.Now())
		}, &river.PeriodicJobOpts{ID: "transfer_sweep"}),
		river.NewPeriodicJob(weekly{q.cfg.PurgeWeekday, q.cfg.PurgeHour}, func() (river.JobArgs, *river.InsertOpts) {
			return weeklyPurgeArgs(time.Now())
		}, &river.PeriodicJobOpts{ID: "weekly_purge"}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return ExpireArgs{Trigger: "hourly", Hour: time.Now().UTC().Format("2006-01-02T15")}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		}, &river.PeriodicJobOpts{ID: "hourly_expiry", RunOnStart: true}),
	}
}
