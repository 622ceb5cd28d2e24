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
// pages' streams are deflated and the Go fonts write text as UTF-16BE code
// points, so the words a person reads can be checked without a PDF reader.
func HasText(pdf []byte, s string) bool {
	want := encoded(s)
	for _, m := range streamRE.FindAllSubmatch(pdf, -1) {
		if b, err := inflate(m[1]); err == nil && bytes.Contains(b, want) {
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
		if b, err := inflate(m[1]); err == nil {
			pages = append(pages, b)
		}
	}
	return pages
}

// PageHasText reports whether a page from Pages shows s.
func PageHasText(page []byte, s string) bool { return bytes.Contains(page, encoded(s)) }

// encoded is s as the Go fonts write it in a page: UTF-16BE.
func encoded(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c>>8), byte(c))
	}
	return b
}

func inflate(stream []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(stream))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
