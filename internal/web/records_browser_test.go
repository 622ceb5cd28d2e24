package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/store"
)

// recordsSignIn signs a fixture person in through the sign-in page.
func recordsSignIn(b *browsertest.Browser, f *fixture, role sillage.Role) {
	b.Do(
		chromedp.Navigate(f.ts.URL+"/connexion"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), string(role)+".0860012w"),
		chromedp.SendKeys(chromedp.CSS("#password"), fixturePassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
	)
}

// waitFor polls cond every 50 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestBrowserTeacherFillsGrid: a teacher fills an evaluation's grid with
// the keyboard only (codes, arrows, Enter, Tab); each cell is saved as it
// is left, a value off the scale is marked refused, and the database holds
// exactly what was typed.
func TestBrowserTeacherFillsGrid(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	o := addOthers(t, f)
	ctx := context.Background()
	recordsSignIn(b, f, sillage.RoleTeacher)
	b.Do(chromedp.Navigate(fmt.Sprintf("%s/evaluations/%d", f.ts.URL, f.a.IDs["evaluation"])), chromedp.WaitVisible(chromedp.CSS("table.grid")))
	b.Screenshot("grille")
	// Rows by name: Hugo Camarade (0), then Léa (1); columns C1, C2, comment.
	cell := func(row, col int) chromedp.Action[chromedp.Void] {
		return chromedp.Focus(chromedp.CSS(fmt.Sprintf(`input[data-row="%d"][data-col="%d"]`, row, col)))
	}
	b.Do(
		cell(0, 0),
		chromedp.KeyEvent("2"), chromedp.KeyEvent(kb.ArrowRight), // Hugo C1 = 2, then C2
		chromedp.KeyEvent("4"), chromedp.KeyEvent(kb.Enter), // Hugo C2 = 4, down to Léa C2
		chromedp.KeyEvent("abs"), chromedp.KeyEvent(kb.Tab), // Léa C2 = ABS, Tab to her comment
		chromedp.KeyEvent("Très bon travail"), chromedp.KeyEvent(kb.ArrowUp), // comment saved, up to Hugo's comment
	)
	savedCells := func() int {
		n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("table.grid td.saved").length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, "four saved cells", func() bool { return savedCells() == 4 })
	// A value off the scale: the cell says why and keeps what was typed.
	b.Do(cell(1, 0), chromedp.KeyEvent("9"), chromedp.KeyEvent(kb.Enter))
	b.Do(chromedp.WaitVisible(chromedp.CSS("table.grid td.failed")))
	if msg := b.Text("table.grid td.failed .cell-status"); !strings.Contains(msg, "hors de l'échelle") {
		t.Errorf("refused cell says %q", msg)
	}
	b.Screenshot("grille-saisie")
	values := map[string]string{}
	var comment string
	waitFor(t, "the results in the database", func() bool {
		values = map[string]string{}
		f.st.Read(ctx, func(tx *store.Tx) error {
			rs, _ := tx.Records().ListResults(ctx, f.a.UAI, sillage.ResultFilter{EvaluationID: f.a.IDs["evaluation"]})
			ref, _ := tx.Records().GetReferential(ctx, f.a.UAI, f.a.IDs["referential"])
			codes := map[int64]string{}
			for _, c := range ref.Competences {
				codes[c.ID] = c.Code
			}
			for _, r := range rs {
				who := "Léa"
				if r.StudentID == o.classmate.ID {
					who = "Hugo"
				}
				values[who+"/"+codes[r.CompetenceID]] = r.Value
			}
			cs, _ := tx.Records().ListComments(ctx, f.a.UAI, sillage.ResultFilter{EvaluationID: f.a.IDs["evaluation"], StudentID: f.a.Student.ID})
			if len(cs) == 1 {
				comment = cs[0].Text
			}
			return nil
		})
		return len(values) == 4 && comment == "Très bon travail"
	})
	want := map[string]string{"Hugo/C1": "2", "Hugo/C2": "4", "Léa/C1": "3", "Léa/C2": "ABS"}
	for k, v := range want {
		if values[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, values[k], v, values)
		}
	}
}

// TestBrowserStudentAttachesAndDownloads: a student attaches a PDF to their
// sheet, sees a fake PDF refused, then downloads their full record: the
// ZIP holds the file they attached, byte for byte.
func TestBrowserStudentAttachesAndDownloads(t *testing.T) {
	b := browsertest.New(t)
	f := newFixture(t)
	dir := t.TempDir()
	pdf := testPDF("mon compte rendu de PFMP")
	good := filepath.Join(dir, "compte-rendu.pdf")
	fake := filepath.Join(dir, "faux.pdf")
	os.WriteFile(good, pdf, 0o600)
	os.WriteFile(fake, []byte("ceci n'est pas un PDF"), 0o600)

	recordsSignIn(b, f, sillage.RoleStudent)
	b.Do(chromedp.Navigate(f.ts.URL+"/mon-livret"), chromedp.WaitVisible(chromedp.CSS(".record-sheets")))
	b.Screenshot("mon-livret")
	b.Do(
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/mon-livret/fiches/%d"]`, f.a.IDs["sheet"]))),
		chromedp.WaitVisible(chromedp.CSS("#fichier")),
		chromedp.SetUploadFiles(chromedp.CSS("#fichier"), []string{good}),
		chromedp.Submit(chromedp.CSS("#fichier")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if flash := b.Text(".flash"); !strings.Contains(flash, "compte-rendu.pdf") {
		t.Fatalf("flash after upload: %q", flash)
	}
	b.Screenshot("fichier-joint")
	b.Do(
		chromedp.SetUploadFiles(chromedp.CSS("#fichier"), []string{fake}),
		chromedp.Submit(chromedp.CSS("#fichier")),
		chromedp.WaitVisible(chromedp.CSS(".error-message")),
	)
	if msg := b.Text(".error-message"); !strings.Contains(msg, "n'est pas un PDF") {
		t.Fatalf("refusal: %q", msg)
	}
	b.Screenshot("fichier-refuse")

	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(b.Ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(f.ts.URL+"/mon-livret"), chromedp.WaitVisible(chromedp.CSS(`a[href="/mon-livret/telecharger"]`)))
	b.Do(chromedp.Click(chromedp.CSS(`a[href="/mon-livret/telecharger"]`)))
	var zipPath string
	waitFor(t, "the downloaded record", func() bool {
		entries, _ := os.ReadDir(downloads)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".zip") {
				zipPath = filepath.Join(downloads, e.Name())
				return true
			}
		}
		return false
	})
	b.Screenshot("telechargement")
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("downloaded record %s: %v", filepath.Base(zipPath), err)
	}
	found := false
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, "/compte-rendu.pdf") {
			rc, _ := zf.Open()
			var buf bytes.Buffer
			buf.ReadFrom(rc)
			rc.Close()
			found = bytes.Equal(buf.Bytes(), pdf)
		}
	}
	if !found {
		t.Errorf("the attached PDF is not in %s byte for byte", filepath.Base(zipPath))
	}
}
