package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeTimeoutsAndMetricsListener: a client that never finishes its
// headers is cut after the header timeout; with SILLAGE_METRICS_ADDR the
// metrics answer on their own address and not on the site's.
func TestServeTimeoutsAndMetricsListener(t *testing.T) {
	saved := serverTimeouts
	serverTimeouts.ReadHeader = 300 * time.Millisecond
	defer func() { serverTimeouts = saved }()

	dir := t.TempDir()
	var out bytes.Buffer
	env := map[string]string{"SILLAGE_DB": "sqlite:" + filepath.Join(dir, "s.db"), "SILLAGE_DATA_DIR": filepath.Join(dir, "data"),
		"SILLAGE_ADDR": "127.0.0.1:0", "SILLAGE_METRICS_ADDR": "127.0.0.1:0"}
	a, err := newApp(func(k string) string { return env[k] }, strings.NewReader(""), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, func(url string) { ready <- url }) }()
	defer func() {
		cancel()
		<-done
		a.close()
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	// Slow headers: the server closes the connection.
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = bufio.NewReader(conn).ReadString('\n')
	if err == nil || time.Since(start) > 4*time.Second {
		t.Fatalf("slow headers: connection kept (%v after %v)", err, time.Since(start))
	}
	// The metrics: on their address, not on the site's.
	var metricsURL string
	for _, line := range strings.Split(out.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "Métriques sur "); ok {
			metricsURL = rest
		}
	}
	resp, err := http.Get(metricsURL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics listener %q: %v %v", metricsURL, resp, err)
	}
	resp.Body.Close()
	if resp, err = http.Get(url + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("metrics on the site: %v %v", resp, err)
	}
	resp.Body.Close()
}
