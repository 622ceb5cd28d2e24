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
	if !strings.ContainsAny(s, " \t\n\r") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, isBlank), " ")
}

func isBlank(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

var (
	ncName   = regexp.MustCompile(`^[` + strings.Replace(nameStart, ":", "", 1) + `][` + strings.Replace(nameChar, ":", "", 1) + `]*$`)
	intLex   = regexp.MustCompile(`^[+-]?[0-9]+$`)
	decLex   = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	dateLex  = regexp.MustCompile(`^(-?)([0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	dtLex    = regexp.MustCompile(`^(-?)([0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	minInt32 = big.NewRat(-1<<31, 1)
	maxInt32 = big.NewRat(1<<31-1, 1)
)

// value is a checked atomic value: its primitive family and canonical form,
// compared by xs:unique and by enumerations.
type value struct {
	family string // "string", "decimal", "boolean", "date", "dateTime"
	canon  string
	num    *big.Rat
}

// lexical checks the (whitespace-normalised) lexical form s against the
// built-in type base and returns its value.
func lexical(base, s string) (value, error) {
	switch base {
	case "string":
		return value{family: "string", canon: s}, nil
	case "ID", "IDREF", "NCName":
		if !ncName.MatchString(s) {
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
		if !re.MatchString(s) {
			return value{}, fmt.Errorf("« %s » n'est pas un nombre valide (xs:%s)", s, base)
		}
		t := strings.TrimPrefix(s, "+")
		if strings.HasSuffix(t, ".") {
			t += "0"
		}
		if strings.HasPrefix(t, ".") || strings.HasPrefix(t, "-.") {
			t = strings.Replace(t, ".", "0.", 1)
		}
		n, ok := new(big.Rat).SetString(t)
		if !ok {
			return value{}, fmt.Errorf("« %s » n'est pas un nombre valide (xs:%s)", s, base)
		}
		switch {
		case base == "int" && (n.Cmp(minInt32) < 0 || n.Cmp(maxInt32) > 0):
			return value{}, fmt.Errorf("« %s » est hors des bornes de xs:int", s)
		case base == "positiveInteger" && n.Sign() <= 0:
			return value{}, fmt.Errorf("« %s » n'est pas un entier strictement positif", s)
		case base == "nonNegativeInteger" && n.Sign() < 0:
			return value{}, fmt.Errorf("« %s » n'est pas un entier positif ou nul", s)
		}
		return value{family: "decimal", canon: n.RatString(), num: n}, nil
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

// digits returns the total and fraction digits of a decimal's canonical
// value.
func digits(n *big.Rat) (total, frac int) {
	s := new(big.Rat).Abs(n).FloatString(40)
	intPart, fracPart, _ := strings.Cut(s, ".")
	fracPart = strings.TrimRight(fracPart, "0")
	intPart = strings.TrimLeft(intPart, "0")
	total = len(intPart) + len(fracPart)
	if total == 0 {
		total = 1
	}
	return total, len(fracPart)
}

// length returns the length of a value for the length facets: characters
// for strings (and names), items for lists.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
