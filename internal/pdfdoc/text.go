package pdfdoc

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"unicode/utf16"
)

var streamRE = regexp.MustCompile(`(?s)stream\r?\n(.*?)endstream`)

// HasText reports whether a PDF written by Doc shows s on a page: the
// pages' streams are deflated and the Go fonts write text as UTF-16BE code
// points, so the words a person reads can be checked without a PDF reader.
func HasText(pdf []byte, s string) bool {
	var want []byte
	for _, c := range utf16.Encode([]rune(s)) {
		want = append(want, byte(c>>8), byte(c))
	}
	for _, m := range streamRE.FindAllSubmatch(pdf, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue
		}
		b, err := io.ReadAll(r)
		if err == nil && bytes.Contains(b, want) {
			return true
		}
	}
	return false
}
