package xsd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func typesValidator(t *testing.T) *Validator {
	t.Helper()
	data, err := os.ReadFile("testdata/types.xsd")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(data)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	v, err := New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// haveXmllint reports whether xmllint can be run; SILLAGE_REQUIRE_XMLLINT=1
// makes its absence a failure.
func haveXmllint(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("SILLAGE_REQUIRE_XMLLINT") == "1" {
			t.Fatal("xmllint not found but SILLAGE_REQUIRE_XMLLINT=1")
		}
		return false
	}
	return true
}

var attrEsc = strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;")

type docCase struct {
	name    string
	body    string // inside <doc>
	valid   bool   // for xmllint as for the rules
	lenient bool   // the rules refuse it, xmllint accepts it (see Finding)
	msg     string // part of the rules' first message, when refused
}

// attrCases: one attribute value each, on a <v> after two elements that
// carry the IDs "a" and "b".
var attrCases = []struct {
	attr, value string
	valid       bool
}{
	{"string", "", true}, {"string", "  x \t", true},
	{"id", "c", true}, {"id", "a", false}, {"id", "1a", false}, {"id", " c ", true}, {"id", "é_x-1.2", true}, {"id", "a:b", false},
	{"ref", "a", true}, {"ref", " b ", true}, {"ref", "", false}, {"ref", "a b", false},
	{"refs", "a b", true}, {"refs", "  a\tb  ", true}, {"refs", "a 1", false},
	{"refs2", "a b", true}, {"refs2", "a", false}, {"refs2", "a a", true},
	{"bool", "true", true}, {"bool", "0", true}, {"bool", " 1 ", true}, {"bool", "True", false}, {"bool", "yes", false},
	{"date", "2025-09-01", true}, {"date", " 2025-09-01 ", false}, {"date", "2025-09-01 ", false}, {"dateTime", " 2025-09-01T10:20:30", false}, {"date", "2024-02-29", true}, {"date", "2025-02-29", false},
	{"date", "2025-13-01", false}, {"date", "2025-04-31", false}, {"date", "2025-9-01", false}, {"date", "2025-09-01Z", true},
	{"date", "2025-09-01+02:00", true}, {"date", "2025-09-01+15:00", false}, {"date", "0000-01-01", false}, {"date", "-0044-03-15", true},
	{"date", "12025-01-01", true}, {"date", "02025-01-01", false}, {"date", "2025-09-01T00:00:00", false}, {"date", "1900-02-29", false}, {"date", "2000-02-29", true},
	{"dateTime", "2025-09-01T10:20:30", true}, {"dateTime", "2025-09-01T10:20:30.5Z", true}, {"dateTime", "2025-09-01T24:00:00", true},
	{"dateTime", "2025-09-01T24:00:01", false}, {"dateTime", "2025-09-01T24:00:00.0", true}, {"dateTime", "2025-09-01T24:00:00.1", false}, {"dateTime", "2025-09-01T10:60:00", false}, {"dateTime", "2025-09-01", false}, {"dateTime", "2025-09-01T10:20", false},
	{"int", "0", true}, {"int", "-2147483648", true}, {"int", "2147483647", true}, {"int", "2147483648", false}, {"int", "+7", true}, {"int", " 7 ", true},
	{"int", "7.0", false}, {"int", "", false}, {"int", "1 2", false},
	{"pos", "1", true}, {"pos", "0", false}, {"pos", "-0", false}, {"pos", "+01", true}, {"pos", "99999999999999999999999", true},
	{"int", "-0", true}, {"int", "00000000002147483647", true}, {"int", "-2147483649", false}, {"pos", "00", false},
	{"mark", "20.000", true}, {"mark", "-0", true}, {"mark", "0020.00", true}, {"mark", "19.999999999999999999", false}, {"mark", "20.0000000000000000001", false},
	{"mark", "-0.01", false}, {"mark", "123.4", false},
	{"nonneg", "0", true}, {"nonneg", "-0", true}, {"nonneg", "-1", false},
	{"mark", "0", true}, {"mark", "20", true}, {"mark", "20.00", true}, {"mark", "20.01", false}, {"mark", "-0.00", true}, {"mark", "15.5", true},
	{"mark", "15.555", false}, {"mark", "15.500", true}, {"mark", ".5", true}, {"mark", "5.", true}, {"mark", "1e1", false}, {"mark", "015.25", true},
	{"level", "1", true}, {"level", "4", true}, {"level", "5", false}, {"level", "01", false}, {"level", " 2 ", true}, {"level", "+2", false},
	{"code", "AB", true}, {"code", "ab", false}, {"code", " AB", false}, {"code", "", false},
	{"text", "x", true}, {"text", "12345", true}, {"text", "123456", false}, {"text", "", false}, {"text", "   ", false}, {"text", "ééééé", true}, {"text", "😀😀😀😀😀", true},
	{"uai", "0861234Z", true}, {"uai", "0861234", false}, {"uai", "0861234ZZ", false},
	{"stamp", "2025-09-01", true}, {"stamp", "2025-09-01T10:00:00", true}, {"stamp", "2025-09-012025-09-01", true}, {"stamp", "2025-09-01T10:00", false},
	{"stamp", "٢٠٢٥-09-01", true}, {"stamp", "2025-09-01 ", false},
	{"digit", "1", true}, {"digit", "01", true}, {"digit", "3", false},
	{"extra", "1", false},
}

var contentCases = []docCase{
	{name: "empty doc", body: "", valid: true},
	{name: "sequence minimal", body: "<seq><a>x</a><f/><f/></seq>", valid: true},
	{name: "sequence full", body: "<seq><a>x</a><b>x</b><c>x</c><d>x</d><e>x</e><e>x</e><d>x</d><e>x</e><f/><f/><f/></seq>", valid: true},
	{name: "choice thrice", body: "<seq><a>x</a><b>x</b><c>x</c><b>x</b><f/><f/></seq>", msg: "« b » inattendu"},
	{name: "f once", body: "<seq><a>x</a><f/></seq>", msg: "incomplet"},
	{name: "f four times", body: "<seq><a>x</a><f/><f/><f/><f/></seq>", msg: "« f » inattendu"},
	{name: "d without e", body: "<seq><a>x</a><d>x</d><f/><f/></seq>", msg: "« f » inattendu"},
	{name: "a missing", body: "<seq><f/><f/></seq>", msg: "« f » inattendu"},
	{name: "order", body: "<seq><a>x</a><e>x</e><b>x</b><f/><f/></seq>", msg: "« b » inattendu"},
	{name: "blank in empty content", body: "<seq><a>x</a><f> </f><f/></seq>", msg: "doit être vide"},
	{name: "comment in empty content", body: "<seq><a>x</a><f><!-- c --></f><f/></seq>", valid: true},
	{name: "text in element content", body: "<seq>oops<a>x</a><f/><f/></seq>", msg: "texte inattendu"},
	{name: "blanks in element content", body: "<seq>\n  <a>x</a>\n  <f/><f/>\n</seq>", valid: true},
	{name: "child in simple content", body: "<text><a>x</a></text>", msg: "ne contient que du texte"},
	{name: "simple content split by a comment", body: "<text>ab<!-- c -->cd</text>", valid: true},
	{name: "simple content CDATA", body: "<text><![CDATA[a<b]]></text>", valid: true},
	{name: "simple content too long", body: "<text>abcdef</text>", msg: "au plus 5"},
	{name: "simple content blank", body: "<text> \n </text>", msg: "vide"},
	{name: "all any order", body: "<all><y>x</y><x>x</x></all>", valid: true},
	{name: "all required missing", body: "<all><y>x</y></all>", msg: "« x » absent"},
	{name: "all repeated", body: "<all><x>x</x><x>x</x></all>", msg: "répété"},
	{name: "unknown element", body: "<zz/>", msg: "« zz » inattendu"},
	{name: "element of another namespace", body: `<seq xmlns="urn:other"><a>x</a><f/><f/></seq>`, msg: "hors de l'espace de noms"},
	{name: "qualified attribute", body: `<v xmlns:o="urn:other" o:int="1"/>`, msg: "non autorisé"},
	{name: "xsi:schemaLocation", body: `<v xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:test types.xsd"/>`, valid: true},
	{name: "unique", body: `<v int="1" code="AB"/><v int="01" code="AB"/>`, msg: "en double"},
	{name: "unique other code", body: `<v int="1" code="AB"/><v int="1" code="CD"/>`, valid: true},
	{name: "unique field missing", body: `<v int="1"/><v int="1"/>`, valid: true},
	{name: "dangling IDREF", body: `<v ref="nowhere"/>`, lenient: true, msg: "« nowhere » ne désigne aucun"},
	{name: "dangling IDREFS item", body: `<v id="a" refs="a nowhere"/>`, lenient: true, msg: "« nowhere » ne désigne aucun"},
	{name: "empty IDREFS", body: `<v refs=" "/>`, lenient: true, msg: "au moins 1"},
}

func (c docCase) doc() []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<doc xmlns="urn:test">` + c.body + "</doc>\n")
}

func allCases() []docCase {
	cases := append([]docCase(nil), contentCases...)
	for _, a := range attrCases {
		cases = append(cases, docCase{
			name:  fmt.Sprintf("@%s=%q", a.attr, a.value),
			body:  `<v id="a"/><v id="b"/><v ` + a.attr + `="` + attrEsc.Replace(a.value) + `"/>`,
			valid: a.valid,
		})
	}
	return cases
}

// TestValidate: each case's verdict by the rules, and by xmllint on the
// same schema and documents when it is installed (one invocation for all).
func TestValidate(t *testing.T) {
	v := typesValidator(t)
	cases := allCases()
	for _, c := range cases {
		err := v.Validate(bytes.NewReader(c.doc()))
		var xe *Error
		switch {
		case c.valid && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case !c.valid && err == nil:
			t.Errorf("%s: accepted", c.name)
		case err != nil && !errors.As(err, &xe):
			t.Errorf("%s: error %T %v", c.name, err, err)
		case err != nil:
			if c.lenient != (xe.Structural == 0) {
				t.Errorf("%s: lenient=%v, findings %+v", c.name, c.lenient, xe.Findings)
			}
			if c.msg != "" && !strings.Contains(xe.Findings[0].Msg, c.msg) {
				t.Errorf("%s: first message %q, want it to hold %q", c.name, xe.Findings[0].Msg, c.msg)
			}
		}
	}
	if !haveXmllint(t) {
		return
	}
	dir := t.TempDir()
	var files []string
	for i, c := range cases {
		p := filepath.Join(dir, fmt.Sprintf("case%03d.xml", i))
		if err := os.WriteFile(p, c.doc(), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	out, _ := exec.Command("xmllint", append([]string{"--noout", "--nonet", "--schema", "testdata/types.xsd"}, files...)...).CombinedOutput()
	for i, c := range cases {
		accepted := bytes.Contains(out, []byte(files[i]+" validates"))
		if accepted != (c.valid || c.lenient) {
			t.Errorf("%s: xmllint accepts=%v, the table says valid=%v lenient=%v", c.name, accepted, c.valid, c.lenient)
		}
	}
}

func TestTranslatePattern(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		in      string
		match   bool
	}{
		{`(.|\n)*[^\s](.|\n)*`, "a", true},
		{`(.|\n)*[^\s](.|\n)*`, " \n\t\r", false},
		{`(.|\n)*[^\s](.|\n)*`, "\u00a0", true}, // no-break space is not \s
		{`(.|\n)*[^\s](.|\n)*`, "\f", true},     // \s is exactly [ \t\n\r]
		{`.`, "\r", false},
		{`.`, "\n", false},
		{`[1-4]`, "4", true},
		{`[1-4]`, "44", false}, // implicitly anchored
		{`2`, "12", false},
		{`\d{2}`, "٢٣", true}, // \d is any Nd digit
		{`^a$`, "^a$", true},  // ^ and $ are ordinary characters
		{`^a$`, "a", false},
		{`a{2,}`, "aaa", true},
		{`[a\-z]`, "-", true},
		{`[a\-z]`, "b", false},
		{`[-a]`, "-", true},
		{`\i\c*`, "_x1", true},
		{`\i\c*`, "1x", false},
		{`\p{Lu}+`, "ÉA", true},
		{`\P{Lu}`, "a", true},
		{`a|b`, "b", true},
		{`(ab)+`, "abab", true},
	} {
		g, err := TranslatePattern(tt.pattern)
		if err != nil {
			t.Errorf("TranslatePattern(%q): %v", tt.pattern, err)
			continue
		}
		if got := regexp.MustCompile(g).MatchString(tt.in); got != tt.match {
			t.Errorf("%q (as %q) on %q = %v, want %v", tt.pattern, g, tt.in, got, tt.match)
		}
	}
	for _, bad := range []string{`[a-z-[aeiou]]`, `\p{IsBasicLatin}`, `(a`, `a)`, `a{x}`, `\q`, `[a`, `\`} {
		if g, err := TranslatePattern(bad); err == nil {
			t.Errorf("TranslatePattern(%q) = %q, want an error", bad, g)
		}
	}
}

// TestFastPattern: the fast form of (.|\n)*[…](.|\n)* gives the regular
// expression's verdict.
func TestFastPattern(t *testing.T) {
	for _, p := range []string{`(.|\n)*[^\s](.|\n)*`, `(.|\n)*[a-c](.|\n)*`} {
		fast, err := compilePattern(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := fast.(containsMatcher); !ok {
			t.Fatalf("%q has no fast form", p)
		}
		g, _ := TranslatePattern(p)
		slow := regexp.MustCompile(g)
		for _, s := range []string{"", " ", "a", " \n\t", "x\r", "\r", "  b  ", "\u00a0", "é", "line\nline", strings.Repeat(" ", 300) + "c", "c\r\n", "😀", "\xff", " \xff ", "\x7f", "~"} {
			if fast.MatchString(s) != slow.MatchString(s) {
				t.Errorf("%q on %q: fast %v, regexp %v", p, s, fast.MatchString(s), slow.MatchString(s))
			}
		}
	}
	for _, p := range []string{`[1-4]`, `[^\s]`, `[a-c\-]`} {
		fast, _ := compilePattern(p)
		if _, ok := fast.(runeMatcher); !ok {
			t.Fatalf("%q has no fast form", p)
		}
		g, _ := TranslatePattern(p)
		slow := regexp.MustCompile(g)
		for _, s := range []string{"", "1", "4", "5", "44", " ", "-", "b", "é", "😀", "\n", "\xff", "\xe2\x82", "\x7f", "~", "\t"} {
			if fast.MatchString(s) != slow.MatchString(s) {
				t.Errorf("%q on %q: fast %v, regexp %v", p, s, fast.MatchString(s), slow.MatchString(s))
			}
		}
	}
	if m, _ := compilePattern(`(.|\n)*[^\s]+(.|\n)*`); m == nil {
		t.Fatal("no matcher")
	} else if _, ok := m.(containsMatcher); ok {
		t.Error("a quantified class took the fast form")
	}
}

// TestCompileRefuses: constructs outside the subset are errors that name
// them, never silently ignored.
func TestCompileRefuses(t *testing.T) {
	head := `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">`
	for _, tt := range []struct{ name, body, want string }{
		{"include", `<xs:include schemaLocation="x.xsd"/>`, "non prise en charge"},
		{"group", `<xs:group name="g"><xs:sequence/></xs:group>`, "non prise en charge"},
		{"element ref", `<xs:element name="r"><xs:complexType><xs:sequence><xs:element ref="t:r"/></xs:sequence></xs:complexType></xs:element>`, "ref"},
		{"any", `<xs:element name="r"><xs:complexType><xs:sequence><xs:any/></xs:sequence></xs:complexType></xs:element>`, "non prise en charge"},
		{"union", `<xs:simpleType name="u"><xs:union memberTypes="xs:int xs:date"/></xs:simpleType><xs:element name="r" type="t:u"/>`, "union"},
		{"default", `<xs:element name="r"><xs:complexType><xs:attribute name="a" type="xs:string" default="x"/></xs:complexType></xs:element>`, "default"},
		{"key", `<xs:element name="r" type="xs:string"><xs:key name="k"><xs:selector xpath="."/><xs:field xpath="@a"/></xs:key></xs:element>`, "non prise en charge"},
		{"xpath", `<xs:element name="r" type="xs:string"><xs:unique name="k"><xs:selector xpath=".//t:x"/><xs:field xpath="@a"/></xs:unique></xs:element>`, "sélecteur"},
		{"builtin", `<xs:element name="r" type="xs:duration"/>`, "xs:duration"},
		{"facet", `<xs:simpleType name="w"><xs:restriction base="xs:string"><xs:whiteSpace value="collapse"/></xs:restriction></xs:simpleType><xs:element name="r" type="t:w"/>`, "facette"},
		{"anyType", `<xs:element name="r"/>`, "anyType"},
		{"complexContent", `<xs:element name="r"><xs:complexType><xs:complexContent><xs:extension base="t:x"/></xs:complexContent></xs:complexType></xs:element>`, "non prise en charge"},
		{"pattern", `<xs:simpleType name="p"><xs:restriction base="xs:string"><xs:pattern value="[a-[b]]"/></xs:restriction></xs:simpleType><xs:element name="r" type="t:p"/>`, "soustraction"},
	} {
		_, err := Compile([]byte(head + tt.body + `</xs:schema>`))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
	if _, err := Compile([]byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t"/>`)); err == nil {
		t.Error("unqualified elements accepted")
	}
}

// TestWellFormedness: what the XML parser refuses is a finding, with its line.
func TestWellFormedness(t *testing.T) {
	v := typesValidator(t)
	for _, tt := range []struct{ name, doc, want string }{
		{"unclosed", `<doc xmlns="urn:test"><v>`, "mal formé"},
		{"mismatched", `<doc xmlns="urn:test"></v>`, "mal formé"},
		{"two roots", `<doc xmlns="urn:test"/><doc xmlns="urn:test"/>`, "second élément racine"},
		{"wrong root", `<v xmlns="urn:test"/>`, "élément racine « v » inattendu"},
		{"no namespace", `<doc/>`, "élément racine « doc » inattendu"},
		{"empty", ``, "document vide"},
		{"doctype", `<!DOCTYPE doc><doc xmlns="urn:test"/>`, "<!DOCTYPE>"},
		{"duplicate attribute", `<doc xmlns="urn:test"><v int="1" int="2"/></doc>`, "répété"},
		{"text after root", `<doc xmlns="urn:test"/>x`, "hors de l'élément racine"},
	} {
		err := v.Validate(strings.NewReader(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestScannerAgreesWithDecoder: the fast scanner and encoding/xml give the
// same findings on every case, and the scanner does read the plain ones.
func TestScannerAgreesWithDecoder(t *testing.T) {
	v := typesValidator(t)
	docs := map[string][]byte{}
	for _, c := range allCases() {
		docs[c.name] = c.doc()
	}
	for name, body := range map[string]string{
		"entities":          `<v string="a&lt;b&amp;c&quot;&apos;&gt;" text="&#65;&#x42;"/>`,
		"prefixed root":     `<t:v xmlns:t="urn:test" text="x"/>`,
		"comment and cdata": `<!-- a --><text><![CDATA[ab]]><!-- b -->c</text>`,
		"single quotes":     `<v text='x"y'/>`,
		"blank before end":  `<v text="x" ></v >`,
		"bad ref":           `<v text="&nbsp;"/>`,
		"lt in attribute":   `<v text="a<b"/>`,
		"cr":                "<v text=\"a\r\nb\"/>",
		"pi":                `<?pi x?><v/>`,
		"xml lang":          `<v xml:lang="fr"/>`,
		"unbound prefix":    `<p:v/>`,
		"utf8":              "<v text=\"\xff\"/>",
		"mismatched":        `<v></text>`,
		"double dash":       `<!-- a -- b --><v/>`,
	} {
		docs[name] = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<doc xmlns="urn:test">` + body + "</doc>\n")
	}
	docs["no declaration"] = []byte(`<doc xmlns="urn:test"><v/></doc>`)
	docs["latin1"] = []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><doc xmlns="urn:test"/>`)
	fast := 0
	for name, doc := range docs {
		r := &run{v: v, ids: map[string]bool{}}
		if (&scanner{data: doc}).scan(r) == nil {
			fast++
		}
		a, b := v.Validate(bytes.NewReader(doc)), v.validateDecoder(doc)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: scanner %v, decoder %v", name, a, b)
		}
	}
	if fast < len(docs)*3/4 {
		t.Errorf("the scanner read only %d of %d documents", fast, len(docs))
	}
}

// FuzzScanner: on any bytes, the fast scanner (with its fallback) and
// encoding/xml give the same findings.
func FuzzScanner(f *testing.F) {
	for _, c := range allCases() {
		f.Add(c.doc())
	}
	f.Add([]byte(`<?xml version="1.0"?><doc xmlns="urn:test"><v text="&#x41;&amp;"/><!-- c --><text><![CDATA[x]]></text></doc>`))
	v, err := func() (*Validator, error) {
		data, err := os.ReadFile("testdata/types.xsd")
		if err != nil {
			return nil, err
		}
		s, err := Compile(data)
		if err != nil {
			return nil, err
		}
		return New(s)
	}()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		a, b := v.Validate(bytes.NewReader(doc)), v.validateDecoder(doc)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("scanner %v, decoder %v", a, b)
		}
	})
}

// The fast paths of lexical agree with the regular expressions they skip.
func TestLexicalFastPaths(t *testing.T) {
	for _, s := range []string{"", "a", "_x", "EL_1", "PER_2025_1_3", "DI_020700_S", "1a", "-a", ".a", "a-b.c", "é", "a b", "a:b", "Z9"} {
		if asciiNCName(s) && !ncName.MatchString(s) {
			t.Errorf("asciiNCName(%q) accepts what ncName refuses", s)
		}
	}
	for _, s := range []string{"", "0", "12", "12.50", ".5", "5.", "1.2.3", "+1", "-1", "1e3", "0012"} {
		if asciiNumber(s, false) && !intLex.MatchString(s) {
			t.Errorf("asciiNumber(%q, int) accepts what intLex refuses", s)
		}
		if asciiNumber(s, true) && !decLex.MatchString(s) {
			t.Errorf("asciiNumber(%q, decimal) accepts what decLex refuses", s)
		}
	}
	if !asciiNCName("EL_1") || !asciiNumber("15.50", true) || asciiNumber("15.50", false) {
		t.Error("the fast paths refuse the common case")
	}
}

// TestDecimalCanon: the canonical form of a decimal, whether the text is
// kept as it is (already canonical) or rebuilt.
func TestDecimalCanon(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "12": "12", "12.5": "12.5", "12.50": "12.5", "012.5": "12.5", "+3": "3", "-3": "-3", "-0": "0", "-0.0": "0",
		"0.25": "0.25", ".25": "0.25", "5.": "5", "5.0": "5", "20.00": "20", "100": "100", "10.05": "10.05", "00": "0",
	} {
		if got := parseDecimal(in).canon; got != want {
			t.Errorf("parseDecimal(%q).canon = %q, want %q", in, got, want)
		}
	}
}

// TestCollapse: whiteSpace="collapse", with the text kept as it is when
// it is collapsed already.
func TestCollapse(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "a": "a", "a b": "a b", " a": "a", "a ": "a", "a  b": "a b", "a\tb": "a b", "a\nb": "a b", "a\rb": "a b",
		" \n ": "", "T1 T2 T3": "T1 T2 T3", "é  à": "é à", "\u00a0a": "\u00a0a",
	} {
		if got := collapse(in); got != want {
			t.Errorf("collapse(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestScanChars: the '&' and ']' scanChars reports for text.
func TestScanChars(t *testing.T) {
	for _, tc := range []struct {
		in           string
		amp, bracket bool
	}{
		{"", false, false}, {"a &amp; b", true, false}, {"x]]>y", false, true}, {"é & ]", true, true}, {"plain é", false, false},
	} {
		amp, bracket, err := scanChars([]byte(tc.in))
		if err != nil || amp != tc.amp || bracket != tc.bracket {
			t.Errorf("scanChars(%q) = %v, %v, %v; want %v, %v, nil", tc.in, amp, bracket, err, tc.amp, tc.bracket)
		}
	}
}

// checkChars refuses what XML 1.0 does not allow, in one pass.
func TestCheckChars(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", true}, {"abc\tdef\nghi", true}, {"élève « x »", true}, {"\uFFFD", true},
		{"a\x01b", false}, {"a\rb", false}, {"a\xef\xbf\xbeb", false}, {"\xef\xbf\xbf", false}, {"a\xffb", false}, {"\xef\xbf", false},
	} {
		if err := checkChars([]byte(tc.in)); (err == nil) != tc.ok {
			t.Errorf("checkChars(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}
