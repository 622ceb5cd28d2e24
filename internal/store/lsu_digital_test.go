package store_test

import (
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestLSUDigitalSkills(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		uai, b := a.uai, sillage.UAI("0010856A")
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: b, Name: "Collège B", Kind: sillage.KindCollege}); err != nil {
				return err
			}
			lv := tx.Livret()
			// Common appreciation: replaced, listed per period, removed when emptied.
			for _, c := range []string{"Salle informatique", "Programmation par blocs"} {
				if err := lv.SetClassDigitalSkills(ctx, uai, sillage.ClassDigitalSkills{PeriodID: a.period.ID, DivisionID: a.division.ID, Comment: c, UpdatedBy: a.teacher.ID}); err != nil {
					return err
				}
			}
			got, err := lv.ListClassDigitalSkills(ctx, uai, []int64{a.period.ID})
			if err != nil {
				return err
			}
			if len(got) != 1 || got[0].Comment != "Programmation par blocs" || got[0].DivisionID != a.division.ID || got[0].UpdatedBy != a.teacher.ID ||
				got[0].UAI != uai || !got[0].UpdatedAt.Equal(tx.Now()) {
				t.Fatalf("common appreciations: %+v", got)
			}
			if other, err := lv.ListClassDigitalSkills(ctx, uai, []int64{a.period.ID + 1000}); err != nil || len(other) != 0 {
				t.Errorf("another period: %+v, %v", other, err)
			}
			// Through another establishment, A's period and division are not
			// found and A's appreciation is not listed.
			if err := lv.SetClassDigitalSkills(ctx, b, sillage.ClassDigitalSkills{PeriodID: a.period.ID, DivisionID: a.division.ID, Comment: "x"}); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("common appreciation on another establishment's period: %v", err)
			}
			if other, err := lv.ListClassDigitalSkills(ctx, b, nil); err != nil || len(other) != 0 {
				t.Errorf("A's appreciations through B: %+v, %v", other, err)
			}
			if err := lv.SetClassDigitalSkills(ctx, uai, sillage.ClassDigitalSkills{PeriodID: a.period.ID, DivisionID: a.division.ID, Comment: "  "}); err != nil {
				return err
			}
			if got, err := lv.ListClassDigitalSkills(ctx, uai, nil); err != nil || len(got) != 0 {
				t.Fatalf("after removal: %+v, %v", got, err)
			}

			// A report's skills: read back set-based; unknown skills and
			// levels out of 1–3 are not kept; cleared ones are left out.
			d := sillage.DigitalSkills{ReportID: a.lsuReport.ID, Appreciation: " Autonome ",
				Levels: map[string]int{"CN_INF_MEN": 3, "CN_ENV_EVO": 1, "CN_XXX": 2, "CN_CRE_PRO": 4}}
			if err := lv.SetDigitalSkills(ctx, uai, d, a.teacher.ID); err != nil {
				return err
			}
			skills, err := lv.ListDigitalSkills(ctx, uai, []int64{a.lsuReport.ID, a.lsuReport.ID + 1000})
			if err != nil {
				return err
			}
			x := skills[a.lsuReport.ID]
			if len(skills) != 1 || x.Appreciation != "Autonome" || len(x.Levels) != 2 || x.Levels["CN_INF_MEN"] != 3 || x.Levels["CN_ENV_EVO"] != 1 {
				t.Fatalf("skills: %+v", skills)
			}
			if other, err := lv.ListDigitalSkills(ctx, b, nil); err != nil || len(other) != 0 {
				t.Errorf("A's skills through B: %+v, %v", other, err)
			}
			if err := lv.SetDigitalSkills(ctx, b, sillage.DigitalSkills{ReportID: a.lsuReport.ID, Appreciation: "x"}, 0); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("skills of another establishment's report: %v", err)
			}
			if all, err := lv.ListDigitalSkills(ctx, uai, nil); err != nil || len(all) != 1 {
				t.Errorf("all reports: %+v, %v", all, err)
			}
			if err := lv.SetDigitalSkills(ctx, uai, sillage.DigitalSkills{ReportID: a.lsuReport.ID}, 0); err != nil {
				return err
			}
			if skills, err := lv.ListDigitalSkills(ctx, uai, nil); err != nil || len(skills) != 0 {
				t.Fatalf("after clearing: %+v, %v", skills, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
