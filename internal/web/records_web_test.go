package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/web"
)

// sessionOf opens a session for any person with an account.
func (f *fixture) sessionOf(uai sillage.UAI, p sillage.Person) *http.Client {
	f.t.Helper()
	ctx := context.Background()
	token, _ := auth.NewToken()
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		return tx.Accounts().CreateSession(ctx, sillage.Session{TokenHash: auth.HashToken(token), AccountID: p.AccountID, UAI: uai, PersonID: p.ID,
			CreatedAt: f.clock.T, LastSeenAt: f.clock.T, ExpiresAt: f.clock.T.Add(f.cfg.SessionIdle)})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return f.clientWithToken(token)
}

// withAccount gives a person an account that has read the notice.
func withAccount(ctx context.Context, tx *store.Tx, uai sillage.UAI, p *sillage.Person, login string) error {
	acc := sillage.Account{Login: login, PasswordHash: fixtureHash, PrivacyVersion: web.PrivacyNoticeVersion}
	if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
		return err
	}
	p.AccountID = acc.ID
	return tx.Accounts().LinkAccount(ctx, uai, p.ID, acc.ID)
}

// others adds to establishment A: a classmate of the fixture's student (same
// division, their own sheet and file), a student of another division with a
// teacher of their own and an evaluation there, and a parent who is not a
// legal guardian.
type others struct {
	classmate     sillage.Student
	classSheet    sillage.Sheet
	classFile     sillage.Attachment
	far           sillage.Student // another division
	farTeacher    sillage.Person
	farEval       sillage.Evaluation
	colleague     sillage.Person // teaches the fixture's division, not the author
	nonLegal      sillage.Person
	farDivisionID int64
}

func addOthers(t *testing.T, f *fixture) *others {
	t.Helper()
	ctx := context.Background()
	o := &others{}
	a := f.a
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		o.classmate = sillage.Student{Person: sillage.Person{FirstName: "Hugo", LastName: "Camarade", SIECLEID: "1002", Source: sillage.SourceSIECLE},
			Diploma: "24732205", DivisionID: a.Division.ID}
		if err := tx.People().CreateStudent(ctx, a.UAI, &o.classmate); err != nil {
			return err
		}
		if err := withAccount(ctx, tx, a.UAI, &o.classmate.Person, "hugo.camarade"); err != nil {
			return err
		}
		o.classSheet = sillage.Sheet{StudentID: o.classmate.ID, Kind: sillage.SheetBEP, Title: "Dépannage", Context: sillage.ContextClass}
		if err := tx.Records().CreateSheet(ctx, a.UAI, &o.classSheet); err != nil {
			return err
		}
		ref, err := f.blobs.Put(bytes.NewReader(testPDF("camarade")))
		if err != nil {
			return err
		}
		o.classFile = sillage.Attachment{SheetID: o.classSheet.ID, Name: "depannage.pdf", SHA256: ref.SHA256, Size: ref.Size, ContentType: "application/pdf"}
		if err := tx.Records().AddAttachment(ctx, a.UAI, &o.classFile); err != nil {
			return err
		}
		if err := tx.Records().SetResult(ctx, a.UAI, sillage.Result{EvaluationID: a.IDs["evaluation"], StudentID: o.classmate.ID, CompetenceID: a.IDs["competence"], Value: "1"}); err != nil {
			return err
		}
		if err := tx.Records().SetComment(ctx, a.UAI, sillage.Comment{EvaluationID: a.IDs["evaluation"], StudentID: o.classmate.ID, Text: "Commentaire du camarade"}); err != nil {
			return err
		}
		d2 := sillage.Division{SchoolYear: a.Division.SchoolYear, Code: "TMELEC", Label: "Terminale MELEC"}
		if err := tx.People().CreateDivision(ctx, a.UAI, &d2); err != nil {
			return err
		}
		o.farDivisionID = d2.ID
		o.far = sillage.Student{Person: sillage.Person{FirstName: "Zoé", LastName: "Lointaine", SIECLEID: "2001", Source: sillage.SourceSIECLE},
			Diploma: "24732205", DivisionID: d2.ID}
		if err := tx.People().CreateStudent(ctx, a.UAI, &o.far); err != nil {
			return err
		}
		o.farTeacher = sillage.Person{Role: sillage.RoleTeacher, FirstName: "Marc", LastName: "Ailleurs", Source: sillage.SourceManual}
		if err := tx.People().CreatePerson(ctx, a.UAI, &o.farTeacher); err != nil {
			return err
		}
		if err := withAccount(ctx, tx, a.UAI, &o.farTeacher, "marc.ailleurs"); err != nil {
			return err
		}
		if err := tx.People().ReplaceServices(ctx, a.UAI, o.farTeacher.ID, []sillage.Service{{DivisionID: d2.ID, SubjectCode: "X"}}); err != nil {
			return err
		}
		o.farEval = sillage.Evaluation{Title: "Évaluation d'ailleurs", Date: sillage.NewDate(2025, 10, 2), Diploma: "24732205", ReferentialID: a.IDs["referential"],
			AuthorID: o.farTeacher.ID, DivisionID: d2.ID}
		if err := tx.Records().CreateEvaluation(ctx, a.UAI, &o.farEval); err != nil {
			return err
		}
		if err := tx.Records().SetResult(ctx, a.UAI, sillage.Result{EvaluationID: o.farEval.ID, StudentID: o.far.ID, CompetenceID: a.IDs["competence"], Value: "4"}); err != nil {
			return err
		}
		o.colleague = sillage.Person{Role: sillage.RoleTeacher, FirstName: "Julie", LastName: "Collègue", Source: sillage.SourceManual}
		if err := tx.People().CreatePerson(ctx, a.UAI, &o.colleague); err != nil {
			return err
		}
		if err := withAccount(ctx, tx, a.UAI, &o.colleague, "julie.collegue"); err != nil {
			return err
		}
		if err := tx.People().ReplaceServices(ctx, a.UAI, o.colleague.ID, []sillage.Service{{DivisionID: a.Division.ID, SubjectCode: "Y"}}); err != nil {
			return err
		}
		o.nonLegal = sillage.Person{Role: sillage.RoleParent, FirstName: "Paul", LastName: "Oncle", Source: sillage.SourceSIECLE}
		if err := tx.People().CreatePerson(ctx, a.UAI, &o.nonLegal); err != nil {
			return err
		}
		if err := withAccount(ctx, tx, a.UAI, &o.nonLegal, "paul.oncle"); err != nil {
			return err
		}
		return tx.People().LinkGuardian(ctx, a.UAI, sillage.Guardianship{ParentID: o.nonLegal.ID, StudentID: a.Student.ID, Legal: false})
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func expectStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %d, want %d: %.300s", what, got, want, body)
	}
}

// TestStudentsSeeOnlyTheirOwn: a student reaches their own record, sheets,
// files and documents, never a classmate's.
func TestStudentsSeeOnlyTheirOwn(t *testing.T) {
	f := newFixture(t)
	o := addOthers(t, f)
	c := f.session(f.a, sillage.RoleStudent)
	status, body := f.do(c, "GET", "/mon-livret", nil)
	expectStatus(t, "own record", status, 200, body)
	pg := parsePage(t, body)
	for _, want := range [][2]string{
		{".evaluation-card h3", "Câblage d'un coffret"},
		{".evaluation-card .eval-comment", "Travail soigné."},
		{".evaluation-card .results .level-label", "Maîtrisé"},
		{".sheet-card h3", "Installation d'un réseau"},
		{".sheet-card .files a", "rapport de stage.pdf"},
	} {
		if !pg.has(want[0], want[1]) {
			t.Errorf("own record lacks %q in %s", want[1], want[0])
		}
	}
	if pg.has("main", "Commentaire du camarade") || pg.has("main", "Dépannage") {
		t.Error("own record shows a classmate's data")
	}
	for _, p := range []string{
		fmt.Sprintf("/mon-livret/fiches/%d", o.classSheet.ID),
		fmt.Sprintf("/mon-livret/fiches/%d/modifier", o.classSheet.ID),
		fmt.Sprintf("/mon-livret/fichiers/%d", o.classFile.ID),
	} {
		status, body := f.do(c, "GET", p, nil)
		expectStatus(t, "classmate's "+p, status, 404, body)
	}
	status, body = f.do(c, "POST", fmt.Sprintf("/mon-livret/fichiers/%d/supprimer", o.classFile.ID), url.Values{})
	expectStatus(t, "delete a classmate's file", status, 404, body)
	status, body = f.do(c, "POST", fmt.Sprintf("/mon-livret/fiches/%d/modifier", o.classSheet.ID), url.Values{"type": {"bep"}, "intitule": {"Piraté"}, "contexte": {"class"}})
	expectStatus(t, "edit a classmate's sheet", status, 404, body)
	// The API gives the own record only, without external ids.
	status, body = f.do(c, "GET", "/api/v1/mon-livret", nil)
	expectStatus(t, "API own record", status, 200, body)
	var rf records.File
	if err := json.Unmarshal([]byte(body), &rf); err != nil || len(rf.Students) != 1 || rf.Students[0].FirstName != "Léa" {
		t.Fatalf("API own record: %v %.300s", err, body)
	}
	if strings.Contains(body, "1001") || strings.Contains(body, "Camarade") {
		t.Error("API own record leaks an external id or a classmate")
	}
	// The document space: own archive downloadable, with safe headers.
	status, body = f.do(c, "GET", "/mes-documents", nil)
	expectStatus(t, "documents", status, 200, body)
	if !parsePage(t, body).has("table.list td a[download]", "Archive 2024-2025.zip") {
		t.Error("document space lacks the yearly archive")
	}
	resp := f.get(c, fmt.Sprintf("/mes-documents/%d", f.a.IDs["document"]))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("document download: %d %v", resp.StatusCode, resp.Header)
	}
}

func (f *fixture) get(c *http.Client, path string) *http.Response {
	f.t.Helper()
	resp, err := c.Get(f.ts.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// TestParentsSeeOnlyTheirChildren: a legal guardian reaches their child,
// nobody else; a guardian who is not legal reaches nobody.
func TestParentsSeeOnlyTheirChildren(t *testing.T) {
	f := newFixture(t)
	o := addOthers(t, f)
	c := f.session(f.a, sillage.RoleParent)
	status, body := f.do(c, "GET", "/mes-enfants", nil)
	expectStatus(t, "children", status, 200, body)
	if pg := parsePage(t, body); !pg.has("ul.cards li a", "Léa") || pg.has("main", "Hugo") {
		t.Errorf("children list: %.400s", body)
	}
	status, body = f.do(c, "GET", fmt.Sprintf("/mes-enfants/%d", f.a.Student.ID), nil)
	expectStatus(t, "child's record", status, 200, body)
	if pg := parsePage(t, body); !pg.has(".evaluation-card .eval-comment", "Travail soigné.") || pg.has("main", "Commentaire du camarade") {
		t.Error("child's record shows the wrong comments")
	}
	for _, p := range []string{
		fmt.Sprintf("/mes-enfants/%d", o.classmate.ID),
		fmt.Sprintf("/mes-enfants/%d/telecharger", o.classmate.ID),
		fmt.Sprintf("/mes-enfants/%d/fichiers/%d", o.classmate.ID, o.classFile.ID),
		fmt.Sprintf("/mes-enfants/%d/fichiers/%d", f.a.Student.ID, o.classFile.ID), // own child in the path, another's file
	} {
		status, body := f.do(c, "GET", p, nil)
		expectStatus(t, "not my child: "+p, status, 404, body)
	}
	resp := f.get(c, fmt.Sprintf("/mes-enfants/%d/fichiers/%d", f.a.Student.ID, f.a.IDs["attachment"]))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("child's file: %d %v", resp.StatusCode, resp.Header)
	}
	uncle := f.sessionOf(f.a.UAI, o.nonLegal)
	status, body = f.do(uncle, "GET", fmt.Sprintf("/mes-enfants/%d", f.a.Student.ID), nil)
	expectStatus(t, "guardian who is not legal", status, 404, body)
}

// TestTeachersSeeOnlyTheirDivisions: a teacher reaches the students,
// evaluations and sheets of the divisions they teach; the director and the
// administrator reach everyone.
func TestTeachersSeeOnlyTheirDivisions(t *testing.T) {
	f := newFixture(t)
	o := addOthers(t, f)
	c := f.session(f.a, sillage.RoleTeacher)
	status, body := f.do(c, "GET", "/eleves", nil)
	expectStatus(t, "students", status, 200, body)
	if pg := parsePage(t, body); !pg.has("table.list td a", "Léa") || !pg.has("table.list td a", "Hugo") || pg.has("main", "Zoé") {
		t.Errorf("teacher's students: %.600s", body)
	}
	for _, p := range []string{
		fmt.Sprintf("/eleves/%d", o.far.ID),
		fmt.Sprintf("/evaluations/%d", o.farEval.ID),
		fmt.Sprintf("/api/v1/eleves/%d", o.far.ID),
		fmt.Sprintf("/api/v1/evaluations/%d", o.farEval.ID),
		fmt.Sprintf("/evaluations?division=%d", o.farDivisionID),
		fmt.Sprintf("/evaluations/nouvelle?division=%d", o.farDivisionID),
	} {
		status, body := f.do(c, "GET", p, nil)
		expectStatus(t, "other division: "+p, status, 404, body)
	}
	status, body = f.do(c, "GET", "/api/v1/eleves", nil)
	if status != 200 || strings.Contains(body, "Zoé") || !strings.Contains(body, "Hugo") {
		t.Errorf("API students of the teacher: %d %.400s", status, body)
	}
	// A cell for a student outside the evaluation's grid is refused.
	status, body = f.do(c, "POST", fmt.Sprintf("/evaluations/%d/resultat", f.a.IDs["evaluation"]),
		url.Values{"eleve": {fmt.Sprint(o.far.ID)}, "competence": {fmt.Sprint(f.a.IDs["competence"])}, "valeur": {"2"}})
	expectStatus(t, "cell of a student of another division", status, 400, body)
	// The director and the administrator reach the far student.
	for _, role := range []sillage.Role{sillage.RoleDirector, sillage.RoleAdministrator} {
		status, body := f.do(f.session(f.a, role), "GET", fmt.Sprintf("/eleves/%d", o.far.ID), nil)
		expectStatus(t, string(role)+" reaches every student", status, 200, body)
	}
	// Logins and external ids: the administrator only.
	_, teacherView := f.do(c, "GET", fmt.Sprintf("/eleves/%d", f.a.Student.ID), nil)
	_, directorView := f.do(f.session(f.a, sillage.RoleDirector), "GET", fmt.Sprintf("/eleves/%d", f.a.Student.ID), nil)
	_, adminView := f.do(f.session(f.a, sillage.RoleAdministrator), "GET", fmt.Sprintf("/eleves/%d", f.a.Student.ID), nil)
	for name, view := range map[string]string{"teacher": teacherView, "director": directorView} {
		pg := parsePage(t, view)
		if pg.has("main", "student.0860012w") || pg.has("main", "ELEVE_ID") || slices.Contains(pg.texts("dl.facts dd"), "1001") {
			t.Errorf("%s sees a login or an external id", name)
		}
		if !pg.has("dl.facts dt", "Dernière connexion") {
			t.Errorf("%s must see the last sign-in dates", name)
		}
	}
	if pg := parsePage(t, adminView); !slices.Contains(pg.texts("dl.facts dd"), "student.0860012w") || !slices.Contains(pg.texts("dl.facts dd"), "1001") {
		t.Error("the administrator sees logins and external ids")
	}
}

// TestGridCells: the author saves cells and comments one by one; a value
// off the scale is refused with its reason and nothing changes; a colleague
// of the division reads the grid but cannot write in it.
func TestGridCells(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			o := addOthers(t, f)
			c := f.session(f.a, sillage.RoleTeacher)
			ctx := context.Background()
			evalPath := fmt.Sprintf("/evaluations/%d", f.a.IDs["evaluation"])
			status, body := f.do(c, "GET", evalPath, nil)
			expectStatus(t, "grid", status, 200, body)
			pg := parsePage(t, body)
			if pg.count("td.cell input.code") != 4 || pg.attr(fmt.Sprintf("#in-%d-%d", f.a.Student.ID, f.a.IDs["competence"]), "value") != "3" {
				t.Errorf("grid: want 2 students × 2 competences with the saved 3: %.2000s", body)
			}
			var c2 int64
			f.st.Read(ctx, func(tx *store.Tx) error {
				ref, _ := tx.Records().GetReferential(ctx, f.a.UAI, f.a.IDs["referential"])
				c2 = ref.Competences[1].ID
				return nil
			})
			cell := url.Values{"eleve": {fmt.Sprint(f.a.Student.ID)}, "competence": {fmt.Sprint(c2)}, "valeur": {"abs"}}
			status, body = f.do(c, "POST", evalPath+"/resultat", cell)
			if pg := parseCell(t, body); status != 200 || pg.count("td.cell.saved") != 1 || pg.attr("td.cell input.code", "value") != "ABS" {
				t.Fatalf("save a cell: %d %s", status, body)
			}
			cell.Set("valeur", "9")
			status, body = f.do(c, "POST", evalPath+"/resultat", cell)
			if pg := parseCell(t, body); status != 400 || pg.count("td.cell.failed") != 1 || !pg.has("td.cell .cell-status", "hors de l'échelle") || pg.attr("td.cell input.code", "value") != "9" {
				t.Fatalf("refused cell: %d %s", status, body)
			}
			status, body = f.do(c, "POST", evalPath+"/commentaire", url.Values{"eleve": {fmt.Sprint(o.classmate.ID)}, "commentaire": {"Des progrès."}})
			if pg := parseCell(t, body); status != 200 || pg.count("td.comment-cell.saved") != 1 {
				t.Fatalf("save a comment: %d %s", status, body)
			}
			// A competence of the referential that is not a column is refused.
			var c3 int64
			f.st.Read(ctx, func(tx *store.Tx) error {
				ref, _ := tx.Records().GetReferential(ctx, f.a.UAI, f.a.IDs["referential"])
				c3 = ref.Competences[2].ID
				return nil
			})
			status, _ = f.do(c, "POST", evalPath+"/resultat", url.Values{"eleve": {fmt.Sprint(f.a.Student.ID)}, "competence": {fmt.Sprint(c3)}, "valeur": {"2"}})
			if status != 400 {
				t.Errorf("cell on a competence outside the grid: %d", status)
			}
			colleague := f.sessionOf(f.a.UAI, o.colleague)
			status, body = f.do(colleague, "GET", evalPath, nil)
			if pg := parsePage(t, body); status != 200 || pg.count("td.cell") == 0 || pg.count("input.code") != 0 {
				t.Errorf("colleague reads the grid without inputs: %d", status)
			}
			status, _ = f.do(colleague, "POST", evalPath+"/resultat", url.Values{"eleve": {fmt.Sprint(f.a.Student.ID)}, "competence": {fmt.Sprint(c2)}, "valeur": {"1"}})
			if status != 403 {
				t.Errorf("colleague writes a cell: %d, want 403", status)
			}
			var rs []sillage.Result
			var cs []sillage.Comment
			f.st.Read(ctx, func(tx *store.Tx) (err error) {
				rs, _ = tx.Records().ListResults(ctx, f.a.UAI, sillage.ResultFilter{EvaluationID: f.a.IDs["evaluation"], StudentID: f.a.Student.ID})
				cs, err = tx.Records().ListComments(ctx, f.a.UAI, sillage.ResultFilter{EvaluationID: f.a.IDs["evaluation"], StudentID: o.classmate.ID})
				return err
			})
			got := map[int64]string{}
			for _, r := range rs {
				got[r.CompetenceID] = r.Value
			}
			if !reflect.DeepEqual(got, map[int64]string{f.a.IDs["competence"]: "3", c2: "ABS"}) || len(cs) != 1 || cs[0].Text != "Des progrès." {
				t.Errorf("stored: results %v, comments %+v", got, cs)
			}
			// Clearing a cell removes the result.
			cell.Set("valeur", "")
			if status, body := f.do(c, "POST", evalPath+"/resultat", cell); status != 200 {
				t.Fatalf("clear a cell: %d %s", status, body)
			}
			f.st.Read(ctx, func(tx *store.Tx) (err error) {
				rs, err = tx.Records().ListResults(ctx, f.a.UAI, sillage.ResultFilter{EvaluationID: f.a.IDs["evaluation"], StudentID: f.a.Student.ID})
				return err
			})
			if len(rs) != 1 {
				t.Errorf("after clearing: %+v", rs)
			}
		})
	}
}

// multipartUpload posts a file under a raw file name (as a crafted client
// could, "../" included).
func (f *fixture) upload(c *http.Client, path, filename string, data []byte) (int, string) {
	f.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	disp := fmt.Sprintf(`form-data; name="fichier"; filename="%s"`, filename)
	if strings.ContainsFunc(filename, func(r rune) bool { return r < 0x20 }) {
		// Control characters travel percent-encoded (RFC 2231).
		disp = `form-data; name="fichier"; filename*=UTF-8''` + url.PathEscape(filename)
	}
	h.Set("Content-Disposition", disp)
	h.Set("Content-Type", "application/pdf")
	w, _ := mw.CreatePart(h)
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", f.ts.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func listFiles(dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestUploadRefusals: a file that claims to be a PDF but is not, an
// oversized file, a bomb-shaped ZIP and a name with ../ are refused with a
// French message, and nothing is stored: no blob, no row.
func TestUploadRefusals(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			c := f.session(f.a, sillage.RoleStudent)
			ctx := context.Background()
			path := fmt.Sprintf("/mon-livret/fiches/%d/fichiers", f.a.IDs["sheet"])
			count := func() int {
				var n int
				f.st.Read(ctx, func(tx *store.Tx) error {
					atts, err := tx.Records().ListAttachments(ctx, f.a.UAI, f.a.IDs["sheet"])
					n = len(atts)
					return err
				})
				return n
			}
			var blobDir string
			if kind == store.SQLite {
				blobDir = template.blobs
			}
			beforeRows, beforeFiles := count(), listFiles(blobDir)
			oversized := append(testPDF("gros"), bytes.Repeat([]byte("x"), 1<<20+100<<10)...)
			bomb := testZIP(map[string][]byte{"zeros.bin": make([]byte, 8<<20)})
			cases := []struct {
				name, filename string
				data           []byte
				want           string
			}{
				{"fake PDF", "devoir.pdf", []byte("Bonjour, ceci est un texte et pas un PDF."), "n'est pas un PDF"},
				{"PDF without trailer", "tronque.pdf", []byte("%PDF-1.4\n1 0 obj << >> endobj\n"), "%%EOF"},
				{"oversized", "gros.pdf", oversized, "trop volumineux"},
				{"bomb-shaped ZIP", "photos.zip", bomb, "bombe"},
				{"parent path", "../../etc/rapport.pdf", testPDF("evasion"), "séparateur"},
				{"parent path (Windows)", `..\rapport.pdf`, testPDF("evasion windows"), "séparateur"},
				{"control character", "rap\x01port.pdf", testPDF("controle"), "contrôle"},
				{"not PDF, ZIP nor photo", "notes.txt", []byte("quelques notes"), "ni un PDF, ni une archive ZIP, ni une photo"},
				{"PNG magic, no picture", "image.png", []byte("\x89PNG\r\n\x1a\nxxxx"), "en-tête d'image est illisible"},
				{"PDF disguised as a photo", "photo.jpg", testPDF("déguisé"), "est un PDF"},
				{"photo disguised as a PDF", "rapport.pdf", photoSeed(t, "seed.jpg"), "son nom doit finir par .jpg"},
			}
			for _, tc := range cases {
				status, body := f.upload(c, path, tc.filename, tc.data)
				if status != 400 || !parsePage(t, body).has(".error-message", tc.want) {
					i := strings.Index(body, "<main")
					t.Errorf("%s: status %d, want 400 mentioning %q: %.600s", tc.name, status, tc.want, body[max(i, 0):])
				}
				if f.blobs.Has(sum(tc.data)) {
					t.Errorf("%s: the refused file is in the blob store", tc.name)
				}
			}
			if count() != beforeRows {
				t.Fatalf("a refused upload added an attachment row")
			}
			if kind == store.SQLite && !reflect.DeepEqual(listFiles(blobDir), beforeFiles) {
				t.Fatalf("a refused upload left a file in the blob directory:\n%v\n%v", beforeFiles, listFiles(blobDir))
			}
			// A good PDF goes in and comes back byte for byte.
			good := testPDF("compte rendu " + string(kind))
			status, body := f.upload(c, path, "Compte rendu n°2.pdf", good)
			if status != http.StatusSeeOther {
				t.Fatalf("good upload: %d %s", status, body)
			}
			if count() != beforeRows+1 || !f.blobs.Has(sum(good)) {
				t.Fatal("the good file is not stored")
			}
			var att sillage.Attachment
			f.st.Read(ctx, func(tx *store.Tx) error {
				atts, err := tx.Records().ListAttachments(ctx, f.a.UAI, f.a.IDs["sheet"])
				att = atts[len(atts)-1]
				return err
			})
			if att.Name != "Compte rendu n°2.pdf" || att.ContentType != "application/pdf" || att.UploadedBy != f.a.Student.ID {
				t.Errorf("stored attachment %+v", att)
			}
			resp := f.get(c, fmt.Sprintf("/mon-livret/fichiers/%d", att.ID))
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !bytes.Equal(data, good) || resp.Header.Get("Content-Type") != "application/pdf" ||
				resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("download: %d %v", resp.StatusCode, resp.Header)
			}
			// The teacher of the student downloads it too.
			resp = f.get(f.session(f.a, sillage.RoleTeacher), fmt.Sprintf("/fichiers/%d", att.ID))
			if resp.StatusCode != 200 {
				t.Errorf("teacher's download: %d", resp.StatusCode)
			}
			// A photo goes in without its GPS position and still decodes.
			for _, seed := range []string{"seed.jpg", "seed.png", "seed.webp"} {
				raw := photoSeed(t, seed)
				name := "Atelier " + seed
				status, body := f.upload(c, path, name, raw)
				if status != http.StatusSeeOther {
					t.Fatalf("photo %s: %d %s", seed, status, body)
				}
				if f.blobs.Has(sum(raw)) {
					t.Errorf("photo %s stored with its metadata", seed)
				}
				f.st.Read(ctx, func(tx *store.Tx) error {
					atts, err := tx.Records().ListAttachments(ctx, f.a.UAI, f.a.IDs["sheet"])
					att = atts[len(atts)-1]
					return err
				})
				resp := f.get(c, fmt.Sprintf("/mon-livret/fichiers/%d", att.ID))
				data, _ := io.ReadAll(resp.Body)
				if _, _, err := image.Decode(bytes.NewReader(data)); err != nil || att.Name != name || !strings.HasPrefix(att.ContentType, "image/") {
					t.Errorf("photo %s: stored as %+v, decodes: %v", seed, att, err)
				}
				if bytes.Contains(data, []byte("GPS 46.5802N")) || bytes.Contains(data, []byte("Exif")) {
					t.Errorf("photo %s: downloaded with its metadata", seed)
				}
			}
			_, body = f.do(c, "GET", fmt.Sprintf("/mon-livret/fiches/%d", f.a.IDs["sheet"]), nil)
			for _, kind := range []string{"photo JPEG", "photo PNG", "photo WebP", "PDF"} {
				if !parsePage(t, body).has("main", kind) {
					t.Errorf("the sheet page does not name a %s", kind)
				}
			}
		})
	}
}

// TestTrashAndRestoreEvaluation: the author moves an evaluation to the
// trash after confirmation (audited); it leaves the student's record; a
// colleague cannot restore it; the author can (audited).
// photoSeed reads a photo generated by the photo package's tests (each
// holds an EXIF block with a GPS position).
func photoSeed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "photo", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrashAndRestoreEvaluation(t *testing.T) {
	f := newFixture(t)
	o := addOthers(t, f)
	ctx := context.Background()
	c := f.session(f.a, sillage.RoleTeacher)
	id := f.a.IDs["evaluation"]
	status, body := f.do(c, "POST", fmt.Sprintf("/evaluations/%d/supprimer", id), url.Values{})
	if pg := parsePage(t, body); status != 200 || !pg.has("p.callout", "corbeille") || !pg.has("main p", "2 résultat(s)") {
		t.Fatalf("confirmation: %d %.500s", status, body)
	}
	status, body = f.do(c, "POST", fmt.Sprintf("/evaluations/%d/supprimer", id), url.Values{"confirmer": {"1"}})
	expectStatus(t, "trash", status, http.StatusSeeOther, body)
	_, mine := f.do(f.session(f.a, sillage.RoleStudent), "GET", "/mon-livret", nil)
	if parsePage(t, mine).has("main", "Câblage d'un coffret") {
		t.Error("a trashed evaluation still shows in the student's record")
	}
	_, trash := f.do(c, "GET", "/corbeille", nil)
	if !parsePage(t, trash).has("table td", "Câblage d'un coffret") {
		t.Fatalf("trash page: %.800s", trash)
	}
	colleague := f.sessionOf(f.a.UAI, o.colleague)
	_, ctrash := f.do(colleague, "GET", "/corbeille", nil)
	if parsePage(t, ctrash).has("main", "Câblage") {
		t.Error("a colleague sees another teacher's trash")
	}
	form := url.Values{"type": {"evaluation"}, "id": {fmt.Sprint(id)}}
	status, body = f.do(colleague, "POST", "/corbeille/restaurer", form)
	expectStatus(t, "colleague restores", status, 404, body)
	status, body = f.do(c, "POST", "/corbeille/restaurer", form)
	expectStatus(t, "author restores", status, http.StatusSeeOther, body)
	var e sillage.Evaluation
	var entries []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		e, _ = tx.Records().GetEvaluation(ctx, f.a.UAI, id)
		entries, err = tx.Audit().ListAudit(ctx, f.a.UAI, sillage.AuditFilter{Action: "evaluation"})
		return err
	})
	if !e.DeletedAt.IsZero() {
		t.Fatal("the evaluation is still in the trash")
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
	}
	sort.Strings(actions)
	if !reflect.DeepEqual(actions, []string{audit.EvaluationRestored, audit.EvaluationTrashed}) {
		t.Errorf("audit = %v", actions)
	}
}

// TestDeleteCompetence: deleting a competence with results asks for
// confirmation with their number; confirmed, it goes with its results and
// leaves an audit entry.
func TestDeleteCompetence(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.session(f.a, sillage.RoleAdministrator)
	p := fmt.Sprintf("/competences/%d/supprimer", f.a.IDs["competence"])
	status, body := f.do(c, "POST", p, url.Values{})
	if status != 200 || !parsePage(t, body).has("main p", "1 résultat(s)") {
		t.Fatalf("confirmation: %d %.500s", status, body)
	}
	status, body = f.do(c, "POST", p, url.Values{"confirmer": {"1"}})
	expectStatus(t, "delete", status, http.StatusSeeOther, body)
	f.st.Read(ctx, func(tx *store.Tx) error {
		rs, _ := tx.Records().ListResults(ctx, f.a.UAI, sillage.ResultFilter{EvaluationID: f.a.IDs["evaluation"]})
		entries, err := tx.Audit().ListAudit(ctx, f.a.UAI, sillage.AuditFilter{Action: audit.ReferentialDeleted})
		if len(rs) != 0 || err != nil || len(entries) != 1 || !strings.Contains(entries[0].Target, "C1") || !strings.Contains(entries[0].Details, "1 résultat") {
			t.Errorf("after delete: %d results, audit %+v %v", len(rs), entries, err)
		}
		return nil
	})
	// A competence without results goes at once.
	var c3 int64
	f.st.Read(ctx, func(tx *store.Tx) error {
		ref, err := tx.Records().GetReferential(ctx, f.a.UAI, f.a.IDs["referential"])
		c3 = ref.Competences[len(ref.Competences)-1].ID
		return err
	})
	status, body = f.do(c, "POST", fmt.Sprintf("/competences/%d/supprimer", c3), url.Values{})
	expectStatus(t, "delete without results", status, http.StatusSeeOther, body)
	// A used referential cannot be deleted.
	status, body = f.do(c, "POST", fmt.Sprintf("/referentiels/%d/supprimer", f.a.IDs["referential"]), url.Values{"confirmer": {"1"}})
	expectStatus(t, "delete a used referential", status, http.StatusConflict, body)
}

// TestReferentialEditing: create, add competences in domains, reorder,
// export and import back as JSON (merge by code).
func TestReferentialEditing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.session(f.a, sillage.RoleAdministrator)
	status, body := f.do(c, "POST", "/referentiels", url.Values{"libelle": {"BEP Électrotechnique"}, "type": {"bep"}, "diplome": {"50025517310"}})
	expectStatus(t, "create", status, http.StatusSeeOther, body)
	var ref sillage.Referential
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		ref, err = tx.Records().GetReferentialByDiploma(ctx, f.a.UAI, "50025517")
		return err
	})
	if ref.ID == 0 || ref.Kind != sillage.ReferentialBEP {
		t.Fatalf("created %+v (the MEF must be cut to its diploma part)", ref)
	}
	add := func(domain, code, label string) {
		status, body := f.do(c, "POST", fmt.Sprintf("/referentiels/%d/competences", ref.ID), url.Values{"domaine": {domain}, "code": {code}, "libelle": {label}})
		expectStatus(t, "add "+code, status, http.StatusSeeOther, body)
	}
	add("S'informer", "A1", "Lire un schéma")
	add("Réaliser", "B1", "Câbler")
	add("S'informer", "A2", "Rechercher une documentation") // goes after A1, before B1
	status, body = f.do(c, "POST", fmt.Sprintf("/referentiels/%d/competences", ref.ID), url.Values{"code": {"A1"}, "libelle": {"Doublon"}})
	expectStatus(t, "duplicate code", status, http.StatusBadRequest, body)
	codes := func() []string {
		var out []string
		f.st.Read(ctx, func(tx *store.Tx) error {
			cs, err := tx.Records().ListCompetences(ctx, f.a.UAI, ref.ID)
			for _, x := range cs {
				out = append(out, x.Domain+"/"+x.Code)
			}
			return err
		})
		return out
	}
	if got := codes(); !reflect.DeepEqual(got, []string{"S'informer/A1", "S'informer/A2", "Réaliser/B1"}) {
		t.Fatalf("order = %v", got)
	}
	var a2 int64
	f.st.Read(ctx, func(tx *store.Tx) error {
		cs, err := tx.Records().ListCompetences(ctx, f.a.UAI, ref.ID)
		a2 = cs[1].ID
		return err
	})
	status, body = f.do(c, "POST", fmt.Sprintf("/competences/%d/deplacer", a2), url.Values{"sens": {"haut"}})
	expectStatus(t, "move up", status, http.StatusSeeOther, body)
	if got := codes(); !reflect.DeepEqual(got, []string{"S'informer/A2", "S'informer/A1", "Réaliser/B1"}) {
		t.Fatalf("after moving up = %v", got)
	}
	resp := f.get(c, fmt.Sprintf("/referentiels/%d/export", ref.ID))
	exported, _ := io.ReadAll(resp.Body)
	var rf records.ReferentialFile
	if err := json.Unmarshal(exported, &rf); err != nil || rf.Diploma != "50025517" || len(rf.Competences) != 3 {
		t.Fatalf("export: %v %s", err, exported)
	}
	// Import it back, changed: a label edited, a competence added.
	rf.Competences[0].Label = "Rechercher la documentation technique"
	rf.Competences = append(rf.Competences, records.Competence{Domain: "Réaliser", Code: "B2", Label: "Mettre en service"})
	data, _ := json.Marshal(rf)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("fichier", "referentiel.json")
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", f.ts.URL+"/referentiels/import", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	r2, err := c.Do(req)
	if err != nil || r2.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %v %v", err, r2.StatusCode)
	}
	if got := codes(); !reflect.DeepEqual(got, []string{"S'informer/A2", "S'informer/A1", "Réaliser/B1", "Réaliser/B2"}) {
		t.Fatalf("after import = %v", got)
	}
	// A teacher reads, does not manage.
	tc := f.session(f.a, sillage.RoleTeacher)
	status, body = f.do(tc, "GET", fmt.Sprintf("/referentiels/%d", ref.ID), nil)
	if status != 200 || parsePage(t, body).count(`[action*="/competences/"], [href*="/competences/"]`) != 0 {
		t.Errorf("teacher's view of a referential: %d", status)
	}
}

// TestEvaluationCreation: a teacher creates an evaluation for their
// division with chosen competences, then edits it.
func TestEvaluationCreation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.session(f.a, sillage.RoleTeacher)
	status, body := f.do(c, "GET", fmt.Sprintf("/evaluations/nouvelle?division=%d", f.a.Division.ID), nil)
	if status != 200 || parsePage(t, body).count(`input[type="checkbox"][name="competences"]`) == 0 {
		t.Fatalf("form: %d", status)
	}
	var comps []sillage.Competence
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		comps, err = tx.Records().ListCompetences(ctx, f.a.UAI, f.a.IDs["referential"])
		return err
	})
	form := url.Values{"division": {fmt.Sprint(f.a.Division.ID)}, "referentiel": {fmt.Sprint(f.a.IDs["referential"])}, "titre": {"Mise en service"},
		"date": {"2025-10-06"}, "niveau": {"Première professionnelle"}}
	status, body = f.do(c, "POST", "/evaluations", form)
	if status != 400 || !parsePage(t, body).has(".errors li", "Cochez au moins une compétence") {
		t.Fatalf("no competence: %d %.300s", status, body)
	}
	form["competences"] = []string{fmt.Sprint(comps[0].ID), fmt.Sprint(comps[2].ID)}
	status, body = f.do(c, "POST", "/evaluations", form)
	expectStatus(t, "create", status, http.StatusSeeOther, body)
	var e sillage.Evaluation
	var grid []sillage.Competence
	f.st.Read(ctx, func(tx *store.Tx) error {
		evals, err := tx.Records().ListEvaluations(ctx, f.a.UAI, sillage.EvaluationFilter{DivisionID: f.a.Division.ID})
		for _, x := range evals {
			if x.Title == "Mise en service" {
				e = x
			}
		}
		grid, _ = tx.Records().ListEvaluationCompetences(ctx, f.a.UAI, e.ID)
		return err
	})
	if e.ID == 0 || e.AuthorID != f.a.Persons[sillage.RoleTeacher].ID || e.Diploma != "24732205" || len(grid) != 2 {
		t.Fatalf("created %+v with grid %+v", e, grid)
	}
	edit := url.Values{"titre": {"Mise en service d'une baie"}, "date": {"2025-10-07"}, "niveau": {"Première"}, "competences": {fmt.Sprint(comps[1].ID)}}
	status, body = f.do(c, "POST", fmt.Sprintf("/evaluations/%d/modifier", e.ID), edit)
	expectStatus(t, "edit", status, http.StatusSeeOther, body)
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		e, _ = tx.Records().GetEvaluation(ctx, f.a.UAI, e.ID)
		grid, err = tx.Records().ListEvaluationCompetences(ctx, f.a.UAI, e.ID)
		return err
	})
	if e.Title != "Mise en service d'une baie" || len(grid) != 1 || grid[0].ID != comps[1].ID {
		t.Errorf("after edit: %+v %+v", e, grid)
	}
}

// TestSheets: the student describes a sheet, the teacher evaluates it, the
// student can no longer delete it.
func TestSheets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sc := f.session(f.a, sillage.RoleStudent)
	status, body := f.do(sc, "POST", "/mon-livret/fiches", url.Values{"type": {"bacpro"}, "intitule": {"Stage chez un installateur"}, "contexte": {"pfmp"},
		"pfmp_debut": {"2025-12-01"}, "pfmp_fin": {"2025-11-01"}, "organisme": {"Élec 86"}})
	if status != 400 || !parsePage(t, body).has(".errors li", "précède son début") {
		t.Fatalf("bad PFMP dates: %d %.300s", status, body)
	}
	status, body = f.do(sc, "POST", "/mon-livret/fiches", url.Values{"type": {"bacpro"}, "intitule": {"Stage chez un installateur"}, "contexte": {"pfmp"},
		"pfmp_debut": {"2025-11-01"}, "pfmp_fin": {"2025-12-01"}, "organisme": {"Élec 86"}, "description": {"Pose de prises."}})
	expectStatus(t, "create", status, http.StatusSeeOther, body)
	var sh sillage.Sheet
	f.st.Read(ctx, func(tx *store.Tx) error {
		shs, err := tx.Records().ListSheets(ctx, f.a.UAI, sillage.SheetFilter{StudentID: f.a.Student.ID})
		sh = shs[0]
		return err
	})
	if sh.Title != "Stage chez un installateur" || sh.Host != "Élec 86" || sh.Context != sillage.ContextPFMP {
		t.Fatalf("sheet %+v", sh)
	}
	tc := f.session(f.a, sillage.RoleTeacher)
	status, body = f.do(tc, "POST", fmt.Sprintf("/fiches/%d/evaluation", sh.ID), url.Values{"resultat": {"7"}})
	expectStatus(t, "value off the scale", status, 400, body)
	status, body = f.do(tc, "POST", fmt.Sprintf("/fiches/%d/evaluation", sh.ID), url.Values{"resultat": {"4"}, "commentaire": {"Excellent."}})
	expectStatus(t, "evaluate", status, http.StatusSeeOther, body)
	f.st.Read(ctx, func(tx *store.Tx) (err error) { sh, err = tx.Records().GetSheet(ctx, f.a.UAI, sh.ID); return err })
	if sh.Result != "4" || sh.AuthorID != f.a.Persons[sillage.RoleTeacher].ID || sh.Comment != "Excellent." {
		t.Fatalf("evaluated sheet %+v", sh)
	}
	status, body = f.do(sc, "POST", fmt.Sprintf("/mon-livret/fiches/%d/supprimer", sh.ID), url.Values{"confirmer": {"1"}})
	expectStatus(t, "student deletes an evaluated sheet", status, http.StatusConflict, body)
	// What was evaluated stays what the teacher saw: no edit, no new file.
	status, body = f.do(sc, "GET", fmt.Sprintf("/mon-livret/fiches/%d/modifier", sh.ID), nil)
	expectStatus(t, "student opens the edit form of an evaluated sheet", status, http.StatusConflict, body)
	status, body = f.do(sc, "POST", fmt.Sprintf("/mon-livret/fiches/%d/modifier", sh.ID), url.Values{"type": {"bacpro"}, "intitule": {"Réécrit après coup"}, "contexte": {"class"}})
	expectStatus(t, "student edits an evaluated sheet", status, http.StatusConflict, body)
	status, body = f.upload(sc, fmt.Sprintf("/mon-livret/fiches/%d/fichiers", sh.ID), "ajout.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	expectStatus(t, "student attaches a file to an evaluated sheet", status, http.StatusConflict, body)
	var files []sillage.Attachment
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		if sh, err = tx.Records().GetSheet(ctx, f.a.UAI, sh.ID); err != nil {
			return err
		}
		files, err = tx.Records().ListAttachments(ctx, f.a.UAI, sh.ID)
		return err
	})
	if sh.Title != "Stage chez un installateur" || len(files) != 0 {
		t.Errorf("the evaluated sheet changed: %q, %d files", sh.Title, len(files))
	}
	_, page := f.do(sc, "GET", fmt.Sprintf("/mon-livret/fiches/%d", sh.ID), nil)
	pg := parsePage(t, page)
	if !pg.has("main p", "Excellent.") || !pg.has("main p", "Très bien maîtrisé") {
		t.Error("the student's sheet page lacks the evaluation")
	}
	if !pg.has("p.hint", "a été évaluée") || pg.has("main button", "Joindre le fichier") || pg.has("main a", "Modifier la description") {
		t.Error("the student's evaluated sheet still offers changes")
	}
	// A teacher creates a sheet for a student of their division.
	status, body = f.do(tc, "POST", fmt.Sprintf("/eleves/%d/fiches", f.a.Student.ID), url.Values{"type": {"bep"}, "intitule": {"TP de câblage"}, "contexte": {"class"}, "classe": {"Atelier 2"}})
	expectStatus(t, "teacher creates a sheet", status, http.StatusSeeOther, body)
}

// TestFullRecordDownloads: the student, the parent and the director
// download the ZIP; each download is in the audit log.
func TestFullRecordDownloads(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, dl := range []struct {
		role sillage.Role
		path string
	}{
		{sillage.RoleStudent, "/mon-livret/telecharger"},
		{sillage.RoleParent, fmt.Sprintf("/mes-enfants/%d/telecharger", f.a.Student.ID)},
		{sillage.RoleDirector, fmt.Sprintf("/eleves/%d/telecharger", f.a.Student.ID)},
	} {
		resp := f.get(f.session(f.a, dl.role), dl.path)
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %v", dl.role, resp.StatusCode, resp.Header)
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", dl.role, err)
		}
		names := map[string]bool{}
		for _, zf := range zr.File {
			names[zf.Name] = true
		}
		if !names["livret.pdf"] || !names["livret.json"] || !names["fichiers/01-Installation d'un réseau/rapport de stage.pdf"] {
			t.Errorf("%s: entries %v", dl.role, names)
		}
	}
	// A teacher may not download the whole record.
	status, _ := f.do(f.session(f.a, sillage.RoleTeacher), "GET", fmt.Sprintf("/eleves/%d/telecharger", f.a.Student.ID), nil)
	if status != 403 {
		t.Errorf("teacher download: %d", status)
	}
	var entries []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		entries, err = tx.Audit().ListAudit(ctx, f.a.UAI, sillage.AuditFilter{Action: audit.RecordDownloaded})
		return err
	})
	roles := map[string]bool{}
	for _, e := range entries {
		roles[e.ActorRole] = true
	}
	if len(entries) != 3 || !roles["student"] || !roles["parent"] || !roles["director"] {
		t.Errorf("audit of downloads: %+v", entries)
	}
}

// TestRecordsImportAPI: an administrator's token imports a file with good
// and bad items; the report lists each bad one; running again changes
// nothing; the export gives the data back.
func TestRecordsImportAPI(t *testing.T) {
	f := newFixture(t)
	c := f.session(f.a, sillage.RoleAdministrator)
	file := `{"format": "sillage-livrets", "version": 1, "eleves": [
	  {"eleve_id": "1001", "evaluations": [
	    {"cle": "ext-1", "titre": "Repris d'un autre logiciel", "date": "2025-09-15", "diplome": "24732205",
	     "resultats": [{"competence": "C1", "valeur": "4"}, {"competence": "C2", "valeur": "2"}, {"competence": "Z9", "valeur": "1"}, {"competence": "C3", "valeur": "5"}]},
	    {"titre": "Mauvaise date", "date": "15/09/2025", "diplome": "24732205"}]},
	  {"eleve_id": "9999", "evaluations": []}
	]}`
	post := func(q string) (int, records.Report) {
		req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/livrets"+q, strings.NewReader(file))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep records.Report
		json.NewDecoder(resp.Body).Decode(&rep)
		return resp.StatusCode, rep
	}
	status, dry := post("?simulation=1")
	if status != 200 || !dry.DryRun || dry.ResultsAdded != 2 {
		t.Fatalf("dry run: %d %+v", status, dry)
	}
	status, rep := post("")
	if status != 200 || rep.ResultsAdded != 2 || rep.EvaluationsCreated != 1 || len(rep.Rejected) != 4 {
		t.Fatalf("import: %d %+v", status, rep)
	}
	positions := []string{}
	for _, r := range rep.Rejected {
		positions = append(positions, r.Position)
	}
	want := []string{"eleves[0].evaluations[0].resultats[2]", "eleves[0].evaluations[0].resultats[3]", "eleves[0].evaluations[1]", "eleves[1]"}
	if !reflect.DeepEqual(positions, want) {
		t.Errorf("rejections at %v, want %v", positions, want)
	}
	_, again := post("")
	if again.Changed() || again.ResultsUnchanged != 2 {
		t.Errorf("second import: %+v", again)
	}
	resp := f.get(c, "/api/v1/livrets?eleve_id=1001")
	var out records.File
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Students) != 1 || out.Students[0].EleveID != "1001" {
		t.Fatalf("export: %v %+v", err, out)
	}
	found := false
	for _, e := range out.Students[0].Evaluations {
		found = found || e.Key == "ext-1" && len(e.Results) == 2
	}
	if !found {
		t.Errorf("the imported evaluation is not in the export: %+v", out.Students[0].Evaluations)
	}
	// Not for teachers.
	req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/livrets", strings.NewReader(file))
	r2, _ := f.session(f.a, sillage.RoleTeacher).Do(req)
	if r2.StatusCode != 403 {
		t.Errorf("teacher import: %d", r2.StatusCode)
	}
}

// TestScale: the administrator changes the scale (audited); the grid then
// accepts the new codes only.
func TestScale(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.session(f.a, sillage.RoleAdministrator)
	bad := url.Values{"code": {"A", "A"}, "libelle": {"Acquis", "Autre"}, "points": {"4", "3"}}
	status, body := f.do(c, "POST", "/echelle", bad)
	expectStatus(t, "duplicate code", status, 400, body)
	good := url.Values{"code": {"A", "ECA", "NA", "ABS", ""}, "libelle": {"Acquis", "En cours d'acquisition", "Non acquis", "Absent", ""},
		"points": {"4", "2", "1", "-1", "0"}}
	status, body = f.do(c, "POST", "/echelle", good)
	expectStatus(t, "save", status, http.StatusSeeOther, body)
	tc := f.session(f.a, sillage.RoleTeacher)
	evalPath := fmt.Sprintf("/evaluations/%d/resultat", f.a.IDs["evaluation"])
	cell := url.Values{"eleve": {fmt.Sprint(f.a.Student.ID)}, "competence": {fmt.Sprint(f.a.IDs["competence"])}, "valeur": {"eca"}}
	if status, body := f.do(tc, "POST", evalPath, cell); status != 200 {
		t.Errorf("new code: %d %s", status, body)
	}
	cell.Set("valeur", "3")
	if status, _ := f.do(tc, "POST", evalPath, cell); status != 400 {
		t.Errorf("old code accepted: %d", status)
	}
	f.st.Read(ctx, func(tx *store.Tx) error {
		entries, err := tx.Audit().ListAudit(ctx, f.a.UAI, sillage.AuditFilter{Action: records.AuditScaleChanged})
		if err != nil || len(entries) != 1 {
			t.Errorf("audit of the scale: %+v %v", entries, err)
		}
		return err
	})
}

// TestAPIRecordJournaled: the whole record read through the API leaves
// Sillage like the ZIP download, and is journaled the same way; a refused
// read writes nothing.
func TestAPIRecordJournaled(t *testing.T) {
	f := newFixture(t)
	o := addOthers(t, f)
	ctx := context.Background()
	count := func() []sillage.AuditEntry {
		var entries []sillage.AuditEntry
		f.st.Read(ctx, func(tx *store.Tx) (err error) {
			entries, err = tx.Audit().ListAudit(ctx, f.a.UAI, sillage.AuditFilter{Action: audit.RecordDownloaded})
			return err
		})
		return entries
	}
	before := len(count())
	c := f.session(f.a, sillage.RoleTeacher)
	status, body := f.do(c, "GET", fmt.Sprintf("/api/v1/eleves/%d", f.a.Student.ID), nil)
	expectStatus(t, "API record", status, 200, body)
	status, body = f.do(c, "GET", fmt.Sprintf("/api/v1/eleves/%d", o.far.ID), nil)
	expectStatus(t, "API record out of reach", status, 404, body)
	entries := count()
	if len(entries) != before+1 || entries[0].Details != "livret (JSON, API)" || entries[0].ActorID != f.a.Persons[sillage.RoleTeacher].ID {
		t.Fatalf("journal: %d entries before, now %+v", before, entries)
	}
}
