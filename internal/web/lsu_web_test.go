package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/sharedref"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/web"
)

// The establishments of the Livret Scolaire web tests, beside the
// fixture's A and B.
const (
	uaiCollege = sillage.UAI("0861234Z")
	uaiEcole   = sillage.UAI("0861235A")
)

func requireXmllint(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("SILLAGE_REQUIRE_XMLLINT") == "1" {
			tb.Fatal("xmllint not found but SILLAGE_REQUIRE_XMLLINT=1")
		}
		tb.Skip("xmllint not found (apt-get install libxml2-utils)")
	}
}

// lsuEstablishment adds a synthetic collège or école to the fixture's
// store, with accounts for its director and its teachers.
func (f *fixture) lsuEstablishment(o lsutest.Options) *lsutest.Fixture {
	f.t.Helper()
	ctx := context.Background()
	lf, err := lsutest.Build(ctx, f.st, o)
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.st.Write(ctx, func(tx *store.Tx) error {
		if err := withAccount(ctx, tx, o.UAI, &lf.Director, "direction."+strings.ToLower(string(o.UAI))); err != nil {
			return err
		}
		for i := range lf.Teachers {
			if err := withAccount(ctx, tx, o.UAI, &lf.Teachers[i], fmt.Sprintf("prof%d.%s", i, strings.ToLower(string(o.UAI)))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.cfg.LSUSchemaDir = sharedref.Path(f.t, "lsu")
	return lf
}

func postMultipart(t *testing.T, c *http.Client, target string, fields url.Values, file string, data []byte) *http.Response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if file != "" {
		w, _ := mw.CreateFormFile(file, "CSVExtraction.csv")
		w.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", target, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

func bodyOf(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return string(b)
}

var exportLink = regexp.MustCompile(`^/lsu/exports/(\d+)$`)

// TestLSUExportPage runs a class export from the page as the director, on
// every engine: the report page, the kept file (valid against the XSD),
// the CSV report and the audit entry.
func TestLSUExportPage(t *testing.T) {
	requireXmllint(t)
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 4, PerDivision: 3, Periods: 2, Subjects: 4, Cycle: true})
			c := f.sessionOf(uaiCollege, lf.Director)
			page := f.get(c, "/lsu")
			if pg := parsePage(t, bodyOf(page)); page.StatusCode != 200 || !pg.has("h2", "Prérequis") || !pg.has(`select[name="division"] option`, "3E1") {
				t.Fatalf("/lsu: %d", page.StatusCode)
			}
			form := url.Values{"portee": {"division"}, "division": {"3E1"}, "periode": {fmt.Sprint(lf.Periods[0].ID), fmt.Sprint(lf.Periods[1].ID)}, "cycle": {"1"}}
			resp := postMultipart(t, c, f.ts.URL+"/lsu", form, "", nil)
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !exportLink.MatchString(loc) {
				t.Fatalf("POST /lsu: %d %s %.300s", resp.StatusCode, loc, bodyOf(resp))
			}
			view := f.get(c, loc)
			body := bodyOf(view)
			if pg := parsePage(t, body); view.StatusCode != 200 || !pg.has("#outcome .badge", "fichier produit et validé") || !pg.has("#counts li", "3 élève(s) exporté(s)") {
				t.Fatalf("export page: %d %.2000s", view.StatusCode, body)
			}
			file := f.get(c, loc+"/fichier")
			xml := bodyOf(file)
			if file.StatusCode != 200 || file.Header.Get("Content-Type") != "application/xml" || !strings.Contains(xml, `code-division="3E1"`) {
				t.Fatalf("file: %d %v", file.StatusCode, file.Header)
			}
			path := filepath.Join(t.TempDir(), "lsu.xml")
			os.WriteFile(path, []byte(xml), 0o600)
			xsd, _ := lsu.SchemaFile(sharedref.Path(t, "lsu"), lsu.SecondDegree, lsu.Version10)
			if err := lsu.Validate(context.Background(), xsd, path); err != nil {
				t.Fatalf("the downloaded file: %v", err)
			}
			csv := f.get(c, loc+"/rapport.csv")
			if csv.StatusCode != 200 || !strings.HasPrefix(bodyOf(csv), "\uFEFFType;Élève;") {
				t.Fatalf("CSV report: %d %.100q", csv.StatusCode, bodyOf(csv))
			}
			// Only the kept file and report: filtering by kind.
			if fixed := f.get(c, loc+"?type=fixed"); !parsePage(t, bodyOf(fixed)).has("#report tr.kind-fixed td .badge", "Corrigé") {
				t.Error("the filter by kind shows no fix")
			}
			ctx := context.Background()
			var entries []sillage.AuditEntry
			f.st.Read(ctx, func(tx *store.Tx) (err error) {
				entries, err = tx.Audit().ListAudit(ctx, uaiCollege, sillage.AuditFilter{Action: audit.ExportLSU})
				return err
			})
			// The export, then the download of its file: both journaled.
			if len(entries) != 2 || entries[0].ActorID != lf.Director.ID || !strings.Contains(entries[0].Details, "téléchargement de l'export") ||
				!strings.HasPrefix(entries[1].Target, "export LSU n°") {
				t.Fatalf("audit: %+v", entries)
			}
			// A teacher reaches neither the page nor the export.
			teacher := f.sessionOf(uaiCollege, lf.Teachers[0])
			if r := f.get(teacher, loc); r.StatusCode != http.StatusForbidden {
				t.Errorf("a teacher on the export: %d", r.StatusCode)
			}
			// An empty selection is refused with a message.
			bad := postMultipart(t, c, f.ts.URL+"/lsu", url.Values{"portee": {"division"}, "division": {"3E1"}}, "", nil)
			if bad.StatusCode != http.StatusBadRequest || !parsePage(t, bodyOf(bad)).has(".error-message", "au moins une période") {
				t.Errorf("no period: %d", bad.StatusCode)
			}
		})
	}
}

// TestLSUExportRefusedWithoutSchemas: no schema folder, no file.
func TestLSUExportRefusedWithoutSchemas(t *testing.T) {
	f := newFixture(t)
	lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 1, PerDivision: 2, Periods: 1, Subjects: 2})
	f.cfg.LSUSchemaDir = t.TempDir()
	c := f.sessionOf(uaiCollege, lf.Director)
	resp := postMultipart(t, c, f.ts.URL+"/lsu", url.Values{"portee": {"division"}, "division": {"6E1"}, "periode": {fmt.Sprint(lf.Periods[0].ID)}}, "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !parsePage(t, bodyOf(resp)).has(".error-message", "SILLAGE_LSU_SCHEMA_DIR") {
		t.Fatalf("without schemas: %d %.300s", resp.StatusCode, bodyOf(resp))
	}
	var exps []sillage.LSUExport
	f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
		exps, err = tx.Livret().ListLSUExports(context.Background(), uaiCollege, 0)
		return err
	})
	if len(exps) != 0 {
		t.Fatalf("an export was recorded: %+v", exps)
	}
}

// TestLSUFirstDegreeNoINEKeptOrLogged: a 1st-degree export from the page
// with the ONDE file: the file is handed over with the INEs, and no INE is
// left in the database, the files, the report or the server's log — also
// when the export is refused or the file is stale.
func TestLSUFirstDegreeNoINEKeptOrLogged(t *testing.T) {
	requireXmllint(t)
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			lf := f.lsuEstablishment(lsutest.Options{UAI: uaiEcole, Ecole: true, Divisions: 2, PerDivision: 3, Periods: 1, Subjects: 4, Cycle: true})
			var logs bytes.Buffer
			srv, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			f.ts = ts
			c := f.sessionOf(uaiEcole, lf.Director)
			if page := f.get(c, "/lsu"); !parsePage(t, bodyOf(page)).has(`label[for="onde"]`, "CSVExtraction.csv") {
				t.Fatal("the 1st-degree page must ask for the ONDE file")
			}
			form := url.Values{"portee": {"etablissement"}, "periode": {fmt.Sprint(lf.Periods[0].ID)}, "cycle": {"1"}}
			resp := postMultipart(t, c, ts.URL+"/lsu", form, "onde", lf.ONDE)
			file := bodyOf(resp)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(file, "<lsun-bilans") {
				t.Fatalf("1st-degree export: %d %.500s", resp.StatusCode, file)
			}
			for _, ine := range lf.INEs {
				if !strings.Contains(file, `ine="`+ine+`"`) {
					t.Fatal("the file handed over lacks an INE")
				}
			}
			// Without the ONDE file: refused with the message.
			none := postMultipart(t, c, ts.URL+"/lsu", form, "", nil)
			if none.StatusCode != http.StatusBadRequest || !parsePage(t, bodyOf(none)).has(".error-message", "ONDE") {
				t.Fatalf("without ONDE: %d", none.StatusCode)
			}
			// A stale file (one class unknown) and a broken one.
			stale := bytes.ReplaceAll(lf.ONDE, []byte(`"70001"`), []byte(`"79999"`))
			if r := postMultipart(t, c, ts.URL+"/lsu", form, "onde", stale); r.StatusCode != 200 {
				t.Fatalf("stale ONDE file: %d", r.StatusCode)
			}
			broken := append([]byte("pas;un;fichier\n"), lf.ONDE...)
			if r := postMultipart(t, c, ts.URL+"/lsu", form, "onde", broken); r.StatusCode != http.StatusBadRequest {
				t.Fatalf("broken ONDE file: %d", r.StatusCode)
			}
			// The report pages of the exports.
			var exps []sillage.LSUExport
			f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
				exps, err = tx.Livret().ListLSUExports(context.Background(), uaiEcole, 0)
				return err
			})
			if len(exps) != 2 || exps[0].FileSHA256 != "" || exps[1].FileSHA256 != "" {
				t.Fatalf("1st-degree exports: %+v", exps)
			}
			var texts []string
			for _, e := range exps {
				texts = append(texts, bodyOf(f.get(c, fmt.Sprintf("/lsu/exports/%d", e.ID))), bodyOf(f.get(c, fmt.Sprintf("/lsu/exports/%d/rapport.csv", e.ID))))
				if r := f.get(c, fmt.Sprintf("/lsu/exports/%d/fichier", e.ID)); r.StatusCode != http.StatusNotFound {
					t.Errorf("a 1st-degree file was kept: %d", r.StatusCode)
				}
			}
			texts = append(texts, logs.String(), bodyOf(f.get(c, "/lsu")))
			texts = append(texts, dumpDatabase(t, f.st)...)
			var refs map[string]bool
			f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
				refs, err = tx.CrossTenant().BlobRefs(context.Background())
				return err
			})
			for h := range refs {
				if b, err := f.blobs.Open(h); err == nil {
					data, _ := io.ReadAll(b)
					b.Close()
					texts = append(texts, string(data))
				}
			}
			for _, ine := range lf.INEs {
				for _, s := range texts {
					if strings.Contains(s, ine) {
						t.Fatalf("an INE was kept or logged outside the file: %.300s", s[max(0, strings.Index(s, ine)-150):])
					}
				}
			}
		})
	}
}

// dumpDatabase returns every row of every table as text.
func dumpDatabase(t *testing.T, st *store.Store) []string {
	t.Helper()
	db := st.SQLDB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if st.Kind() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var out []string
	for _, table := range tables {
		rs, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		var b strings.Builder
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rs.Scan(ptrs...)
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v|", v)
			}
			b.WriteByte('\n')
		}
		rs.Close()
		out = append(out, b.String())
	}
	if len(out) < 20 {
		t.Fatalf("only %d tables dumped", len(out))
	}
	return out
}

// TestLSUSettingsPage: the version setting and the thresholds, with their checks.
func TestLSUSettingsPage(t *testing.T) {
	f := newFixture(t)
	c := f.session(f.a, sillage.RoleDirector)
	if st, body := f.do(c, "POST", "/lsu/parametres", url.Values{"version": {"7.0"}, "mode": {"positionnements"}, "modalite_n": {"S"}, "seuils": {"1,5 ; 2,5 ; 3,4"}}); st != http.StatusSeeOther {
		t.Fatalf("settings: %d %.300s", st, body)
	}
	_, body := f.do(c, "GET", "/lsu", nil)
	if pg := parsePage(t, body); pg.text("#version option[selected]") != "7.0" || pg.attr("#seuils", "value") != "1,5 ; 2,5 ; 3,4" {
		t.Fatal("the settings are not shown back")
	}
	for _, bad := range []url.Values{
		{"version": {"1.0b"}, "mode": {"moyennes"}, "seuils": {"1;2;3"}},
		{"version": {"10.0"}, "mode": {"moyennes"}, "seuils": {"3;2;1"}},
		{"version": {"10.0"}, "mode": {"moyennes"}, "modalite_n": {"Z"}, "seuils": {"1;2;3"}},
	} {
		if st, _ := f.do(c, "POST", "/lsu/parametres", bad); st != http.StatusBadRequest {
			t.Errorf("settings %v: %d, want 400", bad, st)
		}
	}
}
