package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/config"
	"github.com/sillage/sillage/internal/web"
)

func TestClientAddr(t *testing.T) {
	trusted, err := config.ParseProxies("10.0.0.0/8, 192.0.2.10")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote, xff string
		trusted           bool
		want              string
	}{
		{"no proxy configured: the header is ignored", "203.0.113.5:4000", "198.51.100.7", false, "203.0.113.5"},
		{"untrusted peer: the header is ignored", "203.0.113.5:4000", "198.51.100.7", true, "203.0.113.5"},
		{"trusted proxy", "192.0.2.10:4000", "198.51.100.7", true, "198.51.100.7"},
		{"forged left part skipped", "192.0.2.10:4000", "1.2.3.4, 198.51.100.7", true, "198.51.100.7"},
		{"chain of trusted proxies", "10.1.1.1:4000", "198.51.100.7, 10.2.2.2", true, "198.51.100.7"},
		{"only trusted hops", "10.1.1.1:4000", "10.2.2.2", true, "10.2.2.2"},
		{"malformed hop", "192.0.2.10:4000", "198.51.100.7, n'importe quoi", true, "192.0.2.10"},
		{"no header", "192.0.2.10:4000", "", true, "192.0.2.10"},
		{"IPv4-mapped IPv6", "[::ffff:192.0.2.10]:4000", "198.51.100.7", true, "198.51.100.7"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/connexion", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		var ps = trusted
		if !c.trusted {
			ps = nil
		}
		if got := web.ClientAddr(r, ps); got != c.want {
			t.Errorf("%s: ClientAddr = %q, want %q", c.name, got, c.want)
		}
	}
	if _, err := config.ParseProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad network must be refused")
	}
	if _, err := config.ParseProxies("proxy.example"); err == nil {
		t.Error("a host name must be refused")
	}
}

// TestMetricsGate: on the site's listener /metrics needs the bearer token
// when one is set, or a connection address of SILLAGE_METRICS_FROM; the
// loopback alone is not enough (a reverse proxy on the host is the
// loopback), nor a forged X-Forwarded-For. With its own address, the site
// does not serve it at all.
func TestMetricsGate(t *testing.T) {
	f := newFixture(t)
	type call struct {
		remote, xff, bearer string
		want                int
	}
	tests := []struct {
		name  string
		from  string
		token string
		addr  string
		calls []call
	}{
		{"nothing configured: closed, loopback included", "", "", "", []call{
			{"127.0.0.1:5000", "", "", http.StatusNotFound},
			{"[::1]:5000", "", "", http.StatusNotFound},
			{"198.51.100.7:5000", "", "", http.StatusNotFound},
		}},
		{"listed networks", "192.0.2.0/24", "", "", []call{
			{"192.0.2.44:5000", "", "", http.StatusOK},
			{"127.0.0.1:5000", "", "", http.StatusNotFound},
			{"198.51.100.7:5000", "", "", http.StatusNotFound},
			{"203.0.113.5:5000", "192.0.2.44", "", http.StatusNotFound}, // a proxy's forwarded address proves nothing
		}},
		{"bearer token", "192.0.2.0/24", "s3cr3t-metriques", "", []call{
			{"198.51.100.7:5000", "", "s3cr3t-metriques", http.StatusOK},
			{"192.0.2.44:5000", "", "", http.StatusNotFound}, // the token is then required
			{"127.0.0.1:5000", "", "mauvais", http.StatusNotFound},
		}},
		{"own listen address", "192.0.2.0/24", "", "127.0.0.1:9100", []call{
			{"192.0.2.44:5000", "", "", http.StatusNotFound},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := *f.cfg
			cfg.MetricsFrom, _ = config.ParseProxies(tt.from)
			cfg.TrustedProxies, _ = config.ParseProxies("203.0.113.5")
			cfg.MetricsToken, cfg.MetricsAddr = tt.token, tt.addr
			srv, err := web.NewServer(web.Deps{Config: &cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.calls {
				r := httptest.NewRequest("GET", "/metrics", nil)
				r.RemoteAddr = c.remote
				if c.xff != "" {
					r.Header.Set("X-Forwarded-For", c.xff)
				}
				if c.bearer != "" {
					r.Header.Set("Authorization", "Bearer "+c.bearer)
				}
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, r)
				if w.Code != c.want || c.want == http.StatusOK && !strings.Contains(w.Body.String(), "go_goroutines") {
					t.Errorf("/metrics from %s (X-Forwarded-For %q, token %q): %d, want %d", c.remote, c.xff, c.bearer, w.Code, c.want)
				}
			}
			if tt.addr != "" {
				// The metrics listener serves them to whoever reaches it.
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "/metrics", nil)
				r.RemoteAddr = "10.1.2.3:5000"
				srv.MetricsHandler().ServeHTTP(w, r)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "go_goroutines") {
					t.Errorf("metrics listener: %d", w.Code)
				}
			}
		})
	}
}
