package transfer

// Reason says why a transfer did not happen. The codes are stored in the
// transfer log; Label gives the French text the pages, the CSV files and the
// command line show.
type Reason string

const (
	// Impossible, retried at every run (transfer.md 5 step 3).
	ReasonOriginDisabled Reason = "origin_disabled"
	ReasonDestDisabled   Reason = "destination_disabled"
	// Impossible, final.
	ReasonOriginExpired  Reason = "origin_expired"
	ReasonDiplomaChanged Reason = "diploma_changed"
)

// Final reports whether an impossible transfer will not be retried.
func (r Reason) Final() bool { return r == ReasonOriginExpired || r == ReasonDiplomaChanged }

// Label is the French text of the reason.
func (r Reason) Label() string {
	switch r {
	case ReasonOriginDisabled:
		return "L'établissement d'origine n'a pas activé les transferts"
	case ReasonDestDisabled:
		return "L'établissement de destination n'a pas activé les transferts"
	case ReasonOriginExpired:
		return "Données d'origine expirées (élève désactivé depuis trop longtemps)"
	case ReasonDiplomaChanged:
		return "Changement de diplôme"
	case ReasonUnsupported:
		return "Dossier non transférable entre instances pour l'instant (résultats par compétence des fiches)"
	case ReasonAwaitingReceipt:
		return "Dossier envoyé ; en attente de l'accusé de réception de la destination (l'autre instance détient le transfert)"
	case "":
		return ""
	}
	return string(r)
}

// ReasonLabel is Label for a code read from the log.
func ReasonLabel(code string) string { return Reason(code).Label() }
