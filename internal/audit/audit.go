// Package audit records and verifies the audit log (privacy.md): entries
// are appended in the transaction of the action they record, chained per
// establishment by hash, and `sillage audit verify` finds the first altered
// or missing entry.
package audit

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/csvout"
	"github.com/sillage/sillage/internal/store"
)

// Actions recorded (privacy.md's list, and the capabilities' own).
const (
	SignInLocked         = "signin.locked"               // failures beyond the rate limit
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
	RetentionDeletion    = "retention.deletion"
	AuditPurged          = "audit.purged"
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
	if err := tx.AppendAudit(ctx, uai, &e); err != nil {
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

// Verify checks one chain and returns its first problem, or nil, with the
// number of entries checked.
func Verify(ctx context.Context, st *store.Store, uai sillage.UAI) (*Problem, int, error) {
	var problem *Problem
	checked := 0
	err := st.Read(ctx, func(tx *store.Tx) error {
		var head store.AuditHead
		heads, err := tx.AuditChains(ctx)
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
			return nil // an empty chain is intact
		}
		wantSeq, wantPrev := head.PurgedSeq+1, head.PurgedHash
		if head.PurgedSeq == 0 {
			wantPrev = sillage.GenesisHash
		}
		errStop := fmt.Errorf("stop")
		err = tx.WalkAudit(ctx, uai, func(e sillage.AuditEntry) error {
			switch {
			case e.Seq != wantSeq:
				problem = &Problem{uai, wantSeq, "entrée manquante"}
			case e.PrevHash != wantPrev:
				problem = &Problem{uai, e.Seq, "chaînage rompu : l'entrée précédente a été modifiée ou supprimée"}
			case e.ComputeHash() != e.Hash:
				problem = &Problem{uai, e.Seq, "entrée modifiée"}
			}
			if problem != nil {
				return errStop
			}
			checked++
			wantSeq, wantPrev = e.Seq+1, e.Hash
			return nil
		})
		if err != nil && err != errStop {
			return err
		}
		if problem == nil && (wantSeq-1 != head.Seq || (head.Seq > head.PurgedSeq && wantPrev != head.Hash)) {
			problem = &Problem{uai, wantSeq, "dernières entrées manquantes"}
		}
		return nil
	})
	return problem, checked, err
}

// VerifyAll checks every chain of the instance.
func VerifyAll(ctx context.Context, st *store.Store) ([]Problem, int, error) {
	var chains []store.AuditHead
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { chains, err = tx.AuditChains(ctx); return err }); err != nil {
		return nil, 0, err
	}
	var problems []Problem
	total := 0
	for _, c := range chains {
		p, n, err := Verify(ctx, st, c.UAI)
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

// WriteCSV writes entries as CSV for spreadsheets (csvout).
func WriteCSV(w io.Writer, entries []sillage.AuditEntry) error {
	cw := csvout.NewWriter(w)
	cw.Write([]string{"n°", "date", "établissement", "acteur", "rôle", "action", "cible", "détails", "empreinte"})
	for _, e := range entries {
		cw.Write([]string{fmt.Sprint(e.Seq), e.At.Format("2006-01-02 15:04:05"), string(e.UAI), e.ActorName, e.ActorRole,
			e.Action, e.Target, e.Details, e.Hash})
	}
	return cw.Flush()
}

// ActionLabel is the French label of an action, for pages and CSV.
func ActionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

var actionLabels = map[string]string{
	SignInLocked:         "Connexions bloquées (trop d'échecs)",
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
	RetentionDeletion:    "Suppression par durée de conservation",
	AuditPurged:          "Purge du journal d'audit",
}

// PurgeExpired deletes the entries older than before in every chain (the
// audit log's rolling retention, privacy.md) and records the count in each
// chain it cut. The chains stay verifiable: each remembers where it was cut.
func PurgeExpired(ctx context.Context, st *store.Store, before time.Time) (int, error) {
	var chains []store.AuditHead
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { chains, err = tx.AuditChains(ctx); return err }); err != nil {
		return 0, err
	}
	total := 0
	for _, c := range chains {
		err := st.Write(ctx, func(tx *store.Tx) error {
			n, err := tx.PurgeAudit(ctx, c.UAI, before)
			if err != nil || n == 0 {
				return err
			}
			total += n
			return Record(ctx, tx, c.UAI, System, AuditPurged, "journal d'audit",
				fmt.Sprintf("%d entrées antérieures au %s supprimées", n, before.Format("02/01/2006")))
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
