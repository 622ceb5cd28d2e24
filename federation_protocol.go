package sillage

import "time"

// FederationState is where a federated transfer stands (docs/federation.md,
// « Protocole »). On the destination side a request goes sent → (pending |
// impossible | imported) → done; on the origin side a package goes served →
// deleted.
type FederationState string

const (
	// Destination side.
	FederationSent       FederationState = "sent"       // asked; no answer yet (the peer holds it)
	FederationPending    FederationState = "pending"    // the peer has no record to send yet
	FederationImpossible FederationState = "impossible" // the peer refused, with a reason
	FederationImported   FederationState = "imported"   // record imported here; receipt not yet acknowledged
	FederationDone       FederationState = "done"       // receipt acknowledged: the peer deleted its copy
	// Origin side.
	FederationStateServed  FederationState = "served"  // package sent; waiting for the receipt
	FederationStateDeleted FederationState = "deleted" // receipt received: the student was deleted here
)

// FederationRequest is the destination's row of one exchange: a new
// student of one of its establishments, and one peer instance asked for
// their record.
type FederationRequest struct {
	ID            string
	DestUAI       UAI
	DestStudentID int64
	Peer          string
	State         FederationState
	Reason        string // reason code of the last answer or failure
	Detail        string // French text of the last refusal or failure
	Final         bool   // impossible for good: not asked again
	OriginUAI     UAI    // from the answer
	Digest        string // manifest digest of the package imported
	Counts        string // JSON of what was imported
	Attempts      int
	NextAt        time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// FederationServed is the origin's row of one package served to a peer.
type FederationServed struct {
	Peer            string
	RequestID       string
	OriginUAI       UAI
	OriginStudentID int64
	DestUAI         UAI
	Digest          string
	Counts          string
	State           FederationState
	CreatedAt       time.Time
	UpdatedAt       time.Time
}
