package directory_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/sealbox"
)

// TestHeldImports: a held upload is sealed at rest (no byte of the file in
// clear), taken once by its establishment only, refused once expired or
// altered, and removed by Expire after HeldTTL with the leftovers of
// interrupted uploads.
func TestHeldImports(t *testing.T) {
	box, err := sealbox.LoadOrCreate(filepath.Join(t.TempDir(), "secrets-key"))
	if err != nil {
		t.Fatal(err)
	}
	src := testdata("siecle_0860012W_2.xml")
	plain, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	h := &directory.HeldImports{Dir: filepath.Join(t.TempDir(), "imports-en-attente"), Box: box}
	keep := func() string {
		t.Helper()
		token, err := h.Keep(directory.HeldMeta{UAI: scenarioUAI, Source: directory.SourceSIECLE, Created: now,
			Files: []directory.HeldFile{{Path: src, Orig: "ElevesSansAdresses.xml"}}})
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	token := keep()
	sealed, err := os.ReadFile(filepath.Join(h.Dir, token, "fichier-0.scelle"))
	if err != nil || !sealbox.IsSealed(sealed) || bytes.Contains(sealed, []byte("ID_NATIONAL")) {
		t.Fatalf("held file at rest: sealed %v, %v", sealbox.IsSealed(sealed), err)
	}
	for _, c := range []struct {
		uai   sillage.UAI
		token string
		want  string
	}{
		{"0010856A", token, "introuvable"},
		{scenarioUAI, "../" + token[3:], "introuvable"},
		{scenarioUAI, strings.Repeat("0", 32), "introuvable"},
	} {
		if _, err := h.Take(c.uai, c.token, now, t.TempDir()); sillage.KindOf(err) != sillage.KindNotFound || !strings.Contains(sillage.Message(err), c.want) {
			t.Errorf("take %s by %s: %v", c.token, c.uai, err)
		}
	}
	dir := t.TempDir()
	m, err := h.Take(scenarioUAI, token, now.Add(59*time.Minute), dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(m.Files[0].Path)
	if err != nil || !bytes.Equal(got, plain) || m.Files[0].Orig != "ElevesSansAdresses.xml" || filepath.Dir(m.Files[0].Path) != dir {
		t.Fatalf("taken: %+v %v", m, err)
	}
	if _, err := h.Take(scenarioUAI, token, now, t.TempDir()); sillage.KindOf(err) != sillage.KindNotFound {
		t.Fatalf("a token is used once: %v", err)
	}
	// Altered at rest: refused, nothing left in clear.
	token = keep()
	f := filepath.Join(h.Dir, token, "fichier-0.scelle")
	sealed, _ = os.ReadFile(f)
	sealed[len(sealed)-3] ^= 1
	os.WriteFile(f, sealed, 0o600)
	dir = t.TempDir()
	if _, err := h.Take(scenarioUAI, token, now, dir); sillage.KindOf(err) != sillage.KindInvalid {
		t.Fatalf("an altered held file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("an altered held file left %d files in clear", len(entries))
	}
	// Expired: refused by Take, removed by Expire with an old leftover.
	expired := keep()
	if _, err := h.Take(scenarioUAI, expired, now.Add(61*time.Minute), t.TempDir()); sillage.KindOf(err) != sillage.KindNotFound {
		t.Fatalf("an expired held upload: %v", err)
	}
	fresh, stale := keep(), keep()
	leftover := filepath.Join(h.Dir, "envoi-123")
	os.Mkdir(leftover, 0o700)
	old := time.Now().Add(-3 * time.Hour)
	os.Chtimes(leftover, old, old)
	if n, err := h.Expire(now.Add(30 * time.Minute)); err != nil || n != 1 {
		t.Fatalf("expire at 30 minutes: %d %v, want the leftover only", n, err)
	}
	if n, err := h.Expire(now.Add(61 * time.Minute)); err != nil || n != 2 {
		t.Fatalf("expire at 61 minutes: %d %v, want both held uploads", n, err)
	}
	for _, tok := range []string{fresh, stale} {
		if _, err := os.Stat(filepath.Join(h.Dir, tok)); !os.IsNotExist(err) {
			t.Fatalf("%s still there: %v", tok, err)
		}
	}
	// Without the key, nothing is held.
	if _, err := (&directory.HeldImports{Dir: h.Dir}).Keep(directory.HeldMeta{UAI: scenarioUAI}); sillage.KindOf(err) != sillage.KindUnavailable {
		t.Fatalf("held without a key: %v", err)
	}
}
