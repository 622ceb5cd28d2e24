package lsu

import "slices"

// Plan is what Collect keeps of an Input: the exportable students and
// reports, with every fix applied and every reference resolved to the
// plan's own lists. Generate writes it; Split cuts it. A Plan built by hand
// is checked again by Generate, which refuses what the schema would.
type Plan struct {
	Target Target // the version is always set
	Part   string // set by Split: "division 3A", "niveau 6"…

	Editor, Application, AppVersion string
	UAI                             string

	Heads    []Head
	Students []Student // in file order
	Periods  []Period
	Subjects []Subject // one per (code, modality) in 2D, per domain in 1D
	Teachers []Teacher
	Elements []ProgrammeElement
	Periodic []PeriodicReport // in file order
	Cycles   []CycleReport    // in file order
	Projects Projects         // EPI, AP and class parcours; Generate writes those the reports use

	ClassSchoolLife []ClassSchoolLife // sorted by period and division
	DigitalCommons  []DigitalCommon   // sorted by period and division
}

// Empty reports whether the plan holds no report to write.
func (p *Plan) Empty() bool { return p == nil || len(p.Periodic)+len(p.Cycles) == 0 }

// SplitBy is how a large establishment's export is cut into files.
type SplitBy int

const (
	ByDivision SplitBy = iota // one file per division (2D) or class (1D)
	ByLevel                   // one file per level
)

// Split returns one plan per division, class or level, in name order, each
// complete on its own. LSU advises smaller files for large establishments
// (bulk imports may fail with "élève non inscrit").
func Split(p *Plan, by SplitBy) []*Plan {
	if p.Empty() {
		return nil
	}
	keyOf := func(s Student) (key, label string) {
		switch {
		case by == ByLevel && s.Level == "":
			return "", "sans niveau"
		case by == ByLevel:
			return s.Level, "niveau " + s.Level
		case p.Target.Degree == FirstDegree:
			return s.ClassID, "classe " + s.ClassLabel
		default:
			return s.Division, "division " + s.Division
		}
	}
	groups := map[string]*Plan{}
	groupOf := map[string]string{} // student id → key
	for _, s := range p.Students {
		key, label := keyOf(s)
		groupOf[s.ID] = key
		g, ok := groups[key]
		if !ok {
			g = &Plan{
				Target: p.Target, Part: label,
				Editor: p.Editor, Application: p.Application, AppVersion: p.AppVersion, UAI: p.UAI,
				Heads: p.Heads, Periods: p.Periods, Subjects: p.Subjects, Teachers: p.Teachers, Elements: p.Elements,
				Projects: p.Projects,
			}
			groups[key] = g
		}
		g.Students = append(g.Students, s)
	}
	for _, r := range p.Periodic {
		if g, ok := groups[groupOf[r.StudentID]]; ok {
			g.Periodic = append(g.Periodic, r)
		}
	}
	for _, r := range p.Cycles {
		if g, ok := groups[groupOf[r.StudentID]]; ok {
			g.Cycles = append(g.Cycles, r)
		}
	}
	// Generate writes only the class comments and common appreciations of
	// the divisions a part holds.
	for _, g := range groups {
		g.ClassSchoolLife = p.ClassSchoolLife
		g.DigitalCommons = p.DigitalCommons
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*Plan, 0, len(keys))
	for _, k := range keys {
		if g := groups[k]; !g.Empty() {
			out = append(out, g)
		}
	}
	return out
}
