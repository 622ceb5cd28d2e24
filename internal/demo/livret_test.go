package demo_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/onde"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// The demo has a collège and an école with their Livret Scolaire filled for
// the trimesters already over, demo accounts for their director and a
// teacher, and nothing blocks their LSU export.
func TestDemoLivret(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		clock.T = now
		o := demo.DefaultOptions(now)
		o.Establishments, o.Students, o.DemoPassword = 1, 30, "demo-test"
		res := generate(t, st, o)
		ctx := context.Background()
		kinds := map[sillage.EstablishmentKind]sillage.UAI{}
		for _, e := range res.Establishments {
			kinds[e.Kind] = e.UAI
		}
		college, ecole := kinds[sillage.KindCollege], kinds[sillage.KindEcole]
		if college == "" || ecole == "" || len(res.ONDE) != 1 || res.ONDE[0].UAI != ecole {
			t.Fatalf("establishments %+v, ONDE files %d", res.Establishments, len(res.ONDE))
		}
		accs, err := demo.Accounts(ctx, st, o)
		if err != nil {
			t.Fatal(err)
		}
		roles := map[string]int{}
		for _, a := range accs {
			if a.Establishment != "" {
				roles[a.Role]++
			}
		}
		// An administrator and a director per lycée, a director per livret
		// school; a teacher in the first lycée and in each livret school.
		if roles[sillage.RoleDirector.Label()] != 3 || roles[sillage.RoleTeacher.Label()] != 3 {
			t.Errorf("demo accounts by role: %v", roles)
		}
		pupils, err := onde.ReadPupils(bytes.NewReader(res.ONDE[0].CSV))
		if err != nil {
			t.Fatal(err)
		}
		for _, uai := range []sillage.UAI{college, ecole} {
			err := st.Read(ctx, func(tx *store.Tx) error {
				periods, err := tx.Periods().ListPeriods(ctx, uai, sillage.SchoolYearOf(now))
				if err != nil {
					return err
				}
				// 2 February: the first trimester is over, the second is not.
				reports, err := tx.Livret().ListPeriodicReports(ctx, uai, sillage.ReportFilter{PeriodIDs: []int64{periods[0].ID}})
				if err != nil {
					return err
				}
				if len(reports) == 0 || !reports[0].Closed() {
					t.Errorf("%s: %d reports for the first trimester", uai, len(reports))
				}
				opts := livret.LoadOptions{Now: now}
				if uai == ecole {
					opts.ONDE = pupils
				}
				loaded, err := livret.Load(ctx, tx, uai, livret.Selection{PeriodIDs: []int64{periods[0].ID}}, opts)
				if err != nil {
					return err
				}
				if uai == college && (len(loaded.Input.Projects.Items) != 2 || len(loaded.Input.Projects.Parcours) != 2) {
					t.Errorf("the collège's export lacks its EPI, AP or parcours: %+v", loaded.Input.Projects)
				}
				plan, rep := lsu.Collect(loaded.Input)
				if rep.FileBlocked || rep.Counts.Blocking > 0 {
					t.Errorf("%s: the LSU export is blocked: %+v", uai, rep.Filter(lsu.Blocking))
				}
				// The blocks around the subjects are filled.
				guardians, socle, homework := 0, 0, 0
				for _, s := range plan.Students {
					guardians += len(s.Guardians)
				}
				for _, r := range plan.Periodic {
					socle += min(len(r.Socle), 1)
					homework += min(len(r.HomeworkDone), 1)
				}
				if guardians == 0 || socle == 0 || (uai == college) != (homework > 0 && len(plan.ClassSchoolLife) > 0) {
					t.Errorf("%s: %d guardians, %d socles of the term, %d devoirs faits, %d class comments", uai, guardians, socle, homework, len(plan.ClassSchoolLife))
				}
				// The collège's 6e has digital skills; the école has none.
				digital := 0
				for _, r := range plan.Periodic {
					if r.Digital != nil {
						digital++
					}
				}
				if (uai == college) != (digital > 0 && len(plan.DigitalCommons) > 0) {
					t.Errorf("%s: %d reports with digital skills, %d common appreciations", uai, digital, len(plan.DigitalCommons))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
