package rollover

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
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

// engine is the engine the workers of this process use (set by serve).
var engine atomic.Pointer[Engine]

// SetJobEngine gives the queue's workers their engine.
func SetJobEngine(e *Engine) { engine.Store(e) }

func init() {
	jobs.Register(jobs.Extension{Kind: JobKind, Label: "Changement d'année (étape d'un établissement)", Add: func(w *river.Workers) {
		river.AddWorker(w, &worker{})
	}})
}

type worker struct {
	river.WorkerDefaults[JobArgs]
}

// Timeout: archiving the largest establishment takes minutes, not hours.
func (w *worker) Timeout(*river.Job[JobArgs]) time.Duration { return 2 * time.Hour }

// Work runs the step; a failure is retried by River, and the retry resumes
// from the checkpoints. A refusal (out of order) is final.
func (w *worker) Work(ctx context.Context, job *river.Job[JobArgs]) error {
	e := engine.Load()
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
		_ = e.Store.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			return tx.SetRolloverStepFailed(ctx, uai, year, int(step), why)
		})
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
		_ = e.Store.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			return tx.SetRolloverStepFailed(ctx, uai, year, int(step), o.Message)
		})
		return river.JobCancel(o.Err)
	case OutcomeFailed:
		return o.Err
	}
	return nil
}

// Inserter enqueues jobs (internal/jobs.Queue).
type Inserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error)
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
			es, err := tx.ListEstablishments(ctx)
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
			if cur.State == store.StepDone || cur.State == store.StepRunning || cur.State == store.StepQueued {
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
			ok, err := tx.SetRolloverStepQueued(ctx, uai, year, int(s), actor)
			if err != nil {
				return err
			}
			if ok {
				queued = append(queued, uai)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, uai := range queued {
		args := JobArgs{Year: int(year), Step: int(s), UAI: string(uai), Actor: actor, Trigger: "operator",
			ConfirmMassDeactivation: s == StepDirectory && confirm.Has(uai), Preview: confirm.Previews[uai]}
		if _, err := q.Insert(ctx, args, nil); err != nil {
			return queued, refused, err
		}
	}
	return queued, refused, nil
}
