// Package xmlfile opens the XML files the national applications produce: a
// plain XML file or a ZIP holding exactly one XML file, decoded in the
// encoding its prolog declares (UTF-8 when there is no prolog).
package xmlfile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/ianaindex"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/zipcheck"
)

// DefaultMaxExpanded bounds the uncompressed size of a ZIP member. A SIECLE
// export of the largest lycée is a few tens of megabytes; an AAF chunk is
// smaller. Anything beyond this is refused as a likely zip bomb.
const DefaultMaxExpanded = 2 << 30

// ErrNotXML is returned when the content is neither XML nor a ZIP of one XML.
var ErrNotXML = sillage.Errorf(sillage.KindInvalid, "le fichier n'est pas un fichier XML ni une archive ZIP contenant un fichier XML")

// Open returns the XML content of ra: ra itself, or the single member of a
// ZIP archive. maxExpanded bounds the bytes read from a ZIP member (0 means
// DefaultMaxExpanded); reading past it fails with an error naming the limit.
func Open(ra io.ReaderAt, size int64, maxExpanded int64) (io.ReadCloser, error) {
	if maxExpanded <= 0 {
		maxExpanded = DefaultMaxExpanded
	}
	var magic [4]byte
	n, _ := ra.ReadAt(magic[:], 0)
	if n == 4 && bytes.Equal(magic[:], []byte("PK\x03\x04")) {
		return openZip(ra, size, maxExpanded)
	}
	if n == 4 && bytes.Equal(magic[:], []byte("PK\x05\x06")) {
		return nil, sillage.Errorf(sillage.KindInvalid, "archive ZIP vide : elle doit contenir exactement un fichier XML")
	}
	return io.NopCloser(io.NewSectionReader(ra, 0, size)), nil
}

func openZip(ra io.ReaderAt, size int64, maxExpanded int64) (io.ReadCloser, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, "archive ZIP illisible")
	}
	// One name per entry: the member checked is the member read.
	if err := zipcheck.Check(ra, size, zr); err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, "archive ZIP refusée : "+err.Error())
	}
	var files []*zip.File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		files = append(files, f)
	}
	if len(files) != 1 {
		return nil, sillage.Errorf(sillage.KindInvalid, "l'archive ZIP contient %d fichiers : elle doit contenir exactement un fichier XML", len(files))
	}
	f := files[0]
	if !strings.EqualFold(path.Ext(f.Name), ".xml") {
		return nil, sillage.Errorf(sillage.KindInvalid, "l'archive ZIP contient %q, qui n'est pas un fichier XML", path.Base(f.Name))
	}
	if f.UncompressedSize64 > uint64(maxExpanded) {
		return nil, sillage.Errorf(sillage.KindInvalid, "le fichier %q décompressé dépasse la limite de %d octets", path.Base(f.Name), maxExpanded)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("ouverture de %q dans l'archive ZIP", path.Base(f.Name)))
	}
	// The declared size can lie: count what is really inflated.
	return &limitedReadCloser{r: rc, left: maxExpanded, name: path.Base(f.Name), limit: maxExpanded}, nil
}

type limitedReadCloser struct {
	r     io.ReadCloser
	left  int64
	limit int64
	name  string
}

func (l *limitedReadCloser) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Probe one byte: exactly at the limit is fine, beyond it is not.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, sillage.Errorf(sillage.KindInvalid, "le fichier %q décompressé dépasse la limite de %d octets", l.name, l.limit)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedReadCloser) Close() error { return l.r.Close() }

// File is an opened national file: the XML content and the underlying file.
type File struct {
	io.ReadCloser
	f *os.File
}

// Close closes the content and the file.
func (f *File) Close() error {
	err := f.ReadCloser.Close()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// OpenFile opens the file at name with Open.
func OpenFile(name string, maxExpanded int64) (*File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, sillage.Errorf(sillage.KindInvalid, "%s est un dossier, pas un fichier", name)
	}
	rc, err := Open(f, st.Size(), maxExpanded)
	if err != nil {
		f.Close()
		return nil, sillage.Wrap(sillage.KindOf(err), err, path.Base(name))
	}
	return &File{ReadCloser: rc, f: f}, nil
}

// NewDecoder returns a strict decoder that honours the declared encoding
// (ISO-8859-1, ISO-8859-15, UTF-8, or any IANA name) and knows the HTML
// named entities some AAF files carry.
//
// A UTF-8 byte order mark at the start is skipped and makes the content
// UTF-8 whatever the prolog declares: software that writes a BOM writes
// UTF-8. Without one, a file declared in a single-byte Latin encoding
// (ISO-8859-1, ISO-8859-15, Windows-1252) whose bytes are really UTF-8, or
// that carries bytes 0x80 to 0x9F (Windows-1252 characters, or control
// characters in ISO-8859), is refused with the first line concerned: it
// would otherwise store "NoÃ©mie" or control characters (docs/imports.md).
func NewDecoder(r io.Reader) *xml.Decoder {
	br := bufio.NewReaderSize(r, 64<<10)
	bom := false
	if head, _ := br.Peek(3); bytes.Equal(head, utf8BOM) {
		br.Discard(3)
		bom = true
	}
	d := xml.NewDecoder(br)
	d.Strict = true
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		if bom {
			return input, nil
		}
		return charsetReader(label, input)
	}
	return d
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// SkipBOM returns r without the UTF-8 byte order mark it may start with.
func SkipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(3); bytes.Equal(head, utf8BOM) {
		br.Discard(3)
	}
	return br
}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	name := strings.ToLower(strings.TrimSpace(label))
	switch name {
	case "utf-8", "utf8":
		return input, nil
	}
	enc, err := ianaindex.IANA.Encoding(label)
	if err != nil || enc == nil {
		return nil, sillage.Errorf(sillage.KindInvalid, "encodage %q non pris en charge", label)
	}
	if latin[name] {
		// Windows-1252 gives 0x80–0x9F characters of their own.
		c1 := name != "windows-1252" && name != "cp1252"
		input = &latinCheck{r: bufio.NewReader(input), label: strings.ToUpper(strings.TrimSpace(label)), line: 1, c1: c1}
	}
	return enc.NewDecoder().Reader(input), nil
}

// latin are the single-byte encodings whose content latinCheck checks.
var latin = map[string]bool{
	"iso-8859-1": true, "iso8859-1": true, "iso_8859-1": true, "latin1": true, "l1": true,
	"iso-8859-15": true, "iso8859-15": true, "iso_8859-15": true, "latin-9": true, "latin9": true,
	"windows-1252": true, "cp1252": true,
}

// latinCheck passes the bytes of a file declared in a single-byte Latin
// encoding through, and fails at the first sign that they are not in it:
// a valid multi-byte UTF-8 sequence ("é" written C3 A9 reads "Ã©"), or a
// byte 0x80–0x9F (a control character in ISO-8859, a Windows-1252
// character such as ’ or œ).
type latinCheck struct {
	r     *bufio.Reader
	label string
	line  int
	c1    bool // bytes 0x80–0x9F are refused
	err   error
}

func (c *latinCheck) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		b := p[i]
		if b < 0x80 {
			if b == '\n' {
				c.line++
			}
			continue
		}
		if size := c.utf8Seq(p[i:n]); size > 0 {
			c.err = sillage.Errorf(sillage.KindInvalid, "ligne %d : le fichier déclare l'encodage %s, mais son contenu est en UTF-8 "+
				"(les lettres accentuées deviendraient « Ã© ») : import refusé, rien n'a été enregistré ; corrigez le prologue "+
				"(<?xml version=\"1.0\" encoding=\"UTF-8\"?>) ou enregistrez à nouveau le fichier en %s", c.line, c.label, c.label)
			return 0, c.err
		}
		if b <= 0x9F && c.c1 {
			c.err = sillage.Errorf(sillage.KindInvalid, "ligne %d : octet 0x%02X, qui n'est pas un caractère en %s (c'est un caractère "+
				"Windows-1252, comme ’ ou œ, ou un caractère de contrôle) : import refusé, rien n'a été enregistré ; "+
				"enregistrez à nouveau le fichier en %s ou en UTF-8 avec le prologue correspondant", c.line, b, c.label, c.label)
			return 0, c.err
		}
	}
	return n, err
}

// utf8Seq returns the length of the valid multi-byte UTF-8 sequence that
// starts b, 0 when there is none. Bytes beyond b are peeked from the
// reader without being consumed.
func (c *latinCheck) utf8Seq(b []byte) int {
	lead := b[0]
	var size int
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		size = 2
	case lead >= 0xE0 && lead <= 0xEF:
		size = 3
	case lead >= 0xF0 && lead <= 0xF4:
		size = 4
	default:
		return 0
	}
	seq := b
	if len(seq) < size {
		more, _ := c.r.Peek(size - len(seq))
		seq = append(append([]byte(nil), b...), more...)
	}
	if len(seq) < size {
		return 0
	}
	if r, n := utf8.DecodeRune(seq[:size]); r == utf8.RuneError || n != size {
		return 0
	}
	return size
}

// TokenReader reads XML tokens as encoding/xml's Decoder does.
type TokenReader interface {
	Token() (xml.Token, error)
}

// Text returns the trimmed text content of the element whose start token was
// just read, consuming its end. Nested elements are refused: the national
// formats never mix text and children in a leaf. d is encoding/xml's
// Decoder or any reader of its tokens (the AAF scanner).
func Text(d TokenReader, start xml.StartElement) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", unexpectedEOF(err, start.Name.Local)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return strings.TrimSpace(b.String()), nil
		case xml.StartElement:
			return "", sillage.Errorf(sillage.KindInvalid, "élément <%s> inattendu dans <%s>", t.Name.Local, start.Name.Local)
		}
	}
}

// Skip consumes the rest of the element whose start token was just read.
func Skip(d *xml.Decoder, start xml.StartElement) error {
	if err := d.Skip(); err != nil {
		return unexpectedEOF(err, start.Name.Local)
	}
	return nil
}

func unexpectedEOF(err error, in string) error {
	if errors.Is(err, io.EOF) {
		return sillage.Errorf(sillage.KindInvalid, "fin de fichier inattendue dans <%s>", in)
	}
	return err
}

// Attr returns the value of the attribute named name, and whether it is present.
func Attr(start xml.StartElement, name string) (string, bool) {
	for _, a := range start.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// SyntaxError makes a decoder error readable for an administrator: the line
// and what is wrong, in French.
func SyntaxError(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return sillage.Errorf(sillage.KindInvalid, "fichier XML mal formé, ligne %d : %s", se.Line, se.Msg)
	}
	return err
}
