package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/scratch"
	"github.com/sillage/sillage/internal/sharedref"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/web"
)

// Every tenant of the fixture has an import report: the {report} of the
// import pages.
func init() {
	fixtureSetups = append(fixtureSetups, func(ctx context.Context, tx *store.Tx, f *fixture, tn *tenant) error {
		body := fmt.Sprintf(`{"uai":%q,"source":"siecle","type_de_fichier":"SIECLE — élèves","fichier":"ElevesSansAdresses.xml","statut":"applique","personnes":[{"type":"eleves","libelle":"Élèves","crees":1}]}`, tn.UAI)
		ir := sillage.ImportReport{Source: "siecle", FileName: "ElevesSansAdresses.xml", SchoolYear: sillage.SchoolYearOf(f.clock.T), Report: body}
		if err := tx.Imports().CreateImportReport(ctx, tn.UAI, &ir); err != nil {
			return err
		}
		tn.IDs["report"] = ir.ID
		return nil
	})
}

// heldToken is the shape of the token a held import's confirmation form
// carries.
var heldToken = regexp.MustCompile(`^[0-9a-f]{32}$`)

type importFile struct {
	name string
	data []byte
}

// postImport sends the import form.
func postImport(t *testing.T, c *http.Client, url string, fields map[string]string, files ...importFile) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile("fichier", f.name)
		w.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", url+"/imports", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func testdataFile(t *testing.T, name string) importFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "directory", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return importFile{name, data}
}

// TestImportPages: an administrator uploads the SIECLE exports of the
// scenario (fixture establishment A is 0860012W): dry run, import, a
// mass deactivation held then confirmed without sending the file again;
// the reports kept, one page each, a JSON download; the transfer hook.
func TestImportPages(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) { testImportPages(t, newFixtureOn(t, kind)) })
	}
}

func testImportPages(t *testing.T, f *fixture) {
	var hooked [][]sillage.UAI
	srv, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Hooks: web.Hooks{QueueTransfer: func(ctx context.Context, tx *store.Tx, uai sillage.UAI) error {
			hooked = append(hooked, []sillage.UAI{uai})
			return nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	admin := f.session(f.a, sillage.RoleAdministrator)

	status, body := f.do(admin, "GET", "/imports", nil)
	if pg := parsePage(t, body); status != 200 || !pg.has("h2", "Importer un fichier") || !pg.has("#kept-reports td", "ElevesSansAdresses.xml") {
		t.Fatalf("page: %d", status)
	}
	f1 := testdataFile(t, "siecle_0860012W_1.xml")
	status, body = postImport(t, admin, ts.URL, map[string]string{"type": "siecle", "simulation": "1"}, f1)
	if status != 200 || !parsePage(t, body).has(".import-report .badge", "simulation") || len(hooked) != 0 {
		t.Fatalf("dry run: %d %.500s", status, body)
	}
	status, body = postImport(t, admin, ts.URL, map[string]string{"type": "siecle"}, f1)
	if pg := parsePage(t, body); status != 200 || !pg.has(".import-report .badge.ok", "appliqué") || !pg.has(".import-report li, .import-report td", "PETIT Zoé") || len(hooked) != 1 || hooked[0][0] != uaiA {
		t.Fatalf("import: %d hooks %v %.500s", status, hooked, body)
	}
	// The held import: 2 of 7 active students (6 + the fixture's).
	f2 := testdataFile(t, "siecle_0860012W_2.xml")
	status, body = postImport(t, admin, ts.URL, map[string]string{"type": "siecle"}, f2)
	pg := parsePage(t, body)
	token := pg.attr(`form#confirmation input[name="jeton"]`, "value")
	if status != http.StatusConflict || !pg.has(".import-report .badge.ko", "en attente de confirmation") || !heldToken.MatchString(token) {
		t.Fatalf("held: %d %.800s", status, body)
	}
	// Held, the upload is sealed: no INE of the files rests in the
	// database or the data directory (point 3 of docs/securite.md).
	ines := storetest.INEsIn(t, filepath.Join("..", "directory", "testdata", "siecle_0860012W_1.xml"),
		filepath.Join("..", "directory", "testdata", "siecle_0860012W_2.xml"))
	storetest.NoINEAtRest(t, f.st, ines, f.cfg.DataDir, f.blobDir)
	// Held in the database (any server of the instance may take the
	// confirmation), nothing left on this server's disk.
	if n := heldCount(t, f.st); n != 1 {
		t.Fatalf("%d held uploads in the database, want 1", n)
	}
	if entries, _ := os.ReadDir(f.cfg.UploadsDir()); len(entries) != 0 {
		t.Fatalf("the uploads' folder keeps %d entries once the upload is held", len(entries))
	}
	// Another establishment's administrator cannot confirm it.
	other := f.session(f.b, sillage.RoleAdministrator)
	if status, _ := postImport(t, other, ts.URL, map[string]string{"jeton": token}); status != http.StatusNotFound {
		t.Fatalf("confirmation from B: %d", status)
	}
	status, body = postImport(t, admin, ts.URL, map[string]string{"jeton": token})
	if pg := parsePage(t, body); status != 200 || !pg.has(".import-report .badge.ok", "appliqué") || !pg.has(".import-report li, .import-report td", "BERNARD Chloé") || len(hooked) != 2 {
		t.Fatalf("confirmed: %d %.800s", status, body)
	}
	if status, _ := postImport(t, admin, ts.URL, map[string]string{"jeton": token}); status != http.StatusNotFound {
		t.Fatalf("a confirmation is used once: %d", status)
	}
	// Confirmed, nothing of the upload is left.
	storetest.NoINEAtRest(t, f.st, ines, f.cfg.DataDir, f.blobDir)
	if entries, _ := os.ReadDir(f.cfg.UploadsDir()); len(entries) != 0 || heldCount(t, f.st) != 0 {
		t.Fatalf("after the confirmation: %d entries in the uploads' folder, %d held uploads", len(entries), heldCount(t, f.st))
	}
	var kept []sillage.ImportReport
	f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
		kept, err = tx.Imports().ListImportReports(context.Background(), uaiA)
		return err
	})
	if len(kept) != 3 {
		t.Fatalf("%d reports kept, want 3 (fixture, import, confirmed import)", len(kept))
	}
	status, body = f.do(admin, "GET", fmt.Sprintf("/imports/%d", kept[0].ID), nil)
	if pg := parsePage(t, body); status != 200 || !pg.has(".import-report dl.facts dt", "Élèves entrant dans l") || !pg.has(".import-report details li", "MOREAU Jade") {
		t.Fatalf("report page: %d %.500s", status, body)
	}
	status, body = f.do(admin, "GET", fmt.Sprintf("/imports/%d/json", kept[0].ID), nil)
	var rep directory.Report
	if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep.Count(directory.KindStudents).Deactivated != 2 || rep.ID != kept[0].ID {
		t.Fatalf("json: %d %.300s", status, body)
	}
	for _, ine := range []string{"998000001ZX", "9900000002T"} {
		if strings.Contains(body, ine) {
			t.Errorf("the report holds an INE")
		}
	}
	// Another establishment's report is not found.
	if status, _ := f.do(admin, "GET", fmt.Sprintf("/imports/%d", f.b.IDs["report"]), nil); status != http.StatusNotFound {
		t.Errorf("B's report seen from A: %d", status)
	}

	// Refusals: another establishment's file, a missing type, a file too large.
	status, body = postImport(t, other, ts.URL, map[string]string{"type": "siecle"}, f1)
	if status != http.StatusBadRequest || !parsePage(t, body).has(".import-report .errors", "pas 0010856A") {
		t.Fatalf("wrong establishment: %d %.300s", status, body)
	}
	status, body = postImport(t, admin, ts.URL, nil, f1)
	if status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "type de fichier") {
		t.Fatalf("no type: %d", status)
	}
	f.cfg.MaxImport = 100
	status, body = postImport(t, admin, ts.URL, map[string]string{"type": "siecle"}, f1)
	if status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "trop volumineux") {
		t.Fatalf("too large: %d", status)
	}
}

// TestImportAAFUpload: AAF files uploaded under their national names; the
// structure's wrong UAI is mapped to the administrator's establishment;
// the other establishments of the files are left aside.
func TestImportAAFUpload(t *testing.T) {
	f := newFixture(t)
	admin := f.session(f.b, sillage.RoleAdministrator)
	var files []importFile
	dir := sharedref.Path(t, "aaf", "springboard-plugin-aaf-duplicates-test")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".xml") {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			files = append(files, importFile{e.Name(), data})
		}
	}
	status, body := postImport(t, admin, f.ts.URL, map[string]string{"type": "aaf"}, files...)
	if status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "aucun enregistrement de l'établissement 0010856A") {
		t.Fatalf("unmapped: %d %.800s", status, body)
	}
	// Mapped: the fixture's student of B is not in the files, a complete
	// import would deactivate all of B's students: held, then confirmed.
	status, body = postImport(t, admin, f.ts.URL, map[string]string{"type": "aaf", "uai_fichier": "0123456z"}, files...)
	pg := parsePage(t, body)
	token := pg.attr(`form#confirmation input[name="jeton"]`, "value")
	if status != http.StatusConflict || !heldToken.MatchString(token) || !pg.has(".import-report p.callout", "1 sur 1 actifs") {
		t.Fatalf("mapped: %d %s", status, body[strings.Index(body, "<main"):])
	}
	status, body = postImport(t, admin, f.ts.URL, map[string]string{"jeton": token})
	if pg := parsePage(t, body); status != 200 || !pg.has(".import-report .badge.ok", "appliqué") || !pg.has(".import-report p", "Divisions créées : 1TES 2") {
		t.Fatalf("confirmed: %d %s", status, body[strings.Index(body, "<main"):])
	}
	if status, body := postImport(t, admin, f.ts.URL, map[string]string{"type": "aaf", "uai_fichier": "0860012W"}, files...); status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "autre établissement") {
		t.Fatalf("mapping another establishment's UAI: %d", status)
	}
	bad := []importFile{{"../../etc/passwd.xml", files[0].data}}
	if status, body := postImport(t, admin, f.ts.URL, map[string]string{"type": "aaf"}, bad...); status != http.StatusBadRequest {
		t.Fatalf("a file without an AAF name: %d %.300s", status, body)
	}
}

// TestHeldImportExpires: a held upload carries INEs; it is kept sealed in
// the database, and an hour later its token no longer confirms anything.
func TestHeldImportExpires(t *testing.T) {
	f := newFixture(t)
	srv, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	admin := f.session(f.a, sillage.RoleAdministrator)
	if status, body := postImport(t, admin, ts.URL, map[string]string{"type": "siecle"}, testdataFile(t, "siecle_0860012W_1.xml")); status != 200 {
		t.Fatalf("import: %d %.500s", status, body)
	}
	status, body := postImport(t, admin, ts.URL, map[string]string{"type": "siecle"}, testdataFile(t, "siecle_0860012W_2.xml"))
	token := parsePage(t, body).attr(`form#confirmation input[name="jeton"]`, "value")
	if status != http.StatusConflict || !heldToken.MatchString(token) {
		t.Fatalf("held: %d %.500s", status, body)
	}
	if n := heldCount(t, f.st); n != 1 {
		t.Fatalf("%d held uploads in the database, want 1", n)
	}
	f.clock.T = f.clock.T.Add(61 * time.Minute)
	delete(f.tokens, string(f.a.UAI)+"/"+string(sillage.RoleAdministrator)) // the idle session expired meanwhile
	admin = f.session(f.a, sillage.RoleAdministrator)
	if status, _ := postImport(t, admin, ts.URL, map[string]string{"jeton": token}); status != http.StatusNotFound {
		t.Fatalf("an expired confirmation: %d", status)
	}
	// Refused, it is gone too (the hourly job deletes the others).
	if n := heldCount(t, f.st); n != 0 {
		t.Fatalf("%d held uploads left after an expired confirmation", n)
	}
}

// TestDeadUploadsRemovedAtStart: the folder of an upload whose server died
// (its lock released) goes when the next server starts, at once; an upload
// in progress in a live process stays.
func TestDeadUploadsRemovedAtStart(t *testing.T) {
	f := newFixture(t)
	pending := filepath.Join(f.cfg.DataDir, "imports-en-attente")
	dead := filepath.Join(pending, "envoi-mort")
	if err := os.MkdirAll(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dead, "import-1"), []byte("<BEE_ELEVES>"), 0o600)
	live, err := scratch.New(pending, "envoi-")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead upload's folder survived the start: %v", err)
	}
	if _, err := os.Stat(live.Path); err != nil {
		t.Errorf("a live upload's folder was removed: %v", err)
	}
}

// TestImportPagesRejectsAndOldFiles: a file with a rejected record is
// "appliqué avec rejets" and its student is listed as left in place; a
// file of a past school year is held, then confirmed without sending it
// again.
func TestImportPagesRejectsAndOldFiles(t *testing.T) {
	f := newFixture(t)
	srv, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	admin := f.session(f.a, sillage.RoleAdministrator)
	f1 := testdataFile(t, "siecle_0860012W_1.xml")
	if status, body := postImport(t, admin, ts.URL, map[string]string{"type": "siecle"}, f1); status != 200 || parsePage(t, body).count(".import-report .badge.ok") != 1 {
		t.Fatalf("import: %d %.500s", status, body)
	}
	// PETIT Zoé's birth date made impossible: she stays, left in place.
	broken := importFile{f1.name, bytes.Replace(f1.data, []byte("<DATE_NAISS>09/01/2008</DATE_NAISS>"), []byte("<DATE_NAISS>31/02/2008</DATE_NAISS>"), 1)}
	if bytes.Equal(broken.data, f1.data) {
		t.Fatal("the test file was not changed")
	}
	status, body := postImport(t, admin, ts.URL, map[string]string{"type": "siecle"}, broken)
	pg := parsePage(t, body)
	if status != 200 || !pg.has(".import-report .badge.warn", "appliqué avec rejets") || pg.count("table#left-in-place") != 1 ||
		!slices.ContainsFunc(pg.texts("#left-in-place tbody tr"), regexp.MustCompile(`PETIT Zoé.*date de naissance`).MatchString) {
		t.Fatalf("rejects: %d %.2000s", status, body)
	}
	// Last year's file: held with the reason, confirmed with the token.
	old := importFile{f1.name, bytes.Replace(f1.data, []byte("<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>"), []byte("<ANNEE_SCOLAIRE>2024</ANNEE_SCOLAIRE>"), 1)}
	status, body = postImport(t, admin, ts.URL, map[string]string{"type": "siecle"}, old)
	pg = parsePage(t, body)
	token := pg.attr(`form#confirmation input[name="jeton"]`, "value")
	if status != http.StatusConflict || !pg.has(".import-report .errors", "année scolaire 2024-2025, antérieure") || !pg.has("#confirmation p.callout", "plus ancien que l'année en cours") || !heldToken.MatchString(token) {
		t.Fatalf("old file: %d %.3000s", status, body)
	}
	status, body = postImport(t, admin, ts.URL, map[string]string{"jeton": token})
	if status != 200 || !parsePage(t, body).has(".import-report .badge", "appliqué") {
		t.Fatalf("old file confirmed: %d %.800s", status, body)
	}
}

// heldCount is the number of uploads held for a confirmation.
func heldCount(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.SQLDB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM held_imports`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
