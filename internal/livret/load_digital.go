package livret

import (
	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
)

// loadDigital adds to the input the digital skills of cycle 3 (2nd degree
// only: the 1st degree's schema has none): each report's levels and
// appreciation, and the common appreciations of the involved divisions.
// Two set-based reads, whatever the number of students.
func (l *loader) loadDigital(in *lsu.Input, reports []sillage.PeriodicReport, periods []sillage.Period, selected []sillage.Student, divisions map[int64]sillage.Division) error {
	if l.degree != lsu.SecondDegree {
		return nil
	}
	reportIDs, at := periodicIndex(in, reports)
	if len(reportIDs) > 0 {
		skills, err := l.tx.Livret().ListDigitalSkills(l.ctx, l.uai, reportIDs)
		if err != nil {
			return err
		}
		for id, s := range skills {
			if i, ok := at[id]; ok {
				in.Periodic[i].Digital = &lsu.DigitalSkills{Appreciation: s.Appreciation, Levels: s.Levels}
			}
		}
	}
	if len(periods) == 0 {
		return nil
	}
	periodIDs := make([]int64, len(periods))
	for i, p := range periods {
		periodIDs[i] = p.ID
	}
	commons, err := l.tx.Livret().ListClassDigitalSkills(l.ctx, l.uai, periodIDs)
	if err != nil {
		return err
	}
	involved := map[int64]bool{}
	for _, s := range selected {
		involved[s.DivisionID] = true
	}
	for _, c := range commons {
		if d, ok := divisions[c.DivisionID]; ok && involved[c.DivisionID] {
			in.DigitalCommons = append(in.DigitalCommons, lsu.DigitalCommon{PeriodID: idStr("P", c.PeriodID), Division: d.Code, Comment: c.Comment})
		}
	}
	return nil
}
