package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

// cliActor is who acts from the command line, in the audit log.
var cliActor = audit.Actor{Role: "operator", Name: "ligne de commande"}

func (a *app) transferCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "transfer", Short: "Transfert des dossiers entre établissements (CERISE Pro)"}
	var dry, asJSON bool
	run := &cobra.Command{
		Use:   "run [--dry-run] [--json] [--now T]",
		Short: "Lance le transfert des dossiers maintenant (ce que fait le passage quotidien)",
		Long: "Examine chaque nouvel élève de l'instance : installé depuis plus de 6 mois, en attente, transfert impossible\n" +
			"(avec sa raison) ou transfert de son dossier depuis l'établissement qu'il a quitté.\n" +
			"--dry-run affiche ce qui serait fait sans rien modifier ; --now fixe la date (AAAA-MM-JJ ou RFC 3339).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			if err := a.checkKeys(ctx, st); err != nil {
				return err
			}
			opts := transfer.Options{Retention: a.cfg.Retention, DryRun: dry, Logger: a.log}
			if !dry {
				q, err := a.jobQueue(ctx)
				if err != nil {
					return err
				}
				opts.AfterChangeTx = a.collectTx(q)
			}
			rep, runErr := transfer.Run(ctx, st, opts)
			if rep == nil {
				return runErr
			}
			if asJSON {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else {
				printTransferReport(a.stdout, rep)
			}
			if runErr != nil {
				return fmt.Errorf("%d transfert(s) en échec, réessayés au prochain passage", len(rep.Errors))
			}
			return nil
		},
	}
	run.Flags().BoolVar(&dry, "dry-run", false, "affiche ce qui serait fait, sans rien modifier")
	jsonFlag(run.Flags(), &asJSON)

	var uai, since, until, done string
	var statusJSON bool
	status := &cobra.Command{
		Use:   "status --uai UAI [--json] [--since AAAA-MM-JJ] [--until AAAA-MM-JJ] [--done oui|non]",
		Short: "Affiche le suivi des transferts d'un établissement : reçus, envoyés, en attente, impossibles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := sillage.ParseUAI(uai)
			if err != nil {
				return usageError{err}
			}
			f, err := statusFilter(since, until, done)
			if err != nil {
				return usageError{err}
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			if err := st.Read(ctx, func(tx *store.Tx) error { _, err := tx.Establishments().GetEstablishment(ctx, u); return err }); err != nil {
				return err
			}
			s, err := transfer.LoadStatus(ctx, st, u, f, a.cfg.Retention)
			if err != nil {
				return err
			}
			if statusJSON {
				return a.printJSON(s)
			}
			printStatus(a.stdout, s)
			return nil
		},
	}
	status.Flags().StringVar(&uai, "uai", "", "UAI de l'établissement")
	status.Flags().StringVar(&since, "since", "", "depuis cette date (par défaut : les 6 derniers mois)")
	status.Flags().StringVar(&until, "until", "", "jusqu'à cette date (exclue)")
	status.Flags().StringVar(&done, "done", "", "oui : transferts effectués ; non : non effectués ; vide : tous")
	status.MarkFlagRequired("uai")
	jsonFlag(status.Flags(), &statusJSON)
	cmd.AddCommand(run, status)
	return cmd
}

func statusFilter(since, until, done string) (transfer.StatusFilter, error) {
	var f transfer.StatusFilter
	var err error
	if since != "" {
		if f.Since, err = statusBound(since); err != nil {
			return f, err
		}
	}
	if until != "" {
		if f.Until, err = statusBound(until); err != nil {
			return f, err
		}
	}
	f.Done, err = transfer.ParseDone(done)
	return f, err
}

// statusBound reads a bound of the follow-up: a day (AAAA-MM-JJ) starts at
// midnight in the schools' zone, the zone the lists are shown in; an
// instant (RFC 3339) is taken as given.
func statusBound(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, strings.TrimSpace(s)); err == nil {
		return transfer.DayStart(sillage.DateOf(d)), nil
	}
	return sillage.ParseNow(s)
}

func countsText(c transfer.Counts) string {
	return fmt.Sprintf("%d évaluation(s), %d résultat(s), %d commentaire(s), %d fiche(s), %d fichier(s)", c.Evaluations, c.Results, c.Comments, c.Sheets, c.Files)
}

func printTransferReport(w io.Writer, r *transfer.Report) {
	title := "Transfert des dossiers"
	if r.DryRun {
		title += " — simulation : rien n'a été modifié"
	}
	fmt.Fprintf(w, "%s (%s)\n", title, sillage.FormatDateTime(r.At))
	verb := map[bool]string{true: "à transférer", false: "transféré(s)"}[r.DryRun]
	fmt.Fprintf(w, "Installés (plus de 6 mois dans l'établissement) : %d\n", len(r.Settled))
	fmt.Fprintf(w, "Dossiers %s : %d\n", verb, len(r.Transferred))
	for _, m := range r.Transferred {
		fmt.Fprintf(w, "  %s n° %d → %s n° %d : %s ; empreinte %s\n", m.OriginUAI, m.OriginStudentID, m.DestUAI, m.DestStudentID, countsText(m.Counts), m.Manifest)
	}
	fmt.Fprintf(w, "Transferts impossibles : %d\n", len(r.Impossible))
	for _, i := range r.Impossible {
		final := "réessayé à chaque passage"
		if i.Final {
			final = "définitif"
		}
		fmt.Fprintf(w, "  %s n° %d → %s n° %d : %s (%s)\n", i.OriginUAI, i.OriginStudentID, i.DestUAI, i.DestStudentID, i.Label, final)
	}
	fmt.Fprintf(w, "Nouveaux élèves en attente : %d\n", len(r.Pending))
	for _, p := range r.Pending {
		fmt.Fprintf(w, "  %s n° %d : %s\n", p.UAI, p.StudentID, p.Reason)
	}
	if r.Skipped > 0 {
		fmt.Fprintf(w, "Ignorés (traités par un autre passage simultané) : %d\n", r.Skipped)
	}
	if r.Stale > 0 {
		fmt.Fprintf(w, "Entrées périmées retirées de l'index : %d\n", r.Stale)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "Échec : %s\n", e)
	}
}

func printStatus(w io.Writer, s *transfer.Status) {
	fmt.Fprintf(w, "Suivi des transferts de %s depuis le %s\n", s.UAI, sillage.FormatDate(s.Since))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	section := func(title string, lines []transfer.Line, who, where string) {
		fmt.Fprintf(tw, "\n%s (%d)\n", title, len(lines))
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(tw, "Date\t%s\t%s\tEffectué\tCause\n", who, where)
		for _, l := range lines {
			other := string(l.OtherUAI)
			if l.OtherName != "" {
				other += " (" + l.OtherName + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", sillage.FormatDate(l.Date), l.Student, other, sillage.FormatBool(l.Done), l.Reason)
		}
	}
	section("Élèves arrivés : dossiers reçus ou non reçus", s.Incoming, "Élève", "Venant de")
	section("Élèves partis : dossiers envoyés ou non envoyés", s.Outgoing, "Élève", "Parti vers")
	fmt.Fprintf(tw, "\nNouveaux élèves en attente (%d)\n", len(s.Pending))
	if len(s.Pending) > 0 {
		fmt.Fprintf(tw, "Élève\tDivision\tEntré le\tAncien établissement\tRaison\n")
		for _, p := range s.Pending {
			previous := string(p.PreviousUAI)
			if p.PreviousName != "" {
				previous = strings.TrimSpace(previous + " (" + p.PreviousName + ")")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Student, p.Division, sillage.FormatDate(p.EnteredAt), previous, p.Reason)
		}
	}
	section("Transferts impossibles", s.Impossible, "Élève", "Autre établissement")
	tw.Flush()
}

func (a *app) purgeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "purge", Short: "Purge des élèves partis depuis plus de 6 mois"}
	var dry, asJSON bool
	run := &cobra.Command{
		Use:   "run [--dry-run] [--json] [--now T]",
		Short: "Supprime les élèves désactivés depuis plus de 6 mois, avec toutes leurs données (ce que fait la purge hebdomadaire)",
		Long: "Supprime définitivement chaque élève désactivé depuis plus de la durée de conservation, avec toutes ses données,\n" +
			"retire son entrée de l'index des transferts et ferme son compte. Le journal de chaque établissement reçoit le nombre\n" +
			"d'élèves supprimés (jamais leurs noms). --dry-run compte sans rien supprimer.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			opts := transfer.Options{Retention: a.cfg.Retention, DryRun: dry, Logger: a.log}
			if !dry {
				q, err := a.jobQueue(ctx)
				if err != nil {
					return err
				}
				opts.AfterChangeTx = a.collectTx(q)
			}
			rep, err := transfer.Purge(ctx, st, opts)
			if rep == nil {
				return err
			}
			if asJSON {
				if jerr := a.printJSON(rep); jerr != nil {
					return jerr
				}
			} else {
				verb := map[bool]string{true: "à supprimer", false: "supprimé(s)"}[dry]
				title := "Purge des élèves partis"
				if dry {
					title += " — simulation : rien n'a été supprimé"
				}
				fmt.Fprintf(a.stdout, "%s : élèves désactivés avant le %s\n", title, sillage.FormatDate(rep.Cutoff))
				for _, e := range rep.Establishments {
					fmt.Fprintf(a.stdout, "  %s : %d élève(s) %s\n", e.UAI, e.Students, verb)
				}
				fmt.Fprintf(a.stdout, "Total : %d élève(s) %s", rep.Students, verb)
				if !dry {
					fmt.Fprintf(a.stdout, ", %d compte(s) fermé(s)", rep.Accounts)
				}
				fmt.Fprintln(a.stdout)
				lines := map[bool]string{true: "à supprimer", false: "supprimée(s)"}[dry]
				fmt.Fprintf(a.stdout, "Suivi des transferts : %d ligne(s) antérieure(s) au %s %s\n", rep.LogLines, sillage.FormatDate(rep.LogCutoff), lines)
			}
			if err != nil {
				return err
			}
			return nil
		},
	}
	run.Flags().BoolVar(&dry, "dry-run", false, "compte ce qui serait supprimé, sans rien supprimer")
	jsonFlag(run.Flags(), &asJSON)
	cmd.AddCommand(run)
	return cmd
}

func (a *app) jobsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "Tâches de fond : liste et lancement à la demande"}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "Liste les dernières tâches et leur état",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			q, err := a.jobQueue(ctx)
			if err != nil {
				return err
			}
			js, err := q.List(ctx, 50)
			if err != nil {
				return err
			}
			if asJSON {
				type row struct {
					ID      int64     `json:"id"`
					Kind    string    `json:"type"`
					Trigger string    `json:"declencheur"`
					State   string    `json:"etat"`
					Attempt int       `json:"tentative"`
					Created time.Time `json:"creee_le"`
					Output  string    `json:"resultat,omitempty"`
					Errors  []string  `json:"erreurs,omitempty"`
				}
				rows := []row{}
				for _, j := range js {
					rows = append(rows, row{j.ID, j.Kind, j.Trigger, j.State, j.Attempt, j.CreatedAt, j.Output, j.Errors})
				}
				return a.printJSON(rows)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "N°\tTâche\tDéclenchée\tÉtat\tTentative\tCréée le\tRésultat")
			for _, j := range js {
				out := j.Output
				if len(j.Errors) > 0 && j.State != "completed" {
					out = j.Errors[len(j.Errors)-1]
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.KindLabel(), j.TriggerLabel(), j.StateLabel(), j.Attempt,
					sillage.FormatDateTime(j.CreatedAt), strings.Join(strings.Fields(out), " "))
			}
			return tw.Flush()
		},
	}
	jsonFlag(list.Flags(), &asJSON)
	enqueue := &cobra.Command{
		Use:   "enqueue transfer|purge|collect",
		Short: "Ajoute une tâche à la file : le serveur (sillage serve) l'exécute aussitôt",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			q, err := a.jobQueue(ctx)
			if err != nil {
				return err
			}
			var id int64
			switch args[0] {
			case "transfer":
				id, err = q.EnqueueTransfer(ctx, jobs.TriggerCLI, nil)
			case "purge":
				id, err = q.EnqueuePurge(ctx, jobs.TriggerCLI)
			case "collect":
				id, err = q.EnqueueCollect(ctx, jobs.TriggerCLI)
			default:
				return usagef("tâche %q inconnue : transfer, purge ou collect", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Tâche n° %d ajoutée à la file.\n", id)
			return nil
		},
	}
	cmd.AddCommand(list, enqueue)
	return cmd
}

// establishmentTransferCmd is `sillage establishment transfer`.
func (a *app) establishmentTransferCmd() *cobra.Command {
	var uai, reference string
	var enable, disable bool
	cmd := &cobra.Command{
		Use:   "transfer --uai UAI (--enable --reference NUMÉRO | --disable)",
		Short: "Active ou désactive le transfert des dossiers d'un établissement",
		Long: "Le transfert (émission et réception) est désactivé par défaut. L'activer demande le numéro de la déclaration CNIL\n" +
			"de l'établissement ou la référence du traitement dans son registre RGPD (64 caractères au plus).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := sillage.ParseUAI(uai)
			if err != nil {
				return usageError{err}
			}
			if enable == disable {
				return usagef("indiquez --enable (avec --reference) ou --disable")
			}
			if enable && strings.TrimSpace(reference) == "" {
				return usagef("activer le transfert demande le numéro de déclaration CNIL ou la référence au registre RGPD (--reference)")
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			var changed bool
			err = st.Write(ctx, func(tx *store.Tx) (err error) {
				changed, err = transfer.ChangeSettings(ctx, tx, u, enable, reference, cliActor)
				return err
			})
			if sillage.KindOf(err) == sillage.KindInvalid {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			switch {
			case !changed:
				fmt.Fprintf(a.stdout, "Rien à changer : le transfert de %s est déjà %s.\n", u, map[bool]string{true: "activé", false: "désactivé"}[enable])
			case enable:
				fmt.Fprintf(a.stdout, "Transfert des dossiers activé pour %s (déclaration %s).\n", u, strings.TrimSpace(reference))
			default:
				fmt.Fprintf(a.stdout, "Transfert des dossiers désactivé pour %s.\n", u)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&uai, "uai", "", "UAI de l'établissement")
	cmd.Flags().BoolVar(&enable, "enable", false, "active le transfert (avec --reference)")
	cmd.Flags().BoolVar(&disable, "disable", false, "désactive le transfert")
	cmd.Flags().StringVar(&reference, "reference", "", "numéro de déclaration CNIL ou référence au registre RGPD")
	cmd.MarkFlagRequired("uai")
	return cmd
}
