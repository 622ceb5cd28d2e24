package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/onde"
)

// lsuActor is who exports from the command line, in the establishment's
// audit log.
var lsuActor = audit.Actor{Role: "operator", Name: "ligne de commande (sillage export lsu)"}

func (a *app) exportCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Exports vers les applications nationales (LSU)"}
	var (
		uai, division, level, eleveID, schema, out, ondePath, split string
		periods                                                     []int64
		cycle, asJSON                                               bool
	)
	c := &cobra.Command{
		Use:   "lsu --uai UAI [--division CODE | --level NIVEAU | --student ELEVE_ID] --period ID... [--cycle] [--schema 10.0] --out FICHIER [--json]",
		Short: "Exporte le livret scolaire vers LSU (fichier « import éditeur » validé contre le schéma officiel)",
		Long: "Vérifie les bilans choisis, écrit le fichier LSU et le valide avec les règles intégrées du schéma officiel de la\n" +
			"version choisie, puis avec xmllint quand les schémas officiels sont installés (SILLAGE_LSU_SCHEMA_DIR, ou\n" +
			"../shared/reference/lsu) : un fichier invalide n'est jamais écrit.\n" +
			"Le rapport (bloquant, corrigé, ignoré, avertissement, par élève) est affiché, conservé avec l'export et inscrit au\n" +
			"journal. Le code de sortie est 1 quand aucun fichier n'a été produit.\n" +
			"Au 1er degré, --onde donne le dernier fichier ONDE de l'école (CSVExtraction.csv) : les INE qu'il contient servent\n" +
			"au fichier et ne sont ni conservés ni affichés.\n" +
			"Identifiants des périodes : page Périodes, ou la liste affichée quand --period manque.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := sillage.ParseUAI(uai)
			if err != nil {
				return usageError{err}
			}
			n := 0
			for _, v := range []string{division, level, eleveID} {
				if v != "" {
					n++
				}
			}
			if n > 1 {
				return usagef("--division, --level et --student s'excluent : choisissez-en un (ou aucun pour tout l'établissement)")
			}
			if len(periods) == 0 && !cycle {
				return usagef("choisissez au moins une période (--period ID) ou les bilans de fin de cycle (--cycle)")
			}
			if split != livret.SplitNone && split != livret.SplitDivision && split != livret.SplitLevel {
				return usagef("--split : division ou niveau")
			}
			if out == "" {
				return usagef("--out FICHIER est obligatoire")
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			est, err := establishmentOf(cmd, st, u)
			if err != nil {
				return err
			}
			// A lycée is told that LSU does not concern it before being
			// asked for schemas or an ONDE file.
			if _, err := livret.DegreeOf(est); err != nil {
				return err
			}
			var pupils *onde.PupilsFile
			if ondePath != "" {
				f, err := os.Open(ondePath)
				if err != nil {
					return sillage.Wrap(sillage.KindInvalid, err, "fichier ONDE "+ondePath+" illisible")
				}
				pupils, err = onde.ReadPupils(f)
				f.Close()
				if err != nil {
					return err
				}
			}
			dir, err := livret.SchemaDir(a.cfg.LSUSchemaDir)
			if err != nil {
				return err
			}
			files, err := a.files()
			if err != nil {
				return err
			}
			res, err := livret.Run(ctx, st, files, u, livret.Request{
				Selection: livret.Selection{DivisionCode: division, Level: level, EleveID: eleveID, PeriodIDs: periods, Cycle: cycle},
				Version:   schema, Split: split, ONDE: pupils, SchemaDir: dir, AppVersion: "1", Actor: lsuActor})
			if err != nil {
				return err
			}
			defer res.Cleanup()
			if !res.Refused() {
				if err := copyFile(res.File, out); err != nil {
					return err
				}
			}
			if asJSON {
				if err := a.printJSON(exportSummary{Export: res.Export.ID, File: fileOrEmpty(res, out), Refusal: res.Export.Refusal, Report: res.Report}); err != nil {
					return err
				}
			} else {
				printReport(a.stdout, res, out)
			}
			if res.Refused() {
				return sillage.Errorf(sillage.KindInvalid, "%s", res.Export.Refusal)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&uai, "uai", "", "code UAI de l'établissement")
	f.StringVar(&division, "division", "", "une division (code exact, par exemple « 3 A »)")
	f.StringVar(&level, "level", "", "un niveau (formation du MEF, par exemple 6EME ; niveau ONDE au 1er degré)")
	f.StringVar(&eleveID, "student", "", "un élève, par son identifiant SIECLE (ELEVE_ID)")
	f.Int64SliceVar(&periods, "period", nil, "identifiant d'une période (répétable)")
	f.BoolVar(&cycle, "cycle", false, "les bilans de fin de cycle de l'année")
	f.StringVar(&schema, "schema", "", "version du schéma LSU (par défaut : le réglage de l'établissement, 10.0 ou 1.0b)")
	f.StringVar(&out, "out", "", "fichier à écrire (XML, ou ZIP avec --split)")
	f.StringVar(&ondePath, "onde", "", "1er degré : dernier fichier ONDE de l'école (CSVExtraction.csv)")
	f.StringVar(&split, "split", "", "découper en un fichier par division ou par niveau (archive ZIP)")
	jsonFlag(f, &asJSON)
	c.MarkFlagRequired("uai")
	cmd.AddCommand(c)
	return cmd
}

// exportSummary is the --json output.
type exportSummary struct {
	Export  int64       `json:"export"`
	File    string      `json:"fichier,omitempty"`
	Refusal string      `json:"refus,omitempty"`
	Report  *lsu.Report `json:"rapport"`
}

func fileOrEmpty(res *livret.Outcome, out string) string {
	if res.Refused() {
		return ""
	}
	return out
}

func printReport(w io.Writer, res *livret.Outcome, out string) {
	e, r := res.Export, res.Report
	fmt.Fprintf(w, "Export LSU n° %d — %s — schéma %s %s\n", e.ID, e.Selection, e.Degree, e.Version)
	if res.Refused() {
		fmt.Fprintf(w, "Aucun fichier : %s\n", e.Refusal)
	} else {
		fmt.Fprintf(w, "Fichier validé : %s\n", out)
	}
	c := r.Counts
	fmt.Fprintf(w, "%d élève(s) exporté(s), %d bilan(s) périodique(s), %d bilan(s) de fin de cycle ; %d élève(s) avec un bilan bloqué\n",
		c.StudentsExported, c.PeriodicReports, c.CycleReports, c.StudentsBlocked)
	fmt.Fprintf(w, "Rapport : %d bloquant(s), %d corrigé(s), %d ignoré(s), %d avertissement(s)\n", c.Blocking, c.Fixed, c.Ignored, c.Warnings)
	for _, l := range r.Lines {
		where := l.Student
		if l.Division != "" {
			where += " (" + l.Division + ")"
		}
		for _, x := range []string{l.Period, l.Subject} {
			if x != "" {
				where += ", " + x
			}
		}
		if where != "" {
			where += " : "
		}
		fix := ""
		if l.Before != "" || l.After != "" {
			fix = fmt.Sprintf(" [%s → %s]", l.Before, l.After)
		}
		if l.Fix != "" {
			fix += " ; à faire : " + l.Fix
		}
		if l.Link != "" {
			fix += " (page " + l.Link + ")"
		}
		fmt.Fprintf(w, "  %s — %s%s%s\n", l.Kind.Label(), where, l.Message, fix)
	}
}

// copyFile copies the validated file to out, through a temporary file in
// out's folder so a partial file never appears.
func copyFile(from, out string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "impossible d'écrire "+out)
	}
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), out)
}
