package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestLSUProjects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		uai := a.uai
		lv := func(tx *store.Tx) store.Livret { return tx.Livret() }
		err := st.Write(ctx, func(tx *store.Tx) error {
			// Declarations: what LSU would refuse is refused here.
			for _, bad := range []sillage.LSUProject{
				{SchoolYear: a.year, Kind: "epi", Title: "Un", Theme: "EPI_SAN", Subjects: []string{"000000"}},
				{SchoolYear: a.year, Kind: "epi", Title: "Deux", Subjects: []string{"000000", "000001"}},
				{SchoolYear: a.year, Kind: "ap", Title: " ", Subjects: []string{"000000"}},
				{SchoolYear: a.year, Kind: "ap", Title: "AP"},
				{SchoolYear: a.year, Kind: "xx", Title: "X", Subjects: []string{"000000"}},
			} {
				if err := lv(tx).CreateProject(ctx, uai, &bad); sillage.KindOf(err) != sillage.KindInvalid {
					t.Errorf("CreateProject(%+v): %v, want invalid", bad, err)
				}
			}
			ap := sillage.LSUProject{SchoolYear: a.year, Kind: "ap", Title: "Méthodologie", Subjects: []string{"000000"}, UpdatedBy: a.teacher.ID}
			if err := lv(tx).CreateProject(ctx, uai, &ap); err != nil {
				return err
			}
			ap.Title, ap.Kind = "Méthodes", "epi" // the kind stays
			if err := lv(tx).UpdateProject(ctx, uai, ap); err != nil {
				return err
			}
			list, err := lv(tx).ListProjects(ctx, uai, a.year)
			if err != nil {
				return err
			}
			if len(list) != 2 || list[0].Kind != "epi" || list[1].Title != "Méthodes" || list[1].Kind != "ap" {
				t.Errorf("projects %+v", list)
			}

			// Groups: teachers of the establishment, disciplines of the project.
			bad := sillage.LSUProjectGroup{ProjectID: ap.ID, DivisionID: a.division.ID, PeriodID: a.period.ID, Title: "AP 1SN",
				Teachers: []sillage.TeacherSubject{{TeacherID: a.teacher.ID, SubjectCode: "999999"}}}
			if err := lv(tx).CreateProjectGroup(ctx, uai, &bad); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("group with a discipline out of the project: %v", err)
			}
			bad.Teachers = []sillage.TeacherSubject{{TeacherID: a.parent.ID, SubjectCode: "000000"}}
			if err := lv(tx).CreateProjectGroup(ctx, uai, &bad); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("group with a parent as teacher: %v", err)
			}
			g := sillage.LSUProjectGroup{ProjectID: ap.ID, DivisionID: a.division.ID, PeriodID: a.period.ID, Title: "AP 1SN", Comment: "Classe attentive",
				Teachers: []sillage.TeacherSubject{{TeacherID: a.teacher.ID, SubjectCode: "000000"}}}
			if err := lv(tx).CreateProjectGroup(ctx, uai, &g); err != nil {
				return err
			}
			dup := g
			if err := lv(tx).CreateProjectGroup(ctx, uai, &dup); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("second group of a division and period: %v", err)
			}
			got, err := lv(tx).GetProjectGroup(ctx, uai, g.ID)
			if err != nil {
				return err
			}
			if got.Comment != "Classe attentive" || len(got.Teachers) != 1 || got.Teachers[0] != g.Teachers[0] {
				t.Errorf("group %+v", got)
			}
			mine, err := lv(tx).ListProjectGroups(ctx, uai, sillage.ProjectGroupFilter{TeacherID: a.teacher.ID, DivisionID: a.division.ID})
			if err != nil {
				return err
			}
			if len(mine) != 2 {
				t.Errorf("teacher's groups: %d, want 2", len(mine))
			}
			if others, _ := lv(tx).ListProjectGroups(ctx, uai, sillage.ProjectGroupFilter{TeacherID: a.parent.ID}); len(others) != 0 {
				t.Errorf("groups of a non-member: %+v", others)
			}

			// Student lines: written in a draft, removed when emptied.
			if err := lv(tx).SetReportBlock(ctx, uai, sillage.ReportBlock{ReportID: a.lsuReport.ID, GroupID: g.ID, Text: "Progrès"}); err != nil {
				return err
			}
			if err := lv(tx).SetReportBlock(ctx, uai, sillage.ReportBlock{ReportID: a.lsuReport.ID, Parcours: "PAR_AVN", Text: "Stage"}); err != nil {
				return err
			}
			if err := lv(tx).SetReportBlock(ctx, uai, sillage.ReportBlock{ReportID: a.lsuReport.ID, GroupID: g.ID, Parcours: "PAR_AVN", Text: "x"}); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("a line for a group and a parcours at once: %v", err)
			}
			blocks, err := lv(tx).ListReportBlocks(ctx, uai, []int64{a.lsuReport.ID})
			if err != nil {
				return err
			}
			if len(blocks) != 3 {
				t.Fatalf("blocks %+v", blocks)
			}
			if err := lv(tx).SetReportBlock(ctx, uai, sillage.ReportBlock{ReportID: a.lsuReport.ID, Parcours: "PAR_AVN"}); err != nil {
				return err
			}
			// Class parcours: set, replaced, removed.
			for _, text := range []string{"Forum", "Forum des métiers"} {
				if err := lv(tx).SetClassParcours(ctx, uai, sillage.ClassParcours{DivisionID: a.division.ID, PeriodID: a.period.ID, Code: "PAR_AVN", Text: text}); err != nil {
					return err
				}
			}
			cps, err := lv(tx).ListClassParcours(ctx, uai, a.division.ID, a.period.ID)
			if err != nil {
				return err
			}
			if len(cps) != 2 || cps[0].Code != "PAR_AVN" || cps[0].Text != "Forum des métiers" {
				t.Errorf("class parcours %+v", cps)
			}
			if err := lv(tx).SetClassParcours(ctx, uai, sillage.ClassParcours{DivisionID: a.division.ID, PeriodID: a.period.ID, Code: "PAR_AVN"}); err != nil {
				return err
			}
			// A closed report is frozen: its lines cannot change, and the
			// groups it holds appreciations of cannot go.
			if err := lv(tx).SetPeriodicReportState(ctx, uai, a.lsuReport.ID, sillage.ReportClosed, a.teacher.ID); err != nil {
				return err
			}
			if err := lv(tx).SetReportBlock(ctx, uai, sillage.ReportBlock{ReportID: a.lsuReport.ID, GroupID: g.ID, Text: "Autre"}); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("line of a closed report: %v", err)
			}
			if err := lv(tx).DeleteProjectGroup(ctx, uai, g.ID); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("group held by a closed report deleted: %v", err)
			}
			if err := lv(tx).DeleteProject(ctx, uai, ap.ID); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("project held by a closed report deleted: %v", err)
			}
			// Nor can what it shows of them change; saving them unchanged
			// is no change.
			renamed := ap
			renamed.Title = "Autre titre"
			if err := lv(tx).UpdateProject(ctx, uai, renamed); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("project held by a closed report renamed: %v", err)
			}
			if err := lv(tx).UpdateProject(ctx, uai, ap); err != nil {
				t.Errorf("project held by a closed report saved unchanged: %v", err)
			}
			commented := g
			commented.Comment = "Nouveau commentaire"
			if err := lv(tx).UpdateProjectGroup(ctx, uai, commented); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("group held by a closed report changed: %v", err)
			}
			if err := lv(tx).SetPeriodicReportState(ctx, uai, a.lsuReport.ID, sillage.ReportDraft, a.teacher.ID); err != nil {
				return err
			}
			if err := lv(tx).DeleteProject(ctx, uai, ap.ID); err != nil {
				return err
			}
			if _, err := lv(tx).GetProjectGroup(ctx, uai, g.ID); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("the project's group survived it: %v", err)
			}
			blocks, err = lv(tx).ListReportBlocks(ctx, uai, []int64{a.lsuReport.ID})
			if err != nil {
				return err
			}
			if len(blocks) != 1 || blocks[0].GroupID != a.lsuGroup.ID {
				t.Errorf("blocks after deleting the project: %+v", blocks)
			}
			// A local theme an EPI uses stays.
			if err := lv(tx).DeleteEPITheme(ctx, uai, "LOC_A"); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("theme of an EPI deleted: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The changeover deleting the period (its step 3, after the
		// reports' PDFs are archived) takes the groups, the class parcours
		// and the report lines with it.
		if _, err := st.SQLDB().Exec(fmt.Sprintf(`DELETE FROM periods WHERE uai = '%s' AND id = %d`, uai, a.period.ID)); err != nil {
			t.Fatal(err)
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			gs, err := lv(tx).ListProjectGroups(ctx, uai, sillage.ProjectGroupFilter{})
			if err != nil {
				return err
			}
			bs, err := lv(tx).ListReportBlocks(ctx, uai, nil)
			if err != nil {
				return err
			}
			cps, err := lv(tx).ListClassParcours(ctx, uai, 0, 0)
			if err != nil {
				return err
			}
			if len(gs)+len(bs)+len(cps) != 0 {
				t.Errorf("after the period: %d groups, %d lines, %d class parcours", len(gs), len(bs), len(cps))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
