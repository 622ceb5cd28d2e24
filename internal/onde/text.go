package onde

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

type encoding int

const (
	undecided encoding = iota
	encUTF8
	encWindows1252
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// textReader turns the bytes of a CSV extraction into UTF-8. ONDE and BE1D
// write ISO-8859-1, but a file opened and saved again in a spreadsheet may
// be UTF-8, with or without a byte order mark. The encoding is decided at
// the first byte that is not ASCII: a valid UTF-8 sequence makes the file
// UTF-8; anything else makes it Windows-1252, which reads every printable
// ISO-8859-1 character the same and also gives the œ and ’ that Windows
// software adds. Once the file is taken as UTF-8, an invalid sequence is an
// error rather than silently garbled names.
type textReader struct {
	br      *bufio.Reader
	enc     encoding
	line    int // lines read so far, for errors
	pending []byte
	err     error
}

func newTextReader(r io.Reader) (*textReader, error) {
	t := &textReader{br: bufio.NewReaderSize(r, 32<<10)}
	head, err := t.br.Peek(8)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, readError(err)
	}
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		t.br.Discard(len(utf8BOM))
		t.enc = encUTF8
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return nil, invalidf("ce fichier est une archive ZIP ou un classeur Excel (.xlsx), pas un fichier CSV : enregistrez-le au format CSV (séparateur point-virgule)")
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return nil, invalidf("ce fichier est un classeur Excel (.xls), pas un fichier CSV : enregistrez-le au format CSV (séparateur point-virgule)")
	}
	return t, nil
}

func (t *textReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(t.pending) > 0 {
			c := copy(p[n:], t.pending)
			t.pending = t.pending[c:]
			n += c
			continue
		}
		if t.err != nil {
			break
		}
		b, err := t.br.ReadByte()
		if err != nil {
			t.err = err
			break
		}
		if b < utf8.RuneSelf {
			if b == '\n' {
				t.line++
			}
			p[n] = b
			n++
			continue
		}
		t.br.UnreadByte()
		if err := t.decodeNonASCII(); err != nil {
			t.err = err
			break
		}
	}
	if n > 0 {
		return n, nil
	}
	if errors.Is(t.err, io.EOF) {
		return 0, io.EOF
	}
	if t.err != nil {
		return 0, readError(t.err)
	}
	return 0, nil
}

// decodeNonASCII decodes the character starting at the next byte, which is
// not ASCII, into t.pending.
func (t *textReader) decodeNonASCII() error {
	if t.enc == undecided {
		peek, _ := t.br.Peek(utf8.UTFMax)
		if r, size := utf8.DecodeRune(peek); r == utf8.RuneError && size <= 1 {
			t.enc = encWindows1252
		} else {
			t.enc = encUTF8
		}
	}
	if t.enc == encWindows1252 {
		// A valid multi-byte UTF-8 sequence in a file taken as
		// Windows-1252 ("é" written C3 A9) is a file that mixes two
		// encodings: read as Windows-1252 it would store "Ã©".
		peek, _ := t.br.Peek(utf8.UTFMax)
		if r, size := utf8.DecodeRune(peek); size > 1 && r != utf8.RuneError {
			return invalidf("ligne %d : caractère écrit en UTF-8, alors que le début du fichier est en ISO-8859-1 : le fichier mélange deux encodages "+
				"(les lettres accentuées deviendraient « Ã© ») ; enregistrez-le à nouveau en UTF-8 ou en ISO-8859-1", t.line+1)
		}
		b, _ := t.br.ReadByte()
		r := charmap.Windows1252.DecodeByte(b)
		if r == utf8.RuneError || r >= 0x80 && r <= 0x9F {
			// 0x81, 0x8D, 0x8F, 0x90, 0x9D: no character in
			// Windows-1252, a control character otherwise.
			return invalidf("ligne %d : octet 0x%02X, qui n'est un caractère ni en ISO-8859-1 ni en Windows-1252 : le fichier est abîmé "+
				"ou dans un autre encodage ; enregistrez-le à nouveau en UTF-8 ou en ISO-8859-1", t.line+1, b)
		}
		t.pending = utf8.AppendRune(t.pending[:0], r)
		return nil
	}
	r, size, err := t.br.ReadRune()
	if err != nil {
		return err
	}
	if r == utf8.RuneError && size == 1 {
		return invalidf("ligne %d : caractère invalide en UTF-8, alors que le début du fichier est en UTF-8 : le fichier mélange deux encodages ; enregistrez-le à nouveau en UTF-8 ou en ISO-8859-1", t.line+1)
	}
	t.pending = utf8.AppendRune(t.pending[:0], r)
	return nil
}
