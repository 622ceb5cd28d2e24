package demo

import (
	"context"
	"fmt"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/store"
)

// livretSchools are the demo's collège and école: the Livret Scolaire and
// its LSU export apply to them, not to the lycées professionnels.
func (o Options) livretSchools() []lsutest.Options {
	year := sillage.SchoolYearOf(o.Now)
	// The trimesters already over are filled and closed; before the first
	// ends, the first is open for entry.
	periods, draft := 0, false
	for _, end := range []sillage.Date{sillage.NewDate(int(year), 11, 30), sillage.NewDate(int(year)+1, 3, 0), sillage.NewDate(int(year)+1, 7, 4)} {
		if end.Time().Before(o.Now) {
			periods++
		}
	}
	if periods == 0 {
		periods, draft = 1, true
	}
	n := o.Establishments
	return []lsutest.Options{
		{UAI: uaiOf(n), Name: "Collège Jean Moulin (Poitiers)", Divisions: 4, PerDivision: 24, Periods: periods, Draft: draft,
			Subjects: len(lsutest.Subjects), Cycle: true, Year: year},
		{UAI: uaiOf(n + 1), Name: "École Jules Ferry (Niort)", Ecole: true, Divisions: 2, PerDivision: 20, Periods: periods, Draft: draft,
			Subjects: len(livret.Domains1D), Cycle: true, Year: year},
	}
}

// livretSchool stores one of livretSchools: the director and the first
// teacher get demo accounts, the others an account to activate.
func (g *generator) livretSchool(ctx context.Context, o lsutest.Options) error {
	teachers := 0
	o.OnPerson = func(ctx context.Context, tx *store.Tx, p *sillage.Person) error {
		demo := p.Role == sillage.RoleDirector
		if p.Role == sillage.RoleTeacher {
			demo = teachers == 0
			teachers++
		}
		return g.account(ctx, tx, p, demo, o.Name)
	}
	f, err := lsutest.Build(ctx, g.st, o)
	if err != nil {
		return fmt.Errorf("établissement %s : %w", o.UAI, err)
	}
	// The blocks around the subjects: legal guardians with their address,
	// devoirs faits, socle of the term, the class school-life comments.
	if err := lsutest.AddFamily(ctx, g.st, f); err != nil {
		return fmt.Errorf("établissement %s : %w", o.UAI, err)
	}
	kind := sillage.KindCollege
	if !o.Ecole {
		if err := g.livretProjects(ctx, f); err != nil {
			return fmt.Errorf("établissement %s : %w", o.UAI, err)
		}
		// The 6e's digital skills of cycle 3 (the école's LSU has none).
		if err := lsutest.AddDigital(ctx, g.st, f); err != nil {
			return fmt.Errorf("établissement %s : %w", o.UAI, err)
		}
	}
	if o.Ecole {
		kind = sillage.KindEcole
		g.res.ONDE = append(g.res.ONDE, ONDEFile{UAI: o.UAI, CSV: f.ONDE})
	}
	g.res.Establishments = append(g.res.Establishments, sillage.Establishment{UAI: o.UAI, Name: o.Name, Kind: kind})
	g.res.Students += len(f.Students)
	g.res.Persons += 3*len(f.Students) + len(f.Teachers) + 1 // two guardians a student
	return nil
}

// ONDEFile is the pupils extraction of a demo école: its LSU export asks for
// it, as the INEs of the first degree are never stored.
type ONDEFile struct {
	UAI sillage.UAI
	CSV []byte
}
