package aaf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errUnsupported stops the fast scanner at anything it does not read
// itself: the document is then read again by encoding/xml (ParseOpen), which
// decides. It never reaches a caller.
var errUnsupported = errors.New("aaf: construct left to encoding/xml")

// scanner is a tokenizer for the subset of XML that AAF files are written
// in: UTF-8 (declared or not), elements and attributes with ASCII names and
// no namespace prefix, text with the predefined, HTML and numeric entities,
// comments. It yields the tokens encoding/xml's Decoder.Token does for such
// a document, with the same line numbers, at a fraction of its cost (the
// national files of an académie are gigabytes). Anything else — another
// encoding, a DOCTYPE, CDATA, a processing instruction after the prolog, a
// namespace prefix, a malformed construct, a character XML does not allow
// — is errUnsupported: the whole document is then read by encoding/xml,
// whose answer (and error message) is the one given.
type scanner struct {
	r     io.Reader
	buf   []byte
	pos   int // next byte in buf
	end   int // bytes in buf
	eof   bool
	err   error // the reader's error other than EOF
	line  int
	stack []string
	names map[string]string // interned element and attribute names
	text  []byte            // the current CharData, decoded
	first bool              // no token read yet
	// pendingEnd: the element just started was <name/>.
	pendingEnd bool
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, 64<<10), line: 1, names: map[string]string{}, first: true}
}

// fill reads more input, keeping buf[s.pos:] and returning false at the
// end of the input.
func (s *scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		copy(s.buf, s.buf[s.pos:s.end])
		s.end -= s.pos
		s.pos = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// need makes at least n bytes available from s.pos, if the input has them.
func (s *scanner) need(n int) bool {
	for s.end-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// InputPos returns the line of the input read so far (the column is not
// tracked).
func (s *scanner) InputPos() (int, int) { return s.line, 0 }

// Token returns the next token. CharData and Comment bytes are valid until
// the next call.
func (s *scanner) Token() (xml.Token, error) {
	if s.pendingEnd {
		s.pendingEnd = false
		name := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		return xml.EndElement{Name: xml.Name{Local: name}}, nil
	}
	if s.first {
		s.first = false
		if s.need(3) && bytes.Equal(s.buf[s.pos:s.pos+3], utf8BOM) {
			s.pos += 3
		}
		if s.need(5) && bytes.Equal(s.buf[s.pos:s.pos+5], []byte("<?xml")) {
			return s.prolog()
		}
	}
	if !s.need(1) {
		if s.err != nil {
			return nil, s.err
		}
		if len(s.stack) > 0 {
			return nil, errUnsupported
		}
		return nil, io.EOF
	}
	if s.buf[s.pos] != '<' {
		return s.chardata()
	}
	if !s.need(2) {
		return nil, errUnsupported
	}
	switch s.buf[s.pos+1] {
	case '/':
		return s.endTag()
	case '!':
		return s.comment()
	case '?':
		return nil, errUnsupported
	}
	return s.startTag()
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// prolog reads <?xml version="1.0" encoding="UTF-8"?> (encoding optional).
func (s *scanner) prolog() (xml.Token, error) {
	i := s.find("?>", 2)
	if i < 0 {
		return nil, errUnsupported
	}
	inst := string(s.buf[s.pos+5 : i])
	if err := s.consume(i + 2); err != nil {
		return nil, err
	}
	if len(inst) == 0 || !isSpace(inst[0]) {
		return nil, errUnsupported
	}
	fields := map[string]string{}
	for _, m := range headerPair.FindAllStringSubmatch(inst, -1) {
		fields[m[1]] = m[2]
	}
	for k := range fields {
		// encoding/xml reads "encoding=" wherever it is in the
		// declaration: a field of another name is left to it.
		if k != "version" && k != "encoding" && k != "standalone" {
			return nil, errUnsupported
		}
	}
	if fields["version"] != "1.0" || len(fields) > 3 {
		return nil, errUnsupported
	}
	if enc, ok := fields["encoding"]; ok && !strings.EqualFold(enc, "utf-8") {
		return nil, errUnsupported
	}
	// Only version, encoding and standalone, each once, nothing else.
	rest := headerPair.ReplaceAllString(inst, "")
	if strings.TrimSpace(rest) != "" || strings.Count(inst, "=") != len(fields) {
		return nil, errUnsupported
	}
	if sa, ok := fields["standalone"]; ok && sa != "yes" && sa != "no" {
		return nil, errUnsupported
	}
	return xml.ProcInst{Target: "xml", Inst: []byte(inst)}, nil
}

// find returns the index in buf of sep at or after s.pos+from, reading
// more input as needed; -1 at the end of the input.
func (s *scanner) find(sep string, from int) int {
	for {
		if k := bytes.Index(s.buf[s.pos+from:s.end], []byte(sep)); k >= 0 {
			return s.pos + from + k
		}
		from = max(from, s.end-s.pos-len(sep)+1)
		if !s.fill() {
			return -1
		}
	}
}

// consume moves past buf[:i], counting its lines and checking its
// characters.
func (s *scanner) consume(i int) error {
	seg := s.buf[s.pos:i]
	s.line += bytes.Count(seg, []byte{'\n'})
	s.pos = i
	if !validChars(seg) {
		return errUnsupported
	}
	return nil
}

// validChars reports whether b is UTF-8 made only of characters XML
// allows.
func validChars(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || !xmlChar(r) {
			return false
		}
		i += n
	}
	return true
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// comment reads <!-- … --> and a DOCTYPE without internal subset
// (<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">); other declarations
// are left to encoding/xml.
func (s *scanner) comment() (xml.Token, error) {
	if s.need(9) && bytes.Equal(s.buf[s.pos:s.pos+9], []byte("<!DOCTYPE")) {
		i := s.find(">", 9)
		if i < 0 {
			return nil, errUnsupported
		}
		body := s.buf[s.pos+2 : i]
		if len(body) < 9 || bytes.ContainsAny(body, "[<'") || bytes.Count(body, []byte{'"'})%2 != 0 || !isSpace(body[7]) {
			return nil, errUnsupported
		}
		if err := s.consume(i + 1); err != nil {
			return nil, err
		}
		if bytes.IndexByte(body, '\r') >= 0 {
			return nil, errUnsupported
		}
		return xml.Directive(body), nil
	}
	if !s.need(4) || !bytes.Equal(s.buf[s.pos:s.pos+4], []byte("<!--")) {
		return nil, errUnsupported
	}
	i := s.find("--", 4)
	if i < 0 {
		return nil, errUnsupported
	}
	off := i - s.pos
	if !s.need(off+3) || s.buf[s.pos+off+2] != '>' {
		return nil, errUnsupported
	}
	i = s.pos + off
	start := s.pos + 4
	if err := s.consume(i + 3); err != nil {
		return nil, err
	}
	body := s.buf[start:i]
	if bytes.IndexByte(body, '\r') >= 0 {
		return nil, errUnsupported
	}
	return xml.Comment(body), nil
}

// startTag reads <name attr="value" …> or <name … />.
func (s *scanner) startTag() (xml.Token, error) {
	// The whole tag is read at once: tags are short.
	i := s.find(">", 1)
	if i < 0 {
		return nil, errUnsupported
	}
	tagEnd := i
	name, j, ok := s.nameAt(s.pos+1, tagEnd)
	if !ok {
		return nil, errUnsupported
	}
	var attrs []xml.Attr
	selfClosing := false
	for {
		sp := j
		for j < tagEnd && isSpace(s.buf[j]) {
			j++
		}
		if j == tagEnd {
			break
		}
		if s.buf[j] == '/' && j+1 == tagEnd {
			selfClosing = true
			break
		}
		if j == sp {
			return nil, errUnsupported // attributes need a space before them
		}
		an, k, ok := s.nameAt(j, tagEnd)
		if !ok {
			return nil, errUnsupported
		}
		for k < tagEnd && isSpace(s.buf[k]) {
			k++
		}
		if k == tagEnd || s.buf[k] != '=' {
			return nil, errUnsupported
		}
		k++
		for k < tagEnd && isSpace(s.buf[k]) {
			k++
		}
		if k == tagEnd || s.buf[k] != '"' && s.buf[k] != '\'' {
			return nil, errUnsupported
		}
		q := s.buf[k]
		v := bytes.IndexByte(s.buf[k+1:tagEnd], q)
		if v < 0 {
			return nil, errUnsupported // a '>' inside the value: left to encoding/xml
		}
		raw := s.buf[k+1 : k+1+v]
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, errUnsupported
		}
		val, ok := decodeText(raw)
		if !ok {
			return nil, errUnsupported
		}
		for _, a := range attrs {
			if a.Name.Local == an || an == "xmlns" {
				return nil, errUnsupported
			}
		}
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: an}, Value: string(val)})
		j = k + 1 + v + 1
	}
	if err := s.consume(tagEnd + 1); err != nil {
		return nil, err
	}
	s.stack = append(s.stack, name)
	// encoding/xml gives the end of <name/> at the next call.
	s.pendingEnd = selfClosing
	return xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs}, nil
}

// nameAt reads a name at buf[i:limit]: ASCII letters, digits, '_', '-',
// '.', no namespace prefix.
func (s *scanner) nameAt(i, limit int) (string, int, bool) {
	j := i
	for j < limit {
		c := s.buf[j]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || j > i && (c >= '0' && c <= '9' || c == '-' || c == '.') {
			j++
			continue
		}
		break
	}
	if j == i {
		return "", 0, false
	}
	b := s.buf[i:j]
	n, ok := s.names[string(b)]
	if !ok {
		if len(s.names) >= 1024 {
			return "", 0, false
		}
		n = string(b)
		s.names[n] = n
	}
	return n, j, true
}

// endTag reads </name>, which must close the open element.
func (s *scanner) endTag() (xml.Token, error) {
	i := s.find(">", 2)
	if i < 0 {
		return nil, errUnsupported
	}
	name, j, ok := s.nameAt(s.pos+2, i)
	if !ok {
		return nil, errUnsupported
	}
	for j < i && isSpace(s.buf[j]) {
		j++
	}
	if j != i || len(s.stack) == 0 || s.stack[len(s.stack)-1] != name {
		return nil, errUnsupported
	}
	s.stack = s.stack[:len(s.stack)-1]
	if err := s.consume(i + 1); err != nil {
		return nil, err
	}
	return xml.EndElement{Name: xml.Name{Local: name}}, nil
}

// chardata reads the text up to the next '<' or the end of the input.
func (s *scanner) chardata() (xml.Token, error) {
	i := s.find("<", 0)
	if i < 0 {
		if s.err != nil {
			return nil, s.err
		}
		i = s.end
	}
	raw := s.buf[s.pos:i]
	if bytes.Contains(raw, []byte("]]>")) {
		return nil, errUnsupported
	}
	text, ok := decodeText(raw)
	if !ok {
		return nil, errUnsupported
	}
	if err := s.consume(i); err != nil {
		return nil, err
	}
	if &text[0] == &raw[0] {
		// decodeText returned raw itself: copy, as the buffer moves.
		s.text = append(s.text[:0], text...)
		text = s.text
	}
	return xml.CharData(text), nil
}

// decodeText replaces the entities of raw and its line ends ("\r\n" and
// "\r" are "\n"), as encoding/xml does; false for what it leaves to
// encoding/xml (an unknown entity, a character XML does not allow).
func decodeText(raw []byte) ([]byte, bool) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return raw, true
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case '\r':
			out = append(out, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
			continue
		case '&':
		default:
			out = append(out, c)
			i++
			continue
		}
		semi := bytes.IndexByte(raw[i:], ';')
		if semi < 2 {
			return nil, false
		}
		ent := string(raw[i+1 : i+semi])
		i += semi + 1
		if ent[0] == '#' {
			num, base := ent[1:], 10
			if strings.HasPrefix(num, "x") {
				num, base = num[1:], 16
			}
			if num == "" || strings.ContainsAny(num, "+-_") {
				return nil, false
			}
			n, err := strconv.ParseUint(num, base, 32)
			if err != nil || !xmlChar(rune(n)) {
				return nil, false
			}
			out = utf8.AppendRune(out, rune(n))
			continue
		}
		for _, c := range []byte(ent) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return nil, false
			}
		}
		v, ok := predefined[ent]
		if !ok {
			if v, ok = xml.HTMLEntity[ent]; !ok {
				return nil, false
			}
		}
		out = append(out, v...)
	}
	return out, true
}

var predefined = map[string]string{"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": "\""}
