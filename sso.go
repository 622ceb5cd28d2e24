package sillage

import "time"

// SSOLink is an identity of a single sign-on provider linked to a person
// of an establishment (docs/sso.md): made at its first successful match,
// it lets later sign-ins find the person by the provider's subject.
type SSOLink struct {
	UAI        UAI
	Provider   string // the provider's id in the instance's configuration
	Subject    string // the provider's stable identifier of the user (never an INE)
	PersonID   int64
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// SSOPending is a sign-in under way, between the redirection to the
// provider and its answer; it is found by the hash of its state and used
// once.
type SSOPending struct {
	StateHash string
	Provider  string
	UAI       UAI
	Nonce     string // OpenID Connect nonce
	Verifier  string // OpenID Connect PKCE verifier
	RequestID string // SAML AuthnRequest id (InResponseTo)
	ReturnTo  string // local path to go back to
	ExpiresAt time.Time
}

// SSOSession is what single log-out keeps of a session opened through a
// provider: who (SAML NameID and its format, OpenID Connect sub), which
// provider session (SAML SessionIndex, OpenID Connect sid), and the ID
// token to send back as id_token_hint (only one that carries no INE).
type SSOSession struct {
	SessionHash   string
	Provider      string
	Subject       string
	SubjectFormat string
	SessionIndex  string
	IDToken       string
}
