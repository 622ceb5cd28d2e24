package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/instance"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/privacy"
	"github.com/sillage/sillage/internal/store"
)

func (a *app) migrateCmd() *cobra.Command {
	var status bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Applique les migrations de la base de données",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := store.Open(ctx, a.cfg.DSN(), store.Options{Clock: a.clock(), NoMigrate: status})
			if err != nil {
				return err
			}
			a.st = st
			m, err := st.Migrations(ctx)
			if err != nil {
				return err
			}
			if status && m.Current != m.Latest {
				fmt.Fprintf(a.stdout, "Base %s : version %d, %d disponible — lancez « sillage migrate ».\n", st.DSN(), m.Current, m.Latest)
				return nil
			}
			fmt.Fprintf(a.stdout, "Base %s à jour (version %d).\n", st.DSN(), m.Current)
			return nil
		},
	}
	cmd.Flags().BoolVar(&status, "status", false, "affiche l'état sans rien appliquer")
	return cmd
}

func (a *app) configCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Affiche la configuration (secrets masqués)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			settings := a.cfg.Settings()
			if asJSON {
				return a.printJSON(settings)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			for _, s := range settings {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Env, s.Value, s.Name)
			}
			return tw.Flush()
		},
	}
	jsonFlag(cmd.Flags(), &asJSON)
	return cmd
}

// establishmentKindCmd sets the kind an import left unknown or guessed
// wrong: the Livret Scolaire (LSU) is offered to écoles and collèges only.
func (a *app) establishmentKindCmd() *cobra.Command {
	var uai, kind string
	cmd := &cobra.Command{
		Use:   "kind --uai UAI --kind college|ecole|lp|lgt",
		Short: "Indique le type d'un établissement (le Livret Scolaire Unique n'est proposé qu'aux écoles et aux collèges)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, k, err := parseUAIKind(uai, kind)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			err = st.Write(ctx, func(tx *store.Tx) error {
				return instance.SetKind(ctx, tx, u, k, audit.Actor{Role: "operator", Name: "ligne de commande"})
			})
			if err != nil {
				return err
			}
			lsuNote := "le Livret Scolaire Unique (LSU) ne le concerne pas"
			if livret.Applies(sillage.Establishment{UAI: u, Kind: k}) {
				lsuNote = "le Livret Scolaire Unique (LSU) lui est proposé"
			}
			fmt.Fprintf(a.stdout, "Établissement %s : %s ; %s.\n", u, strings.ToLower(k.Label()), lsuNote)
			return nil
		},
	}
	cmd.Flags().StringVar(&uai, "uai", "", "code UAI : 7 chiffres et la lettre de contrôle")
	cmd.Flags().StringVar(&kind, "kind", "", "type : college, ecole, lp (lycée professionnel) ou lgt (lycée général et technologique)")
	cmd.MarkFlagRequired("uai")
	cmd.MarkFlagRequired("kind")
	return cmd
}

// parseUAIKind reads the --uai and --kind flags of the establishment
// commands; a bad value is a usage error.
func parseUAIKind(uai, kind string) (sillage.UAI, sillage.EstablishmentKind, error) {
	u, err := sillage.ParseUAI(uai)
	if err != nil {
		return "", "", usageError{err}
	}
	k, err := sillage.ParseEstablishmentKind(kind)
	if err != nil {
		return "", "", usageError{err}
	}
	return u, k, nil
}

func (a *app) establishmentCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "establishment", Short: "Gère les établissements de l'instance"}
	var uai, name, kind string
	add := &cobra.Command{
		Use:   "add --uai UAI --name NOM [--kind lp|lgt|college|ecole]",
		Short: "Ajoute un établissement",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, k, err := parseUAIKind(uai, kind)
			if err != nil {
				return err
			}
			if strings.TrimSpace(name) == "" {
				return usagef("le nom de l'établissement est obligatoire (--name)")
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			err = st.Write(ctx, func(tx *store.Tx) error {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: strings.TrimSpace(name), Kind: k}); err != nil {
					return err
				}
				return audit.Record(ctx, tx, "", audit.Actor{Role: "operator", Name: "ligne de commande"}, audit.EstablishmentCreated, string(u), name)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Établissement %s (%s) ajouté.\n", u, strings.TrimSpace(name))
			return nil
		},
	}
	add.Flags().StringVar(&uai, "uai", "", "code UAI : 7 chiffres et la lettre de contrôle")
	add.Flags().StringVar(&name, "name", "", "nom de l'établissement")
	add.Flags().StringVar(&kind, "kind", "lp", "type : lp, lgt, college ou ecole")
	add.MarkFlagRequired("uai")
	add.MarkFlagRequired("name")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "Liste les établissements avec leurs effectifs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			type row struct {
				UAI              sillage.UAI `json:"uai"`
				Name             string      `json:"nom"`
				Kind             string      `json:"type"`
				TransferEnabled  bool        `json:"transfert_active"`
				ActiveStudents   int         `json:"eleves_actifs"`
				Students         int         `json:"eleves"`
				Teachers         int         `json:"enseignants"`
				Divisions        int         `json:"divisions"`
				EvaluationsCount int         `json:"evaluations"`
			}
			var rows []row
			err = st.Read(ctx, func(tx *store.Tx) error {
				es, err := tx.Establishments().ListEstablishments(ctx)
				if err != nil {
					return err
				}
				counts, err := tx.CrossTenant().AllEstablishmentCounts(ctx)
				if err != nil {
					return err
				}
				for _, e := range es {
					c := counts[e.UAI]
					rows = append(rows, row{e.UAI, e.Name, string(e.Kind), e.Transfer.Enabled, c.ActiveStudents, c.Students, c.Teachers, c.Divisions, c.Evaluations})
				}
				return nil
			})
			if err != nil {
				return err
			}
			if asJSON {
				if rows == nil {
					rows = []row{}
				}
				return a.printJSON(rows)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "UAI\tÉtablissement\tType\tÉlèves actifs\tEnseignants\tDivisions\tTransfert")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.UAI, r.Name, sillage.EstablishmentKind(r.Kind).Label(), r.ActiveStudents, r.Teachers, r.Divisions,
					sillage.FormatBool(r.TransferEnabled))
			}
			return tw.Flush()
		},
	}
	jsonFlag(list.Flags(), &asJSON)
	cmd.AddCommand(add, list, a.establishmentKindCmd(), a.establishmentTransferCmd())
	return cmd
}

func (a *app) userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Gère les comptes de l'instance"}
	var login string
	addOp := &cobra.Command{
		Use:   "add-operator --login IDENTIFIANT",
		Short: "Crée un compte d'opérateur de l'instance, avec un mot de passe provisoire",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			login = sillage.NormalizeLogin(login)
			if login == "" {
				return usagef("l'identifiant est obligatoire (--login)")
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			otp := auth.OneTimePassword()
			hash, err := auth.HashPassword(ctx, otp)
			if err != nil {
				return err
			}
			err = st.Write(ctx, func(tx *store.Tx) error {
				acc := sillage.Account{Login: login, PasswordHash: hash, MustChangePassword: true, Operator: true}
				if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
					return err
				}
				return audit.Record(ctx, tx, "", audit.Actor{Role: "operator", Name: "ligne de commande"}, audit.AccountCreated, "opérateur "+login, "")
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Compte d'opérateur « %s » créé.\nMot de passe provisoire : %s\n(à changer à la première connexion)\n", login, otp)
			return nil
		},
	}
	addOp.Flags().StringVar(&login, "login", "", "identifiant de connexion")
	addOp.MarkFlagRequired("login")
	var resetLogin string
	reset := &cobra.Command{
		Use:   "reset-password --login IDENTIFIANT",
		Short: "Donne un mot de passe provisoire à un compte (y compris un compte commun à plusieurs établissements) et ferme ses sessions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(resetLogin) == "" {
				return usagef("l'identifiant est obligatoire (--login)")
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			var otp string
			err = st.Write(ctx, func(tx *store.Tx) (err error) {
				otp, err = accounts.ResetAccount(ctx, tx, audit.Actor{Role: "operator", Name: "ligne de commande"}, resetLogin)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Mot de passe provisoire de « %s » : %s\n(à changer à la première connexion ; ses sessions ouvertes sont fermées)\n", sillage.NormalizeLogin(resetLogin), otp)
			return nil
		},
	}
	reset.Flags().StringVar(&resetLogin, "login", "", "identifiant de connexion du compte")
	reset.MarkFlagRequired("login")
	cmd.AddCommand(addOp, reset)
	return cmd
}

func (a *app) auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Journal d'audit"}
	var uai, checkpointFile string
	var asJSON bool
	verify := &cobra.Command{
		Use:   "verify [--uai UAI] [--checkpoint FICHIER]",
		Short: "Vérifie le journal avec sa clé (et un point de contrôle signé) et signale la première entrée modifiée, supprimée ou renumérotée",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			key, err := a.auditKey(ctx, st)
			if err != nil {
				return err
			}
			opts := audit.VerifyOptions{Key: key}
			if checkpointFile != "" {
				signer, err := a.signer(ctx)
				if err != nil {
					return err
				}
				data, err := os.ReadFile(checkpointFile)
				if err != nil {
					return fmt.Errorf("point de contrôle %s : %w", checkpointFile, err)
				}
				cp, err := audit.ReadCheckpoint(data, signer)
				if err != nil {
					return fmt.Errorf("%s : %w", checkpointFile, err)
				}
				opts.Checkpoint = &cp
			}
			var problems []audit.Problem
			var checked int
			if uai != "" {
				u, err := sillage.ParseUAI(uai)
				if err != nil {
					return usageError{err}
				}
				p, n, err := audit.Verify(ctx, st, u, opts)
				if err != nil {
					return err
				}
				checked = n
				if p != nil {
					problems = append(problems, *p)
				}
			} else if problems, checked, err = audit.VerifyAll(ctx, st, opts); err != nil {
				return err
			}
			if asJSON {
				out := map[string]any{"entrees_verifiees": checked, "intact": len(problems) == 0, "problemes": []map[string]any{}}
				var list []map[string]any
				for _, p := range problems {
					list = append(list, map[string]any{"uai": p.UAI, "entree": p.Seq, "raison": p.Reason})
				}
				if list != nil {
					out["problemes"] = list
				}
				if err := a.printJSON(out); err != nil {
					return err
				}
			} else if len(problems) == 0 {
				fmt.Fprintf(a.stdout, "Journal intact : %d entrées vérifiées avec la clé du journal", checked)
				if opts.Checkpoint != nil {
					fmt.Fprintf(a.stdout, " et le point de contrôle du %s", sillage.FormatDateTime(opts.Checkpoint.CreatedAt))
				}
				fmt.Fprintln(a.stdout, ".")
			} else {
				for _, p := range problems {
					fmt.Fprintf(a.stdout, "ALTÉRATION : %s\n", p)
				}
			}
			if len(problems) > 0 {
				return fmt.Errorf("journal d'audit altéré (%d chaîne(s))", len(problems))
			}
			return nil
		},
	}
	verify.Flags().StringVar(&uai, "uai", "", "ne vérifier que le journal de cet établissement")
	verify.Flags().StringVar(&checkpointFile, "checkpoint", "", "vérifier aussi contre ce point de contrôle signé (sillage audit checkpoint)")
	jsonFlag(verify.Flags(), &asJSON)
	var outFile string
	checkpoint := &cobra.Command{
		Use:   "checkpoint [--out FICHIER]",
		Short: "Exporte un point de contrôle signé (Ed25519) de la tête de chaque journal, à conserver hors du serveur",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			signer, err := a.signer(ctx)
			if err != nil {
				return err
			}
			cp, err := audit.MakeCheckpoint(ctx, st, signer, a.clock().Now())
			if err != nil {
				return err
			}
			if outFile == "" {
				return audit.WriteCheckpoint(a.stdout, cp)
			}
			var b strings.Builder
			if err := audit.WriteCheckpoint(&b, cp); err != nil {
				return err
			}
			if err := os.WriteFile(outFile, []byte(b.String()), 0o600); err != nil {
				return fmt.Errorf("écriture du point de contrôle %s : %w", outFile, err)
			}
			fmt.Fprintf(a.stdout, "Point de contrôle de %d journaux écrit dans %s : conservez-le hors du serveur.\n", len(cp.Heads), outFile)
			return nil
		},
	}
	checkpoint.Flags().StringVarP(&outFile, "out", "o", "", "fichier à écrire (sinon la sortie standard)")
	seal := &cobra.Command{
		Use:   "seal",
		Short: "Scelle par la clé du journal les chaînes qui ne le sont pas encore (chaque commande le fait aussi)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// a.open seals; report what it sealed.
			if _, err := a.open(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d journal(aux) scellé(s) par la clé du journal ; les autres l'étaient déjà.\n", a.sealed)
			return nil
		},
	}
	purge := &cobra.Command{
		Use:   "purge [--now DATE]",
		Short: "Supprime les entrées plus anciennes que la durée de conservation du journal (la purge hebdomadaire le fait aussi)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			cutoff := a.cfg.Retention.AuditCutoff(a.clock().Now())
			n, err := audit.PurgeExpired(ctx, st, cutoff)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d entrées antérieures au %s supprimées ; chaque journal reste vérifiable.\n", n, sillage.FormatDate(cutoff))
			return nil
		},
	}
	var signing bool
	rotate := &cobra.Command{
		Use:   "rotate-key [--signing]",
		Short: "Ajoute une version à la clé du journal (ou à la clé de signature) ; les anciennes vérifient ce qu'elles ont scellé ou signé",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx) // checks (or creates, for the default) the audit key
			if err != nil {
				return err
			}
			path := a.cfg.AuditKeyFile
			load := func() error { _, err := a.auditKey(ctx, st); return err }
			if signing {
				path = a.cfg.AuditSigningKeyFile
				load = func() error { _, err := a.signer(ctx); return err }
			}
			if err := load(); err != nil { // created first when it is the default
				return err
			}
			kr, err := ident.Rotate(path)
			if err != nil {
				return err
			}
			if err := load(); err != nil { // records the new version in the key registry
				return err
			}
			fmt.Fprintf(a.stdout, "Nouvelle version v%d ajoutée à %s (versions %v) : sauvegardez ce fichier.\n", kr.Version(), path, kr.Versions())
			return nil
		},
	}
	rotate.Flags().BoolVar(&signing, "signing", false, "la clé de signature des points de contrôle plutôt que la clé du journal")
	cmd.AddCommand(verify, checkpoint, seal, rotate, purge)
	return cmd
}

func (a *app) privacyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "privacy", Short: "Données personnelles"}
	var asJSON bool
	register := &cobra.Command{
		Use:   "register",
		Short: "Affiche le registre des traitements (ce qui est conservé, pourquoi, combien de temps, qui le voit)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := privacy.Register(&a.cfg)
			if asJSON {
				return a.printJSON(reg)
			}
			fmt.Fprintln(a.stdout, "Registre des traitements de l'instance Sillage")
			for i, p := range reg {
				fmt.Fprintf(a.stdout, "\n%d. %s\n   Finalité : %s\n   Durée : %s\n   Destinataires : %s\n   Base légale : %s\n", i+1, p.Data, p.Why, p.HowLong, p.WhoSees, p.Legality)
			}
			return nil
		},
	}
	jsonFlag(register.Flags(), &asJSON)
	cmd.AddCommand(register)
	return cmd
}

func (a *app) idKeyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "idkey", Short: "Clé de hachage des INE (hors de la base de données)"}
	var replace bool
	initCmd := &cobra.Command{
		Use:   "init [--replace]",
		Short: "Crée la clé d'une nouvelle instance (jamais par-dessus un fichier existant)",
		Long: "Crée le fichier de clé (SILLAGE_ID_KEY_FILE) et inscrit l'empreinte de la clé dans la base.\n" +
			"Refusé si la base connaît déjà une clé ou des élèves : restaurez alors le fichier sauvegardé.\n" +
			"--replace crée malgré tout une nouvelle clé, pour une clé perdue pour de bon : les élèves déjà importés\n" +
			"ne seront plus reconnus d'un établissement à l'autre.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			kr, retired, err := keyreg.InitIDKey(ctx, st, a.cfg.IDKeyFile, replace)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Clé créée dans %s : %s\n", a.cfg.IDKeyFile, kr)
			if retired > 0 {
				fmt.Fprintf(a.stdout, "%d ancienne(s) version(s) abandonnée(s) : les élèves déjà importés ne seront plus reconnus d'un établissement à l'autre.\n", retired)
			}
			fmt.Fprintln(a.stdout, "Sauvegardez ce fichier : sans lui, les élèves ne peuvent plus être rapprochés.")
			return nil
		},
	}
	initCmd.Flags().BoolVar(&replace, "replace", false, "remplace une clé perdue (les anciennes versions sont abandonnées)")
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Ajoute une nouvelle version de la clé ; les anciennes restent utilisées pour la correspondance",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			// The file must hold what the database knows before it grows.
			if err := a.checkKeys(ctx, st); err != nil {
				return err
			}
			kr, err := ident.Rotate(a.cfg.IDKeyFile)
			if err != nil {
				return err
			}
			if err := keyreg.Check(ctx, st, keyreg.IDKey, a.cfg.IDKeyFile, kr.Fingerprints()); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Nouvelle clé ajoutée à %s : %s\nSauvegardez ce fichier : sans lui, les élèves ne peuvent plus être rapprochés.\n", a.cfg.IDKeyFile, kr)
			return nil
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Indique les versions de clé présentes et leurs empreintes (jamais les clés)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			known, err := keyreg.Active(ctx, st, keyreg.IDKey)
			if err != nil {
				return err
			}
			kr, loadErr := ident.Load(a.cfg.IDKeyFile)
			if loadErr == nil {
				fmt.Fprintf(a.stdout, "%s : %s\n", a.cfg.IDKeyFile, kr)
				fps := kr.Fingerprints()
				for _, v := range kr.Versions() {
					fmt.Fprintf(a.stdout, "  v%d : empreinte %s\n", v, keyreg.Short(fps[v]))
				}
			}
			fmt.Fprintf(a.stdout, "Versions connues de la base : %d\n", len(known))
			for _, k := range known {
				fmt.Fprintf(a.stdout, "  v%d : empreinte %s, inscrite le %s\n", k.Version, keyreg.Short(k.Fingerprint), sillage.FormatDateTime(k.RecordedAt))
			}
			if loadErr != nil {
				return loadErr
			}
			return a.checkKeys(ctx, st)
		},
	}
	cmd.AddCommand(initCmd, rotate, status)
	return cmd
}

func (a *app) secretsKeyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "secretskey", Short: "Clé de chiffrement des fichiers sensibles (hors de la base de données)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "replace",
		Short: "Crée une nouvelle clé à la place d'une clé perdue pour de bon",
		Long: "Crée le fichier SILLAGE_SECRETS_KEY_FILE quand la clé est perdue (aucune sauvegarde, aucun autre serveur\n" +
			"qui la garde) et abandonne les versions que la base connaissait. Ce qu'elle chiffrait ne s'ouvrira plus :\n" +
			"les listes d'identifiants (à rééditer), les fichiers d'initialisation (à redéposer) et les imports en\n" +
			"attente de confirmation (à renvoyer). Copiez ensuite le nouveau fichier sur chaque serveur.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			_, retired, err := keyreg.ReplaceSecretsKey(ctx, st, a.cfg.SecretsKeyFile)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Nouvelle clé de chiffrement créée dans %s ; %d ancienne(s) version(s) abandonnée(s).\n", a.cfg.SecretsKeyFile, retired)
			fmt.Fprintln(a.stdout, "Copiez ce fichier sur chaque serveur de l'instance et sauvegardez-le à part des données.")
			return nil
		},
	})
	return cmd
}
