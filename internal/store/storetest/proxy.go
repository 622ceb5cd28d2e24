package storetest

import (
	"context"
	"database/sql"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/store"
)

// Proxy forwards TCP connections to PostgreSQL, for the tests of a broken
// database: Cut breaks every connection it carries (a network cut), Stop
// also refuses new ones (the server is gone).
type Proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// Cut closes every connection the proxy carries.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Stop refuses new connections and cuts the others.
func (p *Proxy) Stop() {
	p.ln.Close()
	p.Cut()
}

// Proxied opens a fresh PostgreSQL store (skipped when PostgreSQL is not
// configured) whose connections go through a Proxy. terminate ends the
// server processes of its connections, as a PostgreSQL restart does (and
// only them: other tests share the server).
func Proxied(tb testing.TB, clock *Clock, opts store.Options) (st *store.Store, p *Proxy, terminate func()) {
	tb.Helper()
	dsn := DSN(tb, store.Postgres)
	u, err := url.Parse(dsn.URL)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p = &Proxy{ln: ln}
	target := u.Host
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	tb.Cleanup(p.Stop)
	admin, err := sql.Open("pgx", dsn.URL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { admin.Close() })
	app := "sillage-proxied-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	terminate = func() {
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app); err != nil {
			tb.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	u.Host = ln.Addr().String()
	if opts.Clock == nil {
		opts.Clock = clock
	}
	st, err = store.Open(context.Background(), store.DSN{Kind: store.Postgres, URL: u.String()}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, p, terminate
}
