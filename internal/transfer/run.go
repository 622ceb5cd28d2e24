// Package transfer moves a student's learning record from the establishment
// they left to the one they joined (transfer.md 5, the CERISE Pro
// procedure), and runs the weekly purge of the students who left more than
// the retention period ago (transfer.md 6).
//
// A run looks at every new student of the instance. A student entered more
// than Retention.NewStudentMonths ago becomes settled. Otherwise their unqid
// is looked up in the index of deactivated students (entries of their own
// establishment ignored): without an entry they are pending; with one, the
// checks of step 3 decide between an impossible transfer (recorded with its
// reason in the transfer log, retried or final) and the transfer itself.
//
// Each transfer is one database transaction: it claims the index entry
// (deleted with RETURNING: of two runs at once, one gets it, the other
// skips), re-checks everything on fresh rows, copies the evaluations (new
// ones at the destination, authored by its generic user "ancien
// établissement", in its referential of the same diploma), results and
// comments, moves the sheets and the rows of their files (the blobs are
// shared by hash: references move, bytes stay), deletes the student and
// what remains of them at the origin, closes their account when no other
// person uses it, marks the destination student transferred, writes the
// log line with the counts and the manifest digest, and the audit entries
// of both establishments. A failure at any step rolls everything back: the
// next run does it again from the start.
//
// Matching is under every key version: an import holding the INE stores
// its unqid under each key of the instance (person_unqids), and an index
// entry matches a student when its unqid is one of the student's versions
// or when the origin student shares one with them. So after a key rotation
// a student indexed under the old key is found by a destination that
// created them under the new one, and the other way round, whatever the
// order of the imports (see docs/transfer.md); old entries stay in the
// index until they expire.
package transfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Options tune a run.
type Options struct {
	Retention sillage.Retention
	// DryRun computes the report and changes nothing.
	DryRun bool
	// Failpoint, when set, is called with the name of each step of each
	// transfer and purge; an error it returns fails that step (the
	// transaction rolls back). For tests only.
	Failpoint func(step string) error
	// Logger receives one line per failed transfer; nil discards.
	Logger *slog.Logger
	// BatchSize is how many transfers share one transaction (default
	// DefaultBatch; 1 moves each student in a transaction of its own).
	BatchSize int
	// AfterChangeTx, when set, is called inside every transaction that
	// transferred or purged students, before it commits: the job queue
	// queues the collection of the files nobody refers to any more there,
	// so that a crash after the commit cannot lose it.
	AfterChangeTx func(ctx context.Context, tx *store.Tx) error
	// Workers is how many batches run at once (default 2 on PostgreSQL,
	// 1 on SQLite, which has one writer). Batches never share a student:
	// the claims keep them apart, as between two runs.
	Workers int
}

// DefaultBatch is the default number of transfers per transaction. Each
// student's move stays atomic inside it: the batch commits whole or not at
// all, and a batch that fails for another reason than a busy database is
// redone one student per transaction, so one faulty record never holds the
// others back. 200 rather than 100: the statements a batch runs whatever
// its size (and, on PostgreSQL, the scans the planner chooses without
// statistics on the batch's temporary tables) weigh half as much per
// student, about 7% of a sweep's processor time, and a batch still commits
// in well under a second.
const DefaultBatch = 200

// The steps of a transfer, in order, as the failpoint sees them.
const (
	StepBegin        = "transfer.begin"
	StepClaim        = "transfer.claim"
	StepCheck        = "transfer.check"
	StepStage        = "transfer.stage"
	StepRead         = "transfer.read"
	StepReferentials = "transfer.referentials"
	StepAuthor       = "transfer.author"
	StepEvaluations  = "transfer.evaluations"
	StepResults      = "transfer.results"
	StepComments     = "transfer.comments"
	StepSheets       = "transfer.sheets"
	StepFiles        = "transfer.files"
	StepOrigin       = "transfer.origin_deleted"
	StepAccount      = "transfer.account_closed"
	StepStatus       = "transfer.status"
	StepLog          = "transfer.log"
	StepAudit        = "transfer.audit"
	StepCommitted    = "transfer.committed"
)

// TransferSteps lists the failpoints of a transfer.
var TransferSteps = []string{StepBegin, StepClaim, StepCheck, StepStage, StepRead, StepReferentials, StepAuthor, StepEvaluations, StepResults,
	StepComments, StepSheets, StepFiles, StepOrigin, StepAccount, StepStatus, StepNotified, StepLog, StepAudit, StepCommitted}

// Report is what a run did (or, dry, would do). It names students by
// establishment and internal number only: the operator reads it.
type Report struct {
	At          time.Time            `json:"date"`
	DryRun      bool                 `json:"simulation"`
	Settled     []sillage.StudentRef `json:"installes"`
	Transferred []Move               `json:"transferes"`
	Pending     []Pending            `json:"en_attente"`
	Impossible  []Impossible         `json:"impossibles"`
	Skipped     int                  `json:"ignores"`          // claimed by another run, or no longer eligible
	Stale       int                  `json:"entrees_perimees"` // entries of a deleted or reactivated student, removed
	Errors      []string             `json:"erreurs,omitempty"`
	Elapsed     time.Duration        `json:"-"`
}

// Move is a transfer done (or to do).
type Move struct {
	OriginUAI       sillage.UAI `json:"origine"`
	OriginStudentID int64       `json:"eleve_origine"`
	DestUAI         sillage.UAI `json:"destination"`
	DestStudentID   int64       `json:"eleve_destination"`
	Counts          Counts      `json:"nombres"`
	Manifest        string      `json:"empreinte,omitempty"`
}

// Pending is a new student still waiting (transfer.md 5 step 2).
type Pending struct {
	UAI         sillage.UAI   `json:"uai"`
	StudentID   int64         `json:"eleve"`
	ActiveIn    []sillage.UAI `json:"encore_actif_dans,omitempty"`
	PreviousUAI sillage.UAI   `json:"ancien_uai,omitempty"`
	Reason      string        `json:"raison"`
}

// PendingReason is the French text of step 2. It names an establishment
// where the student is still active only when it is the previous one the
// student's own file declared: naming any other would let an
// administrator learn where any INE is enrolled by importing it
// (transfer.md 5.2). The previous establishment, declared by the file, is
// always shown.
func PendingReason(activeIn []sillage.UAI, previous sillage.UAI) string {
	if len(activeIn) > 0 {
		inPrevious, elsewhere := false, false
		for _, u := range activeIn {
			if previous != "" && u == previous {
				inPrevious = true
			} else {
				elsewhere = true
			}
		}
		switch {
		case inPrevious && elsewhere:
			return "Encore actif dans " + string(previous) + " (ancien établissement indiqué) et dans un autre établissement"
		case inPrevious:
			return "Encore actif dans " + string(previous) + " (ancien établissement indiqué)"
		case previous != "":
			return "Encore actif dans un autre établissement ; ancien établissement indiqué : " + string(previous)
		default:
			return "Encore actif dans un autre établissement"
		}
	}
	if previous != "" {
		return "Aucun dossier à recevoir pour l'instant (ancien établissement indiqué : " + string(previous) + ")"
	}
	return "Aucun dossier à recevoir pour l'instant"
}

// ReasonServedAwayText is the wait of a student whose record was sent to
// another instance of the federation and waits for its receipt there: the
// record stays at the origin until that receipt, which deletes it.
const ReasonServedAwayText = "Dossier en cours d'envoi vers une autre instance (en attente de son accusé de réception)"

// Impossible is a transfer that cannot happen (transfer.md 5 step 3).
type Impossible struct {
	OriginUAI       sillage.UAI `json:"origine"`
	OriginStudentID int64       `json:"eleve_origine"`
	DestUAI         sillage.UAI `json:"destination"`
	DestStudentID   int64       `json:"eleve_destination"`
	Reason          Reason      `json:"code"`
	Label           string      `json:"raison"`
	Final           bool        `json:"definitif"`
}

// Empty reports whether the run found nothing to do.
func (r *Report) Empty() bool {
	return len(r.Settled)+len(r.Transferred)+len(r.Impossible)+r.Stale == 0
}

type engine struct {
	st  *store.Store
	o   Options
	now time.Time
	log *slog.Logger
}

// changed calls Options.AfterChangeTx in a transaction that moved or
// deleted students.
func (e *engine) changed(ctx context.Context, tx *store.Tx) error {
	if e.o.AfterChangeTx == nil || e.o.DryRun {
		return nil
	}
	return e.o.AfterChangeTx(ctx, tx)
}

func (e *engine) fp(step string) error {
	if e.o.Failpoint == nil {
		return nil
	}
	if err := e.o.Failpoint(step); err != nil {
		return &failpointError{step, err}
	}
	return nil
}

// failpointError is a failure injected by a test: it stands for the
// process dying there, so nothing retries it.
type failpointError struct {
	step string
	err  error
}

func (f *failpointError) Error() string { return f.step + ": " + f.err.Error() }
func (f *failpointError) Unwrap() error { return f.err }

// Run runs the transfer over the whole instance (transfer.md 5). It returns
// the report and, when some transfers failed, an error joining their
// causes (the others are done; a new run retries the failed ones).
func Run(ctx context.Context, st *store.Store, o Options) (*Report, error) {
	start := time.Now()
	if o.Retention == (sillage.Retention{}) {
		o.Retention = sillage.DefaultRetention()
	}
	e := &engine{st: st, o: o, now: st.Clock().Now(), log: o.Logger}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	rep := &Report{At: e.now, DryRun: o.DryRun, Settled: []sillage.StudentRef{}, Transferred: []Move{}, Pending: []Pending{}, Impossible: []Impossible{}}

	// Step 1: settle those here for longer than the window.
	settleCutoff := o.Retention.SettledCutoff(e.now)
	if o.DryRun {
		err := st.Read(ctx, func(tx *store.Tx) (err error) {
			rep.Settled, err = tx.CrossTenant().ListStudentsToSettle(ctx, settleCutoff)
			return err
		})
		if err != nil {
			return nil, err
		}
	} else {
		err := st.Write(ctx, func(tx *store.Tx) (err error) {
			if rep.Settled, err = tx.CrossTenant().ListStudentsToSettle(ctx, settleCutoff); err != nil {
				return err
			}
			_, err = tx.CrossTenant().SettleNewStudents(ctx, settleCutoff)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if rep.Settled == nil {
		rep.Settled = []sillage.StudentRef{}
	}
	settled := map[sillage.StudentRef]bool{}
	for _, s := range rep.Settled {
		settled[s] = true
	}

	// Step 2: the candidates and their entries.
	var cands []sillage.TransferCandidate
	estabs := map[sillage.UAI]sillage.Establishment{}
	// Records served to another instance of the federation and waiting for
	// its receipt: sent here too, both destinations would keep them. They
	// stay where they are until the receipt (or forever, if it never comes).
	servedAway := map[sillage.StudentRef]bool{}
	err := st.Read(ctx, func(tx *store.Tx) error {
		var err error
		if cands, err = tx.CrossTenant().ListTransferCandidates(ctx); err != nil {
			return err
		}
		served, err := tx.CrossTenant().ListFederationServed(ctx, "", sillage.FederationStateServed)
		if err != nil {
			return err
		}
		for _, s := range served {
			servedAway[sillage.StudentRef{UAI: s.OriginUAI, StudentID: s.OriginStudentID}] = true
		}
		es, err := tx.Establishments().ListEstablishments(ctx)
		for _, es := range es {
			estabs[es.UAI] = es
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	type dest struct {
		c          sillage.TransferCandidate
		entries    []sillage.TransferIndexEntry
		servedAway bool // an entry was left out: its record is on its way to another instance
	}
	var dests []*dest
	byRef := map[sillage.StudentRef]*dest{}
	for _, c := range cands {
		ref := sillage.StudentRef{UAI: c.UAI, StudentID: c.StudentID}
		if settled[ref] {
			continue
		}
		d := byRef[ref]
		if d == nil {
			d = &dest{c: c}
			byRef[ref] = d
			dests = append(dests, d)
		}
		if c.Entry != nil {
			if servedAway[sillage.StudentRef{UAI: c.Entry.OriginUAI, StudentID: c.Entry.OriginStudentID}] {
				d.servedAway = true
				continue
			}
			d.entries = append(d.entries, *c.Entry)
		}
	}
	var pendingRefs []sillage.StudentRef
	for _, d := range dests {
		if len(d.entries) == 0 && !d.servedAway {
			pendingRefs = append(pendingRefs, sillage.StudentRef{UAI: d.c.UAI, StudentID: d.c.StudentID})
		}
	}
	var active map[sillage.StudentRef][]sillage.UAI
	if len(pendingRefs) > 0 {
		err := st.Read(ctx, func(tx *store.Tx) (err error) {
			active, err = tx.CrossTenant().FindActiveElsewhere(ctx, pendingRefs)
			return err
		})
		if err != nil {
			return nil, err
		}
	}

	// Steps 3 and 4. A destination student with one entry (nearly all)
	// goes into a batch; one with several entries is done entry by entry,
	// each a batch of one, oldest first, as a diploma change stops the
	// others.
	var errs []error
	record := func(c sillage.TransferCandidate, entry sillage.TransferIndexEntry, out outcome, err error) bool {
		if err != nil {
			e.log.Error("transfer failed", "origin", entry.OriginUAI, "origin_student", entry.OriginStudentID, "destination", c.UAI,
				"student", c.StudentID, "err", err)
			errs = append(errs, fmt.Errorf("%s n° %d → %s n° %d : %w", entry.OriginUAI, entry.OriginStudentID, c.UAI, c.StudentID, err))
			rep.Errors = append(rep.Errors, errs[len(errs)-1].Error())
			return false
		}
		switch {
		case out.move != nil:
			rep.Transferred = append(rep.Transferred, *out.move)
		case out.impossible != nil:
			rep.Impossible = append(rep.Impossible, *out.impossible)
		case out.stale:
			rep.Stale++
		default:
			rep.Skipped++
		}
		return out.impossible == nil || out.impossible.Reason != ReasonDiplomaChanged
	}
	batchSize := o.BatchSize
	if batchSize <= 0 {
		batchSize = DefaultBatch
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 1
		if st.Kind() == store.Postgres {
			workers = 2
		}
	}
	var mu sync.Mutex // guards rep and errs
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	var batch []pair
	flush := func() {
		if len(batch) == 0 {
			return
		}
		b := batch
		batch = nil
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outs, err := e.moveBatchOrEach(ctx, b)
			mu.Lock()
			defer mu.Unlock()
			for i, it := range b {
				var itemErr error
				if err != nil {
					itemErr = err
				} else {
					itemErr = outs[i].err
				}
				record(it.c, it.entry, outs[i].outcome, itemErr)
			}
		}()
	}
	for _, d := range dests {
		if len(d.entries) == 0 {
			ref := sillage.StudentRef{UAI: d.c.UAI, StudentID: d.c.StudentID}
			reason := PendingReason(active[ref], d.c.PreviousUAI)
			if d.servedAway {
				reason = ReasonServedAwayText
			}
			rep.Pending = append(rep.Pending, Pending{UAI: d.c.UAI, StudentID: d.c.StudentID, ActiveIn: active[ref], PreviousUAI: d.c.PreviousUAI,
				Reason: reason})
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if o.DryRun {
			e.dryRun(ctx, rep, estabs, d.c, d.entries)
			continue
		}
		if len(d.entries) == 1 && batchSize > 1 {
			batch = append(batch, pair{c: d.c, entry: d.entries[0]})
			if len(batch) >= batchSize {
				flush()
			}
			continue
		}
		for _, entry := range d.entries {
			outs, err := e.moveRetrying(ctx, []pair{{c: d.c, entry: entry}})
			mu.Lock()
			goOn := record(d.c, entry, outs[0].outcome, err)
			mu.Unlock()
			if !goOn {
				break
			}
		}
	}
	flush()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	// The moves changed the tables' sizes: statistics for the next run and
	// the pages (store.Optimize; a failure there undoes nothing).
	if !o.DryRun && len(rep.Transferred) > 0 {
		if err := st.Optimize(ctx); err != nil {
			e.log.Warn("statistics not refreshed after the transfer run", "err", err)
		}
	}
	sort.SliceStable(rep.Pending, func(i, j int) bool {
		if rep.Pending[i].UAI != rep.Pending[j].UAI {
			return rep.Pending[i].UAI < rep.Pending[j].UAI
		}
		return rep.Pending[i].StudentID < rep.Pending[j].StudentID
	})
	rep.Elapsed = time.Since(start)
	return rep, errors.Join(errs...)
}

// dryRun reports what a run would do for one destination student.
func (e *engine) dryRun(ctx context.Context, rep *Report, estabs map[sillage.UAI]sillage.Establishment, c sillage.TransferCandidate, entries []sillage.TransferIndexEntry) {
	for _, entry := range entries {
		reason := e.decide(estabs[entry.OriginUAI], estabs[c.UAI], entry, c.Diploma)
		if reason != "" {
			rep.Impossible = append(rep.Impossible, Impossible{OriginUAI: entry.OriginUAI, OriginStudentID: entry.OriginStudentID,
				DestUAI: c.UAI, DestStudentID: c.StudentID, Reason: reason, Label: reason.Label(), Final: reason.Final()})
			if reason == ReasonDiplomaChanged {
				return
			}
			continue
		}
		var rec sillage.TransferRecord
		err := e.st.Read(ctx, func(tx *store.Tx) (err error) {
			rec, err = tx.CrossTenant().GetTransferRecord(ctx, entry.OriginUAI, entry.OriginStudentID)
			return err
		})
		if err != nil {
			rep.Errors = append(rep.Errors, err.Error())
			continue
		}
		rep.Transferred = append(rep.Transferred, Move{OriginUAI: entry.OriginUAI, OriginStudentID: entry.OriginStudentID,
			DestUAI: c.UAI, DestStudentID: c.StudentID, Counts: CountsOf(rec), Manifest: Manifest(rec)})
	}
}

// decide applies the checks of step 3, in order; "" means transfer.
func (e *engine) decide(origin, dest sillage.Establishment, entry sillage.TransferIndexEntry, destDiploma string) Reason {
	switch {
	case !origin.Transfer.Enabled:
		return ReasonOriginDisabled
	case !dest.Transfer.Enabled:
		return ReasonDestDisabled
	case entry.DeactivatedAt.Before(e.o.Retention.StudentPurgeCutoff(e.now)):
		return ReasonOriginExpired
	case entry.Diploma != destDiploma:
		return ReasonDiplomaChanged
	}
	return ""
}
