package web_test

import (
	"archive/zip"
	"bytes"
	"context"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// testPDF is a small well-formed PDF.
func testPDF(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + text + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func testZIP(files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	zw.Close()
	return b.Bytes()
}

// The learning record adds to each tenant of the fixture (ids in tn.IDs): a
// referential with three competences ({referential}, {competence} = C1), an
// evaluation of the division by its teacher with the student's result on C1
// and a comment ({evaluation}), a PFMP sheet of the student ({sheet}) with
// an attached PDF ({attachment}), and a yearly archive in the student's
// document space ({document}).
func init() {
	fixtureSetups = append(fixtureSetups, func(ctx context.Context, tx *store.Tx, f *fixture, tn *tenant) error {
		rf := &struct {
			Ref        sillage.Referential
			Evaluation sillage.Evaluation
			Sheet      sillage.Sheet
			Attachment sillage.Attachment
			Document   sillage.Document
		}{}
		rf.Ref = sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "Bac pro Systèmes numériques", Competences: []sillage.Competence{
			{Domain: "Préparer", Code: "C1", Label: "S'informer sur l'intervention"},
			{Domain: "Préparer", Code: "C2", Label: "Organiser l'intervention"},
			{Domain: "Réaliser", Code: "C3", Label: "Installer les équipements"},
		}}
		if err := tx.Records().CreateReferential(ctx, tn.UAI, &rf.Ref); err != nil {
			return err
		}
		tn.IDs["referential"] = rf.Ref.ID
		tn.IDs["competence"] = rf.Ref.Competences[0].ID
		teacher := tn.Persons[sillage.RoleTeacher]
		rf.Evaluation = sillage.Evaluation{Title: "Câblage d'un coffret", Date: sillage.NewDate(2025, 10, 1), Level: "Première professionnelle",
			Diploma: rf.Ref.Diploma, ReferentialID: rf.Ref.ID, AuthorID: teacher.ID, DivisionID: tn.Division.ID}
		if err := tx.Records().CreateEvaluation(ctx, tn.UAI, &rf.Evaluation); err != nil {
			return err
		}
		if err := tx.Records().SetEvaluationCompetences(ctx, tn.UAI, rf.Evaluation.ID, []int64{rf.Ref.Competences[0].ID, rf.Ref.Competences[1].ID}); err != nil {
			return err
		}
		if err := tx.Records().SetResult(ctx, tn.UAI, sillage.Result{EvaluationID: rf.Evaluation.ID, StudentID: tn.Student.ID, CompetenceID: rf.Ref.Competences[0].ID, Value: "3"}); err != nil {
			return err
		}
		if err := tx.Records().SetComment(ctx, tn.UAI, sillage.Comment{EvaluationID: rf.Evaluation.ID, StudentID: tn.Student.ID, Text: "Travail soigné."}); err != nil {
			return err
		}
		tn.IDs["evaluation"] = rf.Evaluation.ID
		rf.Sheet = sillage.Sheet{StudentID: tn.Student.ID, Kind: sillage.SheetBacPro, Title: "Installation d'un réseau", Context: sillage.ContextPFMP,
			PFMPStart: sillage.NewDate(2025, 11, 3), PFMPEnd: sillage.NewDate(2025, 11, 28), Host: "Réseaux Dupont", Description: "Câblage d'une baie."}
		if err := tx.Records().CreateSheet(ctx, tn.UAI, &rf.Sheet); err != nil {
			return err
		}
		tn.IDs["sheet"] = rf.Sheet.ID
		ref, err := f.blobs.Put(bytes.NewReader(testPDF("rapport " + string(tn.UAI))))
		if err != nil {
			return err
		}
		rf.Attachment = sillage.Attachment{SheetID: rf.Sheet.ID, Name: "rapport de stage.pdf", SHA256: ref.SHA256, Size: ref.Size,
			ContentType: "application/pdf", UploadedBy: tn.Student.ID}
		if err := tx.Records().AddAttachment(ctx, tn.UAI, &rf.Attachment); err != nil {
			return err
		}
		tn.IDs["attachment"] = rf.Attachment.ID
		zref, err := f.blobs.Put(bytes.NewReader(testZIP(map[string][]byte{"livret.pdf": testPDF("archive")})))
		if err != nil {
			return err
		}
		rf.Document = sillage.Document{StudentID: tn.Student.ID, Kind: sillage.DocumentArchive, Name: "Archive 2024-2025.zip", SHA256: zref.SHA256,
			Size: zref.Size, ContentType: "application/zip", SchoolYear: 2024}
		if err := tx.Records().AddDocument(ctx, tn.UAI, &rf.Document); err != nil {
			return err
		}
		tn.IDs["document"] = rf.Document.ID
		return nil
	})
}
