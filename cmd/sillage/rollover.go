package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
)

// openEngine opens the store and the archives and builds the changeover's
// engine for a command; step 4 also needs the secrets key and the INE key
// (the importer), read only when withImporter.
func (a *app) openEngine(ctx context.Context, withImporter bool) (*rollover.Engine, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	archives, err := a.archives()
	if err != nil {
		return nil, err
	}
	var box *sealbox.Box
	var im *directory.Importer
	if withImporter {
		if box, err = keyreg.LoadSecretsBox(ctx, st, a.cfg.SecretsKeyFile); err != nil {
			archives.Close()
			return nil, err
		}
		if im, err = a.importer(ctx); err != nil {
			archives.Close()
			return nil, err
		}
	}
	return a.rolloverEngine(st, archives, box, im), nil
}

// defaultYear is the school year a changeover closes by default: the
// current one (in July of 2026, 2025-2026).
func (a *app) defaultYear() sillage.SchoolYear { return sillage.SchoolYearOf(a.clock().Now()) }

// parseStepUAIs reads the --step and --uai flags of the changeover
// commands; a bad step is a usage error.
func parseStepUAIs(step int, uais []string) (rollover.Step, []sillage.UAI, error) {
	s, err := rollover.ParseStep(step)
	if err != nil {
		return s, nil, usageError{err}
	}
	only, err := parseUAIs(uais)
	return s, only, err
}

func parseUAIs(list []string) ([]sillage.UAI, error) {
	var out []sillage.UAI
	for _, s := range list {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			u, err := sillage.ParseUAI(part)
			if err != nil {
				return nil, usageError{err}
			}
			out = append(out, u)
		}
	}
	return out, nil
}

func (a *app) rolloverCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "rollover", Short: "Changement d'année : calendrier, passage à blanc, étapes 1 à 5",
		Long: "Le changement d'année archive l'année N, purge ce qui ne devait durer qu'un an et prépare l'année N+1,\n" +
			"étape par étape, pour chaque établissement (voir docs/rollover.md). --year est l'année close (2025 pour 2025-2026) ;\n" +
			"par défaut, l'année scolaire en cours à la date de --now."}
	cmd.AddCommand(a.rolloverPlanCmd(), a.rolloverRunCmd(), a.rolloverCalendarCmd(), a.rolloverNoticesCmd(), a.rolloverEnqueueCmd(),
		a.rolloverStuckCmd(), a.rolloverRelaunchCmd(), a.rolloverUndoCmd())
	return cmd
}

func (a *app) rolloverPlanCmd() *cobra.Command {
	var year int
	var uais []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "plan [--year N] [--uai UAI]… [--json]",
		Short: "Passage à blanc : le calendrier et, pour chaque étape et chaque établissement, ce qu'elle ferait (rien n'est modifié)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			only, err := parseUAIs(uais)
			if err != nil {
				return err
			}
			e, err := a.openEngine(ctx, false)
			if err != nil {
				return err
			}
			defer e.Blobs.Close()
			y := a.yearFlag(year)
			p, err := e.Plan(ctx, y, only)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(p)
			}
			printPlan(a.stdout, p)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "année close (2025 pour 2025-2026) ; par défaut l'année scolaire en cours")
	c.Flags().StringSliceVar(&uais, "uai", nil, "limite à ces établissements")
	jsonFlag(c.Flags(), &asJSON)
	return c
}

func (a *app) yearFlag(y int) sillage.SchoolYear {
	if y == 0 {
		return a.defaultYear()
	}
	return sillage.SchoolYear(y)
}

func printPlan(w io.Writer, p *rollover.Plan) {
	c := p.Calendar
	fmt.Fprintf(w, "Changement d'année %s → %s (%d établissement(s))\n", p.Year, p.Year+1, len(p.Establishments))
	if !c.Saved {
		fmt.Fprintln(w, "Calendrier par défaut (l'opérateur ne l'a pas encore enregistré)")
	}
	fmt.Fprintf(w, "  Avertissement corbeille : %s ; message aux gestionnaires de groupes : %s", c.TrashWarning.French(), c.GroupWarning.French())
	if !c.GroupReminder.IsZero() {
		fmt.Fprintf(w, " (rappel le %s)", c.GroupReminder.French())
	}
	fmt.Fprintf(w, "\n  Rentrée : %s ; blocage des accès (%s) du %s au %s inclus\n\n", c.TermStart.French(), rolesText(c.Blocking.Roles),
		c.Blocking.From.French(), c.Blocking.Until.French())
	for _, s := range rollover.Steps {
		fmt.Fprintf(w, "Étape %d — %s (%s)\n", s, s.Label(), c.Step(s).French())
		states := map[string]int{}
		for _, ep := range p.Establishments {
			states[ep.Steps[s-1].StateLabel]++
		}
		var keys []string
		for k := range states {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s : %d", k, states[k]))
		}
		fmt.Fprintf(w, "  États : %s\n", strings.Join(parts, ", "))
		for _, cnt := range p.Totals[s-1] {
			fmt.Fprintf(w, "  %-60s %10d\n", cnt.Label, cnt.N)
		}
		if len(p.Establishments) == 1 {
			sp := p.Establishments[0].Steps[s-1]
			for _, d := range sp.Details {
				fmt.Fprintf(w, "    · %s\n", d)
			}
			for _, wr := range sp.Warnings {
				fmt.Fprintf(w, "    ! %s\n", wr)
			}
			if sp.Blocked != "" {
				fmt.Fprintf(w, "    ! %s\n", sp.Blocked)
			}
		}
		fmt.Fprintln(w)
	}
	if len(p.Establishments) > 1 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "UAI\tÉtablissement\tÉtape 1\tÉtape 2\tÉtape 3\tÉtape 4\tÉtape 5")
		for _, ep := range p.Establishments {
			fmt.Fprintf(tw, "%s\t%s", ep.UAI, ep.Name)
			for _, sp := range ep.Steps {
				fmt.Fprintf(tw, "\t%s", sp.StateLabel)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
}

func rolesText(rs []sillage.Role) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, strings.ToLower(r.Label()))
	}
	return strings.Join(parts, ", ")
}

func (a *app) rolloverRunCmd() *cobra.Command {
	var year, step int
	var uais, files, aafPaths, periodDates []string
	var dir, periods, termStart, offCalendar, digest string
	var dry, asJSON, confirm bool
	c := &cobra.Command{
		Use:   "run --step K [--year N] [--uai UAI]… [--dry-run] [--apercu EMPREINTE] [--hors-calendrier K/N] [--json] [--now T]",
		Short: "Lance une étape du changement d'année pour chaque établissement (ou ceux de --uai)",
		Long: "Étapes : 1 purge de la corbeille, 2 archivage de l'année, 3 suppression des données de l'année,\n" +
			"4 initialisation de l'annuaire N+1, 5 initialisation de la vie scolaire N+1.\n" +
			"Une étape refuse de s'exécuter tant que la précédente n'est pas terminée pour l'établissement ; une étape\n" +
			"déjà faite ne refait rien ; une étape interrompue reprend où elle s'était arrêtée.\n" +
			"Étape 4 : le fichier d'initialisation N+1 de chaque établissement (--file UAI=CHEMIN, --dir DOSSIER de fichiers\n" +
			"SIECLE et AAF, --aaf pour des fichiers AAF), sinon celui déposé sur la page de l'établissement.\n" +
			"Étape 5 : --periods trimestre|semestre, --term-start AAAA-MM-JJ, --period-dates AAAA-MM-JJ..AAAA-MM-JJ,… (sinon l'assistant).\n" +
			"Gardes : une étape hors de ses dates au calendrier est refusée sans --hors-calendrier=K/N (l'étape et l'année) ;\n" +
			"les étapes 1, 3 et 4, qui suppriment, demandent --apercu=EMPREINTE, l'empreinte de l'aperçu affiché par --dry-run :\n" +
			"si les données ont changé depuis, l'étape est refusée et le nouvel aperçu affiché. Ce qu'elles suppriment reste\n" +
			"restaurable (sillage rollover undo) pendant SILLAGE_ROLLOVER_UNDO_DAYS jours.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, only, err := parseStepUAIs(step, uais)
			if err != nil {
				return err
			}
			req := rollover.Request{Year: a.yearFlag(year), Step: s, UAIs: only, Actor: cliActor, DryRun: dry, AAF: aafPaths,
				Files: map[sillage.UAI]string{}}
			for _, f := range files {
				u, p, ok := strings.Cut(f, "=")
				if !ok {
					return usagef("--file attend UAI=CHEMIN, pas %q", f)
				}
				uai, err := sillage.ParseUAI(u)
				if err != nil {
					return usageError{err}
				}
				req.Files[uai] = p
			}
			if dir != "" {
				found, err := rollover.FindInitFiles(dir, req.Year+1)
				if err != nil {
					return err
				}
				for u, p := range found.SIECLE {
					if _, set := req.Files[u]; !set {
						req.Files[u] = p
					}
				}
				req.AAF = append(req.AAF, found.AAF...)
				for _, o := range found.Others {
					fmt.Fprintf(a.stderr, "sillage: %s ignoré (ni export SIECLE de l'année %s, ni fichier AAF)\n", o, req.Year+1)
				}
			}
			if periods != "" || termStart != "" || len(periodDates) > 0 {
				pc, err := parsePeriods(periods, termStart, periodDates)
				if err != nil {
					return usageError{err}
				}
				req.Periods = pc
			}
			e, err := a.openEngine(ctx, s == rollover.StepDirectory && !dry)
			if err != nil {
				return err
			}
			defer e.Blobs.Close()
			if s == rollover.StepDirectory && dry {
				// The dry run simulates the import: it needs the INE key,
				// and says so when it is missing.
				if e.Importer, err = a.importer(ctx); err != nil {
					a.log.Warn("rollover: no INE key, step 4's import cannot be simulated", "err", err)
				}
			}
			e.ConfirmMassDeactivation = confirm
			if !dry {
				_, err := e.Guard(ctx, req.Year, s, only, rollover.Guards{OffCalendar: offCalendar, Preview: digest})
				var ge *rollover.GuardError
				if errors.As(err, &ge) {
					printPreview(a.stdout, ge.Preview)
				}
				if err != nil {
					return err
				}
				// Steps 1 and 3 queue the collection of the files they
				// leave unreferenced in the transaction that marks them
				// done; step 4's importer queues the transfer run in its
				// own (the server's workers run both).
				q, err := a.jobQueue(ctx)
				if err != nil {
					return err
				}
				e.CollectTx = a.collectTx(q)
			}
			bars := a.stepBars()
			e.Progress = bars.update
			res, err := e.Run(ctx, req)
			bars.finish()
			if err != nil {
				return err
			}
			if asJSON {
				type outcome struct {
					rollover.Outcome
					Label string `json:"statut_libelle"`
				}
				out := struct {
					Year     sillage.SchoolYear `json:"annee"`
					Step     rollover.Step      `json:"etape"`
					Outcomes []outcome          `json:"etablissements"`
				}{res.Year, res.Step, nil}
				for _, o := range res.Outcomes {
					out.Outcomes = append(out.Outcomes, outcome{o, o.StatusLabel()})
				}
				if err := a.printJSON(out); err != nil {
					return err
				}
			} else {
				printRun(a.stdout, res)
				if dry {
					p, err := e.Preview(ctx, req.Year, s, only)
					if err != nil {
						return err
					}
					fmt.Fprintln(a.stdout)
					printPreview(a.stdout, p)
				}
			}
			if res.Failed() {
				n, held := 0, 0
				for _, o := range res.Outcomes {
					switch o.Status {
					case rollover.OutcomeFailed, rollover.OutcomeRefused:
						n++
					case rollover.OutcomeHeld:
						held++
					}
				}
				if held > 0 {
					return fmt.Errorf("étape %d : %d établissement(s) en échec ou refusé(s), %d retenu(s) par la garde de désactivation massive ; "+
						"vérifiez leurs fichiers puis relancez avec --confirm-mass-deactivation (et --uai)", s, n, held)
				}
				return fmt.Errorf("étape %d : %d établissement(s) en échec ou refusé(s) ; relancez la commande une fois la cause corrigée", s, n)
			}
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "année close (2025 pour 2025-2026) ; par défaut l'année scolaire en cours")
	c.Flags().IntVar(&step, "step", 0, "étape (1 à 5)")
	c.Flags().StringSliceVar(&uais, "uai", nil, "limite à ces établissements")
	c.Flags().BoolVar(&dry, "dry-run", false, "passage à blanc : affiche ce que ferait l'étape, sans rien modifier, et l'empreinte de l'aperçu")
	c.Flags().StringVar(&digest, "apercu", "", "étapes 1, 3 et 4 : empreinte de l'aperçu confirmé (affichée par --dry-run)")
	c.Flags().StringVar(&offCalendar, "hors-calendrier", "", "confirme une étape lancée hors de ses dates : K/N, l'étape et l'année (1/2025)")
	c.Flags().StringArrayVar(&files, "file", nil, "étape 4 : fichier d'initialisation N+1 d'un établissement, UAI=CHEMIN (répétable)")
	c.Flags().StringVar(&dir, "dir", "", "étape 4 : dossier des fichiers d'initialisation N+1 (SIECLE, reconnus par leur en-tête, et AAF)")
	c.Flags().StringArrayVar(&aafPaths, "aaf", nil, "étape 4 : fichiers ou dossiers AAF complets N+1 (importés une fois pour tous les établissements)")
	c.Flags().BoolVar(&confirm, "confirm-mass-deactivation", false, "étape 4 : confirme les désactivations massives (les élèves partis en fin d'année) des établissements de la commande")
	c.Flags().StringVar(&periods, "periods", "", "étape 5 : trimestre ou semestre (par défaut trimestre)")
	c.Flags().StringVar(&termStart, "term-start", "", "étape 5 : date de la rentrée N+1 (AAAA-MM-JJ)")
	c.Flags().StringSliceVar(&periodDates, "period-dates", nil, "étape 5 : les périodes à la main, DEBUT..FIN séparées par des virgules")
	jsonFlag(c.Flags(), &asJSON)
	return c
}

// parsePeriods reads step 5's flags.
func parsePeriods(kind, term string, dates []string) (*rollover.PeriodsChoice, error) {
	pc := &rollover.PeriodsChoice{Kind: sillage.Trimester}
	switch strings.TrimSuffix(strings.ToLower(strings.TrimSpace(kind)), "s") {
	case "", "trimestre":
	case "semestre":
		pc.Kind = sillage.Semester
	default:
		return nil, fmt.Errorf("--periods : trimestre ou semestre, pas %q", kind)
	}
	var err error
	if pc.TermStart, err = sillage.ParseDate(term); err != nil {
		return nil, err
	}
	for _, d := range dates {
		w, err := rollover.ParseWindow(d)
		if err != nil {
			return nil, err
		}
		pc.Dates = append(pc.Dates, w)
	}
	return pc, nil
}

func printRun(w io.Writer, res *rollover.RunResult) {
	fmt.Fprintf(w, "Étape %d — %s, année %s\n", res.Step, res.Step.Label(), res.Year)
	for _, o := range res.Outcomes {
		fmt.Fprintf(w, "\n%s : %s", o.UAI, o.StatusLabel())
		if o.Elapsed > 0 && o.Status == rollover.OutcomeDone {
			fmt.Fprintf(w, " en %s", o.Elapsed.Round(time.Millisecond))
		}
		fmt.Fprintln(w)
		if o.Message != "" {
			fmt.Fprintf(w, "  %s\n", o.Message)
		}
		counts, details, warnings := []rollover.Count(nil), []string(nil), []string(nil)
		switch {
		case o.Report != nil:
			counts, details, warnings = o.Report.Counts, o.Report.Details, o.Report.Warnings
		case o.Plan != nil:
			counts, details, warnings = o.Plan.Counts, o.Plan.Details, o.Plan.Warnings
		}
		for _, c := range counts {
			fmt.Fprintf(w, "  %-60s %10d\n", c.Label, c.N)
		}
		for _, d := range details {
			fmt.Fprintf(w, "  · %s\n", d)
		}
		for _, wr := range warnings {
			fmt.Fprintf(w, "  ! %s\n", wr)
		}
	}
}

// stepBars draws one progress bar per establishment on a terminal.
type stepBars struct {
	on  bool
	uai sillage.UAI
	pb  *progressbar.ProgressBar
}

func (a *app) stepBars() *stepBars {
	f, ok := a.stdout.(*os.File)
	return &stepBars{on: ok && term.IsTerminal(int(f.Fd()))}
}

func (b *stepBars) update(uai sillage.UAI, s rollover.Step, done, total int) {
	if !b.on || total == 0 {
		return
	}
	if b.pb == nil || b.uai != uai {
		b.finish()
		b.uai = uai
		b.pb = progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription(fmt.Sprintf("%s étape %d", uai, s)),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	}
	b.pb.ChangeMax(total)
	b.pb.Set(done)
}

func (b *stepBars) finish() {
	if b.pb != nil {
		b.pb.Finish()
		b.pb = nil
	}
}

func (a *app) rolloverCalendarCmd() *cobra.Command {
	var year int
	var set string
	var asJSON bool
	c := &cobra.Command{
		Use:   "calendar [--year N] [--set FICHIER.json] [--json]",
		Short: "Affiche le calendrier du changement d'année, ou l'enregistre depuis un fichier JSON (celui de --json, modifié)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			y := a.yearFlag(year)
			var cal rollover.Calendar
			if err := st.Read(ctx, func(tx *store.Tx) (err error) { cal, err = rollover.LoadCalendar(ctx, tx, y); return err }); err != nil {
				return err
			}
			if set != "" {
				data, err := os.ReadFile(set)
				if err != nil {
					return usageError{err}
				}
				next := cal
				if err := json.Unmarshal(data, &next); err != nil {
					return usagef("%s : JSON illisible : %v", set, err)
				}
				next.Year = y
				err = st.Write(ctx, func(tx *store.Tx) error {
					if err := rollover.SaveCalendar(ctx, tx, next, "ligne de commande"); err != nil {
						return err
					}
					return recordCalendar(ctx, tx, next)
				})
				if err != nil {
					return err
				}
				cal = next
				cal.Saved = true
			}
			if asJSON {
				return a.printJSON(cal)
			}
			printPlan(a.stdout, &rollover.Plan{Year: y, Calendar: cal})
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "année close (2025 pour 2025-2026) ; par défaut l'année scolaire en cours")
	c.Flags().StringVar(&set, "set", "", "enregistre le calendrier de ce fichier JSON")
	jsonFlag(c.Flags(), &asJSON)
	return c
}

// recordCalendar writes the audit entry of a calendar change.
func recordCalendar(ctx context.Context, tx *store.Tx, c rollover.Calendar) error {
	return rollover.AuditCalendar(ctx, tx, cliActor, c)
}

func (a *app) rolloverNoticesCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "notices [--now T] [--json]",
		Short: "Envoie les messages du changement d'année dont la date est venue (le serveur le fait de lui-même)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			rep, err := rollover.SendDueNotices(ctx, st)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rep)
			}
			fmt.Fprintf(a.stdout, "Avertissements « corbeille » : %d ; messages aux gestionnaires de groupes : %d ; rappels : %d\n",
				rep.Sent[rollover.NoticeTrash], rep.Sent[rollover.NoticeGroupWarning], rep.Sent[rollover.NoticeGroupReminder])
			return nil
		},
	}
	jsonFlag(c.Flags(), &asJSON)
	return c
}

func (a *app) rolloverEnqueueCmd() *cobra.Command {
	var year, step int
	var uais []string
	var confirm bool
	var offCalendar, digest string
	c := &cobra.Command{
		Use:   "enqueue --step K [--year N] [--uai UAI]… [--apercu EMPREINTE] [--hors-calendrier K/N]",
		Short: "Confie une étape aux tâches de fond du serveur (une tâche durable par établissement)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, only, err := parseStepUAIs(step, uais)
			if err != nil {
				return err
			}
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			e := a.rolloverEngine(st, nil, nil, nil)
			preview, err := e.Guard(ctx, a.yearFlag(year), s, only, rollover.Guards{OffCalendar: offCalendar, Preview: digest})
			var ge *rollover.GuardError
			if errors.As(err, &ge) {
				printPreview(a.stdout, ge.Preview)
			}
			if err != nil {
				return err
			}
			q, err := a.jobQueue(ctx)
			if err != nil {
				return err
			}
			queued, refused, err := rollover.Enqueue(ctx, st, q, a.yearFlag(year), s, only, cliActor.Name,
				rollover.Confirmations{All: confirm, Previews: preview.Digests()})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Étape %d confiée aux tâches de fond pour %d établissement(s)\n", s, len(queued))
			if len(queued) == 0 && only == nil {
				skipped, err := rollover.Skipped(ctx, st, a.yearFlag(year), s)
				if err != nil {
					return err
				}
				printSkipped(a.stdout, skipped)
			}
			for u, why := range refused {
				fmt.Fprintf(a.stdout, "%s : %s\n", u, why)
			}
			if len(refused) > 0 {
				return fmt.Errorf("%d établissement(s) refusé(s)", len(refused))
			}
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "année close (2025 pour 2025-2026) ; par défaut l'année scolaire en cours")
	c.Flags().IntVar(&step, "step", 0, "étape (1 à 5)")
	c.Flags().StringSliceVar(&uais, "uai", nil, "limite à ces établissements")
	c.Flags().BoolVar(&confirm, "confirm-mass-deactivation", false, "étape 4 : confirme les désactivations massives des établissements confiés")
	c.Flags().StringVar(&digest, "apercu", "", "étapes 1, 3 et 4 : empreinte de l'aperçu confirmé (sillage rollover run --dry-run)")
	c.Flags().StringVar(&offCalendar, "hors-calendrier", "", "confirme une étape lancée hors de ses dates : K/N, l'étape et l'année (1/2025)")
	return c
}

// printPreview prints a step's preview: per establishment, what it would
// do, and the digest that confirms it.
func printPreview(w io.Writer, p *rollover.Preview) {
	if p == nil {
		return
	}
	fmt.Fprintf(w, "Aperçu de l'étape %d — %s, année %s (dates au calendrier : %s)\n", p.Step, p.Step.Label(), p.Year, p.Window.French())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range p.Rows {
		fmt.Fprintf(tw, "%s\t%s", r.UAI, r.Name)
		for _, c := range r.Counts {
			fmt.Fprintf(tw, "\t%s : %d", c.Label, c.N)
		}
		if r.Blocked != "" {
			fmt.Fprintf(tw, "\t(refusée : %s)", r.Blocked)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if p.OutOfWindow {
		fmt.Fprintf(w, "Hors calendrier (nous sommes le %s) : confirmez avec --hors-calendrier=%s\n", p.Today.French(), p.Token)
	}
	if rollover.Deletes(p.Step) {
		fmt.Fprintf(w, "Empreinte de l'aperçu : %s (confirmez la suppression avec --apercu=%s)\n", p.Digest, p.Digest)
	}
}

func (a *app) rolloverUndoCmd() *cobra.Command {
	var year, step int
	var uais []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "undo --step K [--year N] [--uai UAI]… [--json]",
		Short: "Annule une étape du changement d'année : restaure exactement ce qu'elle a supprimé (étapes 1 à 4)",
		Long: "Ce que les étapes 1, 3 et 4 suppriment est gardé SILLAGE_ROLLOVER_UNDO_DAYS jours (30 par défaut) ;\n" +
			"l'étape 2 s'annule tant que l'étape 3 n'a pas été lancée. Une annulation déjà faite ne refait rien.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, only, err := parseStepUAIs(step, uais)
			if err != nil {
				return err
			}
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			e := a.rolloverEngine(st, nil, nil, nil)
			res, err := e.Undo(ctx, rollover.UndoRequest{Year: a.yearFlag(year), Step: s, UAIs: only, Actor: cliActor})
			if err != nil {
				return err
			}
			if asJSON {
				if err := a.printJSON(res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "Annulation de l'étape %d — %s, année %s\n", res.Step, res.Step.Label(), res.Year)
				if len(res.Outcomes) == 0 {
					fmt.Fprintln(a.stdout, "Aucun établissement n'a de sauvegarde d'annulation de cette étape.")
				}
				for _, o := range res.Outcomes {
					fmt.Fprintf(a.stdout, "%s : %s — %s\n", o.UAI, o.StatusLabel(), o.Message)
				}
			}
			// The files the restored packs no longer hold go with the next
			// collection (the daily one would find them too).
			if q, err := a.jobQueue(ctx); err == nil {
				if _, err := q.EnqueueCollect(ctx, jobs.TriggerCLI); err != nil {
					a.log.Warn("rollover undo: collection not queued", "err", err)
				}
			}
			if res.Failed() {
				return fmt.Errorf("annulation de l'étape %d : un établissement au moins en échec ou refusé", s)
			}
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "année close (2025 pour 2025-2026) ; par défaut l'année scolaire en cours")
	c.Flags().IntVar(&step, "step", 0, "étape à annuler (1 à 4)")
	c.Flags().StringSliceVar(&uais, "uai", nil, "limite à ces établissements")
	jsonFlag(c.Flags(), &asJSON)
	return c
}
