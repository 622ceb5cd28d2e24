// Package xmlfile opens the XML files the national applications produce: a
// plain XML file or a ZIP holding exactly one XML file, decoded in the
// encoding its prolog declares (UTF-8 when there is no prolog).
package xmlfile

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

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
func NewDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charsetReader
	return d
}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8":
		return input, nil
	}
	enc, err := ianaindex.IANA.Encoding(label)
	if err != nil || enc == nil {
		return nil, sillage.Errorf(sillage.KindInvalid, "encodage %q non pris en charge", label)
	}
	return enc.NewDecoder().Reader(input), nil
}

// Text returns the trimmed text content of the element whose start token was
// just read, consuming its end. Nested elements are refused: the national
// formats never mix text and children in a leaf.
func Text(d *xml.Decoder, start xml.StartElement) (string, error) {
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
