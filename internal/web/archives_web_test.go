package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestArchivesFollowTheReadersRole: a changeover archive holds the
// students' birth dates (eleves.csv, the per-student HTML); privacy.md
// keeps them from teachers and directors, so the archive they download is
// rewritten without them, while the student, their guardian and the
// administrator get it whole.
func TestArchivesFollowTheReadersRole(t *testing.T) {
	const born = "14/03/2009"
	csvData := "\ufeffNom;Prénom;Né(e) le;MEF;Division;Statut\nDURAND;Léa;" + born + ";24732205310;1SN;inscrit\n"
	htmlData := "<!DOCTYPE html>\n<html lang=\"fr\"><body>\n<h1>Livret de l'année 2024-2025</h1>\n<p><strong>Léa DURAND</strong>, né(e) le " + born +
		"<br>Lycée (0860012W) — division 1SN</p>\n</body></html>\n"
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			ctx := context.Background()
			class := testZIP(map[string][]byte{"LISEZMOI.txt": []byte("Archive"), "eleves.csv": []byte(csvData), "evaluations.pdf": testPDF("archive")})
			student := testZIP(map[string][]byte{"LISEZMOI.txt": []byte("Archive"), "livret-2024-2025.html": []byte(htmlData),
				"fichiers/01-stage/copie.html": []byte("né(e) le " + born)})
			var archiveID, docID int64
			err := f.st.Write(ctx, func(tx *store.Tx) error {
				cref, err := f.blobs.Put(bytes.NewReader(class))
				if err != nil {
					return err
				}
				a := sillage.Archive{SchoolYear: 2024, DivisionCode: "1SN", Name: "Archive 2024-2025 — 1SN bis.zip", SHA256: cref.SHA256, Size: cref.Size}
				if err := tx.Records().AddArchive(ctx, f.a.UAI, &a); err != nil {
					return err
				}
				sref, err := f.blobs.Put(bytes.NewReader(student))
				if err != nil {
					return err
				}
				d := sillage.Document{StudentID: f.a.Student.ID, Kind: sillage.DocumentArchive, Name: "Archive de l'année 2024-2025.zip",
					SHA256: sref.SHA256, Size: sref.Size, ContentType: "application/zip", SchoolYear: 2024}
				if err := tx.Records().AddDocument(ctx, f.a.UAI, &d); err != nil {
					return err
				}
				archiveID, docID = a.ID, d.ID
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// An archive that does not open is an error page, not half a download.
			var broken sillage.Archive
			err = f.st.Write(ctx, func(tx *store.Tx) error {
				ref, err := f.blobs.Put(strings.NewReader("pas une archive"))
				if err != nil {
					return err
				}
				broken = sillage.Archive{SchoolYear: 2024, DivisionCode: "2SN", Name: "Archive 2024-2025 — 2SN.zip", SHA256: ref.SHA256, Size: ref.Size}
				return tx.Records().AddArchive(ctx, f.a.UAI, &broken)
			})
			if err != nil {
				t.Fatal(err)
			}
			resp := f.get(f.session(f.a, sillage.RoleDirector), fmt.Sprintf("/archives/%d", broken.ID))
			if body, _ := io.ReadAll(resp.Body); resp.StatusCode == 200 || resp.Header.Get("Content-Disposition") != "" || !parsePage(t, string(body)).has(".error-message", "archive illisible") {
				t.Fatalf("a broken archive: %d %v", resp.StatusCode, resp.Header)
			}
			classPath := fmt.Sprintf("/archives/%d", archiveID)
			docPath := fmt.Sprintf("/eleves/%d/documents/%d", f.a.Student.ID, docID)
			for _, c := range []struct {
				role  sillage.Role
				path  string
				dates bool
			}{
				{sillage.RoleAdministrator, classPath, true},
				{sillage.RoleDirector, classPath, false},
				{sillage.RoleAdministrator, docPath, true},
				{sillage.RoleDirector, docPath, false},
				{sillage.RoleTeacher, docPath, false},
				{sillage.RoleStudent, fmt.Sprintf("/mes-documents/%d", docID), true},
				{sillage.RoleParent, fmt.Sprintf("/mes-enfants/%d/documents/%d", f.a.Student.ID, docID), true},
			} {
				resp := f.get(f.session(f.a, c.role), c.path)
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
					t.Fatalf("%s %s: %d %v", c.role, c.path, resp.StatusCode, resp.Header)
				}
				entries := unzip(t, body)
				if len(entries) != 3 {
					t.Fatalf("%s %s: entries %v", c.role, c.path, entries)
				}
				if c.dates {
					want := class
					if c.path != classPath {
						want = student
					}
					if !bytes.Equal(body, want) {
						t.Errorf("%s %s: the archive is not served whole", c.role, c.path)
					}
					continue
				}
				if e, ok := entries["eleves.csv"]; ok {
					if e != "\ufeffNom;Prénom;MEF;Division;Statut\nDURAND;Léa;24732205310;1SN;inscrit\n" {
						t.Errorf("%s: eleves.csv %q", c.role, e)
					}
				}
				if e, ok := entries["livret-2024-2025.html"]; ok {
					if strings.Contains(e, born) || !strings.Contains(e, "<p><strong>Léa DURAND</strong><br>Lycée (0860012W)") {
						t.Errorf("%s: HTML %q", c.role, e)
					}
					// An attached file is the student's, served as it was.
					if entries["fichiers/01-stage/copie.html"] != "né(e) le "+born {
						t.Errorf("%s: an attached file was changed", c.role)
					}
				}
				if entries["LISEZMOI.txt"] != "Archive" {
					t.Errorf("%s: LISEZMOI.txt %q", c.role, entries["LISEZMOI.txt"])
				}
			}
		})
	}
}

func unzip(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}
