package web

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/transfer"
)

// TestStatusCacheOneRefreshAtATime: while a refresh of the lists is under
// way, readers get the previous lists if they are recent enough, and wait
// for the refresh otherwise; none of them reads the database (the server
// here has no store: a read would panic).
func TestStatusCacheOneRefreshAtATime(t *testing.T) {
	s := &Server{}
	uai := sillage.UAI("0860012W")
	f := transfer.StatusFilter{}
	key := fmt.Sprintf("%s|%v|%v|%s", uai, f.Since.Unix(), f.Until.Unix(), f.Done)
	r := httptest.NewRequest("GET", "/transferts", nil)
	c := newStatusCache()
	done := make(chan struct{})
	c.loading[key] = done // another request is refreshing

	// Lists 4 s old, past the TTL but not stale: served at once.
	old := statusCacheEntry{at: time.Now().Add(-4 * time.Second), tables: "anciennes"}
	c.m[key] = old
	if e, err := c.load(r, s, uai, f, nil); err != nil || e.tables != "anciennes" {
		t.Fatalf("during a refresh, recent lists: %q, %v", e.tables, err)
	}

	// Lists too old: the reader waits for the refresh and gets its lists.
	c.m[key] = statusCacheEntry{at: time.Now().Add(-2 * statusCacheStale), tables: "périmées"}
	got := make(chan statusCacheEntry)
	go func() {
		e, err := c.load(r, s, uai, f, nil)
		if err != nil {
			t.Error(err)
		}
		got <- e
	}()
	select {
	case e := <-got:
		t.Fatalf("served %q without waiting for the refresh", e.tables)
	case <-time.After(100 * time.Millisecond):
	}
	c.mu.Lock()
	c.m[key] = statusCacheEntry{at: time.Now(), tables: "nouvelles"}
	delete(c.loading, key)
	c.mu.Unlock()
	close(done)
	if e := <-got; e.tables != "nouvelles" {
		t.Fatalf("after the refresh: %q, want the new lists", e.tables)
	}
}
