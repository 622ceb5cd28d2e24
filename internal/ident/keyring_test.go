package ident

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sillage/sillage"
)

// testSecret is the fixed test key: the bytes 0, 1, …, 31.
func testSecret() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func mustKeyring(t *testing.T, secrets map[int][]byte) Keyring {
	t.Helper()
	kr, err := NewKeyring(secrets)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// The golden values were computed independently (Python hmac/hashlib/base64)
// from the test key and the synthetic INEs.
func TestUnqidGolden(t *testing.T) {
	kr := mustKeyring(t, map[int][]byte{1: testSecret()})
	tests := []struct {
		ine  string
		want string
	}{
		{"999000001HA", "v1:USZWJ3J6U2HXH5YSR54A5H7H3MFLUOBAXFPWHQAJDIRVM47WIDTQ"},
		{" 999000001ha ", "v1:USZWJ3J6U2HXH5YSR54A5H7H3MFLUOBAXFPWHQAJDIRVM47WIDTQ"}, // normalised first
		{"9990000012R", "v1:IFJDCKQ7VPL6WFE3BKNRTNQCAQYYD6U6C5MMUA3MKLB6MNZTX3HQ"},
	}
	for _, tt := range tests {
		got, err := kr.Unqid(RawINE(tt.ine))
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Unqid = %s, want %s", got, tt.want)
		}
		if v, ok := UnqidVersion(got); !ok || v != 1 {
			t.Errorf("UnqidVersion(%s) = %d, %v", got, v, ok)
		}
	}
}

func TestUnqidRefusesBadINE(t *testing.T) {
	kr := mustKeyring(t, map[int][]byte{1: testSecret()})
	for _, in := range []string{"", "9990000012S", "ABC"} {
		if _, err := kr.Unqid(RawINE(in)); err == nil {
			t.Errorf("Unqid(%q) succeeded", in)
		}
	}
	if _, err := (Keyring{}).Unqid(RawINE("999000001HA")); !errors.Is(err, ErrNoKey) {
		t.Errorf("empty keyring: err = %v, want ErrNoKey", err)
	}
}

func TestNewKeyringRefusesShortKey(t *testing.T) {
	_, err := NewKeyring(map[int][]byte{1: make([]byte, 31)})
	if err == nil || !strings.Contains(err.Error(), "32 octets") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseKeyFile(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(testSecret())
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	tests := []struct {
		name     string
		data     string
		versions []int
		wantErr  string
	}{
		{"one key with comments", "# c\n\nv1 " + b64 + "\n", []int{1}, ""},
		{"two keys out of order", "v2 " + b64 + "\nv1 " + b64, []int{1, 2}, ""},
		{"unpadded base64", "v1 " + strings.TrimRight(b64, "="), []int{1}, ""},
		{"empty", "# nothing\n", nil, "clé d'identification absente"},
		{"short key", "v1 " + short, nil, "ne fait que 16 octets"},
		{"duplicate version", "v1 " + b64 + "\nv1 " + b64, nil, "deux fois"},
		{"bad version", "x1 " + b64, nil, "ligne 1"},
		{"version zero", "v0 " + b64, nil, "version invalide"},
		{"bad base64", "v1 !!!!", nil, "base64"},
		{"three fields", "v1 " + b64 + " extra", nil, "format attendu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := ParseKeyFile([]byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), b64[:20]) {
					t.Fatalf("error shows the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(kr.Versions()) != fmt.Sprint(tt.versions) {
				t.Fatalf("versions = %v, want %v", kr.Versions(), tt.versions)
			}
		})
	}
}

func writeKeyFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile honours the umask
		t.Fatal(err)
	}
}

func TestLoadPermissions(t *testing.T) {
	content := "v1 " + base64.StdEncoding.EncodeToString(testSecret()) + "\n"
	tests := []struct {
		mode    os.FileMode
		wantErr bool
	}{
		{0o600, false},
		{0o400, false},
		{0o640, true},
		{0o604, true},
		{0o644, true},
		{0o660, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%04o", tt.mode), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "id.key")
			writeKeyFile(t, path, content, tt.mode)
			_, err := Load(path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Load err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "0600") {
				t.Fatalf("message does not say which mode is expected: %v", err)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.key")
	_, err := Load(path)
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("err = %v, want ErrNoKey", err)
	}
	if sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(err.Error(), "introuvable") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "id.key")
	kr, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %04o, want 0600", st.Mode().Perm())
	}
	if kr.Version() != 1 {
		t.Fatalf("version = %d", kr.Version())
	}
	again, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	ine := RawINE("999000001HA")
	a, _ := kr.Unqid(ine)
	b, _ := again.Unqid(ine)
	if a != b {
		t.Fatal("a second LoadOrCreate changed the key")
	}
	// An existing file that is not a valid key file is never overwritten.
	bad := filepath.Join(dir, "bad.key")
	writeKeyFile(t, bad, "# empty\n", 0o600)
	if _, err := LoadOrCreate(bad); err == nil {
		t.Fatal("LoadOrCreate replaced an invalid key file")
	}
	if data, _ := os.ReadFile(bad); string(data) != "# empty\n" {
		t.Fatal("invalid key file was modified")
	}
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id.key")
	const n = 16
	unqids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			kr, err := LoadOrCreate(path)
			if err != nil {
				errs[i] = err
				return
			}
			unqids[i], errs[i] = kr.Unqid(RawINE("999000001HA"))
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if unqids[i] != unqids[0] {
			t.Fatalf("goroutine %d got a different key", i)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the key file (temporary files left?)", len(entries))
	}
	kr, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(kr.Versions()) != "[1]" {
		t.Fatalf("versions = %v", kr.Versions())
	}
}

func TestRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.key")
	old, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	ine := RawINE("9990000012R")
	before, err := old.Unqid(ine)
	if err != nil {
		t.Fatal(err)
	}
	next, err := Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if next.Version() != 2 || fmt.Sprint(next.Versions()) != "[1 2]" {
		t.Fatalf("versions after rotation = %v", next.Versions())
	}
	after, err := next.Unqid(ine)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(after, "v2:") || after == before {
		t.Fatalf("new unqid %s is not a v2 one different from the old", after)
	}
	all, err := next.Unqids(ine)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0] != after || all[1] != before {
		t.Fatalf("Unqids = %v, want [new old]", all)
	}
	// The file on disk says the same, keeps its mode, and loses no comment.
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := loaded.Unqid(ine); got != after {
		t.Fatal("the rotated file does not hold the new key")
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# Clé d'identification") {
		t.Fatal("rotation lost the header comment")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode after rotation = %04o", st.Mode().Perm())
	}
	if _, err := os.Stat(path + ".lock"); err == nil {
		t.Fatal("lock file left behind")
	}
}

func TestRotateRefusesConcurrentRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.key")
	if _, err := LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	writeKeyFile(t, path+".lock", "", 0o600)
	_, err := Rotate(path)
	if sillage.KindOf(err) != sillage.KindConflict {
		t.Fatalf("err = %v, want a conflict", err)
	}
}

func TestKeyringNeverPrinted(t *testing.T) {
	secret := testSecret()
	kr := mustKeyring(t, map[int][]byte{1: secret, 2: secret})
	type config struct {
		Keys Keyring
		keys Keyring // unexported: fmt walks it by reflection
	}
	forms := []string{
		base64.StdEncoding.EncodeToString(secret)[:16],
		hex.EncodeToString(secret)[:16],
		strings.Trim(fmt.Sprint(secret), "[]")[:16],
		string(secret[1:8]),
	}
	for _, v := range []any{kr, &kr, config{Keys: kr, keys: kr}, &config{Keys: kr, keys: kr}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			out := fmt.Sprintf(verb, v)
			for _, f := range forms {
				if strings.Contains(out, f) {
					t.Errorf("%T printed with %s shows key bytes: %s", v, verb, out)
				}
			}
		}
	}
	if !strings.Contains(kr.String(), "v1 v2") {
		t.Errorf("String = %q, want the versions", kr.String())
	}
}
