package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/backup"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/store"
)

// backupKeys are the key files saved with the database, by registry name
// (internal/keyreg): a key added later is added here.
func (a *app) backupKeys() []backup.Key {
	keys := []backup.Key{
		{Name: keyreg.IDKey, Path: a.cfg.IDKeyFile},
		{Name: keyreg.AuditKey, Path: a.cfg.AuditKeyFile},
		{Name: keyreg.AuditSigningKey, Path: a.cfg.AuditSigningKeyFile},
		{Name: keyreg.SigningKey, Path: a.cfg.SigningKeyFile},
	}
	if a.cfg.FederationKeyFile != "" {
		keys = append(keys, backup.Key{Name: keyreg.FederationKey, Path: a.cfg.FederationKeyFile})
	}
	return keys
}

// restoreKeys says where restore writes each key file.
func (a *app) restoreKeys() map[string]string {
	keys := map[string]string{}
	for _, k := range a.backupKeys() {
		keys[k.Name] = k.Path
	}
	return keys
}

func (a *app) backupCmd() *cobra.Command {
	var skipBlobs, asJSON bool
	cmd := &cobra.Command{
		Use:   "backup DOSSIER [--skip-blobs] [--json]",
		Short: "Sauvegarde cohérente de l'instance (base, clés, fichiers) dans un nouveau dossier, même pendant que le serveur tourne",
		Long: "Écrit dans DOSSIER (qui ne doit pas exister) une copie cohérente de la base — SQLite : VACUUM INTO, journal WAL compris ;\n" +
			"PostgreSQL : pg_dump --format=custom sur un instantané exporté —, les fichiers de clé, les fichiers du dossier des données\n" +
			"et la liste de leurs empreintes (SHA256SUMS, vérifiable par « sha256sum -c »). --skip-blobs liste les fichiers sans les\n" +
			"copier (copiez alors le dossier des fichiers avec rsync, voir docs/operations.md).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			// No migration: a backup runs beside a live server and must
			// not wait for the write lock.
			st, err := store.Open(ctx, a.cfg.DSN(), store.Options{Clock: a.clock(), NoMigrate: true, MaxConns: 2})
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now() // elapsed time only, not a rule
			o := backup.Options{Store: st, BlobDir: a.cfg.BlobDir(), Keys: a.backupKeys(), SkipBlobs: skipBlobs, Clock: a.clock()}
			if a.cfg.BlobS3() {
				// The files are in the object store's bucket: listed and
				// looked for there, copied by the object store's own means.
				files, err := a.files()
				if err != nil {
					return err
				}
				o.Blobs, o.SkipBlobs = files, true
			}
			meta, err := backup.Create(ctx, args[0], o)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(meta)
			}
			fmt.Fprintf(a.stdout, "Sauvegarde écrite dans %s (%s, %s)\n", args[0], sillage.FormatDateTimeSeconds(meta.At), meta.Engine)
			fmt.Fprintf(a.stdout, "  base : %s (migration %d)\n", meta.Database, meta.Migration)
			for name, file := range meta.KeyFiles {
				fmt.Fprintf(a.stdout, "  clé %s : %s (%d version(s) inscrite(s) dans la base)\n", name, file, len(meta.Keys[name]))
			}
			if meta.BlobsCopied {
				fmt.Fprintf(a.stdout, "  fichiers : %d copiés (%s)\n", meta.Blobs, sillage.FormatSize(meta.BlobBytes))
			} else if a.cfg.BlobS3() {
				fmt.Fprintf(a.stdout, "  fichiers : %d listés dans %s, non copiés : ils sont dans le compartiment %s du stockage objet %s (sauvegardez-le par ses propres moyens : versions, réplication)\n",
					meta.Blobs, backup.BlobListFile, a.cfg.BlobS3Bucket, a.cfg.BlobS3Endpoint)
			} else {
				fmt.Fprintf(a.stdout, "  fichiers : %d listés dans %s, non copiés : copiez %s avec rsync\n", meta.Blobs, backup.BlobListFile, a.cfg.BlobDir())
			}
			if n := len(meta.MissingBlobs); n > 0 {
				fmt.Fprintf(a.stdout, "  attention : %d fichier(s) référencé(s) par la base absent(s) du dossier des données\n", n)
			}
			fmt.Fprintf(a.stdout, "Durée : %s. Vérification : sillage restore --check %s (ou sha256sum -c SHA256SUMS).\n", frenchDuration(time.Since(start)), args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&skipBlobs, "skip-blobs", false, "liste les fichiers sans les copier (à copier avec rsync)")
	jsonFlag(cmd.Flags(), &asJSON)
	return cmd
}

func (a *app) restoreCmd() *cobra.Command {
	var check, asJSON bool
	cmd := &cobra.Command{
		Use:   "restore DOSSIER [--check] [--json]",
		Short: "Restaure une sauvegarde dans une instance neuve (SILLAGE_DB vide, dossier des données, fichier de clé)",
		Long: "Vérifie chaque fichier de la sauvegarde contre SHA256SUMS, puis écrit les fichiers de clé, les fichiers du dossier des\n" +
			"données et, en dernier, la base (SQLite : le fichier ; PostgreSQL : pg_restore en une seule transaction) à l'emplacement\n" +
			"configuré. Refuse une base cible qui n'est pas vide ou un fichier de clé différent déjà présent. Interrompue, elle se relance.\n" +
			"--check vérifie la sauvegarde sans rien écrire.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if check {
				meta, err := backup.Verify(args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return a.printJSON(meta)
				}
				fmt.Fprintf(a.stdout, "Sauvegarde intègre : %s du %s, %d fichier(s).\n", meta.Engine, sillage.FormatDateTimeSeconds(meta.At), meta.Blobs)
				return nil
			}
			if a.cfg.BlobS3() {
				return sillage.Errorf(sillage.KindInvalid, "sillage restore écrit les fichiers dans le dossier des données : restaurez sans SILLAGE_BLOB_S3_ENDPOINT, "+
					"puis copiez le dossier %s/sha256 dans le compartiment (mêmes noms sous sha256/)", a.cfg.BlobDir())
			}
			dsn := a.cfg.DSN()
			rep, err := backup.Restore(ctx, args[0], backup.Target{DSN: dsn, BlobDir: a.cfg.BlobDir(), Keys: a.restoreKeys()})
			if err != nil {
				return err
			}
			// The restored base is migrated and checked against its keys.
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			if err := a.checkKeys(ctx, st); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rep)
			}
			fmt.Fprintf(a.stdout, "Sauvegarde du %s restaurée dans %s.\n", sillage.FormatDateTimeSeconds(rep.Meta.At), dsn)
			fmt.Fprintf(a.stdout, "  fichiers : %d copiés, %d déjà présents\n", rep.BlobsCopied, rep.BlobsPresent)
			for _, k := range rep.KeysWritten {
				fmt.Fprintf(a.stdout, "  clé écrite : %s\n", k)
			}
			// The secrets key is kept apart from the backups on purpose:
			// the server will ask for it.
			if known, err := keyreg.Active(ctx, st, keyreg.SecretsKey); err == nil && len(known) > 0 && !ident.FileExists(a.cfg.SecretsKeyFile) {
				fmt.Fprintf(a.stdout, "  la clé de chiffrement des fichiers sensibles n'est pas dans la sauvegarde (elle est gardée à part) : copiez-la à %s avant de démarrer le serveur ; perdue, « sillage secretskey replace » en crée une nouvelle\n",
					a.cfg.SecretsKeyFile)
			}
			fmt.Fprintln(a.stdout, "Vérifiez ensuite les journaux : sillage audit verify.")
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "vérifie la sauvegarde sans rien restaurer")
	jsonFlag(cmd.Flags(), &asJSON)
	return cmd
}

// frenchDuration writes an elapsed time in words: "moins d'une seconde",
// "12 secondes", "3 minutes 5 secondes".
func frenchDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	plural := func(n int, unit string) string {
		if n > 1 {
			return fmt.Sprintf("%d %ss", n, unit)
		}
		return fmt.Sprintf("%d %s", n, unit)
	}
	switch {
	case s < 1:
		return "moins d'une seconde"
	case s < 60:
		return plural(s, "seconde")
	case s%60 == 0:
		return plural(s/60, "minute")
	}
	return plural(s/60, "minute") + " " + plural(s%60, "seconde")
}
