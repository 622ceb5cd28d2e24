package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

// The transfer of records between establishments (transfer.md 1 and 7):
// the settings page and the follow-up dashboard of an establishment.

type transferSettingsData struct {
	Enabled    bool
	Reference  string
	ChangedAt  time.Time
	Max        int
	Errors     []string
	WithoutINE []sillage.Student
}

func (s *Server) loadTransferSettings(r *http.Request, req *Request) (*transferSettingsData, error) {
	ctx := r.Context()
	d := &transferSettingsData{Max: sillage.MaxTransferReferenceLen}
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		est, err := tx.Establishments().GetEstablishment(ctx, req.P.UAI)
		if err != nil {
			return err
		}
		d.Enabled, d.Reference, d.ChangedAt = est.Transfer.Enabled, est.Transfer.Reference, est.Transfer.ChangedAt
		if !d.ChangedAt.IsZero() {
			d.ChangedAt = d.ChangedAt.In(sillage.SchoolZone) // shown as the schools' wall clock
		}
		d.WithoutINE, err = tx.People().ListStudents(ctx, req.P.UAI, sillage.StudentFilter{ActiveOnly: true, WithoutUnqid: true})
		return err
	})
	return d, err
}

func (s *Server) transferSettingsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	d, err := s.loadTransferSettings(r, req)
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "transfer_settings.html", "Paramètres du transfert", d)
}

func (s *Server) saveTransferSettings(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	choice := r.PostFormValue("transfert")
	reference := r.PostFormValue("reference")
	var err error
	var changed bool
	switch choice {
	case "oui", "non":
		err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
			if changed, err = transfer.ChangeSettings(ctx, tx, req.P.UAI, choice == "oui", reference, req.Actor()); err != nil || !changed {
				return err
			}
			// The reasons of pending and impossible transfers on both sides
			// depend on this setting: a pass, queued with the change,
			// refreshes them.
			if s.hooks.Jobs != nil {
				_, err = s.hooks.Jobs.EnqueueTransferTx(ctx, tx, jobs.TriggerSettings, []sillage.UAI{req.P.UAI})
			}
			return err
		})
	default:
		err = sillage.Errorf(sillage.KindInvalid, "choisissez « Oui » ou « Non » pour le transfert des données des élèves")
	}
	if sillage.KindOf(err) == sillage.KindInvalid {
		d, lerr := s.loadTransferSettings(r, req)
		if lerr != nil {
			return lerr
		}
		d.Errors = []string{upperFirst(sillage.Message(err)) + "."}
		d.Reference = strings.TrimSpace(reference)
		d.Enabled = choice == "oui"
		return s.render(w, r, req, http.StatusBadRequest, "transfer_settings.html", "Paramètres du transfert", d)
	}
	if err != nil {
		return err
	}
	flash := "Aucun changement."
	if changed && choice == "oui" {
		flash = "Le transfert des données des élèves est activé."
	} else if changed {
		flash = "Le transfert des données des élèves est désactivé."
	}
	return s.redirect(w, r, req, "/transferts/parametres", flash)
}

func upperFirst(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

type transferDashboardData struct {
	Enabled bool
	Filter  map[string]string
	Query   string
	Lists   []transferListLink
	Tables  template.HTML // the four lists: their first pages rendered once per cache entry
}

// transferLists are the dashboard's four lists: their anchor on the page and
// the query parameter of their page number (each list pages on its own).
var transferLists = []struct{ anchor, param, one, many string }{
	{"recus", "p-recus", "nouvel élève", "nouveaux élèves"},
	{"envoyes", "p-envoyes", "ancien élève", "anciens élèves"},
	{"en-attente", "p-en-attente", "élève en attente", "élèves en attente"},
	{"impossibles", "p-impossibles", "transfert impossible", "transferts impossibles"},
}

// transferRow is a line of the dashboard, formatted once in Go (the
// template only places strings: a page of hundreds of lines renders fast).
type transferRow struct {
	Date, Direction, Student, Other, OtherName, Reason, Content, Manifest, Retry string
	Done                                                                         bool
}

type transferRows struct {
	Rows []transferRow
	Page pager
}

type pendingRow struct{ Student, Division, Entered, Previous, PreviousName, Reason string }

type pendingRows struct {
	Rows []pendingRow
	Page pager
}

func transferRowsOf(lines []transfer.Line, p pager) transferRows {
	out := transferRows{Page: p}
	for _, l := range pageOf(lines, p) {
		r := transferRow{Date: sillage.FormatDate(l.Date), Direction: l.Direction, Student: l.Student, Other: string(l.OtherUAI),
			OtherName: l.OtherName, Reason: l.Reason, Done: l.Done, Retry: "à chaque passage"}
		if l.Final {
			r.Retry = "non (définitif)"
		}
		if c := l.Counts; c != nil {
			r.Content = fmt.Sprintf("%d évaluation(s), %d résultat(s), %d commentaire(s), %d fiche(s), %d fichier(s)",
				c.Evaluations, c.Results, c.Comments, c.Sheets, c.Files)
		}
		if len(l.Manifest) >= 16 {
			r.Manifest = l.Manifest[:16] + "…"
		}
		out.Rows = append(out.Rows, r)
	}
	return out
}

type transferListLink struct{ Name, Label, Href string }

// transferFilter reads the dashboard's filters: du, au (YYYY-MM-DD, "au"
// included, days of the schools' zone) and effectue (oui, non, tous).
func transferFilter(r *http.Request) (transfer.StatusFilter, map[string]string, error) {
	q := r.URL.Query()
	raw := map[string]string{"du": q.Get("du"), "au": q.Get("au"), "effectue": q.Get("effectue")}
	var f transfer.StatusFilter
	if v := strings.TrimSpace(raw["du"]); v != "" {
		d, err := sillage.ParseDate(v)
		if err != nil {
			return f, raw, sillage.Errorf(sillage.KindInvalid, "date de début %q invalide : AAAA-MM-JJ attendu", v)
		}
		f.Since = transfer.DayStart(d)
	}
	if v := strings.TrimSpace(raw["au"]); v != "" {
		d, err := sillage.ParseDate(v)
		if err != nil {
			return f, raw, sillage.Errorf(sillage.KindInvalid, "date de fin %q invalide : AAAA-MM-JJ attendu", v)
		}
		f.Until = transfer.DayStart(d).AddDate(0, 0, 1)
	}
	var err error
	f.Done, err = transfer.ParseDone(raw["effectue"])
	return f, raw, err
}

// statusCache keeps an establishment's lists for a few seconds: the
// dashboard of a large establishment, opened by many people at once, is
// read from the database once per period (the lists change only when a
// transfer run or an import happens). One request at a time refreshes an
// entry; while it does, the others get the previous lists (up to
// statusCacheStale old) or, when there are none, wait for the refresh
// instead of all reading the database at once.
type statusCache struct {
	mu      sync.Mutex
	m       map[string]statusCacheEntry
	loading map[string]chan struct{} // closed when the key's refresh ends
}

type statusCacheEntry struct {
	at time.Time
	st *transfer.Status
	// tables is the four lists rendered once for every reader of the
	// entry: escaping hundreds of cells is most of the page's cost.
	tables template.HTML
}

const (
	// statusCacheTTL is how long lists are served without a refresh.
	statusCacheTTL = 3 * time.Second
	// statusCacheStale is how old lists may be served while a refresh
	// is under way: how long a dashboard may lag behind the database.
	statusCacheStale = 2 * statusCacheTTL
)

func newStatusCache() *statusCache {
	return &statusCache{m: map[string]statusCacheEntry{}, loading: map[string]chan struct{}{}}
}

// forget drops an establishment's lists: a pass just run in the request
// shows at once.
func (c *statusCache) forget(uai sillage.UAI) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, string(uai)+"|") {
			delete(c.m, k)
		}
	}
}

func (c *statusCache) load(r *http.Request, s *Server, uai sillage.UAI, f transfer.StatusFilter, filters url.Values) (statusCacheEntry, error) {
	key := fmt.Sprintf("%s|%v|%v|%s", uai, f.Since.Unix(), f.Until.Unix(), f.Done)
	for {
		now := time.Now()
		c.mu.Lock()
		e, ok := c.m[key]
		if ok && now.Sub(e.at) < statusCacheTTL {
			c.mu.Unlock()
			return e, nil
		}
		done, busy := c.loading[key]
		if !busy {
			done = make(chan struct{})
			c.loading[key] = done
			c.mu.Unlock()
			return c.refresh(r, s, key, uai, f, filters, done)
		}
		c.mu.Unlock()
		if ok && now.Sub(e.at) < statusCacheStale {
			return e, nil
		}
		select {
		case <-done: // look again: the refresh stored the lists, or failed
		case <-r.Context().Done():
			return statusCacheEntry{}, r.Context().Err()
		}
	}
}

// refresh reads and renders the lists of key, stores them and ends the
// key's refresh (done), whatever the outcome.
func (c *statusCache) refresh(r *http.Request, s *Server, key string, uai sillage.UAI, f transfer.StatusFilter, filters url.Values, done chan struct{}) (statusCacheEntry, error) {
	defer func() {
		c.mu.Lock()
		delete(c.loading, key)
		c.mu.Unlock()
		close(done)
	}()
	st, err := transfer.LoadStatus(r.Context(), s.store, uai, f, s.cfg.Retention)
	if err != nil {
		return statusCacheEntry{}, err
	}
	tables, err := s.renderTables(st, filters, nil)
	if err != nil {
		return statusCacheEntry{}, err
	}
	now := time.Now()
	e := statusCacheEntry{at: now, st: st, tables: tables}
	c.mu.Lock()
	if len(c.m) > 1000 {
		for k, v := range c.m {
			if now.Sub(v.at) >= statusCacheStale {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = e
	c.mu.Unlock()
	return e, nil
}

// transferTables is what the lists fragment of the dashboard shows.
type transferTables struct {
	Incoming   transferRows
	Outgoing   transferRows
	Impossible transferRows
	Pending    pendingRows
}

// renderTables renders the dashboard's four lists, each at its page (pages
// holds the page numbers by list parameter; absent: the first); filters are
// the dashboard's filters, kept in the lists' page links.
func (s *Server) renderTables(st *transfer.Status, filters url.Values, pages map[string]int) (template.HTML, error) {
	at := func(i, total int) pager {
		l := transferLists[i]
		q := url.Values{}
		for k, v := range filters {
			q[k] = v
		}
		for k, n := range pages {
			if k != l.param && n > 1 {
				q.Set(k, strconv.Itoa(n))
			}
		}
		return pagerAt("/transferts", q, l.anchor, l.param, pages[l.param], total, l.one, l.many)
	}
	d := transferTables{Incoming: transferRowsOf(st.Incoming, at(0, len(st.Incoming))), Outgoing: transferRowsOf(st.Outgoing, at(1, len(st.Outgoing))),
		Impossible: transferRowsOf(st.Impossible, at(3, len(st.Impossible))), Pending: pendingRows{Page: at(2, len(st.Pending))}}
	for _, p := range pageOf(st.Pending, d.Pending.Page) {
		d.Pending.Rows = append(d.Pending.Rows, pendingRow{p.Student, p.Division, sillage.FormatDate(p.EnteredAt),
			string(p.PreviousUAI), p.PreviousName, p.Reason})
	}
	var buf bytes.Buffer
	if err := s.pages["transfer_dashboard.html"].ExecuteTemplate(&buf, "transfer-tables", d); err != nil {
		return "", fmt.Errorf("render the transfer lists: %w", err)
	}
	return template.HTML(buf.String()), nil
}

func (s *Server) transferDashboard(w http.ResponseWriter, r *http.Request, req *Request) error {
	f, raw, err := transferFilter(r)
	if err != nil {
		return err
	}
	if f.Since.IsZero() {
		// The default window, to the day, so that the cache key is stable.
		f.Since = sillage.MonthsBefore(transfer.DayStart(sillage.Today(s.clock.Now())), s.cfg.Retention.NewStudentMonths)
	}
	if raw["du"] == "" {
		raw["du"] = f.Since.In(sillage.SchoolZone).Format("2006-01-02")
	}
	v := url.Values{}
	for k, x := range raw {
		if x != "" {
			v.Set(k, x)
		}
	}
	entry, err := s.dashboard.load(r, s, req.P.UAI, f, v)
	if err != nil {
		return err
	}
	d := transferDashboardData{Enabled: req.Establish.Transfer.Enabled, Filter: raw, Query: v.Encode(), Tables: entry.tables}
	// Most readers want the first pages, rendered once per cache entry;
	// another page of a list is rendered from the cached lists.
	pages := map[string]int{}
	for _, l := range transferLists {
		if n := pageNumber(r, l.param); n > 1 {
			pages[l.param] = n
		}
	}
	if len(pages) > 0 {
		if d.Tables, err = s.renderTables(entry.st, v, pages); err != nil {
			return err
		}
	}
	for _, l := range []struct{ name, label string }{{"recus", "reçus"}, {"envoyes", "envoyés"}, {"en-attente", "en attente"}, {"impossibles", "impossibles"}} {
		d.Lists = append(d.Lists, transferListLink{l.name, l.label, "/transferts/" + l.name + ".csv?" + d.Query})
	}
	return s.render(w, r, req, http.StatusOK, "transfer_dashboard.html", "Suivi des transferts", d)
}

// transferCSV downloads one list of the dashboard, with its filters.
func (s *Server) transferCSV(list string) handler {
	return func(w http.ResponseWriter, r *http.Request, req *Request) error {
		f, _, err := transferFilter(r)
		if err != nil {
			return err
		}
		st, err := transfer.LoadStatus(r.Context(), s.store, req.P.UAI, f, s.cfg.Retention)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := transfer.WriteCSV(&buf, st, list); err != nil {
			return err
		}
		name := "transferts-" + list + "-" + string(req.P.UAI) + "-" + sillage.Today(s.clock.Now()).String() + ".csv"
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "private, no-store")
		_, err = w.Write(buf.Bytes())
		return err
	}
}
