// Package federation is the protocol between two Sillage instances
// (docs/federation.md, « Protocole »): a student who arrives in an
// establishment of this instance (the destination) from an establishment
// served by a peer instance (the origin) gets their record from it, signed
// end to end, with the guarantees of a transfer inside the instance
// (transfer.md): both establishments opted in, a student deactivated less
// than 6 months ago, the same diploma, nothing lost, nothing duplicated.
//
// The destination asks (a signed request naming the student by their
// federation hash only); the origin answers with a signed package (the
// records JSON of the student and their files, in a signed ZIP, with the
// manifest digest) or a signed answer saying why not yet or why never; the
// destination verifies the package and imports it in one transaction, then
// sends a signed receipt carrying the digest; the origin deletes its copy
// only on that receipt, in one transaction, and acknowledges it. Every
// step is recorded (migration 0029), so a lost answer, receipt or
// acknowledgement is asked again by the next run; a message seen twice,
// altered, unsigned, from an undeclared instance, expired or dated beyond
// the allowed clock skew is refused, and the refusal audited.
package federation

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/sillage/sillage"
)

// Purposes of the signed messages (signing.Envelope.Purpose).
const (
	PurposeRequest = "federation-request"
	PurposeAnswer  = "federation-answer"
	PurposeReceipt = "federation-receipt"
	PurposeAck     = "federation-ack"
)

// Paths of the origin's endpoints, on the instance's public address.
const (
	PathRequest = "/federation/demande"
	PathReceipt = "/federation/accuse"
)

// Names of the files of a package (besides the signed manifest).
const (
	AnswerFile  = "reponse.json"
	RecordsFile = "livret.json"
	filesDir    = "fichiers/"
)

// Request is what the destination asks: the record of the student whose
// federation hash is FedHash, for the new student of DestUAI.
type Request struct {
	Audience      string      `json:"audience"`          // the origin instance's id: no other accepts it
	RequestID     string      `json:"request_id"`        // stable across the retries of one request
	Nonce         string      `json:"nonce"`             // new at each sending
	FedHashes     []string    `json:"federation_hashes"` // every version the destination holds
	DestUAI       sillage.UAI `json:"dest_uai"`
	DestReference string      `json:"dest_reference"` // the destination's transfer declaration (CNIL) reference
	Diploma       string      `json:"diploma"`        // what the student prepares at the destination
	PreviousUAI   sillage.UAI `json:"previous_uai,omitempty"`
	IssuedAt      time.Time   `json:"issued_at"`
	ExpiresAt     time.Time   `json:"expires_at"`
}

// Answer statuses.
const (
	StatusPackage    = "package"    // the record follows (in the signed ZIP)
	StatusPending    = "pending"    // nothing to send yet: ask again later
	StatusImpossible = "impossible" // a condition fails: Reason says which
)

// Answer is the origin's reply to one sending of a request: signed as an
// envelope (pending, impossible) or as reponse.json of the signed package.
type Answer struct {
	RequestID string      `json:"request_id"`
	Nonce     string      `json:"nonce"` // the request's: binds the answer to that sending
	Status    string      `json:"status"`
	Reason    string      `json:"reason,omitempty"` // a reason code (transfer.Reason or Reason*)
	Final     bool        `json:"final,omitempty"`
	OriginUAI sillage.UAI `json:"origin_uai,omitempty"`
	DestUAI   sillage.UAI `json:"dest_uai"`
	Digest    string      `json:"digest,omitempty"` // manifest digest of the record (package)
	Counts    string      `json:"counts,omitempty"` // JSON of what the package holds
	IssuedAt  time.Time   `json:"issued_at"`
}

// Receipt is the destination's acknowledgement of an imported package.
type Receipt struct {
	Audience  string      `json:"audience"` // the origin instance's id: no other accepts it
	RequestID string      `json:"request_id"`
	Nonce     string      `json:"nonce"`
	Digest    string      `json:"digest"`
	DestUAI   sillage.UAI `json:"dest_uai"`
	OriginUAI sillage.UAI `json:"origin_uai"`
	IssuedAt  time.Time   `json:"issued_at"`
	ExpiresAt time.Time   `json:"expires_at"`
}

// Ack statuses.
const (
	AckDeleted = "deleted" // the origin deleted its copy (now or before)
	AckStale   = "stale"   // the record changed at the origin since the package: ask again
)

// Ack is the origin's reply to a receipt.
type Ack struct {
	RequestID string    `json:"request_id"`
	Nonce     string    `json:"nonce"` // the receipt's
	Digest    string    `json:"digest"`
	Status    string    `json:"status"`
	IssuedAt  time.Time `json:"issued_at"`
}

// Refusal is the body of a refused message (HTTP 4xx), unsigned: it tells
// the sender why, in French, and changes nothing.
type Refusal struct {
	Error string `json:"erreur"`
}

// Reason codes of the protocol, beside transfer.Reason's.
const (
	ReasonNoRecord    = "federation_no_record"   // no departed student with this hash at the origin (yet)
	ReasonUnsupported = "federation_unsupported" // the record holds what the package cannot carry
	ReasonBusy        = "federation_busy"        // the record is being sent to another instance (until its receipt)
	ReasonRefused     = "federation_refused"     // a message was refused (signature, peer, time…)
	ReasonUnreachable = "federation_unreachable" // the peer did not answer
	ReasonImport      = "federation_import"      // the destination could not import the package
)

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
