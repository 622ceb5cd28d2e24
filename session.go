package sillage

import "time"

// Session is a signed-in browser. The token itself is only in the cookie;
// the table keeps its hash, so a database dump signs nobody in.
type Session struct {
	TokenHash  string
	AccountID  int64
	UAI        UAI // the establishment chosen at sign-in ("" before choosing, and for operators)
	PersonID   int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	Flash      string
	// SSOProvider is the single sign-on provider the session was opened
	// through ("" for a password).
	SSOProvider string
}

// APIToken is a bearer token an administrator issued for the machine
// interface; it acts with the issuer's role in the issuer's establishment,
// within its scope, until it expires or is revoked.
type APIToken struct {
	UAI        UAI
	ID         int64
	TokenHash  string
	Label      string
	PersonID   int64
	Scope      TokenScope
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: issued before expiries, CreatedAt + the configured lifetime
	LastUsedAt time.Time
	RevokedAt  time.Time
	// RevokedReason says why it was revoked ("" when revoked by hand).
	RevokedReason string
}

// TokenScope is what a token may do: read, or read and write.
type TokenScope string

// The scopes.
const (
	ScopeRead      TokenScope = "read"
	ScopeReadWrite TokenScope = "read_write"
)

// Label is the French name of the scope.
func (s TokenScope) Label() string {
	if s == ScopeReadWrite {
		return "lecture et écriture"
	}
	return "lecture seule"
}
