// Package web is Sillage's HTTP surface: French pages (html/template and
// htmx) and the JSON API under /api/v1/. Every route is declared once, in
// routes.go, with the policy action it needs; handlers are thin and call
// the store and the domain packages, never SQL.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/config"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/privacy"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/sso"
	"github.com/sillage/sillage/internal/store"
)

//go:embed templates static
var assets embed.FS

// Deps are what the server needs.
type Deps struct {
	Config *config.Config
	Store  *store.Store
	Blobs  blob.Store
	Clock  sillage.Clock
	Logger *slog.Logger
	// NoticeVersion is the privacy notice version users must have
	// acknowledged (0: privacy.NoticeVersion).
	NoticeVersion int
	// Rollover is the changeover's engine, the one the background jobs
	// run the steps with (the changeover pages need it).
	Rollover *rollover.Engine
	// Hooks lets the capabilities that run outside the request (jobs,
	// imports, transfers) plug in; nil hooks are skipped.
	Hooks Hooks
	// SSO signs people in through the instance's identity providers (nil:
	// none configured).
	SSO *sso.Service
	// Federation serves the federation protocol's endpoints
	// (federation.Node.Handler; nil: the instance is in no federation).
	Federation http.Handler
}

// Hooks are optional collaborators the server calls.
type Hooks struct {
	// QueueTransfer is called inside the transaction of an import that
	// created or deactivated students: the transfer run follows in the
	// background, queued with the import itself
	// (directory.Importer.QueueTransfer).
	QueueTransfer func(ctx context.Context, tx *store.Tx, uai sillage.UAI) error
	// AccessBlocked says whether a role of an establishment is blocked now
	// by the changeover's access-blocking window, and the message to show.
	AccessBlocked func(ctx context.Context, uai sillage.UAI, role sillage.Role) (bool, string)
	// BlockingChanged is told that the access blocking of an
	// establishment changed ("" for every establishment: the calendar
	// changed), so that AccessBlocked answers from the new one at once.
	BlockingChanged func(uai sillage.UAI)
	// Jobs is the durable job queue: the operator's page lists it and runs
	// the transfer and the purge on demand (nil: the page says so).
	Jobs JobQueue
}

// Server serves the web interface and the API.
type Server struct {
	cfg      *config.Config
	store    *store.Store
	blobs    blob.Store
	clock    sillage.Clock
	log      *slog.Logger
	rollover *rollover.Engine
	hooks    Hooks
	sessions *auth.Sessions
	limiter  *auth.Limiter
	// verifyWindow bounds the public verifier's uploads per address,
	// shared by every server process.
	verifyWindow *auth.Window
	pages        map[string]*template.Template
	routes       []route
	mux          *http.ServeMux
	handler      http.Handler
	metrics      *metrics
	// noticeVersion is the privacy notice version to acknowledge.
	noticeVersion int
	// box seals the files kept with secrets (loaded on first use).
	boxMu sync.Mutex
	box   *sealbox.Box
	// dashboard keeps the transfer dashboards' lists a few seconds.
	dashboard *statusCache

	sso *sso.Service
	// ident is the instance's signing identity, loaded on first use.
	ident identity
	// federation serves the protocol's endpoints (nil: in no federation).
	federation http.Handler
}

// NewServer builds the server: templates parsed, routes registered.
func NewServer(d Deps) (*Server, error) {
	if d.Clock == nil {
		d.Clock = sillage.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &Server{
		cfg:      d.Config,
		store:    d.Store,
		blobs:    d.Blobs,
		clock:    d.Clock,
		log:      d.Logger,
		rollover: d.Rollover,
		hooks:    d.Hooks,
		sessions: &auth.Sessions{Store: d.Store, Clock: d.Clock, Idle: d.Config.SessionIdle},
		limiter:  sharedLimiter(d),
		verifyWindow: &auth.Window{Clock: d.Clock, Store: d.Store, Name: "verifier",
			Max: verifyPerWindow, Period: 15 * time.Minute},
		mux:        http.NewServeMux(),
		metrics:    newMetrics(),
		dashboard:  newStatusCache(),
		sso:        d.SSO,
		federation: d.Federation,
	}
	s.noticeVersion = d.NoticeVersion
	if s.noticeVersion == 0 {
		s.noticeVersion = privacy.NoticeVersion
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.dropExpiredPending()
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		if rt.action != "" && !auth.Known(rt.action) {
			return nil, fmt.Errorf("route %s %s: unknown action %q", rt.method, rt.path, rt.action)
		}
		s.mux.Handle(rt.method+" "+rt.path, s.metrics.instrument(rt.method+" "+rt.path, s.wrap(rt)))
	}
	static, _ := fs.Sub(assets, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metricsGate(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	s.mux.HandleFunc("/", s.notFound)

	protect := http.NewCrossOriginProtection()
	// The identity providers post to these from their own origin: the
	// SAML response (bound to its sign-in by the state cookie, RelayState
	// and InResponseTo) and the CAS single log-out (a server-to-server
	// request).
	protect.AddInsecureBypassPattern("POST /sso/saml/{provider}/acs")
	protect.AddInsecureBypassPattern("POST /sso/cas/{provider}/callback")
	// The single log-out of SAML (a LogoutRequest posted by the provider's
	// page, checked by its signature) and of OpenID Connect (a logout token
	// posted server to server, checked by its signature).
	protect.AddInsecureBypassPattern("POST /sso/saml/{provider}/slo")
	protect.AddInsecureBypassPattern("POST /sso/oidc/{provider}/deconnexion")
	protect.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusForbidden, "Requête refusée : elle ne provient pas de Sillage (protection contre la falsification de requête).")
	}))
	s.handler = s.securityHeaders(s.limitBody(protect.Handler(s.mux)))
	return s, nil
}

// verifyPerWindow is the public verifier's allowance per address and
// quarter of an hour: a secretary checking a class's passports, not a
// flood of uploads.
const verifyPerWindow = 60

// sharedLimiter is the sign-in limiter over the database: every server
// process counts the same failures.
func sharedLimiter(d Deps) *auth.Limiter {
	l := auth.NewLimiter(d.Clock)
	l.Store = d.Store
	return l
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists the routes (method, path pattern, action), for the
// authorization matrix test and the API description.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		out[i] = RouteInfo{Method: rt.method, Path: rt.path, Action: rt.action, API: rt.api, Onboarding: rt.onboarding}
	}
	return out
}

// RouteInfo describes a route.
type RouteInfo struct {
	Method, Path string
	Action       auth.Action // "" for public routes
	API          bool
	Onboarding   bool
}

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body by the largest any route accepts
// (an import file and its form), so that no handler reads without end; the
// routes set their own, smaller limits. A body announced larger is refused
// before it is read.
func (s *Server) limitBody(next http.Handler) http.Handler {
	limit := s.cfg.MaxImport + 2<<20
	if s.cfg.MaxUpload+2<<20 > limit {
		limit = s.cfg.MaxUpload + 2<<20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			s.renderError(w, r, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("Requête trop volumineuse : %s au plus.", sillage.FormatSize(limit)))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// readyz answers whether the instance can serve and keep what it is
// given: the database answers (through its readers: on SQLite a long write
// holding the single writer does not make it look down) with every
// migration applied, and the data directory — and SQLite's folder — can
// be written and keeps SILLAGE_MIN_FREE_SPACE free. Each failure is one
// French line.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var problems []string
	if err := s.store.Ready(ctx); err != nil {
		problems = append(problems, sillage.Message(err))
	}
	if s.blobs != nil {
		if err := s.blobs.Check(s.cfg.MinFreeSpace); err != nil {
			problems = append(problems, sillage.Message(err))
		}
	}
	if dsn := s.store.DSN(); dsn.Kind == store.SQLite {
		if err := blob.CheckDir(filepath.Dir(dsn.Path), s.cfg.MinFreeSpace); err != nil {
			problems = append(problems, "base SQLite : "+sillage.Message(err))
		}
	}
	if len(problems) > 0 {
		w.Header().Set("Retry-After", "10")
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
		return
	}
	fmt.Fprintln(w, "ok")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSONError(w, http.StatusNotFound, "introuvable")
		return
	}
	s.renderError(w, r, http.StatusNotFound, "Cette page n'existe pas.")
}

// statusOf maps an error kind to an HTTP status.
func statusOf(err error) int {
	switch sillage.KindOf(err) {
	case sillage.KindNotFound:
		return http.StatusNotFound
	case sillage.KindInvalid:
		return http.StatusBadRequest
	case sillage.KindConflict:
		return http.StatusConflict
	case sillage.KindForbidden:
		return http.StatusForbidden
	case sillage.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail answers a handler's error: the domain message for the user, the
// cause in the log for operators.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rt route, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	if responseStarted(w) {
		// The answer has begun (most often a page written to a client
		// that went away): an error page now would be a second answer.
		s.log.Warn("request failed after its answer began", "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	status := statusOf(err)
	msg := sillage.Message(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "Une erreur interne est survenue. Réessayez ; si elle persiste, prévenez l'administrateur."
	} else if status == http.StatusServiceUnavailable {
		s.log.Warn("request unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
	}
	if status == http.StatusNotFound {
		msg = "Introuvable."
	}
	if rt.api {
		writeJSONError(w, status, msg)
		return
	}
	s.renderError(w, r, status, msg)
}

// responseStarted reports whether the status line of w has been written,
// looking through the writers wrapping the instrumented one.
func responseStarted(w http.ResponseWriter) bool {
	for {
		switch x := w.(type) {
		case *statusWriter:
			return x.status != 0
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return false
		}
	}
}

// metricsGate guards /metrics on the site's listener: route names and
// volumes tell an outsider too much. The loopback is not trusted by itself
// (a reverse proxy on the same host makes every visitor the loopback):
// the metrics need the bearer token SILLAGE_METRICS_TOKEN when it is set,
// or a connection address listed in SILLAGE_METRICS_FROM (judged on the
// connection, a forwarded header proves nothing here). With
// SILLAGE_METRICS_ADDR, the metrics are served there only (MetricsHandler).
func (s *Server) metricsGate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MetricsAddr != "" || !s.metricsAllowed(r, false) {
			s.notFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) metricsAllowed(r *http.Request, ownListener bool) bool {
	if s.cfg.MetricsToken != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsToken)) == 1
	}
	if ownListener {
		return true // the operator chose who reaches that address
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range s.cfg.MetricsFrom {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// MetricsHandler serves /metrics alone, for its own listener
// (SILLAGE_METRICS_ADDR); the token applies there too when set.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	prom := promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.metricsAllowed(r, true) {
			http.NotFound(w, r)
			return
		}
		prom.ServeHTTP(w, r)
	}))
	return mux
}

func (s *Server) clientAddr(r *http.Request) string {
	return ClientAddr(r, s.cfg.TrustedProxies)
}

// ClientAddr is the address a request comes from: the connection's, or,
// when the connection comes from a trusted reverse proxy, the nearest
// untrusted address of X-Forwarded-For read from the right (the left part
// is whatever the client chose to send). Without trusted proxies the header
// is ignored: anyone could forge it to dodge the per-address sign-in limit.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if len(trusted) == 0 || !isTrusted(host) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if a, err := netip.ParseAddr(hop); err != nil {
			break // a malformed hop: stop at the last address we can vouch for
		} else if !isTrusted(hop) {
			return a.Unmap().String()
		} else {
			host = hop
		}
	}
	return host
}

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sillage_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sillage_http_request_duration_seconds", Help: "HTTP request duration by route.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	m.registry.MustRegister(m.requests, m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (m *metrics) instrument(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		m.requests.WithLabelValues(name, fmt.Sprint(sw.status)).Inc()
		m.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	})
}

// Registry exposes the metrics registry so jobs can add their gauges.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

// secrets returns the key that seals the files kept with secrets or INEs
// (credential lists, initialisation files, held imports), created on first
// use outside the data directory (SILLAGE_SECRETS_KEY_FILE).
func (s *Server) secrets() (*sealbox.Box, error) {
	s.boxMu.Lock()
	defer s.boxMu.Unlock()
	if s.box != nil {
		return s.box, nil
	}
	box, err := keyreg.LoadSecretsBox(context.Background(), s.store, s.cfg.SecretsKeyFile)
	if err != nil {
		return nil, err
	}
	s.box = box
	return box, nil
}
