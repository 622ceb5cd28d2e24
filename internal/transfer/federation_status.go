package transfer

import (
	"strings"

	"github.com/sillage/sillage"
)

// Reason codes of the transfers between instances (docs/federation.md,
// « Protocole ») that the transfer log stores.
const (
	// ReasonUnsupported: the record holds what a package between instances
	// cannot carry yet (a sheet's per-competence results); not final.
	ReasonUnsupported Reason = "federation_unsupported"
	// ReasonAwaitingReceipt: the origin sent the package and waits for the
	// destination's receipt before deleting its copy (not a failure).
	ReasonAwaitingReceipt Reason = "federation_awaiting_receipt"
)

// peerName is how the pages name a peer instance.
func peerName(peer string) string { return "autre instance (" + peer + ")" }

// federationPending is the French reason of a new student whose record is
// asked of a peer instance: which side holds the transfer, and what it is
// waiting for ("" when the request says nothing more than the pending
// list would).
func federationPending(q sillage.FederationRequest) string {
	peer := "l'instance " + q.Peer
	next := sillage.FormatDateTime(q.NextAt)
	detail := strings.TrimSpace(q.Detail)
	waiting := q.State == sillage.FederationSent || q.State == sillage.FederationPending
	switch {
	case q.State == sillage.FederationImported:
		return "Ici (destination) : dossier reçu, confirmation de l'accusé de réception par " + peer + " attendue"
	case !waiting:
		return ""
	case q.Reason == "federation_unreachable":
		return "Chez " + peer + " (origine) : instance injoignable pour l'instant ; nouvel essai le " + next
	case q.Reason == "federation_busy":
		return "Chez " + peer + " (origine) : dossier en cours d'envoi vers une autre instance ; nouvel essai le " + next
	case q.Reason == "federation_import":
		return "Ici (destination) : " + detail + " ; nouvel essai le " + next
	case q.Reason == "federation_refused":
		return "Chez " + peer + " (origine) : " + detail + " ; nouvel essai le " + next
	case q.State == sillage.FederationPending:
		return "Chez " + peer + " (origine) : aucun dossier à envoyer pour l'instant ; redemandé le " + next
	case detail != "":
		return "Chez " + peer + " (origine) : " + detail
	}
	return "Demandé à " + peer + " (origine) : réponse attendue"
}
