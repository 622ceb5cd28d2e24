package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/siecle"
)

// nextYearSIECLE writes, for each establishment of the demo, the SIECLE
// students file of the next year: everyone moves up a level, terminale and
// those who left are gone.
func nextYearSIECLE(t *testing.T, opts demo.Options, dir string) []sillage.UAI {
	t.Helper()
	var uais []sillage.UAI
	for i := 0; i < opts.Establishments; i++ {
		p := demo.Plan(opts, i)
		f := p.SIECLE(opts.Now)
		f.Header.Year++
		var next []siecle.JoinedStudent
		for _, s := range f.Students {
			if !s.ExitDate.IsZero() || s.Division[0] == 'T' {
				continue
			}
			if s.Division[0] == '2' {
				s.Division = "1" + s.Division[1:]
			} else {
				s.Division = "T" + s.Division[1:]
			}
			s.Previous = nil
			next = append(next, s)
		}
		f.Students = next
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("ElevesSansAdresses_%s.xml", p.Establishment.UAI)))
		if err != nil {
			t.Fatal(err)
		}
		if err := siecle.WriteStudents(out, f); err != nil {
			t.Fatal(err)
		}
		out.Close()
		uais = append(uais, p.Establishment.UAI)
	}
	return uais
}

// TestRolloverCommands runs a changeover of the demo academy from the
// command line: plan, order refusal, dry run, the five steps, a step run
// twice, and the files of step 4 found in a folder.
func TestRolloverCommands(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, env: map[string]string{"SILLAGE_DB": "sqlite:" + filepath.Join(dir, "demo.db"), "SILLAGE_DATA_DIR": filepath.Join(dir, "data")}}
	if code, out, errs := c.run("demo", "--no-serve", "--no-livret", "--establishments", "2", "--students", "120", "--now", "2026-06-15"); code != exitOK {
		t.Fatalf("demo: %d %q %q", code, out, errs)
	}
	opts := demo.DefaultOptions(time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC))
	opts.Establishments, opts.Students, opts.Livret = 2, 120, false
	files := t.TempDir()
	uais := nextYearSIECLE(t, opts, files)

	code, out, errs := c.run("rollover", "plan", "--year", "2025", "--now", "2026-07-15", "--json")
	if code != exitOK {
		t.Fatalf("plan: %d %q", code, errs)
	}
	var plan struct {
		Establishments []struct {
			UAI   string `json:"uai"`
			Steps []struct {
				State   string `json:"etat"`
				Blocked string `json:"refus"`
			} `json:"etapes"`
		} `json:"etablissements"`
		Totals [][]struct {
			Key string `json:"cle"`
			N   int    `json:"nombre"`
		} `json:"totaux"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || len(plan.Establishments) != 2 {
		t.Fatalf("plan JSON: %v %.300s", err, out)
	}
	if !strings.Contains(plan.Establishments[0].Steps[1].Blocked, "l'étape 1") {
		t.Fatalf("plan of step 2 should say step 1 comes first: %+v", plan.Establishments[0].Steps[1])
	}
	code, out, _ = c.run("rollover", "plan", "--year", "2025", "--now", "2026-07-15", "--uai", string(uais[0]))
	if code != exitOK || !strings.Contains(out, "Étape 2 — Archivage de l'année") || !strings.Contains(out, "Archives de classe à écrire") {
		t.Fatalf("plan text: %q", out)
	}
	// Out of order: refused, exit 1, the reason on stdout.
	code, out, errs = c.run("rollover", "run", "--year", "2025", "--step", "2", "--now", "2026-07-15")
	if code != exitFailure || !strings.Contains(out, "refusée") || !strings.Contains(out, "l'étape 1") {
		t.Fatalf("step 2 first: %d %q %q", code, out, errs)
	}
	code, out, _ = c.run("rollover", "run", "--year", "2025", "--step", "1", "--dry-run", "--json", "--now", "2026-07-15")
	if code != exitOK || !strings.Contains(out, `"statut": "planned"`) {
		t.Fatalf("dry run: %d %q", code, out)
	}
	// Step 1 deletes: without the preview's digest it is refused and the
	// preview shown; out of its window it also needs --hors-calendrier.
	code, out, _ = c.run("rollover", "run", "--year", "2025", "--step", "1", "--now", "2026-07-15T08:00:00Z")
	if code != exitFailure || !strings.Contains(out, "Empreinte de l'aperçu") {
		t.Fatalf("step 1 without its preview: %d %q", code, out)
	}
	d1 := previewDigest(t, c, "1", "2026-07-15T08:00:00Z")
	code, out, errs = c.run("rollover", "run", "--year", "2025", "--step", "1", "--now", "2026-12-06T08:00:00Z", "--apercu", d1)
	if code != exitFailure || !strings.Contains(out, "--hors-calendrier=1/2025") || !strings.Contains(errs, "hors de ses dates") {
		t.Fatalf("step 1 on 6 December: %d %q %q", code, out, errs)
	}
	code, out, errs = c.run("rollover", "run", "--year", "2025", "--step", "1", "--now", "2026-07-15T08:00:00Z", "--apercu", "0000000000000000")
	if code != exitFailure || !strings.Contains(errs, "ont changé depuis l'aperçu") || !strings.Contains(out, d1) {
		t.Fatalf("step 1 with a stale preview: %d %q %q", code, out, errs)
	}
	if code, out, errs := c.run("rollover", "run", "--year", "2025", "--step", "1", "--now", "2026-07-15T08:00:00Z", "--apercu", d1); code != exitOK || !strings.Contains(out, "terminée") {
		t.Fatalf("step 1: %d %q %q", code, out, errs)
	}
	// Undone, then run again.
	if code, out, errs := c.run("rollover", "undo", "--year", "2025", "--step", "1", "--now", "2026-07-15T08:30:00Z"); code != exitOK || !strings.Contains(out, "annulée") {
		t.Fatalf("undo of step 1: %d %q %q", code, out, errs)
	}
	if code, out, _ := c.run("rollover", "undo", "--year", "2025", "--step", "1", "--now", "2026-07-15T08:40:00Z"); code != exitOK || !strings.Contains(out, "déjà annulée") {
		t.Fatalf("second undo of step 1: %d %q", code, out)
	}
	d1 = previewDigest(t, c, "1", "2026-07-15T08:45:00Z")
	if code, out, errs := c.run("rollover", "run", "--year", "2025", "--step", "1", "--now", "2026-07-15T08:45:00Z", "--apercu", d1); code != exitOK || !strings.Contains(out, "terminée") {
		t.Fatalf("step 1 after its undo: %d %q %q", code, out, errs)
	}
	d1 = previewDigest(t, c, "1", "2026-07-15T09:00:00Z")
	if code, out, _ := c.run("rollover", "run", "--year", "2025", "--step", "1", "--now", "2026-07-15T09:00:00Z", "--apercu", d1); code != exitOK || !strings.Contains(out, "déjà faite") {
		t.Fatalf("step 1 again: %d %q", code, out)
	}
	code, out, errs = c.run("rollover", "run", "--year", "2025", "--step", "2", "--now", "2026-07-16T08:00:00Z", "--json")
	if code != exitOK {
		t.Fatalf("step 2: %d %q %q", code, out, errs)
	}
	if !strings.Contains(out, `"cle": "class_archives"`) {
		t.Fatalf("step 2 report: %.500s", out)
	}
	d3 := previewDigest(t, c, "3", "2026-07-17T08:00:00Z")
	if code, out, errs := c.run("rollover", "run", "--year", "2025", "--step", "3", "--now", "2026-07-17T08:00:00Z", "--apercu", d3); code != exitOK {
		t.Fatalf("step 3: %d %q %q", code, out, errs)
	}
	// Step 4 without a file: refused for the establishment, exit 1.
	d4 := previewDigest(t, c, "4", "2026-08-17T08:00:00Z", "--uai", string(uais[0]))
	code, out, _ = c.run("rollover", "run", "--year", "2025", "--step", "4", "--uai", string(uais[0]), "--now", "2026-08-17T08:00:00Z", "--apercu", d4)
	if code != exitFailure || !strings.Contains(out, "aucun fichier d'initialisation") {
		t.Fatalf("step 4 without a file: %d %q", code, out)
	}
	d4 = previewDigest(t, c, "4", "2026-08-17T08:00:00Z")
	code, out, errs = c.run("rollover", "run", "--year", "2025", "--step", "4", "--dir", files, "--confirm-mass-deactivation", "--now", "2026-08-17T08:00:00Z", "--apercu", d4)
	if code != exitOK || !strings.Contains(out, "Élèves mis à jour") {
		t.Fatalf("step 4: %d %q %q", code, out, errs)
	}
	code, out, errs = c.run("rollover", "run", "--year", "2025", "--step", "5", "--periods", "semestre", "--now", "2026-08-25T08:00:00Z")
	if code != exitOK || !strings.Contains(out, "Semestre 2 du 01/02/2027 au 03/07/2027") {
		t.Fatalf("step 5: %d %q %q", code, out, errs)
	}
	code, out, _ = c.run("rollover", "calendar", "--year", "2025", "--json")
	if code != exitOK || !strings.Contains(out, `"rentree": "2026-09-01"`) {
		t.Fatalf("calendar: %d %q", code, out)
	}
	if code, _, errs := c.run("rollover", "run", "--step", "9"); code != exitUsage {
		t.Fatalf("bad step: %d %q", code, errs)
	}
	if code, out, errs := c.run("audit", "verify"); code != exitOK {
		t.Fatalf("audit verify: %d %q %q", code, out, errs)
	}
}

// previewDigest runs a step's dry run and returns its preview's digest.
func previewDigest(t *testing.T, c *cli, step, now string, extra ...string) string {
	t.Helper()
	args := append([]string{"rollover", "run", "--year", "2025", "--step", step, "--dry-run", "--now", now}, extra...)
	code, out, errs := c.run(args...)
	const marker = "Empreinte de l'aperçu : "
	i := strings.Index(out, marker)
	if code != exitOK || i < 0 {
		t.Fatalf("dry run of step %s: %d %q %q", step, code, out, errs)
	}
	return strings.Fields(out[i+len(marker):])[0]
}
