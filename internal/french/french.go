// Package french holds how French staff find and order names: a search that
// ignores case, accents and ligatures ("andre" finds André, "oeuvray" finds
// ŒUVRAY) and the French collation order for lists (Œ sorts as OE, É with E).
package french

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// ligatures are the letters that NFD does not decompose but a French reader
// types as two letters.
var ligatures = map[rune]string{'œ': "oe", 'Œ': "oe", 'æ': "ae", 'Æ': "ae", 'ß': "ss"}

// Fold returns the search form of s: lower case, without accents, ligatures
// spelt out, hyphens and apostrophes as spaces, spaces collapsed.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // drops leading spaces and collapses runs
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r) || r == '-' || r == '\'' || r == '’' || r == '‐' || r == '_':
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		if l, ok := ligatures[r]; ok {
			b.WriteString(l)
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		space = false
	}
	return strings.TrimSuffix(b.String(), " ")
}

// Query is a parsed search: every word must appear in the name, in any order
// ("dupont jean" finds Jean Dupont).
type Query []string

// ParseQuery folds what the user typed into the words to look for.
func ParseQuery(q string) Query { return strings.Fields(Fold(q)) }

// Empty reports whether the query matches everything.
func (q Query) Empty() bool { return len(q) == 0 }

// Match reports whether every word of q appears in one of the texts.
func (q Query) Match(texts ...string) bool {
	if len(q) == 0 {
		return true
	}
	folded := make([]string, len(texts))
	for i, t := range texts {
		folded[i] = Fold(t)
	}
	for _, w := range q {
		if !slices.ContainsFunc(folded, func(f string) bool { return strings.Contains(f, w) }) {
			return false
		}
	}
	return true
}

// collators are pooled: a collate.Collator keeps buffers and is not safe for
// concurrent use. Letters decide first, then accents, then case.
var collators = sync.Pool{New: func() any { return collate.New(language.French) }}

// Compare orders a and b as a French list does: letters first, accents and
// case only to break ties; 0 only when the strings are equal.
func Compare(a, b string) int {
	if a == b {
		return 0
	}
	c := collators.Get().(*collate.Collator)
	defer collators.Put(c)
	if r := c.CompareString(a, b); r != 0 {
		return r
	}
	return strings.Compare(a, b)
}

// SortFunc sorts items in French order of the keys key returns (for a person:
// last name, then first name), keeping the given order between equal keys.
func SortFunc[T any](items []T, key func(T) []string) {
	if len(items) < 2 {
		return
	}
	c := collators.Get().(*collate.Collator)
	defer collators.Put(c)
	var buf collate.Buffer
	keys := make([][]byte, len(items))
	for i, it := range items {
		var k []byte
		for j, part := range key(it) {
			if j > 0 {
				k = append(k, 0, 0) // below every collation weight: "Le" before "Lebrun"
			}
			k = append(k, c.KeyFromString(&buf, part)...)
			buf.Reset()
		}
		keys[i] = k
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int { return bytes.Compare(keys[x], keys[y]) })
	sorted := make([]T, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	copy(items, sorted)
}
