package acquisition

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sillage/sillage"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after checking it in a browser)", name)
	}
}

// chartInput is a student with two domains over four months and a gap:
// Préparer starts in September, Réaliser in November.
func chartInput() (*Input, sillage.Student) {
	sc := sillage.DefaultScale()
	ref := sillage.Referential{ID: 1, Label: "Bac pro SN", Competences: []sillage.Competence{
		{ID: 11, Domain: "Préparer", Code: "C1", Label: "S'informer"}, {ID: 12, Domain: "Préparer", Code: "C2", Label: "Organiser"},
		{ID: 13, Domain: "Réaliser <câblage> & tests", Code: "C3", Label: "Installer"}}}
	st := sillage.Student{Person: sillage.Person{ID: 7, LastName: "Œuvray", FirstName: "Ana"}}
	r := func(day sillage.Date, eval, comp int64, v string) sillage.DatedResult {
		return sillage.DatedResult{StudentID: 7, CompetenceID: comp, EvaluationID: eval, Date: day, Value: v}
	}
	d := func(m time.Month, day int) sillage.Date { return sillage.NewDate(2025, m, day) }
	return &Input{Method: Method{Kind: Weighted, N: 3}, Scale: sc, Referentials: []sillage.Referential{ref}, Results: []sillage.DatedResult{
		r(d(9, 10), 1, 11, "1"), r(d(9, 10), 1, 12, "2"),
		r(d(10, 8), 2, 11, "2"), r(d(10, 8), 2, 12, "ABS"),
		r(d(11, 20), 3, 11, "3"), r(d(11, 20), 3, 13, "2"),
		r(d(12, 15), 4, 11, "4"), r(d(12, 15), 4, 12, "3"), r(d(12, 15), 4, 13, "4"),
	}}, st
}

func TestProgressValues(t *testing.T) {
	in, st := chartInput()
	p := Summarise(in, st).Progress
	if len(p.Months) != 4 || len(p.Series) != 2 {
		t.Fatalf("%d months, %d series", len(p.Months), len(p.Series))
	}
	// Préparer: Sept C1 1, C2 2 → 1.5 → 2; Oct C1 (1+2·2)/3 = 1.67, C2 2
	// → 1.83 → 2; Nov C1 (1+2·2+3·3)/6 = 2.33, C2 2 → 2.17 → 2; Dec C1
	// (2+2·3+3·4)/6 = 3.33, C2 (2+2·3)/3 = 2.67 → 3.
	// Réaliser: nothing until November (2), then (2+2·4)/3 = 3.33 → 3.
	want := [][]string{{"2", "2", "2", "3"}, {"", "", "2", "3"}}
	for k, s := range p.Series {
		for i, sc := range s.Scores {
			if sc.Level.Code != want[k][i] {
				t.Errorf("%s, %s: %q, want %q", s.Name, p.Months[i].Label(), sc.Level.Code, want[k][i])
			}
		}
	}
}

func TestChartsGolden(t *testing.T) {
	in, st := chartInput()
	s := Summarise(in, st)
	golden(t, "progress.svg", ProgressSVG(s.Progress, in.Scale, "progression", st.FullName()))
	c, err := Synthesise(in, []sillage.Student{st, {Person: sillage.Person{ID: 8, LastName: "Durand", FirstName: "Bob"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "distribution.svg", DistributionSVG(c.Columns, in.Scale, "repartition", "1SN"))
}
