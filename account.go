package sillage

import (
	"strings"
	"time"
)

// Account holds credentials. It is instance-wide: the person rows of one or
// several establishments point to it, and the establishment is chosen at
// sign-in. Operators have an account and no person.
type Account struct {
	ID                 int64
	Login              string
	PasswordHash       string // Argon2id; never shown, never logged
	MustChangePassword bool   // a one-time password was set
	Operator           bool
	PrivacyVersion     int // version of the privacy notice acknowledged (0: none)
	PrivacyAckedAt     time.Time
	CreatedAt          time.Time
	PasswordChangedAt  time.Time
	LastSignInAt       time.Time
	ClosedAt           time.Time // the account's person was deleted
	ClosedReason       string    // ClosedTransferred, ClosedPurged, ClosedDeleted
	ClosedTo           UAI       // ClosedTransferred: the establishment that holds the record now
}

// Why an account was closed.
const (
	ClosedTransferred = "transferred" // the student's record moved to another establishment
	ClosedPurged      = "purged"      // deleted after the retention period
	ClosedDeleted     = "deleted"     // deleted by an administrator or the annual retention
)

// NormalizeLogin lowercases and trims a login.
func NormalizeLogin(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// AccountMembership is one establishment where an account has a person.
type AccountMembership struct {
	UAI      UAI
	Name     string // establishment name
	PersonID int64
	Role     Role
	Active   bool
	Person   Person
}

// CredentialList is a generated list of one-time passwords.
type CredentialList struct {
	UAI          UAI
	ID           int64
	SchoolYear   SchoolYear
	DivisionCode string // "" for the staff list
	Title        string
	Accounts     int
	PDFSHA256    string
	PDFSize      int64
	CSVSHA256    string
	CSVSize      int64
	CreatedAt    time.Time
	CreatedBy    int64
}

// Who is the person reading or writing records and reports, in their
// establishment, as the capability packages (records, livret) know them:
// not the web's principal, so that a rule holds the same for the pages,
// the API and any other caller.
type Who struct {
	UAI      UAI
	PersonID int64
	Role     Role
}

// Staff reports whether who sees every student, division and report of
// the establishment: the director and the administrators.
func (w Who) Staff() bool {
	return w.Role == RoleDirector || w.Role == RoleAdministrator
}

// MayEdit reports whether who changes an evaluation: its author and the
// administrators; the other teachers of the division read it.
func (w Who) MayEdit(e Evaluation) bool {
	return w.Role == RoleAdministrator || w.PersonID == e.AuthorID
}
