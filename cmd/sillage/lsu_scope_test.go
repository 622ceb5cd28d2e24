package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/sharedref"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestExportLSUByKind: the export command refuses a lycée (general or
// professional) and an establishment of unknown kind with the reason, in
// French, before asking for anything else; "establishment kind" sets the
// kind, says whether LSU applies, and is journaled. On every engine.
func TestExportLSUByKind(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			c := newCLI(t, engine)
			c.env["SILLAGE_LSU_SCHEMA_DIR"] = sharedref.Path(t, "lsu")
			const unknown = sillage.UAI("0860015Z")
			kinds := map[sillage.UAI]string{"0860011V": "college", "0860012W": "ecole", "0860013X": "lgt", "0860014Y": "lp"}
			for u, k := range kinds {
				if code, _, errs := c.run("establishment", "add", "--uai", string(u), "--name", "Établissement "+k, "--kind", k); code != exitOK {
					t.Fatalf("add %s: %d %q", k, code, errs)
				}
			}
			// An AAF import leaves an unrecognised structure's kind unknown.
			ctx := context.Background()
			st, err := store.Open(ctx, c.dsn, store.Options{Clock: &storetest.Clock{T: storetest.Epoch}})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.Write(ctx, func(tx *store.Tx) error {
				return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: unknown, Name: "Structure AAF", Kind: sillage.KindUnknown})
			}); err != nil {
				t.Fatal(err)
			}
			export := func(u sillage.UAI) (int, string) {
				code, _, errs := c.run("export", "lsu", "--uai", string(u), "--period", "999999", "--out", filepath.Join(t.TempDir(), "lsu.xml"))
				return code, errs
			}
			for u, want := range map[sillage.UAI]string{
				"0860013X": "ne s'applique pas à 0860013X, lycée général et technologique : il ne concerne que les écoles (1er degré) et les collèges (2nd degré)",
				"0860014Y": "ne s'applique pas à 0860014Y, lycée professionnel : il ne concerne que les écoles (1er degré) et les collèges (2nd degré)",
				unknown:    "le type de l'établissement 0860015Z n'est pas connu",
			} {
				code, errs := export(u)
				if code != exitFailure || !strings.Contains(errs, want) || !strings.Contains(errs, "sillage establishment kind --uai "+string(u)) {
					t.Errorf("export of %s: %d %q", u, code, errs)
				}
			}
			// A collège and an école pass the kind and meet the next check.
			for _, u := range []sillage.UAI{"0860011V", "0860012W"} {
				if code, errs := export(u); code == exitOK || strings.Contains(errs, "ne s'applique pas") || strings.Contains(errs, "n'est pas connu") {
					t.Errorf("export of %s: %d %q", u, code, errs)
				}
			}

			// The operator sets the kinds.
			code, out, errs := c.run("establishment", "kind", "--uai", "0860014Y", "--kind", "college")
			if code != exitOK || strings.TrimSpace(out) != "Établissement 0860014Y : collège ; le Livret Scolaire Unique (LSU) lui est proposé." {
				t.Fatalf("kind college: %d %q %q", code, out, errs)
			}
			if code, errs := export("0860014Y"); strings.Contains(errs, "ne s'applique pas") {
				t.Errorf("export once a collège: %d %q", code, errs)
			}
			code, out, errs = c.run("establishment", "kind", "--uai", string(unknown), "--kind", "lp")
			if code != exitOK || strings.TrimSpace(out) != "Établissement 0860015Z : lycée professionnel ; le Livret Scolaire Unique (LSU) ne le concerne pas." {
				t.Fatalf("kind lp: %d %q %q", code, out, errs)
			}
			if code, _, errs := c.run("establishment", "kind", "--uai", string(unknown), "--kind", "unknown"); code != exitUsage || !strings.Contains(errs, "lp, lgt, college ou ecole") {
				t.Errorf("kind unknown: %d %q", code, errs)
			}
			if code, _, errs := c.run("establishment", "kind", "--uai", "0860016A", "--kind", "college"); code != exitFailure || !strings.Contains(errs, "introuvable") {
				t.Errorf("kind of an absent establishment: %d %q", code, errs)
			}
			if code, out, _ := c.run("establishment", "list"); code != exitOK || !strings.Contains(out, "0860015Z") {
				t.Errorf("list: %d %q", code, out)
			}
			var entries []sillage.AuditEntry
			st.Read(ctx, func(tx *store.Tx) (err error) {
				entries, err = tx.Audit().ListAudit(ctx, "0860014Y", sillage.AuditFilter{Action: audit.EstablishmentKind})
				return err
			})
			if len(entries) != 1 || entries[0].Details != "type : Lycée professionnel → Collège" {
				t.Errorf("audit: %+v", entries)
			}
		})
	}
}

// TestExportLSUReportFixes: the command's report says, for each blocking
// line, what to do and the page where it is done.
func TestExportLSUReportFixes(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			c := newCLI(t, engine)
			f := seedLSU(t, c, lsutest.Options{UAI: "0861234Z", Divisions: 4, PerDivision: 2, Periods: 1, Subjects: 3, Draft: true})
			p := f.Periods[0].ID
			code, stdout, errs := c.run("export", "lsu", "--uai", "0861234Z", "--division", "3E1", "--period", fmt.Sprint(p), "--out", filepath.Join(t.TempDir(), "lsu.xml"))
			if code != exitFailure || !strings.Contains(errs, "aucun fichier LSU généré") {
				t.Fatalf("export: %d %q", code, errs)
			}
			n := 0
			for _, s := range f.Students {
				if s.DivisionCode != "3E1" {
					continue
				}
				n++
				want := fmt.Sprintf("Bloquant — %s (3E1), Trimestre 1/3 2025-2026 : bilan non fermé ; à faire : complétez le bilan et fermez-le avant l'export (page /livret/eleve/%d/%d)",
					s.FullName(), s.ID, p)
				if !strings.Contains(stdout, want) {
					t.Errorf("no line %q in\n%s", want, stdout)
				}
			}
			if n == 0 || !strings.Contains(stdout, "Bloquant — aucun bilan exportable ; à faire : corrigez les lignes bloquantes des élèves, puis relancez l'export (page /lsu#export-form)") {
				t.Errorf("report:\n%s", stdout)
			}
		})
	}
}
