package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/signedzip"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// signedArchive writes a signed archive with the key file of an instance.
func signedArchive(t *testing.T, keyFile, path string) {
	t.Helper()
	kr, err := ident.Load(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSigner(kr)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	meta := signedzip.Meta{Purpose: signedzip.PurposePassport, Issuer: signedzip.Issuer{ID: "sillage-test", URL: "https://sillage.ac-exemple.fr"},
		IssuedAt: time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)}
	if _, err := signedzip.Write(&buf, s, meta, []signedzip.File{{Name: "livret.json", Content: []byte(`{"format":"sillage-records"}`), Store: true}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// golden compares out with testdata/name, key fingerprints masked.
func golden(t *testing.T, name, out string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		out = strings.ReplaceAll(out, k, "<empreinte>")
	}
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Fatalf("%s:\n got %q\nwant %q", name, out, want)
	}
}

// TestVerifyCommand: `sillage verify` checks an archive offline with the
// instance's own keys (old versions included after `signkey rotate`),
// with a published description (--keys), or with a declared peer's
// (--peer); another instance's keys, or a tampered archive, are refused.
func TestVerifyCommand(t *testing.T) {
	c := newCLI(t, store.SQLite)
	dir := t.TempDir()
	code, out, errs := c.run("signkey", "status") // creates the default key of an empty instance
	if code != exitOK {
		t.Fatalf("signkey status: %q %q", out, errs)
	}
	keyFile := filepath.Join(c.env["SILLAGE_DATA_DIR"], "signing-key")
	kr, _ := ident.Load(keyFile)
	s1, _ := signing.NewSigner(kr)
	archive := filepath.Join(dir, "livret.zip")
	signedArchive(t, keyFile, archive)

	code, out, errs = c.run("verify", archive)
	if code != exitOK {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	golden(t, "verify_valid.golden", out, s1.KeyID(), signing.Short(s1.KeyID()))

	// Published description: the instance's own, saved as a peer would.
	c.env["SILLAGE_BASE_URL"] = "https://sillage.ac-exemple.fr"
	code, desc, errs := c.run("federation", "describe", "--json")
	if code != exitOK {
		t.Fatalf("describe: %q", errs)
	}
	descFile := filepath.Join(dir, "description.json")
	os.WriteFile(descFile, []byte(desc), 0o600)
	if code, out, errs = c.run("verify", archive, "--keys", descFile); code != exitOK || !strings.Contains(out, "VALIDE") {
		t.Fatalf("verify --keys: %d %q %q", code, out, errs)
	}
	code, out, _ = c.run("federation", "describe")
	if code != exitOK || !strings.Contains(out, s1.KeyID()) || !strings.Contains(out, "https://sillage.ac-exemple.fr/federation") {
		t.Fatalf("describe: %q", out)
	}

	// Another instance's keys refuse it.
	other := newCLI(t, store.SQLite)
	other.env["SILLAGE_BASE_URL"] = "https://autre.example"
	_, otherDesc, _ := other.run("federation", "describe", "--json")
	otherFile := filepath.Join(dir, "autre.json")
	os.WriteFile(otherFile, []byte(otherDesc), 0o600)
	code, out, _ = c.run("verify", archive, "--keys", otherFile)
	if code == exitOK {
		t.Fatal("verified with another instance's keys")
	}
	golden(t, "verify_unknown_key.golden", out, s1.KeyID(), signing.Short(s1.KeyID()))

	// Tampered: the manifest no longer matches.
	data, _ := os.ReadFile(archive)
	tampered := filepath.Join(dir, "modifie.zip")
	os.WriteFile(tampered, bytes.Replace(data, []byte("sillage-records"), []byte("sillage-recordz"), 1), 0o600)
	if code, out, _ = c.run("verify", tampered); code == exitOK || !strings.HasPrefix(out, "INVALIDE : le fichier « livret.json »") {
		t.Fatalf("tampered: %d %q", code, out)
	}

	// A declared peer without a description yet cannot vouch; an
	// undeclared one is unknown.
	if code, out, errs = c.run("federation", "peer", "add", "Autre", "https://autre.example", strings.Repeat("ab", 32)); code != exitOK || !strings.Contains(out, "déclarée") {
		t.Fatalf("peer add: %d %q %q", code, out, errs)
	}
	if code, _, errs = c.run("verify", archive, "--peer", "https://autre.example"); code == exitOK || !strings.Contains(errs, "aucune description vérifiée") {
		t.Fatalf("verify --peer without description: %d %q", code, errs)
	}
	if code, _, errs = c.run("verify", archive, "--peer", "https://inconnue.example"); code == exitOK || !strings.Contains(errs, "aucune instance partenaire") {
		t.Fatalf("verify --peer undeclared: %d %q", code, errs)
	}
	if code, out, _ = c.run("federation", "peer", "list"); code != exitOK || !strings.Contains(out, "https://autre.example") || !strings.Contains(out, "jamais obtenue") {
		t.Fatalf("peer list: %q", out)
	}
	if code, out, errs = c.run("federation", "peer", "remove", "https://autre.example"); code != exitOK {
		t.Fatalf("peer remove: %q %q", out, errs)
	}
	if _, out, _ = c.run("federation", "peer", "list"); !strings.Contains(out, "Aucune instance partenaire") {
		t.Fatalf("after removal: %q", out)
	}

	// After a rotation the new key signs, and the old archive still verifies.
	if code, out, errs = c.run("signkey", "rotate"); code != exitOK {
		t.Fatalf("rotate: %q %q", out, errs)
	}
	if code, out, _ = c.run("signkey", "status"); code != exitOK || strings.Count(out, "\n") != 3 || !strings.Contains(out, s1.KeyID()+" (vérifie)") {
		t.Fatalf("status after rotation: %q", out)
	}
	if code, out, _ = c.run("verify", archive); code != exitOK {
		t.Fatalf("old archive after rotation: %q", out)
	}
}
