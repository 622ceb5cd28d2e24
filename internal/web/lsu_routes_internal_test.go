package web

import (
	"strings"
	"testing"
)

// TestLSUGateKeepsTheArchivesOpen: an establishment the Livret Scolaire
// does not apply to (a lycée, or one re-typed after it used the Livret) is
// refused every entry and export action, but still reads what it already
// holds: the closed reports' PDFs and its past exports with their reports.
func TestLSUGateKeepsTheArchivesOpen(t *testing.T) {
	archives := map[string]bool{
		"GET /livret/pdf/{pdf}":                 true,
		"GET /lsu/exports/{export}":             true,
		"GET /lsu/exports/{export}/fichier":     true,
		"GET /lsu/exports/{export}/rapport.csv": true,
	}
	seen := 0
	for _, rt := range (&Server{}).routeTable() {
		key := rt.method + " " + rt.path
		if !strings.HasPrefix(rt.path, "/livret") && !strings.HasPrefix(rt.path, "/lsu") {
			continue
		}
		if archives[key] {
			seen++
			if rt.lsu {
				t.Errorf("%s: an archive is gated by the establishment's kind", key)
			}
			continue
		}
		if !rt.lsu {
			t.Errorf("%s: an entry or export action is not gated by the establishment's kind", key)
		}
	}
	if seen != len(archives) {
		t.Errorf("%d archive routes found, want %d", seen, len(archives))
	}
}
