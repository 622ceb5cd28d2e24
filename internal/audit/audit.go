// Package audit records and verifies the audit log (privacy.md): entries
// are appended in the transaction of the action they record, chained per
// establishment by hash, and `sillage audit verify` finds the first altered
// or missing entry.
package audit

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/csvout"
	"github.com/sillage/sillage/internal/store"
)

// Actions recorded (privacy.md's list, and the capabilities' own).
const (
	SignInLocked         = "signin.locked"               // failures beyond the free ones: attempts delayed
	AccountCreated       = "account.created"             // an administrator created an account
	AccountDeleted       = "account.deleted"             // by an administrator or by retention
	AccountPasswordReset = "account.password_reset"      // administrator reset
	CredentialsIssued    = "account.credentials"         // one-time passwords issued (list downloaded)
	CredentialsExpired   = "account.credentials_expired" // lists of one-time passwords deleted after their days
	RoleChanged          = "account.role"
	SignOutEverywhere    = "account.signout_all"
	APITokenIssued       = "api.token_issued"
	APITokenRevoked      = "api.token_revoked"
	ReferentialDeleted   = "referential.element_deleted"
	EvaluationTrashed    = "evaluation.trashed"
	EvaluationRestored   = "evaluation.restored"
	TransferSettings     = "transfer.settings"
	TransferSent         = "transfer.sent"
	TransferReceived     = "transfer.received"
	Purge                = "purge"
	Import               = "import"
	ExportLSU            = "export.lsu"
	RecordDownloaded     = "export.record"
	RecordsExported      = "export.records"
	RecordsImported      = "import.records"
	RolloverStep         = "rollover.step"
	Rectification        = "rectification"
	EstablishmentCreated = "establishment.created"
	EstablishmentKind    = "establishment.kind"
	RetentionDeletion    = "retention.deletion"
	AuditPurged          = "audit.purged"
	ChainSealed          = "audit.sealed" // the chain is sealed under the audit key from here on
	SecurityRefused      = "security.refused"
	FederationRefused    = "federation.refused" // a message of the federation protocol refused (docs/federation.md)
)

// Actor is who acts: a person of the establishment, the operator, an API
// token, or the system (jobs).
type Actor struct {
	ID   int64
	Role string // a sillage.Role, "operator", "api" or "system"
	Name string
}

// System is the actor of jobs and retention rules.
var System = Actor{Role: "system", Name: "Sillage"}

// Record appends an entry in tx: the entry exists exactly when the action does.
func Record(ctx context.Context, tx *store.Tx, uai sillage.UAI, who Actor, action, target, details string) error {
	e := sillage.AuditEntry{ActorID: who.ID, ActorRole: who.Role, ActorName: who.Name, Action: action, Target: target, Details: details}
	if err := tx.Audit().AppendAudit(ctx, uai, &e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Problem is the first break found in a chain.
type Problem struct {
	UAI    sillage.UAI
	Seq    int64
	Reason string
}

func (p Problem) String() string {
	chain := string(p.UAI)
	if chain == "" {
		chain = "instance"
	}
	return fmt.Sprintf("%s, entrée n° %d : %s", chain, p.Seq, p.Reason)
}

// VerifyOptions are what verification checks against besides the chain
// itself: the audit key (keyed entries, and every chain must be sealed)
// and a signed checkpoint (what the chains held when it was made).
type VerifyOptions struct {
	Key        *Key
	Checkpoint *Checkpoint
}

func (o VerifyOptions) checkpointHead(uai sillage.UAI) *CheckpointHead {
	if o.Checkpoint == nil {
		return nil
	}
	for i, h := range o.Checkpoint.Heads {
		if h.UAI == uai {
			return &o.Checkpoint.Heads[i]
		}
	}
	return nil
}

func purgeTarget(lastSeq int64) string {
	return fmt.Sprintf("journal d'audit jusqu'à l'entrée n° %d", lastSeq)
}

// Verify checks one chain and returns its first problem, or nil, with the
// number of entries checked.
func Verify(ctx context.Context, st *store.Store, uai sillage.UAI, opts VerifyOptions) (*Problem, int, error) {
	var problem *Problem
	checked := 0
	cp := opts.checkpointHead(uai)
	err := st.Read(ctx, func(tx *store.Tx) error {
		var head sillage.AuditHead
		heads, err := tx.CrossTenant().AuditChains(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, h := range heads {
			if h.UAI == uai {
				head, found = h, true
			}
		}
		if !found {
			if cp != nil && cp.Seq > 0 {
				problem = &Problem{uai, 1, fmt.Sprintf("journal supprimé : le point de contrôle du %s atteste %d entrées",
					sillage.FormatDateTime(opts.Checkpoint.CreatedAt), cp.Seq)}
			}
			return nil // an empty chain is intact
		}
		wantSeq, wantPrev := head.PurgedSeq+1, head.PurgedHash
		if head.PurgedSeq == 0 {
			wantPrev = sillage.GenesisHash
		}
		keyedSeen, firstKeyed, attested, first := false, false, false, true
		errStop := fmt.Errorf("stop")
		err = tx.Audit().WalkAudit(ctx, uai, func(e sillage.AuditEntry) error {
			switch {
			case e.Seq != wantSeq:
				problem = &Problem{uai, wantSeq, "entrée manquante ou renumérotée"}
			case e.PrevHash != wantPrev:
				problem = &Problem{uai, e.Seq, "chaînage rompu : l'entrée précédente a été modifiée ou supprimée"}
			}
			if problem == nil {
				problem = checkHash(uai, e, opts.Key, keyedSeen)
			}
			if problem == nil && cp != nil && e.Seq == cp.Seq && e.Hash != cp.Hash {
				problem = &Problem{uai, e.Seq, "entrée différente de celle attestée par le point de contrôle"}
			}
			if problem != nil {
				return errStop
			}
			_, keyed := sillage.KeyedHash(e.Hash)
			if first {
				firstKeyed, first = keyed, false
			}
			keyedSeen = keyedSeen || keyed
			if e.Action == AuditPurged && e.Target == purgeTarget(head.PurgedSeq) {
				attested = true
			}
			checked++
			wantSeq, wantPrev = e.Seq+1, e.Hash
			return nil
		})
		if err != nil && err != errStop {
			return err
		}
		if problem != nil {
			return nil
		}
		switch {
		case wantSeq-1 != head.Seq || (head.Seq > head.PurgedSeq && wantPrev != head.Hash):
			problem = &Problem{uai, wantSeq, "dernières entrées manquantes"}
		case cp != nil && head.Seq < cp.Seq:
			problem = &Problem{uai, head.Seq + 1, fmt.Sprintf("dernières entrées supprimées : le point de contrôle atteste l'entrée n° %d, le journal s'arrête à la n° %d", cp.Seq, head.Seq)}
		case cp != nil && cp.Seq == head.PurgedSeq && cp.Seq > 0 && head.PurgedHash != cp.Hash:
			problem = &Problem{uai, cp.Seq, "entrée différente de celle attestée par le point de contrôle"}
		case opts.Key != nil && head.Seq > head.PurgedSeq && !keyedSeen:
			problem = &Problem{uai, head.Seq, "chaîne non scellée par la clé du journal : elle a pu être réécrite (« sillage audit seal » scelle une chaîne existante)"}
		case opts.Key != nil && head.PurgedSeq > 0 && firstKeyed && !attested:
			problem = &Problem{uai, head.PurgedSeq, "début du journal supprimé sans purge enregistrée"}
		}
		return nil
	})
	return problem, checked, err
}

// checkHash checks an entry's own hash: keyed under the audit key, or the
// plain SHA-256 of the entries written before the chain was sealed.
func checkHash(uai sillage.UAI, e sillage.AuditEntry, key *Key, keyedSeen bool) *Problem {
	v, keyed := sillage.KeyedHash(e.Hash)
	switch {
	case keyed && key == nil:
		return &Problem{uai, e.Seq, "entrée scellée : la clé du journal est nécessaire pour la vérifier"}
	case keyed:
		ok, known := key.check(e)
		if !known {
			return &Problem{uai, e.Seq, fmt.Sprintf("entrée scellée par la version v%d de la clé du journal, absente du fichier de clé", v)}
		}
		if !ok {
			return &Problem{uai, e.Seq, "entrée modifiée"}
		}
	case keyedSeen:
		return &Problem{uai, e.Seq, "entrée non scellée après le scellement de la chaîne : le journal a été réécrit"}
	case e.ComputeHash() != e.Hash:
		return &Problem{uai, e.Seq, "entrée modifiée"}
	}
	return nil
}

// VerifyAll checks every chain of the instance, and every chain the
// checkpoint names.
func VerifyAll(ctx context.Context, st *store.Store, opts VerifyOptions) ([]Problem, int, error) {
	var chains []sillage.AuditHead
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { chains, err = tx.CrossTenant().AuditChains(ctx); return err }); err != nil {
		return nil, 0, err
	}
	uais := make([]sillage.UAI, 0, len(chains))
	seen := map[sillage.UAI]bool{}
	for _, c := range chains {
		uais, seen[c.UAI] = append(uais, c.UAI), true
	}
	if opts.Checkpoint != nil {
		for _, h := range opts.Checkpoint.Heads {
			if !seen[h.UAI] {
				uais, seen[h.UAI] = append(uais, h.UAI), true
			}
		}
	}
	var problems []Problem
	total := 0
	for _, u := range uais {
		p, n, err := Verify(ctx, st, u, opts)
		if err != nil {
			return nil, total, err
		}
		total += n
		if p != nil {
			problems = append(problems, *p)
		}
	}
	return problems, total, nil
}

// WriteCSV writes entries as CSV for spreadsheets (csvout). The date is the
// schools' wall clock, named in its header; the action keeps its code (for
// filters and scripts) beside its French label.
func WriteCSV(w io.Writer, entries []sillage.AuditEntry) error {
	cw := csvout.NewWriter(w)
	cw.Write([]string{"n°", "date (" + sillage.ZoneLabel() + ")", "établissement", "acteur", "rôle", "action", "libellé de l'action", "cible", "détails", "empreinte"})
	for _, e := range entries {
		cw.Write([]string{fmt.Sprint(e.Seq), sillage.FormatTimestamp(e.At), string(e.UAI), e.ActorName, RoleLabel(e.ActorRole),
			e.Action, ActionLabel(e.Action), e.Target, e.Details, e.Hash})
	}
	return cw.Flush()
}

// RoleLabel is the French name of an actor's role in the journal: a role
// of an establishment, or the operator, an API token or Sillage itself.
func RoleLabel(role string) string {
	switch role {
	case "operator":
		return "opérateur"
	case "api":
		return "jeton d'API"
	case "system":
		return "système"
	case "":
		return "inconnu"
	}
	return strings.ToLower(sillage.Role(role).Label())
}

// ActionLabel is the French label of an action, for pages and CSV.
func ActionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

var actionLabels = map[string]string{
	SignInLocked:         "Connexions ralenties (trop d'échecs)",
	AccountCreated:       "Création de compte",
	AccountDeleted:       "Suppression de compte",
	AccountPasswordReset: "Réinitialisation de mot de passe",
	CredentialsIssued:    "Édition des identifiants",
	CredentialsExpired:   "Suppression des listes d'identifiants",
	RoleChanged:          "Changement de rôle",
	SignOutEverywhere:    "Déconnexion de toutes les sessions",
	APITokenIssued:       "Création d'un jeton d'API",
	APITokenRevoked:      "Révocation d'un jeton d'API",
	ReferentialDeleted:   "Suppression d'un élément de référentiel",
	EvaluationTrashed:    "Évaluation mise à la corbeille",
	EvaluationRestored:   "Évaluation restaurée",
	TransferSettings:     "Paramètres de transfert",
	TransferSent:         "Transfert envoyé",
	TransferReceived:     "Transfert reçu",
	Purge:                "Purge des élèves désactivés",
	Import:               "Import d'annuaire",
	ExportLSU:            "Export LSU",
	RecordDownloaded:     "Téléchargement d'un dossier",
	RecordsExported:      "Export des données d'apprentissage",
	RecordsImported:      "Import des données d'apprentissage",
	RolloverStep:         "Étape du changement d'année",
	Rectification:        "Rectification des données",
	EstablishmentCreated: "Création d'établissement",
	EstablishmentKind:    "Type d'établissement",
	RetentionDeletion:    "Suppression par durée de conservation",
	AuditPurged:          "Purge du journal d'audit",
	ChainSealed:          "Scellement du journal d'audit",
	SecurityRefused:      "Refus pour raison de sécurité",
	FederationRefused:    "Message de fédération refusé",
	// Actions the capability packages record under their own codes.
	"signin.sso":           "Connexion par authentification unique",
	"signin.sso_refused":   "Connexion par authentification unique refusée",
	"account.sso_unlinked": "Identité d'authentification unique déliée",
	"sso.settings":         "Fournisseurs d'identité de l'établissement",
	"lsu.settings":         "Paramètres du Livret Scolaire",
	"lsu.report.closed":    "Bilan du Livret Scolaire fermé",
	"lsu.report.reopened":  "Bilan du Livret Scolaire rouvert",
	"lsu.project.changed":  "EPI ou accompagnement personnalisé modifié",
	"lsu.project.declared": "EPI ou accompagnement personnalisé déclaré",
	"lsu.project.deleted":  "EPI ou accompagnement personnalisé supprimé",
	"periods.changed":      "Périodes modifiées",
	"sheet.trashed":        "Fiche mise à la corbeille",
	"sheet.restored":       "Fiche restaurée",
	"document.trashed":     "Document mis à la corbeille",
	"document.restored":    "Document restauré",
	"attachment.deleted":   "Pièce jointe supprimée",
	"settings.scale":       "Échelle d'évaluation modifiée",
	"rollover.calendar":    "Calendrier du changement d'année",
	"rollover.blocking":    "Blocage des accès pendant le changement d'année",
	"rollover.undo":        "Annulation d'une étape du changement d'année",
	"group.deleted":        "Groupe supprimé",
}

// PurgeExpired deletes the entries older than before in every chain (the
// audit log's rolling retention, privacy.md) and records the count in each
// chain it cut. The chains stay verifiable: each remembers where it was cut.
func PurgeExpired(ctx context.Context, st *store.Store, before time.Time) (int, error) {
	var chains []sillage.AuditHead
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { chains, err = tx.CrossTenant().AuditChains(ctx); return err }); err != nil {
		return 0, err
	}
	total := 0
	for _, c := range chains {
		err := st.Write(ctx, func(tx *store.Tx) error {
			n, err := tx.Audit().PurgeAudit(ctx, c.UAI, before)
			if err != nil || n == 0 {
				return err
			}
			heads, err := tx.CrossTenant().AuditChains(ctx)
			if err != nil {
				return err
			}
			var cut int64
			for _, h := range heads {
				if h.UAI == c.UAI {
					cut = h.PurgedSeq
				}
			}
			total += n
			// The target names the cut: verification asks the cut in the
			// chain's head to be attested by this (keyed) entry.
			return Record(ctx, tx, c.UAI, System, AuditPurged, purgeTarget(cut),
				fmt.Sprintf("%d entrées antérieures au %s supprimées", n, sillage.FormatDate(before)))
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
