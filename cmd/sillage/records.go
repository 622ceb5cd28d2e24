package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// recordsActor is who imports or exports from the command line, in the
// establishment's audit log.
var recordsActor = audit.Actor{Role: "operator", Name: "ligne de commande (sillage records)"}

func (a *app) recordsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "records", Short: "Import et export JSON des livrets (évaluations, résultats, fiches) : docs/records-json.md"}
	var uai, eleve, output string
	export := &cobra.Command{
		Use:   "export --uai UAI [--student ELEVE_ID] [--output FICHIER]",
		Short: "Exporte les livrets d'un établissement (ou d'un élève) au format JSON, sur la sortie standard",
		Long: "Écrit les livrets au format JSON « sillage-livrets » (docs/records-json.md) : élèves avec leur identifiant SIECLE\n" +
			"(ELEVE_ID), évaluations et résultats par compétence, commentaires, fiches de situation professionnelle et\n" +
			"métadonnées de leurs fichiers. L'export est inscrit au journal de l'établissement.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := sillage.ParseUAI(uai)
			if err != nil {
				return usageError{err}
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			if err := establishmentExists(cmd, st, u); err != nil {
				return err
			}
			w := a.stdout
			var f *os.File
			if output != "" && output != "-" {
				if f, err = os.Create(output); err != nil {
					return sillage.Wrap(sillage.KindUnavailable, err, "impossible de créer "+output)
				}
				w = f
			}
			bw := bufio.NewWriterSize(w, 256<<10)
			err = records.Export(ctx, st, records.ExportRequest{UAI: u, EleveID: eleve, Actor: recordsActor, ExternalIDs: true}, bw)
			if err == nil {
				err = bw.Flush()
			}
			if f != nil {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(output)
				}
			}
			return err
		},
	}
	export.Flags().StringVar(&uai, "uai", "", "code UAI de l'établissement")
	export.Flags().StringVar(&eleve, "student", "", "identifiant SIECLE (ELEVE_ID) d'un seul élève")
	export.Flags().StringVarP(&output, "output", "o", "", "fichier de sortie (par défaut : la sortie standard)")
	export.MarkFlagRequired("uai")

	var iuai string
	var dry, asJSON bool
	imp := &cobra.Command{
		Use:   "import --uai UAI FICHIER.json [--dry-run] [--json]",
		Short: "Importe des livrets au format JSON ; « - » lit l'entrée standard",
		Long: "Charge un fichier « sillage-livrets » (docs/records-json.md) dans un établissement, en une seule transaction.\n" +
			"Les élèves sont reconnus par leur identifiant SIECLE (ELEVE_ID). Les éléments corrects sont enregistrés ; chaque\n" +
			"élément refusé (élève ou compétence inconnus, date ou valeur invalides…) est listé avec sa position dans le fichier.\n" +
			"Importer deux fois le même fichier n'ajoute rien. --dry-run vérifie et compte sans rien enregistrer.\n" +
			"Code de sortie : 0 sans rejet, 1 si des éléments ont été rejetés (les autres sont enregistrés) ou si le fichier est refusé.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := sillage.ParseUAI(iuai)
			if err != nil {
				return usageError{err}
			}
			var in io.Reader = a.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return usageError{fmt.Errorf("fichier %s illisible : %w", args[0], err)}
				}
				defer f.Close()
				in = f
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			if err := establishmentExists(cmd, st, u); err != nil {
				return err
			}
			blobs, err := a.files()
			if err != nil {
				return err
			}
			rep, err := records.Import(ctx, st, records.ImportRequest{UAI: u, Actor: recordsActor, DryRun: dry, Blobs: blobs,
				Limits: records.DefaultLimits(min(a.cfg.MaxUpload, blobs.MaxSize()))}, bufio.NewReaderSize(in, 256<<10))
			if err != nil {
				return err
			}
			if asJSON {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else {
				rep.WriteText(a.stdout)
			}
			if n := len(rep.Rejected); n > 0 {
				if dry {
					return fmt.Errorf("simulation : %d élément(s) seraient rejetés", n)
				}
				return fmt.Errorf("import terminé avec %d élément(s) rejeté(s) ; les autres sont enregistrés", n)
			}
			return nil
		},
	}
	imp.Flags().StringVar(&iuai, "uai", "", "code UAI de l'établissement")
	imp.Flags().BoolVar(&dry, "dry-run", false, "vérifie et compte sans rien enregistrer")
	jsonFlag(imp.Flags(), &asJSON)
	imp.MarkFlagRequired("uai")

	cmd.AddCommand(export, imp)
	return cmd
}

// establishmentExists refuses an unknown establishment with one line.
func establishmentExists(cmd *cobra.Command, st *store.Store, u sillage.UAI) error {
	_, err := establishmentOf(cmd, st, u)
	return err
}

// establishmentOf reads an establishment of the instance, refused with its
// UAI when there is none.
func establishmentOf(cmd *cobra.Command, st *store.Store, u sillage.UAI) (est sillage.Establishment, err error) {
	ctx := cmd.Context()
	err = st.Read(ctx, func(tx *store.Tx) error {
		est, err = tx.Establishments().GetEstablishment(ctx, u)
		if sillage.KindOf(err) == sillage.KindNotFound {
			return sillage.Errorf(sillage.KindNotFound, "établissement %s inconnu de l'instance", u)
		}
		return err
	})
	return est, err
}
