// Package xsd validates XML documents against a compiled subset of W3C XML
// Schema 1.0: the subset the official LSU schemas use (global and local
// elements, named and anonymous complex and simple types, sequence, choice
// and all groups with occurrence bounds, attributes, simple content, atomic
// restrictions with their facets, lists, xs:unique, xs:ID and xs:IDREF).
//
// Compile reads an XSD and returns a Schema: plain values, with no pointers,
// that GoSource can print as a Go literal. A program run by go generate
// therefore turns an official XSD into a committed rule table, and New
// builds a Validator from that table on an instance with no XSD on disk.
// Compile refuses every construct outside the subset, so a new schema
// version that needs more fails loudly when the table is regenerated.
package xsd

// Unbounded is the Max of a particle with maxOccurs="unbounded".
const Unbounded = -1

// Particle kinds.
const (
	Empty    = iota // no element content
	Elem            // one element declaration
	Sequence        // items in order
	Choice          // one of the items
	All             // each item at most once, in any order
)

// Schema is a compiled schema. Types refer to each other by index.
type Schema struct {
	Namespace string    // target namespace; every element is qualified with it
	Roots     []int     // global elements, indexes into Elements
	Elements  []Element // element declarations, global and local
	Complexes []Complex
	Simples   []Simple
}

// Element is an element declaration: exactly one of Complex and Simple is
// an index (the other is -1).
type Element struct {
	Name    string
	Complex int
	Simple  int
	Uniques []Unique
}

// Unique is an xs:unique constraint held by an element: among its children
// named Selector that carry every attribute of Fields, the tuples of the
// attribute values (compared in their value space) are distinct.
type Unique struct {
	Name     string
	Selector string
	Fields   []string
}

// Complex is a complex type: attributes and either element content
// (Content), simple content (Text, an index into Simples) or nothing.
type Complex struct {
	Name    string
	Attrs   []Attr
	Content Particle
	Text    int // -1 unless simple content
}

// Attr is an attribute declaration (unqualified).
type Attr struct {
	Name     string
	Simple   int
	Required bool
}

// Particle is a node of a content model.
type Particle struct {
	Kind     int
	Min, Max int        // occurrence bounds; Max may be Unbounded
	Elem     int        // Kind == Elem: index into Schema.Elements
	Items    []Particle // Sequence, Choice, All
}

// Simple is a simple type. Base is the built-in atomic type the value is
// checked against (for a list, the list's items are checked against Item);
// Facets hold every restriction step from the built-in type down, and a
// value must satisfy all of them.
type Simple struct {
	Name   string // "xs:date", "lsun:Chaine600", "" when anonymous
	Base   string // built-in local name: string, ID, IDREF, int, date…
	Item   int    // list item type, -1 when atomic
	Facets []Facet
}

// Facet is one constraining facet: Kind is the XSD facet name (pattern,
// enumeration, length, minLength, maxLength, minInclusive, maxInclusive,
// totalDigits, fractionDigits). Patterns and enumerations of one restriction
// step are one facet with several Values (any may match); the others have
// one value.
type Facet struct {
	Kind   string
	Values []string
	// Builtin marks a facet of a built-in type itself (xs:IDREFS has
	// minLength 1), which libxml2 does not enforce.
	Builtin bool
}
