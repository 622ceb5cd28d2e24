package lsu

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sillage/sillage"
)

// cleanText makes s writable in an LSU string: invalid UTF-8 and characters
// XML 1.0 forbids are removed, line ends become "\n" (the schemas' pattern
// "(.|\n)*[^\s](.|\n)*" rejects "\r"), single-line fields lose their line
// breaks and tabs, and surrounding spaces are trimmed. removed reports
// whether characters were dropped (not counting spaces and line ends).
func cleanText(s string, multiline bool) (out string, removed bool) {
	if plainText(s, multiline) {
		return strings.TrimFunc(s, unicode.IsSpace), false
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
		removed = true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue // "\r\n" → "\n", written below
			}
			r = '\n'
		case !xmlChar(r):
			removed = true
			continue
		}
		if !multiline && (r == '\n' || r == '\t') {
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.TrimFunc(b.String(), unicode.IsSpace), removed
}

// plainText reports whether s needs no cleaning besides trimming: the
// common case, checked byte by byte. 0xEF leads the only valid UTF-8
// sequences XML forbids (U+FFFE, U+FFFF), so it sends s to the slow path.
func plainText(s string, multiline bool) bool {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			// One pass: the UTF-8 check of each sequence as it comes.
			if c == 0xEF {
				return false
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			i += size
			continue
		case c == '\n' || c == '\t':
			if !multiline {
				return false
			}
		case c < 0x20 || c == 0x7F:
			return false
		}
		i++
	}
	return true
}

// xmlChar reports whether r is allowed in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}

// truncate cuts s to max characters (runes: the XSD lengths count
// characters, not bytes) and trims the spaces the cut may leave.
func truncate(s string, max int) (string, bool) {
	// A character is at least one byte: a text of at most max bytes
	// needs no counting.
	if max <= 0 || len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s, false
	}
	n := 0
	for i := range s {
		if n == max {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace), true
		}
		n++
	}
	return s, false
}

// placeholder is what LSU gets for a required text left empty: every LSU
// string type requires a non-space character.
const placeholder = "-"

// fit makes s a valid LSU string of at most max characters; required
// strings are never empty. It is idempotent: Generate applies it again to
// whatever Plan it is given.
func fit(s string, max int, required, multiline bool) string {
	s, _ = cleanText(s, multiline)
	s, _ = truncate(s, max)
	if s == "" && required {
		return placeholder
	}
	return s
}

// validDate reports whether t can be written as an xs:date: set, with a
// four-digit year.
func validDate(t time.Time) bool {
	return !t.IsZero() && t.Year() >= 1000 && t.Year() <= 9999
}

func isoDate(t time.Time) string { return t.Format(time.DateOnly) }

// isoDateTime is the lock date: xs:dateTime in the 1st degree and the
// "StringDateTime" pattern of 7.0, both without a time zone, so it is the
// schools' wall clock (LSU reads it as local time).
func isoDateTime(t time.Time) string { return t.In(sillage.SchoolZone).Format("2006-01-02T15:04:05") }

// day is the calendar date of t, comparable as a string.
func day(t time.Time) string { return isoDate(t) }

// roundMark rounds an average to the two decimals LSU keeps.
func roundMark(v float64) float64 { return math.Round(v*100) / 100 }

// validMark reports whether v is an average LSU accepts.
func validMark(v float64) bool {
	return !math.IsNaN(v) && v >= 0 && v <= 20
}

// markNumeric is an average as 10.0 writes it: an xs:decimal with two
// decimals.
func markNumeric(v float64) string { return strconv.FormatFloat(roundMark(v), 'f', 2, 64) }

// markText is an average as versions before 10.0 write it: the text the
// peers write ("15.5/20", at most 8 characters).
func markText(v float64) string {
	return strconv.FormatFloat(roundMark(v), 'f', -1, 64) + "/20"
}

// frMark is an average for report messages.
func frMark(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "non numérique"
	}
	return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1)
}

// positiveInteger normalises a value written as xs:positiveInteger: digits
// only, not zero. The result has no leading zeros, so that two spellings of
// one number compare equal (the schemas' unique keys compare values).
func positiveInteger(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 18 {
		return "", false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	s = strings.TrimLeft(s, "0")
	return s, s != ""
}

// idAllocator hands out unique xs:ID values: NCNames built from a prefix
// and a hint, with a numeric suffix when two hints collide.
type idAllocator struct{ used map[string]bool }

func newIDAllocator() *idAllocator { return &idAllocator{used: map[string]bool{}} }

// next returns prefix+hint made an NCName (characters outside [A-Za-z0-9._-]
// become "_"), unique among the ids already given.
func (a *idAllocator) next(prefix, hint string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, c := range []byte(hint) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	id := b.String()
	for n := 2; a.used[id]; n++ {
		id = b.String() + "_" + strconv.Itoa(n)
	}
	a.used[id] = true
	return id
}
