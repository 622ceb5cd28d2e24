package aaf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/xmlfile"
)

// Request is one addRequest, modifyRequest or deleteRequest.
type Request struct {
	Op       Op
	Category Category
	ID       string // identifier/id: the record's join key
	// Attrs holds the attributes (add) or the replaced attributes (modify),
	// each with its values in file order. An attribute written with an
	// empty value (<value/>) or with no value at all is present with empty
	// values: see EmptyMeansClear. A deleteRequest has no attributes.
	Attrs map[string][]string
	Line  int // line of the request's start tag
}

// Has reports whether the request carries the attribute name.
func (r *Request) Has(name string) bool {
	_, ok := r.Attrs[name]
	return ok
}

// Empty reports whether the attribute name is absent or has only empty values.
func (r *Request) Empty(name string) bool {
	for _, v := range r.Attrs[name] {
		if v != "" {
			return false
		}
	}
	return true
}

// Summary describes a parsed file.
type Summary struct {
	// Header holds the key="value" pairs of the comments before the first
	// request: versionAF, versionSDET, codeAcademieExport, degre,
	// dateGenerationExport.
	Header   map[string]string
	Adds     int
	Modifies int
	Deletes  int
}

// Requests returns the number of requests read.
func (s Summary) Requests() int { return s.Adds + s.Modifies + s.Deletes }

// maxHeaderPairs bounds the header map: comments are free text, and a
// hostile file must not grow memory through them.
const maxHeaderPairs = 32

// Parse reads one ficAlimMENESR document from r, in the encoding its prolog
// declares (UTF-8 without prolog), and calls fn for each request in file
// order. The DOCTYPE's DTD is never loaded. The first error stops the parse:
// a malformed file, an unknown attribute, or an error returned by fn.
// A request passed to fn is fn's to keep.
func Parse(r io.Reader, fn func(*Request) error) (Summary, error) {
	p := &parser{fn: fn, src: &readErrReader{r: r}}
	d := xmlfile.NewDecoder(p.src)
	charset := d.CharsetReader
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		cr, err := charset(label, in)
		if err != nil {
			p.charsetErr = err
		}
		return cr, err
	}
	p.d = d
	err := p.document()
	return p.sum, err
}

// ParseOpen is Parse on the document open returns, read by the fast
// scanner of the subset of XML AAF files are written in. A document it
// does not read whole (another encoding, a DOCTYPE, any error) is opened
// again and read by Parse, fn seeing only the requests it has not seen:
// the answer is always Parse's.
func ParseOpen(open func() (io.ReadCloser, error), fn func(*Request) error) (Summary, error) {
	rc, err := open()
	if err != nil {
		return Summary{}, err
	}
	seen := 0
	var fnErr error
	p := &parser{src: &readErrReader{r: rc}, fn: func(r *Request) error {
		seen++
		fnErr = fn(r)
		return fnErr
	}}
	p.d = newScanner(p.src)
	err = p.document()
	rc.Close()
	switch {
	case err == nil:
		return p.sum, nil
	case fnErr != nil && errors.Is(err, fnErr), p.src.err != nil:
		return p.sum, err
	}
	rc, err = open()
	if err != nil {
		return Summary{}, err
	}
	defer rc.Close()
	skip := seen
	return Parse(rc, func(r *Request) error {
		if skip > 0 {
			skip--
			return nil
		}
		return fn(r)
	})
}

// tokenSource is what the parser reads: encoding/xml's Decoder, or the
// fast scanner.
type tokenSource interface {
	Token() (xml.Token, error)
	InputPos() (line, column int)
}

// ParseFile parses the AAF file at path (plain XML, or a ZIP holding one
// XML file). When the file name follows the AAF pattern, every request must
// be of the category it names, and a Complet file may hold only addRequests.
func ParseFile(path string, fn func(*Request) error) (Summary, error) {
	f, err := xmlfile.OpenFile(path, 0)
	if err != nil {
		return Summary{}, sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("fichier AAF %s illisible", path))
	}
	defer f.Close()
	name, nameErr := ParseFileName(path)
	check := fn
	if nameErr == nil {
		check = func(r *Request) error {
			if r.Category != name.Category {
				return sillage.Errorf(sillage.KindInvalid, "ligne %d : enregistrement %s dans un fichier de catégorie %s", r.Line, r.Category, name.Category)
			}
			if name.Complete && r.Op != OpAdd {
				return sillage.Errorf(sillage.KindInvalid, "ligne %d : %s dans un fichier Complet, qui ne peut contenir que des addRequest", r.Line, r.Op)
			}
			return fn(r)
		}
	}
	sum, err := Parse(f, check)
	if err != nil {
		return sum, fmt.Errorf("%s : %w", path, err)
	}
	return sum, nil
}

// readErrReader remembers the reader's own errors, to tell a failing disk
// from a malformed file.
type readErrReader struct {
	r   io.Reader
	err error
}

func (r *readErrReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

type parser struct {
	d          tokenSource
	src        *readErrReader
	fn         func(*Request) error
	sum        Summary
	charsetErr error
}

// invalid returns a domain error for bad input at line.
func invalid(line int, format string, args ...any) error {
	return sillage.Errorf(sillage.KindInvalid, "ligne %d : "+format, append([]any{line}, args...)...)
}

func (p *parser) line() int {
	l, _ := p.d.InputPos()
	return l
}

// token returns the next token, turning decoder errors into French ones.
func (p *parser) token(in string) (xml.Token, error) {
	tok, err := p.d.Token()
	if err == nil {
		return tok, nil
	}
	switch {
	case p.src.err != nil:
		return nil, fmt.Errorf("lecture du fichier AAF : %w", p.src.err)
	case p.charsetErr != nil:
		return nil, sillage.Errorf(sillage.KindInvalid, "%v", p.charsetErr)
	case errors.Is(err, io.EOF) && in != "":
		return nil, invalid(p.line(), "fin de fichier inattendue dans <%s> : fichier tronqué", in)
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	}
	return nil, sillage.Errorf(sillage.KindInvalid, "%v", xmlfile.SyntaxError(err))
}

// document reads the prolog, the root and its requests.
func (p *parser) document() error {
	for {
		tok, err := p.token("")
		if err == io.EOF {
			return sillage.Errorf(sillage.KindInvalid, "fichier vide : aucun élément <ficAlimMENESR>")
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "ficAlimMENESR" {
				return invalid(p.line(), "élément racine <%s> : un fichier AAF a pour racine <ficAlimMENESR>", t.Name.Local)
			}
			if err := p.root(); err != nil {
				return err
			}
			return p.trailer()
		case xml.CharData:
			if !blank(t) {
				return invalid(p.line(), "texte avant l'élément racine")
			}
		}
	}
}

// trailer checks that nothing but comments and blanks follow the root.
func (p *parser) trailer() error {
	for {
		tok, err := p.token("")
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return invalid(p.line(), "élément <%s> après la fin de <ficAlimMENESR>", t.Name.Local)
		case xml.CharData:
			if !blank(t) {
				return invalid(p.line(), "texte après la fin de <ficAlimMENESR>")
			}
		}
	}
}

func (p *parser) root() error {
	for {
		tok, err := p.token("ficAlimMENESR")
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			op, ok := elementOp(t.Name.Local)
			if !ok {
				return invalid(p.line(), "élément <%s> inattendu : <addRequest>, <modifyRequest> ou <deleteRequest> attendu", t.Name.Local)
			}
			req, err := p.request(t.Name.Local, op)
			if err != nil {
				return err
			}
			p.count(op)
			if err := p.fn(req); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		case xml.CharData:
			if !blank(t) {
				return invalid(p.line(), "texte inattendu dans <ficAlimMENESR>")
			}
		case xml.Comment:
			if p.sum.Requests() == 0 {
				p.header(t)
			}
		}
	}
}

func (p *parser) count(op Op) {
	switch op {
	case OpAdd:
		p.sum.Adds++
	case OpModify:
		p.sum.Modifies++
	case OpDelete:
		p.sum.Deletes++
	}
}

var headerPair = regexp.MustCompile(`([A-Za-z][A-Za-z0-9]*)\s*=\s*"([^"]*)"`)

func (p *parser) header(c xml.Comment) {
	for _, m := range headerPair.FindAllSubmatch(c, -1) {
		if p.sum.Header == nil {
			p.sum.Header = make(map[string]string)
		}
		k := string(m[1])
		if _, seen := p.sum.Header[k]; !seen && len(p.sum.Header) < maxHeaderPairs {
			p.sum.Header[k] = string(m[2])
		}
	}
}

// request reads one request element. Its children come in the DTD's order:
// operationalAttributes, identifier, then attributes (add) or
// modifications (modify); the order matters because errors about an
// attribute name the record's category and identifier.
func (p *parser) request(elem string, op Op) (*Request, error) {
	req := &Request{Op: op, Line: p.line()}
	const (
		wantCategory = iota
		wantID
		wantBody
		done
	)
	state := wantCategory
	for {
		tok, err := p.token(elem)
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch name := t.Name.Local; {
			case name == "operationalAttributes" && state == wantCategory:
				if req.Category, err = p.operational(); err != nil {
					return nil, err
				}
				state = wantID
			case name == "identifier" && state == wantID:
				if req.ID, err = p.identifier(req.Category); err != nil {
					return nil, err
				}
				state = wantBody
				if op == OpDelete {
					state = done
				}
			case name == "attributes" && op == OpAdd && state == wantBody,
				name == "modifications" && op == OpModify && state == wantBody:
				if err := p.attributes(req, name); err != nil {
					return nil, err
				}
				state = done
			default:
				return nil, invalid(p.line(), "élément <%s> inattendu dans <%s> (l'ordre attendu est operationalAttributes, identifier, %s)", name, elem, bodyOf(op))
			}
		case xml.EndElement:
			if state != done {
				return nil, invalid(p.line(), "<%s> incomplet : %s manquant", elem, missingOf(state, op))
			}
			return req, nil
		case xml.CharData:
			if !blank(t) {
				return nil, invalid(p.line(), "texte inattendu dans <%s>", elem)
			}
		}
	}
}

func bodyOf(op Op) string {
	switch op {
	case OpAdd:
		return "attributes"
	case OpModify:
		return "modifications"
	}
	return "rien d'autre"
}

func missingOf(state int, op Op) string {
	switch state {
	case 0:
		return "<operationalAttributes>"
	case 1:
		return "<identifier>"
	}
	return "<" + bodyOf(op) + ">"
}

// operational reads <operationalAttributes><attr name="categorie…"><value>…
func (p *parser) operational() (Category, error) {
	var cat Category
	for {
		tok, err := p.token("operationalAttributes")
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "attr" || cat != "" {
				return "", invalid(p.line(), "élément <%s> inattendu dans <operationalAttributes>", t.Name.Local)
			}
			name, _ := xmlfile.Attr(t, "name")
			values, err := p.values(t.Name.Local)
			if err != nil {
				return "", err
			}
			if len(values) != 1 {
				return "", invalid(p.line(), "la catégorie de l'enregistrement (%s) doit avoir une seule valeur", name)
			}
			c, ok := categoryOf(name, values[0])
			if !ok {
				return "", invalid(p.line(), "catégorie d'enregistrement inconnue : %s = %q", name, values[0])
			}
			cat = c
		case xml.EndElement:
			if cat == "" {
				return "", invalid(p.line(), "<operationalAttributes> sans catégorie")
			}
			return cat, nil
		case xml.CharData:
			if !blank(t) {
				return "", invalid(p.line(), "texte inattendu dans <operationalAttributes>")
			}
		}
	}
}

// identifier reads <identifier><id>…</id></identifier>.
func (p *parser) identifier(cat Category) (string, error) {
	id, seen := "", false
	for {
		tok, err := p.token("identifier")
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "id" || seen {
				return "", invalid(p.line(), "élément <%s> inattendu dans <identifier>", t.Name.Local)
			}
			if id, err = xmlfile.Text(p.d, t); err != nil {
				return "", p.wrapText(err)
			}
			seen = true
		case xml.EndElement:
			if id == "" {
				return "", invalid(p.line(), "enregistrement %s sans identifiant (<identifier><id> vide ou absent)", cat)
			}
			return id, nil
		case xml.CharData:
			if !blank(t) {
				return "", invalid(p.line(), "texte inattendu dans <identifier>")
			}
		}
	}
}

// attributes reads <attributes> (of attr) or <modifications> (of modification).
func (p *parser) attributes(req *Request, elem string) error {
	child := "attr"
	if elem == "modifications" {
		child = "modification"
	}
	req.Attrs = make(map[string][]string)
	for {
		tok, err := p.token(elem)
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != child {
				return invalid(p.line(), "élément <%s> inattendu dans <%s> : <%s> attendu", t.Name.Local, elem, child)
			}
			if err := p.attribute(req, t); err != nil {
				return err
			}
		case xml.EndElement:
			if len(req.Attrs) == 0 {
				return invalid(p.line(), "<%s> vide (enregistrement %s, identifiant %s) : au moins un <%s> attendu", elem, req.Category, req.ID, child)
			}
			return nil
		case xml.CharData:
			if !blank(t) {
				return invalid(p.line(), "texte inattendu dans <%s>", elem)
			}
		}
	}
}

// attribute reads one attr or modification and checks its name.
func (p *parser) attribute(req *Request, start xml.StartElement) error {
	line := p.line()
	name, _ := xmlfile.Attr(start, "name")
	if name == "" {
		return invalid(line, "<%s> sans attribut name (enregistrement %s, identifiant %s)", start.Name.Local, req.Category, req.ID)
	}
	if start.Name.Local == "modification" {
		if op, _ := xmlfile.Attr(start, "operation"); op != "replace" {
			return invalid(line, "opération %q non prise en charge pour %s (enregistrement %s, identifiant %s) : seule « replace » existe", op, name, req.Category, req.ID)
		}
	}
	if !KnownAttribute(req.Category, name) {
		return invalid(line, "attribut inconnu « %s » dans un enregistrement %s (identifiant %s) : le fichier est refusé et rien n'est importé",
			name, req.Category, req.ID)
	}
	values, err := p.values(start.Name.Local)
	if err != nil {
		return err
	}
	// A name written twice adds its values to the first occurrence.
	if prev, dup := req.Attrs[name]; dup {
		values = append(prev, values...)
	}
	req.Attrs[name] = values
	return nil
}

// values reads the <value> children of the element just started. An
// element without any value yields an empty, non-nil slice: "present and
// empty".
func (p *parser) values(elem string) ([]string, error) {
	values := []string{}
	for {
		tok, err := p.token(elem)
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "value" {
				return nil, invalid(p.line(), "élément <%s> inattendu dans <%s> : <value> attendu", t.Name.Local, elem)
			}
			v, err := xmlfile.Text(p.d, t)
			if err != nil {
				return nil, p.wrapText(err)
			}
			values = append(values, v)
		case xml.EndElement:
			return values, nil
		case xml.CharData:
			if !blank(t) {
				return nil, invalid(p.line(), "texte hors de <value> dans <%s>", elem)
			}
		}
	}
}

// wrapText turns an error of xmlfile.Text into a parse error.
func (p *parser) wrapText(err error) error {
	switch {
	case p.src.err != nil:
		return fmt.Errorf("lecture du fichier AAF : %w", p.src.err)
	case p.charsetErr != nil:
		return sillage.Errorf(sillage.KindInvalid, "%v", p.charsetErr)
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return sillage.Errorf(sillage.KindInvalid, "%v", xmlfile.SyntaxError(err))
	}
	return invalid(p.line(), "%v", err)
}

func blank(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}
