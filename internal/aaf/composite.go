package aaf

import (
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// SplitComposite splits a "$"-separated AAF value into its parts. It fails
// unless there are between min and max parts; the result always has max
// parts, the missing trailing ones empty. Parts are not trimmed: codes such
// as "1TES 2" hold spaces that must be kept.
func SplitComposite(value string, min, max int) ([]string, error) {
	n := strings.Count(value, "$") + 1
	if n < min || n > max {
		want := "entre " + strconv.Itoa(min) + " et " + strconv.Itoa(max)
		if min == max {
			want = strconv.Itoa(min)
		}
		return nil, sillage.Errorf(sillage.KindInvalid, "valeur composite %q : %d parties séparées par « $ » au lieu de %s", value, n, want)
	}
	parts := make([]string, max)
	copy(parts, strings.SplitN(value, "$", max))
	return parts, nil
}

// JoinComposite is the inverse of SplitComposite: it joins parts with "$",
// dropping trailing empty parts beyond min.
func JoinComposite(min int, parts ...string) string {
	n := len(parts)
	for n > min && parts[n-1] == "" {
		n--
	}
	return strings.Join(parts[:n], "$")
}

// Membership is a class or group in a structure: "<structure>$<code>"
// (2nd degree), or the five parts of the 1st degree, of which the 4th is
// the code and the 5th the label (entcore, StudentImportProcessing1d).
type Membership struct {
	StructureID string // ENTStructureJointure of the structure
	Code        string // the class or group code, e.g. "1TES 2"
	Label       string // 1st degree only
}

// ParseMembership decodes a class or group value.
func ParseMembership(v string) (Membership, error) {
	n := strings.Count(v, "$") + 1
	var m Membership
	switch n {
	case 2:
		m.StructureID, m.Code, _ = strings.Cut(v, "$")
	case 5:
		p := strings.Split(v, "$")
		m = Membership{StructureID: p[0], Code: p[3], Label: p[4]}
	default:
		return Membership{}, sillage.Errorf(sillage.KindInvalid, "classe ou groupe %q : « structure$code » attendu", v)
	}
	if m.StructureID == "" || m.Code == "" {
		return Membership{}, sillage.Errorf(sillage.KindInvalid, "classe ou groupe %q : structure ou code vide", v)
	}
	return m, nil
}

func (m Membership) composite() string {
	if m.Label != "" {
		return JoinComposite(5, m.StructureID, "", "", m.Code, m.Label)
	}
	return JoinComposite(2, m.StructureID, m.Code)
}

// ClassDate is a student's date of entry into, or exit from, a class:
// "<structure>$<dd/mm/yyyy>$<class>".
type ClassDate struct {
	StructureID string
	Date        time.Time
	Class       string
}

// ParseClassDate decodes ENTEleveDateEntreeClasses / ENTEleveDateSortieClasses.
func ParseClassDate(v string) (ClassDate, error) {
	p, err := SplitComposite(v, 3, 3)
	if err != nil {
		return ClassDate{}, err
	}
	d, err := ParseDate(p[1])
	if err != nil {
		return ClassDate{}, err
	}
	if p[0] == "" || p[2] == "" || d.IsZero() {
		return ClassDate{}, sillage.Errorf(sillage.KindInvalid, "date de classe %q : « structure$jj/mm/aaaa$classe » attendu", v)
	}
	return ClassDate{StructureID: p[0], Date: d, Class: p[2]}, nil
}

func (c ClassDate) composite() string {
	return JoinComposite(3, c.StructureID, FormatDate(c.Date), c.Class)
}

// ParseDate reads a date written dd/mm/yyyy (the AAF's form) or
// yyyy-mm-dd. An empty string is the zero time.
func ParseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"02/01/2006", "2006-01-02"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d, nil
		}
	}
	return time.Time{}, sillage.Errorf(sillage.KindInvalid, "date %q invalide : jj/mm/aaaa attendu", s)
}

// FormatDate writes a date as the AAF does, dd/mm/yyyy ("" for the zero time).
func FormatDate(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return d.Format("02/01/2006")
}

// LinkKind is what a relative is to the student.
type LinkKind int

const (
	LinkUnknown LinkKind = iota
	LinkFather
	LinkMother
	LinkGuardian
	LinkFamily
	LinkSocialServices // ASE, aide sociale à l'enfance
	LinkOther
	LinkSelf // the student him- or herself
	LinkSibling
	LinkAscendant
	LinkEducator
	LinkFosterCarer
	LinkChildminder
)

// linkCodes maps both the old (1–7) and the new (10–90) SIECLE codes.
var linkCodes = map[string]LinkKind{
	"1": LinkFather, "2": LinkMother, "3": LinkGuardian, "4": LinkFamily, "5": LinkSocialServices, "6": LinkOther, "7": LinkSelf,
	"20": LinkFather, "10": LinkMother, "50": LinkGuardian, "39": LinkFamily, "51": LinkSocialServices, "90": LinkOther, "70": LinkSelf,
	"37": LinkSibling, "38": LinkAscendant, "41": LinkEducator, "42": LinkFosterCarer, "43": LinkChildminder,
}

// String is the French label of the link.
func (k LinkKind) String() string {
	switch k {
	case LinkFather:
		return "père"
	case LinkMother:
		return "mère"
	case LinkGuardian:
		return "tuteur"
	case LinkFamily:
		return "membre de la famille"
	case LinkSocialServices:
		return "aide sociale à l'enfance"
	case LinkOther:
		return "autre lien"
	case LinkSelf:
		return "l'élève lui-même"
	case LinkSibling:
		return "fratrie"
	case LinkAscendant:
		return "ascendant"
	case LinkEducator:
		return "éducateur"
	case LinkFosterCarer:
		return "assistant familial"
	case LinkChildminder:
		return "garde d'enfant"
	}
	return "lien inconnu"
}

// Responsibility is field 3 of ENTElevePersRelEleve.
type Responsibility int

const (
	RespNone     Responsibility = 0 // no responsibility
	RespLegal    Responsibility = 1 // responsable légal
	RespInCharge Responsibility = 2 // personne en charge
	RespContact  Responsibility = 3 // contact only (GLC)
)

// RelativeLink decodes one ENTElevePersRelEleve value,
// "<relative>$<lien>$<financier>$<légal>$<contact>$<paiement>", e.g.
// "2867253$2$1$1$0$0" (aaf-notes §1.3, cross-checked with entcore's
// AAFUtil.siecleConverter and GLC's enums).
type RelativeLink struct {
	RelativeID string         // ENTPersonJointure of the PersRelEleve
	LinkCode   string         // old (1–7) or new (10–90) code, as written
	Financial  bool           // responsable financier
	Legal      Responsibility // responsable légal, en charge, or none
	Contact    bool           // personne à contacter
	Payment    bool           // pays the school fees
}

// Link returns the kind of the link code (LinkUnknown for an unlisted code).
func (l RelativeLink) Link() LinkKind { return linkCodes[l.LinkCode] }

// ParseRelativeLink decodes one ENTElevePersRelEleve value. The last two
// flags may be missing (older files); a flag is "0", "1" or empty.
func ParseRelativeLink(v string) (RelativeLink, error) {
	p, err := SplitComposite(v, 4, 6)
	if err != nil {
		return RelativeLink{}, err
	}
	if p[0] == "" {
		return RelativeLink{}, sillage.Errorf(sillage.KindInvalid, "lien de responsable %q : identifiant du responsable vide", v)
	}
	l := RelativeLink{RelativeID: p[0], LinkCode: p[1]}
	flags := []*bool{&l.Financial, nil, &l.Contact, &l.Payment}
	for i, f := range flags {
		s := p[2+i]
		if f == nil {
			switch s {
			case "", "0":
				l.Legal = RespNone
			case "1":
				l.Legal = RespLegal
			case "2":
				l.Legal = RespInCharge
			case "3":
				l.Legal = RespContact
			default:
				return RelativeLink{}, sillage.Errorf(sillage.KindInvalid, "lien de responsable %q : responsabilité légale %q inconnue (0, 1, 2 ou 3)", v, s)
			}
			continue
		}
		switch s {
		case "", "0":
		case "1":
			*f = true
		default:
			return RelativeLink{}, sillage.Errorf(sillage.KindInvalid, "lien de responsable %q : indicateur %q au lieu de 0 ou 1", v, s)
		}
	}
	return l, nil
}

func (l RelativeLink) composite() string {
	return strings.Join([]string{l.RelativeID, l.LinkCode, bit(l.Financial), strconv.Itoa(int(l.Legal)), bit(l.Contact), bit(l.Payment)}, "$")
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Function is one ENTPersonFonctions value of a staff member:
// "<structure>$<code>$<label>$<discipline code>$<discipline label>", e.g.
// "43$DIR$DIRECTION$D0011$CHEF D'ETABLISSEMENT ADJOINT".
type Function struct {
	StructureID     string
	Code            string // ENS (teaching), DIR (direction), EDU, DOC, …
	Label           string
	DisciplineCode  string
	DisciplineLabel string
}

// ParseFunction decodes an ENTPersonFonctions value.
func ParseFunction(v string) (Function, error) {
	p, err := SplitComposite(v, 2, 5)
	if err != nil {
		return Function{}, err
	}
	if p[0] == "" || p[1] == "" {
		return Function{}, sillage.Errorf(sillage.KindInvalid, "fonction %q : structure ou code de fonction vide", v)
	}
	return Function{StructureID: p[0], Code: p[1], Label: p[2], DisciplineCode: p[3], DisciplineLabel: p[4]}, nil
}

func (f Function) composite() string {
	return JoinComposite(2, f.StructureID, f.Code, f.Label, f.DisciplineCode, f.DisciplineLabel)
}

// Teaching is a class or group a teacher teaches, with the subject:
// "<structure>$<class or group>$<subject code>" (ENTAuxEnsClassesMatieres,
// ENTAuxEnsGroupesMatieres). Some files leave the subject out.
type Teaching struct {
	StructureID string
	Code        string // class or group code
	SubjectCode string
}

// ParseTeaching decodes an ENTAuxEnsClassesMatieres or ENTAuxEnsGroupesMatieres value.
func ParseTeaching(v string) (Teaching, error) {
	p, err := SplitComposite(v, 2, 3)
	if err != nil {
		return Teaching{}, err
	}
	if p[0] == "" || p[1] == "" {
		return Teaching{}, sillage.Errorf(sillage.KindInvalid, "service %q : structure ou classe vide", v)
	}
	return Teaching{StructureID: p[0], Code: p[1], SubjectCode: p[2]}, nil
}

func (t Teaching) composite() string {
	return JoinComposite(2, t.StructureID, t.Code, t.SubjectCode)
}

// StaffMEF is a MEF a staff member teaches in: "<structure>$<MEF>$<label>".
type StaffMEF struct {
	StructureID string
	MEF         string
	Label       string
}

// ParseStaffMEF decodes an ENTAuxEnsMEF value.
func ParseStaffMEF(v string) (StaffMEF, error) {
	p, err := SplitComposite(v, 2, 3)
	if err != nil {
		return StaffMEF{}, err
	}
	if p[0] == "" || p[1] == "" {
		return StaffMEF{}, sillage.Errorf(sillage.KindInvalid, "MEF %q : structure ou code MEF vide", v)
	}
	return StaffMEF{StructureID: p[0], MEF: p[1], Label: p[2]}, nil
}

func (m StaffMEF) composite() string {
	return JoinComposite(2, m.StructureID, m.MEF, m.Label)
}
