package acquisition

import (
	"cmp"
	"slices"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/french"
)

// CompetenceState is one competence's state for one student.
type CompetenceState struct {
	Competence sillage.Competence
	Score
}

// DomainState is a domain's state and its competences'.
type DomainState struct {
	Name string
	Score
	Competences []CompetenceState
}

// ReferentialState is a referential's domains, in its order.
type ReferentialState struct {
	Referential sillage.Referential
	Domains     []DomainState
}

// Student is one student's acquisition over a span.
type Student struct {
	Student      sillage.Student
	Referentials []ReferentialState
	Results      int // results in the span, every code
	Transferred  int // of them, results received by transfer
	Progress     Progress
}

// Input is what the summaries are computed from: the referentials with
// their competences (in order) and the results of the span.
type Input struct {
	Method       Method
	Scale        sillage.Scale
	Referentials []sillage.Referential
	Results      []sillage.DatedResult // oldest first
}

// pointsBy groups results by student and competence.
func pointsBy(rs []sillage.DatedResult) map[int64]map[int64][]Point {
	out := map[int64]map[int64][]Point{}
	for _, r := range rs {
		m := out[r.StudentID]
		if m == nil {
			m = map[int64][]Point{}
			out[r.StudentID] = m
		}
		m[r.CompetenceID] = append(m[r.CompetenceID], Point{Date: r.Date, EvaluationID: r.EvaluationID, Value: r.Value})
	}
	return out
}

// states computes a student's referentials from their results per
// competence: only the competences with a result appear.
func states(in *Input, byComp map[int64][]Point) []ReferentialState {
	var out []ReferentialState
	for _, ref := range in.Referentials {
		rs := ReferentialState{Referential: ref}
		for _, c := range ref.Competences {
			pts, ok := byComp[c.ID]
			if !ok {
				continue
			}
			if n := len(rs.Domains); n == 0 || rs.Domains[n-1].Name != c.Domain {
				rs.Domains = append(rs.Domains, DomainState{Name: c.Domain})
			}
			d := &rs.Domains[len(rs.Domains)-1]
			d.Competences = append(d.Competences, CompetenceState{Competence: c, Score: Compute(in.Method, in.Scale, pts)})
		}
		for i := range rs.Domains {
			d := &rs.Domains[i]
			scores := make([]Score, len(d.Competences))
			for j, c := range d.Competences {
				scores[j] = c.Score
			}
			d.Score = Aggregate(in.Scale, scores)
			// Count is the domain's results, also those the method left out.
			d.Score.Count = 0
			for _, c := range d.Competences {
				d.Score.Count += c.Count
			}
		}
		if len(rs.Domains) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// Summarise computes one student's acquisition.
func Summarise(in *Input, st sillage.Student) *Student {
	var mine []sillage.DatedResult
	out := &Student{Student: st}
	for _, r := range in.Results {
		if r.StudentID != st.ID {
			continue
		}
		mine = append(mine, r)
		out.Results++
		if r.OriginUAI != "" {
			out.Transferred++
		}
	}
	out.Referentials = states(in, pointsBy(mine)[st.ID])
	out.Progress = progress(in, mine)
	return out
}

// Column is a competence of the class table.
type Column struct {
	Competence  sillage.Competence
	Referential string
	// Distribution counts the students per level code of the scale
	// (evaluated levels only); Missing those without a result.
	Distribution map[string]int
	Missing      int
}

// Row is a student's line of the class table, a cell per column.
type Row struct {
	Student sillage.Student
	Cells   []Score
}

// Class is the students × competences synthesis of a class.
type Class struct {
	Columns []Column
	Rows    []Row
	Sort    string // "eleve" or "c<competence id>"
}

// Synthesise computes the class table of the students (in the order
// given) over the competences with at least one result, in the
// referentials' order, then sorts it.
func Synthesise(in *Input, students []sillage.Student, sortKey string) (*Class, error) {
	by := pointsBy(in.Results)
	used := map[int64]bool{}
	for _, st := range students {
		for id := range by[st.ID] {
			used[id] = true
		}
	}
	c := &Class{Sort: "eleve"}
	for _, ref := range in.Referentials {
		for _, comp := range ref.Competences {
			if used[comp.ID] {
				c.Columns = append(c.Columns, Column{Competence: comp, Referential: ref.Label, Distribution: map[string]int{}})
			}
		}
	}
	for _, st := range students {
		row := Row{Student: st, Cells: make([]Score, len(c.Columns))}
		for j, col := range c.Columns {
			pts, ok := by[st.ID][col.Competence.ID]
			if ok {
				row.Cells[j] = Compute(in.Method, in.Scale, pts)
			}
			if row.Cells[j].Valid() {
				c.Columns[j].Distribution[row.Cells[j].Level.Code]++
			} else {
				c.Columns[j].Missing++
			}
		}
		c.Rows = append(c.Rows, row)
	}
	return c, c.sortBy(sortKey)
}

// sortBy orders the rows: by name in French order ("eleve", ""), or by a
// competence column, the most advanced first, students without a result
// last, names breaking ties.
func (c *Class) sortBy(key string) error {
	french.SortFunc(c.Rows, func(r Row) []string { return []string{r.Student.LastName, r.Student.FirstName} })
	if key == "" || key == "eleve" {
		return nil
	}
	col := slices.IndexFunc(c.Columns, func(col Column) bool { return "c"+itoa(col.Competence.ID) == key })
	if col < 0 {
		return sillage.Errorf(sillage.KindInvalid, "tri %q inconnu : par élève ou par une compétence du tableau", key)
	}
	c.Sort = key
	slices.SortStableFunc(c.Rows, func(a, b Row) int {
		x, y := a.Cells[col], b.Cells[col]
		if x.Valid() != y.Valid() {
			if x.Valid() {
				return -1
			}
			return 1
		}
		return cmp.Compare(y.Points, x.Points)
	})
	return nil
}
