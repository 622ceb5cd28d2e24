package web_test

import (
	"bytes"
	"context"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// minimalPDF stands for an archived report in the fixture.
var minimalPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// The Livret Scolaire's entities in every tenant of the fixture: the
// teacher heads the division (so they close its reports), a trimester
// ({period}) with the student's report and one subject line, an archived
// report PDF ({pdf}) and an LSU export with its file and report ({export}).
func init() {
	fixtureSetups = append(fixtureSetups, func(ctx context.Context, tx *store.Tx, f *fixture, tn *tenant) error {
		teacher := tn.Persons[sillage.RoleTeacher]
		heads, err := tx.People().ListHeadTeachers(ctx, tn.UAI, tn.Division.ID)
		if err != nil {
			return err
		}
		if err := tx.People().SetHeadTeachers(ctx, tn.UAI, tn.Division.ID, append(heads, teacher.ID)); err != nil {
			return err
		}
		period, err := fixturePeriod(ctx, tx, tn)
		if err != nil {
			return err
		}
		tn.IDs["period"] = period.ID
		r, err := tx.Livret().UpsertPeriodicReport(ctx, tn.UAI, tn.Student.ID, period.ID, teacher.ID)
		if err != nil {
			return err
		}
		avg := 1325
		if err := tx.Livret().SetSubjectResult(ctx, tn.UAI, sillage.SubjectResult{ReportID: r.ID, SubjectCode: "000000", Average: &avg,
			Appreciation: "Travail régulier.", TeacherID: teacher.ID}); err != nil {
			return err
		}
		ref, err := f.blobs.Put(bytes.NewReader(minimalPDF))
		if err != nil {
			return err
		}
		pdf := sillage.ReportPDF{Kind: store.ReportPDFPeriodic, ReportID: r.ID, StudentID: tn.Student.ID, SchoolYear: period.SchoolYear,
			DivisionCode: tn.Division.Code, StudentName: tn.Student.FullName(), Title: "Bilan périodique — " + period.Label(),
			Name: "bilan.pdf", SHA256: ref.SHA256, Size: ref.Size}
		if err := tx.Livret().AddReportPDF(ctx, tn.UAI, &pdf); err != nil {
			return err
		}
		tn.IDs["pdf"] = pdf.ID
		report := `{"target":{"degree":"2D","version":"10.0"},"file_blocked":false,"lines":[{"kind":"fixed","student":"ÉLÈVE Léa","message":"vie scolaire non renseignée : retards et absences écrits 0","after":"0"}],` +
			`"counts":{"blocking":0,"fixed":1,"ignored":0,"warnings":0,"students_exported":1,"students_blocked":0,"periodic_reports":1,"cycle_reports":0}}`
		rep, err := f.blobs.Put(strings.NewReader(report))
		if err != nil {
			return err
		}
		file, err := f.blobs.Put(strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><lsun-bilans xmlns="urn:fr:edu:scolarite:lsun:bilans:import" schemaVersion="10.0"/>`))
		if err != nil {
			return err
		}
		exp := sillage.LSUExport{SchoolYear: period.SchoolYear, Degree: "2D", Version: "10.0", Selection: "division " + tn.Division.Code + " — " + period.Label(),
			Outcome: store.ExportFile, Students: 1, Fixed: 1, ReportSHA256: rep.SHA256, ReportSize: rep.Size, FileName: "LSU.xml",
			FileSHA256: file.SHA256, FileSize: file.Size}
		if err := tx.Livret().CreateLSUExport(ctx, tn.UAI, &exp); err != nil {
			return err
		}
		tn.IDs["export"] = exp.ID
		return nil
	})
}

// fixturePeriod returns the first trimester of the fixture's year,
// created unless another capability's setup already did.
func fixturePeriod(ctx context.Context, tx *store.Tx, tn *tenant) (sillage.Period, error) {
	if id, ok := tn.IDs["period"]; ok {
		return tx.Periods().GetPeriod(ctx, tn.UAI, id)
	}
	ps, err := tx.Periods().ListPeriods(ctx, tn.UAI, tn.Division.SchoolYear)
	if err != nil {
		return sillage.Period{}, err
	}
	if len(ps) > 0 {
		return ps[0], nil
	}
	p := sillage.Period{SchoolYear: tn.Division.SchoolYear, Kind: sillage.Trimester, Index: 1,
		Start: sillage.NewDate(int(tn.Division.SchoolYear), 9, 1), End: sillage.NewDate(int(tn.Division.SchoolYear), 11, 30)}
	return p, tx.Periods().CreatePeriod(ctx, tn.UAI, &p)
}
