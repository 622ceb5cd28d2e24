package demo

import (
	"context"
	"fmt"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/store"
)

// livretProjects gives the demo collège's first division an EPI, an AP and
// two parcours in the first trimester, with each student's appreciation, so
// that its LSU export carries every block (issue 17).
func (g *generator) livretProjects(ctx context.Context, f *lsutest.Fixture) error {
	if len(f.Divisions) == 0 || len(f.Periods) == 0 || len(f.SubjectIDs) < 2 || len(f.Teachers) < 2 {
		return nil
	}
	uai, div, period, subj := f.UAI, f.Divisions[0], f.Periods[0], f.SubjectIDs
	return g.st.Write(ctx, func(tx *store.Tx) error {
		lv := tx.Livret()
		epi := sillage.LSUProject{SchoolYear: period.SchoolYear, Kind: "epi", Title: "Journal du collège", Theme: "EPI_ICC",
			Description: "Écrire, illustrer et publier le journal du collège.", Subjects: []string{subj[0], subj[1]}, UpdatedBy: f.Director.ID}
		ap := sillage.LSUProject{SchoolYear: period.SchoolYear, Kind: "ap", Title: "Méthodologie et organisation du travail",
			Subjects: []string{subj[1]}, UpdatedBy: f.Director.ID}
		for _, p := range []*sillage.LSUProject{&epi, &ap} {
			if err := lv.CreateProject(ctx, uai, p); err != nil {
				return fmt.Errorf("démo : projet %s : %w", p.Title, err)
			}
		}
		epiGroup := sillage.LSUProjectGroup{ProjectID: epi.ID, DivisionID: div.ID, PeriodID: period.ID, Title: epi.Title + " — " + div.Code,
			Comment: "Un numéro publié avant les vacances d'hiver.", UpdatedBy: f.Director.ID,
			Teachers: []sillage.TeacherSubject{{TeacherID: f.Teachers[0].ID, SubjectCode: subj[0]}, {TeacherID: f.Teachers[1].ID, SubjectCode: subj[1]}}}
		apGroup := sillage.LSUProjectGroup{ProjectID: ap.ID, DivisionID: div.ID, PeriodID: period.ID, Title: ap.Title + " — " + div.Code, UpdatedBy: f.Director.ID,
			Teachers: []sillage.TeacherSubject{{TeacherID: f.Teachers[1].ID, SubjectCode: subj[1]}}}
		for _, gr := range []*sillage.LSUProjectGroup{&epiGroup, &apGroup} {
			if err := lv.CreateProjectGroup(ctx, uai, gr); err != nil {
				return fmt.Errorf("démo : groupe %s : %w", gr.Title, err)
			}
		}
		for _, cp := range []sillage.ClassParcours{
			{DivisionID: div.ID, PeriodID: period.ID, Code: "PAR_CIT", Text: "Élection des délégués et débat sur le règlement intérieur."},
			{DivisionID: div.ID, PeriodID: period.ID, Code: "PAR_AVN", Text: "Visite du forum des métiers du bassin."},
		} {
			if err := lv.SetClassParcours(ctx, uai, cp); err != nil {
				return err
			}
		}
		reports, err := lv.ListPeriodicReports(ctx, uai, sillage.ReportFilter{DivisionID: div.ID, PeriodIDs: []int64{period.ID}})
		if err != nil {
			return err
		}
		// The trimester's reports may be closed already: reopened for
		// these lines, closed again.
		for i, r := range reports {
			if r.Closed() {
				if err := lv.SetPeriodicReportState(ctx, uai, r.ID, sillage.ReportDraft, f.Director.ID); err != nil {
					return err
				}
			}
			lines := []sillage.ReportBlock{
				{ReportID: r.ID, GroupID: epiGroup.ID, Text: []string{"Articles soignés et bien documentés.", "Bonne participation au comité de rédaction.", "Doit s'impliquer davantage dans l'équipe."}[i%3]},
				{ReportID: r.ID, GroupID: apGroup.ID, Text: "Méthodes de travail en progrès : agenda tenu, leçons apprises."},
			}
			if i == 0 {
				lines = append(lines, sillage.ReportBlock{ReportID: r.ID, Parcours: "PAR_CIT", Text: "Élu délégué de classe."})
			}
			for _, b := range lines {
				b.UpdatedBy = f.Director.ID
				if err := lv.SetReportBlock(ctx, uai, b); err != nil {
					return err
				}
			}
			if r.Closed() {
				if err := lv.SetPeriodicReportState(ctx, uai, r.ID, sillage.ReportClosed, f.Director.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
