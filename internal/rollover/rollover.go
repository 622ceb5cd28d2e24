// Package rollover runs the end-of-year changeover (rollover.md): for the
// school year N being closed, five steps per establishment — purge the
// trash, archive year N, delete what was only meant to last the year,
// initialise the directory of N+1 from its complete file, initialise the
// periods of N+1 — on the operator's calendar, with the messages the
// calendar schedules and the access blocking of students and parents.
//
// Every step runs for one establishment at a time and keeps its state in
// the database (rollover_steps): not started, queued, running (with a
// lease and its progress), done (with its report, kept until the next
// changeover) or failed (with its error). A step refuses to run before its
// predecessor is done for the same establishment. A step is resumable: the
// items it finishes are recorded in the same transaction as the work they
// stand for (rollover_checkpoints), so a run after a crash skips them; a
// step done is never redone. The failpoint hook lets the tests fail a run
// at each checkpoint and prove the re-run reaches the same final state.
//
// The learning record (evaluations, results, comments, sheets and their
// files, documents) is never touched: only the trash purge of step 1 and
// the retention rules delete from it.
package rollover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
)

// Step is one of the five steps.
type Step int

// The steps of rollover.md.
const (
	StepPurge     Step = 1
	StepArchive   Step = 2
	StepCleanup   Step = 3
	StepDirectory Step = 4
	StepPeriods   Step = 5
	StepCount          = 5
)

// Steps lists the steps in order.
var Steps = []Step{StepPurge, StepArchive, StepCleanup, StepDirectory, StepPeriods}

// ParseStep reads a step number.
func ParseStep(n int) (Step, error) {
	if n < 1 || n > StepCount {
		return 0, sillage.Errorf(sillage.KindInvalid, "étape %d inconnue : de 1 à %d", n, StepCount)
	}
	return Step(n), nil
}

// Label is the step's French name.
func (s Step) Label() string {
	switch s {
	case StepPurge:
		return "Purge de la corbeille"
	case StepArchive:
		return "Archivage de l'année"
	case StepCleanup:
		return "Suppression des données de l'année"
	case StepDirectory:
		return "Initialisation de l'annuaire"
	case StepPeriods:
		return "Initialisation de la vie scolaire"
	}
	return fmt.Sprintf("étape %d", int(s))
}

// Engine runs the steps.
type Engine struct {
	Store *store.Store
	// Blobs holds the archives written and the files read (attachments,
	// report PDFs, initialisation files). Its size limit must allow the
	// largest archive: the command opens it without the upload limit.
	Blobs     blob.Store
	Retention sillage.Retention
	// Box opens the uploaded initialisation files, kept sealed (they hold
	// every student's INE).
	Box *sealbox.Box
	// Importer applies the initialisation files of step 4.
	Importer *directory.Importer
	// ConfirmMassDeactivation lets step 4's imports deactivate more than
	// the importer's threshold (the initialisation file of a new year
	// legitimately deactivates the students who left).
	ConfirmMassDeactivation bool
	// Workers write archives in parallel (default 4: each archive waits for
	// its file to reach the disk, so writers overlap those waits).
	Workers int
	// Lease is how long a claimed step stays claimed without a sign of
	// life (default 30 seconds): the running process renews it every
	// third of it (its heartbeat), so a step whose process died is
	// recognised as stuck, and taken again, once it expires.
	Lease time.Duration
	// Owner names this process in the leases it takes (default: host and
	// pid); tests give two engines of one process different owners.
	Owner string
	// Progress, when set, is told each step's progress (command line).
	Progress func(uai sillage.UAI, step Step, done, total int)
	// Failpoint is called at each checkpoint; an error fails the run there
	// (tests only).
	Failpoint func(point string) error
	Log       *slog.Logger
	// OnChange is called after a run changed an establishment's changeover
	// (the access-blocking cache listens).
	OnChange func(uai sillage.UAI)
	// AfterImport, for an Importer without QueueTransfer (which queues the
	// run in the import's own transaction, as serve and the command line
	// do), is called after step 4's import created or deactivated
	// students: the transfer run follows (transfer.md 5(a)). A failure is
	// a warning of the step's report.
	AfterImport func(ctx context.Context, uais []sillage.UAI) error
	// CollectTx is called inside the transaction that marks steps 1 and 3
	// done (they deleted rows referring to files): the collection of
	// unreferenced files is queued there, so it cannot be lost.
	CollectTx func(ctx context.Context, tx *store.Tx) error

	aafMu   sync.Mutex
	aafKey  string
	aafDone *directory.AAFResult
}

func (e *Engine) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.New(slog.DiscardHandler)
}

// DefaultLease is a step's lease when Engine.Lease is not set.
const DefaultLease = 30 * time.Second

func (e *Engine) lease() time.Duration {
	if e.Lease > 0 {
		return e.Lease
	}
	return DefaultLease
}

// processOwner names this process in the leases: host and pid.
var processOwner = func() string {
	h, _ := os.Hostname()
	if h == "" {
		h = "hôte inconnu"
	}
	return fmt.Sprintf("%s, processus %d", h, os.Getpid())
}()

func (e *Engine) owner() string {
	if e.Owner != "" {
		return e.Owner
	}
	return processOwner
}

func (e *Engine) workers() int {
	if e.Workers > 0 {
		return e.Workers
	}
	return 4
}

func (e *Engine) retention() sillage.Retention {
	if e.Retention == (sillage.Retention{}) {
		return sillage.DefaultRetention()
	}
	return e.Retention
}

// Count is one figure of a report.
type Count struct {
	Key   string `json:"cle"`
	Label string `json:"libelle"`
	N     int64  `json:"nombre"`
}

// StepReport is what a step did for one establishment. It never holds a
// student's name or a record's content: the operator reads it.
type StepReport struct {
	Year          sillage.SchoolYear `json:"annee"`
	Step          Step               `json:"etape"`
	UAI           sillage.UAI        `json:"uai"`
	Establishment string             `json:"etablissement"`
	StartedAt     time.Time          `json:"debut"`
	FinishedAt    time.Time          `json:"fin"`
	Counts        []Count            `json:"comptes"`
	Details       []string           `json:"details,omitempty"`
	Warnings      []string           `json:"avertissements,omitempty"`
}

func (r *StepReport) count(key, label string, n int64) {
	for i := range r.Counts {
		if r.Counts[i].Key == key {
			r.Counts[i].N += n
			return
		}
	}
	r.Counts = append(r.Counts, Count{Key: key, Label: label, N: n})
}

// Get returns the figure of key (0 when absent).
func (r *StepReport) Get(key string) int64 {
	for _, c := range r.Counts {
		if c.Key == key {
			return c.N
		}
	}
	return 0
}

func (r *StepReport) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// Summary is the counts on one line (the audit entry's details).
func (r *StepReport) Summary() string {
	var parts []string
	for _, c := range r.Counts {
		parts = append(parts, fmt.Sprintf("%s : %d", c.Label, c.N))
	}
	if len(r.Warnings) > 0 {
		parts = append(parts, fmt.Sprintf("%d avertissement(s)", len(r.Warnings)))
	}
	return strings.Join(parts, " ; ")
}

// ParseReport reads a stored report.
func ParseReport(s string) (*StepReport, error) {
	if s == "" {
		return nil, nil
	}
	var r StepReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Outcome statuses of a run for one establishment.
const (
	OutcomeDone    = "done"    // the step ran to its end now
	OutcomeAlready = "already" // it was done before: nothing more
	OutcomeRefused = "refused" // out of order, or running elsewhere
	OutcomeFailed  = "failed"  // it failed (a later run resumes it)
	OutcomeHeld    = "held"    // step 4: the mass-deactivation guard holds the import until confirmed
	OutcomePlanned = "planned" // dry run
)

// Outcome is a run's result for one establishment.
type Outcome struct {
	UAI     sillage.UAI `json:"uai"`
	Status  string      `json:"statut"`
	Message string      `json:"message,omitempty"`
	Report  *StepReport `json:"rapport,omitempty"`
	Plan    *StepPlan   `json:"plan,omitempty"`
	// Guards are the figures of a mass deactivation held (OutcomeHeld).
	Guards  []directory.Guard `json:"garde_desactivation,omitempty"`
	Err     error             `json:"-"`
	Elapsed time.Duration     `json:"-"`
}

// StatusLabel is the outcome's French name.
func (o Outcome) StatusLabel() string {
	switch o.Status {
	case OutcomeDone:
		return "terminée"
	case OutcomeAlready:
		return "déjà faite"
	case OutcomeRefused:
		return "refusée"
	case OutcomeFailed:
		return "en échec"
	case OutcomeHeld:
		return "désactivation massive à confirmer"
	case OutcomePlanned:
		return "passage à blanc"
	}
	return o.Status
}

// Request asks for a step.
type Request struct {
	Year sillage.SchoolYear
	Step Step
	// UAIs limits the run to these establishments (nil: all, by UAI).
	UAIs   []sillage.UAI
	Actor  audit.Actor
	DryRun bool
	// Files are step 4's initialisation files by establishment (paths); an
	// establishment without one uses the file uploaded on its page.
	Files map[sillage.UAI]string
	// AAF are AAF files (or folders) of N+1 for the establishments without
	// a SIECLE file: imported once for all of them.
	AAF []string
	// Periods shape step 5 (nil: the assistant's trimesters).
	Periods *PeriodsChoice
	// Confirm lists the establishments whose step 4 may deactivate more
	// than the mass-deactivation share (besides Engine.ConfirmMassDeactivation).
	Confirm Confirmations
}

// RunResult is a run's outcome for every establishment.
type RunResult struct {
	Year     sillage.SchoolYear `json:"annee"`
	Step     Step               `json:"etape"`
	Outcomes []Outcome          `json:"etablissements"`
}

// Failed reports whether an establishment failed, was refused or held.
func (r *RunResult) Failed() bool {
	for _, o := range r.Outcomes {
		if o.Status == OutcomeFailed || o.Status == OutcomeRefused || o.Status == OutcomeHeld {
			return true
		}
	}
	return false
}

// Run runs a step for the requested establishments, one after the other;
// a refusal or a failure for one does not stop the others.
func (e *Engine) Run(ctx context.Context, req Request) (*RunResult, error) {
	if _, err := ParseStep(int(req.Step)); err != nil {
		return nil, err
	}
	uais, err := e.targets(ctx, req.UAIs)
	if err != nil {
		return nil, err
	}
	res := &RunResult{Year: req.Year, Step: req.Step}
	for _, uai := range uais {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var o Outcome
		if req.DryRun {
			o = e.dryRun(ctx, req, uai)
		} else {
			o = e.RunOne(ctx, req, uai)
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	return res, nil
}

// targets returns the establishments of a run, checking the given ones exist.
func (e *Engine) targets(ctx context.Context, only []sillage.UAI) ([]sillage.UAI, error) {
	var out []sillage.UAI
	err := e.Store.Read(ctx, func(tx *store.Tx) error {
		if len(only) > 0 {
			for _, u := range only {
				if _, err := tx.Establishments().GetEstablishment(ctx, u); err != nil {
					return err
				}
			}
			out = append(out, only...)
			return nil
		}
		es, err := tx.Establishments().ListEstablishments(ctx)
		for _, est := range es {
			out = append(out, est.UAI)
		}
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, err
}

func (e *Engine) dryRun(ctx context.Context, req Request, uai sillage.UAI) Outcome {
	var sim *Simulation
	if req.Step == StepDirectory {
		sim = e.dryRunImport(ctx, req, uai)
	}
	p, err := e.planOne(ctx, req.Year, uai, sim)
	if err != nil {
		return Outcome{UAI: uai, Status: OutcomeFailed, Message: sillage.Message(err), Err: err}
	}
	sp := p.Steps[req.Step-1]
	o := Outcome{UAI: uai, Status: OutcomePlanned, Plan: &sp}
	if sp.Blocked != "" {
		o.Message = sp.Blocked
	}
	return o
}

// errRefused marks a refusal (out of order, running elsewhere: busy).
type errRefused struct {
	msg  string
	busy bool
}

// errLeaseLost ends a run whose lease another process took over (the
// operator relaunched the step believing this process dead).
var errLeaseLost = errors.New("bail perdu")

func (e errRefused) Error() string { return e.msg }

// Unwrap makes a refusal an error of kind Conflict.
func (e errRefused) Unwrap() error { return sillage.Errorf(sillage.KindConflict, "%s", e.msg) }

// RunOne runs a step for one establishment: order check, claim, the work,
// then done (with its report and audit entry) or failed (with its error).
func (e *Engine) RunOne(ctx context.Context, req Request, uai sillage.UAI) Outcome {
	start := time.Now()
	o := Outcome{UAI: uai}
	rep, err := e.runOne(ctx, req, uai)
	o.Elapsed = time.Since(start)
	var refused errRefused
	var held *HeldError
	switch {
	case errors.As(err, &refused):
		o.Status, o.Message, o.Err = OutcomeRefused, refused.msg, err
	case errors.As(err, &held):
		o.Status, o.Message, o.Err, o.Guards = OutcomeHeld, sillage.Message(err), err, held.Guards
	case errors.Is(err, errAlreadyDone):
		o.Status, o.Report, o.Message = OutcomeAlready, rep, "étape déjà faite : rien de plus à faire"
	case err != nil:
		o.Status, o.Message, o.Err = OutcomeFailed, sillage.Message(err), err
	default:
		o.Status, o.Report = OutcomeDone, rep
		// A step moves or removes a year of rows: statistics for the
		// next steps and the pages (store.Optimize). A failure undoes
		// nothing.
		if err := e.Store.Optimize(ctx); err != nil {
			e.log().Warn("statistics not refreshed after the rollover step", "uai", uai, "step", int(req.Step), "err", err)
		}
	}
	if e.OnChange != nil {
		e.OnChange(uai)
	}
	return o
}

var errAlreadyDone = errors.New("already done")

// Order returns why step s cannot run now for uai ("" when it can).
func Order(ctx context.Context, tx *store.Tx, year sillage.SchoolYear, s Step, uai sillage.UAI) (string, error) {
	if s == StepPurge {
		return "", nil
	}
	prev, err := getStep(ctx, tx, uai, year, int(s-1))
	if err != nil {
		return "", err
	}
	if prev.State == sillage.StepDone {
		return "", nil
	}
	return fmt.Sprintf("étape %d (%s) refusée pour %s : l'étape %d (%s) n'est pas terminée pour cet établissement (état : %s)",
		s, strings.ToLower(s.Label()), uai, s-1, strings.ToLower((s - 1).Label()), StateLabel(prev.State)), nil
}

// getStep returns a step's state; a step never run has an empty state.
func getStep(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear, step int) (sillage.RolloverStep, error) {
	s, err := tx.Rollover().GetRolloverStep(ctx, uai, year, step)
	if sillage.KindOf(err) == sillage.KindNotFound {
		return sillage.RolloverStep{UAI: uai, SchoolYear: year, Step: step}, nil
	}
	return s, err
}

// StateLabel is a step state's French name.
func StateLabel(state string) string {
	switch state {
	case sillage.StepQueued:
		return "en attente"
	case sillage.StepRunning:
		return "en cours"
	case sillage.StepDone:
		return "terminée"
	case sillage.StepFailed:
		return "en échec"
	}
	return "non commencée"
}

func (e *Engine) runOne(ctx context.Context, req Request, uai sillage.UAI) (*StepReport, error) {
	year, s := req.Year, req.Step
	var cur sillage.RolloverStep
	var why string
	var est sillage.Establishment
	err := e.Store.Read(ctx, func(tx *store.Tx) (err error) {
		if est, err = tx.Establishments().GetEstablishment(ctx, uai); err != nil {
			return err
		}
		if cur, err = getStep(ctx, tx, uai, year, int(s)); err != nil {
			return err
		}
		why, err = Order(ctx, tx, year, s, uai)
		return err
	})
	if err != nil {
		return nil, err
	}
	if cur.State == sillage.StepDone {
		rep, _ := ParseReport(cur.Report)
		return rep, errAlreadyDone
	}
	if why != "" {
		return nil, errRefused{msg: why}
	}
	actor := actorName(req.Actor)
	var claimed bool
	err = e.Store.Write(ctx, func(tx *store.Tx) (err error) {
		// The order is checked again under the write lock.
		if why, err = Order(ctx, tx, year, s, uai); err != nil || why != "" {
			return err
		}
		claimed, err = tx.Rollover().UpdateRolloverStepClaim(ctx, uai, year, int(s), tx.Now().Add(e.lease()), actor, e.owner())
		if err == nil && claimed {
			cur, err = getStep(ctx, tx, uai, year, int(s))
		}
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case why != "":
		return nil, errRefused{msg: why}
	case !claimed:
		var again sillage.RolloverStep
		_ = e.Store.Read(ctx, func(tx *store.Tx) (err error) { again, err = getStep(ctx, tx, uai, year, int(s)); return err })
		if again.State == sillage.StepDone {
			rep, _ := ParseReport(again.Report)
			return rep, errAlreadyDone
		}
		return nil, errRefused{msg: BusyMessage(again, s, e.lease()), busy: true}
	}
	// The heartbeat renews the lease while the step runs; a lease taken
	// over by another process ends this run.
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBeat := e.heartbeat(rctx, cancel, uai, year, s)
	r := &run{e: e, ctx: rctx, req: req, uai: uai, est: est, year: year, step: s, started: cur.StartedAt,
		rep: &StepReport{Year: year, Step: s, UAI: uai, Establishment: est.Name, StartedAt: cur.StartedAt}}
	var finish func(*store.Tx) error
	if Undoable(s) {
		// The undo pack exists from the start, even if the step ends up
		// deleting nothing: its undo then just reopens the step.
		err = e.Store.Write(ctx, func(tx *store.Tx) error { _, err := r.packID(tx); return err })
	}
	if err == nil {
		finish, err = r.work()
	}
	if err == nil {
		err = r.fail("finish")
	}
	if errors.Is(context.Cause(rctx), errLeaseLost) {
		stopBeat()
		e.log().Warn("rollover: lease taken over, run abandoned", "uai", uai, "year", year, "step", int(s))
		return nil, errRefused{msg: fmt.Sprintf("étape %d pour %s : reprise par un autre processus pendant qu'elle tournait ici ; ce processus l'a abandonnée", s, uai), busy: true}
	}
	if err == nil {
		err = e.Store.Write(ctx, func(tx *store.Tx) error {
			r.rep.FinishedAt = tx.Now()
			if finish != nil {
				if err := finish(tx); err != nil {
					return err
				}
			}
			b, err := json.Marshal(r.rep)
			if err != nil {
				return err
			}
			if err := tx.Rollover().SetRolloverStepDone(ctx, uai, year, int(s), string(b)); err != nil {
				return err
			}
			if e.CollectTx != nil && (s == StepPurge || s == StepCleanup) {
				if err := e.CollectTx(ctx, tx); err != nil {
					return err
				}
			}
			return audit.Record(ctx, tx, uai, auditActor(req.Actor), audit.RolloverStep,
				fmt.Sprintf("Étape %d — %s (année %s)", s, s.Label(), year), r.rep.Summary())
		})
	}
	stopBeat()
	if err != nil {
		msg := sillage.Message(err)
		if sillage.KindOf(err) == sillage.KindInternal || msg == "" {
			msg = err.Error()
		}
		if werr := e.Store.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			return tx.Rollover().SetRolloverStepFailed(ctx, uai, year, int(s), msg)
		}); werr != nil {
			e.log().Error("rollover: record failure", "uai", uai, "step", s, "err", werr)
		}
		e.log().Warn("rollover step failed", "uai", uai, "year", year, "step", int(s), "err", err)
		return nil, err
	}
	e.log().Info("rollover step done", "uai", uai, "year", year, "step", int(s), "summary", r.rep.Summary())
	return r.rep, nil
}

// BusyMessage says why a step cannot be taken: another process holds its
// lease, renewed by its heartbeat; the times are the schools'.
func BusyMessage(st sillage.RolloverStep, s Step, lease time.Duration) string {
	who := st.LeaseOwner
	if who == "" {
		who = "processus inconnu"
	}
	return fmt.Sprintf("étape %d pour %s : déjà en cours dans un autre processus (%s, dernier signe de vie à %s) ; "+
		"si ce processus est arrêté, l'étape sera reprise après %s sans signe de vie", s, st.UAI, who,
		st.StuckSince().In(sillage.SchoolZone).Format("15:04:05"), sillage.FormatDuration(lease))
}

// heartbeat renews the lease of a claimed step every third of the lease
// until the function it returns is called (which waits for it). When the
// lease is no longer this process's, it cancels the run with errLeaseLost.
func (e *Engine) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, uai sillage.UAI, year sillage.SchoolYear, s Step) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(e.lease()/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var held bool
			err := e.Store.Write(ctx, func(tx *store.Tx) (err error) {
				held, err = tx.Rollover().UpdateRolloverStepHeartbeat(ctx, uai, year, int(s), tx.Now().Add(e.lease()), e.owner())
				return err
			})
			switch {
			case err != nil:
				e.log().Warn("rollover: heartbeat", "uai", uai, "step", int(s), "err", err)
			case !held:
				cancel(errLeaseLost)
				return
			}
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}

func actorName(a audit.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Role
}

func auditActor(a audit.Actor) audit.Actor {
	if a.Role == "" && a.Name == "" {
		return audit.System
	}
	return a
}

// run is one step running for one establishment.
type run struct {
	e       *Engine
	ctx     context.Context
	req     Request
	uai     sillage.UAI
	est     sillage.Establishment
	year    sillage.SchoolYear
	step    Step
	started time.Time
	rep     *StepReport

	mu           sync.Mutex
	lastProgress time.Time
}

// work runs the step; the function it returns, if any, is run in the
// transaction that marks the step done.
func (r *run) work() (func(*store.Tx) error, error) {
	switch r.step {
	case StepPurge:
		return r.purge()
	case StepArchive:
		return r.archive()
	case StepCleanup:
		return r.cleanup()
	case StepDirectory:
		return r.directory()
	case StepPeriods:
		return r.periods()
	}
	return nil, sillage.Errorf(sillage.KindInvalid, "étape %d inconnue", r.step)
}

// fail calls the failpoint of point ("step2.student"...).
func (r *run) fail(point string) error {
	if r.e.Failpoint == nil {
		return nil
	}
	name := fmt.Sprintf("step%d.%s", r.step, point)
	if err := r.e.Failpoint(name); err != nil {
		return fmt.Errorf("point d'échec %s : %w", name, err)
	}
	return nil
}

// progress records how far the step is (at most twice a second in the
// database) and extends the lease.
func (r *run) progress(done, total int) {
	if r.e.Progress != nil {
		r.e.Progress(r.uai, r.step, done, total)
	}
	r.mu.Lock()
	if done < total && time.Since(r.lastProgress) < 500*time.Millisecond {
		r.mu.Unlock()
		return
	}
	r.lastProgress = time.Now()
	r.mu.Unlock()
	err := r.e.Store.Write(r.ctx, func(tx *store.Tx) error {
		return tx.Rollover().UpdateRolloverStepProgress(r.ctx, r.uai, r.year, int(r.step), done, total, tx.Now().Add(r.e.lease()))
	})
	if err != nil {
		r.e.log().Warn("rollover: progress", "err", err)
	}
}

// checkpoints returns the items already finished by this step.
func (r *run) checkpoints() (map[string]store.RolloverCheckpoint, error) {
	out := map[string]store.RolloverCheckpoint{}
	err := r.e.Store.Read(r.ctx, func(tx *store.Tx) error {
		cs, err := tx.Rollover().ListRolloverCheckpoints(r.ctx, r.uai, r.year, int(r.step))
		for _, c := range cs {
			out[c.Item] = c
		}
		return err
	})
	return out, err
}

// checkpoint records an item finished, in tx.
func (r *run) checkpoint(tx *store.Tx, item string, refID, size int64, detail string) error {
	return tx.Rollover().AddRolloverCheckpoint(r.ctx, r.uai, store.RolloverCheckpoint{SchoolYear: r.year, Step: int(r.step), Item: item, RefID: refID, Size: size, Detail: detail})
}
