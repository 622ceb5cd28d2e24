package lsutest

import (
	"context"
	"fmt"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// AddFamily fills, deterministically, the Livret's blocks around the
// subjects for a built fixture: two legal guardians per student, legal 1
// and legal 2 (the first with a postal address, the second with one every
// other student; one student in five has the Aide sociale à l'enfance, a
// legal person, as second guardian), each
// periodic report's devoirs faits (2nd degree, two reports out of three)
// and a socle of the term (one report out of two), and a class school-life
// comment for every division and period.
func AddFamily(ctx context.Context, st *store.Store, f *Fixture) error {
	return st.Write(ctx, func(tx *store.Tx) error {
		est, err := tx.Establishments().GetEstablishment(ctx, f.UAI)
		if err != nil {
			return err
		}
		ecole := est.Kind == sillage.KindEcole
		streets := []string{"rue des Lilas", "avenue de la Gare", "impasse du Moulin", "place du Marché", "chemin des Vignes"}
		towns := []struct{ code, town string }{{"86000", "POITIERS"}, {"86180", "BUXEROLLES"}, {"86360", "CHASSENEUIL-DU-POITOU"}}
		for i, s := range f.Students {
			for j, who := range []struct{ civ, last, first, rel string }{{"Mme", s.LastName, "Claire", "10"}, {"M.", s.LastName, "Julien", "20"}} {
				legalPerson := j == 1 && i%5 == 3
				if legalPerson {
					who.civ, who.last, who.first, who.rel = "", "AIDE SOCIALE À L'ENFANCE DE LA VIENNE", "", "51"
				}
				p := sillage.Person{Role: sillage.RoleParent, Civility: who.civ, LastName: who.last, FirstName: who.first, Source: sillage.SourceSIECLE,
					SIECLEID: fmt.Sprintf("R%d%d", s.ID, j)}
				if err := tx.People().CreatePerson(ctx, f.UAI, &p); err != nil {
					return err
				}
				if err := tx.People().LinkGuardian(ctx, f.UAI, sillage.Guardianship{ParentID: p.ID, StudentID: s.ID, Legal: true, Relation: who.rel, Rank: j + 1}); err != nil {
					return err
				}
				if legalPerson {
					d := sillage.GuardianDetails{Denomination: who.last,
						Address: sillage.PostalAddress{Lines: []string{"39 place Aristide Briand"}, PostalCode: "86000", Town: "POITIERS"}}
					if err := tx.People().SetGuardianDetails(ctx, f.UAI, p.ID, d); err != nil {
						return err
					}
					continue
				}
				if j == 1 && i%2 == 1 {
					continue // no address known
				}
				t := towns[(i+j)%len(towns)]
				a := sillage.PostalAddress{Lines: []string{fmt.Sprintf("%d %s", 1+(i*7+j*3)%40, streets[(i+j)%len(streets)])}, PostalCode: t.code, Town: t.town}
				if i%4 == 2 {
					a.Lines = append(a.Lines, "Bâtiment B, appartement 12")
				}
				if err := tx.People().SetPostalAddress(ctx, f.UAI, p.ID, a); err != nil {
					return err
				}
			}
		}
		var periodIDs []int64
		for _, p := range f.Periods {
			periodIDs = append(periodIDs, p.ID)
		}
		reports, err := tx.Livret().ListPeriodicReports(ctx, f.UAI, sillage.ReportFilter{PeriodIDs: periodIDs})
		if err != nil {
			return err
		}
		for i, r := range reports {
			e := sillage.PeriodicExtras{ReportID: r.ID}
			if !ecole && i%3 != 2 {
				e.HomeworkDone = []string{"Participe à « devoirs faits » deux fois par semaine ; travail sérieux.", "Présent à toutes les séances de devoirs faits."}[i%2]
			}
			if i%2 == 0 {
				e.Socle = map[string]int{"CPD_FRA": 1 + i%4, "MET_APP": 1 + (i+1)%4, "FRM_CIT": 1 + (i+2)%4}
			}
			if err := tx.Livret().SetPeriodicExtras(ctx, f.UAI, e, f.Director.ID); err != nil {
				return err
			}
		}
		if ecole {
			return nil
		}
		comments := []string{"Classe agréable et attentive ; quelques bavardages.", "Bonne dynamique de groupe, assiduité satisfaisante.",
			"Des retards répétés en début de période, en nette amélioration."}
		for i, d := range f.Divisions {
			for j, p := range f.Periods {
				c := sillage.ClassSchoolLife{PeriodID: p.ID, DivisionID: d.ID, Comment: comments[(i+j)%len(comments)], UpdatedBy: f.Director.ID}
				if err := tx.Livret().SetClassSchoolLife(ctx, f.UAI, c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
