package livret_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/onde"
	"github.com/sillage/sillage/internal/sharedref"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	uaiCollege = sillage.UAI("0861234Z")
	uaiEcole   = sillage.UAI("0860012W")
)

// requireXmllint skips without xmllint, unless SILLAGE_REQUIRE_XMLLINT=1.
func requireXmllint(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("SILLAGE_REQUIRE_XMLLINT") == "1" {
			tb.Fatal("xmllint not found but SILLAGE_REQUIRE_XMLLINT=1")
		}
		tb.Skip("xmllint not found (apt-get install libxml2-utils)")
	}
}

func openBlobs(tb testing.TB) blob.Store {
	b, err := blob.Open(tb.TempDir(), 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

var actor = audit.Actor{ID: 1, Role: string(sillage.RoleAdministrator), Name: "Admin Test"}

// college builds the collège of the golden tests: 4 divisions (6e, 5e, 4e,
// 3e) of 5 students, 6 subjects, 2 closed trimesters, end-of-cycle reports.
func college(t testing.TB, st *store.Store) *lsutest.Fixture {
	t.Helper()
	f, err := lsutest.Build(context.Background(), st, lsutest.Options{UAI: uaiCollege, Divisions: 4, PerDivision: 5, Periods: 2, Subjects: 6, Cycle: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func ecole(t testing.TB, st *store.Store) *lsutest.Fixture {
	t.Helper()
	f, err := lsutest.Build(context.Background(), st, lsutest.Options{UAI: uaiEcole, Ecole: true, Divisions: 2, PerDivision: 4, Periods: 1, Subjects: 5, Cycle: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readONDE(t testing.TB, data []byte) *onde.PupilsFile {
	t.Helper()
	pf, err := onde.ReadPupils(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

func run(t testing.TB, st *store.Store, blobs blob.Store, uai sillage.UAI, req livret.Request) *livret.Outcome {
	t.Helper()
	req.SchemaDir = sharedref.Path(t, "lsu")
	req.Actor = actor
	if req.AppVersion == "" {
		req.AppVersion = "test"
	}
	out, err := livret.Run(context.Background(), st, blobs, uai, req)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	t.Cleanup(out.Cleanup)
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking the change):\n%s", name, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + a + "\n  got  " + b
		}
	}
	return "(same lines)"
}

func reportCSV(t *testing.T, r *lsu.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validate checks a file against one official XSD.
func validate(t testing.TB, degree lsu.Degree, version, path string) error {
	t.Helper()
	xsd, err := lsu.SchemaFile(sharedref.Path(t, "lsu"), degree, version)
	if err != nil {
		t.Fatal(err)
	}
	return lsu.Validate(context.Background(), xsd, path)
}

// TestExportGoldenCollege exports a 3e class of the collège (two trimesters
// and the end-of-cycle reports) through the database, on every engine: the
// file validates against the official 10.0 XSD and equals the golden file.
func TestExportGoldenCollege(t *testing.T) {
	requireXmllint(t)
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		f := college(t, st)
		blobs := openBlobs(t)
		out := run(t, st, blobs, uaiCollege, livret.Request{Selection: livret.Selection{DivisionCode: "3E1", PeriodIDs: f.PeriodIDs(2), Cycle: true}})
		if out.Refused() {
			t.Fatalf("refused: %s\n%s", out.Export.Refusal, reportCSV(t, out.Report))
		}
		if err := validate(t, lsu.SecondDegree, lsu.Version10, out.File); err != nil {
			t.Fatalf("the exported file does not validate against 10.0: %v", err)
		}
		if out.Report.Counts.StudentsExported != 5 || out.Report.Counts.PeriodicReports != 10 || out.Report.Counts.CycleReports != 5 {
			t.Fatalf("counts: %+v", out.Report.Counts)
		}
		xml := readFile(t, out.File)
		golden(t, "college_3E1_10.0.xml", xml)
		golden(t, "college_3E1_10.0.report.csv", reportCSV(t, out.Report))
		// The file is kept as a blob with the export and its report.
		if out.Export.FileSHA256 == "" || !blobs.Has(out.Export.FileSHA256) || !blobs.Has(out.Export.ReportSHA256) {
			t.Fatalf("export not kept: %+v", out.Export)
		}
		kept, err := blobs.Open(out.Export.FileSHA256)
		if err != nil {
			t.Fatal(err)
		}
		defer kept.Close()
		var b bytes.Buffer
		b.ReadFrom(kept)
		if !bytes.Equal(b.Bytes(), xml) {
			t.Fatal("the kept file differs from the one handed over")
		}
		rep, err := livret.ReadReport(blobs, out.Export)
		if err != nil || rep.Counts != out.Report.Counts {
			t.Fatalf("kept report: %+v %v", rep, err)
		}
		// The audit entry names the export and the digests.
		var entries []sillage.AuditEntry
		st.Read(context.Background(), func(tx *store.Tx) (err error) {
			entries, err = tx.Audit().ListAudit(context.Background(), uaiCollege, sillage.AuditFilter{Action: audit.ExportLSU})
			return err
		})
		if len(entries) != 1 || !strings.Contains(entries[0].Details, out.Export.ReportSHA256) || !strings.Contains(entries[0].Details, out.Export.FileSHA256) {
			t.Fatalf("audit entries: %+v", entries)
		}
	})
}

// TestExportGoldenEcole exports a CE2 class of the école (1st degree, 1.0b)
// with the INEs of the ONDE file given at export time.
func TestExportGoldenEcole(t *testing.T) {
	requireXmllint(t)
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		f := ecole(t, st)
		blobs := openBlobs(t)
		out := run(t, st, blobs, uaiEcole, livret.Request{Selection: livret.Selection{DivisionCode: "70001", PeriodIDs: f.PeriodIDs(1), Cycle: true},
			ONDE: readONDE(t, f.ONDE)})
		if out.Refused() {
			t.Fatalf("refused: %s\n%s", out.Export.Refusal, reportCSV(t, out.Report))
		}
		if err := validate(t, lsu.FirstDegree, lsu.Version1b, out.File); err != nil {
			t.Fatalf("the exported file does not validate against 1.0b: %v", err)
		}
		if out.Report.Counts.StudentsExported != 4 || out.Report.Counts.CycleReports != 4 {
			t.Fatalf("counts: %+v\n%s", out.Report.Counts, reportCSV(t, out.Report))
		}
		golden(t, "ecole_70001_1.0b.xml", readFile(t, out.File))
		golden(t, "ecole_70001_1.0b.report.csv", reportCSV(t, out.Report))
		if out.Export.FileSHA256 != "" {
			t.Fatal("a 1st-degree file holds INEs: it must not be kept")
		}
	})
}

func schemaDirFor(tb testing.TB) string { return sharedref.Path(tb, "lsu") }

// TestLoadCarriesTheSTSType: the type an STS-web import recorded (epp,
// local) reaches the export's teachers.
func TestLoadCarriesTheSTSType(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		f := college(t, st)
		ctx := context.Background()
		types := map[string]string{}
		for i, p := range f.Teachers {
			types[p.STSID] = []string{"epp", "local"}[i%2]
		}
		if err := st.Write(ctx, func(tx *store.Tx) error { _, err := tx.Imports().SetSTSTypes(ctx, uaiCollege, types); return err }); err != nil {
			t.Fatal(err)
		}
		var loaded *livret.Loaded
		err := st.Read(ctx, func(tx *store.Tx) (err error) {
			loaded, err = livret.Load(ctx, tx, uaiCollege, livret.Selection{DivisionCode: "3E1", PeriodIDs: f.PeriodIDs(2)}, livret.LoadOptions{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(loaded.Input.Teachers) == 0 {
			t.Fatal("no teacher loaded")
		}
		for _, tc := range loaded.Input.Teachers {
			if tc.STSType != types[tc.STSID] {
				t.Errorf("teacher %s: type %q, want %q", tc.STSID, tc.STSType, types[tc.STSID])
			}
		}
	})
}
