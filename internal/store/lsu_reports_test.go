package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestLSUPeriodicReports(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		uai := a.uai
		err := st.Write(ctx, func(tx *store.Tx) error {
			// The populated report is found again, not duplicated.
			r, err := tx.Livret().UpsertPeriodicReport(ctx, uai, a.student.ID, a.period.ID, a.teacher.ID)
			if err != nil {
				return err
			}
			if r.ID != a.lsuReport.ID || r.State != sillage.ReportDraft {
				t.Fatalf("upsert returned %+v, want the existing draft %d", r, a.lsuReport.ID)
			}
			late, abs, unj := 2, 4, 6
			r.GeneralAppreciation, r.Late, r.Absences, r.Unjustified = "Bon trimestre", &late, &abs, &unj
			r.Support, r.CouncilDate = []string{"PAP", "PPRE"}, sillage.NewDate(2025, 11, 28)
			if err := tx.Livret().UpdatePeriodicReport(ctx, uai, r); err != nil {
				return err
			}
			got, err := tx.Livret().GetPeriodicReport(ctx, uai, r.ID)
			if err != nil {
				return err
			}
			if got.GeneralAppreciation != "Bon trimestre" || *got.Late != 2 || *got.Unjustified != 6 || got.MissedHours != nil ||
				strings.Join(got.Support, ",") != "PAP,PPRE" || got.CouncilDate != sillage.NewDate(2025, 11, 28) {
				t.Fatalf("report read back: %+v", got)
			}
			pos := sillage.SubjectResult{ReportID: r.ID, SubjectCode: "030201", Positioning: 3, Appreciation: "Progrès", TeacherID: a.teacher.ID}
			if err := tx.Livret().SetSubjectResult(ctx, uai, pos); err != nil {
				return err
			}
			for _, bad := range []sillage.SubjectResult{
				{ReportID: r.ID, SubjectCode: "030201", Positioning: 5},
				{ReportID: r.ID, SubjectCode: "030201", Average: new(2001)},
				{ReportID: r.ID, SubjectCode: "", Positioning: 1},
			} {
				if err := tx.Livret().SetSubjectResult(ctx, uai, bad); sillage.KindOf(err) != sillage.KindInvalid {
					t.Errorf("SetSubjectResult(%+v): %v, want invalid", bad, err)
				}
			}
			results, err := tx.Livret().ListSubjectResults(ctx, uai, []int64{r.ID})
			if err != nil {
				return err
			}
			if len(results) != 2 || results[0].SubjectCode != "000000" || *results[0].Average != 1450 || results[1].Positioning != 3 {
				t.Fatalf("results: %+v", results)
			}
			// An empty line removes the subject.
			if err := tx.Livret().SetSubjectResult(ctx, uai, sillage.SubjectResult{ReportID: r.ID, SubjectCode: "030201"}); err != nil {
				return err
			}
			byStudent, err := tx.Livret().ListPeriodSubjectResults(ctx, uai, a.division.ID, a.period.ID, "000000")
			if err != nil {
				return err
			}
			if len(byStudent) != 1 || byStudent[a.student.ID].ReportID != r.ID {
				t.Fatalf("results of the division: %+v", byStudent)
			}

			clock.T = clock.T.Add(3600e9)
			if err := tx.Livret().SetPeriodicReportState(ctx, uai, r.ID, sillage.ReportClosed, a.teacher.ID); err != nil {
				return err
			}
			if err := tx.Livret().SetPeriodicReportState(ctx, uai, r.ID, sillage.ReportClosed, a.teacher.ID); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("closing twice: %v, want conflict", err)
			}
			if err := tx.Livret().SetSubjectResult(ctx, uai, pos); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("entering into a closed report: %v, want conflict", err)
			}
			if err := tx.Livret().UpdatePeriodicReport(ctx, uai, r); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("updating a closed report: %v, want conflict", err)
			}
			closed, _ := tx.Livret().GetPeriodicReport(ctx, uai, r.ID)
			if !closed.Closed() || closed.ClosedBy != a.teacher.ID || closed.ClosedAt.IsZero() {
				t.Fatalf("closed report: %+v", closed)
			}
			if err := tx.Livret().SetPeriodicReportState(ctx, uai, r.ID, sillage.ReportDraft, 1); err != nil {
				return err
			}
			reopened, _ := tx.Livret().GetPeriodicReport(ctx, uai, r.ID)
			if reopened.Closed() || !reopened.ClosedAt.Equal(closed.ClosedAt) {
				t.Fatalf("reopened report must keep its last closing date: %+v", reopened)
			}
			list, err := tx.Livret().ListPeriodicReports(ctx, uai, sillage.ReportFilter{DivisionID: a.division.ID, PeriodIDs: []int64{a.period.ID}})
			if err != nil {
				return err
			}
			if len(list) != 1 {
				t.Fatalf("reports of the division: %d", len(list))
			}
			if _, err := tx.Livret().UpsertPeriodicReport(ctx, uai, a.teacher.ID+999999, a.period.ID, 0); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("report of an unknown student: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestLSUCycleReportsAndElements(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		uai := a.uai
		err := st.Write(ctx, func(tx *store.Tx) error {
			c := sillage.CycleReport{StudentID: a.student.ID, Cycle: 4, SchoolYear: a.year, Socle: map[string]int{}, Synthesis: "Synthèse",
				ComplementCode: "LCA", ComplementLevel: 2}
			for _, d := range store.SocleDomains {
				c.Socle[d] = 3
			}
			c.Socle["CPD_ART"] = 0 // exempt
			if err := tx.Livret().UpsertCycleReport(ctx, uai, &c); err != nil {
				return err
			}
			if c.ID != a.lsuCycle.ID {
				t.Fatalf("a second report for the same cycle: %d vs %d", c.ID, a.lsuCycle.ID)
			}
			got, err := tx.Livret().FindCycleReport(ctx, uai, a.student.ID, 4)
			if err != nil {
				return err
			}
			if len(got.Socle) != 8 || got.Socle["CPD_ART"] != 0 || got.ComplementCode != "LCA" || got.ComplementLevel != 2 {
				t.Fatalf("cycle report: %+v", got)
			}
			bad := c
			bad.Socle = map[string]int{"CPD_FRA": 5}
			if err := tx.Livret().UpsertCycleReport(ctx, uai, &bad); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("positioning 5: %v", err)
			}
			if err := tx.Livret().SetCycleReportState(ctx, uai, c.ID, sillage.ReportClosed, a.teacher.ID); err != nil {
				return err
			}
			if err := tx.Livret().UpsertCycleReport(ctx, uai, &c); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("rewriting a closed cycle report: %v", err)
			}
			all, err := tx.Livret().ListCycleReports(ctx, uai, []int64{a.student.ID})
			if err != nil || len(all) != 1 || !all[0].Closed() {
				t.Fatalf("cycle reports: %+v %v", all, err)
			}

			e := sillage.ProgrammeElement{DivisionID: a.division.ID, PeriodID: a.period.ID, SubjectCode: "000000", Label: "  Proportionnalité "}
			if err := tx.Livret().AddProgrammeElement(ctx, uai, &e); err != nil {
				return err
			}
			els, err := tx.Livret().ListProgrammeElements(ctx, uai, a.division.ID, a.period.ID)
			if err != nil || len(els) != 2 || els[1].Label != "Proportionnalité" {
				t.Fatalf("elements: %+v %v", els, err)
			}
			if err := tx.Livret().DeleteProgrammeElement(ctx, uai, e.ID); err != nil {
				return err
			}
			if err := tx.Livret().AddProgrammeElement(ctx, uai, &sillage.ProgrammeElement{DivisionID: a.division.ID, PeriodID: a.period.ID, SubjectCode: "000000"}); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("element without label: %v", err)
			}

			// The teacher's results of the period in the division.
			vals, err := tx.Livret().ListCompetenceValues(ctx, uai, a.division.ID, a.teacher.ID, a.period.Start, a.period.End)
			if err != nil || len(vals) != 1 || vals[0].Value != "3" || vals[0].StudentID != a.student.ID {
				t.Fatalf("competence values: %+v %v", vals, err)
			}
			vals, _ = tx.Livret().ListCompetenceValues(ctx, uai, a.division.ID, a.teacher.ID, sillage.NewDate(2025, 12, 1), sillage.NewDate(2026, 2, 28))
			if len(vals) != 0 {
				t.Fatalf("values outside the period: %+v", vals)
			}

			pdfs, err := tx.Livret().ListReportPDFsByDivision(ctx, uai, a.year)
			if err != nil || len(pdfs["1SN"]) != 1 {
				t.Fatalf("report PDFs by division: %+v %v", pdfs, err)
			}
			refs, err := tx.CrossTenant().BlobRefs(ctx)
			if err != nil {
				return err
			}
			for _, h := range []string{a.lsuPDF.SHA256, a.lsuExport.ReportSHA256, a.lsuExport.FileSHA256} {
				if !refs[h] {
					t.Errorf("blob %s… of the Livret Scolaire is not referenced: the collector would remove it", h[:8])
				}
			}
			exps, err := tx.Livret().ListLSUExports(ctx, uai, a.year)
			if err != nil || len(exps) != 1 || exps[0].FileName != "lsu.xml" {
				t.Fatalf("exports: %+v %v", exps, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestLSUPeriodsAndTermStart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		uai := a.uai
		err := st.Write(ctx, func(tx *store.Tx) error {
			// The populated trimester starts on 1 September: a later first
			// day of term is refused until the period is moved.
			if err := tx.Livret().SetTermStart(ctx, uai, a.year, sillage.NewDate(2025, 9, 2)); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("term start after a period's start: %v", err)
			}
			if err := tx.Livret().SetPeriodDates(ctx, uai, a.period.ID, sillage.NewDate(2025, 9, 2), sillage.NewDate(2025, 11, 29)); err != nil {
				return err
			}
			if err := tx.Livret().SetTermStart(ctx, uai, a.year, sillage.NewDate(2025, 9, 2)); err != nil {
				return err
			}
			if err := tx.Livret().SetTermStart(ctx, uai, a.year, sillage.NewDate(2026, 9, 1)); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("term start of another year: %v", err)
			}
			d, err := tx.Livret().GetTermStart(ctx, uai, a.year)
			if err != nil || d != sillage.NewDate(2025, 9, 2) {
				t.Fatalf("term start: %v %v", d, err)
			}
			if err := tx.Livret().SetPeriodDates(ctx, uai, a.period.ID, sillage.NewDate(2025, 9, 1), sillage.NewDate(2025, 11, 29)); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("a period before the first day of term: %v", err)
			}
			for _, p := range []sillage.Period{
				{SchoolYear: a.year, Kind: sillage.Trimester, Index: 2, Start: sillage.NewDate(2025, 11, 15), End: sillage.NewDate(2026, 2, 28)}, // overlaps T1
				{SchoolYear: a.year, Kind: sillage.Trimester, Index: 4, Start: sillage.NewDate(2025, 12, 1), End: sillage.NewDate(2026, 2, 28)},  // no 4th trimester
				{SchoolYear: a.year, Kind: sillage.Trimester, Index: 3, Start: sillage.NewDate(2026, 3, 1), End: sillage.NewDate(2026, 9, 30)},   // beyond the year
			} {
				if err := tx.Livret().CreatePeriodChecked(ctx, uai, &p); sillage.KindOf(err) != sillage.KindInvalid {
					t.Errorf("period %+v: %v, want invalid", p, err)
				}
			}
			ok := sillage.Period{SchoolYear: a.year, Kind: sillage.Trimester, Index: 2, Start: sillage.NewDate(2025, 12, 1), End: sillage.NewDate(2026, 2, 28)}
			return tx.Livret().CreatePeriodChecked(ctx, uai, &ok)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
