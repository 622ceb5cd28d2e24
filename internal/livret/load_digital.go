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
	index := make(map[string]int, len(in.Periodic))
	for i, r := range in.Periodic {
		index[r.StudentID+"/"+r.PeriodID] = i
	}
	var reportIDs []int64
	for _, r := range reports {
		if _, ok := index[idStr("S", r.StudentID)+"/"+idStr("P", r.PeriodID)]; ok {
			reportIDs = append(reportIDs, r.ID)
		}
	}
	if len(reportIDs) > 0 {
		skills, err := l.tx.Livret().ListDigitalSkills(l.ctx, l.uai, reportIDs)
		if err != nil {
			return err
		}
		for _, r := range reports {
			s, ok := skills[r.ID]
			if !ok {
				continue
			}
			if i, ok := index[idStr("S", r.StudentID)+"/"+idStr("P", r.PeriodID)]; ok {
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
