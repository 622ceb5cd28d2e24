package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/sharedref"
	"github.com/sillage/sillage/internal/store/storetest"
)

func directoryTestdata(name string) string {
	return filepath.Join("..", "..", "internal", "directory", "testdata", name)
}

func TestImportCommands(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			f1, f2 := directoryTestdata("siecle_0860012W_1.xml"), directoryTestdata("siecle_0860012W_2.xml")

			code, _, errs := c.run("import", "siecle", "--uai", "0860012W", f1)
			if code != exitFailure || !strings.Contains(errs, "établissement 0860012W inconnu") {
				t.Fatalf("unknown establishment: %d %q", code, errs)
			}
			if code, _, errs := c.run("establishment", "add", "--uai", "0860012W", "--name", "LP des Écluses"); code != exitOK {
				t.Fatal(errs)
			}
			if code, _, errs := c.run("establishment", "add", "--uai", "0010856A", "--name", "Autre"); code != exitOK {
				t.Fatal(errs)
			}
			code, _, errs = c.run("import", "siecle", "--uai", "0010856A", f1)
			if code != exitFailure || !strings.Contains(errs, "concerne l'établissement 0860012W, pas 0010856A") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Fatalf("wrong UAI: %d %q", code, errs)
			}
			code, _, errs = c.run("import", "siecle", f1)
			if code != exitUsage {
				t.Fatalf("no --uai: %d %q", code, errs)
			}

			code, out, errs := c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", "--dry-run", f1)
			if code != exitOK || !strings.Contains(out, "simulation") || !strings.Contains(out, "Élèves") || !strings.Contains(out, "créés 6") {
				t.Fatalf("dry run: %d %q %q", code, out, errs)
			}
			code, out, errs = c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", "--json", f1)
			var rep directory.Report
			if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || rep.Count(directory.KindStudents).Created != 6 || rep.Status != directory.StatusApplied {
				t.Fatalf("import: %d %q %q", code, out, errs)
			}
			code, out, _ = c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", "--json", f1)
			json.Unmarshal([]byte(out), &rep)
			if code != exitOK || rep.Changed() {
				t.Fatalf("second import: %d %s", code, out)
			}
			// Two of six students deactivated: held, then confirmed.
			code, out, errs = c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", f2)
			if code != exitFailure || !strings.Contains(errs, "--confirm-mass-deactivation") || !strings.Contains(out, "en attente de confirmation") {
				t.Fatalf("mass deactivation: %d %q %q", code, out, errs)
			}
			code, out, errs = c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", "--confirm-mass-deactivation", f2)
			if code != exitOK || !strings.Contains(out, "désactivés 2") || !strings.Contains(out, "entrant dans l'index") {
				t.Fatalf("confirmed: %d %q %q", code, out, errs)
			}
			code, out, errs = c.run("--now", "2025-10-06", "import", "sts", "--uai", "0860012W", directoryTestdata("sts_emp_0860012W_2025.xml"))
			if code != exitOK || !strings.Contains(out, "Enseignants") {
				t.Fatalf("sts: %d %q %q", code, out, errs)
			}
			// A year later, last year's export is held for an explicit
			// confirmation (rule 4).
			code, out, errs = c.run("--now", "2026-10-06", "import", "sts", "--uai", "0860012W", directoryTestdata("sts_emp_0860012W_2025.xml"))
			if code != exitFailure || !strings.Contains(errs, "antérieure à l'année en cours") || !strings.Contains(errs, "--confirm-old-file") ||
				!strings.Contains(out, "en attente de confirmation") {
				t.Fatalf("sts of last year: %d %q %q", code, out, errs)
			}

			// AAF: the structure's UAI is wrong; refused, then mapped.
			dir := sharedref.Path(t, "aaf", "springboard-plugin-aaf-duplicates-test")
			code, out, errs = c.run("import", "aaf", dir)
			if code != exitFailure || !strings.Contains(out, "Structure ignorée 42") || !strings.Contains(errs, "refusés") {
				t.Fatalf("aaf without mapping: %d %q %q", code, out, errs)
			}
			code, out, errs = c.run("import", "aaf", "--uai-map", "0123456Z=0123456S", "--json", dir)
			var res directory.AAFResult
			if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || len(res.Reports) != 1 || res.Reports[0].UAI != "0123456S" {
				t.Fatalf("aaf: %d %q %q", code, out, errs)
			}
			// Written as the reports come, it is what printJSON writes for the result.
			var again bytes.Buffer
			if err := (&app{stdout: &again}).printJSON(&res); err != nil || again.String() != out {
				t.Fatalf("aaf --json is not printJSON's encoding (%v):\n%s\n%s", err, out, again.String())
			}
			code, _, errs = c.run("import", "aaf", "--uai-map", "0123456Z=0123456Y", dir)
			if code != exitUsage || !strings.Contains(errs, "--uai-map") {
				t.Fatalf("bad mapping: %d %q", code, errs)
			}
			// No INE of the files rests in the database or the data directory.
			aafFiles, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
			c.noINEAtRest(storetest.INEsIn(t, append([]string{f1, f2}, aafFiles...)...))
		})
	}
}

// TestImportStatusCommands: the exit code and the report tell the truth —
// a ZIP that cannot be read still prints a JSON report under --json, a
// file whose records are all rejected is refused (exit 1), a file of a
// past school year is held until --confirm-old-file.
func TestImportStatusCommands(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			if code, _, errs := c.run("establishment", "add", "--uai", "0860012W", "--name", "LP des Écluses"); code != exitOK {
				t.Fatal(errs)
			}
			dir := t.TempDir()
			write := func(name string, data []byte) string {
				t.Helper()
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			// A ZIP of two files.
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, n := range []string{"a.xml", "b.xml"} {
				w, _ := zw.Create(n)
				w.Write([]byte("<A/>"))
			}
			zw.Close()
			code, out, errs := c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", "--json", write("ExportXML.zip", buf.Bytes()))
			var rep directory.Report
			if code != exitFailure || json.Unmarshal([]byte(out), &rep) != nil || rep.Status != directory.StatusRefused ||
				!strings.Contains(rep.Message, "contient 2 fichiers") || rep.FileName != "ExportXML.zip" {
				t.Fatalf("zip under --json: %d %q %q", code, out, errs)
			}
			// AAF: a path that is no AAF file, under --json.
			code, out, errs = c.run("import", "aaf", "--json", filepath.Join(dir, "absent"))
			rep = directory.Report{}
			if code != exitFailure || json.Unmarshal([]byte(out), &rep) != nil || rep.Status != directory.StatusRefused || rep.Message == "" {
				t.Fatalf("aaf under --json: %d %q %q", code, out, errs)
			}
			// Every student rejected (no first name): refused.
			f1 := readTestdata(t, "siecle_0860012W_1.xml")
			noFirst := regexp.MustCompile(`<PRENOM>[^<]*</PRENOM>`).ReplaceAll(f1, nil)
			code, out, errs = c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", write("rejets.xml", noFirst))
			if code != exitFailure || !strings.Contains(out, "refusé") || !strings.Contains(errs, "tous les enregistrements du fichier sont rejetés") {
				t.Fatalf("all rejected: %d %q %q", code, out, errs)
			}
			// The same school year next year: held, then confirmed.
			code, out, errs = c.run("--now", "2026-10-06", "import", "siecle", "--uai", "0860012W", directoryTestdata("siecle_0860012W_1.xml"))
			if code != exitFailure || !strings.Contains(out, "en attente de confirmation") || !strings.Contains(errs, "--confirm-old-file") ||
				!strings.Contains(errs, "année scolaire 2025-2026, antérieure à l'année en cours de l'établissement (2026-2027)") {
				t.Fatalf("old year: %d %q %q", code, out, errs)
			}
			code, out, errs = c.run("--now", "2026-10-06", "import", "siecle", "--uai", "0860012W", "--confirm-old-file", directoryTestdata("siecle_0860012W_1.xml"))
			if code != exitOK || !strings.Contains(out, "Résultat : appliqué") {
				t.Fatalf("old year confirmed: %d %q %q", code, out, errs)
			}
		})
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(directoryTestdata(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAAFJSONStream: the result of an AAF import written under --json as
// the reports come is, byte for byte, the whole result printJSON writes —
// with no report, one, several, and text JSON escapes (HTML characters,
// accents).
func TestAAFJSONStream(t *testing.T) {
	at := storetest.Epoch
	rep := func(uai, msg string) *directory.Report {
		r := directory.RefusedReport(directory.SourceAAF, sillage.UAI(uai), "3 fichiers AAF Complet", at, msg)
		r.WithoutINE = []directory.StudentLine{{Name: "Zoé <Lefèvre> & co", Division: "2PRO01", Reason: "INE absent"}}
		r.Rejects = []directory.Reject{{Location: "ligne 12 (addRequest)", Reason: "date mal formée", LeftAsIs: true}}
		r.Warnings = []string{"a \"quoted\" warning"}
		return r
	}
	for _, tc := range []struct {
		name    string
		reports []*directory.Report
	}{
		{"none", nil},
		{"one", []*directory.Report{rep("0860012W", "refusé : <motif>")}},
		{"three", []*directory.Report{rep("0860012W", "un"), rep("0123456S", ""), rep("0860013X", "trois")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &directory.AAFResult{Reports: []*directory.Report{}, Ignored: []directory.IgnoredStructure{{JoinID: "42", UAI: "0123456Z", Name: "LYCEE <X>", Reason: "UAI invalide", Records: 3}},
				Files: 3, Requests: 12, Relatives: directory.RunRelatives{Referenced: 4, Legal: 3, Found: 2}, Unrouted: 1,
				Rejects: []directory.Reject{}, Warnings: []string{"attention & co"}}
			var streamed bytes.Buffer
			s := &aafJSON{w: &streamed}
			for _, r := range tc.reports {
				s.report(r)
				// The import keeps a summary, which must not be written.
				res.Reports = append(res.Reports, directory.RefusedReport(directory.SourceAAF, r.UAI, "résumé", at, ""))
			}
			if err := s.finish(res); err != nil {
				t.Fatal(err)
			}
			res.Reports = append([]*directory.Report{}, tc.reports...)
			var whole bytes.Buffer
			a := &app{stdout: &whole}
			if err := a.printJSON(res); err != nil {
				t.Fatal(err)
			}
			if streamed.String() != whole.String() {
				t.Fatalf("streamed:\n%s\nwhole:\n%s", streamed.String(), whole.String())
			}
		})
	}
}
