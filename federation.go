package sillage

import "time"

// FederationPeer is another Sillage instance the operator declared: its
// address and the fingerprint of the key expected to sign its description
// (docs/federation.md). Nothing is exchanged with an instance that is not
// a declared peer.
type FederationPeer struct {
	ID          int64
	Name        string
	BaseURL     string // https://…, without a trailing slash
	Fingerprint string // hex SHA-256 of the pinned Ed25519 public key
	AddedAt     time.Time
	// Description is the peer's last verified description, the signed
	// envelope as received (JSON); nil until one was fetched.
	Description []byte
	FetchedAt   time.Time
	// LastError says why the last fetch failed (in French); "" after a
	// success.
	LastError string
	ErrorAt   time.Time
}

// PersonFederationHashes is the set of federation hash versions of one
// student (one per version of the federation key).
type PersonFederationHashes struct {
	PersonID int64
	Hashes   []string
}
