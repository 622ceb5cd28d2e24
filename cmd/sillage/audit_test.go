package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// An existing unkeyed chain is sealed by one entry; a checkpoint then
// catches the truncation of the tail that the chain alone cannot.
func TestAuditSealCheckpointVerify(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			c := newCLI(t, kind)
			// A chain written before the audit key existed.
			st, err := store.Open(ctx, c.dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, target := range []string{"a", "b"} {
				if err := st.Write(ctx, func(tx *store.Tx) error {
					return audit.Record(ctx, tx, "", audit.System, audit.Import, target, "")
				}); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Write(ctx, func(tx *store.Tx) error {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0860012W", Name: "A", Kind: sillage.KindLP}); err != nil {
					return err
				}
				return audit.Record(ctx, tx, "0860012W", audit.System, audit.Import, "c", "")
			}); err != nil {
				t.Fatal(err)
			}
			st.Close()

			code, out, errs := c.run("audit", "seal")
			if code != exitOK || !strings.Contains(out, "2 journal(aux) scellé(s)") {
				t.Fatalf("seal: %d %q %q", code, out, errs)
			}
			if code, out, _ = c.run("audit", "seal"); code != exitOK || !strings.Contains(out, "0 journal(aux) scellé(s)") {
				t.Fatalf("second seal: %d %q", code, out)
			}
			cpFile := filepath.Join(t.TempDir(), "point.json")
			if code, out, errs = c.run("audit", "checkpoint", "--out", cpFile); code != exitOK || !strings.Contains(out, "2 journaux") {
				t.Fatalf("checkpoint: %d %q %q", code, out, errs)
			}
			dataDir := c.env["SILLAGE_DATA_DIR"]
			for _, name := range []string{"audit-key", "audit-signing-key"} {
				fi, err := os.Stat(filepath.Join(dataDir, name))
				if err != nil || fi.Mode().Perm() != 0o600 {
					t.Fatalf("key file %s: %v %v", name, fi, err)
				}
			}
			if code, out, errs = c.run("user", "add-operator", "--login", "exploitation"); code != exitOK {
				t.Fatalf("add-operator: %d %q %q", code, out, errs)
			}
			if code, out, errs = c.run("audit", "verify", "--checkpoint", cpFile); code != exitOK || !strings.Contains(out, "Journal intact : 6 entrées vérifiées avec la clé du journal et le point de contrôle") {
				t.Fatalf("verify: %d %q %q", code, out, errs)
			}
			// Cut the tail back to the checkpoint minus one, head included.
			db, err := store.Open(ctx, c.dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				`DELETE FROM audit_log WHERE uai = '' AND seq >= 3`,
				`UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_log WHERE uai = '' AND seq = 2) WHERE uai = ''`,
			} {
				if _, err := db.SQLDB().Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			// Without the checkpoint the key still sees an unsealed chain.
			if code, out, _ = c.run("audit", "verify"); code != exitFailure || !strings.Contains(out, "instance, entrée n° 2 : chaîne non scellée") {
				t.Fatalf("verify without checkpoint after truncation: %d %q", code, out)
			}
			if code, out, _ = c.run("audit", "verify", "--checkpoint", cpFile); code != exitFailure || !strings.Contains(out, "dernières entrées supprimées : le point de contrôle atteste l'entrée n° 3, le journal s'arrête à la n° 2") {
				t.Fatalf("verify with checkpoint after truncation: %d %q", code, out)
			}
			// A rotated audit key seals from now on under v2 and still
			// verifies the v1 entries; a rotated signing key still reads the
			// v1 checkpoint.
			if code, out, errs = c.run("audit", "rotate-key"); code != exitOK || !strings.Contains(out, "Nouvelle version v2") {
				t.Fatalf("rotate-key: %d %q %q", code, out, errs)
			}
			if code, out, errs = c.run("audit", "rotate-key", "--signing"); code != exitOK || !strings.Contains(out, "Nouvelle version v2") {
				t.Fatalf("rotate-key --signing: %d %q %q", code, out, errs)
			}
			if code, out, _ = c.run("audit", "verify", "--uai", "0860012W", "--checkpoint", cpFile); code != exitOK {
				t.Fatalf("verify after rotations: %d %q", code, out)
			}
			data, _ := os.ReadFile(cpFile)
			forged := filepath.Join(t.TempDir(), "faux.json")
			os.WriteFile(forged, []byte(strings.Replace(string(data), `"seq": 3`, `"seq": 2`, 1)), 0o600)
			if code, _, errs = c.run("audit", "verify", "--checkpoint", forged); code != exitFailure || !strings.Contains(errs, "signature du point de contrôle invalide") {
				t.Fatalf("forged checkpoint: %d %q", code, errs)
			}
		})
	}
}
