package rollover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// Undo (issue 13): what steps 1, 3 and 4 delete, and the class spaces
// step 2 moves to the trash, are first copied into the establishment's
// undo pack of the step (internal/store, rollover_packs), in the
// transaction that deletes them. For Retention.RolloverUndoDays days the
// operator can restore them: the rows come back exactly as they were, with
// the files they refer to (the pack kept them from the collection). Step 2
// is undone while step 3 has not started: its archives are removed, the
// class spaces come back with their rights, the year is open again. An
// undo runs in one transaction per establishment, is audited, and a second
// undo finds nothing more to do.

// AuditUndoAction is the audit action of an undo.
const AuditUndoAction = "rollover.undo"

// Undoable reports whether a step can be undone.
func Undoable(s Step) bool { return s >= StepPurge && s <= StepDirectory }

// packRows copies rows of table (and what their deletion takes along)
// into the step's pack, in tx.
func (r *run) packRows(tx *store.Tx, table string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	id, err := r.packID(tx)
	if err == nil {
		_, err = tx.Rollover().AddRolloverPackRows(r.ctx, r.uai, id, table, ids)
	}
	return err
}

// packTrash copies the next batch step 1 deletes from table.
func (r *run) packTrash(tx *store.Tx, table string, cutoff time.Time) error {
	ids, err := tx.Rollover().ListTrashedIDs(r.ctx, r.uai, table, cutoff, purgeBatch)
	if err != nil {
		return err
	}
	return r.packRows(tx, table, ids)
}

// packSpaces copies the state and rights of live class spaces about to
// move to the trash.
func (r *run) packSpaces(tx *store.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	id, err := r.packID(tx)
	if err == nil {
		_, err = tx.Rollover().AddRolloverPackSpaces(r.ctx, r.uai, id, ids)
	}
	return err
}

// packPersons copies accounts about to be deleted by the retention, with
// their data and their sign-in accounts' state.
func (r *run) packPersons(tx *store.Tx, persons []sillage.Person) error {
	if len(persons) == 0 {
		return nil
	}
	ids := make([]int64, len(persons))
	for i, p := range persons {
		ids[i] = p.ID
	}
	id, err := r.packID(tx)
	if err != nil {
		return err
	}
	if _, err := tx.Rollover().AddRolloverPackAccounts(r.ctx, r.uai, id, ids); err != nil {
		return err
	}
	_, err = tx.Rollover().AddRolloverPackRows(r.ctx, r.uai, id, "persons", ids)
	return err
}

// packID returns the step's live pack, created on first use (its expiry
// counts from then).
func (r *run) packID(tx *store.Tx) (int64, error) {
	return tx.Rollover().CreateRolloverPack(r.ctx, r.uai, r.year, int(r.step), actorName(r.req.Actor), r.e.retention().RolloverUndoEnds(tx.Now()))
}

// UndoRequest asks to undo a step.
type UndoRequest struct {
	Year sillage.SchoolYear
	Step Step
	// UAIs limits the undo to these establishments (nil: every one with a pack).
	UAIs  []sillage.UAI
	Actor audit.Actor
}

// Undo outcome statuses.
const (
	UndoDone    = "undone"
	UndoAlready = "already"
	UndoRefused = "refused"
	UndoFailed  = "failed"
)

// UndoOutcome is an undo's result for one establishment.
type UndoOutcome struct {
	UAI     sillage.UAI `json:"uai"`
	Status  string      `json:"statut"`
	Message string      `json:"message"`
	Rows    int         `json:"lignes_restaurees"`
	Err     error       `json:"-"`
}

// StatusLabel is the outcome's French name.
func (o UndoOutcome) StatusLabel() string {
	switch o.Status {
	case UndoDone:
		return "annulée"
	case UndoAlready:
		return "déjà annulée"
	case UndoRefused:
		return "refusée"
	case UndoFailed:
		return "en échec"
	}
	return o.Status
}

// UndoResult is an undo's outcome for every establishment.
type UndoResult struct {
	Year     sillage.SchoolYear `json:"annee"`
	Step     Step               `json:"etape"`
	Outcomes []UndoOutcome      `json:"etablissements"`
}

// Failed reports whether an establishment's undo failed or was refused.
func (r *UndoResult) Failed() bool {
	for _, o := range r.Outcomes {
		if o.Status == UndoFailed || o.Status == UndoRefused {
			return true
		}
	}
	return false
}

// Undo undoes a step for the requested establishments (nil: every
// establishment having a pack of the step), one after the other.
func (e *Engine) Undo(ctx context.Context, req UndoRequest) (*UndoResult, error) {
	if !Undoable(req.Step) {
		return nil, sillage.Errorf(sillage.KindInvalid, "l'étape %d ne s'annule pas : seules les étapes 1 à 4 ont une sauvegarde d'annulation", req.Step)
	}
	uais := req.UAIs
	if len(uais) == 0 {
		all, err := e.targets(ctx, nil)
		if err != nil {
			return nil, err
		}
		err = e.Store.Read(ctx, func(tx *store.Tx) error {
			for _, u := range all {
				if _, err := tx.Rollover().GetRolloverPack(ctx, u, req.Year, int(req.Step)); err == nil {
					uais = append(uais, u)
				} else if sillage.KindOf(err) != sillage.KindNotFound {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else if _, err := e.targets(ctx, uais); err != nil {
		return nil, err
	}
	sort.Slice(uais, func(i, j int) bool { return uais[i] < uais[j] })
	res := &UndoResult{Year: req.Year, Step: req.Step}
	for _, uai := range uais {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Outcomes = append(res.Outcomes, e.UndoOne(ctx, req, uai))
	}
	return res, nil
}

// errUndo is a refusal or "already undone" of an undo, with its message.
type errUndo struct {
	status, msg string
}

func (e errUndo) Error() string { return e.msg }

// UndoOne undoes a step for one establishment, in one transaction.
func (e *Engine) UndoOne(ctx context.Context, req UndoRequest, uai sillage.UAI) UndoOutcome {
	o := UndoOutcome{UAI: uai}
	year, s := req.Year, req.Step
	fail := func(point string) error {
		if e.Failpoint == nil {
			return nil
		}
		name := fmt.Sprintf("undo%d.%s", s, point)
		if err := e.Failpoint(name); err != nil {
			return fmt.Errorf("point d'échec %s : %w", name, err)
		}
		return nil
	}
	who := actorName(req.Actor)
	err := e.Store.Write(ctx, func(tx *store.Tx) error {
		pack, err := tx.Rollover().GetRolloverPack(ctx, uai, year, int(s))
		if sillage.KindOf(err) == sillage.KindNotFound {
			return errUndo{UndoRefused, fmt.Sprintf("étape %d pour %s : rien à annuler (aucune sauvegarde d'annulation)", s, uai)}
		}
		if err != nil {
			return err
		}
		if pack.Restored() {
			return errUndo{UndoAlready, fmt.Sprintf("étape %d pour %s : déjà annulée le %s par %s", s, uai, sillage.FormatDateTime(pack.RestoredAt), pack.RestoredBy)}
		}
		if !tx.Now().Before(pack.ExpiresAt) {
			return errUndo{UndoRefused, fmt.Sprintf("étape %d pour %s : le délai d'annulation a pris fin le %s", s, uai, sillage.FormatDateTime(pack.ExpiresAt))}
		}
		cur, err := getStep(ctx, tx, uai, year, int(s))
		if err != nil {
			return err
		}
		if cur.State == sillage.StepRunning || cur.State == sillage.StepQueued {
			return errUndo{UndoRefused, fmt.Sprintf("étape %d pour %s : %s, attendez qu'elle s'arrête avant de l'annuler", s, uai, StateLabel(cur.State))}
		}
		next := sillage.RolloverStep{}
		if s < StepPeriods {
			if next, err = getStep(ctx, tx, uai, year, int(s+1)); err != nil {
				return err
			}
		}
		if why := undoBlocked(s, next.State); why != "" {
			return errUndo{UndoRefused, fmt.Sprintf("étape %d pour %s : %s", s, uai, why)}
		}
		if err := fail("restore"); err != nil {
			return err
		}
		if o.Rows, err = tx.Rollover().RestoreRolloverPackRows(ctx, uai, pack.ID); err != nil {
			return err
		}
		if err := fail("state"); err != nil {
			return err
		}
		if s == StepArchive {
			if err := undoArchives(ctx, tx, uai, year); err != nil {
				return err
			}
		}
		// The step is "not started" again, unless what followed it already
		// ran (steps 1 and 4 then stay done: their rows are back anyway).
		if next.State == "" && s != StepDirectory {
			if err := tx.Rollover().DeleteRolloverStep(ctx, uai, year, int(s)); err != nil {
				return err
			}
		}
		if err := fail("audit"); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, uai, auditActor(req.Actor), AuditUndoAction,
			fmt.Sprintf("Annulation de l'étape %d — %s (année %s)", s, s.Label(), year), fmt.Sprintf("%d ligne(s) restaurée(s)", o.Rows)); err != nil {
			return err
		}
		if err := fail("finish"); err != nil {
			return err
		}
		return tx.Rollover().SetRolloverPackRestored(ctx, uai, pack.ID, who)
	})
	var u errUndo
	switch {
	case errors.As(err, &u):
		o.Status, o.Message = u.status, u.msg
		if u.status == UndoRefused {
			o.Err = sillage.Errorf(sillage.KindConflict, "%s", u.msg)
		}
	case err != nil:
		// As for the steps: the operator reads French, the technical
		// detail goes to the server's log just below.
		o.Status, o.Message, o.Err = UndoFailed, sillage.Message(err), err
		if sillage.KindOf(err) == sillage.KindInternal {
			o.Message += " (le détail est dans le journal du serveur) ; rien n'a été restauré, relancez l'annulation"
		}
		e.log().Warn("rollover undo failed", "uai", uai, "year", year, "step", int(s), "err", err)
	default:
		o.Status, o.Message = UndoDone, fmt.Sprintf("étape %d annulée pour %s : %d ligne(s) restaurée(s)", s, uai, o.Rows)
		e.log().Info("rollover step undone", "uai", uai, "year", year, "step", int(s), "rows", o.Rows)
		if e.OnChange != nil {
			e.OnChange(uai)
		}
	}
	return o
}

// undoBlocked says why step s cannot be undone while the next step is in
// state next ("" when it can).
func undoBlocked(s Step, next string) string {
	switch s {
	case StepArchive, StepCleanup:
		if next != "" {
			return fmt.Sprintf("l'étape %d (%s) a déjà été lancée : elle ne peut plus être annulée", s+1, strings.ToLower((s + 1).Label()))
		}
	}
	return ""
}

// undoArchives removes what step 2 wrote (the class and establishment
// archives, the students' archive documents) and opens year N again.
func undoArchives(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear) error {
	cps, err := tx.Rollover().ListRolloverCheckpoints(ctx, uai, year, int(StepArchive))
	if err != nil {
		return err
	}
	for _, c := range cps {
		switch {
		case strings.HasPrefix(c.Item, "division:") || c.Item == "lsu":
			err = tx.Records().DeleteArchive(ctx, uai, c.RefID)
		case strings.HasPrefix(c.Item, "student:"):
			err = tx.Records().DeleteDocument(ctx, uai, c.RefID)
		}
		if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
			return err
		}
		err = nil
	}
	for _, c := range cps {
		if c.Item == yearStateItem {
			var before sillage.YearState
			if err := json.Unmarshal([]byte(c.Detail), &before); err != nil {
				return fmt.Errorf("year state kept by step 2: %w", err)
			}
			return tx.Rollover().SetYearState(ctx, uai, before)
		}
	}
	return nil
}

// yearStateItem is the checkpoint of step 2 holding the year state as it
// was before the step, for the undo.
const yearStateItem = "year_state"

// keepYearState records the year state before step 2 changes it.
func keepYearState(tx *store.Tx, r *run, before sillage.YearState) error {
	b, err := json.Marshal(before)
	if err != nil {
		return err
	}
	return r.checkpoint(tx, yearStateItem, 0, 0, string(b))
}
