package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// errFallback stops the fast scanner: the document holds something it does
// not handle (or is not well-formed), and encoding/xml reads it instead.
var errFallback = errors.New("xsd: fast scanner fallback")

// The fast scanner reads the documents Sillage writes — UTF-8, ASCII names,
// the five predefined entities and character references, comments, CDATA —
// several times faster than encoding/xml, and hands the same events to the
// rules. It only ever accepts: on anything else (a DOCTYPE, a processing
// instruction, a \r, a non-ASCII name, a well-formedness error…) it gives
// up and the whole document is read again by encoding/xml, whose findings
// are reported.
type scanner struct {
	data     []byte
	src      string // data as a string: values are substrings of it
	pos      int
	line     int
	counted  int // data[:counted] has been counted into line
	ns       []nsBinding
	marks    []int    // per open element: len(ns) before its declarations
	open     []string // raw names of the open elements
	attrs    []xml.Attr
	buf      []byte
	names    map[string]string
	rootDone bool
}

type nsBinding struct{ prefix, uri string }

var xmlDecl = regexp.MustCompile(`^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*("1\.0"|'1\.0')([ \t\n]+encoding[ \t\n]*=[ \t\n]*("(?i:utf-8)"|'(?i:utf-8)'))?([ \t\n]+standalone[ \t\n]*=[ \t\n]*("(yes|no)"|'(yes|no)'))?[ \t\n]*\?>`)

func (s *scanner) lineAt() int {
	s.line += bytes.Count(s.data[s.counted:s.pos], []byte{'\n'})
	s.counted = s.pos
	return s.line
}

// scan feeds r with the document's events; errFallback when it cannot.
func (s *scanner) scan(r *run) error {
	s.line, s.names = 1, map[string]string{}
	// One string copy of the document: every value without a reference
	// is a substring of it, with no allocation of its own.
	s.src = string(s.data)
	if m := xmlDecl.Find(s.data); m != nil {
		s.pos = len(m)
	} else if bytes.HasPrefix(s.data, []byte("<?")) || bytes.HasPrefix(s.data, []byte("\xef\xbb\xbf")) {
		return errFallback
	}
	for s.pos < len(s.data) {
		lt := bytes.IndexByte(s.data[s.pos:], '<')
		if lt < 0 {
			lt = len(s.data) - s.pos
		}
		if lt > 0 {
			text, direct, err := s.text(s.pos, s.pos+lt, false)
			if err != nil {
				return err
			}
			if len(s.open) == 0 && len(bytes.Trim(text, " \t\n")) > 0 {
				return errFallback
			}
			s.pos += lt
			r.chars(text, direct, s.lineAt())
			continue
		}
		rest := s.data[s.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 || bytes.Contains(rest[4:4+end], []byte("--")) || checkChars(rest[4:4+end]) != nil {
				return errFallback
			}
			s.pos += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end < 0 || len(s.open) == 0 || checkChars(rest[9:9+end]) != nil {
				return errFallback
			}
			start := s.pos + 9
			s.pos += 9 + end + 3
			r.chars(rest[9:9+end], s.src[start:start+end], s.lineAt())
		case bytes.HasPrefix(rest, []byte("</")):
			if err := s.endTag(r); err != nil {
				return err
			}
		case len(rest) > 1 && (rest[1] == '!' || rest[1] == '?'):
			return errFallback
		default:
			if err := s.startTag(r); err != nil {
				return err
			}
		}
	}
	if len(s.open) > 0 || !s.rootDone {
		return errFallback
	}
	return nil
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case c >= '0' && c <= '9', c == '-', c == '.':
		return !first
	}
	return false
}

// name reads an ASCII name with at most one ':' (prefix, local).
func (s *scanner) name() (string, string, error) {
	start := s.pos
	colon := -1
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c == ':' && colon < 0 && s.pos > start {
			colon = s.pos
		} else if !isNameByte(c, s.pos == start || s.pos == colon+1) {
			break
		}
		s.pos++
	}
	if s.pos == start || colon == s.pos-1 || (s.pos < len(s.data) && s.data[s.pos] >= 0x80) {
		return "", "", errFallback
	}
	if colon < 0 {
		return "", s.intern(s.data[start:s.pos]), nil
	}
	return s.intern(s.data[start:colon]), s.intern(s.data[colon+1 : s.pos]), nil
}

func (s *scanner) intern(b []byte) string {
	if v, ok := s.names[string(b)]; ok {
		return v
	}
	v := string(b)
	s.names[v] = v
	return v
}

func (s *scanner) blanks() int {
	n := 0
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n':
			s.pos++
			n++
			continue
		}
		break
	}
	return n
}

func (s *scanner) resolve(prefix string) (string, bool) {
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == prefix {
			return s.ns[i].uri, true
		}
	}
	return "", prefix == ""
}

func (s *scanner) startTag(r *run) error {
	if s.rootDone && len(s.open) == 0 {
		return errFallback
	}
	s.pos++ // <
	prefix, local, err := s.name()
	if err != nil {
		return err
	}
	raw := local
	if prefix != "" {
		raw = prefix + ":" + local
	}
	s.marks = append(s.marks, len(s.ns))
	s.attrs = s.attrs[:0]
	empty := false
	for {
		n := s.blanks()
		if s.pos >= len(s.data) {
			return errFallback
		}
		if c := s.data[s.pos]; c == '>' || c == '/' {
			if c == '/' {
				if s.pos+1 >= len(s.data) || s.data[s.pos+1] != '>' {
					return errFallback
				}
				s.pos++
				empty = true
			}
			s.pos++
			break
		}
		if n == 0 {
			return errFallback
		}
		ap, al, err := s.name()
		if err != nil {
			return err
		}
		s.blanks()
		if s.pos >= len(s.data) || s.data[s.pos] != '=' {
			return errFallback
		}
		s.pos++
		s.blanks()
		if s.pos >= len(s.data) || (s.data[s.pos] != '"' && s.data[s.pos] != '\'') {
			return errFallback
		}
		q := s.data[s.pos]
		end := bytes.IndexByte(s.data[s.pos+1:], q)
		if end < 0 {
			return errFallback
		}
		if bytes.IndexByte(s.data[s.pos+1:s.pos+1+end], '<') >= 0 {
			return errFallback
		}
		val, value, err := s.text(s.pos+1, s.pos+1+end, true)
		if err != nil {
			return err
		}
		s.pos += end + 2
		if value == "" {
			value = string(val)
		}
		switch {
		case ap == "" && al == "xmlns":
			s.ns = append(s.ns, nsBinding{"", value})
			s.attrs = append(s.attrs, xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: value})
		case ap == "xmlns":
			if value == "" || al == "xml" || al == "xmlns" {
				return errFallback
			}
			s.ns = append(s.ns, nsBinding{al, value})
			s.attrs = append(s.attrs, xml.Attr{Name: xml.Name{Space: "xmlns", Local: al}, Value: value})
		default:
			s.attrs = append(s.attrs, xml.Attr{Name: xml.Name{Space: ap, Local: al}, Value: value})
		}
	}
	// Resolve the prefixes now that the element's declarations are known.
	for i := range s.attrs {
		a := &s.attrs[i]
		if a.Name.Space != "" && a.Name.Space != "xmlns" {
			uri, ok := s.resolve(a.Name.Space)
			if !ok || uri == "" {
				return errFallback
			}
			a.Name.Space = uri
		}
	}
	uri, ok := s.resolve(prefix)
	if !ok {
		return errFallback
	}
	s.open = append(s.open, raw)
	r.start(xml.StartElement{Name: xml.Name{Space: uri, Local: local}, Attr: s.attrs}, s.lineAt())
	if empty {
		s.close(r)
	}
	return nil
}

func (s *scanner) endTag(r *run) error {
	s.pos += 2
	prefix, local, err := s.name()
	if err != nil {
		return err
	}
	raw := local
	if prefix != "" {
		raw = prefix + ":" + local
	}
	s.blanks()
	if s.pos >= len(s.data) || s.data[s.pos] != '>' || len(s.open) == 0 || s.open[len(s.open)-1] != raw {
		return errFallback
	}
	s.pos++
	s.close(r)
	return nil
}

func (s *scanner) close(r *run) {
	s.open = s.open[:len(s.open)-1]
	s.ns = s.ns[:s.marks[len(s.marks)-1]]
	s.marks = s.marks[:len(s.marks)-1]
	if len(s.open) == 0 {
		s.rootDone = true
	}
	r.end(s.lineAt())
}

// checkChars refuses what the scanner leaves to encoding/xml: invalid
// UTF-8, characters XML forbids, \r (line-end normalisation).
func checkChars(b []byte) error {
	_, _, err := scanChars(b)
	return err
}

// scanChars is checkChars, also telling whether b holds a '&' (a
// reference to replace) or a ']' (maybe the end of a CDATA section), so
// that text reads the bytes once.
func scanChars(b []byte) (amp, bracket bool, err error) {
	// One pass: control characters, and U+FFFE/U+FFFF (EF BF BE/BF);
	// the UTF-8 check only when a byte is not ASCII.
	ascii := true
	for i, c := range b {
		switch {
		case c < 0x20:
			if c != '\t' && c != '\n' {
				return false, false, errFallback
			}
		case c == '&':
			amp = true
		case c == ']':
			bracket = true
		case c >= 0x80:
			ascii = false
			if c == 0xEF && i+2 < len(b) && b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF) {
				return false, false, errFallback
			}
		}
	}
	if !ascii && !utf8.Valid(b) {
		return false, false, errFallback
	}
	return amp, bracket, nil
}

// text checks the character data (or attribute value) data[start:end]
// and replaces its references. The bytes are valid until the next call;
// direct is the same text as a substring of the document when it holds no
// reference, "" otherwise.
func (s *scanner) text(start, end int, attr bool) (text []byte, direct string, err error) {
	b := s.data[start:end]
	amp, bracket, err := scanChars(b)
	if err != nil {
		return nil, "", err
	}
	if !attr && bracket && bytes.Contains(b, []byte("]]>")) {
		return nil, "", errFallback
	}
	if !amp {
		return b, s.src[start:end], nil
	}
	out := s.buf[:0]
	for len(b) > 0 {
		amp := bytes.IndexByte(b, '&')
		if amp < 0 {
			out = append(out, b...)
			break
		}
		out = append(out, b[:amp]...)
		semi := bytes.IndexByte(b[amp:], ';')
		if semi < 0 {
			return nil, "", errFallback
		}
		ref := string(b[amp+1 : amp+semi])
		switch ref {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			var n uint64
			var err error
			switch {
			case len(ref) > 2 && ref[:2] == "#x":
				n, err = strconv.ParseUint(ref[2:], 16, 32)
			case len(ref) > 1 && ref[0] == '#' && ref[1] != '+' && ref[1] != '-':
				n, err = strconv.ParseUint(ref[1:], 10, 32)
			default:
				return nil, "", errFallback
			}
			c := rune(n)
			if err != nil || !isXMLChar(c) {
				return nil, "", errFallback
			}
			out = utf8.AppendRune(out, c)
		}
		b = b[amp+semi+1:]
	}
	s.buf = out
	return out, "", nil
}

func isXMLChar(c rune) bool {
	return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)
}
