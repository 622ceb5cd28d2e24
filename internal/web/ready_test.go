package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/config"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/web"
)

func readyServer(t *testing.T, st *store.Store, blobDir string, clock *storetest.Clock, mod func(*config.Config)) *httptest.Server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if mod != nil {
		mod(&cfg)
	}
	srv, err := web.NewServer(web.Deps{Config: &cfg, Store: st, Blobs: openBlobs(t, blobDir), Clock: clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestReadyzTellsTheTruth: /readyz answers 503, one French line per
// problem, when the files' folder cannot be written or lacks room, and
// answers at once while a long write holds SQLite's single writer.
func TestReadyzTellsTheTruth(t *testing.T) {
	clock := &storetest.Clock{T: storetest.Epoch}
	st := storetest.Open(t, store.SQLite, clock)
	blobDir := t.TempDir()
	ts := readyServer(t, st, blobDir, clock, nil)
	if status, body, _ := get(t, ts.URL+"/readyz"); status != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthy: %d %q", status, body)
	}
	// A write holding the writer for 2 seconds: readiness does not wait.
	locked, release := make(chan struct{}), make(chan struct{})
	go st.Write(context.Background(), func(tx *store.Tx) error { close(locked); <-release; return nil })
	<-locked
	start := time.Now()
	status, body, _ := get(t, ts.URL+"/readyz")
	close(release)
	if status != 200 || time.Since(start) > time.Second {
		t.Fatalf("during a long write: %d %q after %v", status, body, time.Since(start))
	}
	// No room: the minimum cannot be met.
	full := readyServer(t, st, blobDir, clock, func(c *config.Config) { c.MinFreeSpace = 1 << 62 })
	status, body, hdr := get(t, full.URL+"/readyz")
	if status != 503 || !strings.Contains(body, "n'a plus que") || !strings.Contains(body, "SILLAGE_MIN_FREE_SPACE") || hdr.Get("Retry-After") == "" {
		t.Fatalf("no room: %d %q", status, body)
	}
	// The files' folder cannot be written (its temporary folder is a file).
	tmp := filepath.Join(blobDir, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	status, body, _ = get(t, ts.URL+"/readyz")
	if status != 503 || !strings.Contains(body, "n'est pas accessible en écriture") {
		t.Fatalf("read-only files: %d %q", status, body)
	}
}

// TestUnreachableDatabasePage: with PostgreSQL gone, a sign-in answers
// 503 with the French error page and a Retry-After, not 500 "driver: bad
// connection"; /readyz says the database is unreachable.
func TestUnreachableDatabasePage(t *testing.T) {
	clock := &storetest.Clock{T: storetest.Epoch}
	st, p, _ := storetest.Proxied(t, clock, store.Options{})
	ts := readyServer(t, st, t.TempDir(), clock, nil)
	if status, body, _ := get(t, ts.URL+"/readyz"); status != 200 {
		t.Fatalf("healthy: %d %q", status, body)
	}
	p.Stop()
	resp, err := http.PostForm(ts.URL+"/connexion", url.Values{"login": {"a.martin"}, "password": {"secret-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	pg := parsePage(t, body)
	if resp.StatusCode != 503 || !pg.has(".error-message", "injoignable") || pg.has("main", "driver") || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("sign-in with the database gone: %d %v %.600s", resp.StatusCode, resp.Header, body)
	}
	if status, body, _ := get(t, ts.URL+"/readyz"); status != 503 || !strings.Contains(body, "injoignable") {
		t.Fatalf("readyz with the database gone: %d %q", status, body)
	}
}
