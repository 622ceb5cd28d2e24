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

// TestMetricsGate: /metrics answers the loopback and SILLAGE_METRICS_FROM,
// judged on the connection's address; anyone else gets "not found", even
// with a forged X-Forwarded-For.
func TestMetricsGate(t *testing.T) {
	f := newFixture(t)
	cfg := f.cfg
	cfg.MetricsFrom, _ = config.ParseProxies("192.0.2.0/24")
	cfg.TrustedProxies, _ = config.ParseProxies("203.0.113.5")
	srv, err := web.NewServer(web.Deps{Config: cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		remote, xff string
		want        int
	}{
		{"127.0.0.1:5000", "", http.StatusOK},
		{"[::1]:5000", "", http.StatusOK},
		{"192.0.2.44:5000", "", http.StatusOK},
		{"198.51.100.7:5000", "", http.StatusNotFound},
		{"203.0.113.5:5000", "127.0.0.1", http.StatusNotFound}, // a proxy's forwarded address is not the loopback
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != c.want || c.want == http.StatusOK && !strings.Contains(w.Body.String(), "go_goroutines") {
			t.Errorf("/metrics from %s (X-Forwarded-For %q): %d, want %d", c.remote, c.xff, w.Code, c.want)
		}
	}
}
