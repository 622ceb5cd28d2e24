package acquisition

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
)

func pts(vals ...string) []Point {
	out := make([]Point, len(vals))
	for i, v := range vals {
		out[i] = Point{Date: sillage.NewDate(2025, time.September, 1+i), EvaluationID: int64(i + 1), Value: v}
	}
	return out
}

func TestCompute(t *testing.T) {
	sc := sillage.DefaultScale()
	last, mean3, w3 := Method{Kind: Last, N: 1}, Method{Kind: Mean, N: 3}, Method{Kind: Weighted, N: 3}
	for _, tc := range []struct {
		name        string
		m           Method
		in          []Point
		count, used int
		points      float64
		level       string
	}{
		{"no result", last, nil, 0, 0, 0, ""},
		{"no result, mean", mean3, nil, 0, 0, 0, ""},
		{"only absent and exempt", w3, pts("ABS", "DISP"), 0, 0, 0, ""},
		{"a code no longer on the scale", mean3, pts("X", "4"), 1, 1, 4, "4"},
		{"one result, last", last, pts("2"), 1, 1, 2, "2"},
		{"one result, mean", mean3, pts("2"), 1, 1, 2, "2"},
		{"one result, weighted", w3, pts("3"), 1, 1, 3, "3"},
		{"last takes the newest", last, pts("4", "1"), 2, 1, 1, "1"},
		{"last skips a later absence", last, pts("3", "ABS"), 1, 1, 3, "3"},
		// (2+3+4)/3 = 3: the first result falls outside the last three.
		{"mean of the last three", mean3, pts("1", "2", "3", "4"), 4, 3, 3, "3"},
		// (1+4)/2 = 2.5: halfway, the higher level.
		{"mean halfway rounds up", mean3, pts("1", "ABS", "4"), 2, 2, 2.5, "3"},
		// (1·1 + 2·1 + 3·4)/6 = 15/6 = 2.5 → 3.
		{"weighted, the newest weighs most", w3, pts("1", "1", "4"), 3, 3, 2.5, "3"},
		// (1·4 + 2·1 + 3·1)/6 = 9/6 = 1.5 → 2.
		{"weighted, an old success weighs least", w3, pts("4", "1", "1"), 3, 3, 1.5, "2"},
		// last three of 1,4,4,1: (1·4 + 2·4 + 3·1)/6 = 15/6 = 2.5.
		{"weighted keeps the last N", w3, pts("1", "4", "4", "1"), 4, 3, 2.5, "3"},
		// (4·1 + 2·2)/3 = 8/3 ≈ 2.67 → 3.
		{"weighted with fewer than N", w3, pts("4", "2"), 2, 2, 8.0 / 3, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Compute(tc.m, sc, tc.in)
			if got.Count != tc.count || got.Used != tc.used || math.Abs(got.Points-tc.points) > 1e-9 || got.Level.Code != tc.level {
				t.Errorf("got count %d used %d points %.4f level %q; want %d %d %.4f %q",
					got.Count, got.Used, got.Points, got.Level.Code, tc.count, tc.used, tc.points, tc.level)
			}
			if got.Valid() != (tc.used > 0) {
				t.Errorf("Valid() = %v", got.Valid())
			}
		})
	}
}

func TestComputeOrdersByDate(t *testing.T) {
	sc := sillage.DefaultScale()
	in := []Point{
		{Date: sillage.NewDate(2026, time.March, 2), EvaluationID: 1, Value: "1"},
		{Date: sillage.NewDate(2025, time.October, 2), EvaluationID: 9, Value: "4"},
	}
	if got := Compute(Method{Kind: Last, N: 1}, sc, in); got.Level.Code != "1" {
		t.Errorf("last of results given out of order: %q, want the March one (1)", got.Level.Code)
	}
	same := []Point{{Date: sillage.NewDate(2026, time.March, 2), EvaluationID: 7, Value: "2"}, {Date: sillage.NewDate(2026, time.March, 2), EvaluationID: 3, Value: "4"}}
	if got := Compute(Method{Kind: Last, N: 1}, sc, same); got.Level.Code != "2" {
		t.Errorf("same date: %q, want the later evaluation's (2)", got.Level.Code)
	}
}

func TestAggregate(t *testing.T) {
	sc := sillage.DefaultScale()
	for _, tc := range []struct {
		name   string
		in     []Score
		used   int
		points float64
		level  string
	}{
		{"empty domain", nil, 0, 0, ""},
		{"competences without result are left out", []Score{{}, {Count: 2, Used: 2, Points: 3}}, 1, 3, "3"},
		// (1 + 2.5 + 4)/3 = 2.5 → 3.
		{"each competence once", []Score{{Count: 5, Used: 3, Points: 1}, {Count: 1, Used: 1, Points: 2.5}, {Count: 1, Used: 1, Points: 4}}, 3, 2.5, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Aggregate(sc, tc.in)
			if got.Used != tc.used || math.Abs(got.Points-tc.points) > 1e-9 || got.Level.Code != tc.level {
				t.Errorf("got used %d points %.3f level %q; want %d %.3f %q", got.Used, got.Points, got.Level.Code, tc.used, tc.points, tc.level)
			}
		})
	}
}

func TestLevelOfCustomScale(t *testing.T) {
	sc := sillage.Scale{{Code: "NA", Label: "Non acquis", Points: 0}, {Code: "EC", Label: "En cours", Points: 2}, {Code: "A", Label: "Acquis", Points: 4}, {Code: "ABS", Label: "Absent", Points: -1}}
	for _, tc := range []struct {
		points float64
		want   string
	}{{0, "NA"}, {0.9, "NA"}, {1, "EC"}, {2.9, "EC"}, {3, "A"}, {4, "A"}} {
		if got := LevelOf(sc, tc.points).Code; got != tc.want {
			t.Errorf("LevelOf(%v) = %q, want %q", tc.points, got, tc.want)
		}
	}
}

func TestParseMethod(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"last", "last", ""},
		{"mean:4", "mean:4", ""},
		{"weighted:12", "weighted:12", ""},
		{"weighted:1", "", "va de 2 à 12"},
		{"mean:13", "", "va de 2 à 12"},
		{"mean:x", "", "va de 2 à 12"},
		{"median:3", "", "méthode de calcul"},
	} {
		m, err := ParseMethod(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseMethod(%q): error %v, want one saying %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || m.String() != tc.want):
			t.Errorf("ParseMethod(%q) = %v, %v; want %s", tc.in, m, err, tc.want)
		}
	}
	if l := (Method{Kind: Weighted, N: 4}).Label(); !strings.Contains(l, "pondérée des 4 derniers") {
		t.Errorf("label %q", l)
	}
}
