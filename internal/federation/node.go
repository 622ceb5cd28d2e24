package federation

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
)

// Peer is a peer instance as the operator declared it and as its last
// verified description describes it.
type Peer struct {
	Name string // how this instance names it (the declared URL)
	URL  string // base address of its federation endpoints
	// InstanceID is its identifier (from its verified description): the
	// requests and receipts sent to it name it, so that it alone accepts
	// them.
	InstanceID string
	Keys       []signing.PublicKey
	UAIs       []sillage.UAI // the establishments it serves
	// Discoverable: it accepts requests for students whose previous
	// establishment is not one of its UAIs (asked when no peer serves the
	// previous establishment the student's file names).
	Discoverable bool
}

// Serves reports whether the peer serves uai.
func (p Peer) Serves(uai sillage.UAI) bool { return uai != "" && slices.Contains(p.UAIs, uai) }

// Peers gives the declared peers with their verified descriptions.
type Peers interface {
	Peers(ctx context.Context) ([]Peer, error)
}

// Hashes reaches the federation hashes the instance computes at import
// (a keyed hash of the INE that only the federation's instances share, one
// per version of the federation key).
type Hashes interface {
	// StudentHashes are the federation hashes of a student of uai (none
	// when the student had no valid INE at import).
	StudentHashes(ctx context.Context, tx *store.Tx, uai sillage.UAI, studentID int64) ([]string, error)
	// FindDeparted returns the index entries of the deactivated students
	// with one of hashes, newest deactivation first.
	FindDeparted(ctx context.Context, tx *store.Tx, hashes []string) ([]sillage.TransferIndexEntry, error)
}

// StoreHashes are the hashes the imports store beside the unqids
// (person_federation_hashes).
type StoreHashes struct{}

// StudentHashes implements Hashes.
func (StoreHashes) StudentHashes(ctx context.Context, tx *store.Tx, uai sillage.UAI, studentID int64) ([]string, error) {
	return tx.People().GetFederationHashes(ctx, uai, studentID)
}

// FindDeparted implements Hashes.
func (StoreHashes) FindDeparted(ctx context.Context, tx *store.Tx, hashes []string) ([]sillage.TransferIndexEntry, error) {
	return tx.CrossTenant().FindIndexByFederationHashes(ctx, hashes)
}

// StorePeers are the peers the operator declared (federation_peers), each
// as its last verified description describes it (Describe; a peer without
// one is left out: nothing is exchanged with it).
type StorePeers struct {
	Store    *store.Store
	Describe func(sillage.FederationPeer) (Peer, bool)
}

// Peers implements Peers.
func (s StorePeers) Peers(ctx context.Context) ([]Peer, error) {
	var ps []sillage.FederationPeer
	err := s.Store.Read(ctx, func(tx *store.Tx) (err error) {
		ps, err = tx.Federation().ListPeers(ctx)
		return err
	})
	var out []Peer
	for _, p := range ps {
		if d, ok := s.Describe(p); ok {
			out = append(out, d)
		}
	}
	return out, err
}

// Node is this instance in the federation: the origin's endpoints
// (Handler) and the destination's run (Run).
type Node struct {
	Store  *store.Store
	Signer *signing.Signer
	Peers  Peers
	Hashes Hashes
	Blobs  blob.Store
	// Limits of the files a package brings (the uploads' limits).
	Limits records.FileLimits
	// MaxPackage bounds the size of a package received (default: the
	// signed archives' expanded limit, 1 GiB).
	MaxPackage int64
	// Refusals bounds the audited refusals of messages that anyone could
	// have sent (nil: every one is audited).
	Refusals  Throttle
	Retention sillage.Retention
	Client    *http.Client
	Logger    *slog.Logger
	// MaxSkew bounds the difference between a message's date and this
	// instance's clock (default 5 minutes).
	MaxSkew time.Duration
	// Validity is how long a message this instance sends stays valid
	// (default 10 minutes); a message valid longer than MaxValidity
	// (default 1 hour) is refused.
	Validity, MaxValidity time.Duration
	// Retry is the delay before a request is asked again after a pending
	// or a not-final impossible answer (default 12 hours); a peer that did
	// not answer is asked again after a delay that doubles, from 5
	// minutes up to RetryMax (default 6 hours).
	Retry, RetryMax time.Duration
	// Failpoint, when set, is called at each step of both sides; an error
	// it returns stops there, as if the process died (tests only).
	Failpoint func(step string) error

	selfMu sync.Mutex
	self   string // this instance's id, read once
}

// selfID is this instance's identifier in the federation.
func (n *Node) selfID(ctx context.Context) (string, error) {
	n.selfMu.Lock()
	defer n.selfMu.Unlock()
	if n.self != "" {
		return n.self, nil
	}
	err := n.Store.Write(ctx, func(tx *store.Tx) (err error) {
		n.self, err = tx.Federation().InstanceID(ctx)
		return err
	})
	return n.self, err
}

// checkAudience refuses a message addressed to another instance: a peer
// cannot replay to a third instance what another peer sent it.
func (n *Node) checkAudience(ctx context.Context, audience string) error {
	self, err := n.selfID(ctx)
	if err != nil {
		return err
	}
	if audience != self {
		return sillage.Errorf(sillage.KindForbidden, "message destiné à une autre instance (%s) : refusé", audience)
	}
	return nil
}

// The steps of both sides, as the failpoint sees them.
const (
	// Destination.
	StepRequestSent     = "federation.dest.request_sent"     // before the request leaves
	StepAnswerReceived  = "federation.dest.answer_received"  // the answer is in, not yet verified
	StepPackageVerified = "federation.dest.package_verified" // signature and digest checked
	StepReferentials    = "federation.dest.referentials"     // in the import's transaction
	StepImported        = "federation.dest.imported"
	StepStatus          = "federation.dest.status"
	StepDestLog         = "federation.dest.log"
	StepDestCommitted   = "federation.dest.committed" // after the commit, before the receipt
	StepReceiptSent     = "federation.dest.receipt_sent"
	StepAckReceived     = "federation.dest.ack_received"
	// Origin.
	StepRequestReceived = "federation.origin.request_received"
	StepPackageBuilt    = "federation.origin.package_built"
	StepServed          = "federation.origin.served" // after the commit, before the answer leaves
	StepReceiptReceived = "federation.origin.receipt_received"
	StepOriginDeleted   = "federation.origin.deleted" // in the deletion's transaction
	StepOriginLog       = "federation.origin.log"
	StepOriginCommitted = "federation.origin.committed" // after the commit, before the acknowledgement
)

// DestSteps and OriginSteps list the failpoints of each side, in order.
var (
	DestSteps = []string{StepRequestSent, StepAnswerReceived, StepPackageVerified, StepReferentials, StepImported, StepStatus, StepDestLog,
		StepDestCommitted, StepReceiptSent, StepAckReceived}
	OriginSteps = []string{StepRequestReceived, StepPackageBuilt, StepServed, StepReceiptReceived, StepOriginDeleted, StepOriginLog,
		StepOriginCommitted}
)

func (n *Node) fp(step string) error {
	if n.Failpoint == nil {
		return nil
	}
	if err := n.Failpoint(step); err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	return nil
}

func (n *Node) log() *slog.Logger {
	if n.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Logger
}

func (n *Node) skew() time.Duration        { return orDefault(n.MaxSkew, 5*time.Minute) }
func (n *Node) validity() time.Duration    { return orDefault(n.Validity, 10*time.Minute) }
func (n *Node) maxValidity() time.Duration { return orDefault(n.MaxValidity, time.Hour) }
func (n *Node) retry() time.Duration       { return orDefault(n.Retry, 12*time.Hour) }
func (n *Node) retryMax() time.Duration    { return orDefault(n.RetryMax, 6*time.Hour) }

func (n *Node) retention() sillage.Retention {
	if n.Retention == (sillage.Retention{}) {
		return sillage.DefaultRetention()
	}
	return n.Retention
}

func (n *Node) client() *http.Client {
	if n.Client == nil {
		return &http.Client{Timeout: 2 * time.Minute}
	}
	return n.Client
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (n *Node) now() time.Time { return n.Store.Clock().Now() }

// peerOf finds the declared peer whose keys include keyID.
func (n *Node) peerOf(ctx context.Context, keyID string) (Peer, error) {
	if keyID == "" {
		return Peer{}, sillage.Errorf(sillage.KindInvalid, "message non signé")
	}
	peers, err := n.Peers.Peers(ctx)
	if err != nil {
		return Peer{}, err
	}
	var found []Peer
	for _, p := range peers {
		for _, k := range p.Keys {
			if k.ID == keyID {
				found = append(found, p)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return Peer{}, sillage.Errorf(sillage.KindForbidden, "message signé par une instance non déclarée (clé %s)", signing.Short(keyID))
	case 1:
		return found[0], nil
	}
	// Two declared peers claim the same key: which one speaks cannot be
	// told, so neither is believed.
	return Peer{}, sillage.Errorf(sillage.KindForbidden, "message signé par une clé (%s) que plusieurs instances déclarées publient : refusé", signing.Short(keyID))
}

// checkTimes refuses a message dated too far from this instance's clock,
// expired, or valid for too long.
func (n *Node) checkTimes(issued, expires time.Time) error {
	now := n.now()
	switch {
	case issued.IsZero():
		return sillage.Errorf(sillage.KindInvalid, "message sans date")
	case issued.Sub(now) > n.skew() || now.Sub(issued) > n.skew() && expires.IsZero():
		return sillage.Errorf(sillage.KindInvalid, "message daté du %s : écart d'horloge supérieur à %s", issued.UTC().Format(time.RFC3339),
			sillage.FormatDuration(n.skew()))
	case !expires.IsZero() && !now.Before(expires):
		return sillage.Errorf(sillage.KindInvalid, "message expiré le %s", expires.UTC().Format(time.RFC3339))
	case !expires.IsZero() && expires.Sub(issued) > n.maxValidity():
		return sillage.Errorf(sillage.KindInvalid, "message valable plus de %s : refusé", sillage.FormatDuration(n.maxValidity()))
	case !expires.IsZero() && now.Sub(issued) > n.maxValidity()+n.skew():
		return sillage.Errorf(sillage.KindInvalid, "message trop ancien")
	}
	return nil
}

// seeNonce records a nonce received from peer; a nonce seen before is a
// replay.
func (n *Node) seeNonce(ctx context.Context, peer, nonce string, expires time.Time) error {
	if nonce == "" {
		return sillage.Errorf(sillage.KindInvalid, "message sans identifiant unique")
	}
	if expires.IsZero() {
		expires = n.now().Add(n.maxValidity())
	}
	return n.Store.Write(ctx, func(tx *store.Tx) error {
		fresh, err := tx.CrossTenant().SeeFederationNonce(ctx, peer, nonce, expires.Add(n.skew()))
		if err != nil {
			return err
		}
		if !fresh {
			return sillage.Errorf(sillage.KindConflict, "message déjà reçu (rejeu) : refusé")
		}
		return nil
	})
}

// refused audits a refused message, in the instance's journal and, when
// one is concerned, in an establishment's: who sent it (the peer, or the
// address when unknown), what it was, why.
func (n *Node) refused(ctx context.Context, uai sillage.UAI, from, what string, cause error) {
	details := fmt.Sprintf("%s refusé(e) : %s", what, sillage.Message(cause))
	err := n.Store.Write(ctx, func(tx *store.Tx) error {
		if err := audit.Record(ctx, tx, "", audit.System, audit.FederationRefused, "instance "+from, details); err != nil {
			return err
		}
		if uai == "" {
			return nil
		}
		if _, err := tx.Establishments().GetEstablishment(ctx, uai); err != nil {
			if sillage.KindOf(err) == sillage.KindNotFound {
				return nil // not one of ours: the instance's journal has it
			}
			return err
		}
		return audit.Record(ctx, tx, uai, audit.System, audit.FederationRefused, "instance "+from, details)
	})
	if err != nil {
		n.log().Error("federation refusal not audited", "from", from, "err", err)
	}
	n.log().Warn("federation message refused", "from", from, "what", what, "err", cause)
}

// DescribedPeer is a declared peer as its last verified description
// describes it (StorePeers.Describe): its declared address, the keys and
// the establishments the description lists. A peer whose description
// lists establishments with transfers enabled has opted in: it is asked
// for the students whose previous establishment no peer serves.
func DescribedPeer(p sillage.FederationPeer) (Peer, bool) {
	d, ok := LastDescription(p)
	if !ok || len(d.Keys) == 0 {
		return Peer{}, false
	}
	return Peer{Name: p.BaseURL, URL: p.BaseURL, InstanceID: d.InstanceID, Keys: d.Keys, UAIs: d.UAIs, Discoverable: len(d.UAIs) > 0}, true
}
