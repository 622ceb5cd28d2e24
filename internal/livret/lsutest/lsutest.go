// Package lsutest builds synthetic establishments with a complete Livret
// Scolaire in a store, for the tests and benchmarks of the LSU export and for
// the demo academy: a
// collège (2nd degree: STS teachers and divisions, SIECLE students,
// Nomenclature subjects and programmes) or an école (1st degree, with the
// ONDE extraction that carries the INEs). The same options always give the
// same data.
package lsutest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
)

// Options shape an establishment.
type Options struct {
	UAI         sillage.UAI
	Name        string
	Ecole       bool // 1st degree
	Divisions   int
	PerDivision int
	Periods     int // trimesters written (1 to 3)
	Subjects    int // up to len(Subjects) (2nd degree) or len(Domains1D)
	// Draft leaves the periodic reports open (else they are closed).
	Draft bool
	// Cycle writes closed end-of-cycle reports for the classes that end a cycle.
	Cycle bool
	// Year is the school year (zero: Year, the store tests' clock).
	Year sillage.SchoolYear
	// OnPerson, when set, is called with the director and each teacher
	// before they are stored (the demo gives them accounts).
	OnPerson func(ctx context.Context, tx *store.Tx, p *sillage.Person) error
}

// Year is the default school year of the fixtures (the store tests' clock).
const Year = sillage.SchoolYear(2025)

// Subject is a SIECLE subject of the collège fixture.
type Subject struct{ Code, Label, Modality string }

// Subjects are the collège's subjects (codes shaped like SIECLE's).
var Subjects = []Subject{
	{"020700", "FRANCAIS", "S"},
	{"061300", "MATHEMATIQUES", "S"},
	{"030201", "ANGLAIS LV1", "S"},
	{"030602", "ESPAGNOL LV2", "O"},
	{"040700", "HISTOIRE-GEOGRAPHIE", "S"},
	{"063700", "SCIENCES VIE ET TERRE", "S"},
	{"061800", "PHYSIQUE-CHIMIE", "S"},
	{"070100", "TECHNOLOGIE", "S"},
	{"080100", "ARTS PLASTIQUES", "S"},
	{"081100", "EDUCATION MUSICALE", "S"},
	{"100100", "EDUCATION PHYSIQUE ET SPORTIVE", "S"},
	{"020300", "LATIN", "F"},
}

// levels of the collège: MEF code, formation.
var levels = []struct{ mef, formation, prefix string }{
	{"10010012110", "6EME", "6"}, {"10110001110", "5EME", "5"}, {"10210001110", "4EME", "4"}, {"10310019110", "3EME", "3"},
}

// Fixture is what Build stored.
type Fixture struct {
	UAI        sillage.UAI
	Director   sillage.Person
	Teachers   []sillage.Person
	Divisions  []sillage.Division
	Students   []sillage.Student
	Periods    []sillage.Period
	SubjectIDs []string // codes entered
	// ONDE is the école's pupils extraction (CSV, UTF-8) holding the INEs.
	ONDE []byte
	// INEs are the synthetic INEs of the ONDE file, for privacy scans.
	INEs []string
}

var lastNames = []string{"MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
	"SIMON", "MICHEL", "LEFÈVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD", "N'DIAYE", "BONNET"}
var firstNames = []string{"Léa", "Hugo", "Chloé", "Lucas", "Emma", "Louis", "Inès", "Gabriel", "Jade", "Arthur", "Zoé", "Raphaël", "Anaïs"}

// ine returns a synthetic INE of the BEA form (10 digits, check letter).
func ine(n int) string {
	v := int64(9_100_000_000) + int64(n)
	const letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
	return fmt.Sprintf("%010d%c", v, letters[v%23])
}

// Build stores an establishment with its Livret Scolaire.
func Build(ctx context.Context, st *store.Store, o Options) (*Fixture, error) {
	if o.Periods == 0 {
		o.Periods = 3
	}
	if o.Year == 0 {
		o.Year = Year
	}
	if o.OnPerson == nil {
		o.OnPerson = func(context.Context, *store.Tx, *sillage.Person) error { return nil }
	}
	if o.Name == "" {
		o.Name = "Collège Jean Moulin"
		if o.Ecole {
			o.Name = "École Jules Ferry"
		}
	}
	f := &Fixture{UAI: o.UAI}
	err := st.Write(ctx, func(tx *store.Tx) error { return f.build(ctx, tx, o) })
	return f, err
}

func (f *Fixture) build(ctx context.Context, tx *store.Tx, o Options) error {
	uai := o.UAI
	kind := sillage.KindCollege
	if o.Ecole {
		kind = sillage.KindEcole
	}
	if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: o.Name, Kind: kind}); err != nil {
		return err
	}
	f.Director = sillage.Person{Role: sillage.RoleDirector, Civility: "MME", LastName: "FONTAINE", FirstName: "Claire", Source: sillage.SourceSTS, STSID: "900"}
	if err := o.OnPerson(ctx, tx, &f.Director); err != nil {
		return err
	}
	if err := tx.People().CreatePerson(ctx, uai, &f.Director); err != nil {
		return err
	}
	y := int(o.Year)
	if err := tx.Livret().SetTermStart(ctx, uai, o.Year, sillage.NewDate(y, 9, 1)); err != nil {
		return err
	}
	bounds := [][2]sillage.Date{
		{sillage.NewDate(y, 9, 1), sillage.NewDate(y, 11, 30)},
		{sillage.NewDate(y, 12, 1), sillage.NewDate(y+1, 3, 0)}, // to the end of February
		{sillage.NewDate(y+1, 3, 1), sillage.NewDate(y+1, 7, 4)},
	}
	for i := 0; i < 3; i++ {
		p := sillage.Period{SchoolYear: o.Year, Kind: sillage.Trimester, Index: i + 1, Start: bounds[i][0], End: bounds[i][1]}
		if err := tx.Livret().CreatePeriodChecked(ctx, uai, &p); err != nil {
			return err
		}
		f.Periods = append(f.Periods, p)
	}

	// Subjects and teachers.
	type subj struct{ code, label, modality string }
	var subjects []subj
	if o.Ecole {
		for i, d := range livret.Domains1D {
			if i < o.Subjects {
				subjects = append(subjects, subj{d.Code, d.Label, ""})
			}
		}
	} else {
		for i, s := range Subjects {
			if i < o.Subjects {
				subjects = append(subjects, subj{s.Code, s.Label, s.Modality})
				if err := tx.People().UpsertSubject(ctx, uai, sillage.Subject{Code: s.Code, ShortLabel: s.Label, LongLabel: s.Label}); err != nil {
					return err
				}
			}
		}
		var progs []sillage.Programme
		for _, l := range levels {
			if err := tx.People().UpsertMEF(ctx, uai, sillage.MEF{Code: l.mef, Formation: l.formation, Label: l.formation}); err != nil {
				return err
			}
			for _, s := range subjects {
				progs = append(progs, sillage.Programme{MEF: l.mef, SubjectCode: s.code, Modality: s.modality, Hours: "3.00"})
			}
		}
		if err := tx.People().ReplaceProgrammes(ctx, uai, progs); err != nil {
			return err
		}
	}
	for _, s := range subjects {
		f.SubjectIDs = append(f.SubjectIDs, s.code)
	}
	nTeachers := len(subjects)
	if o.Ecole {
		nTeachers = o.Divisions
	}
	for i := 0; i < nTeachers; i++ {
		t := sillage.Person{Role: sillage.RoleTeacher, Civility: []string{"M", "MME"}[i%2], LastName: fmt.Sprintf("ENSEIGNANT%02d", i+1),
			FirstName: firstNames[i%len(firstNames)], Source: sillage.SourceSTS}
		if !o.Ecole {
			t.STSID = fmt.Sprint(5000 + i)
		}
		if err := o.OnPerson(ctx, tx, &t); err != nil {
			return err
		}
		if err := tx.People().CreatePerson(ctx, uai, &t); err != nil {
			return err
		}
		f.Teachers = append(f.Teachers, t)
	}

	// Divisions, students, services, head teachers.
	var onde bytes.Buffer
	onde.WriteString("Nom élève;Nom d'usage élève;Prénom élève;Date naissance;Sexe;INE; Cycle;Niveau;Libellé classe;Identifiant classe\n")
	n := 0
	for d := 0; d < o.Divisions; d++ {
		lvl := levels[d%len(levels)]
		div := sillage.Division{SchoolYear: o.Year, Code: fmt.Sprintf("%sE%d", lvl.prefix, d/len(levels)+1), Label: fmt.Sprintf("%se %d", lvl.prefix, d/len(levels)+1),
			MEFs: []string{lvl.mef}, FromSTS: true}
		if o.Ecole {
			div = sillage.Division{SchoolYear: o.Year, Code: fmt.Sprint(70001 + d), Label: fmt.Sprintf("CE2 %c", 'A'+d)}
		}
		if err := tx.People().CreateDivision(ctx, uai, &div); err != nil {
			return err
		}
		f.Divisions = append(f.Divisions, div)
		head := f.Teachers[d%len(f.Teachers)]
		if err := tx.People().SetHeadTeachers(ctx, uai, div.ID, []int64{head.ID}); err != nil {
			return err
		}
		for k := 0; k < o.PerDivision; k++ {
			s := sillage.Student{Person: sillage.Person{LastName: lastNames[n%len(lastNames)], FirstName: firstNames[(n/len(lastNames)+k)%len(firstNames)],
				BirthDate: sillage.NewDate(y-11-d%len(levels), time.Month(1+n%12), 1+n%28), Source: sillage.SourceSIECLE, SIECLEID: fmt.Sprint(1_000_000 + n)},
				MEF: lvl.mef, SchoolEntry: sillage.NewDate(y-d%len(levels), 9, 1), DivisionID: div.ID}
			if o.Ecole {
				s.MEF, s.SchoolEntry, s.SIECLEID = "", sillage.Date{}, fmt.Sprintf("onde:%04d", n)
				s.BirthDate = sillage.NewDate(y-8, time.Month(1+n%12), 1+n%28)
				s.Source = sillage.SourceONDE
				ine := ine(n)
				f.INEs = append(f.INEs, ine)
				fmt.Fprintf(&onde, "\"%s\";;\"%s\";\"%s\";\"%s\";\"%s\";\"CYCLE II\";\"CE2\";\"%s\";\"%s\"\n", s.LastName, s.FirstName,
					s.BirthDate.French(), []string{"F", "M"}[n%2], ine, div.Label, div.Code)
			}
			if err := tx.People().CreateStudent(ctx, uai, &s); err != nil {
				return err
			}
			s.DivisionCode = div.Code
			f.Students = append(f.Students, s)
			n++
		}
	}
	f.ONDE = onde.Bytes()
	for i, t := range f.Teachers {
		if o.Ecole {
			continue // the class teacher (head teacher) enters every domain
		}
		var svcs []sillage.Service
		for _, div := range f.Divisions {
			svcs = append(svcs, sillage.Service{DivisionID: div.ID, SubjectCode: subjects[i].code, Modality: "CG"})
		}
		if err := tx.People().ReplaceServices(ctx, uai, t.ID, svcs); err != nil {
			return err
		}
	}

	// Reports.
	appreciation := "Travail sérieux et régulier ; participation active, des progrès à confirmer au prochain trimestre."
	general := "Bon trimestre dans l'ensemble. Le conseil de classe encourage la poursuite des efforts engagés."
	for si, s := range f.Students {
		d := si / max(o.PerDivision, 1)
		div := f.Divisions[d]
		for pi, p := range f.Periods[:o.Periods] {
			r, err := tx.Livret().UpsertPeriodicReport(ctx, uai, s.ID, p.ID, f.Director.ID)
			if err != nil {
				return err
			}
			late, abs, unj, hours := si%3, si%5, si%2, (si*2)%7
			r.GeneralAppreciation = general
			if !o.Ecole {
				r.Late, r.Absences, r.Unjustified, r.MissedHours = &late, &abs, &unj, &hours
			}
			r.CouncilDate = p.End
			switch si % 10 {
			case 3:
				r.Support = []string{"PAP"}
			case 7:
				r.Support, r.PPREComplement = []string{"PPRE"}, "Soutien en lecture, deux séances par semaine."
			}
			if err := tx.Livret().UpdatePeriodicReport(ctx, uai, r); err != nil {
				return err
			}
			for k, sub := range subjects {
				res := sillage.SubjectResult{ReportID: r.ID, SubjectCode: sub.code, Appreciation: appreciation}
				if o.Ecole {
					res.Positioning, res.TeacherID = 1+(si+k+pi)%4, f.Teachers[d%len(f.Teachers)].ID
				} else {
					avg := ((si+k+pi)%17+3)*100 + 25*(k%4)
					res.Average = &avg
					if si%13 == 5 && k == 10 {
						res.Average, res.Status = nil, 3 // exempt from PE
					}
				}
				if err := tx.Livret().SetSubjectResult(ctx, uai, res); err != nil {
					return err
				}
			}
			if !o.Draft {
				if err := tx.Livret().SetPeriodicReportState(ctx, uai, r.ID, sillage.ReportClosed, f.Director.ID); err != nil {
					return err
				}
			}
		}
		if si%max(o.PerDivision, 1) == 0 {
			for _, p := range f.Periods[:o.Periods] {
				for k, sub := range subjects {
					for e := 0; e < 2; e++ {
						el := sillage.ProgrammeElement{DivisionID: div.ID, PeriodID: p.ID, SubjectCode: sub.code,
							Label: fmt.Sprintf("%s — élément de programme %d (%s)", strings.ToLower(sub.label), e+1, p.Label())}
						if k%3 == 2 && e == 1 {
							continue
						}
						if err := tx.Livret().AddProgrammeElement(ctx, uai, &el); err != nil {
							return err
						}
					}
				}
			}
		}
		if o.Cycle {
			cycle := 0
			switch {
			case o.Ecole:
				cycle = 2
			case d%len(levels) == 0:
				cycle = 3
			case d%len(levels) == 3:
				cycle = 4
			}
			if cycle == 0 {
				continue
			}
			c := sillage.CycleReport{StudentID: s.ID, Cycle: cycle, SchoolYear: o.Year, Socle: map[string]int{},
				Synthesis: "Acquis solides dans l'ensemble des domaines ; l'autonomie reste à consolider.", UpdatedBy: f.Director.ID}
			for i, dom := range store.SocleDomains {
				c.Socle[dom] = 1 + (si+i)%4
			}
			if cycle == 4 && si%4 == 0 {
				c.ComplementCode, c.ComplementLevel = "LCA", 1+si%2
			}
			if err := tx.Livret().UpsertCycleReport(ctx, uai, &c); err != nil {
				return err
			}
			if err := tx.Livret().SetCycleReportState(ctx, uai, c.ID, sillage.ReportClosed, f.Director.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// PeriodIDs returns the ids of the first n periods.
func (f *Fixture) PeriodIDs(n int) []int64 {
	var out []int64
	for _, p := range f.Periods[:n] {
		out = append(out, p.ID)
	}
	return out
}
