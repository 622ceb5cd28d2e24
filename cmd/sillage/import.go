package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/directory"
)

// importActor is who imports from the command line, in the audit log.
var importActor = audit.Actor{Role: "operator", Name: "ligne de commande (sillage import)"}

// progressMin is the size from which a file's import shows a progress bar
// (on a terminal only).
const progressMin = 4 << 20

func (a *app) importCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Importe les fichiers de l'annuaire national : SIECLE, STS-web, AAF, ONDE (docs/imports.md)",
		Long: "Importe les fichiers des applications nationales dans un établissement : élèves, responsables, nomenclature\n" +
			"(SIECLE), enseignants et services (STS-web), annuaire académique (AAF), élèves du premier degré (ONDE).\n" +
			"Chaque import est une transaction par établissement ; --dry-run affiche le même rapport sans rien enregistrer.",
	}
	single := []struct {
		source directory.Source
		use    string
		short  string
		run    func(im *directory.Importer, ctx context.Context, in *directory.Input, opts directory.Options) (*directory.Report, error)
	}{
		{directory.SourceSIECLE, "siecle --uai UAI FICHIER", "Importe les élèves d'un export SIECLE (ElevesSansAdresses ou ElevesAvecAdresses, XML ou ZIP)",
			func(im *directory.Importer, ctx context.Context, in *directory.Input, o directory.Options) (*directory.Report, error) {
				return im.SIECLE(ctx, in, o)
			}},
		{directory.SourceResponsables, "responsables --uai UAI FICHIER", "Importe les responsables légaux d'un export SIECLE (ResponsablesAvecAdresses)",
			func(im *directory.Importer, ctx context.Context, in *directory.Input, o directory.Options) (*directory.Report, error) {
				return im.Responsables(ctx, in, o)
			}},
		{directory.SourceNomenclature, "nomenclature --uai UAI FICHIER", "Importe la nomenclature SIECLE (Nomenclature.xml) : MEF, matières, programmes",
			func(im *directory.Importer, ctx context.Context, in *directory.Input, o directory.Options) (*directory.Report, error) {
				return im.Nomenclature(ctx, in, o)
			}},
		{directory.SourceSTS, "sts --uai UAI FICHIER", "Importe l'export STS-web (sts_emp_UAI_année.xml) : enseignants, services, professeurs principaux",
			func(im *directory.Importer, ctx context.Context, in *directory.Input, o directory.Options) (*directory.Report, error) {
				return im.STS(ctx, in, o)
			}},
		{directory.SourceONDE, "onde --uai UAI FICHIER", "Importe les élèves d'une école depuis l'extraction ONDE (CSVExtraction.csv)",
			func(im *directory.Importer, ctx context.Context, in *directory.Input, o directory.Options) (*directory.Report, error) {
				return im.ONDE(ctx, in, o)
			}},
	}
	for _, s := range single {
		var uai string
		var dry, asJSON, confirm, confirmOld bool
		c := &cobra.Command{
			Use:   s.use,
			Short: s.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if uai == "" {
					return usagef("l'établissement est obligatoire : --uai UAI")
				}
				u, err := sillage.ParseUAI(uai)
				if err != nil {
					return usageError{err}
				}
				ctx := cmd.Context()
				im, err := a.importer(ctx)
				if err != nil {
					return err
				}
				bar := a.progress(args[0])
				in, err := directory.OpenInput(args[0], a.cfg.MaxImport, bar.update)
				if err != nil {
					if asJSON {
						// A machine reads a report whatever fails.
						rep := directory.RefusedReport(s.source, u, filepath.Base(args[0]), a.clock().Now(), oneLine(err))
						if perr := a.printJSON(rep); perr != nil {
							return perr
						}
					}
					return err
				}
				defer in.Close()
				opts := directory.Options{UAI: u, FileName: filepath.Base(args[0]), DryRun: dry, ConfirmMassDeactivation: confirm,
					ConfirmOldFile: confirmOld, Actor: importActor}
				rep, runErr := s.run(im, ctx, in, opts)
				bar.finish()
				if rep != nil {
					if err := a.printReport(rep, asJSON); err != nil {
						return err
					}
				}
				if runErr != nil {
					return runErr
				}
				return nil
			},
		}
		c.Flags().StringVar(&uai, "uai", "", "établissement (UAI) auquel le fichier est destiné")
		c.Flags().BoolVar(&confirmOld, "confirm-old-file", false, "confirme l'import d'un fichier d'une année scolaire passée, ou plus ancien que le dernier fichier appliqué")
		a.importFlags(c, &dry, &asJSON, &confirm)
		cmd.AddCommand(c)
	}

	var dry, asJSON, confirm bool
	var maps []string
	aafCmd := &cobra.Command{
		Use:   "aaf FICHIERS_OU_DOSSIERS... [--uai-map UAI_DU_FICHIER=UAI]",
		Short: "Importe des fichiers AAF (Complet ou Delta) : les établissements sont ceux des fichiers",
		Long: "Importe les fichiers AAF (ficAlimMENESR) donnés, ou ceux des dossiers donnés, dans l'ordre d'application\n" +
			"(par date, puis établissements, MEF, matières, élèves, responsables, personnels). Chaque établissement trouvé\n" +
			"dans les fichiers est importé dans sa propre transaction ; un établissement inconnu dont l'UAI est valide est créé.\n" +
			"Une structure dont l'UAI est invalide (lettre de contrôle fausse) est ignorée avec ses personnes, sauf si\n" +
			"--uai-map associe son UAI (tel qu'écrit dans le fichier) ou son identifiant de structure à un établissement.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			uaiMap := map[string]sillage.UAI{}
			for _, m := range maps {
				from, to, ok := strings.Cut(m, "=")
				u, err := sillage.ParseUAI(to)
				if !ok || strings.TrimSpace(from) == "" || err != nil {
					return usagef("--uai-map %q invalide : UAI_DU_FICHIER=UAI attendu, avec un UAI valide à droite", m)
				}
				uaiMap[strings.ToUpper(strings.TrimSpace(from))] = u
				uaiMap[strings.TrimSpace(from)] = u
			}
			ctx := cmd.Context()
			// Under --json, a machine reads a report whatever fails.
			refused := func(err error) error {
				if asJSON {
					if perr := a.printJSON(directory.RefusedReport(directory.SourceAAF, "", strings.Join(args, ", "), a.clock().Now(), oneLine(err))); perr != nil {
						return perr
					}
				}
				return err
			}
			files, err := directory.AAFFiles(args)
			if err != nil {
				return refused(err)
			}
			var total int64
			for _, f := range files {
				if st, err := os.Stat(f.Path); err == nil {
					total += st.Size()
				}
			}
			im, err := a.importer(ctx)
			if err != nil {
				return err
			}
			bar := a.progressTotal(total, fmt.Sprintf("%d fichiers AAF", len(files)))
			opts := directory.Options{DryRun: dry, ConfirmMassDeactivation: confirm, Actor: importActor, UAIMap: uaiMap,
				Progress: func(read int64) { bar.update(read, total) }}
			// Each establishment's report as soon as it is done: the
			// import then keeps only its counts to the end (an académie's
			// full reports take hundreds of megabytes).
			stream := &aafJSON{w: a.stdout}
			if asJSON {
				opts.OnReport = stream.report
			} else {
				opts.OnReport = func(rep *directory.Report) {
					bar.clear()
					fmt.Fprintln(a.stdout)
					rep.WriteText(a.stdout)
				}
			}
			res, runErr := im.AAF(ctx, args, opts)
			bar.finish()
			if res == nil && runErr != nil && !stream.started {
				return refused(runErr)
			}
			if asJSON {
				if res == nil {
					// Not reached (a run that published reports returns its
					// result), but the output must stay valid JSON.
					res = &directory.AAFResult{}
				}
				if err := stream.finish(res); err != nil {
					return err
				}
			} else if res != nil {
				a.printAAF(res)
			}
			if runErr != nil {
				return runErr
			}
			if res != nil {
				if res.Refused() {
					return fmt.Errorf("import AAF incomplet : des établissements ou des structures ont été refusés (voir le rapport)")
				}
			}
			return nil
		},
	}
	aafCmd.Flags().StringArrayVar(&maps, "uai-map", nil, "associe une structure des fichiers (son UAI tel qu'écrit, ou son identifiant) à un établissement : 1004001V=1004001F (répétable)")
	a.importFlags(aafCmd, &dry, &asJSON, &confirm)
	cmd.AddCommand(aafCmd)
	return cmd
}

// aafJSON writes an AAF result under --json while the import runs: each
// establishment's report is written whole when it is published, and the
// rest of the result (ignored structures, counts, warnings) at the end. The
// bytes are those printJSON writes for the whole result, whose first field
// is the list of reports.
type aafJSON struct {
	w       io.Writer
	started bool // the opening of the result and of its list are written
	err     error
}

// aafJSONHead is how printJSON opens an AAF result, up to its first report.
const aafJSONHead = "{\n  \"etablissements\": [\n    "

func (s *aafJSON) report(rep *directory.Report) {
	if s.err != nil {
		return
	}
	body, err := json.MarshalIndent(rep, "    ", "  ")
	if err != nil {
		s.err = fmt.Errorf("rapport JSON de %s : %w", rep.UAI, err)
		return
	}
	sep := ",\n    "
	if !s.started {
		sep, s.started = aafJSONHead, true
	}
	if _, err := io.WriteString(s.w, sep); err != nil {
		s.err = err
		return
	}
	if _, err := s.w.Write(body); err != nil {
		s.err = err
	}
}

// finish writes the rest of res (whose reports were written, or none was)
// and closes the result.
func (s *aafJSON) finish(res *directory.AAFResult) error {
	if s.err != nil {
		return s.err
	}
	rest := *res
	rest.Reports = []*directory.Report{}
	body, err := json.MarshalIndent(&rest, "", "  ")
	if err != nil {
		return fmt.Errorf("résultat JSON de l'import AAF : %w", err)
	}
	if s.started {
		const empty = "{\n  \"etablissements\": []"
		tail, ok := bytes.CutPrefix(body, []byte(empty))
		if !ok {
			return fmt.Errorf("résultat JSON de l'import AAF : la liste des établissements n'est pas en tête")
		}
		body = append([]byte("\n  ]"), tail...)
	}
	body = append(body, '\n')
	_, err = s.w.Write(body)
	return err
}

func (a *app) importFlags(c *cobra.Command, dry, asJSON, confirm *bool) {
	c.Flags().BoolVar(dry, "dry-run", false, "affiche le rapport sans rien enregistrer")
	c.Flags().BoolVar(confirm, "confirm-mass-deactivation", false, fmt.Sprintf("confirme un import complet qui désactiverait plus de %.0f %% des personnes actives", 100*a.cfg.MassDeactivation))
	jsonFlag(c.Flags(), asJSON)
}

func (a *app) printReport(rep *directory.Report, asJSON bool) error {
	if asJSON {
		return a.printJSON(rep)
	}
	return rep.WriteText(a.stdout)
}

func (a *app) printAAF(res *directory.AAFResult) {
	fmt.Fprintf(a.stdout, "\n%d fichiers AAF lus, %d enregistrements, %d établissements.\n", res.Files, res.Requests, len(res.Reports))
	if r := res.Relatives; r.Referenced > 0 {
		fmt.Fprintf(a.stdout, "Responsables cités par les élèves : %d, dont %d responsables légaux ; %d présents dans les fichiers.\n", r.Referenced, r.Legal, r.Found)
	}
	for _, ig := range res.Ignored {
		fmt.Fprintf(a.stdout, "Structure ignorée %s (UAI %s, %s), %d enregistrements : %s\n", ig.JoinID, ig.UAI, ig.Name, ig.Records, ig.Reason)
	}
	if res.Unrouted > 0 {
		fmt.Fprintf(a.stdout, "%d enregistrements sans établissement connu : ignorés.\n", res.Unrouted)
	}
	for _, rj := range res.Rejects {
		fmt.Fprintf(a.stdout, "Rejet : %s : %s\n", rj.Location, rj.Reason)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(a.stdout, "Attention : %s\n", w)
	}
}

// bar is a progress bar drawn on a terminal for large files; otherwise its
// methods do nothing.
type bar struct{ pb *progressbar.ProgressBar }

func (a *app) progress(path string) *bar {
	st, err := os.Stat(path)
	if err != nil {
		return &bar{}
	}
	return a.progressTotal(st.Size(), filepath.Base(path))
}

func (a *app) progressTotal(total int64, label string) *bar {
	f, ok := a.stdout.(*os.File)
	if !ok || total < progressMin || !term.IsTerminal(int(f.Fd())) {
		return &bar{}
	}
	return &bar{pb: progressbar.NewOptions64(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription(label),
		progressbar.OptionShowBytes(true), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))}
}

func (b *bar) update(read, total int64) {
	if b.pb != nil {
		b.pb.Set64(read)
	}
}

func (b *bar) clear() {
	if b.pb != nil {
		b.pb.Clear()
	}
}

func (b *bar) finish() {
	if b.pb != nil {
		b.pb.Finish()
	}
}
