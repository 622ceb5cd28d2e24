package sealbox_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/sealbox"
)

func testBox(t *testing.T, versions ...int) *sealbox.Box {
	t.Helper()
	secrets := map[int][]byte{}
	for _, v := range versions {
		s := make([]byte, 32)
		rand.Read(s)
		secrets[v] = s
	}
	b, err := sealbox.New(secrets)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundTripAndTampering: every size around the chunk boundaries comes
// back whole; the sealed bytes never hold the plaintext; a flipped byte, a
// truncation (even at a chunk boundary), another purpose or another key
// does not open.
func TestRoundTripAndTampering(t *testing.T) {
	b := testBox(t, 1)
	const chunk = 64 << 10
	marker := []byte("INE 1234567890A")
	for _, size := range []int{0, 1, 100, chunk - 1, chunk, chunk + 1, 2 * chunk, 3*chunk + 7} {
		plain := bytes.Repeat(marker, size/len(marker)+1)[:size]
		sealed, err := b.Seal(plain, "test")
		if err != nil {
			t.Fatal(err)
		}
		if !sealbox.IsSealed(sealed) || (size >= len(marker) && bytes.Contains(sealed, marker)) {
			t.Fatalf("size %d: not sealed", size)
		}
		got, err := b.Open(sealed, "test")
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: round trip %v", size, err)
		}
		if _, err := b.Open(sealed, "other"); err == nil {
			t.Fatalf("size %d: opened for another purpose", size)
		}
		if _, err := testBox(t, 1).Open(sealed, "test"); err == nil {
			t.Fatalf("size %d: opened with another key", size)
		}
		for _, cut := range []int{len(sealed) - 1, len(sealed) - 17, 8 + 4 + 32 + 4 + chunk + 16} {
			if cut > 0 && cut < len(sealed) {
				if _, err := b.Open(sealed[:cut], "test"); err == nil {
					t.Fatalf("size %d: truncated at %d opens", size, cut)
				}
			}
		}
		bad := bytes.Clone(sealed)
		bad[len(bad)-1] ^= 1
		if _, err := b.Open(bad, "test"); err == nil {
			t.Fatalf("size %d: altered file opens", size)
		}
	}
	if _, err := b.Open([]byte("plain text"), "test"); err == nil {
		t.Fatal("a plain file opens")
	}
}

// TestKeyFile: created once (0600), loaded again, refused when readable by
// others or malformed; an older version still opens after a new one is
// added.
func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cles", "secrets-key")
	b1, err := sealbox.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", info, err)
	}
	sealed, _ := b1.Seal([]byte("mot de passe"), "p")
	b2, err := sealbox.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Open(sealed, "p"); err != nil || string(got) != "mot de passe" {
		t.Fatalf("reloaded key: %q %v", got, err)
	}
	if strings.Contains(b2.String(), "v1 ") || strings.Contains(b2.String(), "=") {
		t.Fatalf("String shows a key: %s", b2)
	}
	data, _ := os.ReadFile(path)
	data = append(data, []byte("v2 "+strings.Repeat("QUFB", 11)+"\n")...)
	os.WriteFile(path, data, 0o600)
	b3, err := sealbox.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b3.Open(sealed, "p"); err != nil || string(got) != "mot de passe" {
		t.Fatalf("after adding v2: %q %v", got, err)
	}
	os.Chmod(path, 0o644)
	if _, err := sealbox.Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a key readable by others: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("v1 court\n"), 0o600)
	if _, err := sealbox.Load(path); err == nil || !strings.Contains(err.Error(), "ligne 1") {
		t.Fatalf("a malformed key: %v", err)
	}
}
