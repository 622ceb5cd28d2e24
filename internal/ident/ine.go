// Package ident handles the student's national identifier (INE) and the
// pseudonymous id derived from it (unqid).
//
// The INE is personal data that Sillage never stores, logs or prints: it is
// held in the INE type, whose every printed form is masked, and turned into a
// keyed hash (the unqid) with a secret kept outside the database. UAI codes
// are checked by the domain package (sillage.ParseUAI), not here.
package ident

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/sillage/sillage"
)

// INE holds a student's national identifier. Its printed forms (fmt verbs,
// slog, text and JSON encodings) never show the value, so that a record
// printed by mistake cannot leak it; Value returns it for the hashing code.
//
// The value is held XORed with a mask drawn at start. fmt does not always
// call the masking methods: it prints raw fields when it reports a wrong
// verb (a slice of records printed with %s) and it cannot call methods on
// unexported fields. In those cases it shows noise, not the INE. INEs stay
// comparable with ==.
type INE struct{ sealed string }

// sealMask is drawn once per process.
var sealMask = func() (m [64]byte) {
	if _, err := rand.Read(m[:]); err != nil {
		panic("ident: no randomness for the INE mask: " + err.Error())
	}
	return m
}()

// seal and unseal are the same XOR; two names say which way data goes.
func seal(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] ^= sealMask[i%len(sealMask)]
	}
	return string(b)
}

func unseal(s string) string { return seal(s) }

const (
	maskedINE = "[INE masqué]"
	absentINE = "[INE absent]"
)

// RawINE wraps s as found in a file, without any check: an import keeps the
// raw value and checks it later with ParseINE or INE.Check.
func RawINE(s string) INE { return INE{sealed: seal(s)} }

// Value returns the identifier itself. Only the code that hashes it or
// checks it may call this; never print or store the result.
func (i INE) Value() string { return unseal(i.sealed) }

// IsZero reports whether no INE is held (empty or blank).
func (i INE) IsZero() bool { return strings.TrimSpace(i.Value()) == "" }

// Check normalises and checks the held value (see ParseINE).
func (i INE) Check() (INE, Form, error) { return ParseINE(i.Value()) }

// String returns a mask, never the value.
func (i INE) String() string {
	if i.IsZero() {
		return absentINE
	}
	return maskedINE
}

// GoString returns a mask, never the value (%#v).
func (i INE) GoString() string { return "ident.INE(" + i.String() + ")" }

// Format masks the value for every verb, including %d, %x and %q, which
// would otherwise bypass String.
func (i INE) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, i.GoString())
		return
	}
	io.WriteString(f, i.String())
}

// LogValue masks the value in structured logs.
func (i INE) LogValue() slog.Value { return slog.StringValue(i.String()) }

// MarshalText masks the value in JSON, XML and other text encodings: an INE
// is never written out in clear by Sillage.
func (i INE) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// Form is the national form an INE was recognised as.
type Form int

const (
	FormNone        Form = iota // not an INE
	FormBEA                     // ten digits and a check letter (Base élèves académique, before 2018)
	FormRNIE                    // nine digits and two letters (Répertoire national des identifiants élèves, since 2018)
	FormApprentice              // year, "A", five digits, a letter (apprentices, SIFA)
	FormProvisional             // académie and year, "D", five characters, a letter (provisional number)
)

// String is the French name of the form, shown in import reports.
func (f Form) String() string {
	switch f {
	case FormBEA:
		return "INE BEA"
	case FormRNIE:
		return "INE RNIE"
	case FormApprentice:
		return "INE apprenti"
	case FormProvisional:
		return "INE provisoire"
	}
	return "aucun INE"
}

// The errors of CheckINE. They never contain the INE: a report names the
// student by name and row instead.
var (
	ErrNoINE          = sillage.Errorf(sillage.KindInvalid, "INE absent")
	ErrMalformedINE   = sillage.Errorf(sillage.KindInvalid, "INE mal formé : 11 caractères attendus (10 chiffres et une lettre, 9 chiffres et 2 lettres, ou la forme apprenti ou provisoire)")
	ErrINECheckLetter = sillage.Errorf(sillage.KindInvalid, "lettre de contrôle de l'INE incorrecte")
)

// checkLetters is the alphabet of the BEA check letter (no I, O, Q), the
// same as the UAI's.
const checkLetters = "ABCDEFGHJKLMNPRSTUVWXYZ"

// NormalizeINE trims s and upper-cases it: SIECLE, AAF and ONDE files all
// write INEs in upper case, but hand-made files do not.
func NormalizeINE(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// CheckINE normalises s and recognises its national form by shape.
//
// The forms accepted, all 11 characters (imports.md §5):
//
//	BEA          ^[0-9]{10}[A-Z]$       check letter verified: checkLetters[first 10 digits mod 23]
//	RNIE         ^[0-9]{9}[A-Z]{2}$     shape only: the RNIE key algorithm is not public
//	apprentice   ^[0-9]{4}A[0-9]{5}[A-Z]$   shape only; the pattern used by the apprentices'
//	             national dashboard (mission-apprentissage/flux-retour-cfas,
//	             INE_APPRENTISSAGE_REGEX_PATTERN)
//	provisional  ^[0-9]{4}D[0-9A-Z]{5}[A-Z]$   shape only; académie (2) and year (2), then the
//	             number prefixed with "D" when provisional (the AABBNNNNNNM layout described
//	             in BohwaZ's public check_ine, gist bohwaz/e14df1e88e9e06aa3857e8b6f1181bf9)
//
// The three forms cannot overlap: BEA has a digit in 10th position where
// RNIE has a letter, and the apprentice and provisional forms have a letter
// in 5th position.
func CheckINE(s string) (Form, error) {
	s = NormalizeINE(s)
	switch {
	case s == "":
		return FormNone, ErrNoINE
	case len(s) != 11:
		return FormNone, ErrMalformedINE
	case allDigits(s[:10]) && isUpper(s[10]):
		if s[10] != beaCheckLetter(s[:10]) {
			return FormNone, ErrINECheckLetter
		}
		return FormBEA, nil
	case allDigits(s[:9]) && isUpper(s[9]) && isUpper(s[10]):
		return FormRNIE, nil
	case allDigits(s[:4]) && s[4] == 'A' && allDigits(s[5:10]) && isUpper(s[10]):
		return FormApprentice, nil
	case allDigits(s[:4]) && s[4] == 'D' && allAlnum(s[5:10]) && isUpper(s[10]):
		return FormProvisional, nil
	}
	return FormNone, ErrMalformedINE
}

// ParseINE normalises and checks s, and returns it as an INE.
func ParseINE(s string) (INE, Form, error) {
	form, err := CheckINE(s)
	if err != nil {
		return INE{}, FormNone, err
	}
	return RawINE(NormalizeINE(s)), form, nil
}

// ChooseINE picks the INE to use among the three SIECLE fields
// (formats-notes §5.2: they can disagree, and new pupils lack INE_BEA).
//
// ID_NATIONAL comes first: it is the identifier SIECLE itself presents as
// the pupil's national id (the RNIE number for pupils registered since
// 2018, the BEA number before), so it is the value other establishments'
// files carry for the same pupil, and matching across establishments needs
// the same value on both sides. INE_RNIE comes next: it is the national
// directory's id, the long-term identifier. INE_BEA comes last: it is the
// legacy number, absent for new pupils. A field that is empty or invalid is
// skipped; when none is valid the error of the first non-empty one is
// returned (ErrNoINE when all are empty).
func ChooseINE(idNational, ineRNIE, ineBEA string) (INE, Form, error) {
	var firstErr error
	for _, s := range []string{idNational, ineRNIE, ineBEA} {
		ine, form, err := ParseINE(s)
		if err == nil {
			return ine, form, nil
		}
		if firstErr == nil && NormalizeINE(s) != "" {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = ErrNoINE
	}
	return INE{}, FormNone, firstErr
}

// beaCheckLetter returns the check letter of ten digits.
func beaCheckLetter(digits string) byte {
	var n uint64
	for i := 0; i < len(digits); i++ {
		n = n*10 + uint64(digits[i]-'0')
	}
	return checkLetters[n%23]
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func allAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
