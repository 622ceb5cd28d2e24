package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// seedRecords stores an establishment with a referential and two students
// known by their ELEVE_ID, through the store the CLI will open.
func seedRecords(t *testing.T, c *cli) {
	t.Helper()
	ctx := context.Background()
	dsn, err := store.ParseDSN(c.env["SILLAGE_DB"])
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0860012W", Name: "Lycée Rosa Bonheur", Kind: sillage.KindLP}); err != nil {
			return err
		}
		ref := sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "Bac pro SN",
			Competences: []sillage.Competence{{Code: "C1", Label: "S'informer"}, {Code: "C2", Label: "Réaliser"}}}
		if err := tx.Records().CreateReferential(ctx, "0860012W", &ref); err != nil {
			return err
		}
		for _, id := range []string{"E1", "E2"} {
			s := sillage.Student{Person: sillage.Person{LastName: "Élève", FirstName: id, SIECLEID: id, Source: sillage.SourceSIECLE}}
			if err := tx.People().CreateStudent(ctx, "0860012W", &s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

const cliRecordsFile = `{"format": "sillage-livrets", "version": 1, "eleves": [
  {"eleve_id": "E1", "evaluations": [{"titre": "Devis", "date": "2025-10-01", "diplome": "24732205",
    "resultats": [{"competence": "C1", "valeur": "3"}, {"competence": "C2", "valeur": "X"}]}]},
  {"eleve_id": "E2", "evaluations": [{"titre": "Devis", "date": "2025-10-01", "diplome": "24732205",
    "resultats": [{"competence": "C1", "valeur": "4"}]}]},
  {"eleve_id": "E404", "evaluations": []}
]}`

func TestRecordsCommands(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			seedRecords(t, c)
			file := filepath.Join(t.TempDir(), "livrets.json")
			if err := os.WriteFile(file, []byte(cliRecordsFile), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs := c.run("records", "import", "--uai", "0860012W", file, "--dry-run", "--json")
			var rep records.Report
			if code != exitFailure || json.Unmarshal([]byte(out), &rep) != nil || !rep.DryRun || rep.ResultsAdded != 2 || !strings.Contains(errs, "seraient rejetés") {
				t.Fatalf("dry run: %d %q %q", code, out, errs)
			}
			code, out, errs = c.run("records", "import", "--uai", "0860012W", file)
			if code != exitFailure || !strings.Contains(out, "Résultats : 2 ajouté(s)") || !strings.Contains(out, "eleves[0].evaluations[0].resultats[1]") ||
				!strings.Contains(out, "eleves[2] (élève E404) : élève inconnu") || !strings.Contains(errs, "2 élément(s) rejeté(s)") {
				t.Fatalf("import: %d\n%s\n%s", code, out, errs)
			}
			code, out, _ = c.run("records", "import", "--uai", "0860012W", file, "--json")
			if json.Unmarshal([]byte(out), &rep) != nil || rep.Changed() || rep.ResultsUnchanged != 2 || len(rep.Rejected) != 2 {
				t.Fatalf("second import: %d %s", code, out)
			}
			code, out, errs = c.run("records", "export", "--uai", "0860012W", "--student", "E2")
			var f records.File
			if code != exitOK || json.Unmarshal([]byte(out), &f) != nil || len(f.Students) != 1 || f.Students[0].EleveID != "E2" ||
				len(f.Students[0].Evaluations) != 1 || f.Students[0].Evaluations[0].Results[0].Value != "4" {
				t.Fatalf("export: %d %q %q", code, out, errs)
			}
			// The exported file imports back without any change.
			out2 := filepath.Join(t.TempDir(), "export.json")
			if code, _, errs := c.run("records", "export", "--uai", "0860012W", "-o", out2); code != exitOK {
				t.Fatalf("export to a file: %d %s", code, errs)
			}
			code, out, errs = c.run("records", "import", "--uai", "0860012W", out2, "--json")
			if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || rep.Changed() {
				t.Fatalf("re-import of the export: %d %s %s", code, out, errs)
			}
			// A file from another tool carrying INEs (unknown keys): they
			// are read and ignored, and rest nowhere.
			withINE := filepath.Join(t.TempDir(), "livrets-ine.json")
			os.WriteFile(withINE, []byte(`{"format": "sillage-livrets", "version": 1, "ine_etablissement": "9900000002T", "eleves": [
  {"eleve_id": "E1", "ine": "998000001ZX", "evaluations": [{"titre": "Devis", "date": "2025-10-01", "diplome": "24732205",
    "resultats": [{"competence": "C1", "valeur": "3"}]}]}]}`), 0o600)
			code, out, errs = c.run("records", "import", "--uai", "0860012W", withINE, "--json")
			if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || strings.Contains(out, "998000001ZX") || strings.Contains(out, "9900000002T") {
				t.Fatalf("import of a file with INEs: %d %s %s", code, out, errs)
			}
			c.noINEAtRest(storetest.INEsIn(t, withINE))
			// Errors: unknown establishment, bad UAI, missing file, not a records file.
			if code, _, errs := c.run("records", "export", "--uai", "0010856A"); code != exitFailure || !strings.Contains(errs, "inconnu") {
				t.Errorf("unknown establishment: %d %q", code, errs)
			}
			if code, _, _ := c.run("records", "export", "--uai", "0860012X"); code != exitUsage {
				t.Errorf("bad UAI: %d", code)
			}
			if code, _, _ := c.run("records", "import", "--uai", "0860012W", filepath.Join(t.TempDir(), "absent.json")); code != exitUsage {
				t.Errorf("missing file: %d", code)
			}
			bad := filepath.Join(t.TempDir(), "autre.json")
			os.WriteFile(bad, []byte(`{"format": "autre"}`), 0o600)
			if code, _, errs := c.run("records", "import", "--uai", "0860012W", bad); code != exitFailure || !strings.Contains(errs, "rien n'a été importé") ||
				strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("not a records file: %d %q", code, errs)
			}
		})
	}
}
