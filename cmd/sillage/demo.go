package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

// DemoPassword is the password of the printed demo accounts.
const DemoPassword = "demo-sillage-2026"

func (a *app) demoCmd() *cobra.Command {
	var establishments, students int
	var seed uint64
	var noServe, noTransfer, noLivret bool
	var siecleOut string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Crée une académie de démonstration (SQLite dans ./sillage-demo/) et lance Sillage",
		Long: "Crée, si elle n'existe pas, une base SQLite dans ./sillage-demo/ remplie d'une académie synthétique\n" +
			"(établissements, élèves, responsables, enseignants, référentiels, évaluations, fiches avec fichiers),\n" +
			"affiche les comptes de démonstration puis lance le serveur.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if establishments < 1 || students < 0 {
				return usagef("--establishments doit valoir au moins 1 et --students être positif")
			}
			// The demo's own database and files unless told otherwise.
			if !cmd.Flags().Changed("db") && a.getenv("SILLAGE_DB") == "" {
				a.cfg.DB = "sqlite:" + filepath.Join("sillage-demo", "sillage.db")
			}
			if !cmd.Flags().Changed("data-dir") && a.getenv("SILLAGE_DATA_DIR") == "" {
				a.cfg.UseDataDir("sillage-demo")
			}
			if err := a.cfg.Validate(); err != nil {
				return err
			}
			opts := demo.DefaultOptions(a.clock().Now())
			opts.Seed, opts.Establishments, opts.Students, opts.DemoPassword = seed, establishments, students, DemoPassword
			opts.Livret = !noLivret
			ctx := cmd.Context()
			accounts, err := a.fillDemo(ctx, opts, !noTransfer)
			if err != nil {
				return err
			}
			if siecleOut != "" {
				if err := a.writeDemoSIECLE(opts, siecleOut); err != nil {
					return err
				}
			}
			if len(accounts) > 0 {
				fmt.Fprintf(a.stdout, "\nComptes de démonstration (mot de passe : %s) :\n", DemoPassword)
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				for _, acc := range accounts {
					fmt.Fprintf(tw, "  %s\t%s\t%s\n", acc.Login, acc.Role, acc.Establishment)
				}
				tw.Flush()
			}
			if noServe {
				return nil
			}
			fmt.Fprintln(a.stdout)
			return a.serve(ctx, nil)
		},
	}
	f := cmd.Flags()
	f.IntVar(&establishments, "establishments", 4, "nombre d'établissements")
	f.IntVar(&students, "students", 600, "nombre d'élèves en tout")
	f.Uint64Var(&seed, "seed", 2026, "graine du générateur (même graine, même académie)")
	f.BoolVar(&noServe, "no-serve", false, "remplit la base sans lancer le serveur")
	f.BoolVar(&noTransfer, "no-transfer", false, "laisse en attente les dossiers des élèves qui ont changé d'établissement (pour essayer le transfert)")
	f.BoolVar(&noLivret, "no-livret", false, "sans le collège et l'école dont le Livret Scolaire est rempli (export LSU)")
	f.StringVar(&siecleOut, "siecle-out", "", "écrit aussi, par établissement, l'export SIECLE qui produit ses élèves")
	f.StringVar(&a.cfg.Addr, "addr", a.cfg.Addr, "adresse d'écoute")
	return cmd
}

// fillDemo generates the academy unless the database already holds one.
// The demo accounts are listed from the database either way.
func (a *app) fillDemo(ctx context.Context, opts demo.Options, runTransfer bool) ([]demo.Account, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	var existing int
	if err := st.Read(ctx, func(tx *store.Tx) error {
		es, err := tx.Establishments().ListEstablishments(ctx)
		existing = len(es)
		return err
	}); err != nil {
		return nil, err
	}
	if existing > 0 {
		fmt.Fprintf(a.stdout, "Base de démonstration déjà remplie (%s, %d établissements).\n", st.DSN(), existing)
		return demo.Accounts(ctx, st, opts)
	}
	files, err := a.files()
	if err != nil {
		return nil, err
	}
	kr, err := a.keyring(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.stdout, "Création de l'académie de démonstration dans %s…\n", st.DSN())
	start := time.Now()
	res, err := demo.Generate(ctx, st, files, kr, opts, func(line string) { fmt.Fprintln(a.stdout, "  "+line) })
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.stdout, "%d établissements, %d élèves, %d personnes, %d évaluations, %d résultats, %d fiches, %d fichiers (%s).\n",
		len(res.Establishments), res.Students, res.Persons, res.Evaluations, res.Results, res.Sheets, res.Files, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(a.stdout, "La clé de hachage des INE est dans %s : sauvegardez-la.\n", a.cfg.IDKeyFile)
	// The INEs of the first degree are never stored: an école's LSU export
	// reads them from the ONDE extraction the user joins to it.
	for _, f := range res.ONDE {
		name := filepath.Join(a.cfg.DataDir, "onde-"+string(f.UAI)+".csv")
		if err := os.WriteFile(name, f.CSV, 0o600); err != nil {
			return nil, fmt.Errorf("extraction ONDE de démonstration : %w", err)
		}
		fmt.Fprintf(a.stdout, "Extraction ONDE de l'école %s, à joindre à son export LSU : %s\n", f.UAI, name)
	}
	if !runTransfer {
		return res.Accounts, nil
	}
	// The students who changed school this year wait in the transfer
	// index: run the transfer as the import would have triggered it, so
	// the dashboards show received, sent, pending and impossible records.
	rep, err := transfer.Run(ctx, st, transfer.Options{Retention: a.cfg.Retention})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.stdout, "Transfert des dossiers : %d transféré(s), %d impossible(s), %d en attente, %d installé(s).\n",
		len(rep.Transferred), len(rep.Impossible), len(rep.Pending), len(rep.Settled))
	return res.Accounts, nil
}

func (a *app) writeDemoSIECLE(opts demo.Options, dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	for i := 0; i < opts.Establishments; i++ {
		p := demo.Plan(opts, i)
		sub := filepath.Join(dir, string(p.Establishment.UAI))
		if err := os.MkdirAll(sub, 0o750); err != nil {
			return err
		}
		name := filepath.Join(sub, "ExportXML_ElevesSansAdresses.zip")
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		err = siecle.WriteStudentsZip(f, p.SIECLE(opts.Now))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s : %w", name, err)
		}
		fmt.Fprintf(a.stdout, "Export SIECLE de %s : %s\n", p.Establishment.UAI, name)
	}
	return nil
}
