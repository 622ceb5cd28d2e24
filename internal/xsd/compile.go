package xsd

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// XSNamespace is the namespace of XML Schema itself.
const XSNamespace = "http://www.w3.org/2001/XMLSchema"

// node is one element of the XSD document, with the prefixes in scope.
type node struct {
	name     string // local name in the XS namespace ("" for foreign elements)
	attrs    map[string]string
	children []*node
	prefixes map[string]string // prefix -> namespace
	line     int
}

func (n *node) errorf(format string, args ...any) error {
	return fmt.Errorf("xsd ligne %d (<xs:%s>) : %s", n.line, n.name, fmt.Sprintf(format, args...))
}

func parse(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		tok, err := dec.RawToken()
		if err != nil {
			if root != nil && len(stack) == 0 && err.Error() == "EOF" {
				return root, nil
			}
			return nil, fmt.Errorf("lecture du schéma : %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := dec.InputPos()
			n := &node{attrs: map[string]string{}, prefixes: map[string]string{}, line: line}
			if len(stack) > 0 {
				for k, v := range stack[len(stack)-1].prefixes {
					n.prefixes[k] = v
				}
			}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.prefixes[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.prefixes[""] = a.Value
				case a.Name.Space == "":
					n.attrs[a.Name.Local] = a.Value
				}
			}
			if n.prefixes[t.Name.Space] == XSNamespace {
				n.name = t.Name.Local
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("lecture du schéma : balise fermante inattendue")
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// compiler holds the state of one Compile.
type compiler struct {
	s         *Schema
	complexes map[string]*node // named complex types, by local name
	simples   map[string]*node
	cIndex    map[string]int // compiled named complex types
	sIndex    map[string]int // compiled named or built-in simple types
	inProg    map[string]bool
}

// Compile reads an XSD document and returns its compiled schema. Every
// construct outside the supported subset is an error that names it.
func Compile(data []byte) (*Schema, error) {
	root, err := parse(data)
	if err != nil {
		return nil, err
	}
	if root.name != "schema" {
		return nil, fmt.Errorf("le document n'est pas un schéma XSD (élément racine xs:schema attendu)")
	}
	if v := root.attrs["elementFormDefault"]; v != "qualified" {
		return nil, root.errorf("elementFormDefault=%q non pris en charge (qualified attendu)", v)
	}
	if v := root.attrs["attributeFormDefault"]; v != "" && v != "unqualified" {
		return nil, root.errorf("attributeFormDefault=%q non pris en charge", v)
	}
	c := &compiler{
		s:         &Schema{Namespace: root.attrs["targetNamespace"]},
		complexes: map[string]*node{}, simples: map[string]*node{},
		cIndex: map[string]int{}, sIndex: map[string]int{}, inProg: map[string]bool{},
	}
	var globals []*node
	for _, ch := range root.children {
		switch ch.name {
		case "annotation":
		case "element":
			globals = append(globals, ch)
		case "complexType":
			c.complexes[ch.attrs["name"]] = ch
		case "simpleType":
			c.simples[ch.attrs["name"]] = ch
		default:
			return nil, ch.errorf("construction non prise en charge au niveau du schéma")
		}
	}
	for _, g := range globals {
		if _, ok := g.attrs["minOccurs"]; ok {
			return nil, g.errorf("minOccurs sur un élément global")
		}
		i, err := c.element(g)
		if err != nil {
			return nil, err
		}
		c.s.Roots = append(c.s.Roots, i)
	}
	return c.s, nil
}

// qname resolves a QName attribute value: (namespace, local).
func (n *node) qname(v string) (string, string, error) {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	ns, found := n.prefixes[prefix]
	if !found && prefix != "" {
		return "", "", n.errorf("préfixe %q non déclaré", prefix)
	}
	return ns, local, nil
}

func checkAttrs(n *node, allowed ...string) error {
	for k := range n.attrs {
		ok := false
		for _, a := range allowed {
			if a == k {
				ok = true
			}
		}
		if !ok {
			return n.errorf("attribut %q non pris en charge", k)
		}
	}
	return nil
}

func (c *compiler) element(n *node) (int, error) {
	if err := checkAttrs(n, "name", "type", "minOccurs", "maxOccurs"); err != nil {
		return 0, err
	}
	name := n.attrs["name"]
	if name == "" {
		return 0, n.errorf("élément sans nom (ref non pris en charge)")
	}
	idx := len(c.s.Elements)
	c.s.Elements = append(c.s.Elements, Element{Name: name, Complex: -1, Simple: -1})
	el := Element{Name: name, Complex: -1, Simple: -1}
	typed := false
	if t, ok := n.attrs["type"]; ok {
		ns, local, err := n.qname(t)
		if err != nil {
			return 0, err
		}
		if ns == XSNamespace {
			si, err := c.builtin(n, local)
			if err != nil {
				return 0, err
			}
			el.Simple = si
		} else if ns != c.s.Namespace {
			return 0, n.errorf("type %q hors de l'espace de noms du schéma", t)
		} else if _, ok := c.complexes[local]; ok {
			ci, err := c.namedComplex(local)
			if err != nil {
				return 0, err
			}
			el.Complex = ci
		} else {
			si, err := c.namedSimple(n, local)
			if err != nil {
				return 0, err
			}
			el.Simple = si
		}
		typed = true
	}
	for _, ch := range n.children {
		switch ch.name {
		case "annotation":
		case "complexType", "simpleType":
			if typed {
				return 0, ch.errorf("type déjà donné par l'attribut type")
			}
			typed = true
			if ch.name == "complexType" {
				ci, err := c.complex(ch)
				if err != nil {
					return 0, err
				}
				el.Complex = ci
			} else {
				si, err := c.simple(ch, "")
				if err != nil {
					return 0, err
				}
				el.Simple = si
			}
		case "unique":
			u, err := c.unique(ch)
			if err != nil {
				return 0, err
			}
			el.Uniques = append(el.Uniques, u)
		default:
			return 0, ch.errorf("construction non prise en charge dans un élément")
		}
	}
	if !typed {
		return 0, n.errorf("élément %q sans type (xs:anyType non pris en charge)", name)
	}
	c.s.Elements[idx] = el
	return idx, nil
}

func (c *compiler) unique(n *node) (Unique, error) {
	u := Unique{Name: n.attrs["name"]}
	for _, ch := range n.children {
		switch ch.name {
		case "annotation":
		case "selector":
			xp := ch.attrs["xpath"]
			ns, local, err := ch.qname(xp)
			if err != nil || ns != c.s.Namespace || strings.ContainsAny(local, "/@*.|") {
				return u, ch.errorf("sélecteur %q non pris en charge (un élément enfant qualifié attendu)", xp)
			}
			u.Selector = local
		case "field":
			xp := ch.attrs["xpath"]
			a, ok := strings.CutPrefix(xp, "@")
			if !ok || a == "" || strings.ContainsAny(a, "/@*.|:") {
				return u, ch.errorf("champ %q non pris en charge (un attribut non qualifié attendu)", xp)
			}
			u.Fields = append(u.Fields, a)
		default:
			return u, ch.errorf("construction non prise en charge dans xs:unique")
		}
	}
	if u.Selector == "" || len(u.Fields) == 0 {
		return u, n.errorf("xs:unique sans sélecteur ou sans champ")
	}
	return u, nil
}

func (c *compiler) namedComplex(name string) (int, error) {
	if i, ok := c.cIndex[name]; ok {
		return i, nil
	}
	if c.inProg["c:"+name] {
		// A recursive type would need its index before it is built:
		// reserve it. The LSU schemas have none; keep it simple.
		return 0, fmt.Errorf("type complexe récursif %q non pris en charge", name)
	}
	c.inProg["c:"+name] = true
	i, err := c.complex(c.complexes[name])
	if err != nil {
		return 0, err
	}
	c.cIndex[name] = i
	return i, nil
}

func (c *compiler) complex(n *node) (int, error) {
	if err := checkAttrs(n, "name"); err != nil {
		return 0, err
	}
	ct := Complex{Name: n.attrs["name"], Text: -1}
	seen := false
	for _, ch := range n.children {
		switch ch.name {
		case "annotation":
		case "sequence", "choice", "all":
			if seen {
				return 0, ch.errorf("deuxième modèle de contenu")
			}
			seen = true
			p, err := c.particle(ch)
			if err != nil {
				return 0, err
			}
			ct.Content = p
		case "attribute":
			a, err := c.attribute(ch)
			if err != nil {
				return 0, err
			}
			ct.Attrs = append(ct.Attrs, a)
		case "simpleContent":
			if seen {
				return 0, ch.errorf("deuxième modèle de contenu")
			}
			seen = true
			if err := c.simpleContent(ch, &ct); err != nil {
				return 0, err
			}
		default:
			return 0, ch.errorf("construction non prise en charge dans un type complexe")
		}
	}
	for i, a := range ct.Attrs {
		for _, b := range ct.Attrs[:i] {
			if a.Name == b.Name {
				return 0, n.errorf("attribut %q déclaré deux fois", a.Name)
			}
		}
	}
	c.s.Complexes = append(c.s.Complexes, ct)
	return len(c.s.Complexes) - 1, nil
}

func (c *compiler) simpleContent(n *node, ct *Complex) error {
	var ext *node
	for _, ch := range n.children {
		switch ch.name {
		case "annotation":
		case "extension":
			ext = ch
		default:
			return ch.errorf("construction non prise en charge dans xs:simpleContent")
		}
	}
	if ext == nil {
		return n.errorf("xs:simpleContent sans xs:extension")
	}
	if err := checkAttrs(ext, "base"); err != nil {
		return err
	}
	si, err := c.typeRef(ext, ext.attrs["base"])
	if err != nil {
		return err
	}
	ct.Text = si
	for _, ch := range ext.children {
		switch ch.name {
		case "annotation":
		case "attribute":
			a, err := c.attribute(ch)
			if err != nil {
				return err
			}
			ct.Attrs = append(ct.Attrs, a)
		default:
			return ch.errorf("construction non prise en charge dans xs:extension")
		}
	}
	return nil
}

func (c *compiler) attribute(n *node) (Attr, error) {
	if err := checkAttrs(n, "name", "type", "use"); err != nil {
		return Attr{}, err
	}
	a := Attr{Name: n.attrs["name"], Simple: -1}
	if a.Name == "" {
		return a, n.errorf("attribut sans nom (ref non pris en charge)")
	}
	switch n.attrs["use"] {
	case "", "optional":
	case "required":
		a.Required = true
	default:
		return a, n.errorf("use=%q non pris en charge", n.attrs["use"])
	}
	if t, ok := n.attrs["type"]; ok {
		si, err := c.typeRef(n, t)
		if err != nil {
			return a, err
		}
		a.Simple = si
	}
	for _, ch := range n.children {
		switch ch.name {
		case "annotation":
		case "simpleType":
			if a.Simple >= 0 {
				return a, ch.errorf("type déjà donné par l'attribut type")
			}
			si, err := c.simple(ch, "")
			if err != nil {
				return a, err
			}
			a.Simple = si
		default:
			return a, ch.errorf("construction non prise en charge dans un attribut")
		}
	}
	if a.Simple < 0 {
		return a, n.errorf("attribut %q sans type (xs:anySimpleType non pris en charge)", a.Name)
	}
	return a, nil
}

// typeRef resolves a simple type QName (built-in or of the schema).
func (c *compiler) typeRef(n *node, qn string) (int, error) {
	ns, local, err := n.qname(qn)
	if err != nil {
		return 0, err
	}
	switch ns {
	case XSNamespace:
		return c.builtin(n, local)
	case c.s.Namespace:
		if _, ok := c.simples[local]; !ok {
			return 0, n.errorf("type simple %q introuvable", qn)
		}
		return c.namedSimple(n, local)
	}
	return 0, n.errorf("type %q hors de l'espace de noms du schéma", qn)
}

func parseOccurs(n *node) (int, int, error) {
	mn, mx := 1, 1
	if v, ok := n.attrs["minOccurs"]; ok {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, 0, n.errorf("minOccurs=%q invalide", v)
		}
		mn = i
	}
	if v, ok := n.attrs["maxOccurs"]; ok {
		if v == "unbounded" {
			mx = Unbounded
		} else {
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 {
				return 0, 0, n.errorf("maxOccurs=%q invalide", v)
			}
			mx = i
		}
	}
	if mx != Unbounded && (mx < mn || mx > 1000) {
		return 0, 0, n.errorf("bornes minOccurs/maxOccurs non prises en charge")
	}
	return mn, mx, nil
}

func (c *compiler) particle(n *node) (Particle, error) {
	mn, mx, err := parseOccurs(n)
	if err != nil {
		return Particle{}, err
	}
	p := Particle{Min: mn, Max: mx}
	switch n.name {
	case "element":
		i, err := c.element(n)
		if err != nil {
			return p, err
		}
		p.Kind, p.Elem = Elem, i
		return p, nil
	case "sequence":
		p.Kind = Sequence
	case "choice":
		p.Kind = Choice
	case "all":
		p.Kind = All
		if mn > 1 || mx != 1 {
			return p, n.errorf("bornes d'un xs:all non prises en charge")
		}
	default:
		return p, n.errorf("construction non prise en charge dans un modèle de contenu")
	}
	if err := checkAttrs(n, "minOccurs", "maxOccurs"); err != nil {
		return p, err
	}
	for _, ch := range n.children {
		if ch.name == "annotation" {
			continue
		}
		if p.Kind == All && ch.name != "element" {
			return p, ch.errorf("seuls des éléments sont permis dans un xs:all")
		}
		item, err := c.particle(ch)
		if err != nil {
			return p, err
		}
		if p.Kind == All && item.Max > 1 {
			return p, ch.errorf("maxOccurs > 1 dans un xs:all")
		}
		p.Items = append(p.Items, item)
	}
	return p, nil
}

// builtins lists the built-in types supported, with the facets they imply.
var builtins = map[string]struct {
	base   string
	list   bool
	facets []Facet
}{
	"string":             {base: "string"},
	"ID":                 {base: "ID"},
	"IDREF":              {base: "IDREF"},
	"IDREFS":             {base: "IDREF", list: true, facets: []Facet{{Kind: "minLength", Values: []string{"1"}, Builtin: true}}},
	"NCName":             {base: "NCName"},
	"boolean":            {base: "boolean"},
	"date":               {base: "date"},
	"dateTime":           {base: "dateTime"},
	"decimal":            {base: "decimal"},
	"integer":            {base: "integer"},
	"int":                {base: "int"},
	"positiveInteger":    {base: "positiveInteger"},
	"nonNegativeInteger": {base: "nonNegativeInteger"},
}

func (c *compiler) builtin(n *node, local string) (int, error) {
	if i, ok := c.sIndex["xs:"+local]; ok {
		return i, nil
	}
	b, ok := builtins[local]
	if !ok {
		return 0, n.errorf("type prédéfini xs:%s non pris en charge", local)
	}
	st := Simple{Name: "xs:" + local, Base: b.base, Item: -1, Facets: b.facets}
	if b.list {
		item, err := c.builtin(n, b.base)
		if err != nil {
			return 0, err
		}
		st.Base, st.Item = "", item
	}
	c.s.Simples = append(c.s.Simples, st)
	i := len(c.s.Simples) - 1
	c.sIndex["xs:"+local] = i
	return i, nil
}

func (c *compiler) namedSimple(n *node, name string) (int, error) {
	if i, ok := c.sIndex[name]; ok {
		return i, nil
	}
	def, ok := c.simples[name]
	if !ok {
		return 0, n.errorf("type %q introuvable", name)
	}
	if c.inProg["s:"+name] {
		return 0, n.errorf("type simple %q récursif", name)
	}
	c.inProg["s:"+name] = true
	i, err := c.simple(def, name)
	if err != nil {
		return 0, err
	}
	c.sIndex[name] = i
	return i, nil
}

var facetKinds = map[string]bool{
	"pattern": true, "enumeration": true, "length": true, "minLength": true, "maxLength": true,
	"minInclusive": true, "maxInclusive": true, "totalDigits": true, "fractionDigits": true,
}

func (c *compiler) simple(n *node, name string) (int, error) {
	if name == "" {
		name = n.attrs["name"]
	}
	var st Simple
	found := false
	for _, ch := range n.children {
		switch ch.name {
		case "annotation":
		case "restriction":
			if found {
				return 0, ch.errorf("deuxième dérivation")
			}
			found = true
			var base int
			var err error
			if b, ok := ch.attrs["base"]; ok {
				base, err = c.typeRef(ch, b)
			} else {
				var inner *node
				for _, g := range ch.children {
					if g.name == "simpleType" {
						inner = g
					}
				}
				if inner == nil {
					return 0, ch.errorf("restriction sans base")
				}
				base, err = c.simple(inner, "")
			}
			if err != nil {
				return 0, err
			}
			bt := c.s.Simples[base]
			st = Simple{Base: bt.Base, Item: bt.Item, Facets: append([]Facet(nil), bt.Facets...)}
			step := map[string]*Facet{}
			var order []string
			for _, g := range ch.children {
				switch {
				case g.name == "annotation" || g.name == "simpleType":
				case facetKinds[g.name]:
					if err := checkAttrs(g, "value"); err != nil {
						return 0, err
					}
					v, ok := g.attrs["value"]
					if !ok {
						return 0, g.errorf("facette sans valeur")
					}
					if g.name == "pattern" {
						if _, err := TranslatePattern(v); err != nil {
							return 0, g.errorf("%v", err)
						}
					}
					f := step[g.name]
					if f == nil {
						f = &Facet{Kind: g.name}
						step[g.name] = f
						order = append(order, g.name)
					} else if g.name != "pattern" && g.name != "enumeration" {
						return 0, g.errorf("facette %s répétée", g.name)
					}
					f.Values = append(f.Values, v)
				default:
					return 0, g.errorf("facette non prise en charge")
				}
			}
			for _, k := range order {
				st.Facets = append(st.Facets, *step[k])
			}
		case "list":
			if found {
				return 0, ch.errorf("deuxième dérivation")
			}
			found = true
			var item int
			var err error
			if t, ok := ch.attrs["itemType"]; ok {
				item, err = c.typeRef(ch, t)
			} else {
				for _, g := range ch.children {
					if g.name == "simpleType" {
						item, err = c.simple(g, "")
					}
				}
			}
			if err != nil {
				return 0, err
			}
			if c.s.Simples[item].Item >= 0 {
				return 0, ch.errorf("liste de listes")
			}
			st = Simple{Item: item}
		default:
			return 0, ch.errorf("dérivation non prise en charge (union ?)")
		}
	}
	if !found {
		return 0, n.errorf("type simple sans dérivation")
	}
	st.Name = name
	c.s.Simples = append(c.s.Simples, st)
	return len(c.s.Simples) - 1, nil
}
