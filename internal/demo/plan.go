// Package demo generates a deterministic synthetic academy: establishments,
// divisions, students with valid-shaped INEs, parents, teachers, diploma
// referentials, evaluations with results, professional-situation sheets with
// small PDF files, and a few students changing school so the transfer has
// something to do. The same seed always gives the same academy; sizes are
// parameters, so the benchmarks use the same generator at any scale.
package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/siecle"
)

// Options set the size and shape of the academy.
type Options struct {
	Seed           uint64
	Establishments int
	Students       int // in all, spread over the establishments
	Now            time.Time
	// MoverShare is the share of each establishment's students who arrive
	// from the previous establishment of the academy this year (their
	// record is waiting there for the transfer).
	MoverShare float64
	// EvaluationsPerDivision and CompetencesPerEvaluation shape the results.
	EvaluationsPerDivision   int
	CompetencesPerEvaluation int
	// Accounts creates an account (login, no password) for every person.
	Accounts bool
	// DemoPassword, when set, is the password of the printed demo accounts.
	DemoPassword string
	// Attachments attaches a small PDF to each sheet.
	Attachments bool
	// Livret adds a collège and an école with their Livret Scolaire filled,
	// so the LSU export can be tried (the lycées professionnels have none).
	Livret bool
}

// DefaultOptions is the academy of `sillage demo`.
func DefaultOptions(now time.Time) Options {
	return Options{Seed: 2026, Establishments: 4, Students: 600, Now: now, MoverShare: 0.03,
		EvaluationsPerDivision: 6, CompetencesPerEvaluation: 4, Accounts: true, Attachments: true, Livret: true}
}

func (o Options) withDefaults() Options {
	if o.Establishments < 1 {
		o.Establishments = 1
	}
	if o.Students < 0 {
		o.Students = 0
	}
	if o.EvaluationsPerDivision == 0 {
		o.EvaluationsPerDivision = 6
	}
	if o.CompetencesPerEvaluation == 0 {
		o.CompetencesPerEvaluation = 4
	}
	return o
}

// EstablishmentPlan is one generated establishment, before it is stored.
type EstablishmentPlan struct {
	Index         int
	Establishment sillage.Establishment
	Year          sillage.SchoolYear
	Divisions     []DivisionPlan
	Students      []StudentPlan // the current ones, then those who left
	Teachers      []PersonPlan
}

// DivisionPlan is a class.
type DivisionPlan struct {
	Code    string
	Label   string
	Diploma int // index in diplomas
	Level   int // 1 = seconde, 2 = première, 3 = terminale
}

// MEF is the division's MEF code.
func (d DivisionPlan) MEF() string { return diplomas[d.Diploma].mef(d.Level) }

// PersonPlan is a teacher.
type PersonPlan struct {
	First, Last string
	Civility    string
	STSID       string
	Divisions   []int
}

// StudentPlan is a student.
type StudentPlan struct {
	EleveID     string
	INE         ident.INE // synthetic; never stored, only hashed
	First, Last string
	Sex         string
	Birth       sillage.Date
	Division    int
	Entry       sillage.Date
	// Left: the student left this establishment (deactivated at LeftAt);
	// their record waits in the transfer index.
	Left   bool
	LeftAt time.Time
	// Arrived: the student comes from Previous this year.
	Arrived      bool
	Previous     sillage.UAI
	PreviousName string
	Parents      int
}

// uaiOf returns the UAI of the i-th establishment: a real check letter on a
// synthetic number.
func uaiOf(i int) sillage.UAI {
	depts := []int{86, 79, 17, 16}
	digits := fmt.Sprintf("%03d%04d", depts[i%len(depts)], 7000+i)
	letter, _ := sillage.UAICheckLetter(digits)
	return sillage.UAI(digits + string(letter))
}

// ineOf returns a synthetic INE of the older national form (10 digits and
// the check letter), unique for (establishment, student).
func ineOf(est, k int) ident.INE {
	n := int64(9_000_000_000) + int64(est)*400_000 + int64(k)
	digits := fmt.Sprintf("%010d", n)
	const letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
	return ident.RawINE(digits + string(letters[n%23]))
}

func rng(seed uint64, est int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^uint64(est)*0x9E3779B97F4A7C15, stream))
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// studentsOf spreads o.Students over the establishments.
func (o Options) studentsOf(i int) int {
	n := o.Students / o.Establishments
	if i < o.Students%o.Establishments {
		n++
	}
	return n
}

func (o Options) moversOf(i int) int {
	if o.Establishments < 2 {
		return 0
	}
	return int(float64(o.studentsOf(i)) * o.MoverShare)
}

// Plan returns the plan of establishment i: a pure function of the options.
func Plan(o Options, i int) EstablishmentPlan {
	o = o.withDefaults()
	r := rng(o.Seed, i, 1)
	year := sillage.SchoolYearOf(o.Now)
	p := EstablishmentPlan{Index: i, Year: year}
	town := towns[i%len(towns)]
	p.Establishment = sillage.Establishment{UAI: uaiOf(i), Name: fmt.Sprintf("%s (%s)", schoolNames[i%len(schoolNames)], town), Kind: sillage.KindLP}
	// Enabling is the establishment's choice: one in four has not.
	if i%4 != 3 {
		p.Establishment.Transfer = sillage.TransferSettings{Enabled: true, Reference: fmt.Sprintf("CNIL-%07d", 1850000+i)}
	}

	n := o.studentsOf(i)
	perDivision := 24
	divisions := (n + perDivision - 1) / perDivision
	if divisions == 0 {
		divisions = 1
	}
	levels := []string{"2", "1", "T"}
	levelNames := []string{"Seconde professionnelle", "Première professionnelle", "Terminale professionnelle"}
	for d := 0; d < divisions; d++ {
		dip := d % len(diplomas)
		level := (d/len(diplomas))%3 + 1
		group := d/(len(diplomas)*3) + 1
		code := fmt.Sprintf("%s%s%d", levels[level-1], diplomas[dip].Short, group)
		p.Divisions = append(p.Divisions, DivisionPlan{Code: code, Label: fmt.Sprintf("%s %s %d", levelNames[level-1], diplomas[dip].Short, group), Diploma: dip, Level: level})
	}

	// Teachers: one for about twelve students, each with two to four divisions.
	teachers := max(3, n/12)
	for t := 0; t < teachers; t++ {
		tp := PersonPlan{First: pick(r, firstNames), Last: pick(r, lastNames), STSID: fmt.Sprint(400000 + i*1000 + t)}
		tp.Civility = pick(r, []string{"M.", "Mme"})
		for k := 0; k < 2+r.IntN(3); k++ {
			d := (t + k*teachers/3 + r.IntN(2)) % len(p.Divisions)
			if !containsInt(tp.Divisions, d) {
				tp.Divisions = append(tp.Divisions, d)
			}
		}
		p.Teachers = append(p.Teachers, tp)
	}

	movers := o.moversOf(i)
	prev := (i - 1 + o.Establishments) % o.Establishments
	for k := 0; k < n; k++ {
		d := k % len(p.Divisions)
		div := p.Divisions[d]
		s := StudentPlan{
			EleveID:  fmt.Sprint(2_000_000 + i*100_000 + k),
			INE:      ineOf(i, k),
			First:    pick(r, firstNames),
			Last:     pick(r, lastNames),
			Sex:      pick(r, []string{"M", "F"}),
			Birth:    sillage.NewDate(int(year)-14-div.Level, time.Month(1+r.IntN(12)), 1+r.IntN(28)),
			Division: d,
			Entry:    sillage.NewDate(int(year)-div.Level+1, time.September, 1),
			Parents:  1 + r.IntN(2),
		}
		if k >= n-movers {
			// An arrival: the same student as one who left the previous
			// establishment (same INE); one in five changed diploma.
			m := k - (n - movers)
			s.INE = ineOf(prev, leaverIndex(o, prev, m))
			s.Arrived = true
			s.Previous = uaiOf(prev)
			s.PreviousName = schoolNames[prev%len(schoolNames)]
			s.Entry = sillage.DateOf(o.Now.AddDate(0, 0, -14))
			dip := leaverDiploma(o, prev, m)
			if m%5 == 4 {
				dip = (dip + 1) % len(diplomas)
			}
			s.Division = sameDiplomaDivision(p.Divisions, dip, d)
		}
		p.Students = append(p.Students, s)
	}
	// Those who left for the next establishment: deactivated a month ago.
	next := (i + 1) % o.Establishments
	for m := 0; m < o.moversOf(next); m++ {
		k := leaverIndex(o, i, m)
		d := leaverDiploma(o, i, m)
		div := sameDiplomaDivision(p.Divisions, d, m%len(p.Divisions))
		p.Students = append(p.Students, StudentPlan{
			EleveID: fmt.Sprint(2_000_000 + i*100_000 + k), INE: ineOf(i, k),
			First: pick(r, firstNames), Last: pick(r, lastNames), Sex: pick(r, []string{"M", "F"}),
			Birth:    sillage.NewDate(int(year)-16, time.Month(1+r.IntN(12)), 1+r.IntN(28)),
			Division: div, Entry: sillage.NewDate(int(year)-1, time.September, 1), Parents: 1,
			Left: true, LeftAt: o.Now.AddDate(0, -1, 0),
		})
	}
	return p
}

// leaverIndex numbers the students who left establishment est after its
// current students, so their INEs never collide.
func leaverIndex(o Options, est, m int) int { return o.studentsOf(est) + m }

// leaverDiploma is the diploma the m-th leaver of est prepared.
func leaverDiploma(o Options, est, m int) int { return m % len(diplomas) }

func sameDiplomaDivision(divs []DivisionPlan, diploma, fallback int) int {
	for j := range divs {
		k := (fallback + j) % len(divs)
		if divs[k].Diploma == diploma {
			return k
		}
	}
	return fallback % len(divs)
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// SIECLE returns the SIECLE students export that would produce the
// establishment's students: the real structure, the synthetic INEs, the
// ELEVE_IDs, MEFs and divisions of the demo, and the exit date of those who
// left — so the import and transfer flows can be tried end to end.
func (p EstablishmentPlan) SIECLE(now time.Time) *siecle.StudentsFile {
	f := &siecle.StudentsFile{Header: siecle.Header{UAJ: p.Establishment.UAI, Year: int(p.Year), ExportDate: sillage.DateOf(now).Time(), Timestamp: now.UTC().Truncate(time.Second)}}
	for _, s := range p.Students {
		div := p.Divisions[s.Division]
		st := siecle.Student{
			EleveID: s.EleveID, IDNational: s.INE, INEBEA: s.INE, LastName: s.Last, FirstName: s.First,
			BirthDate: s.Birth.Time(), Sex: s.Sex, MEF: div.MEF(), Status: "ST", EntryDate: s.Entry.Time(),
		}
		if s.Left {
			st.ExitDate = sillage.DateOf(s.LeftAt).Time()
			st.ExitReason = "11"
		}
		if s.Arrived {
			st.Previous = &siecle.PreviousSchooling{MEF: div.MEF(), UAI: string(s.Previous), Denomination: "LYCEE PROFESSIONNEL", Name: s.PreviousName}
		}
		f.Students = append(f.Students, siecle.JoinedStudent{Student: st, Division: div.Code})
	}
	return f
}
