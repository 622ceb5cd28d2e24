package pdfdoc

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
)

// cp1252 is r's byte in Windows-1252 (the standard faces' encoding:
// ASCII, Latin-1, and Œ, œ, €, typographic quotes and dashes in 0x80 to
// 0x9F), false when it has none. The C1 controls that x/text maps to the
// code page's five unassigned bytes are refused: no face draws them.
func cp1252(r rune) (byte, bool) {
	if r == utf8.RuneError || (r >= 0x80 && r < 0xA0) {
		return 0, false
	}
	return charmap.Windows1252.EncodeRune(r)
}

// fitsCP1252 reports whether every character of s has a byte in
// Windows-1252 (invalid UTF-8 does not).
func fitsCP1252(s string) bool {
	for _, r := range s {
		if _, ok := cp1252(r); !ok {
			return false
		}
	}
	return true
}

// toCP1252 is s in Windows-1252; only called on strings fitsCP1252 accepted.
func toCP1252(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		c, ok := cp1252(r)
		if !ok {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}

// countLines is how many lines fpdf's MultiCell writes s (Windows-1252,
// current font a standard face) in, w wide: the same breaks, on spaces and
// newlines, the same widths.
func countLines(f *fpdf.Fpdf, s string, w float64) int {
	_, size := f.GetFontSize()
	wmax := int(math.Ceil((w - 2*f.GetCellMargin()) * 1000 / size))
	s = strings.ReplaceAll(s, "\r", "")
	nb := len(s)
	if nb > 0 && s[nb-1] == '\n' {
		nb--
	}
	var cw [256]int
	for c := 1; c < 256; c++ {
		cw[c] = -1
	}
	width := func(c byte) int {
		if cw[c] < 0 {
			cw[c] = f.GetStringSymbolWidth(string([]byte{c}))
		}
		return cw[c]
	}
	sep, i, j, l, nl := -1, 0, 0, 0, 1
	for i < nb {
		c := s[i]
		if c == '\n' {
			i++
			sep, j, l = -1, i, 0
			nl++
			continue
		}
		if c == ' ' {
			sep = i
		}
		l += width(c)
		if l > wmax {
			if sep == -1 {
				if i == j {
					i++
				}
			} else {
				i = sep + 1
			}
			sep, j, l = -1, i, 0
			nl++
		} else {
			i++
		}
	}
	return nl
}
