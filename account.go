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
}

// Why an account was closed.
const (
	ClosedTransferred = "transferred" // the student's record moved to another establishment
	ClosedPurged      = "purged"      // deleted after the retention period
	ClosedDeleted     = "deleted"     // deleted by an administrator or the annual retention
)

// NormalizeLogin lowercases and trims a login.
func NormalizeLogin(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
