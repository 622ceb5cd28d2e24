package store

import (
	"context"
	"strconv"

	"github.com/sillage/sillage"
)

// termStartKey is the establishment setting holding the first day of term
// of a school year (lsu.md: a period may not start before it).
func termStartKey(year sillage.SchoolYear) string { return "term_start." + strconv.Itoa(int(year)) }

// GetTermStart returns the first day of term of a school year; zero when unset.
func (tx Livret) GetTermStart(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (sillage.Date, error) {
	v, err := tx.Periods().GetSetting(ctx, uai, termStartKey(year), "")
	if err != nil || v == "" {
		return sillage.Date{}, err
	}
	d, err := sillage.ParseDate(v)
	if err != nil {
		return sillage.Date{}, nil // a damaged value reads as unset
	}
	return d, nil
}

// SetTermStart records the first day of term of a school year. It must
// fall in that school year, and no period of the year may start before it.
func (tx Livret) SetTermStart(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, d sillage.Date) error {
	if d.IsZero() || sillage.SchoolYearOf(d.Time()) != year {
		return sillage.Errorf(sillage.KindInvalid, "la date de rentrée doit appartenir à l'année scolaire %s", year)
	}
	ps, err := tx.Periods().ListPeriods(ctx, uai, year)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Start.Before(d) {
			return sillage.Errorf(sillage.KindInvalid, "la période « %s » commence le %s, avant cette rentrée : corrigez d'abord la période", p.Label(), p.Start.French())
		}
	}
	return tx.Periods().SetSetting(ctx, uai, termStartKey(year), d.String())
}

// SetPeriodDates changes the dates of a period: they must be in order, not
// before the first day of term when it is known, and not overlap another
// period of the year.
func (tx Livret) SetPeriodDates(ctx context.Context, uai sillage.UAI, id int64, start, end sillage.Date) error {
	p, err := tx.Periods().GetPeriod(ctx, uai, id)
	if err != nil {
		return err
	}
	p.Start, p.End = start, end
	if err := tx.checkPeriod(ctx, uai, p); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE periods SET start_date = $3, end_date = $4 WHERE uai = $1 AND id = $2`, uai, id, start, end)
	return err
}

// CreatePeriodChecked adds a period after the checks of SetPeriodDates
// (CreatePeriod itself only checks the order of the dates), in a year not
// already cut in periods of the other kind. Every creation of a period
// but the demo's and the tests' goes through it: the periods page and
// step 5 of the changeover.
func (tx Livret) CreatePeriodChecked(ctx context.Context, uai sillage.UAI, p *sillage.Period) error {
	if p.Kind != sillage.Trimester && p.Kind != sillage.Semester {
		return sillage.Errorf(sillage.KindInvalid, "type de période inconnu : trimestre ou semestre")
	}
	ps, err := tx.Periods().ListPeriods(ctx, uai, p.SchoolYear)
	if err != nil {
		return err
	}
	for _, o := range ps {
		if o.Kind != p.Kind {
			return sillage.Errorf(sillage.KindConflict, "l'année %s est déjà découpée en %ss : une année ne mélange pas trimestres et semestres", p.SchoolYear, o.Kind)
		}
	}
	if p.Index < 1 || p.Index > p.Kind.Count() {
		return sillage.Errorf(sillage.KindInvalid, "rang de période %d invalide pour un %s", p.Index, p.Kind)
	}
	check := *p
	check.ID = 0
	if err := tx.checkPeriod(ctx, uai, check); err != nil {
		return err
	}
	return tx.Periods().CreatePeriod(ctx, uai, p)
}

// checkPeriod checks a period before it is stored (p.ID is 0 for a new
// one): dates in order and within the school year, not before the first
// day of term, no overlap with another period of the same year and kind.
func (tx *Tx) checkPeriod(ctx context.Context, uai sillage.UAI, p sillage.Period) error {
	if p.Start.IsZero() || p.End.IsZero() {
		return sillage.Errorf(sillage.KindInvalid, "les dates de début et de fin de la période sont obligatoires")
	}
	if p.End.Before(p.Start) {
		return sillage.Errorf(sillage.KindInvalid, "la période finit avant de commencer")
	}
	if sillage.SchoolYearOf(p.Start.Time()) != p.SchoolYear || sillage.SchoolYearOf(p.End.Time()) != p.SchoolYear {
		return sillage.Errorf(sillage.KindInvalid, "la période doit tenir dans l'année scolaire %s", p.SchoolYear)
	}
	term, err := tx.Livret().GetTermStart(ctx, uai, p.SchoolYear)
	if err != nil {
		return err
	}
	if !term.IsZero() && p.Start.Before(term) {
		return sillage.Errorf(sillage.KindInvalid, "la période ne peut pas commencer le %s, avant la rentrée du %s : LSU rejetterait les élèves comme non scolarisés",
			p.Start.French(), term.French())
	}
	ps, err := tx.Periods().ListPeriods(ctx, uai, p.SchoolYear)
	if err != nil {
		return err
	}
	for _, o := range ps {
		if o.ID == p.ID || o.Kind != p.Kind {
			continue
		}
		if !p.End.Before(o.Start) && !o.End.Before(p.Start) {
			return sillage.Errorf(sillage.KindInvalid, "la période chevauche « %s » (du %s au %s)", o.Label(), o.Start.French(), o.End.French())
		}
	}
	return nil
}
