package web

import (
	"bytes"
	"fmt"
	"github.com/sillage/sillage/internal/acquisition"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/sso"
)

// page is what every template receives.
type page struct {
	Title     string
	P         auth.Principal
	Etab      sillage.Establishment
	Nav       []navItem
	Flash     string
	ExpiresAt time.Time
	Now       time.Time
	Path      string
	Data      any
}

type navItem struct {
	Label, Href string
	Active      bool
}

var funcs = template.FuncMap{
	"ssoProtocol": sso.ProtocolLabel,
	"inList":      func(list []string, v string) bool { return slices.Contains(list, v) },
	// Instants are stored in UTC; people read them in the schools' zone.
	"date": func(v any) string {
		switch d := v.(type) {
		case sillage.Date:
			return d.French()
		case time.Time:
			return sillage.FormatDate(d)
		}
		return ""
	},
	"datetime":  sillage.FormatDateTime,
	"acqclass":  scoreClass,
	"acqseries": acquisition.SeriesLabel,
	// dict passes several values to a partial template: key, value, …
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"longdate":  sillage.FormatLongDate,
	"iso":       func(d sillage.Date) string { return d.String() },
	"role":      func(r sillage.Role) string { return r.Label() },
	"actorrole": audit.RoleLabel,
	"size":      sillage.FormatSize,
	"unix":      func(t time.Time) int64 { return t.Unix() },
	"add":       func(a, b int) int { return a + b },
	"plural":    func(n int, one, many string) string { return map[bool]string{true: one, false: many}[n <= 1] },
	"join":      strings.Join,
	"contains":  func(list []string, s string) bool { return containsString(list, s) },
	"allowed":   func(p auth.Principal, a string) bool { return p.Allowed(auth.Action(a)) },
	"nl2br": func(s string) template.HTML {
		return template.HTML(strings.ReplaceAll(template.HTMLEscapeString(s), "\n", "<br>"))
	},
	"schoolyear": func(y sillage.SchoolYear) string { return y.String() },
	// linkify is nl2br with Sillage's own paths (/groupes/12) made links.
	"linkify": linkify,
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseTemplates builds one template set per page: the layout, the
// partials and the page.
func (s *Server) parseTemplates() error {
	s.pages = map[string]*template.Template{}
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials/*.html", f)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// render writes a full page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, req *Request, status int, name, title string, data any) error {
	return s.renderTemplate(w, r, req, status, name, "layout", title, data)
}

// renderFragment writes one named template of a page, for htmx swaps.
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, req *Request, name, fragment string, data any) error {
	return s.renderTemplate(w, r, req, http.StatusOK, name, fragment, "", data)
}

func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request, req *Request, status int, name, tmpl, title string, data any) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	if req == nil {
		req = &Request{}
	}
	p := page{Title: title, P: req.P, Etab: req.Establish, Flash: req.Flash, ExpiresAt: req.Session.ExpiresAt,
		Now: s.clock.Now(), Path: r.URL.Path, Data: data}
	p.Nav = s.nav(req, r.URL.Path)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if req.P.AccountID != 0 {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// renderError writes an error page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	req, _ := s.identify(r, route{})
	title := statusTitle(status)
	if err := s.render(w, r, req, status, "error.html", title, map[string]any{"Status": status, "Title": title, "Message": msg}); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, msg, status)
	}
}

// renderNotApplicable explains, on a Livret Scolaire page, why LSU does
// not concern the establishment (livret.DegreeOf). A page asked for is
// answered with the explanation; an action is refused with it.
func (s *Server) renderNotApplicable(w http.ResponseWriter, r *http.Request, req *Request, reason error) {
	status := http.StatusOK
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		status = http.StatusConflict
	}
	msg := []rune(sillage.Message(reason))
	if len(msg) > 0 {
		msg[0] = unicode.ToUpper(msg[0])
	}
	data := map[string]any{"Reason": string(msg) + ".", "Kind": req.Establish.Kind.Label()}
	if err := s.render(w, r, req, status, "lsu_not_applicable.html", "Livret Scolaire Unique", data); err != nil {
		s.log.Error("render lsu not applicable page", "err", err)
	}
}

func (s *Server) renderBlocked(w http.ResponseWriter, r *http.Request, req *Request, msg string) {
	// Only the message: no menu leading to pages that are blocked too.
	only := *req
	only.P = auth.Principal{AccountID: req.P.AccountID, Login: req.P.Login, Name: req.P.Name}
	if err := s.render(w, r, &only, http.StatusServiceUnavailable, "blocked.html", "Espace indisponible", map[string]any{"Message": msg}); err != nil {
		s.log.Error("render blocked page", "err", err)
	}
}

// menu lists the entries of the menu with the action each needs.
var menu = []struct {
	label, href string
	action      auth.Action
	lsu         bool // offered only where LSU applies (livret.Applies)
}{
	{"Accueil", "/", auth.ViewHome, false},
	{"Mon livret", "/mon-livret", auth.ViewOwnRecord, false},
	{"Mes acquis", "/mon-livret/acquis", auth.ViewOwnRecord, false},
	{"Mes documents", "/mes-documents", auth.ViewOwnRecord, false},
	{"Mes enfants", "/mes-enfants", auth.ViewChildRecord, false},
	{"Élèves", "/eleves", auth.ViewStudents, false},
	{"Acquis", "/acquis", auth.ViewStudents, false},
	{"Évaluations", "/evaluations", auth.EditEvaluations, false},
	{"Référentiels", "/referentiels", auth.ViewReferentials, false},
	{"Livret scolaire", "/livret", auth.EnterReports, true},
	{"Vie scolaire des classes", "/livret/vie-scolaire", auth.EnterClassSchoolLife, true},
	{"Imports", "/imports", auth.ImportDirectory, false},
	{"Comptes", "/comptes", auth.ManageAccounts, false},
	{"Connexions", "/connexions", auth.ViewAllSignIns, false},
	{"Transferts", "/transferts", auth.TransferDashboard, false},
	{"Export LSU", "/lsu", auth.ExportLSU, true},
	{"Périodes", "/periodes", auth.ManagePeriods, false},
	{"Corbeille", "/corbeille", auth.RestoreTrash, false},
	{"Archives", "/archives", auth.ViewArchives, false},
	{"Espaces de classe", "/classes", auth.ViewClassSpaces, false},
	{"Groupes", "/groupes", auth.ManageGroups, false},
	{"Changement d'année", "/changement-annee", auth.ViewRollover, false},
	{"Journal", "/journal", auth.ReadAudit, false},
	{"Établissements", "/operateur", auth.OperatorHome, false},
	{"Changement d'année", "/operateur/changement-annee", auth.OperatorRollover, false},
	{"Tâches", "/operateur/taches", auth.OperatorJobs, false},
	{"Journal de l'instance", "/operateur/journal", auth.OperatorAudit, false},
	{"Conservation", "/operateur/conservation", auth.OperatorRetention, false},
	{"Registre des traitements", "/operateur/registre", auth.OperatorPrivacy, false},
	{"Connexion unique", "/operateur/sso", auth.OperatorSSO, false},
	{"Fédération", "/operateur/federation", auth.OperatorFederation, false},
	{"Messages", "/messages", auth.ReadMessages, false},
}

func (s *Server) nav(req *Request, current string) []navItem {
	p := req.P
	if p.AccountID == 0 && !p.APIToken {
		return nil
	}
	var items []navItem
	for _, m := range menu {
		if !p.Allowed(m.action) || !s.hasRoute("GET", m.href) || (m.lsu && !livret.Applies(req.Establish)) {
			continue
		}
		active := current == m.href || (m.href != "/" && strings.HasPrefix(current, m.href+"/"))
		items = append(items, navItem{Label: m.label, Href: m.href, Active: active})
	}
	// One entry is current: the longest that matches (/mon-livret/acquis
	// is "Mes acquis", not "Mon livret").
	best := -1
	for i, it := range items {
		if it.Active && (best < 0 || len(it.Href) > len(items[best].Href)) {
			best = i
		}
	}
	for i := range items {
		items[i].Active = i == best
	}
	return items
}

func (s *Server) hasRoute(method, p string) bool {
	for _, rt := range s.routes {
		if rt.method == method && rt.path == p {
			return true
		}
	}
	return false
}

// statusTitle names an error status for the page's title and heading, in
// French (http.StatusText is English).
func statusTitle(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Demande invalide"
	case http.StatusUnauthorized:
		return "Connexion requise"
	case http.StatusForbidden:
		return "Accès refusé"
	case http.StatusNotFound:
		return "Introuvable"
	case http.StatusMethodNotAllowed:
		return "Action non permise"
	case http.StatusConflict:
		return "Conflit"
	case http.StatusRequestEntityTooLarge:
		return "Fichier trop volumineux"
	case http.StatusUnsupportedMediaType:
		return "Type de fichier refusé"
	case http.StatusTooManyRequests:
		return "Trop de tentatives"
	case http.StatusServiceUnavailable:
		return "Service indisponible"
	default:
		return "Erreur"
	}
}
