package lsu

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/sharedref"
)

// Every person below is invented; every INE is synthetic (the 999… range
// SOURCES.md uses for replaced identifiers).

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func at(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

func mark(v float64) *float64 { return &v }

func count(n int) *int { return &n }

func socle(v int) map[string]int {
	m := map[string]int{}
	for i, d := range SocleDomains {
		m[d] = (v+i)%4 + 1
	}
	return m
}

// collegeInput is a small collège class (2D): two divisions, three terms,
// five subjects, a student who arrived during the year, an end-of-cycle
// report. It is clean: Collect reports no blocking line for it.
func collegeInput() *Input {
	periods := []Period{
		{ID: "t1", Year: 2025, Index: 1, Count: 3, Start: date(2025, 9, 1), End: date(2025, 11, 30), TermStart: date(2025, 9, 1)},
		{ID: "t2", Year: 2025, Index: 2, Count: 3, Start: date(2025, 12, 1), End: date(2026, 3, 8), TermStart: date(2025, 9, 1)},
		{ID: "t3", Year: 2025, Index: 3, Count: 3, Start: date(2026, 3, 9), End: date(2026, 7, 4), TermStart: date(2025, 9, 1)},
	}
	in := &Input{
		Target:        Target{Degree: SecondDegree},
		AppVersion:    "1.0.0",
		Establishment: Establishment{UAI: "0861234Z", Heads: []Head{{ID: "h1", Civility: "MME", LastName: "FONTAINE", FirstName: "Claire"}, {ID: "h2", Civility: "M", LastName: "ROCHER", FirstName: "Paul"}}},
		Students: []Student{
			{ID: "s1", LastName: "ARNAUD", FirstName: "Léa", EleveID: "100001", Division: "3 A", Level: "3", EntryDate: date(2022, 9, 1)},
			{ID: "s2", LastName: "BERTIN", FirstName: "Hugo", EleveID: "100002", Division: "3 A", Level: "3", EntryDate: date(2025, 9, 1)},
			{ID: "s3", LastName: "CHAMPION", FirstName: "Inès", EleveID: "100003", Division: "3 A", Level: "3", EntryDate: date(2025, 10, 6)},
			{ID: "s4", LastName: "DURAND", FirstName: "Noé", EleveID: "100004", Division: "4B", Level: "4", EntryDate: date(2024, 9, 2)},
		},
		Periods: periods,
		Subjects: []Subject{
			{ID: "fr", Code: "020700", Modality: "S", Label: "Français"},
			{ID: "ma", Code: "061300", Modality: "S", Label: "Mathématiques"},
			{ID: "an", Code: "030201", Modality: "S", Label: "Anglais LV1"},
			{ID: "eps", Code: "100A00", NationalCode: "100100", Modality: "S", Label: "Éducation physique & sportive"},
			{ID: "lat", Code: "020600", Modality: "F", Label: "Latin"},
		},
		Teachers: []Teacher{
			{ID: "t-fr", STSID: "4321", STSType: "epp", Civility: "MME", LastName: "LEROUX", FirstName: "Anne"},
			{ID: "t-ma", STSID: "P4322", STSType: "epp", Civility: "M", LastName: "MOREAU", FirstName: "Jules"},
			{ID: "t-an", STSID: "4323", STSType: "local", Civility: "MME", LastName: "O'NEILL", FirstName: "Kate"},
			{ID: "t-eps", STSID: "4324", STSType: "epp", Civility: "M", LastName: "PETIT", FirstName: "Marc"},
		},
		Elements: []ProgrammeElement{
			{ID: "e1", Label: "Lire et comprendre des textes variés"},
			{ID: "e2", Label: "Résoudre des problèmes « à étapes »"},
			{ID: "e3", Label: "Comprendre l'oral <dialogues>"},
		},
		Directory: Directory{STSDivisions: []string{"3 A", "4B", "5C"}},
		Config:    Config{Positioning: ModeAverages},
	}
	for i, s := range in.Students {
		for pi, p := range periods[:2] {
			base := 10 + float64((i*3+pi*2)%9)
			r := PeriodicReport{
				StudentID: s.ID, PeriodID: p.ID, State: Closed,
				ClosedAt:    at(p.End.Year(), p.End.Month(), p.End.Day()-2, 17, 30),
				CouncilDate: p.End.AddDate(0, 0, -3),
				Subjects: []SubjectResult{
					{SubjectID: "fr", TeacherIDs: []string{"t-fr"}, ElementIDs: []string{"e1"}, Average: mark(base + 0.5), StructureAverage: mark(11.25),
						Appreciation: fmt.Sprintf("%s progresse ; travail régulier & sérieux.", s.FirstName)},
					{SubjectID: "ma", TeacherIDs: []string{"t-ma"}, ElementIDs: []string{"e2"}, Average: mark(base + 1.456), StructureAverage: mark(12),
						Appreciation: "Bons résultats.\nContinuez ainsi."},
					{SubjectID: "an", TeacherIDs: []string{"t-an"}, ElementIDs: []string{"e3"}, Average: mark(base - 2), Appreciation: "Good work."},
					{SubjectID: "eps", TeacherIDs: []string{"t-eps"}, Average: mark(15), StructureAverage: mark(14.5), Appreciation: "Investi."},
				},
				GeneralAppreciation: "Trimestre satisfaisant. Le conseil encourage " + s.FirstName + ".",
				SchoolLife:          &SchoolLife{Late: count(i), Absences: count(2 * i), Unjustified: count(i / 2), MissedHours: count(3 * i), Comment: "Assiduité correcte."},
				HeadTeacherIDs:      []string{"t-fr"},
			}
			if s.Division == "4B" {
				r.HeadID = "h2"
				r.HeadTeacherIDs = []string{"t-ma"}
			}
			if i == 0 {
				r.Subjects = append(r.Subjects, SubjectResult{SubjectID: "lat", TeacherIDs: []string{"t-fr"}, Average: mark(17.5), Appreciation: "Excellent."})
				r.Support = []SupportMeasure{{Code: "PPRE", PPREComplement: "Soutien en mathématiques, une heure par semaine."}, {Code: "PAP"}}
			}
			if i == 1 && pi == 1 {
				r.Subjects[3] = SubjectResult{SubjectID: "eps", TeacherIDs: []string{"t-eps"}, Status: Exempt, StructureAverage: mark(14.5), Appreciation: "Dispensé (certificat médical)."}
			}
			in.Periodic = append(in.Periodic, r)
		}
	}
	in.Cycles = []CycleReport{
		{StudentID: "s1", Cycle: 4, Year: 2025, State: Closed, ClosedAt: at(2026, 6, 20, 10, 0), CreatedAt: date(2026, 6, 18),
			Socle: socle(1), Synthesis: "Léa maîtrise le socle commun.", Complement: &Option{Code: "LCA", Level: 2}, RegionalLanguage: &Option{Code: "BRE", Level: 1},
			HeadID: "h1", HeadTeacherIDs: []string{"t-fr"}},
		{StudentID: "s2", Cycle: 4, Year: 2025, State: Closed, ClosedAt: at(2026, 6, 20, 10, 5), CreatedAt: date(2026, 6, 18),
			Socle: socle(2), Synthesis: "Hugo a atteint les objectifs.", Complement: &Option{Code: "AUC"}},
	}
	return in
}

// ecoleInput is a small école class (1D): one CE2 class, two semesters,
// three domains, one end-of-cycle 2 report.
func ecoleInput() *Input {
	periods := []Period{
		{ID: "s1", Year: 2025, Index: 1, Count: 2, Start: date(2025, 9, 1), End: date(2026, 1, 31), TermStart: date(2025, 9, 1)},
		{ID: "s2", Year: 2025, Index: 2, Count: 2, Start: date(2026, 2, 1), End: date(2026, 7, 4), TermStart: date(2025, 9, 1)},
	}
	in := &Input{
		Target:        Target{Degree: FirstDegree},
		Establishment: Establishment{UAI: "0351234B", Heads: []Head{{ID: "d1", Civility: "MME", LastName: "GARNIER", FirstName: "Sophie"}}},
		Students: []Student{
			{ID: "p1", LastName: "AUBRY", FirstName: "Jade", INE: ident.RawINE("999000001HA"), ClassID: "4021", ClassLabel: "CE2 Les Tilleuls", Level: "CE2", EntryDate: date(2023, 9, 4)},
			{ID: "p2", LastName: "BLANC", FirstName: "Malo", INE: ident.RawINE("9990000012R"), ClassID: "4021", ClassLabel: "CE2 Les Tilleuls", Level: "CE2", EntryDate: date(2025, 11, 3)},
			{ID: "p3", LastName: "COLIN", FirstName: "Zoé", INE: ident.RawINE("999000003AC"), ClassID: "4022", ClassLabel: "CE1-CE2", Level: "CE2", EntryDate: date(2024, 9, 2)},
		},
		Periods: periods,
		Subjects: []Subject{
			{ID: "fra", DomainCode: "FRA-RAC", Label: "Français"},
			{ID: "mat", DomainCode: "MAT-RAC", Label: "Mathématiques"},
			{ID: "eps", DomainCode: "EPS-RAC", Label: "Éducation physique et sportive"},
		},
		Teachers: []Teacher{
			{ID: "m1", Civility: "M", LastName: "HAMON", FirstName: "Louis"},
			{ID: "m2", Civility: "Mme", LastName: "IBERT", FirstName: "Nora"},
		},
		Elements: []ProgrammeElement{
			{ID: "ep1", Label: "Lire à voix haute un texte court"},
			{ID: "ep2", Label: "Calculer avec les nombres entiers"},
		},
		Directory: Directory{ONDEClassIDs: []string{"4021", "4022"}},
	}
	for i, s := range in.Students {
		teacher := "m1"
		if s.ClassID == "4022" {
			teacher = "m2"
		}
		for _, p := range periods[:1] {
			in.Periodic = append(in.Periodic, PeriodicReport{
				StudentID: s.ID, PeriodID: p.ID, State: Closed,
				ClosedAt: at(2026, 2, 2, 16, 45),
				Subjects: []SubjectResult{
					{SubjectID: "fra", ElementIDs: []string{"ep1"}, Positioning: 1 + i%4, Appreciation: "Lecture fluide.",
						SubDomains: []SubDomainResult{{Code: "FRA-LEC", Positioning: 3, ElementIDs: []string{"ep1"}}, {Code: "FRA-ECR", Positioning: 2}}},
					{SubjectID: "mat", ElementIDs: []string{"ep2"}, Positioning: 2 + i%3, Appreciation: "Calcul mental à consolider."},
					{SubjectID: "eps", NotEvaluated: true},
				},
				GeneralAppreciation: s.FirstName + " est une élève investie.",
				Support:             []SupportMeasure{{Code: "RASED"}},
				HeadTeacherIDs:      []string{teacher},
			})
		}
	}
	in.Cycles = []CycleReport{{StudentID: "p1", Cycle: 2, Year: 2025, State: Closed, ClosedAt: at(2026, 6, 25, 9, 0),
		Socle: socle(0), Synthesis: "Cycle 2 validé.", HeadTeacherIDs: []string{"m1"}}}
	return in
}

// requireXmllint skips a test when xmllint is missing, unless CI requires
// it (SILLAGE_REQUIRE_XMLLINT=1).
func requireXmllint(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("SILLAGE_REQUIRE_XMLLINT") == "1" {
			tb.Fatalf("xmllint not found but SILLAGE_REQUIRE_XMLLINT=1: install libxml2-utils")
		}
		tb.Skip("xmllint not found (install libxml2-utils); XSD validation skipped")
	}
}

// haveXmllint reports whether xmllint can be run; when CI requires it
// (SILLAGE_REQUIRE_XMLLINT=1) its absence fails the test.
func haveXmllint(tb testing.TB) bool {
	tb.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("SILLAGE_REQUIRE_XMLLINT") == "1" {
			tb.Fatalf("xmllint not found but SILLAGE_REQUIRE_XMLLINT=1: install libxml2-utils")
		}
		return false
	}
	return true
}

// schema returns the official XSD of a version, read in place.
func schema(tb testing.TB, d Degree, version string) string {
	tb.Helper()
	p, err := SchemaFile(sharedref.Path(tb, "lsu"), d, version)
	if err != nil {
		tb.Fatalf("SchemaFile(%s, %s): %v", d, version, err)
	}
	return p
}
