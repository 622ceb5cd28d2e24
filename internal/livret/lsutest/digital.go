package lsutest

import (
	"context"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// AddDigital fills, deterministically, the digital skills of cycle 3 of a
// built collège: for every student of a 6e division and every period, a
// level on six to ten of the 16 skills (one student out of five has
// none), an appreciation one report out of two, and the class's common
// appreciation. An école gets nothing: its LSU schema has no such block.
func AddDigital(ctx context.Context, st *store.Store, f *Fixture) error {
	return st.Write(ctx, func(tx *store.Tx) error {
		est, err := tx.Establishments().GetEstablishment(ctx, f.UAI)
		if err != nil {
			return err
		}
		if est.Kind == sillage.KindEcole {
			return nil
		}
		sixth := map[int64]bool{}
		for _, d := range f.Divisions {
			if strings.HasPrefix(d.Code, "6") {
				sixth[d.ID] = true
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
		division := map[int64]int64{}
		for _, s := range f.Students {
			division[s.ID] = s.DivisionID
		}
		apps := []string{"Utilise le traitement de texte avec aisance ; doit apprendre à citer ses sources.",
			"Sait rechercher une information et la vérifier ; attention aux mots de passe partagés."}
		n := 0
		for _, r := range reports {
			if !sixth[division[r.StudentID]] {
				continue
			}
			n++
			if n%5 == 0 {
				continue // nothing positioned: the export warns
			}
			d := sillage.DigitalSkills{ReportID: r.ID, Levels: map[string]int{}}
			for i, code := range sillage.DigitalSkillCodes {
				if (i+n)%16 < 6+n%5 {
					d.Levels[code] = 1 + (i+n)%3
				}
			}
			if n%2 == 1 {
				d.Appreciation = apps[(n/2)%len(apps)]
			}
			if err := tx.Livret().SetDigitalSkills(ctx, f.UAI, d, f.Director.ID); err != nil {
				return err
			}
		}
		commons := []string{"Séances en salle informatique : recherche documentaire et traitement de texte.",
			"Initiation à la programmation par blocs et usage raisonné de l'ENT."}
		for i, d := range f.Divisions {
			if !sixth[d.ID] {
				continue
			}
			for j, p := range f.Periods {
				c := sillage.ClassDigitalSkills{PeriodID: p.ID, DivisionID: d.ID, Comment: commons[(i+j)%len(commons)], UpdatedBy: f.Director.ID}
				if err := tx.Livret().SetClassDigitalSkills(ctx, f.UAI, c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
