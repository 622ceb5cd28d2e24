package livret

import (
	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
)

// loadFamily adds to the input the blocks around the subjects: each
// report's "devoirs faits" and socle of the term, the class-level
// school-life comments of the involved divisions, and the students' legal
// guardians with their addresses. Three set-based reads, whatever the
// number of students.
func (l *loader) loadFamily(in *lsu.Input, reports []sillage.PeriodicReport, periods []sillage.Period, selected []sillage.Student, divisions map[int64]sillage.Division) error {
	reportIDs, at := periodicIndex(in, reports)
	if len(reportIDs) > 0 {
		extras, err := l.tx.Livret().ListPeriodicExtras(l.ctx, l.uai, reportIDs)
		if err != nil {
			return err
		}
		for id, e := range extras {
			if i, ok := at[id]; ok {
				in.Periodic[i].HomeworkDone, in.Periodic[i].Socle = e.HomeworkDone, e.Socle
			}
		}
	}

	if len(periods) > 0 && l.degree == lsu.SecondDegree {
		periodIDs := make([]int64, len(periods))
		for i, p := range periods {
			periodIDs[i] = p.ID
		}
		comments, err := l.tx.Livret().ListClassSchoolLife(l.ctx, l.uai, periodIDs)
		if err != nil {
			return err
		}
		involved := map[int64]bool{}
		for _, s := range selected {
			involved[s.DivisionID] = true
		}
		for _, c := range comments {
			if d, ok := divisions[c.DivisionID]; ok && involved[c.DivisionID] {
				in.ClassSchoolLife = append(in.ClassSchoolLife, lsu.ClassSchoolLife{PeriodID: idStr("P", c.PeriodID), Division: d.Code, Comment: c.Comment})
			}
		}
	}

	if len(selected) == 0 {
		return nil
	}
	ids := make([]int64, len(selected))
	for i, s := range selected {
		ids[i] = s.ID
	}
	contacts, err := l.tx.People().ListGuardianContacts(l.ctx, l.uai, ids)
	if err != nil {
		return err
	}
	byStudent := map[string][]lsu.Guardian{}
	for _, c := range contacts {
		g := lsu.Guardian{Civility: c.Civility, LastName: c.LastName, FirstName: c.FirstName, Denomination: c.Denomination, Rank: c.Rank, Relation: c.Relation}
		if !c.Address.IsZero() {
			a := &lsu.Address{PostalCode: c.Address.PostalCode, Town: c.Address.Town}
			copy(a.Lines[:], c.Address.Lines)
			g.Address = a
		}
		key := idStr("S", c.StudentID)
		byStudent[key] = append(byStudent[key], g)
	}
	for i := range in.Students {
		in.Students[i].Guardians = byStudent[in.Students[i].ID]
	}
	return nil
}

// periodicIndex returns the IDs of the stored periodic reports the export
// carries, and the place of each in in.Periodic, by report ID.
func periodicIndex(in *lsu.Input, reports []sillage.PeriodicReport) ([]int64, map[int64]int) {
	index := make(map[string]int, len(in.Periodic))
	for i, r := range in.Periodic {
		index[r.StudentID+"/"+r.PeriodID] = i
	}
	var ids []int64
	at := make(map[int64]int, len(in.Periodic))
	for _, r := range reports {
		if i, ok := index[idStr("S", r.StudentID)+"/"+idStr("P", r.PeriodID)]; ok {
			ids = append(ids, r.ID)
			at[r.ID] = i
		}
	}
	return ids, at
}
