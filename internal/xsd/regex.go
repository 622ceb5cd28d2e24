package xsd

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// XML name character classes, as Go character-class bodies (XML 1.0 fifth
// edition productions NameStartChar and NameChar, ':' included as \i and
// \c include it).
const (
	nameStart = `:A-Z_a-z\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{2FF}\x{370}-\x{37D}\x{37F}-\x{1FFF}\x{200C}-\x{200D}\x{2070}-\x{218F}\x{2C00}-\x{2FEF}\x{3001}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFFD}\x{10000}-\x{EFFFF}`
	nameChar  = nameStart + `\-.0-9\x{B7}\x{300}-\x{36F}\x{203F}-\x{2040}`
)

// TranslatePattern turns an XSD regular expression (XML Schema Part 2,
// appendix F) into an equivalent Go regular expression. XSD patterns are
// implicitly anchored and have no anchors of their own: '^' and '$' are
// ordinary characters. '.' is any character but \n and \r; \s is exactly
// [ \t\n\r]; \d is any Unicode decimal digit (Nd); \i and \c are the XML
// name classes; \w is [^\p{P}\p{Z}\p{C}]. Character class subtraction and
// Unicode block escapes (\p{IsBasicLatin}) are refused.
func TranslatePattern(p string) (string, error) {
	var b strings.Builder
	rs := []rune(p)
	depth := 0
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case '\\':
			if i+1 >= len(rs) {
				return "", fmt.Errorf("motif %q : « \\ » final", p)
			}
			s, n, err := escape(rs[i+1:], false)
			if err != nil {
				return "", fmt.Errorf("motif %q : %v", p, err)
			}
			b.WriteString(s)
			i += n
		case '[':
			s, n, err := class(rs[i:])
			if err != nil {
				return "", fmt.Errorf("motif %q : %v", p, err)
			}
			b.WriteString(s)
			i += n - 1
		case '.':
			b.WriteString(`[^\n\r]`)
		case '(':
			depth++
			b.WriteString("(?:")
		case ')':
			depth--
			if depth < 0 {
				return "", fmt.Errorf("motif %q : parenthèse fermante sans ouvrante", p)
			}
			b.WriteByte(')')
		case '|', '*', '+', '?':
			b.WriteRune(r)
		case '{':
			j := i + 1
			for j < len(rs) && rs[j] != '}' {
				j++
			}
			if j >= len(rs) || !quantifier.MatchString(string(rs[i:j+1])) {
				return "", fmt.Errorf("motif %q : quantificateur invalide", p)
			}
			b.WriteString(string(rs[i : j+1]))
			i = j
		case ']', '}':
			return "", fmt.Errorf("motif %q : « %c » isolé", p, r)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if depth != 0 {
		return "", fmt.Errorf("motif %q : parenthèses déséquilibrées", p)
	}
	out := `^(?:` + b.String() + `)$`
	if _, err := regexp.Compile(out); err != nil {
		return "", fmt.Errorf("motif %q : %v", p, err)
	}
	return out, nil
}

var quantifier = regexp.MustCompile(`^\{[0-9]+(,[0-9]*)?\}$`)

// escape translates the escape after a backslash (rs starts after it). In
// a class, multi-character escapes give a class body; outside, a whole atom.
// It returns the text and how many runes it used.
func escape(rs []rune, inClass bool) (string, int, error) {
	wrap := func(body string) string {
		if inClass {
			return body
		}
		return "[" + body + "]"
	}
	switch r := rs[0]; r {
	case 'n':
		return `\n`, 1, nil
	case 'r':
		return `\r`, 1, nil
	case 't':
		return `\t`, 1, nil
	case '-':
		return `\-`, 1, nil
	case '\\', '|', '.', '?', '*', '+', '(', ')', '{', '}', '[', ']', '^':
		return regexp.QuoteMeta(string(r)), 1, nil
	case 's':
		return wrap(` \t\n\r`), 1, nil
	case 'd':
		return `\p{Nd}`, 1, nil
	case 'D':
		return `\P{Nd}`, 1, nil
	case 'i':
		return wrap(nameStart), 1, nil
	case 'c':
		return wrap(nameChar), 1, nil
	case 'w':
		if inClass {
			return "", 0, fmt.Errorf("\\w dans une classe non pris en charge")
		}
		return `[^\p{P}\p{Z}\p{C}]`, 1, nil
	case 'S', 'I', 'C', 'W':
		if inClass {
			return "", 0, fmt.Errorf("\\%c dans une classe non pris en charge", r)
		}
		body := map[rune]string{'S': ` \t\n\r`, 'I': nameStart, 'C': nameChar, 'W': `^\p{P}\p{Z}\p{C}`}[r]
		if r == 'W' {
			return `[\p{P}\p{Z}\p{C}]`, 1, nil
		}
		return "[^" + body + "]", 1, nil
	case 'p', 'P':
		if len(rs) < 3 || rs[1] != '{' {
			return "", 0, fmt.Errorf("\\%c sans {…}", r)
		}
		j := 2
		for j < len(rs) && rs[j] != '}' {
			j++
		}
		if j >= len(rs) {
			return "", 0, fmt.Errorf("\\%c{ non fermé", r)
		}
		name := string(rs[2:j])
		if _, ok := unicode.Categories[name]; !ok {
			return "", 0, fmt.Errorf("propriété Unicode %q non prise en charge", name)
		}
		return `\` + string(r) + `{` + name + `}`, j + 1, nil
	}
	return "", 0, fmt.Errorf("échappement \\%c inconnu", rs[0])
}

// class translates a character class starting at rs[0] == '['; it returns
// the Go class and how many runes it used.
func class(rs []rune) (string, int, error) {
	var b strings.Builder
	b.WriteByte('[')
	i := 1
	if i < len(rs) && rs[i] == '^' {
		b.WriteByte('^')
		i++
	}
	first := true
	for ; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ']' && !first:
			b.WriteByte(']')
			return b.String(), i + 1, nil
		case r == '[':
			return "", 0, fmt.Errorf("classe imbriquée ou soustraction de classes non prise en charge")
		case r == '-' && i+1 < len(rs) && rs[i+1] == '[':
			return "", 0, fmt.Errorf("soustraction de classes non prise en charge")
		case r == '\\':
			if i+1 >= len(rs) {
				return "", 0, fmt.Errorf("classe non fermée")
			}
			s, n, err := escape(rs[i+1:], true)
			if err != nil {
				return "", 0, err
			}
			b.WriteString(s)
			i += n
		case r == '-' && !first && i+1 < len(rs) && rs[i+1] != ']':
			b.WriteByte('-')
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
			if r == '-' {
				// A literal '-' at the start or end of a class.
				s := b.String()
				b.Reset()
				b.WriteString(s[:len(s)-1] + `\-`)
			}
		}
		first = false
	}
	return "", 0, fmt.Errorf("classe non fermée")
}

// matcher matches a whole value against an XSD pattern.
type matcher interface{ MatchString(string) bool }

// anyChar is the XSD idiom for "any character": '.' (all but \n and \r)
// or \n, that is every character but \r.
const anyChar = `(.|\n)*`

// containsMatcher is the fast form of the pattern (.|\n)*[…](.|\n)*, the
// "not blank" rule of every LSU text type: no \r, and one character in the
// class. Go's regexp would backtrack over the whole text.
type containsMatcher struct{ class charClass }

func (m containsMatcher) MatchString(s string) bool {
	if strings.IndexByte(s, '\r') >= 0 {
		return false
	}
	for _, r := range s {
		if m.class.has(r) {
			return true
		}
	}
	return false
}

// charClass is a compiled character class, with the answers for ASCII
// worked out once.
type charClass struct {
	re    *regexp.Regexp // ^[…]$
	ascii [utf8.RuneSelf]bool
}

func newCharClass(body string) charClass {
	c := charClass{re: regexp.MustCompile(`^` + body + `$`)}
	for b := range utf8.RuneSelf {
		c.ascii[b] = c.re.MatchString(string(rune(b)))
	}
	return c
}

func (c *charClass) has(r rune) bool {
	if r < utf8.RuneSelf {
		return c.ascii[r]
	}
	var buf [utf8.UTFMax]byte
	return c.re.Match(buf[:utf8.EncodeRune(buf[:], r)])
}

// runeMatcher is the fast form of a pattern that is one character class,
// such as [1-4]: one character, in the class.
type runeMatcher struct{ class charClass }

func (m runeMatcher) MatchString(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	// An invalid byte reads as U+FFFD, as in package regexp.
	return size == len(s) && size > 0 && m.class.has(r)
}

// compilePattern compiles an XSD pattern, in its fast form when it has one.
func compilePattern(p string) (matcher, error) {
	if rs := []rune(p); strings.HasPrefix(p, "[") {
		if body, n, err := class(rs); err == nil && n == len(rs) {
			return runeMatcher{class: newCharClass(body)}, nil
		}
	}
	if mid, ok := strings.CutPrefix(p, anyChar); ok {
		if cls, ok := strings.CutSuffix(mid, anyChar); ok && strings.HasPrefix(cls, "[") {
			if body, n, err := class([]rune(cls)); err == nil && n == len([]rune(cls)) {
				return containsMatcher{class: newCharClass(body)}, nil
			}
		}
	}
	g, err := TranslatePattern(p)
	if err != nil {
		return nil, err
	}
	return regexp.MustCompile(g), nil
}
