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
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/config"
	"github.com/sillage/sillage/internal/jobs"
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
	blobs  blob.Store
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
	root.AddCommand(a.commands()...)
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

func (a *app) clock() sillage.Clock { return a.cfg.Clock() }

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
