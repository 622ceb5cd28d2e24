package rollover

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// The guards of a run (issue 13), checked where an operator asks for one
// (the web page and `sillage rollover run`):
//
//   - the calendar: a step outside its window is refused unless the
//     operator confirms it explicitly, naming the step and the year
//     (OffCalendarToken, "1/2025");
//   - the preview: a step that deletes (1, 3, 4) needs the digest of the
//     dry run the operator saw. The digest covers what would be deleted,
//     row by row; when it changed, the run is refused and the new
//     preview shown.

// Guards are an operator's confirmations of a run.
type Guards struct {
	// OffCalendar confirms a run outside the step's window: it must be
	// OffCalendarToken(year, step).
	OffCalendar string
	// Preview is the digest of the preview the operator confirmed.
	Preview string
}

// OffCalendarToken is what confirms step s of year outside its window.
func OffCalendarToken(year sillage.SchoolYear, s Step) string {
	return fmt.Sprintf("%d/%d", int(s), int(year))
}

// Deletes reports whether a step deletes data (and so needs a preview).
func Deletes(s Step) bool { return s == StepPurge || s == StepCleanup || s == StepDirectory }

// PreviewRow is one establishment's part of a preview.
type PreviewRow struct {
	UAI    sillage.UAI `json:"uai"`
	Name   string      `json:"nom"`
	Counts []Count     `json:"comptes"`
	// Blocked says why the step would be refused for it (its predecessor).
	Blocked string `json:"refus,omitempty"`
	// Digest covers what the step would delete for it (steps 1, 3, 4): the
	// job that runs the step checks it again before starting.
	Digest string `json:"empreinte,omitempty"`
}

// Preview is what a step would do, per establishment, with the digest a
// confirmation carries.
type Preview struct {
	Year   sillage.SchoolYear `json:"annee"`
	Step   Step               `json:"etape"`
	Window Window             `json:"dates"`
	Today  sillage.Date       `json:"aujourdhui"`
	// OutOfWindow: today is outside the step's window.
	OutOfWindow bool         `json:"hors_calendrier"`
	Token       string       `json:"confirmation_hors_calendrier"`
	Rows        []PreviewRow `json:"etablissements"`
	Totals      []Count      `json:"totaux"`
	Digest      string       `json:"empreinte"`
}

// GuardError is a run refused by a guard; Preview is the current preview.
type GuardError struct {
	Calendar bool // refused by the calendar (else by the preview)
	Msg      string
	Preview  *Preview
}

func (e *GuardError) Error() string { return e.Msg }

// Unwrap makes the refusal an error of kind Conflict.
func (e *GuardError) Unwrap() error { return sillage.Errorf(sillage.KindConflict, "%s", e.Msg) }

// Preview computes the preview of step s for uais (nil: every
// establishment whose step is not done, queued or running).
func (e *Engine) Preview(ctx context.Context, year sillage.SchoolYear, s Step, uais []sillage.UAI) (*Preview, error) {
	if _, err := ParseStep(int(s)); err != nil {
		return nil, err
	}
	p := &Preview{Year: year, Step: s, Token: OffCalendarToken(year, s)}
	var targets []sillage.UAI
	err := e.Store.Read(ctx, func(tx *store.Tx) error {
		cal, err := LoadCalendar(ctx, tx, year)
		if err != nil {
			return err
		}
		p.Window, p.Today = cal.Step(s), sillage.Today(tx.Now())
		p.OutOfWindow = !p.Window.Contains(p.Today)
		if uais != nil {
			for _, u := range uais {
				if _, err := tx.Establishments().GetEstablishment(ctx, u); err != nil {
					return err
				}
			}
			targets = append(targets, uais...)
			return nil
		}
		es, err := tx.Establishments().ListEstablishments(ctx)
		if err != nil {
			return err
		}
		for _, est := range es {
			cur, err := getStep(ctx, tx, est.UAI, year, int(s))
			if err != nil {
				return err
			}
			if cur.State == sillage.StepDone || cur.State == sillage.StepRunning || cur.State == sillage.StepQueued {
				continue
			}
			targets = append(targets, est.UAI)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i] < targets[j] })
	h := sha256.New()
	fmt.Fprintf(h, "%d/%d\n", int(s), int(year))
	for _, uai := range targets {
		ep, err := e.PlanOne(ctx, year, uai)
		if err != nil {
			return nil, err
		}
		sp := ep.Steps[s-1]
		row := PreviewRow{UAI: uai, Name: ep.Name, Counts: sp.Counts, Blocked: sp.Blocked}
		if Deletes(s) {
			if row.Digest, err = e.targetDigest(ctx, year, s, uai); err != nil {
				return nil, err
			}
		}
		for _, c := range sp.Counts {
			p.Totals = addCount(p.Totals, c)
		}
		fmt.Fprintf(h, "%s %s %q\n", uai, row.Digest, row.Blocked)
		p.Rows = append(p.Rows, row)
	}
	p.Digest = hex.EncodeToString(h.Sum(nil))[:16]
	return p, nil
}

// targetDigest digests what step s would delete for uai: the ids of every
// row, so any change (an item restored from the trash and another thrown
// away) changes it.
func (e *Engine) targetDigest(ctx context.Context, year sillage.SchoolYear, s Step, uai sillage.UAI) (string, error) {
	h := sha256.New()
	err := e.Store.Read(ctx, func(tx *store.Tx) error {
		write := func(table string, ids []int64) {
			fmt.Fprintf(h, "%s:", table)
			for _, id := range ids {
				fmt.Fprintf(h, "%d,", id)
			}
			fmt.Fprintln(h)
		}
		switch s {
		case StepPurge:
			for _, t := range []string{"evaluations", "sheets", "documents", "class_spaces"} {
				ids, err := tx.Rollover().ListTrashedIDs(ctx, uai, t, time.Time{}, 0)
				if err != nil {
					return err
				}
				write(t, ids)
			}
			list, err := expiredArchives(ctx, tx, uai, expiredArchiveYear(year, e.retention()))
			if err != nil {
				return err
			}
			var ids []int64
			for _, a := range list {
				ids = append(ids, a.ID)
			}
			write("archives", ids)
		case StepCleanup:
			scoped, err := tx.Rollover().ListYearScopedIDs(ctx, uai, year)
			if err != nil {
				return err
			}
			keys := make([]string, 0, len(scoped))
			for k := range scoped {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				write(k, scoped[k])
			}
		case StepDirectory:
			old, err := tx.Rollover().ListRetentionCandidates(ctx, uai, e.retention().OtherAccountCutoff(tx.Now()))
			if err != nil {
				return err
			}
			var ids []int64
			for _, p := range old {
				ids = append(ids, p.ID)
			}
			write("persons", ids)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// Digests returns the establishments' digests of a preview (for Enqueue).
func (p *Preview) Digests() map[sillage.UAI]string {
	out := map[sillage.UAI]string{}
	for _, r := range p.Rows {
		if r.Digest != "" {
			out[r.UAI] = r.Digest
		}
	}
	return out
}

// StalePreview says why a step job confirmed on a preview must not start
// ("" when it may): the step has not started yet and what it would delete
// for uai is no longer what the operator saw. A step already started (a
// retry) is not checked: its own deletions changed the digest.
func (e *Engine) StalePreview(ctx context.Context, year sillage.SchoolYear, s Step, uai sillage.UAI, digest string) (string, error) {
	if digest == "" || !Deletes(s) {
		return "", nil
	}
	var cur sillage.RolloverStep
	if err := e.Store.Read(ctx, func(tx *store.Tx) (err error) { cur, err = getStep(ctx, tx, uai, year, int(s)); return err }); err != nil {
		return "", err
	}
	if cur.Attempts > 0 || cur.State == sillage.StepDone {
		return "", nil
	}
	now, err := e.targetDigest(ctx, year, s, uai)
	if err != nil || now == digest {
		return "", err
	}
	return fmt.Sprintf("étape %d pour %s refusée : les données ont changé depuis l'aperçu confirmé ; relancez l'étape pour voir le nouvel aperçu", s, uai), nil
}

// Guard checks an operator's run of step s for uais against the calendar
// and, for a step that deletes, against the preview confirmed. It returns
// the current preview; a refusal is a *GuardError holding it.
func (e *Engine) Guard(ctx context.Context, year sillage.SchoolYear, s Step, uais []sillage.UAI, g Guards) (*Preview, error) {
	p, err := e.Preview(ctx, year, s, uais)
	if err != nil {
		return nil, err
	}
	if p.OutOfWindow && strings.TrimSpace(g.OffCalendar) != p.Token {
		msg := fmt.Sprintf("étape %d (%s) de l'année %s refusée : nous sommes le %s, hors de ses dates au calendrier (%s). "+
			"Pour la lancer quand même, confirmez explicitement l'étape et l'année : %s", s, strings.ToLower(s.Label()), year,
			p.Today.French(), p.Window.French(), p.Token)
		if g.OffCalendar != "" {
			msg = fmt.Sprintf("étape %d de l'année %s refusée : la confirmation hors calendrier %q ne correspond pas, %s attendu", s, year, g.OffCalendar, p.Token)
		}
		return p, &GuardError{Calendar: true, Msg: msg, Preview: p}
	}
	if Deletes(s) {
		switch strings.TrimSpace(g.Preview) {
		case p.Digest:
		case "":
			return p, &GuardError{Msg: fmt.Sprintf("étape %d (%s) : confirmez la suppression d'après l'aperçu (empreinte %s)", s, strings.ToLower(s.Label()), p.Digest), Preview: p}
		default:
			return p, &GuardError{Msg: fmt.Sprintf("étape %d (%s) refusée : les données ont changé depuis l'aperçu confirmé (%s) ; voici le nouvel aperçu (empreinte %s)",
				s, strings.ToLower(s.Label()), strings.TrimSpace(g.Preview), p.Digest), Preview: p}
		}
	}
	return p, nil
}
