package acquisition

import (
	"cmp"
	"math"
	"slices"

	"github.com/sillage/sillage"
)

// Point is one result on the way to a state: when it was given and its
// value on the scale.
type Point struct {
	Date         sillage.Date
	EvaluationID int64
	Value        string
}

// Score is a state of acquisition.
type Score struct {
	Count  int     // results on the scale's evaluated levels in the span
	Used   int     // results the method took into account
	Points float64 // 0–4, the scale's points
	Level  sillage.ScaleLevel
}

// Valid reports whether there was anything to compute from.
func (s Score) Valid() bool { return s.Used > 0 }

// Evaluated returns the points of the results that count: the codes on the
// scale with points (ABS, DISP and codes no longer on the scale are left
// out), oldest first.
func Evaluated(sc sillage.Scale, pts []Point) []float64 {
	sorted := slices.Clone(pts)
	slices.SortStableFunc(sorted, func(a, b Point) int {
		if c := cmp.Compare(dayOf(a.Date), dayOf(b.Date)); c != 0 {
			return c
		}
		return cmp.Compare(a.EvaluationID, b.EvaluationID)
	})
	var out []float64
	for _, p := range sorted {
		if l, ok := sc.Level(p.Value); ok && l.Points >= 0 {
			out = append(out, float64(l.Points))
		}
	}
	return out
}

// Compute is the state of one competence from its results.
func Compute(m Method, sc sillage.Scale, pts []Point) Score {
	return combine(m, sc, Evaluated(sc, pts))
}

func combine(m Method, sc sillage.Scale, vals []float64) Score {
	s := Score{Count: len(vals)}
	if len(vals) == 0 {
		return s
	}
	n := m.N
	if m.Kind == Last || n < 1 {
		n = 1
	}
	last := vals[max(0, len(vals)-n):]
	s.Used = len(last)
	var sum, weights float64
	for i, v := range last {
		w := 1.0
		if m.Kind == Weighted {
			w = float64(i + 1) // the oldest kept weighs 1, the newest len(last)
		}
		sum += w * v
		weights += w
	}
	s.Points = sum / weights
	s.Level = LevelOf(sc, s.Points)
	return s
}

// Aggregate is the state of a domain: the mean of its competences' points
// (each competence counts once, however many results it has).
func Aggregate(sc sillage.Scale, comps []Score) Score {
	var s Score
	var sum float64
	for _, c := range comps {
		if !c.Valid() {
			continue
		}
		s.Count += c.Count
		s.Used++
		sum += c.Points
	}
	if s.Used > 0 {
		s.Points = sum / float64(s.Used)
		s.Level = LevelOf(sc, s.Points)
	}
	return s
}

// LevelOf is the evaluated level of the scale nearest to points; halfway
// between two levels, the higher one.
func LevelOf(sc sillage.Scale, points float64) sillage.ScaleLevel {
	var best sillage.ScaleLevel
	bestD := math.Inf(1)
	for _, l := range sc {
		if l.Points < 0 {
			continue
		}
		d := math.Abs(float64(l.Points) - points)
		if d < bestD-1e-9 || math.Abs(d-bestD) <= 1e-9 && l.Points > best.Points {
			best, bestD = l, d
		}
	}
	return best
}

// dayOf orders dates without formatting them.
func dayOf(d sillage.Date) int { return (d.Year*13+int(d.Month))*32 + d.Day }
