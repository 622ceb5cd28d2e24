package main

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// cobra and pflag word their usage errors in English; the operators of
// Sillage read French. Each known wording is rewritten; an unknown one is
// left as it is rather than lost.
var usageWordings = []struct {
	re *regexp.Regexp
	fr func(m []string) string
}{
	{regexp.MustCompile(`^required flag\(s\) (.+) not set$`), func(m []string) string {
		return "option obligatoire manquante : " + flagList(m[1])
	}},
	{regexp.MustCompile(`^unknown flag: (\S+)$`), func(m []string) string { return "option inconnue : " + m[1] }},
	{regexp.MustCompile(`^unknown shorthand flag: '(.)' in (\S+)$`), func(m []string) string { return "option inconnue : -" + m[1] }},
	{regexp.MustCompile(`^flag needs an argument: '(.)' in \S+$`), func(m []string) string { return "l'option -" + m[1] + " attend une valeur" }},
	{regexp.MustCompile(`^flag needs an argument: (\S+)$`), func(m []string) string { return "l'option " + m[1] + " attend une valeur" }},
	{regexp.MustCompile(`^invalid argument "(.*)" for "(?:-\w, )?(--[\w-]+)" flag: .*$`), func(m []string) string {
		return fmt.Sprintf("valeur %q invalide pour l'option %s", m[1], m[2])
	}},
	{regexp.MustCompile(`^accepts (\d+) arg\(s\), received (\d+)$`), func(m []string) string {
		return fmt.Sprintf("%s argument(s) attendu(s), %s reçu(s)", m[1], m[2])
	}},
	{regexp.MustCompile(`^accepts at most (\d+) arg\(s\), received (\d+)$`), func(m []string) string {
		return fmt.Sprintf("au plus %s argument(s) attendu(s), %s reçu(s)", m[1], m[2])
	}},
	{regexp.MustCompile(`^accepts between (\d+) and (\d+) arg\(s\), received (\d+)$`), func(m []string) string {
		return fmt.Sprintf("de %s à %s argument(s) attendu(s), %s reçu(s)", m[1], m[2], m[3])
	}},
	{regexp.MustCompile(`^requires at least (\d+) arg\(s\), only received (\d+)$`), func(m []string) string {
		return fmt.Sprintf("au moins %s argument(s) attendu(s), %s reçu(s)", m[1], m[2])
	}},
	{regexp.MustCompile(`^unknown command "(.*)" for "(.*?)"`), func(m []string) string {
		return fmt.Sprintf("commande inconnue « %s » pour « %s »", m[1], m[2])
	}},
}

// flagList turns `"uai", "year"` into `--uai, --year`.
func flagList(quoted string) string {
	var out []string
	for _, f := range strings.Split(quoted, ",") {
		out = append(out, "--"+strings.Trim(strings.TrimSpace(f), `"`))
	}
	return strings.Join(out, ", ")
}

// frenchUsage returns err reworded in French as a usage error when it is
// one of cobra's or pflag's, and err unchanged otherwise.
func frenchUsage(err error) error {
	var ue usageError
	inner := err
	if errors.As(err, &ue) {
		inner = ue.error
	}
	msg := strings.Join(strings.Fields(inner.Error()), " ")
	for _, w := range usageWordings {
		if m := w.re.FindStringSubmatch(msg); m != nil {
			return usageError{errors.New(w.fr(m))}
		}
	}
	return err
}

// refuseUnknownSubcommands makes every command that only groups others
// ("sillage transfer") print its help when called alone and refuse an
// argument ("sillage transfer statu"): cobra would print the help and
// succeed, and a typo in a script would go unnoticed.
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		refuseUnknownSubcommands(c)
	}
	if cmd.HasParent() && cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = cobra.NoArgs
		cmd.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	}
}

// frenchFileErrors rewrites the file system's English cause inside err's
// text ("open x: no such file or directory") in French; the rest of the
// text, ours, already is.
func frenchFileErrors(err error) string {
	msg := err.Error()
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return msg
	}
	var why string
	switch {
	case errors.Is(pe.Err, fs.ErrNotExist):
		why = "fichier ou dossier introuvable"
	case errors.Is(pe.Err, fs.ErrPermission):
		why = "accès refusé"
	case errors.Is(pe.Err, syscall.EISDIR):
		why = "c'est un dossier, pas un fichier"
	case errors.Is(pe.Err, syscall.ENOTDIR):
		why = "un élément du chemin n'est pas un dossier"
	case errors.Is(pe.Err, syscall.ENOSPC):
		why = "plus de place sur le disque"
	default:
		return msg
	}
	return strings.Replace(msg, pe.Error(), pe.Path+" : "+why, 1)
}
