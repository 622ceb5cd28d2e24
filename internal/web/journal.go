package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/privacy"
	"github.com/sillage/sillage/internal/store"
)

// auditFilter reads the journal's filters from the query string:
// du/au (YYYY-MM-DD), acteur (id), action (prefix).
func auditFilter(r *http.Request) (sillage.AuditFilter, map[string]string, error) {
	q := r.URL.Query()
	f := sillage.AuditFilter{Action: strings.TrimSpace(q.Get("action"))}
	values := map[string]string{"du": q.Get("du"), "au": q.Get("au"), "acteur": q.Get("acteur"), "action": f.Action}
	if d, err := sillage.ParseDate(q.Get("du")); err != nil {
		return f, values, err
	} else if !d.IsZero() {
		f.From = d.Time()
	}
	if d, err := sillage.ParseDate(q.Get("au")); err != nil {
		return f, values, err
	} else if !d.IsZero() {
		f.To = d.Time().Add(24 * time.Hour)
	}
	if a := strings.TrimSpace(q.Get("acteur")); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return f, values, sillage.Errorf(sillage.KindInvalid, "acteur %q invalide", a)
		}
		f.ActorID = id
	}
	return f, values, nil
}

// journalPage places the asked page among total entries and sets the
// filter's LIMIT and OFFSET to read only its lines.
func journalPage(r *http.Request, f *sillage.AuditFilter, total int) pager {
	p := newPager(r, "page", pageNumber(r, "page"), total, "entrée", "entrées")
	f.Limit, f.Offset = pageSize, p.Offset()
	return p
}

type journalRow struct {
	sillage.AuditEntry
	Label string
}

func rowsOf(entries []sillage.AuditEntry) []journalRow {
	out := make([]journalRow, len(entries))
	for i, e := range entries {
		out[i] = journalRow{e, audit.ActionLabel(e.Action)}
	}
	return out
}

func (s *Server) journalPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	f, values, err := auditFilter(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var entries []sillage.AuditEntry
	var actors []sillage.Person
	var page pager
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		total, err := tx.Audit().CountAudit(ctx, req.P.UAI, f)
		if err != nil {
			return err
		}
		page = journalPage(r, &f, total)
		if entries, err = tx.Audit().ListAudit(ctx, req.P.UAI, f); err != nil {
			return err
		}
		for _, role := range staffRoles {
			ps, err := tx.People().ListPersons(ctx, req.P.UAI, sillage.PersonFilter{Role: role})
			if err != nil {
				return err
			}
			actors = append(actors, ps...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "journal.html", "Journal d'audit", map[string]any{
		"Rows": rowsOf(entries), "Page": page, "Filter": values, "Actors": actors, "Actions": actionChoices(), "CSV": "/journal.csv?" + r.URL.RawQuery})
}

func (s *Server) journalCSV(w http.ResponseWriter, r *http.Request, req *Request) error {
	f, _, err := auditFilter(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var entries []sillage.AuditEntry
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { entries, err = tx.Audit().ListAudit(ctx, req.P.UAI, f); return err }); err != nil {
		return err
	}
	serveDownload(w, "text/csv; charset=utf-8", "journal-"+strings.ToLower(string(req.P.UAI))+".csv")
	return audit.WriteCSV(w, entries)
}

// redactedForOperator is what the operator reads in place of an
// establishment entry's actor, target and details.
const redactedForOperator = "masqué (données de l'établissement)"

// forOperator hides who did what to whom inside the establishments: the
// operator runs the instance, and an entry's target or details may name a
// student or a staff member (privacy.md: the operator never sees records).
// The instance's own entries stay whole.
func forOperator(entries []sillage.AuditEntry) []sillage.AuditEntry {
	for i := range entries {
		if entries[i].UAI == "" {
			continue
		}
		entries[i].ActorName = ""
		if entries[i].Target != "" {
			entries[i].Target = redactedForOperator
		}
		if entries[i].Details != "" {
			entries[i].Details = redactedForOperator
		}
	}
	return entries
}

func (s *Server) operatorJournalPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	f, values, err := auditFilter(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var entries []sillage.AuditEntry
	var page pager
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		total, err := tx.Audit().CountInstanceAudit(ctx, f)
		if err != nil {
			return err
		}
		page = journalPage(r, &f, total)
		entries, err = tx.Audit().ListInstanceAudit(ctx, f)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "journal.html", "Journal de l'instance", map[string]any{
		"Rows": rowsOf(forOperator(entries)), "Page": page, "Filter": values, "Actions": actionChoices(), "Instance": true, "CSV": "/operateur/journal.csv?" + r.URL.RawQuery})
}

func (s *Server) operatorJournalCSV(w http.ResponseWriter, r *http.Request, req *Request) error {
	f, _, err := auditFilter(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var entries []sillage.AuditEntry
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { entries, err = tx.Audit().ListInstanceAudit(ctx, f); return err }); err != nil {
		return err
	}
	serveDownload(w, "text/csv; charset=utf-8", "journal-instance.csv")
	return audit.WriteCSV(w, forOperator(entries))
}

type choice struct{ Value, Label string }

func actionChoices() []choice {
	var out []choice
	for _, a := range []string{audit.Import, audit.TransferSettings, audit.TransferSent, audit.TransferReceived, audit.Purge,
		audit.AccountCreated, audit.AccountDeleted, audit.AccountPasswordReset, audit.CredentialsIssued, audit.CredentialsExpired,
		audit.RoleChanged, audit.Rectification, audit.SignInLocked, audit.SignOutEverywhere, audit.APITokenIssued, audit.APITokenRevoked, audit.ReferentialDeleted,
		audit.EvaluationTrashed, audit.EvaluationRestored, audit.ExportLSU, audit.RecordDownloaded, audit.RecordsExported,
		audit.RecordsImported, audit.RolloverStep, audit.RetentionDeletion, audit.EstablishmentCreated, audit.EstablishmentKind, audit.SecurityRefused, audit.ChainSealed} {
		out = append(out, choice{a, audit.ActionLabel(a)})
	}
	return out
}

func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	var packs sillage.RolloverPackStats
	if err := s.store.Read(r.Context(), func(tx *store.Tx) (err error) {
		packs, err = tx.Rollover().RolloverPacksSummary(r.Context())
		return err
	}); err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "retention.html", "Durées de conservation", map[string]any{
		"Notice": privacy.NewNotice(s.cfg), "Retention": s.cfg.Retention, "Settings": s.cfg.Settings(), "Packs": packs})
}

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.render(w, r, req, http.StatusOK, "register.html", "Registre des traitements", map[string]any{"Register": privacy.Register(s.cfg)})
}
