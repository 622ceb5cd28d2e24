package lsu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/lsu/lsurules"
	"github.com/sillage/sillage/internal/xsd"
)

// ValidationError holds the validator's messages about a file that does
// not conform to the LSU schema, one finding a line ("ligne 12 : …").
type ValidationError struct {
	Messages []string
}

func (e *ValidationError) Error() string {
	return strings.Join(e.Messages, " ; ")
}

// maxMessages bounds what a validation error carries: a systematic mistake
// repeats on every student, and the first ones tell the story.
const maxMessages = 20

// Validate checks xmlPath against the XSD xsdPath with xmllint (Debian
// package libxml2-utils), streaming, without network access. It returns nil
// when the file is valid, a *ValidationError (inside a domain error) with
// the validator's messages when it is not, and a KindUnavailable error when
// xmllint is missing.
func Validate(ctx context.Context, xsdPath, xmlPath string) error {
	return validate(ctx, xsdPath, xmlPath, nil, nil)
}

// validate runs xmllint on xmlPath ("-" reads stdin). secrets are removed
// from the messages: the INEs of a 1st-degree file must not reach an error.
func validate(ctx context.Context, xsdPath, xmlPath string, stdin io.Reader, secrets []string) error {
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err,
			"le validateur xmllint est introuvable : installez le paquet libxml2-utils (apt-get install libxml2-utils) pour valider les fichiers LSU")
	}
	cmd := exec.CommandContext(ctx, bin, "--noout", "--nonet", "--stream", "--schema", xsdPath, xmlPath)
	cmd.Stdin = stdin
	out := &capped{max: 256 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("validation du fichier LSU interrompue : %w", ctx.Err())
	}
	if runErr == nil {
		return nil
	}
	var exit *exec.ExitError
	if !errors.As(runErr, &exit) {
		return fmt.Errorf("exécution de xmllint : %w", runErr)
	}
	verr := &ValidationError{Messages: messages(out.Bytes(), xmlPath, xsdPath, secrets)}
	switch exit.ExitCode() {
	case 5:
		return sillage.Wrap(sillage.KindUnavailable, verr, "le schéma LSU "+filepath.Base(xsdPath)+" est illisible ou introuvable")
	case 1:
		return sillage.Wrap(sillage.KindInvalid, verr, "le fichier LSU n'est pas un document XML bien formé")
	default:
		return sillage.Wrap(sillage.KindInvalid, verr, "le fichier LSU n'est pas conforme au schéma "+filepath.Base(filepath.Dir(xsdPath)))
	}
}

// token11 matches the 11-character words of a message, among which an INE
// quoted by the validator would be: those ident recognises are masked.
var token11 = regexp.MustCompile(`\b[0-9A-Za-z]{11}\b`)

// messages turns xmllint's output into short French-prefixed lines: the
// temporary file name becomes "ligne N", the namespace is dropped, INEs are
// masked.
func messages(out []byte, xmlPath, xsdPath string, secrets []string) []string {
	var msgs []string
	total := 0
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == xmlPath+" validates" || line == xmlPath+" fails to validate" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, xmlPath+":"); ok {
			if n, after, ok := strings.Cut(rest, ":"); ok {
				if _, err := strconv.Atoi(n); err == nil {
					line = "ligne " + n + " :" + after
				}
			}
		}
		line = mask(strings.ReplaceAll(line, "{"+Namespace+"}", ""), secrets)
		total++
		if len(msgs) < maxMessages {
			msgs = append(msgs, line)
		}
	}
	if total > maxMessages {
		msgs = append(msgs, fmt.Sprintf("… et %d autres messages", total-maxMessages))
	}
	if len(msgs) == 0 {
		msgs = []string{"xmllint a échoué sans message (schéma " + filepath.Base(xsdPath) + ")"}
	}
	return msgs
}

// mask hides the INEs in a message: the given ones, and any 11-character
// word that is a valid INE.
func mask(line string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			line = strings.ReplaceAll(line, s, "[INE masqué]")
		}
	}
	return token11.ReplaceAllStringFunc(line, func(tok string) string {
		if _, err := ident.CheckINE(tok); err == nil {
			return "[INE masqué]"
		}
		return tok
	})
}

// capped keeps the first max bytes written to it and drops the rest.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capped) Bytes() []byte { return c.buf.Bytes() }

// Export collects, generates and validates an export, and writes the file
// to out only when it is valid: the file is checked (references, then the
// built-in rules of the target version, then, when xsdDir is set, xmllint
// against the official XSD found under it, see SchemaFile), written to a
// temporary file in out's directory and renamed into place. An invalid file is removed and never offered; the error says
// why. The report is returned in every case.
func Export(ctx context.Context, in *Input, xsdDir, out string) (*Report, error) {
	plan, rep := Collect(in)
	if plan == nil {
		reason := "voir le rapport"
		for _, l := range rep.Lines {
			if l.Kind == Blocking && l.Student == "" {
				reason = l.Message
				break
			}
		}
		return rep, sillage.Errorf(sillage.KindInvalid, "aucun fichier LSU généré : %s", reason)
	}
	if err := ExportPlan(ctx, plan, xsdDir, out); err != nil {
		return rep, err
	}
	return rep, nil
}

// ExportPlan writes one plan (for example a part returned by Split) to out
// under the same rules as Export: generated, checked against the built-in
// rules of the target version (always), validated with xmllint against the
// official XSD when xsdDir is set, then renamed into place.
func ExportPlan(ctx context.Context, p *Plan, xsdDir, out string) (err error) {
	xsd := ""
	if xsdDir != "" {
		if xsd, err = SchemaFile(xsdDir, p.Target.Degree, p.Target.Version); err != nil {
			return err
		}
	}
	var ines []string
	for _, s := range p.Students {
		ines = append(ines, s.INE.Value())
	}
	// Generate checks identifiers and references as it writes; the
	// built-in rules then read the file back as LSU will.
	var buf bytes.Buffer
	buf.Grow(16<<10 + 6<<10*len(p.Periodic) + 4<<10*len(p.Cycles)) // about what a report takes (12 subjects, 5 KiB)
	if err := Generate(&buf, p); err != nil {
		return err
	}
	if err := validateRules(p.Target, buf.Bytes(), ines); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return fmt.Errorf("création du fichier LSU : %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("écriture du fichier LSU : %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("écriture du fichier LSU : %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("écriture du fichier LSU : %w", err)
	}
	if xsd != "" {
		if err := validate(ctx, xsd, tmp, nil, ines); err != nil {
			if sillage.KindOf(err) == sillage.KindInvalid {
				return sillage.Wrap(sillage.KindInternal, err, "le fichier LSU généré a été refusé par le validateur ; il n'est pas proposé")
			}
			return err
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("mise en place du fichier LSU : %w", err)
	}
	return nil
}

// ValidateRules checks an LSU file against the built-in rules of a target
// version (derived from its official XSD, see package lsurules). It returns
// nil, or a KindInvalid error around a *ValidationError.
func ValidateRules(t Target, data []byte) error {
	sp, err := resolve(t)
	if err != nil {
		return err
	}
	v, err := lsurules.Validator(string(sp.degree) + "/" + sp.version)
	if err != nil {
		return sillage.Wrap(sillage.KindInternal, err, "règles LSU intégrées indisponibles")
	}
	if err := v.ValidateBytes(data); err != nil {
		var xe *xsd.Error
		if !errors.As(err, &xe) {
			return err
		}
		return sillage.Wrap(sillage.KindInvalid, &ValidationError{Messages: findingMessages(xe)},
			"le fichier LSU n'est pas conforme au schéma "+sp.version+" ("+sp.degree.label()+")")
	}
	return nil
}

// validateRules is ValidateRules on a generated file: a refusal is a bug,
// the file is not offered, and the INEs of a 1st-degree file are masked.
func validateRules(t Target, data []byte, ines []string) error {
	err := ValidateRules(t, data)
	if err == nil {
		return nil
	}
	var verr *ValidationError
	if errors.As(err, &verr) {
		for i, m := range verr.Messages {
			verr.Messages[i] = mask(m, ines)
		}
		return sillage.Wrap(sillage.KindInternal, verr, "le fichier LSU généré a été refusé par les règles du schéma ; il n'est pas proposé")
	}
	return err
}

func findingMessages(e *xsd.Error) []string {
	var msgs []string
	for _, f := range e.Findings {
		if len(msgs) == maxMessages {
			break
		}
		msgs = append(msgs, strings.ReplaceAll(f.String(), "{"+Namespace+"}", ""))
	}
	if n := e.Structural + e.Lenient - len(msgs); n > 0 {
		msgs = append(msgs, fmt.Sprintf("… et %d autres messages", n))
	}
	return msgs
}
