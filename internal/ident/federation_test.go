package ident

import (
	"bytes"
	"strings"
	"testing"
)

// The golden values were computed independently (Python hmac/hashlib/base64):
// HMAC-SHA256(key, "sillage-federation-ine" ‖ 0 ‖ INE), base32 unpadded.
func TestFederationHashesGolden(t *testing.T) {
	kr := mustKeyring(t, map[int][]byte{1: testSecret(), 2: bytes.Repeat([]byte{7}, 32)})
	got, err := kr.FederationHashes(RawINE(" 999000001ha "))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"f2:QNNLBTC2USOXNYHK2GZNJEFBWRGFVAYPD6UKLHARX26VHISJ2YIA",
		"f1:GLIZOMZHGB4Y5WXPOU6IKH7Q3AJDXE7KEXKHOKEUPR4WE3VECQ7A",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("FederationHashes = %v, want %v (newest first)", got, want)
	}
	for i, h := range got {
		if v, ok := FederationHashVersion(h); !ok || v != 2-i {
			t.Errorf("FederationHashVersion(%s) = %d, %v", h, v, ok)
		}
		if _, ok := UnqidVersion(h); ok {
			t.Errorf("a federation hash reads as an unqid: %s", h)
		}
	}
	// Under the same key the unqid differs: another label, another prefix.
	unqids, _ := kr.Unqids(RawINE("999000001HA"))
	for _, u := range unqids {
		for _, h := range got {
			if u[strings.Index(u, ":"):] == h[strings.Index(h, ":"):] {
				t.Fatalf("federation hash equals an unqid: %s", h)
			}
		}
	}
	if _, err := (Keyring{}).FederationHashes(RawINE("999000001HA")); err == nil {
		t.Fatal("no federation key: want ErrNoKey")
	}
	if _, err := kr.FederationHashes(RawINE("12")); err == nil {
		t.Fatal("an invalid INE gets no federation hash")
	}
}
