package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
)

// peerClient fetches peers' descriptions: bounded in time, no redirect
// followed (a description comes from the declared address only).
func peerClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (a *app) federationCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "federation", Short: "Fédération entre instances Sillage : description signée, instances partenaires"}
	var asJSON bool
	describe := &cobra.Command{
		Use:   "describe [--json]",
		Short: "Affiche la description de cette instance : identifiant, adresse, empreinte de sa clé, établissements servis",
		Long: "Affiche ce que l'instance publie sur /federation/description. L'empreinte de la clé de signature est ce que\n" +
			"l'opérateur d'une instance partenaire déclare avec « sillage federation peer add ».\n" +
			"--json écrit la description signée elle-même (utilisable par « sillage verify --keys »).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.signingKey(ctx)
			if err != nil {
				return err
			}
			var sd federation.Signed
			var d federation.Description
			if err := a.st.Write(ctx, func(tx *store.Tx) (err error) {
				sd, d, err = federation.Describe(ctx, tx, s, a.cfg.BaseURL)
				return err
			}); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(sd)
			}
			printDescription(a, d)
			return nil
		},
	}
	jsonFlag(describe.Flags(), &asJSON)

	peer := &cobra.Command{Use: "peer", Short: "Instances partenaires déclarées (rien n'est échangé avec une autre)"}
	add := &cobra.Command{
		Use:   "add NOM URL EMPREINTE",
		Short: "Déclare une instance partenaire : son adresse et l'empreinte de sa clé de signature (communiquée par son opérateur)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			p, err := federation.AddPeer(ctx, st, args[0], args[1], args[2], cliActor)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Instance partenaire n° %d déclarée : %s (%s), clé %s.\n", p.ID, p.Name, p.BaseURL, signing.Short(p.Fingerprint))
			// A first description now, when it answers; its absence is
			// not an error (the peer may not be up yet).
			if _, err := federation.Fetch(ctx, peerClient(), st, p.ID); err != nil {
				fmt.Fprintf(a.stdout, "Sa description n'a pas pu être obtenue : %s\n", sillage.Message(err))
			} else {
				fmt.Fprintln(a.stdout, "Sa description signée a été vérifiée et enregistrée.")
			}
			return nil
		},
	}
	var listJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "Liste les instances partenaires et leur dernière description vérifiée",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			var peers []sillage.FederationPeer
			if err := st.Read(ctx, func(tx *store.Tx) (err error) { peers, err = tx.Federation().ListPeers(ctx); return err }); err != nil {
				return err
			}
			if listJSON {
				type row struct {
					ID          int64                   `json:"id"`
					Name        string                  `json:"name"`
					URL         string                  `json:"url"`
					Fingerprint string                  `json:"fingerprint"`
					Description *federation.Description `json:"description,omitempty"`
					FetchedAt   time.Time               `json:"fetched_at,omitzero"`
					LastError   string                  `json:"last_error,omitempty"`
				}
				rows := []row{}
				for _, p := range peers {
					r := row{ID: p.ID, Name: p.Name, URL: p.BaseURL, Fingerprint: p.Fingerprint, FetchedAt: p.FetchedAt, LastError: p.LastError}
					if d, ok := federation.LastDescription(p); ok {
						r.Description = &d
					}
					rows = append(rows, r)
				}
				return a.printJSON(rows)
			}
			if len(peers) == 0 {
				fmt.Fprintln(a.stdout, "Aucune instance partenaire déclarée.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "N°\tNom\tAdresse\tClé\tÉtablissements\tDescription")
			for _, p := range peers {
				uais, state := "—", "jamais obtenue"
				if d, ok := federation.LastDescription(p); ok {
					uais = fmt.Sprint(len(d.UAIs))
					state = "vérifiée le " + sillage.FormatDateTime(p.FetchedAt)
				}
				if p.LastError != "" {
					state += " ; dernier échec le " + sillage.FormatDateTime(p.ErrorAt) + " : " + p.LastError
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, p.BaseURL, signing.Short(p.Fingerprint), uais, state)
			}
			return tw.Flush()
		},
	}
	jsonFlag(list.Flags(), &listJSON)
	remove := &cobra.Command{
		Use:   "remove N°|URL",
		Short: "Retire une instance partenaire : plus rien n'est échangé avec elle",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, p, err := a.peerArg(ctx, args[0])
			if err != nil {
				return err
			}
			if _, err := federation.RemovePeer(ctx, st, p.ID, cliActor); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Instance partenaire %s (%s) retirée.\n", p.Name, p.BaseURL)
			return nil
		},
	}
	fetch := &cobra.Command{
		Use:   "fetch N°|URL",
		Short: "Obtient maintenant la description signée d'une instance partenaire et la vérifie",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, p, err := a.peerArg(ctx, args[0])
			if err != nil {
				return err
			}
			d, err := federation.Fetch(ctx, peerClient(), st, p.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Description de %s vérifiée et enregistrée :\n", p.Name)
			printDescription(a, d)
			return nil
		},
	}
	peer.AddCommand(add, list, remove, fetch)
	cmd.AddCommand(describe, peer)
	return cmd
}

// peerArg opens the store and finds the peer an argument names (its
// number or its address).
func (a *app) peerArg(ctx context.Context, arg string) (*store.Store, sillage.FederationPeer, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, sillage.FederationPeer{}, err
	}
	p, err := federation.FindPeer(ctx, st, arg)
	return st, p, err
}

func printDescription(a *app, d federation.Description) {
	fmt.Fprintf(a.stdout, "Instance : %s\n", d.InstanceID)
	fmt.Fprintf(a.stdout, "Adresse publique : %s\n", orDash(d.PublicURL, "non renseignée (SILLAGE_BASE_URL)"))
	fmt.Fprintf(a.stdout, "Point d'accès de fédération : %s\n", orDash(d.Endpoint, "—"))
	for i, k := range d.Keys {
		role := "signe"
		if i > 0 {
			role = "ancienne version, vérifie encore"
		}
		fmt.Fprintf(a.stdout, "Clé (%s) : %s\n", role, k.ID)
	}
	uais := make([]string, len(d.UAIs))
	for i, u := range d.UAIs {
		uais[i] = string(u)
	}
	fmt.Fprintf(a.stdout, "Établissements servis (transferts activés) : %d %s\n", len(d.UAIs), strings.Join(uais, " "))
	fmt.Fprintf(a.stdout, "Émise le %s (%s)\n", sillage.FormatDateTime(d.IssuedAt), sillage.ZoneLabel())
}

func orDash(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func (a *app) signKeyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "signkey", Short: "Clé de signature de l'instance (passeports, messages de fédération), hors de la base de données"}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Ajoute une version à la clé de signature ; les anciennes vérifient toujours ce qu'elles ont signé",
		Long: "La nouvelle version signe désormais ; la description de l'instance est signée aussi par les anciennes,\n" +
			"si bien que les instances partenaires qui ont déclaré l'ancienne empreinte la reconnaissent encore.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, err := a.signingKey(ctx); err != nil { // the file must hold what the database knows
				return err
			}
			if _, err := ident.Rotate(a.cfg.SigningKeyFile); err != nil {
				return err
			}
			s, err := a.signingKey(ctx) // records the new version in the key registry
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Nouvelle version ajoutée à %s : la clé %s signe désormais (%d version(s)). Sauvegardez ce fichier.\n",
				a.cfg.SigningKeyFile, signing.Short(s.KeyID()), len(s.PublicKeys()))
			return nil
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Affiche les empreintes des versions de la clé de signature (jamais la clé)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.signingKey(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s :\n", a.cfg.SigningKeyFile)
			for i, k := range s.PublicKeys() {
				role := "signe"
				if i > 0 {
					role = "vérifie"
				}
				fmt.Fprintf(a.stdout, "  %s (%s)\n", k.ID, role)
			}
			return nil
		},
	}
	cmd.AddCommand(rotate, status)
	return cmd
}

func (a *app) verifyCmd() *cobra.Command {
	var keysFile, peerRef string
	cmd := &cobra.Command{
		Use:   "verify FICHIER [--keys DESCRIPTION.json | --peer URL]",
		Short: "Vérifie la signature d'un passeport ou d'un dossier transmis, hors ligne",
		Long: "Vérifie qu'une archive signée (passeport d'un élève parti, dossier transmis entre instances) est intacte et\n" +
			"signée : par cette instance (par défaut), par l'instance dont --keys donne la description publiée\n" +
			"(enregistrée depuis https://…/federation/description), ou par l'instance partenaire déclarée --peer.\n" +
			"N'affiche que le résultat, l'émetteur et la date : jamais le contenu.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if keysFile != "" && peerRef != "" {
				return usagef("--keys et --peer s'excluent")
			}
			var keys []signing.PublicKey
			var from string
			switch {
			case keysFile != "":
				raw, err := os.ReadFile(keysFile)
				if err != nil {
					return err
				}
				var d federation.Description
				if keys, d, err = federation.PublishedKeys(raw); err != nil {
					return err
				}
				from = "la description publiée de " + orDash(d.PublicURL, d.InstanceID)
			case peerRef != "":
				st, err := a.open(ctx)
				if err != nil {
					return err
				}
				p, err := federation.FindPeer(ctx, st, peerRef)
				if err != nil {
					return err
				}
				d, ok := federation.LastDescription(p)
				if !ok {
					return sillage.Errorf(sillage.KindUnavailable, "aucune description vérifiée de %s : lancez « sillage federation peer fetch %d »", p.BaseURL, p.ID)
				}
				keys, from = d.Keys, "l'instance partenaire "+p.Name
			default:
				s, err := a.signingKey(ctx)
				if err != nil {
					return err
				}
				keys, from = s.PublicKeys(), "cette instance"
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			v := federation.CheckArchive(f, fi.Size(), keys)
			if !v.Valid {
				fmt.Fprintf(a.stdout, "INVALIDE : %s\n(clés de %s)\n", v.Reason, from)
				return errInvalidArchive
			}
			fmt.Fprintf(a.stdout, "VALIDE : %s\n", v.Purpose)
			fmt.Fprintf(a.stdout, "Émetteur : %s %s\n", v.Issuer.ID, v.Issuer.URL)
			fmt.Fprintf(a.stdout, "Émise le %s\n", v.IssuedAt)
			fmt.Fprintf(a.stdout, "Signée par la clé %s (clés de %s)\n", v.KeyID, from)
			fmt.Fprintf(a.stdout, "%d fichier(s) ; empreinte du manifeste %s\n", v.Files, v.Digest)
			return nil
		},
	}
	cmd.Flags().StringVar(&keysFile, "keys", "", "description publiée de l'instance émettrice (fichier JSON)")
	cmd.Flags().StringVar(&peerRef, "peer", "", "instance partenaire déclarée (n° ou adresse) dont la dernière description vérifiée donne les clés")
	return cmd
}

// errInvalidArchive: the verdict is printed; the exit code says it too.
var errInvalidArchive = sillage.Errorf(sillage.KindInvalid, "archive invalide")
