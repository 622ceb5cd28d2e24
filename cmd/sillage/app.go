package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/config"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/store"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// app is what every command shares: the configuration, the streams, and the
// store and file store opened on demand.
type app struct {
	cfg    config.Config
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger

	st     *store.Store
	sealed int // audit chains this run sealed under the audit key
	blobs  *blob.Store
	jq     *jobs.Queue
}

// usageError marks an error of the command line itself (exit code 2).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run is the whole program, testable: arguments, environment and streams in,
// exit code out.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	a, err := newApp(getenv, stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "sillage:", oneLine(err))
		return exitUsage
	}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	refuseUnknownSubcommands(root)
	if _, _, err := root.Find(args); err != nil {
		fmt.Fprintln(stderr, "sillage:", oneLine(frenchUsage(err)))
		fmt.Fprintln(stderr, "Voir « sillage --help ».")
		return exitUsage
	}
	err = root.ExecuteContext(ctx)
	a.close()
	if err == nil {
		return exitOK
	}
	err = frenchUsage(err)
	fmt.Fprintln(stderr, "sillage:", oneLine(err))
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

// newApp reads the configuration from the environment.
func newApp(getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (*app, error) {
	a := &app{cfg: config.Default(), getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	a.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return a, a.cfg.FromEnv(getenv)
}

// oneLine keeps an error on one line of stderr, in French.
func oneLine(err error) string {
	return strings.Join(strings.Fields(frenchFileErrors(err)), " ")
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "sillage",
		Short: "Sillage : le livret de l'élève, d'un établissement à l'autre",
		Long: "Sillage conserve le livret d'apprentissage de chaque élève tout au long de sa scolarité,\n" +
			"d'un établissement à l'autre et d'une année à l'autre, selon les règles françaises des données scolaires.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.cfg.Validate()
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	a.cfg.BindFlags(root.PersistentFlags())
	root.AddCommand(
		a.serveCmd(),
		a.migrateCmd(),
		a.configCmd(),
		a.demoCmd(),
		a.establishmentCmd(),
		a.userCmd(),
		a.auditCmd(),
		a.privacyCmd(),
		a.idKeyCmd(),
	)
	for _, c := range a.extraCommands() {
		root.AddCommand(c)
	}
	// Arguments errors of every command are usage errors.
	var wrapArgs func(c *cobra.Command)
	wrapArgs = func(c *cobra.Command) {
		if c.Args != nil {
			orig := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := orig(cmd, args); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			wrapArgs(sub)
		}
	}
	wrapArgs(root)
	return root
}

// extraCommands are the commands of the capabilities (imports, transfer,
// changeover, exports), each in its own file.
func (a *app) extraCommands() []*cobra.Command {
	var out []*cobra.Command
	for _, f := range commandFactories {
		out = append(out, f(a))
	}
	return out
}

// commandFactories is filled by the files of the capability commands.
var commandFactories []func(*app) *cobra.Command

func (a *app) clock() sillage.Clock { return a.cfg.Clock() }

// open opens the store (applying migrations) once.
func (a *app) open(ctx context.Context) (*store.Store, error) {
	if a.st != nil {
		return a.st, nil
	}
	st, err := store.Open(ctx, a.cfg.DSN(), store.Options{Clock: a.clock()})
	if err != nil {
		return nil, err
	}
	// The audit key is checked against the key registry before any entry
	// is sealed with it: a lost key file is restored, never replaced.
	key, err := a.auditKey(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	st.SetAuditKey(key)
	// Chains written before the audit key existed are sealed under it from
	// their current head, by one journal entry each (once).
	sealed, err := audit.SealChains(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.sealed = sealed
	a.st = st
	return st, nil
}

// auditKey loads the key that seals the audit chains, checked against the
// key registry: created on first use for the embedded default (beside the
// INE key) while the database knows none, required otherwise.
func (a *app) auditKey(ctx context.Context, st *store.Store) (*audit.Key, error) {
	kr, err := keyreg.LoadKey(ctx, st, keyreg.AuditKey, a.cfg.AuditKeyFile, audit.KeyFileHeader, a.cfg.DefaultAuditKeyCreate)
	if err != nil {
		return nil, fmt.Errorf("clé du journal d'audit : %w", err)
	}
	return audit.NewKey(kr), nil
}

// signer loads the checkpoint signing key, like auditKey.
func (a *app) signer(ctx context.Context) (*audit.Signer, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	kr, err := keyreg.LoadKey(ctx, st, keyreg.AuditSigningKey, a.cfg.AuditSigningKeyFile, audit.SigningKeyFileHeader, a.cfg.DefaultAuditSigningKeyCreate)
	if err != nil {
		return nil, fmt.Errorf("clé de signature des points de contrôle : %w", err)
	}
	return audit.NewSigner(kr), nil
}

// files opens the blob store once.
func (a *app) files() (*blob.Store, error) {
	if a.blobs != nil {
		return a.blobs, nil
	}
	b, err := blob.Open(a.cfg.BlobDir(), a.cfg.MaxUpload)
	if err != nil {
		return nil, err
	}
	a.blobs = b
	return b, nil
}

// keyring loads the INE hashing key, checked against the versions the
// database knows (internal/keyreg): created on first use only for an empty
// instance with the embedded default, required otherwise.
func (a *app) keyring(ctx context.Context) (ident.Keyring, error) {
	st, err := a.open(ctx)
	if err != nil {
		return ident.Keyring{}, err
	}
	return keyreg.LoadIDKey(ctx, st, a.cfg.IDKeyFile, a.cfg.DefaultIDKeyCreate)
}

// checkKeys refuses to go on when the database knows key versions the key
// files lack (serve, transfer): see internal/keyreg.
func (a *app) checkKeys(ctx context.Context, st *store.Store) error {
	return keyreg.CheckIDKey(ctx, st, a.cfg.IDKeyFile)
}

// jobQueue opens the job queue once, to enqueue only (the server's
// workers run the jobs): the commands queue the jobs that follow their
// changes in the changes' own transactions.
func (a *app) jobQueue(ctx context.Context) (*jobs.Queue, error) {
	if a.jq != nil {
		return a.jq, nil
	}
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	// The queue's own news (River's migrations) would bury the command's
	// answer: only its warnings are shown.
	q, err := jobs.Open(ctx, jobs.Config{Store: st, Logger: slog.New(warnOnly{a.log.Handler()})})
	if err != nil {
		return nil, err
	}
	a.jq = q
	return q, nil
}

// warnOnly passes on the records of level warning and above.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnOnly{h.Handler.WithAttrs(attrs)}
}
func (h warnOnly) WithGroup(name string) slog.Handler { return warnOnly{h.Handler.WithGroup(name)} }

// collectTx queues the collection of unreferenced files inside a change's
// transaction (transfer.Options.AfterChangeTx).
func (a *app) collectTx(q *jobs.Queue) func(ctx context.Context, tx *store.Tx) error {
	return func(ctx context.Context, tx *store.Tx) error {
		_, err := q.EnqueueCollectTx(ctx, tx, jobs.TriggerCLI)
		return err
	}
}

func (a *app) close() {
	if a.jq != nil {
		a.jq.Close()
	}
	if a.st != nil {
		a.st.Close()
	}
	if a.blobs != nil {
		a.blobs.Close()
	}
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// nowFlag is documented on the commands that apply a time rule; the flag
// itself is global (--now).
func jsonFlag(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "json", false, "sortie JSON (pour les scripts)")
}
