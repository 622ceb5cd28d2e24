package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/store/storetest"
)

// TestKeyFileCannotBeReplacedSilently: once an import hashed students with
// the default key, losing or replacing the key file stops the import, the
// transfer and the server with a French message saying what to restore,
// and creates no key; restoring the file lets everything start again.
func TestKeyFileCannotBeReplacedSilently(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			if code, _, errs := c.run("establishment", "add", "--uai", "0860012W", "--name", "LP des Écluses"); code != exitOK {
				t.Fatal(errs)
			}
			f1 := directoryTestdata("siecle_0860012W_1.xml")
			if code, _, errs := c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", f1); code != exitOK {
				t.Fatalf("first import: %q", errs)
			}
			keyFile := filepath.Join(c.env["SILLAGE_DATA_DIR"], "id-key")
			saved, err := os.ReadFile(keyFile)
			if err != nil {
				t.Fatalf("the default key was not created: %v", err)
			}
			code, out, errs := c.run("idkey", "status")
			if code != exitOK || !strings.Contains(out, "Versions connues de la base : 1") {
				t.Fatalf("status: %d %q %q", code, out, errs)
			}

			serve := func() (int, string) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				a, err := newApp(func(k string) string { return c.env[k] }, strings.NewReader(""), &strings.Builder{}, &strings.Builder{})
				if err != nil {
					t.Fatal(err)
				}
				defer a.close()
				if err := a.cfg.Validate(); err != nil {
					t.Fatal(err)
				}
				a.cfg.Addr = "127.0.0.1:0"
				err = a.serve(ctx, func(string) { cancel() })
				if err != nil {
					return exitFailure, err.Error()
				}
				return exitOK, ""
			}
			other := filepath.Join(t.TempDir(), "other")
			if code, _, errs := (&cli{t: t, env: map[string]string{"SILLAGE_DB": "sqlite:" + filepath.Join(t.TempDir(), "x.db"), "SILLAGE_ID_KEY_FILE": other,
				"SILLAGE_DATA_DIR": filepath.Join(t.TempDir(), "data")}}).run("idkey", "init"); code != exitOK {
				t.Fatalf("idkey init on an empty instance: %q", errs)
			}
			otherData, _ := os.ReadFile(other)
			for _, tc := range []struct {
				name  string
				setup func()
				want  string
			}{
				{"absent", func() { os.Remove(keyFile) }, "introuvable"},
				{"remplacé", func() { os.WriteFile(keyFile, otherData, 0o600) }, "une autre clé"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					tc.setup()
					for _, args := range [][]string{
						{"--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", f1},
						{"transfer", "run"},
						{"idkey", "rotate"},
					} {
						code, _, errs := c.run(args...)
						if code != exitFailure || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "Restaurez") {
							t.Errorf("%v: %d %q", args, code, errs)
						}
					}
					if code, msg := serve(); code != exitFailure || !strings.Contains(msg, "démarrage refusé") {
						t.Errorf("serve: %d %q", code, msg)
					}
					if data, _ := os.ReadFile(keyFile); tc.name == "absent" && data != nil {
						t.Error("a key file was created")
					}
				})
			}
			os.WriteFile(keyFile, saved, 0o600)
			if code, _, errs := c.run("--now", "2025-10-06", "import", "siecle", "--uai", "0860012W", f1); code != exitOK {
				t.Fatalf("import after restoring the key: %q", errs)
			}
			if code, msg := serve(); code != exitOK {
				t.Fatalf("serve after restoring the key: %s", msg)
			}
		})
	}
}
