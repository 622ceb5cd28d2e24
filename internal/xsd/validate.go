package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// XSINamespace is the namespace of xsi:schemaLocation.
const XSINamespace = "http://www.w3.org/2001/XMLSchema-instance"

// Validator checks documents against one compiled schema. It is immutable
// and safe for concurrent use.
type Validator struct {
	s       *Schema
	nfas    []*nfa        // per complex type with a sequence or choice content
	regexps [][][]matcher // per simple type, per pattern facet, the alternatives
	bounds  [][]bound     // per simple type, per facet: the parsed numeric bound
	enums   [][][]value   // per simple type, per facet: the enumeration values
}

// New prepares a validator for a compiled schema (see Compile and
// GoSource).
func New(s *Schema) (*Validator, error) {
	v := &Validator{s: s,
		nfas:    make([]*nfa, len(s.Complexes)),
		regexps: make([][][]matcher, len(s.Simples)),
		bounds:  make([][]bound, len(s.Simples)),
		enums:   make([][][]value, len(s.Simples)),
	}
	for i, ct := range s.Complexes {
		if k := ct.Content.Kind; k == Sequence || k == Choice || k == Elem {
			v.nfas[i] = buildNFA(ct.Content)
		}
	}
	for i, st := range s.Simples {
		v.regexps[i] = make([][]matcher, len(st.Facets))
		v.bounds[i] = make([]bound, len(st.Facets))
		v.enums[i] = make([][]value, len(st.Facets))
		base := st.Base
		for j, f := range st.Facets {
			switch f.Kind {
			case "pattern":
				for _, p := range f.Values {
					m, err := compilePattern(p)
					if err != nil {
						return nil, err
					}
					v.regexps[i][j] = append(v.regexps[i][j], m)
				}
			case "enumeration":
				for _, e := range f.Values {
					if st.Item >= 0 {
						v.enums[i][j] = append(v.enums[i][j], value{family: "list", canon: collapse(e)})
						continue
					}
					val, err := lexical(base, normalize(base, e))
					if err != nil {
						return nil, fmt.Errorf("type %s : énumération %q : %v", st.Name, e, err)
					}
					v.enums[i][j] = append(v.enums[i][j], val)
				}
			case "minInclusive", "maxInclusive", "length", "minLength", "maxLength", "totalDigits", "fractionDigits":
				if len(f.Values) != 1 {
					return nil, fmt.Errorf("type %s : facette %s sans valeur unique", st.Name, f.Kind)
				}
				n, ok := new(big.Rat).SetString(f.Values[0])
				if !ok {
					return nil, fmt.Errorf("type %s : facette %s=%q invalide", st.Name, f.Kind, f.Values[0])
				}
				if (f.Kind == "minInclusive" || f.Kind == "maxInclusive") && lexicalFamily(base) != "decimal" {
					return nil, fmt.Errorf("type %s : facette %s non prise en charge pour xs:%s", st.Name, f.Kind, base)
				}
				v.bounds[i][j] = bound{rat: n, n: int(n.Num().Int64())}
				if f.Kind == "minInclusive" || f.Kind == "maxInclusive" {
					if !decLex.MatchString(f.Values[0]) {
						return nil, fmt.Errorf("type %s : facette %s=%q invalide", st.Name, f.Kind, f.Values[0])
					}
					v.bounds[i][j].dec = parseDecimal(f.Values[0])
					v.bounds[i][j].f, _ = strconv.ParseFloat(v.bounds[i][j].dec.canon, 64)
				} else if !n.IsInt() || n.Sign() < 0 {
					return nil, fmt.Errorf("type %s : facette %s=%q invalide", st.Name, f.Kind, f.Values[0])
				}
			default:
				return nil, fmt.Errorf("type %s : facette %s non prise en charge", st.Name, f.Kind)
			}
		}
	}
	return v, nil
}

func lexicalFamily(base string) string {
	switch base {
	case "decimal", "integer", "int", "positiveInteger", "nonNegativeInteger":
		return "decimal"
	}
	return base
}

// bound is the value of a numeric facet.
type bound struct {
	rat *big.Rat
	n   int // rat as an int, for the length and digits facets
	dec decimal
	f   float64 // dec as a float, for decimal.cmp
}

// normalize applies the whiteSpace facet of a built-in type: xs:string
// preserves, every other supported type collapses — but xs:date and
// xs:dateTime, which libxml2 parses as they are (a blank around a date is
// an error for xmllint; the stricter reading is kept).
func normalize(base, s string) string {
	switch base {
	case "string", "date", "dateTime":
		return s
	}
	return collapse(s)
}

// Finding is one reason a document is invalid. Lenient marks the rules of
// XML Schema that libxml2's xmllint does not enforce: an xs:IDREF that names
// no xs:ID of the document, an empty xs:IDREFS.
type Finding struct {
	Line    int
	Msg     string
	Lenient bool
}

func (f Finding) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("ligne %d : %s", f.Line, f.Msg)
	}
	return f.Msg
}

// Error is returned by Validate for an invalid document. It keeps the first
// MaxFindings findings and counts all of them.
type Error struct {
	Findings   []Finding
	Structural int // findings xmllint makes too
	Lenient    int // findings xmllint does not make (see Finding)
}

// MaxFindings bounds the findings an Error keeps.
const MaxFindings = 50

func (e *Error) Error() string {
	var b strings.Builder
	for i, f := range e.Findings {
		if i > 0 {
			b.WriteString(" ; ")
		}
		b.WriteString(f.String())
	}
	if n := e.Structural + e.Lenient - len(e.Findings); n > 0 {
		fmt.Fprintf(&b, " ; … et %d autres", n)
	}
	return b.String()
}

// frame is an open element. Frames are reused once their element is
// closed (run.free): a document opens tens of thousands of elements, and
// their buffers are kept from one to the next.
type frame struct {
	el     *Element
	ct     *Complex
	nfa    *nfa
	states []int
	// owned says states is this frame's buffer (not the automaton's
	// shared start set), so it can take the next step's states in turn.
	owned bool
	spare []int
	seen  []bool // xs:all: items seen
	// The text content: direct when it came in one piece straight from the
	// document, else gathered in text (multi).
	direct  string
	text    []byte
	multi   bool
	pieces  int
	failed  bool // content already reported: no more content findings
	line    int
	uniques []map[string]bool
	name    string
}

// content returns the text content of the frame.
func (f *frame) content() string {
	if !f.multi {
		return f.direct
	}
	return string(f.text)
}

// addText adds a piece of text content; direct is the same text as a
// substring of the document, or "" when it is not one.
func (f *frame) addText(t []byte, direct string) {
	if f.pieces == 0 && direct != "" {
		f.direct, f.pieces = direct, 1
		return
	}
	if !f.multi {
		f.text = append(f.text[:0], f.direct...)
		f.multi = true
	}
	f.text = append(f.text, t...)
	f.pieces++
}

type run struct {
	v        *Validator
	err      *Error
	ids      map[string]bool
	refs     []ref
	stack    []*frame
	free     []*frame // closed frames, reused
	skip     int
	rootDone bool
	vals     []namedValue // reused by attrs
	key      []byte       // reused by unique
}

type ref struct {
	id   string
	line int
}

func (r *run) add(line int, lenient bool, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{}
	}
	if lenient {
		r.err.Lenient++
	} else {
		r.err.Structural++
	}
	if len(r.err.Findings) < MaxFindings {
		r.err.Findings = append(r.err.Findings, Finding{Line: line, Msg: fmt.Sprintf(format, args...), Lenient: lenient})
	}
}

// lenientError is a value error that libxml2 does not report.
type lenientError struct{ error }

// Validate reads a whole document and checks it against the schema: well
// formedness (encoding/xml, strict), the root element, element order and
// cardinality, attributes, simple values and their facets, xs:unique,
// xs:ID uniqueness and xs:IDREF resolution. It returns nil or an *Error.
func (v *Validator) Validate(rd io.Reader) error {
	data, err := io.ReadAll(rd)
	if err != nil {
		return fmt.Errorf("lecture du document : %w", err)
	}
	return v.ValidateBytes(data)
}

// ValidateBytes is Validate on a document already in memory (not copied,
// not changed).
func (v *Validator) ValidateBytes(data []byte) error {
	r := &run{v: v, ids: map[string]bool{}}
	if (&scanner{data: data}).scan(r) == nil {
		return r.finish()
	}
	return v.validateDecoder(data)
}

// validateDecoder reads the document with encoding/xml (strict): the path
// of whatever the fast scanner leaves, malformed documents included.
func (v *Validator) validateDecoder(data []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	r := &run{v: v, ids: map[string]bool{}}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		line, _ := dec.InputPos()
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
			}
			r.add(line, false, "document XML mal formé : %v", err)
			return r.err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			r.start(t, line)
		case xml.EndElement:
			r.end(line)
		case xml.CharData:
			r.chars(t, "", line)
		case xml.Directive:
			r.add(line, false, "déclaration <!%s> non acceptée", firstWord(string(t)))
		}
	}
	return r.finish()
}

func (r *run) finish() error {
	if !r.rootDone {
		r.add(0, false, "document vide : l'élément racine manque")
	}
	for _, rf := range r.refs {
		if !r.ids[rf.id] {
			r.add(rf.line, true, "la référence « %s » ne désigne aucun identifiant du fichier", rf.id)
		}
	}
	if r.err != nil {
		return r.err
	}
	return nil
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

func (r *run) start(t xml.StartElement, line int) {
	if r.skip > 0 {
		r.skip++
		return
	}
	s := r.v.s
	var decl int
	if len(r.stack) == 0 {
		if r.rootDone {
			r.add(line, false, "second élément racine « %s »", t.Name.Local)
			r.skip = 1
			return
		}
		r.rootDone = true
		decl = -1
		for _, i := range s.Roots {
			if s.Elements[i].Name == t.Name.Local && t.Name.Space == s.Namespace {
				decl = i
			}
		}
		if decl < 0 {
			r.add(line, false, "élément racine « %s » inattendu (attendu : « %s » dans l'espace de noms %s)", t.Name.Local, s.Elements[s.Roots[0]].Name, s.Namespace)
			r.skip = 1
			return
		}
	} else {
		p := r.stack[len(r.stack)-1]
		if p.failed {
			r.skip = 1
			return
		}
		decl = r.child(p, t, line)
		if decl < 0 {
			p.failed = true
			r.skip = 1
			return
		}
	}
	el := &s.Elements[decl]
	f := r.frame()
	f.el, f.line, f.name = el, line, el.Name
	if el.Complex >= 0 {
		f.ct = &s.Complexes[el.Complex]
		if n := r.v.nfas[el.Complex]; n != nil {
			f.nfa = n
			f.states = n.start
		} else if f.ct.Content.Kind == All {
			f.seen = make([]bool, len(f.ct.Content.Items))
		}
	}
	if len(el.Uniques) > 0 {
		f.uniques = make([]map[string]bool, len(el.Uniques))
		for i := range f.uniques {
			f.uniques[i] = map[string]bool{}
		}
	}
	vals := r.attrs(f, t, line)
	if len(r.stack) > 0 {
		r.unique(r.stack[len(r.stack)-1], el.Name, vals, line)
	}
	r.stack = append(r.stack, f)
}

// frame returns a cleared frame, a closed one when there is one.
func (r *run) frame() *frame {
	n := len(r.free)
	if n == 0 {
		return &frame{}
	}
	f := r.free[n-1]
	r.free = r.free[:n-1]
	spare := f.spare
	if spare == nil && f.owned {
		spare = f.states
	}
	*f = frame{spare: spare[:0], text: f.text[:0]}
	return f
}

// release hands a closed frame back for reuse.
func (r *run) release(f *frame) {
	r.free = append(r.free, f)
}

// child finds the declaration of a child element in its parent's content
// model and advances it; -1 (with a finding) when it is not allowed there.
func (r *run) child(p *frame, t xml.StartElement, line int) int {
	s := r.v.s
	name := t.Name.Local
	if t.Name.Space != s.Namespace {
		r.add(line, false, "élément « %s » hors de l'espace de noms %s", name, s.Namespace)
		return -1
	}
	switch {
	case p.ct == nil || p.ct.Text >= 0:
		r.add(line, false, "élément « %s » inattendu : « %s » ne contient que du texte", name, p.name)
		return -1
	case p.nfa != nil:
		next, decl := p.nfa.step(s, p.states, name, p.spare[:0])
		if decl < 0 {
			p.spare = next[:0]
			r.add(line, false, "élément « %s » inattendu dans « %s »%s", name, p.name, expected(p.nfa.expect(s, p.states)))
			return -1
		}
		// The states just left become the buffer of the next step, unless
		// they are the automaton's own start set.
		if p.owned {
			p.spare = p.states[:0]
		} else {
			p.spare = nil
		}
		p.states, p.owned = next, true
		return decl
	case p.seen != nil:
		for i, it := range p.ct.Content.Items {
			if s.Elements[it.Elem].Name == name {
				if p.seen[i] {
					r.add(line, false, "élément « %s » répété dans « %s »", name, p.name)
					return -1
				}
				p.seen[i] = true
				return it.Elem
			}
		}
	}
	r.add(line, false, "élément « %s » inattendu dans « %s »", name, p.name)
	return -1
}

func expected(names []string) string {
	if len(names) == 0 {
		return " (aucun élément attendu ici)"
	}
	return " (attendu : " + strings.Join(names, ", ") + ")"
}

// attrs checks the attributes of an element and returns the values of the
// valid declared ones, for xs:unique.
func (r *run) attrs(f *frame, t xml.StartElement, line int) []namedValue {
	var decls []Attr
	if f.ct != nil {
		decls = f.ct.Attrs
	}
	vals := r.vals[:0]
	for k, a := range t.Attr {
		if slices.ContainsFunc(t.Attr[:k], func(b xml.Attr) bool { return b.Name == a.Name }) {
			r.add(line, false, "attribut « %s » répété sur « %s »", a.Name.Local, f.name)
			continue
		}
		switch {
		case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
			continue
		case a.Name.Space == XSINamespace && (a.Name.Local == "schemaLocation" || a.Name.Local == "noNamespaceSchemaLocation"):
			continue
		case a.Name.Space != "":
			r.add(line, false, "attribut « %s:%s » non autorisé sur « %s »", a.Name.Space, a.Name.Local, f.name)
			continue
		}
		i := slices.IndexFunc(decls, func(d Attr) bool { return d.Name == a.Name.Local })
		if i < 0 {
			r.add(line, false, "attribut « %s » non autorisé sur « %s »", a.Name.Local, f.name)
			continue
		}
		// Attribute-value normalisation: a literal tab or line break is a
		// space (encoding/xml leaves them; a character reference cannot be
		// told apart, and is normalised too).
		raw := a.Value
		if strings.ContainsAny(raw, "\t\n\r") {
			raw = strings.Map(func(c rune) rune {
				if c == '\t' || c == '\n' || c == '\r' {
					return ' '
				}
				return c
			}, raw)
		}
		val, err := r.simple(decls[i].Simple, raw, line)
		if err != nil {
			var le lenientError
			r.add(line, errors.As(err, &le), "attribut « %s » de « %s » : %v", a.Name.Local, f.name, err)
			continue
		}
		vals = append(vals, namedValue{a.Name.Local, val})
	}
	for _, d := range decls {
		if d.Required && !slices.ContainsFunc(t.Attr, func(a xml.Attr) bool { return a.Name.Space == "" && a.Name.Local == d.Name }) {
			r.add(line, false, "attribut obligatoire « %s » absent de « %s »", d.Name, f.name)
		}
	}
	r.vals = vals
	return vals
}

// namedValue is the value of an attribute.
type namedValue struct {
	name string
	val  value
}

// unique checks the xs:unique constraints of p that select a child named
// name, with the child's attribute values.
func (r *run) unique(p *frame, name string, vals []namedValue, line int) {
	for i, u := range p.el.Uniques {
		if u.Selector != name {
			continue
		}
		key := r.key[:0]
		complete := true
		for _, fld := range u.Fields {
			i := slices.IndexFunc(vals, func(nv namedValue) bool { return nv.name == fld })
			if i < 0 {
				complete = false
				break
			}
			v := vals[i].val
			key = append(key, v.family...)
			key = append(key, 0)
			key = append(key, v.canon...)
			key = append(key, 1)
		}
		r.key = key
		if !complete {
			continue
		}
		// Looked up without a new string; one is made only to be kept.
		if p.uniques[i][string(key)] {
			var shown []string
			for _, fld := range u.Fields {
				shown = append(shown, fld+"="+vals[slices.IndexFunc(vals, func(nv namedValue) bool { return nv.name == fld })].val.canon)
			}
			r.add(line, false, "« %s » en double dans « %s » (%s ; contrainte d'unicité %s)", name, p.name, strings.Join(shown, ", "), u.Name)
			continue
		}
		p.uniques[i][string(key)] = true
	}
}

// chars is character data; direct is the same text as a substring of the
// document, or "" when it is not one (a reference was replaced).
func (r *run) chars(t []byte, direct string, line int) {
	if r.skip > 0 {
		return
	}
	if len(r.stack) == 0 {
		if !blank(t) {
			r.add(line, false, "texte hors de l'élément racine")
		}
		return
	}
	f := r.stack[len(r.stack)-1]
	if f.el.Simple >= 0 || (f.ct != nil && f.ct.Text >= 0) {
		f.addText(t, direct)
		return
	}
	if f.ct != nil && f.ct.Content.Kind == Empty {
		// An empty content type allows no character at all, not even
		// blanks (cvc-complex-type.2.1).
		if len(t) > 0 && !f.failed {
			r.add(line, false, "« %s » doit être vide", f.name)
			f.failed = true
		}
		return
	}
	if !blank(t) && !f.failed {
		r.add(line, false, "texte inattendu dans « %s », qui ne contient que des éléments", f.name)
		f.failed = true
	}
}

// blank reports whether t holds only XML blanks (see isBlank).
func blank(t []byte) bool {
	for _, c := range t {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func (r *run) end(line int) {
	if r.skip > 0 {
		r.skip--
		return
	}
	if len(r.stack) == 0 {
		return
	}
	f := r.stack[len(r.stack)-1]
	r.stack = r.stack[:len(r.stack)-1]
	defer r.release(f)
	s := r.v.s
	switch {
	case f.el.Simple >= 0 || (f.ct != nil && f.ct.Text >= 0):
		si := f.el.Simple
		if si < 0 {
			si = f.ct.Text
		}
		if _, err := r.simple(si, f.content(), f.line); err != nil {
			var le lenientError
			r.add(f.line, errors.As(err, &le), "contenu de « %s » : %v", f.name, err)
		}
	case f.failed:
	case f.nfa != nil:
		if !f.nfa.accepts(f.states) {
			r.add(line, false, "« %s » incomplet%s", f.name, expected(f.nfa.expect(s, f.states)))
		}
	case f.seen != nil:
		for i, it := range f.ct.Content.Items {
			if it.Min > 0 && !f.seen[i] {
				r.add(line, false, "élément obligatoire « %s » absent de « %s »", s.Elements[it.Elem].Name, f.name)
			}
		}
	}
}

// simple checks a value against simple type si, registers xs:ID values and
// records xs:IDREF ones.
func (r *run) simple(si int, raw string, line int) (value, error) {
	v := r.v
	st := &v.s.Simples[si]
	var val value
	var norm string
	if st.Item >= 0 {
		norm = collapse(raw)
		// The items of the collapsed text are separated by one space. The
		// list's canonical form is the text itself unless an item's
		// canonical form differs from the item.
		var canon []string
		items := 0
		for rest := norm; rest != ""; items++ {
			it, after, _ := strings.Cut(rest, " ")
			rest = after
			iv, err := r.simple(st.Item, it, line)
			if err != nil {
				return value{}, err
			}
			if canon == nil && iv.canon != it {
				canon = strings.SplitN(norm, " ", items+1)[:items] // the items before
			}
			if canon != nil {
				canon = append(canon, iv.canon)
			}
		}
		val = value{family: "list", canon: norm}
		if canon != nil {
			val.canon = strings.Join(canon, " ")
		}
		for j, f := range st.Facets {
			if err := v.facet(si, j, f, val, norm, items); err != nil {
				return value{}, err
			}
		}
		return val, nil
	}
	norm = normalize(st.Base, raw)
	val, err := lexical(st.Base, norm)
	if err != nil {
		return value{}, err
	}
	for j, f := range st.Facets {
		if err := v.facet(si, j, f, val, norm, -1); err != nil {
			return value{}, err
		}
	}
	switch st.Base {
	case "ID":
		if r.ids[val.canon] {
			return value{}, fmt.Errorf("l'identifiant « %s » est déjà utilisé dans le fichier", val.canon)
		}
		r.ids[val.canon] = true
	case "IDREF":
		// A reference to an identifier already read is resolved; the
		// others are checked once the whole document is read.
		if !r.ids[val.canon] {
			r.refs = append(r.refs, ref{id: val.canon, line: line})
		}
	}
	return val, nil
}

// facet checks one facet. length is the number of items of a list, -1
// for an atomic value, whose characters are counted only when the bytes do
// not settle the length facets alone (a character is 1 to 4 bytes).
func (v *Validator) facet(si, j int, f Facet, val value, norm string, length int) error {
	st := &v.s.Simples[si]
	what := st.Name
	if what == "" {
		what = "la valeur"
	}
	switch f.Kind {
	case "pattern":
		for _, re := range v.regexps[si][j] {
			if re.MatchString(norm) {
				return nil
			}
		}
		if strings.TrimFunc(norm, isBlank) == "" {
			return fmt.Errorf("texte vide ou fait seulement d'espaces (%s)", what)
		}
		return fmt.Errorf("« %s » ne respecte pas le format de %s", clip(norm), what)
	case "enumeration":
		for _, e := range v.enums[si][j] {
			if e.family == val.family && e.canon == val.canon {
				return nil
			}
		}
		return fmt.Errorf("« %s » n'est pas une valeur permise pour %s (%s)", clip(norm), what, strings.Join(f.Values, ", "))
	}
	b := v.bounds[si][j]
	n := b.n
	if length < 0 {
		switch {
		case f.Kind == "maxLength" && len(norm) <= n,
			f.Kind == "minLength" && (len(norm)+utf8.UTFMax-1)/utf8.UTFMax >= n:
			return nil
		case f.Kind == "length", f.Kind == "minLength", f.Kind == "maxLength":
			length = runeLen(norm)
		}
	}
	switch f.Kind {
	case "length":
		if length != n {
			return fmt.Errorf("« %s » doit compter exactement %d caractères (%s)", clip(norm), n, what)
		}
	case "minLength":
		if length < n {
			if st.Item >= 0 {
				err := fmt.Errorf("au moins %d valeur(s) attendue(s) dans la liste (%s)", n, what)
				if f.Builtin {
					return lenientError{err}
				}
				return err
			}
			return fmt.Errorf("« %s » compte moins de %d caractères (%s)", clip(norm), n, what)
		}
	case "maxLength":
		if length > n {
			return fmt.Errorf("texte de %d caractères, au plus %d permis (%s)", length, n, what)
		}
	case "minInclusive":
		if val.dec.cmp(b) < 0 {
			return fmt.Errorf("« %s » est inférieur au minimum %s (%s)", norm, f.Values[0], what)
		}
	case "maxInclusive":
		if val.dec.cmp(b) > 0 {
			return fmt.Errorf("« %s » est supérieur au maximum %s (%s)", norm, f.Values[0], what)
		}
	case "totalDigits", "fractionDigits":
		if val.family != "decimal" {
			return fmt.Errorf("facette %s sur une valeur non numérique", f.Kind)
		}
		total, frac := val.dec.digits()
		if (f.Kind == "totalDigits" && total > n) || (f.Kind == "fractionDigits" && frac > n) {
			return fmt.Errorf("« %s » a trop de chiffres (%s : %d)", norm, f.Kind, n)
		}
	}
	return nil
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if runeLen(s) <= 60 {
		return s
	}
	return string([]rune(s)[:57]) + "…"
}
