package pdfdoc

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"unicode/utf16"
)

var (
	streamRE = regexp.MustCompile(`(?s)stream\r?\n(.*?)endstream`)
	// A page object, then its content stream: fpdf writes them in a row.
	pageRE = regexp.MustCompile(`(?s)<</Type /Page\n.*?endobj\n\d+ 0 obj\n<<[^>]*>>\nstream\r?\n(.*?)endstream`)
)

// HasText reports whether a PDF written by Doc shows s on a page: the
// pages' streams are deflated (or not, Options.Uncompressed), the Go fonts
// write text as UTF-16BE code points and the standard faces as
// Windows-1252 bytes, so the words a person reads can be checked without
// a PDF reader.
func HasText(pdf []byte, s string) bool {
	for _, m := range streamRE.FindAllSubmatch(pdf, -1) {
		if PageHasText(content(m[1]), s) {
			return true
		}
	}
	return false
}

// Pages returns the content of each page of a PDF written by Doc, in
// order, for PageHasText: what must stay together on one page can be
// checked page by page.
func Pages(pdf []byte) [][]byte {
	var pages [][]byte
	for _, m := range pageRE.FindAllSubmatch(pdf, -1) {
		pages = append(pages, content(m[1]))
	}
	return pages
}

// PageHasText reports whether a page from Pages shows s, in either face.
func PageHasText(page []byte, s string) bool {
	for _, want := range encoded(s) {
		if bytes.Contains(page, want) || bytes.Contains(page, escaped(want)) {
			return true
		}
	}
	return false
}

// encoded is s as the faces write it in a page: UTF-16BE (the Go fonts)
// and, if it fits, Windows-1252 (the standard faces).
func encoded(s string) [][]byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c>>8), byte(c))
	}
	out := [][]byte{b}
	if fitsCP1252(s) {
		out = append(out, []byte(toCP1252(s)))
	}
	return out
}

// escaped is b as a PDF string holds it (fpdf escapes \, ( and )).
func escaped(b []byte) []byte {
	var out []byte
	for _, c := range b {
		switch c {
		case '\\', '(', ')':
			out = append(out, '\\')
		case '\r':
			out = append(out, '\\')
			c = 'r'
		}
		out = append(out, c)
	}
	return out
}

// content is a stream's bytes: inflated, or as they are when the stream is
// not compressed.
func content(stream []byte) []byte {
	if b, err := inflate(stream); err == nil {
		return b
	}
	return stream
}

func inflate(stream []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(stream))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
