package xsd

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// collapse applies whiteSpace="collapse": runs of blanks become one space,
// leading and trailing ones go.
func collapse(s string) string {
	if collapsed(s) {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, isBlank), " ")
}

// collapsed reports whether s is its own collapsed form: no tab or line
// end, and single spaces between words only.
func collapsed(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t', '\n', '\r':
			return false
		case ' ':
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		}
	}
	return true
}

func isBlank(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

var (
	ncName  = regexp.MustCompile(`^[` + strings.Replace(nameStart, ":", "", 1) + `][` + strings.Replace(nameChar, ":", "", 1) + `]*$`)
	intLex  = regexp.MustCompile(`^[+-]?[0-9]+$`)
	decLex  = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	dateLex = regexp.MustCompile(`^(-?)([0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	dtLex   = regexp.MustCompile(`^(-?)([0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
)

// value is a checked atomic value: its primitive family and canonical form,
// compared by xs:unique and by enumerations.
type value struct {
	family string // "string", "decimal", "boolean", "date", "dateTime", "list"
	canon  string
	dec    decimal // family "decimal"
}

// decimal is a lexically valid decimal in canonical parts: no sign for
// zero, no leading zero in intPart, no trailing zero in fracPart.
type decimal struct {
	neg               bool
	intPart, fracPart string
	canon             string
}

// parseDecimal splits a lexically valid decimal (see decLex).
func parseDecimal(s string) decimal {
	var d decimal
	orig := s
	switch {
	case strings.HasPrefix(s, "-"):
		d.neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	i, f, _ := strings.Cut(s, ".")
	d.intPart = strings.TrimLeft(i, "0")
	d.fracPart = strings.TrimRight(f, "0")
	if d.intPart == "" && d.fracPart == "" {
		d.neg = false
	}
	// Most values are written canonically already ("12.5", "3"): their
	// canonical form is the text itself, with no new string.
	if !d.neg && i == d.intPart && i != "" && s == orig && (f != "" && f == d.fracPart || !strings.Contains(s, ".")) {
		d.canon = s
		return d
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	if d.intPart == "" {
		b.WriteByte('0')
	} else {
		b.WriteString(d.intPart)
	}
	if d.fracPart != "" {
		b.WriteByte('.')
		b.WriteString(d.fracPart)
	}
	d.canon = b.String()
	return d
}

// digits returns the totalDigits and fractionDigits of the value.
func (d decimal) digits() (total, frac int) {
	total = len(d.intPart) + len(d.fracPart)
	if total == 0 {
		total = 1
	}
	return total, len(d.fracPart)
}

// cmp compares d with a bound: exactly with floats when both have at most
// 15 significant digits (two such decimals are distinct doubles, in the
// same order), with big.Rat otherwise.
func (d decimal) cmp(b bound) int {
	if len(d.intPart)+len(d.fracPart) <= 15 && len(b.dec.intPart)+len(b.dec.fracPart) <= 15 {
		x, _ := strconv.ParseFloat(d.canon, 64)
		y := b.f
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	x, _ := new(big.Rat).SetString(d.canon)
	return x.Cmp(b.rat)
}

func inInt32(canon string) bool {
	n, err := strconv.ParseInt(canon, 10, 64)
	return err == nil && n >= -1<<31 && n <= 1<<31-1
}

// lexical checks the (whitespace-normalised) lexical form s against the
// built-in type base and returns its value.
func lexical(base, s string) (value, error) {
	switch base {
	case "string":
		return value{family: "string", canon: s}, nil
	case "ID", "IDREF", "NCName":
		if !asciiNCName(s) && !ncName.MatchString(s) {
			return value{}, fmt.Errorf("« %s » n'est pas un nom XML valide (xs:%s)", s, base)
		}
		return value{family: "string", canon: s}, nil
	case "boolean":
		switch s {
		case "true", "1":
			return value{family: "boolean", canon: "true"}, nil
		case "false", "0":
			return value{family: "boolean", canon: "false"}, nil
		}
		return value{}, fmt.Errorf("« %s » n'est pas un booléen (true, false, 1 ou 0)", s)
	case "decimal", "integer", "int", "positiveInteger", "nonNegativeInteger":
		re := decLex
		if base != "decimal" {
			re = intLex
		}
		if !asciiNumber(s, base == "decimal") && !re.MatchString(s) {
			return value{}, fmt.Errorf("« %s » n'est pas un nombre valide (xs:%s)", s, base)
		}
		d := parseDecimal(s)
		switch {
		case base == "int" && (len(d.intPart) > 10 || !inInt32(d.canon)):
			return value{}, fmt.Errorf("« %s » est hors des bornes de xs:int", s)
		case base == "positiveInteger" && (d.neg || d.canon == "0"):
			return value{}, fmt.Errorf("« %s » n'est pas un entier strictement positif", s)
		case base == "nonNegativeInteger" && d.neg:
			return value{}, fmt.Errorf("« %s » n'est pas un entier positif ou nul", s)
		}
		return value{family: "decimal", canon: d.canon, dec: d}, nil
	case "date", "dateTime":
		re := dateLex
		if base == "dateTime" {
			re = dtLex
		}
		m := re.FindStringSubmatch(s)
		if m == nil || !validDate(m[1], m[2], m[3], m[4]) || (base == "dateTime" && !validTime(m[5], m[6], m[7], m[8])) {
			what := "une date (AAAA-MM-JJ)"
			if base == "dateTime" {
				what = "une date et heure (AAAA-MM-JJThh:mm:ss)"
			}
			return value{}, fmt.Errorf("« %s » n'est pas %s valide", s, what)
		}
		if tz := m[len(m)-1]; tz != "" && tz != "Z" {
			h, _ := strconv.Atoi(tz[1:3])
			mi, _ := strconv.Atoi(tz[4:6])
			if mi > 59 || h > 14 || (h == 14 && mi != 0) {
				return value{}, fmt.Errorf("« %s » : fuseau horaire invalide", s)
			}
		}
		return value{family: base, canon: s}, nil
	}
	return value{}, fmt.Errorf("type prédéfini xs:%s non pris en charge", base)
}

func validDate(neg, y, mo, d string) bool {
	year, err := strconv.Atoi(y)
	if err != nil || (len(y) > 4 && y[0] == '0') || year == 0 {
		return false
	}
	if neg == "-" {
		year = -year
	}
	month, _ := strconv.Atoi(mo)
	day, _ := strconv.Atoi(d)
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

// validTime accepts 00:00:00 to 23:59:59, and 24:00:00 (the end of the
// day, as libxml2 does).
func validTime(h, m, s, frac string) bool {
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	ss, _ := strconv.Atoi(s)
	if hh == 24 {
		return mm == 0 && ss == 0 && strings.Trim(frac, ".0") == ""
	}
	return hh <= 23 && mm <= 59 && ss <= 59
}

// length returns the length of a value for the length facets: characters
// for strings (and names), items for lists.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// asciiNCName is the fast path of ncName: a name of ASCII letters, digits,
// '_', '-' and '.', starting with a letter or '_'. false sends s to the
// regular expression, which decides.
func asciiNCName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// asciiNumber is the fast path of intLex and decLex: digits, with one
// '.' between digits when decimal. false sends s to the regular
// expression, which decides.
func asciiNumber(s string, decimal bool) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && decimal && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return s != ""
}
