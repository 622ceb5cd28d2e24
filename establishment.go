// Package sillage holds the domain of Sillage: establishments, people, the
// learning record, and the rules that do not depend on storage or transport.
// It imports the standard library only.
package sillage

import (
	"strings"
	"time"
)

// UAI is the national code of an establishment: 7 digits and a check letter.
type UAI string

// uaiLetters is the alphabet of UAI check letters (no I, O, Q).
const uaiLetters = "ABCDEFGHJKLMNPRSTUVWXYZ"

// UAICheckLetter returns the check letter of the 7-digit number digits.
func UAICheckLetter(digits string) (byte, error) {
	if len(digits) != 7 {
		return 0, Errorf(KindInvalid, "%q n'a pas 7 chiffres", digits)
	}
	n := 0
	for i := 0; i < 7; i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, Errorf(KindInvalid, "%q n'a pas 7 chiffres", digits)
		}
		n = n*10 + int(c-'0')
	}
	return uaiLetters[n%23], nil
}

// ParseUAI normalises (trim, upper case) and checks a UAI. A wrong check
// letter is refused with a message naming the expected letter.
func ParseUAI(s string) (UAI, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 8 {
		return "", Errorf(KindInvalid, "UAI %q invalide : 7 chiffres suivis d'une lettre de contrôle sont attendus", s)
	}
	want, err := UAICheckLetter(s[:7])
	if err != nil {
		return "", Errorf(KindInvalid, "UAI %q invalide : 7 chiffres suivis d'une lettre de contrôle sont attendus", s)
	}
	if s[7] != want {
		return "", Errorf(KindInvalid, "UAI %q invalide : la lettre de contrôle attendue est %c", s, want)
	}
	return UAI(s), nil
}

// EstablishmentKind is the kind of school.
type EstablishmentKind string

const (
	KindLP      EstablishmentKind = "lp"      // lycée professionnel
	KindLGT     EstablishmentKind = "lgt"     // lycée général et technologique
	KindCollege EstablishmentKind = "college" // collège
	KindEcole   EstablishmentKind = "ecole"   // école primaire
	// KindUnknown is an establishment whose kind no file told (an AAF
	// structure of an unrecognised type): the operator sets it, and what
	// depends on the kind (LSU) waits until then.
	KindUnknown EstablishmentKind = "unknown"
)

// EstablishmentKinds are the kinds an operator chooses from.
var EstablishmentKinds = []EstablishmentKind{KindCollege, KindEcole, KindLP, KindLGT}

// ParseEstablishmentKind checks a kind given on the command line or a form.
// "unknown" is not a choice: it is what an import leaves for the operator
// to set.
func ParseEstablishmentKind(s string) (EstablishmentKind, error) {
	switch k := EstablishmentKind(strings.ToLower(strings.TrimSpace(s))); k {
	case KindLP, KindLGT, KindCollege, KindEcole:
		return k, nil
	}
	return "", Errorf(KindInvalid, "type d'établissement %q inconnu : lp, lgt, college ou ecole", s)
}

// Label is the French name of the kind.
func (k EstablishmentKind) Label() string {
	switch k {
	case KindLP:
		return "Lycée professionnel"
	case KindLGT:
		return "Lycée général et technologique"
	case KindCollege:
		return "Collège"
	case KindEcole:
		return "École"
	case KindUnknown:
		return "Type inconnu"
	}
	return string(k)
}

// FirstDegree reports whether the establishment is a primary school (LSU 1D, ONDE).
func (k EstablishmentKind) FirstDegree() bool { return k == KindEcole }

// MaxTransferReferenceLen bounds the CNIL declaration number (transfer.md 1).
const MaxTransferReferenceLen = 64

// TransferSettings is an establishment's opt-in to the transfer of records.
type TransferSettings struct {
	Enabled   bool
	Reference string // CNIL declaration number or GDPR register reference
	ChangedAt time.Time
}

// Establishment is a sealed tenant, keyed by its UAI.
type Establishment struct {
	UAI       UAI
	Name      string
	Kind      EstablishmentKind
	Transfer  TransferSettings
	CreatedAt time.Time
}

// Validate checks the fields an administrator or an import sets.
func (e Establishment) Validate() error {
	if _, err := ParseUAI(string(e.UAI)); err != nil {
		return err
	}
	if strings.TrimSpace(e.Name) == "" {
		return Errorf(KindInvalid, "le nom de l'établissement est obligatoire")
	}
	if e.Kind == KindUnknown {
		return nil
	}
	if _, err := ParseEstablishmentKind(string(e.Kind)); err != nil {
		return err
	}
	return nil
}

// NormalizeTransferReference trims and checks the declaration reference
// needed to turn transfers on.
func NormalizeTransferReference(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(KindInvalid, "le numéro de déclaration CNIL (ou la référence du traitement au registre RGPD) est obligatoire pour activer le transfert")
	}
	if len([]rune(s)) > MaxTransferReferenceLen {
		return "", Errorf(KindInvalid, "le numéro de déclaration ne peut dépasser %d caractères", MaxTransferReferenceLen)
	}
	return s, nil
}

// EstablishmentCounts are the figures shown on the operator's first page.
type EstablishmentCounts struct {
	Students       int
	ActiveStudents int
	Teachers       int
	Parents        int
	Divisions      int
	Evaluations    int
}
