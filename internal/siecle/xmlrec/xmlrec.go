// Package xmlrec reads the record-structured XML of the national
// applications (SIECLE, STS-web) on top of xmlfile's decoder: errors in
// French that carry the line and never quote character data, a check of the
// root element that names the file the user picked by mistake, leaf text
// and iteration over children. It is shared by the siecle and sts readers;
// its natural home is internal/xmlfile.
package xmlrec

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/xmlfile"
)

// Reader wraps a strict decoder (xmlfile.NewDecoder: declared encoding,
// UTF-8 without prolog).
type Reader struct {
	d *xml.Decoder
}

// New returns a Reader of the XML content r.
func New(r io.Reader) *Reader {
	return &Reader{d: xmlfile.NewDecoder(r)}
}

// Line is the line of the end of the most recently read token: for a start
// element just read, the line of its closing ">".
func (x *Reader) Line() int {
	l, _ := x.d.InputPos()
	return l
}

func (x *Reader) token() (xml.Token, error) {
	tok, err := x.d.Token()
	if err != nil {
		return nil, x.readError(err)
	}
	return tok, nil
}

// readError turns a decoder error into a French one. The decoder's own
// messages may quote the input (an entity name, say), which could be an INE:
// they are translated, never echoed.
func (x *Reader) readError(err error) error {
	if errors.Is(err, io.EOF) {
		return Invalidf("fin de fichier inattendue, ligne %d : le fichier est tronqué", x.Line())
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return Invalidf("fichier XML mal formé, ligne %d : %s", se.Line, syntaxMessage(se.Msg))
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "xml: opening charset"):
		if inner := errors.Unwrap(err); inner != nil {
			return Invalidf("encodage du fichier refusé : %s", inner.Error())
		}
		return Invalidf("l'encodage déclaré dans le prologue XML n'est pas pris en charge")
	case strings.HasPrefix(msg, "xml: unsupported version"):
		return Invalidf("version XML non prise en charge : seule la version 1.0 est acceptée")
	}
	// The content checks of xmlfile (a Latin-declared file that is not in
	// Latin) name their line themselves.
	var de *sillage.Error
	if errors.As(err, &de) && sillage.KindOf(err) == sillage.KindInvalid && strings.HasPrefix(de.Msg, "ligne ") {
		return err
	}
	// Not a property of the content (an I/O error, a ZIP limit): keep the
	// cause for errors.Is and operators.
	return fmt.Errorf("lecture du fichier, ligne %d : %w", x.Line(), err)
}

// syntaxMessage translates the messages of encoding/xml. Element names are
// kept (they come from the format); character data and entity names are not.
func syntaxMessage(msg string) string {
	var a, b string
	switch {
	case msg == "unexpected EOF":
		return "fin de fichier inattendue (fichier tronqué ?)"
	case msg == "invalid UTF-8":
		return "caractère invalide en UTF-8 : le contenu n'est pas dans l'encodage déclaré par le prologue (UTF-8 lorsqu'il n'y a pas de prologue)"
	case strings.HasPrefix(msg, "illegal character code"):
		return "caractère interdit en XML"
	case strings.HasPrefix(msg, "invalid character entity"):
		return "entité de caractère inconnue"
	case scan2(msg, "element <", "> closed by </", ">", &a, &b):
		return fmt.Sprintf("l'élément <%s> est fermé par </%s>", a, b)
	case strings.HasPrefix(msg, "unexpected end element </"):
		return fmt.Sprintf("balise fermante </%s> inattendue", strings.TrimSuffix(strings.TrimPrefix(msg, "unexpected end element </"), ">"))
	case strings.HasPrefix(msg, "invalid XML name"):
		return "nom d'élément ou d'attribut invalide"
	case strings.HasPrefix(msg, "expected element name"):
		return "nom d'élément attendu après <"
	case strings.Contains(msg, "attribute"):
		return "attribut mal écrit"
	case strings.Contains(msg, "CDATA"), strings.Contains(msg, "]]>"):
		return "section CDATA mal formée"
	case strings.Contains(msg, "comment"), strings.Contains(msg, "<!-"):
		return "commentaire mal formé"
	}
	return "syntaxe XML invalide"
}

// scan2 matches msg against prefix + a + mid + b + suffix, where a and b
// contain no '>'.
func scan2(msg, prefix, mid, suffix string, a, b *string) bool {
	rest, ok := strings.CutPrefix(msg, prefix)
	if !ok {
		return false
	}
	first, rest, ok := strings.Cut(rest, mid)
	if !ok || strings.Contains(first, ">") {
		return false
	}
	second, ok := strings.CutSuffix(rest, suffix)
	if !ok || strings.Contains(second, ">") {
		return false
	}
	*a, *b = first, second
	return true
}

// Root reads up to the root element and checks its name. want describes the
// expected file for the error message ("un export SIECLE des élèves…").
func (x *Reader) Root(name, want string) (xml.StartElement, error) {
	for {
		tok, err := x.d.Token()
		if errors.Is(err, io.EOF) {
			return xml.StartElement{}, Invalidf("le fichier est vide : %s est attendu", want)
		}
		if err != nil {
			return xml.StartElement{}, x.readError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != name {
				return t, wrongRoot(t.Name.Local, name, want)
			}
			return t, nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return xml.StartElement{}, Invalidf("ce fichier n'est pas un fichier XML (texte avant le premier élément, ligne %d) : %s est attendu", x.Line(), want)
			}
		}
	}
}

// knownRoots names the national files a user may pick by mistake.
var knownRoots = map[string]string{
	"BEE_ELEVES":        "un export SIECLE des élèves (ElevesSansAdresses.xml ou ElevesAvecAdresses.xml)",
	"BEE_RESPONSABLES":  "un export SIECLE des responsables (ResponsablesAvecAdresses.xml)",
	"BEE_NOMENCLATURES": "un export SIECLE des nomenclatures (Nomenclature.xml)",
	"BEE_STRUCTURES":    "un export SIECLE des structures (Structures.xml)",
	"STS_EDT":           "un export STS-web (sts_emp_<UAI>_<année>.xml)",
	"EDT_STS":           "un fichier d'emploi du temps destiné à STS-web (emp_sts), pas un export de STS-web",
	"ficAlimMENESR":     "un fichier de l'annuaire académique (AAF)",
	"IMPORT_ELEVES":     "un fichier d'import vers SIECLE (import du privé ou liens élèves-groupes), pas un export",
	"lsun-bilans":       "un fichier LSU (Livret Scolaire Unique)",
}

func wrongRoot(got, name, want string) error {
	if what, ok := knownRoots[got]; ok {
		return Invalidf("ce fichier est %s : %s (élément racine <%s>) est attendu", what, want, name)
	}
	return Invalidf("ce fichier n'est pas %s : l'élément racine est <%s>, <%s> est attendu", want, got, name)
}

// Children calls fn for each child element of the element whose start was
// just read, up to and including its end. fn must consume the child whole
// (text, skip or a nested children call). Text directly inside a container
// is ignored: the national files only indent there.
func (x *Reader) Children(fn func(xml.StartElement) error) error {
	for {
		tok, err := x.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// Text returns the trimmed text of the element whose start was just read.
// A leaf holding elements is a file that does not follow the format.
func (x *Reader) Text(start xml.StartElement) (string, error) {
	var s string
	var b *strings.Builder
	for {
		tok, err := x.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			// One chunk is the common case: no builder needed.
			switch {
			case b != nil:
				b.Write(t)
			case s == "":
				s = string(t)
			default:
				b = &strings.Builder{}
				b.WriteString(s)
				b.Write(t)
			}
		case xml.StartElement:
			return "", Invalidf("ligne %d : élément <%s> inattendu dans <%s>", x.Line(), t.Name.Local, start.Name.Local)
		case xml.EndElement:
			if b != nil {
				s = b.String()
			}
			return strings.TrimSpace(s), nil
		}
	}
}

// Skip consumes the rest of the element whose start was just read.
func (x *Reader) Skip() error {
	if err := x.d.Skip(); err != nil {
		return x.readError(err)
	}
	return nil
}

// End reads what follows the root element: only white space, comments and
// processing instructions may.
func (x *Reader) End() error {
	for {
		tok, err := x.d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return x.readError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return Invalidf("ligne %d : élément <%s> après la fin de l'élément racine", x.Line(), t.Name.Local)
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return Invalidf("ligne %d : texte après la fin de l'élément racine", x.Line())
			}
		}
	}
}

// Invalidf returns an error of kind sillage.KindInvalid: the input is wrong.
func Invalidf(format string, args ...any) error {
	return sillage.Errorf(sillage.KindInvalid, format, args...)
}

// TextInto reads the text of el into dst.
func TextInto[T ~string](x *Reader, el xml.StartElement, dst *T) error {
	s, err := x.Text(el)
	*dst = T(s)
	return err
}

// Attr returns the trimmed value of an attribute, "" when absent.
func Attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}
