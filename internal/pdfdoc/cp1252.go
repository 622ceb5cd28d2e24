package pdfdoc

import (
	"unicode/utf8"

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
