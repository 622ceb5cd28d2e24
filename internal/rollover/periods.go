package rollover

import (
	"fmt"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// PeriodsChoice is how step 5 cuts year N+1.
type PeriodsChoice struct {
	Kind sillage.PeriodKind
	// TermStart is the first day of term (zero: the one already recorded
	// for the establishment, else the calendar's).
	TermStart sillage.Date
	// Dates are the periods by hand, in order (empty: the assistant's).
	Dates []Window
}

// ProposePeriods is the assistant: the periods of school year y (the
// rentrée's year) from the first day of term and the school calendar,
// roughly — trimesters end before the Christmas holidays and at the end
// of March, semesters at the end of January; the year ends on the first
// Saturday of July.
func ProposePeriods(y sillage.SchoolYear, kind sillage.PeriodKind, term sillage.Date) []sillage.Period {
	next := int(y) + 1
	end := sillage.NewDate(next, time.July, 1)
	for end.Time().Weekday() != time.Saturday {
		end = addDays(end, 1)
	}
	if term.IsZero() {
		term = FirstWeekday(sillage.NewDate(int(y), time.September, 1))
	}
	var bounds []sillage.Date // last day of each period but the last
	if kind == sillage.Semester {
		bounds = []sillage.Date{sillage.NewDate(next, time.January, 31)}
	} else {
		// The Christmas holidays start on the Saturday before 21 December.
		xmas := sillage.NewDate(int(y), time.December, 20)
		for xmas.Time().Weekday() != time.Saturday {
			xmas = addDays(xmas, -1)
		}
		bounds = []sillage.Date{addDays(xmas, -1), sillage.NewDate(next, time.March, 31)}
	}
	var out []sillage.Period
	start := term
	for i := 0; i < kind.Count(); i++ {
		stop := end
		if i < len(bounds) {
			stop = bounds[i]
		}
		out = append(out, sillage.Period{SchoolYear: y, Kind: kind, Index: i + 1, Start: start, End: stop})
		start = addDays(stop, 1)
	}
	return out
}

// periods is step 5: the periods of N+1, by the assistant or by hand,
// never starting before the first day of term (LSU would reject the
// students as not enrolled). Periods already defined (on the Livret
// Scolaire pages) are kept as they are.
func (r *run) periods() (func(*store.Tx) error, error) {
	ctx, uai, next := r.ctx, r.uai, r.year+1
	cps, err := r.checkpoints()
	if err != nil {
		return nil, err
	}
	if _, ok := cps["periods"]; !ok {
		err := r.e.Store.Write(ctx, func(tx *store.Tx) error {
			existing, err := tx.Periods().ListPeriods(ctx, uai, next)
			if err != nil {
				return err
			}
			if len(existing) > 0 {
				return r.checkpoint(tx, "periods", int64(len(existing)), 0, "existing")
			}
			choice := PeriodsChoice{Kind: sillage.Trimester}
			if r.req.Periods != nil {
				choice = *r.req.Periods
			}
			if choice.Kind != sillage.Semester {
				choice.Kind = sillage.Trimester
			}
			term := choice.TermStart
			if term.IsZero() {
				if term, err = tx.Livret().GetTermStart(ctx, uai, next); err != nil {
					return err
				}
			}
			if term.IsZero() {
				cal, err := LoadCalendar(ctx, tx, r.year)
				if err != nil {
					return err
				}
				term = cal.TermStart
			}
			if err := tx.Livret().SetTermStart(ctx, uai, next, term); err != nil {
				return err
			}
			ps := ProposePeriods(next, choice.Kind, term)
			if len(choice.Dates) > 0 {
				if len(choice.Dates) != choice.Kind.Count() {
					return sillage.Errorf(sillage.KindInvalid, "un découpage en %ss compte %d périodes, pas %d", choice.Kind, choice.Kind.Count(), len(choice.Dates))
				}
				for i, w := range choice.Dates {
					ps[i].Start, ps[i].End = w.From, w.To
				}
			}
			for i := range ps {
				if err := tx.Livret().CreatePeriodChecked(ctx, uai, &ps[i]); err != nil {
					return sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("%s : %s", ps[i].Label(), sillage.Message(err)))
				}
			}
			if err := audit.Record(ctx, tx, uai, auditActor(r.req.Actor), "periods.changed", fmt.Sprintf("Périodes %s", next),
				fmt.Sprintf("%d %s(s) créé(s), rentrée le %s", len(ps), choice.Kind, term.French())); err != nil {
				return err
			}
			if err := r.checkpoint(tx, "periods", int64(len(ps)), 0, string(choice.Kind)); err != nil {
				return err
			}
			return r.fail("periods")
		})
		if err != nil {
			return nil, err
		}
	}
	cps, err = r.checkpoints()
	if err != nil {
		return nil, err
	}
	cp := cps["periods"]
	if cp.Detail == "existing" {
		r.rep.count("existing_periods", "Périodes déjà définies, gardées", cp.RefID)
		r.rep.Details = append(r.rep.Details, fmt.Sprintf("%d période(s) %s déjà définie(s) : gardées telles quelles.", cp.RefID, next))
	} else {
		r.rep.count("periods_created", "Périodes créées", cp.RefID)
	}
	err = r.e.Store.Read(ctx, func(tx *store.Tx) error {
		ps, err := tx.Periods().ListPeriods(ctx, uai, next)
		if err != nil {
			return err
		}
		for _, p := range ps {
			r.rep.Details = append(r.rep.Details, fmt.Sprintf("%s du %s au %s", p.Label(), p.Start.French(), p.End.French()))
		}
		term, err := tx.Livret().GetTermStart(ctx, uai, next)
		if err == nil && !term.IsZero() {
			r.rep.Details = append(r.rep.Details, "Rentrée le "+term.French())
		}
		return err
	})
	return nil, err
}
