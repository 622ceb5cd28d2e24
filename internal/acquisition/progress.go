package acquisition

import (
	"slices"
	"strconv"
	"time"

	"github.com/sillage/sillage"
)

// Month is one step of a progress chart.
type Month struct {
	Year  int
	Month time.Month
}

// Label is "janv. 2026".
func (m Month) Label() string { return monthAbbr[m.Month-1] + " " + strconv.Itoa(m.Year) }

// end is the month's last day.
func (m Month) end() sillage.Date {
	t := time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	return sillage.NewDate(t.Year(), t.Month(), t.Day())
}

var monthAbbr = [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// Series is one domain's state at the end of each month: the results given
// until then within the span, by the establishment's method.
type Series struct {
	Name   string
	Scores []Score // one per month; invalid before the domain's first result
}

// Progress is a student's progress per domain, month by month.
type Progress struct {
	Months []Month
	Series []Series
}

// MaxMonths bounds a chart: the last four school years at most.
const MaxMonths = 48

// progress computes the months from the first result to the last one.
func progress(in *Input, mine []sillage.DatedResult) Progress {
	var p Progress
	if len(mine) == 0 {
		return p
	}
	first, last := mine[0].Date, mine[0].Date
	for _, r := range mine {
		if r.Date.Before(first) {
			first = r.Date
		}
		if r.Date.After(last) {
			last = r.Date
		}
	}
	for m := (Month{first.Year, first.Month}); !(m.Year > last.Year || m.Year == last.Year && m.Month > last.Month); {
		p.Months = append(p.Months, m)
		if m.Month == time.December {
			m = Month{m.Year + 1, time.January}
		} else {
			m.Month++
		}
	}
	if len(p.Months) > MaxMonths {
		p.Months = p.Months[len(p.Months)-MaxMonths:]
	}
	index := map[string]int{}
	several := len(in.Referentials) > 1
	for i, m := range p.Months {
		end := m.end()
		var upTo []sillage.DatedResult
		for _, r := range mine {
			if !r.Date.After(end) {
				upTo = append(upTo, r)
			}
		}
		var byComp map[int64][]Point
		if len(upTo) > 0 {
			byComp = pointsBy(upTo)[upTo[0].StudentID]
		}
		for _, rs := range states(in, byComp) {
			for _, d := range rs.Domains {
				name := d.Name
				if several {
					name = rs.Referential.Label + " — " + d.Name
				}
				k, ok := index[name]
				if !ok {
					k = len(p.Series)
					index[name] = k
					p.Series = append(p.Series, Series{Name: name, Scores: make([]Score, len(p.Months))})
				}
				p.Series[k].Scores[i] = d.Score
			}
		}
	}
	// A domain with only absences or exemptions draws nothing.
	p.Series = slices.DeleteFunc(p.Series, func(s Series) bool { return !slices.ContainsFunc(s.Scores, Score.Valid) })
	return p
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
