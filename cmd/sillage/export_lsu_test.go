package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/sharedref"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func requireXmllint(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("SILLAGE_REQUIRE_XMLLINT") == "1" {
			t.Fatal("xmllint not found but SILLAGE_REQUIRE_XMLLINT=1")
		}
		t.Skip("xmllint not found (apt-get install libxml2-utils)")
	}
}

// seedLSU stores a synthetic establishment through the store the CLI opens.
func seedLSU(t *testing.T, c *cli, o lsutest.Options) *lsutest.Fixture {
	t.Helper()
	ctx := context.Background()
	dsn, err := store.ParseDSN(c.env["SILLAGE_DB"])
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dsn, store.Options{Clock: &storetest.Clock{T: storetest.Epoch}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := lsutest.Build(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	c.env["SILLAGE_LSU_SCHEMA_DIR"] = sharedref.Path(t, "lsu")
	return f
}

func TestExportLSUCommand(t *testing.T) {
	requireXmllint(t)
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			f := seedLSU(t, c, lsutest.Options{UAI: "0861234Z", Divisions: 4, PerDivision: 2, Periods: 2, Subjects: 3, Cycle: true})
			out := filepath.Join(t.TempDir(), "3E1.xml")
			p1, p2 := fmt.Sprint(f.Periods[0].ID), fmt.Sprint(f.Periods[1].ID)
			code, stdout, errs := c.run("export", "lsu", "--uai", "0861234Z", "--division", "3E1", "--period", p1, "--period", p2, "--cycle", "--out", out)
			if code != exitOK || !strings.Contains(stdout, "Fichier validé") || !strings.Contains(stdout, "2 élève(s) exporté(s), 4 bilan(s) périodique(s), 2 bilan(s) de fin de cycle") {
				t.Fatalf("export: %d\n%s\n%s", code, stdout, errs)
			}
			xsd, _ := lsu.SchemaFile(sharedref.Path(t, "lsu"), lsu.SecondDegree, lsu.Version10)
			if err := lsu.Validate(context.Background(), xsd, out); err != nil {
				t.Fatalf("the written file: %v", err)
			}
			// --schema 7.0 and --json.
			out7 := filepath.Join(t.TempDir(), "7.xml")
			code, stdout, errs = c.run("export", "lsu", "--uai", "0861234Z", "--student", f.Students[0].SIECLEID, "--period", p1, "--schema", "7.0", "--out", out7, "--json")
			var sum struct {
				Export  int64      `json:"export"`
				File    string     `json:"fichier"`
				Report  lsu.Report `json:"rapport"`
				Refusal string     `json:"refus"`
			}
			if code != exitOK || json.Unmarshal([]byte(stdout), &sum) != nil || sum.File != out7 || sum.Report.Target.Version != "7.0" || sum.Report.Counts.StudentsExported != 1 {
				t.Fatalf("--json: %d %q %q", code, stdout, errs)
			}
			xsd7, _ := lsu.SchemaFile(sharedref.Path(t, "lsu"), lsu.SecondDegree, lsu.Version7)
			if err := lsu.Validate(context.Background(), xsd7, out7); err != nil {
				t.Fatalf("7.0 file: %v", err)
			}
			// Split by division: a ZIP.
			zipOut := filepath.Join(t.TempDir(), "college.zip")
			if code, stdout, errs := c.run("export", "lsu", "--uai", "0861234Z", "--period", p1, "--split", "division", "--out", zipOut); code != exitOK {
				t.Fatalf("split: %d %s %s", code, stdout, errs)
			}
			if b, _ := os.ReadFile(zipOut); len(b) < 4 || string(b[:2]) != "PK" {
				t.Fatal("the split export is not a ZIP")
			}
			// Two selections at once: a usage error.
			none := filepath.Join(t.TempDir(), "none.xml")
			code, _, errs = c.run("export", "lsu", "--uai", "0861234Z", "--division", "3E1", "--period", p1, "--schema", "10.0", "--out", none, "--level", "3EME")
			if code != exitUsage {
				t.Fatalf("two selections: %d %s", code, errs)
			}
			// No schemas: refused, nothing written.
			c.env["SILLAGE_LSU_SCHEMA_DIR"] = t.TempDir()
			code, _, errs = c.run("export", "lsu", "--uai", "0861234Z", "--division", "3E1", "--period", p1, "--out", none)
			if code != exitFailure || !strings.Contains(errs, "SILLAGE_LSU_SCHEMA_DIR") {
				t.Fatalf("no schemas: %d %q", code, errs)
			}
			if _, err := os.Stat(none); err == nil {
				t.Fatal("a file was written without validation")
			}
			// No folder configured (none beside the working directory): the
			// built-in rules validate, the file is written.
			delete(c.env, "SILLAGE_LSU_SCHEMA_DIR")
			builtin := filepath.Join(t.TempDir(), "builtin.xml")
			code, stdout, errs = c.run("export", "lsu", "--uai", "0861234Z", "--division", "3E1", "--period", p1, "--out", builtin)
			if code != exitOK || !strings.Contains(stdout, "Fichier validé") {
				t.Fatalf("without schemas: %d\n%s\n%s", code, stdout, errs)
			}
			if err := lsu.Validate(context.Background(), xsd, builtin); err != nil {
				t.Fatalf("the file written with the built-in rules only: %v", err)
			}
			c.env["SILLAGE_LSU_SCHEMA_DIR"] = t.TempDir()
			for _, args := range [][]string{
				{"export", "lsu", "--uai", "0861234Z", "--division", "3E1", "--out", none},
				{"export", "lsu", "--uai", "0861234Z", "--period", p1},
				{"export", "lsu", "--uai", "0861234X", "--period", p1, "--out", none},
				{"export", "lsu", "--uai", "0861234Z", "--period", "abc", "--out", none},
			} {
				if code, _, errs := c.run(args...); code != exitUsage {
					t.Errorf("%v: %d %q, want usage error", args, code, errs)
				}
			}
		})
	}
}

// TestExportLSUFirstDegreeCommand: the école's export with --onde; the
// INEs reach the file and never the output.
func TestExportLSUFirstDegreeCommand(t *testing.T) {
	requireXmllint(t)
	c := newCLI(t, store.SQLite)
	f := seedLSU(t, c, lsutest.Options{UAI: "0860012W", Ecole: true, Divisions: 2, PerDivision: 2, Periods: 1, Subjects: 3, Cycle: true})
	dir := t.TempDir()
	ondeFile := filepath.Join(dir, "CSVExtraction.csv")
	os.WriteFile(ondeFile, f.ONDE, 0o600)
	out := filepath.Join(dir, "ecole.xml")
	p1 := fmt.Sprint(f.Periods[0].ID)
	code, _, errs := c.run("export", "lsu", "--uai", "0860012W", "--period", p1, "--cycle", "--out", out)
	if code != exitFailure || !strings.Contains(errs, "ONDE") {
		t.Fatalf("without --onde: %d %q", code, errs)
	}
	code, stdout, errs := c.run("export", "lsu", "--uai", "0860012W", "--period", p1, "--cycle", "--onde", ondeFile, "--out", out, "--json")
	if code != exitOK {
		t.Fatalf("1st degree: %d %s %s", code, stdout, errs)
	}
	xml, _ := os.ReadFile(out)
	for _, ine := range f.INEs {
		if !strings.Contains(string(xml), ine) {
			t.Fatal("the file lacks an INE")
		}
		if strings.Contains(stdout, ine) || strings.Contains(errs, ine) {
			t.Fatal("an INE was printed")
		}
	}
}
