package rollover

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/store"
)

// Each step of each establishment is a durable job of the instance's queue
// (internal/jobs, River): the operator's button enqueues it, a worker of
// `sillage serve` runs it, River gives it to another worker when its
// process died, and the checkpoints make the new run finish the work.

// JobKind is the River kind of a changeover step.
const JobKind = "rollover_step"

// JobArgs are a step job's arguments: unique while waiting or running.
type JobArgs struct {
	Year  int    `json:"annee" river:"unique"`
	Step  int    `json:"etape" river:"unique"`
	UAI   string `json:"uai" river:"unique"`
	Actor string `json:"acteur"`
	// Trigger names who asked (the jobs page shows it).
	Trigger string `json:"trigger"`
	// ConfirmMassDeactivation: the operator confirmed that step 4 may
	// deactivate more than the mass-deactivation share.
	ConfirmMassDeactivation bool `json:"confirmer_desactivation_massive,omitempty"`
	// Relaunch numbers the operator's relaunches of a stuck step: the new
	// job is not merged with the job of the dead process, which River
	// still counts as running until its rescue.
	Relaunch int `json:"relance,omitempty" river:"unique"`
	// Preview is the digest of what the step deletes for the establishment
	// in the preview the operator confirmed: checked again before the step
	// starts.
	Preview string `json:"apercu,omitempty"`
}

// Kind is River's job kind.
func (JobArgs) Kind() string { return JobKind }

// InsertOpts keeps one job per step and establishment while it waits or runs.
func (JobArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// Jobs is the changeover's worker for the queue (internal/jobs
// Config.Extensions), running the steps with e. A queue opened only to
// enqueue (the command line) gives nil: its workers never run.
func Jobs(e *Engine) jobs.Extension {
	return jobs.Extension{Kind: JobKind, Label: "Changement d'année (étape d'un établissement)", Add: func(w *river.Workers) {
		river.AddWorker(w, &worker{e: e})
	}}
}

type worker struct {
	river.WorkerDefaults[JobArgs]
	e *Engine
}

// Timeout: archiving the largest establishment takes minutes, not hours.
func (w *worker) Timeout(*river.Job[JobArgs]) time.Duration { return 2 * time.Hour }

// Work runs the step; a failure is retried by River, and the retry resumes
// from the checkpoints. A refusal (out of order) is final.
func (w *worker) Work(ctx context.Context, job *river.Job[JobArgs]) error {
	e := w.e
	if e == nil {
		return errors.New("moteur du changement d'année absent de ce processus")
	}
	step, err := ParseStep(job.Args.Step)
	if err != nil {
		return river.JobCancel(err)
	}
	uai := sillage.UAI(job.Args.UAI)
	year := sillage.SchoolYear(job.Args.Year)
	req := Request{Year: year, Step: step, Actor: audit.Actor{Role: "operator", Name: job.Args.Actor}}
	if job.Args.ConfirmMassDeactivation {
		req.Confirm.UAIs = []sillage.UAI{uai}
	}
	why, err := e.StalePreview(ctx, year, step, uai, job.Args.Preview)
	if err != nil {
		return err
	}
	if why != "" {
		_ = river.RecordOutput(ctx, why)
		e.markFailed(ctx, uai, year, step, why)
		return river.JobCancel(sillage.Errorf(sillage.KindConflict, "%s", why))
	}
	o := e.RunOne(ctx, req, uai)
	_ = river.RecordOutput(ctx, fmt.Sprintf("%s : étape %d %s", uai, step, o.StatusLabel()))
	switch o.Status {
	case OutcomeHeld:
		// Retrying changes nothing until the operator confirms: the step
		// stays failed with the guard's figures.
		return river.JobCancel(o.Err)
	case OutcomeRefused:
		// Out of order: the step fails with why. Running in another
		// process (a relaunch, or the job of a process believed dead that
		// River rescued late): that process's run stands.
		var refused errRefused
		if !errors.As(o.Err, &refused) || !refused.busy {
			e.markFailed(ctx, uai, year, step, o.Message)
		}
		return river.JobCancel(o.Err)
	case OutcomeFailed:
		return o.Err
	}
	return nil
}

// Inserter enqueues jobs in a store transaction (internal/jobs.Queue).
type Inserter interface {
	InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error)
}

// Enqueue asks for step s of every establishment given (nil: every
// establishment whose previous step is done and this one not): their state
// becomes "queued" at once, and a job per establishment is enqueued, with
// the mass-deactivation confirmation of step 4 when confirm has it. It
// returns the establishments queued and those refused, with why.
func Enqueue(ctx context.Context, st *store.Store, q Inserter, year sillage.SchoolYear, s Step, uais []sillage.UAI, actor string,
	confirm Confirmations) (queued []sillage.UAI, refused map[sillage.UAI]string, err error) {
	if q == nil {
		return nil, nil, sillage.Errorf(sillage.KindUnavailable, "la file des tâches n'est pas démarrée : lancez l'étape en ligne de commande (sillage rollover run)")
	}
	refused = map[sillage.UAI]string{}
	all := uais == nil
	err = st.Write(ctx, func(tx *store.Tx) error {
		if all {
			es, err := tx.Establishments().ListEstablishments(ctx)
			if err != nil {
				return err
			}
			for _, e := range es {
				uais = append(uais, e.UAI)
			}
		}
		for _, uai := range uais {
			cur, err := getStep(ctx, tx, uai, year, int(s))
			if err != nil {
				return err
			}
			if cur.State == sillage.StepDone || cur.State == sillage.StepRunning || cur.State == sillage.StepQueued {
				if !all {
					refused[uai] = fmt.Sprintf("étape %d pour %s : %s", s, uai, StateLabel(cur.State))
				}
				continue
			}
			why, err := Order(ctx, tx, year, s, uai)
			if err != nil {
				return err
			}
			if why != "" {
				if !all {
					refused[uai] = why
				}
				continue
			}
			ok, err := tx.Rollover().SetRolloverStepQueued(ctx, uai, year, int(s), actor)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			// The job commits with the state "queued", or neither does.
			args := JobArgs{Year: int(year), Step: int(s), UAI: string(uai), Actor: actor, Trigger: "operator",
				ConfirmMassDeactivation: s == StepDirectory && confirm.Has(uai), Preview: confirm.Previews[uai]}
			if _, err := q.InsertTx(ctx, tx, args, nil); err != nil {
				return err
			}
			queued = append(queued, uai)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return queued, refused, nil
}

// Relaunch hands a stuck step (its process stopped renewing its lease)
// back to the background jobs, deliberately: the step becomes "queued" and
// a new job is enqueued in the same transaction. A step that is not stuck
// is refused, with its state.
func Relaunch(ctx context.Context, st *store.Store, q Inserter, year sillage.SchoolYear, s Step, uai sillage.UAI, actor string) error {
	if q == nil {
		return sillage.Errorf(sillage.KindUnavailable, "la file des tâches n'est pas démarrée : reprenez l'étape en ligne de commande (sillage rollover run)")
	}
	return st.Write(ctx, func(tx *store.Tx) error {
		cur, err := getStep(ctx, tx, uai, year, int(s))
		if err != nil {
			return err
		}
		if !cur.Stuck(tx.Now()) {
			return sillage.Errorf(sillage.KindConflict, "étape %d pour %s : elle n'est pas bloquée (état : %s) ; seule une étape en cours dont le processus "+
				"ne donne plus signe de vie peut être relancée", s, uai, StateLabel(cur.State))
		}
		ok, err := tx.Rollover().SetRolloverStepRelaunched(ctx, uai, year, int(s), actor)
		if err != nil {
			return err
		}
		if !ok {
			return sillage.Errorf(sillage.KindConflict, "étape %d pour %s : elle n'est plus bloquée", s, uai)
		}
		args := JobArgs{Year: int(year), Step: int(s), UAI: string(uai), Actor: actor, Trigger: "operator", Relaunch: cur.Attempts}
		if _, err := q.InsertTx(ctx, tx, args, nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx, uai, audit.Actor{Role: "operator", Name: actor}, audit.RolloverStep,
			fmt.Sprintf("Étape %d — %s (année %s) relancée", s, s.Label(), year),
			fmt.Sprintf("bloquée depuis %s (%s)", sillage.FormatDateTime(cur.StuckSince()), cur.LeaseOwner))
	})
}

// Skip is an establishment an enqueue of every establishment left out, and why.
type Skip struct {
	UAI sillage.UAI
	Why string
	// Stuck: the step is running under an expired lease since Since (its
	// process died); Relaunch hands it back to the jobs.
	Stuck bool
	Since time.Time
}

// Skipped says, for every establishment, why step s would not be
// enqueued for it now (none when it would be): done, queued, running,
// stuck since when, or its previous step not done. `rollover enqueue`
// prints it when it enqueues nothing.
func Skipped(ctx context.Context, st *store.Store, year sillage.SchoolYear, s Step) ([]Skip, error) {
	var out []Skip
	err := st.Read(ctx, func(tx *store.Tx) error {
		es, err := tx.Establishments().ListEstablishments(ctx)
		if err != nil {
			return err
		}
		for _, e := range es {
			cur, err := getStep(ctx, tx, e.UAI, year, int(s))
			if err != nil {
				return err
			}
			sk := Skip{UAI: e.UAI}
			switch {
			case cur.Stuck(tx.Now()):
				sk.Stuck, sk.Since = true, cur.StuckSince()
				sk.Why = fmt.Sprintf("étape %d bloquée depuis %s : le processus qui la faisait (%s) ne donne plus signe de vie ; relancez-la "+
					"(sillage rollover relaunch --step %d --uai %s, ou le bouton « Relancer » de la page du changement d'année)",
					s, sillage.FormatDateTime(sk.Since), cur.LeaseOwner, s, e.UAI)
			case cur.State == sillage.StepDone || cur.State == sillage.StepRunning || cur.State == sillage.StepQueued:
				sk.Why = fmt.Sprintf("étape %d %s", s, StateLabel(cur.State))
			default:
				why, err := Order(ctx, tx, year, s, e.UAI)
				if err != nil {
					return err
				}
				sk.Why = why
			}
			if sk.Why != "" {
				out = append(out, sk)
			}
		}
		return nil
	})
	return out, err
}

// markFailed records why a step's job gave up, even when the job's context
// is cancelled: otherwise the step would stay "queued" with no job behind
// it. A failure to record is logged (the operator then sees the step as
// queued, and the job's output says why).
func (e *Engine) markFailed(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step Step, why string) {
	wctx := context.WithoutCancel(ctx)
	err := e.Store.Write(wctx, func(tx *store.Tx) error {
		return tx.Rollover().SetRolloverStepFailed(wctx, uai, year, int(step), why)
	})
	if err != nil {
		e.log().Error("rollover: step failure not recorded", "uai", uai, "step", int(step), "err", err)
	}
}
