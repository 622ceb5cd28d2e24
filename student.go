package sillage

import (
	"strings"
	"time"
	"unicode"
)

// Role is what a person is in an establishment. The operator is not a role
// of an establishment: it is a property of an instance account.
type Role string

const (
	RoleStudent       Role = "student"
	RoleParent        Role = "parent"
	RoleTeacher       Role = "teacher"
	RoleDirector      Role = "director"
	RoleAdministrator Role = "administrator"
	// RoleStaff is imported non-teaching staff (education, documentation,
	// administration): an account with no access to students' records.
	RoleStaff Role = "staff"
	// RoleSystem is the generic author "ancien établissement" of the
	// evaluations a transfer brings in. It has no account.
	RoleSystem Role = "system"
)

// Roles lists the roles of an establishment that sign in, in display order.
var Roles = []Role{RoleStudent, RoleParent, RoleTeacher, RoleDirector, RoleAdministrator, RoleStaff}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	switch r {
	case RoleStudent, RoleParent, RoleTeacher, RoleDirector, RoleAdministrator, RoleStaff:
		return r, nil
	}
	return "", Errorf(KindInvalid, "rôle %q inconnu", s)
}

// Label is the French name of the role.
func (r Role) Label() string {
	switch r {
	case RoleStudent:
		return "Élève"
	case RoleParent:
		return "Responsable légal"
	case RoleTeacher:
		return "Enseignant"
	case RoleDirector:
		return "Chef d'établissement"
	case RoleAdministrator:
		return "Administrateur"
	case RoleStaff:
		return "Personnel"
	case RoleSystem:
		return "Système"
	}
	return string(r)
}

// Source says where a person comes from.
type Source string

const (
	SourceSIECLE Source = "siecle"
	SourceSTS    Source = "sts"
	SourceAAF    Source = "aaf"
	SourceONDE   Source = "onde"
	SourceManual Source = "manual"
	SourceSystem Source = "system"
	SourceDemo   Source = "demo"
)

// Person is anyone an establishment knows: a student, a parent, a member of
// staff. Each establishment has its own rows; one account may be linked to
// persons of several establishments.
type Person struct {
	UAI       UAI
	ID        int64
	Role      Role
	AccountID int64 // 0: no account
	Civility  string
	LastName  string
	FirstName string
	Email     string
	BirthDate Date
	Source    Source
	// External ids, each unique within the establishment and role: SIECLE
	// ELEVE_ID (students) or PERSONNE_ID (parents), the AAF join id, the
	// STS-web INDIVIDU id (teachers; LSU's id-sts).
	SIECLEID      string
	AAFID         string
	STSID         string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeactivatedAt time.Time // zero: active
	LastSignInAt  time.Time
}

// Active reports whether the person is active.
func (p Person) Active() bool { return p.DeactivatedAt.IsZero() }

// FullName is "NOM Prénom", as French school software lists people.
func (p Person) FullName() string {
	return strings.TrimSpace(strings.ToUpper(p.LastName) + " " + p.FirstName)
}

// Initials masks a departed student's name ("J. D."), transfer.md 7.
func (p Person) Initials() string { return Initials(p.FirstName, p.LastName) }

// Initials returns "P. N." from a first and last name.
func Initials(first, last string) string {
	var b strings.Builder
	for _, s := range []string{first, last} {
		for _, r := range strings.TrimSpace(s) {
			if unicode.IsLetter(r) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteRune(unicode.ToUpper(r))
				b.WriteByte('.')
				break
			}
		}
	}
	return b.String()
}

// TransferStatus is a student's state in the transfer engine (transfer.md 3).
type TransferStatus string

const (
	// TransferNew: recently created, can still receive a record.
	TransferNew TransferStatus = "new"
	// TransferSettled: here for more than the window; will not receive.
	TransferSettled TransferStatus = "settled"
	// TransferTransferred: received a record (see TransferredAt).
	TransferTransferred TransferStatus = "transferred"
	// TransferDiplomaChanged: prepares another diploma than at the origin.
	TransferDiplomaChanged TransferStatus = "diploma_changed"
)

// Label is the French name of the status.
func (s TransferStatus) Label() string {
	switch s {
	case TransferNew:
		return "nouvel élève"
	case TransferSettled:
		return "installé"
	case TransferTransferred:
		return "transféré"
	case TransferDiplomaChanged:
		return "changement de diplôme"
	}
	return string(s)
}

// INEStatus says why a student has no unqid.
type INEStatus string

const (
	INEValid   INEStatus = ""        // an unqid was computed
	INEMissing INEStatus = "missing" // no INE in the file
	INEInvalid INEStatus = "invalid" // malformed INE or wrong check letter
)

// Label is the French explanation shown to administrators.
func (s INEStatus) Label() string {
	switch s {
	case INEMissing:
		return "INE absent"
	case INEInvalid:
		return "INE mal formé"
	}
	return ""
}

// Student is a person with the student role and the fields of the transfer
// engine (transfer.md 3). The INE is never held: only its keyed hash.
type Student struct {
	Person
	Unqid          string    // "" when the INE is missing or invalid
	INEStatus      INEStatus // why Unqid is empty
	PreviousUAI    UAI       // SIECLE SCOLARITE_AN_DERNIER/CODE_RNE
	PreviousName   string    // DENOM_COMPL of that school
	EnteredAt      time.Time // when this establishment's import created the student
	SchoolEntry    Date      // SIECLE DATE_ENTREE
	ExitDate       Date      // SIECLE DATE_SORTIE
	ExitReason     string    // CODE_MOTIF_SORTIE
	TransferStatus TransferStatus
	TransferredAt  time.Time
	MEF            string // CODE_MEF
	Diploma        string // DiplomaOfMEF(MEF), or the referential's diploma
	DivisionID     int64  // 0: none
	DivisionCode   string // read-only, joined
}

// DiplomaOfMEF returns the part of an 11-character MEF code that names the
// diploma: the training scheme (3 characters) and the speciality (5). The
// last three characters (duration, year within the cycle, status) change
// from one year to the next while the student prepares the same diploma,
// so two students "prepare the same diploma" when these 8 characters match.
func DiplomaOfMEF(mef string) string {
	mef = strings.TrimSpace(mef)
	if len(mef) < 8 {
		return mef
	}
	return mef[:8]
}

// Division is a class of a school year, e.g. "2GA2".
type Division struct {
	UAI        UAI
	ID         int64
	SchoolYear SchoolYear
	Code       string // compared exactly: "3 A" and "3A" differ
	Label      string
	MEFs       []string
	FromSTS    bool // listed in the latest STS-web import
}

// GroupKind says where a group comes from.
type GroupKind string

const (
	GroupOption    GroupKind = "option"    // SIECLE/STS option group of year N
	GroupFree      GroupKind = "free"      // created in Sillage by a teacher or administrator
	GroupTimetable GroupKind = "timetable" // from a timetable import; always deleted at the changeover
)

// GroupLifetime says whether a group outlives the school year.
type GroupLifetime string

const (
	LifetimeYear      GroupLifetime = "year"
	LifetimePermanent GroupLifetime = "permanent"
)

// Group is an option, free or timetable group.
type Group struct {
	UAI        UAI
	ID         int64
	SchoolYear SchoolYear
	Code       string
	Label      string
	Kind       GroupKind
	Lifetime   GroupLifetime
	CreatedAt  time.Time
	Managers   []int64
}

// Guardianship links a parent to a student.
type Guardianship struct {
	UAI       UAI
	ParentID  int64
	StudentID int64
	Legal     bool   // legal guardian (RESP_LEGAL / NIVEAU_RESPONSABILITE = 1)
	Relation  string // CODE_PARENTE or AAF lien, as received
	// Rank is 1 for the student's first legal guardian, 2 for the second
	// (LSU legal1/legal2), 0 when not known or not legal.
	Rank int
}

// LegalRankLabel names a legal guardian's rank as pages show it.
func LegalRankLabel(rank int) string {
	switch rank {
	case 1:
		return "Responsable légal 1"
	case 2:
		return "Responsable légal 2"
	}
	return "Responsable légal"
}

// Service is a teacher teaching a subject in a division or group (STS-web).
type Service struct {
	UAI         UAI
	TeacherID   int64
	DivisionID  int64 // 0 when the service is for a group
	GroupID     int64
	SubjectCode string
	Modality    string // CODE_MOD_COURS
}

// MEF is a training programme code with its labels (Nomenclature).
type MEF struct {
	Code      string
	Formation string
	Label     string
}

// Subject is a SIECLE subject (Nomenclature / STS-web).
type Subject struct {
	Code         string // CODE_MATIERE, 6 characters
	ShortLabel   string
	LongLabel    string
	NationalCode string // CODE_MATIERE_NATIONALE, LSU code-national
}

// PersonFilter selects persons.
type PersonFilter struct {
	Role       Role // "" = every role
	ActiveOnly bool
	IDs        []int64 // when set, only these
}

// StudentFilter selects students.
type StudentFilter struct {
	DivisionID     int64 // 0 = any
	ActiveOnly     bool
	InactiveOnly   bool
	TransferStatus TransferStatus // "" = any
	WithoutUnqid   bool           // students without (valid) INE
	IDs            []int64
}

// GroupMember is a person in a group.
type GroupMember struct {
	GroupID  int64
	PersonID int64
}

// PersonUnqids is the set of unqid versions of one student.
type PersonUnqids struct {
	PersonID int64
	Unqids   []string
}

// Programme is a subject taught in a MEF with a modality of election (Nomenclature).
type Programme struct {
	MEF, SubjectCode, Modality, Hours string
}
