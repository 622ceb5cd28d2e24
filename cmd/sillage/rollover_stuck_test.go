package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestRolloverStuckCommands: a step whose process died is "en cours" for
// 30 seconds, then `rollover enqueue` and `rollover stuck` say it is stuck
// and since when, and `rollover relaunch` hands it back to the jobs.
func TestRolloverStuckCommands(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			const uai = "0860012W"
			if code, out, errs := c.run("establishment", "add", "--uai", uai, "--name", "Lycée Rosa Bonheur"); code != exitOK {
				t.Fatalf("add: %d %q %q", code, out, errs)
			}
			died := time.Date(2026, time.July, 15, 8, 0, 0, 0, time.UTC)
			dsn, err := store.ParseDSN(c.env["SILLAGE_DB"])
			if err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(context.Background(), dsn, store.Options{Clock: &storetest.Clock{T: died}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := st.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Rollover().UpdateRolloverStepClaim(ctx, uai, 2025, 1, tx.Now().Add(rollover.DefaultLease), "ligne de commande", "serveur-1, processus 4242")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			st.Close()
			at := func(d time.Duration) string { return died.Add(d).Format(time.RFC3339) }

			// Step 1 deletes: enqueue needs the digest of its preview.
			digest := previewDigest(t, c, "1", at(10*time.Second))
			code, out, errs := c.run("rollover", "enqueue", "--year", "2025", "--step", "1", "--now", at(10*time.Second), "--apercu", digest)
			if code != exitOK || !strings.Contains(out, "0 établissement(s)") || !strings.Contains(out, uai+" : étape 1 en cours") {
				t.Fatalf("enqueue while the lease runs: %d %q %q", code, out, errs)
			}
			code, out, _ = c.run("rollover", "stuck", "--year", "2025", "--now", at(10*time.Second))
			if code != exitOK || !strings.Contains(out, "Aucune étape bloquée") {
				t.Fatalf("stuck while the lease runs: %d %q", code, out)
			}
			code, out, errs = c.run("rollover", "relaunch", "--year", "2025", "--step", "1", "--uai", uai, "--now", at(10*time.Second))
			if code != exitFailure || !strings.Contains(errs, "n'est pas bloquée") {
				t.Fatalf("relaunch while the lease runs: %d %q %q", code, out, errs)
			}
			since := sillage.FormatDateTime(died)
			code, out, _ = c.run("rollover", "enqueue", "--year", "2025", "--step", "1", "--now", at(40*time.Second), "--apercu", digest)
			if code != exitOK || !strings.Contains(out, "bloquée depuis "+since) || !strings.Contains(out, "serveur-1, processus 4242") ||
				!strings.Contains(out, "sillage rollover relaunch --step 1 --uai "+uai) {
				t.Fatalf("enqueue once stuck: %d %q", code, out)
			}
			code, out, _ = c.run("rollover", "stuck", "--year", "2025", "--now", at(40*time.Second))
			if code != exitOK || !strings.Contains(out, uai+" étape 1 : bloquée depuis le "+since) {
				t.Fatalf("stuck: %d %q", code, out)
			}
			code, out, _ = c.run("rollover", "stuck", "--year", "2025", "--json", "--now", at(40*time.Second))
			var rows []struct {
				UAI   string `json:"uai"`
				Step  int    `json:"etape"`
				Since string `json:"bloquee_depuis"`
			}
			if code != exitOK || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].UAI != uai || rows[0].Since != "2026-07-15T10:00:00+02:00" {
				t.Fatalf("stuck JSON: %d %q", code, out)
			}
			code, out, errs = c.run("rollover", "relaunch", "--year", "2025", "--step", "1", "--uai", uai, "--now", at(40*time.Second))
			if code != exitOK || !strings.Contains(out, "relancée") {
				t.Fatalf("relaunch: %d %q %q", code, out, errs)
			}
			code, out, _ = c.run("rollover", "stuck", "--year", "2025", "--now", at(41*time.Second))
			if code != exitOK || !strings.Contains(out, "Aucune étape bloquée") {
				t.Fatalf("stuck after the relaunch: %d %q", code, out)
			}
			code, out, _ = c.run("jobs", "list", "--json")
			if code != exitOK || strings.Count(out, `"type": "rollover_step"`) != 1 {
				t.Fatalf("jobs after the relaunch: %d %q", code, out)
			}
		})
	}
}
