package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// cli runs the program with a fresh data directory and returns the exit
// code, stdout and stderr.
type cli struct {
	t   *testing.T
	env map[string]string
	dsn store.DSN
}

func newCLI(t *testing.T, kind store.Kind) *cli {
	t.Helper()
	dir := t.TempDir()
	c := &cli{t: t, env: map[string]string{"SILLAGE_DATA_DIR": filepath.Join(dir, "data")}}
	dsn := storetest.DSN(t, kind)
	c.dsn = dsn
	c.env["SILLAGE_DB"] = dsn.String()
	if kind == store.Postgres {
		c.env["SILLAGE_DB"] = dsn.URL
	}
	return c
}

// noINEAtRest opens the command's database and looks for ines in it and
// in the data directory (storetest.NoINEAtRest).
func (c *cli) noINEAtRest(ines []string) {
	c.t.Helper()
	dsn, err := store.ParseDSN(c.env["SILLAGE_DB"])
	if err != nil {
		c.t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	defer st.Close()
	storetest.NoINEAtRest(c.t, st, ines, c.env["SILLAGE_DATA_DIR"])
}

func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return c.env[k] }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestEstablishmentCommands(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			code, out, errs := c.run("establishment", "add", "--uai", "0860012W", "--name", "Lycée Rosa Bonheur")
			if code != exitOK || !strings.Contains(out, "0860012W") {
				t.Fatalf("add: %d %q %q", code, out, errs)
			}
			code, _, errs = c.run("establishment", "add", "--uai", "0860012X", "--name", "Erreur")
			if code != exitUsage || !strings.Contains(errs, "la lettre de contrôle attendue est W") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Fatalf("bad check letter: %d %q", code, errs)
			}
			code, _, errs = c.run("establishment", "add", "--uai", "0860012W", "--name", "Doublon")
			if code != exitFailure || !strings.Contains(errs, "existe déjà") {
				t.Fatalf("duplicate: %d %q", code, errs)
			}
			code, out, _ = c.run("establishment", "list", "--json")
			var rows []map[string]any
			if code != exitOK || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["uai"] != "0860012W" {
				t.Fatalf("list: %d %q", code, out)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	readOnlyParent := filepath.Join(dir, "fichier")
	os.WriteFile(readOnlyParent, []byte("x"), 0o600)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown subcommand", nil, []string{"frobnicate"}, exitUsage, "commande inconnue « frobnicate » pour « sillage »"},
		{"unknown sub-subcommand", nil, []string{"transfer", "statu"}, exitUsage, "commande inconnue « statu » pour « sillage transfer »"},
		{"unknown flag", nil, []string{"migrate", "--nope"}, exitUsage, "option inconnue : --nope"},
		{"unknown shorthand", nil, []string{"migrate", "-z"}, exitUsage, "option inconnue : -z"},
		{"extra argument", nil, []string{"migrate", "extra"}, exitUsage, "commande inconnue « extra » pour « sillage migrate »"},
		{"missing required flag", nil, []string{"transfer", "status"}, exitUsage, "option obligatoire manquante : --uai"},
		{"flag without its value", nil, []string{"transfer", "status", "--uai"}, exitUsage, "l'option --uai attend une valeur"},
		{"bad flag value", nil, []string{"demo", "--no-serve", "--students", "beaucoup"}, exitUsage, `valeur "beaucoup" invalide pour l'option --students`},
		{"missing file", map[string]string{"SILLAGE_DB": "sqlite:" + filepath.Join(dir, "files.db")}, []string{"import", "siecle", "--uai", "0860012W", filepath.Join(dir, "absent.xml")},
			exitFailure, "absent.xml : fichier ou dossier introuvable"},
		{"missing argument", nil, []string{"import", "siecle", "--uai", "0860012W"}, exitUsage, "1 argument(s) attendu(s), 0 reçu(s)"},
		{"malformed SILLAGE_DB", map[string]string{"SILLAGE_DB": "mysql://x"}, []string{"migrate"}, exitFailure, "sqlite:CHEMIN ou postgres"},
		{"unreachable PostgreSQL", map[string]string{"SILLAGE_DB": "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, []string{"migrate"}, exitFailure, "injoignable"},
		{"data directory under a file", map[string]string{"SILLAGE_DB": "sqlite:" + filepath.Join(readOnlyParent, "db", "s.db")}, []string{"migrate"}, exitFailure, "impossible de créer le dossier"},
		{"bad --now", map[string]string{"SILLAGE_DB": "sqlite:" + filepath.Join(dir, "ok.db")}, []string{"migrate", "--now", "demain"}, exitFailure, "AAAA-MM-JJ"},
		{"bad environment value", map[string]string{"SILLAGE_SESSION_IDLE": "bientôt"}, []string{"config"}, exitUsage, "SILLAGE_SESSION_IDLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SILLAGE_DATA_DIR": filepath.Join(dir, "data")}
			for k, v := range tt.env {
				env[k] = v
			}
			c := &cli{t: t, env: env}
			code, _, errs := c.run(tt.args...)
			if code != tt.wantCode || !strings.Contains(errs, tt.wantErr) {
				t.Fatalf("code %d stderr %q, want %d and %q", code, errs, tt.wantCode, tt.wantErr)
			}
			if lines := strings.Count(strings.TrimSpace(errs), "\n"); lines > 1 {
				t.Fatalf("stderr has %d lines, want one clear line: %q", lines+1, errs)
			}
		})
	}
	// Nothing half-created by the failures above.
	if _, err := os.Stat(filepath.Join(readOnlyParent, "db")); err == nil {
		t.Fatal("a failed start created files")
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	c := &cli{t: t, env: map[string]string{"SILLAGE_DB": "postgres://sillage:motdepasse@db.example:5432/sillage"}}
	code, out, errs := c.run("config")
	if code != exitOK || strings.Contains(out, "motdepasse") || !strings.Contains(out, "xxxxx") {
		t.Fatalf("config: %d %q %q", code, out, errs)
	}
}

func TestAddOperatorAndAuditVerify(t *testing.T) {
	c := newCLI(t, store.SQLite)
	code, out, errs := c.run("user", "add-operator", "--login", "Exploitation")
	if code != exitOK || !strings.Contains(out, "Mot de passe provisoire : ") {
		t.Fatalf("add-operator: %d %q %q", code, out, errs)
	}
	code, out, errs = c.run("user", "reset-password", "--login", "exploitation")
	if code != exitOK || !strings.Contains(out, "Mot de passe provisoire de « exploitation » : ") {
		t.Fatalf("reset-password: %d %q %q", code, out, errs)
	}
	if code, _, errs := c.run("user", "reset-password", "--login", "personne"); code == exitOK || !strings.Contains(errs, "compte introuvable") {
		t.Fatalf("reset-password of an unknown login: %d %q", code, errs)
	}
	code, out, _ = c.run("audit", "verify")
	if code != exitOK || !strings.Contains(out, "Journal intact : 2 entrées") {
		t.Fatalf("audit verify: %d %q", code, out)
	}
	code, out, _ = c.run("privacy", "register", "--json")
	var reg []map[string]string
	if code != exitOK || json.Unmarshal([]byte(out), &reg) != nil || len(reg) < 5 {
		t.Fatalf("privacy register: %d %q", code, out)
	}
}
