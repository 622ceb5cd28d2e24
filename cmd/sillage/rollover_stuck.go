package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
)

// The changeover steps whose process died: `rollover stuck` lists them
// with the time of their last sign of life, `rollover relaunch` hands one
// back to the background jobs (operations.md).

func (a *app) rolloverStuckCmd() *cobra.Command {
	var year int
	var asJSON bool
	c := &cobra.Command{
		Use:   "stuck [--year N] [--json]",
		Short: "Liste les étapes bloquées : en cours, mais leur processus ne donne plus signe de vie",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			y := a.yearFlag(year)
			var stuck []sillage.RolloverStep
			now := a.clock().Now()
			err = st.Read(ctx, func(tx *store.Tx) error {
				steps, err := tx.Rollover().ListRolloverSteps(ctx, y)
				for _, s := range steps {
					if s.Stuck(now) {
						stuck = append(stuck, s)
					}
				}
				return err
			})
			if err != nil {
				return err
			}
			if asJSON {
				type row struct {
					UAI   sillage.UAI `json:"uai"`
					Step  int         `json:"etape"`
					Since string      `json:"bloquee_depuis"`
					Owner string      `json:"processus"`
				}
				out := []row{}
				for _, s := range stuck {
					out = append(out, row{s.UAI, s.Step, s.StuckSince().In(sillage.SchoolZone).Format("2006-01-02T15:04:05-07:00"), s.LeaseOwner})
				}
				return a.printJSON(out)
			}
			printStuck(a.stdout, y, stuck)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "année close (2025 pour 2025-2026) ; par défaut l'année scolaire en cours")
	jsonFlag(c.Flags(), &asJSON)
	return c
}

func printStuck(w io.Writer, y sillage.SchoolYear, stuck []sillage.RolloverStep) {
	if len(stuck) == 0 {
		fmt.Fprintf(w, "Aucune étape bloquée pour le changement d'année %s.\n", y)
		return
	}
	sort.Slice(stuck, func(i, j int) bool {
		if stuck[i].UAI != stuck[j].UAI {
			return stuck[i].UAI < stuck[j].UAI
		}
		return stuck[i].Step < stuck[j].Step
	})
	fmt.Fprintf(w, "%d étape(s) bloquée(s) pour le changement d'année %s :\n", len(stuck), y)
	for _, s := range stuck {
		fmt.Fprintf(w, "  %s étape %d : bloquée depuis le %s (dernier signe de vie de %s)\n", s.UAI, s.Step, sillage.FormatDateTime(s.StuckSince()), s.LeaseOwner)
	}
	fmt.Fprintln(w, "Relancez-les avec : sillage rollover relaunch --step K --uai UAI (ou « sillage rollover run » pour les faire ici).")
}

func (a *app) rolloverRelaunchCmd() *cobra.Command {
	var year, step int
	var uai string
	c := &cobra.Command{
		Use:   "relaunch --step K --uai UAI [--year N]",
		Short: "Relance une étape bloquée : elle repasse en attente et une nouvelle tâche de fond la reprend",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := rollover.ParseStep(step)
			if err != nil {
				return usageError{err}
			}
			u, err := sillage.ParseUAI(uai)
			if err != nil {
				return usageError{err}
			}
			q, err := a.jobQueue(ctx)
			if err != nil {
				return err
			}
			y := a.yearFlag(year)
			if err := rollover.Relaunch(ctx, a.st, q, y, s, u, cliActor.Name); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Étape %d relancée pour %s : une nouvelle tâche de fond la reprendra à ses points de reprise.\n", s, u)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "année close (2025 pour 2025-2026) ; par défaut l'année scolaire en cours")
	c.Flags().IntVar(&step, "step", 0, "étape (1 à 5)")
	c.Flags().StringVar(&uai, "uai", "", "établissement")
	return c
}

// printSkipped says why an enqueue of every establishment enqueued none.
func printSkipped(w io.Writer, skipped []rollover.Skip) {
	if len(skipped) == 0 {
		fmt.Fprintln(w, "Aucun établissement enregistré.")
		return
	}
	fmt.Fprintln(w, "Aucun établissement n'a été confié, pour ces raisons :")
	for _, s := range skipped {
		fmt.Fprintf(w, "  %s : %s\n", s.UAI, s.Why)
	}
}
