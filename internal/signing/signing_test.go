package signing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/ident"
)

func keyring(t *testing.T, secrets map[int]string) ident.Keyring {
	t.Helper()
	m := map[int][]byte{}
	for v, s := range secrets {
		m[v] = bytes.Repeat([]byte(s), 32)
	}
	kr, err := ident.NewKeyring(m)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

type request struct {
	Hash string `json:"hash"`
	UAI  string `json:"uai"`
}

func TestSealOpen(t *testing.T) {
	old := must(NewSigner(keyring(t, map[int]string{1: "a"})))
	rotated := must(NewSigner(keyring(t, map[int]string{1: "a", 2: "b"})))
	other := must(NewSigner(keyring(t, map[int]string{1: "c"})))
	if rotated.KeyID() == old.KeyID() || rotated.PublicKeys()[1].ID != old.KeyID() {
		t.Fatalf("rotation: the newest key signs and the old one stays listed: %v", rotated.PublicKeys())
	}
	msg := request{Hash: "f1:abc", UAI: "0750001A"}
	env, err := old.Seal("federation-request", msg)
	if err != nil {
		t.Fatal(err)
	}
	// Re-indenting the envelope keeps it valid.
	raw, _ := json.MarshalIndent(env, "", "  ")
	var back Envelope
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	var got request
	if err := Open(rotated.PublicKeys(), "federation-request", back, &got); err != nil || got != msg {
		t.Fatalf("a rotated instance still verifies its old signatures: %v %+v", err, got)
	}

	tampered := back
	tampered.Payload = bytes.Replace(back.Payload, []byte("0750001A"), []byte("0750002B"), 1)
	unsigned := back
	unsigned.Signature = Signature{}
	cases := []struct {
		name    string
		keys    []PublicKey
		purpose string
		env     Envelope
		want    string
	}{
		{"tampered", old.PublicKeys(), "federation-request", tampered, "signature invalide"},
		{"unsigned", old.PublicKeys(), "federation-request", unsigned, "non signé"},
		{"unknown key", other.PublicKeys(), "federation-request", back, "clé inconnue"},
		{"other purpose", old.PublicKeys(), "federation-receipt", back, "attendu"},
		{"purpose relabelled", old.PublicKeys(), "federation-receipt", relabel(back, "federation-receipt"), "signature invalide"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r request
			err := Open(c.keys, c.purpose, c.env, &r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want a refusal with %q, got %v", c.want, err)
			}
		})
	}
}

func relabel(e Envelope, purpose string) Envelope {
	e.Purpose = purpose
	return e
}

func TestSignerHidesKey(t *testing.T) {
	s := must(NewSigner(keyring(t, map[int]string{1: "a"})))
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s)} {
		if strings.Contains(got, fmt.Sprint(s.priv)) || strings.Contains(got, fmt.Sprintf("%x", []byte(s.priv))) {
			t.Fatalf("printing the signer shows the key: %q", got)
		}
	}
	if _, err := NewSigner(ident.Keyring{}); err == nil {
		t.Fatal("an empty keyring must be refused")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestSignAll(t *testing.T) {
	rotated := must(NewSigner(keyring(t, map[int]string{1: "a", 2: "b"})))
	old := must(NewSigner(keyring(t, map[int]string{1: "a"})))
	sigs := rotated.SignAll("federation-description", []byte("x"))
	if len(sigs) != 2 || sigs[0].KeyID != rotated.KeyID() || sigs[1].KeyID != old.KeyID() {
		t.Fatalf("SignAll: %+v", sigs)
	}
	// A peer that knows only the old key verifies the old key's signature.
	if err := Verify(old.PublicKeys(), "federation-description", []byte("x"), sigs[1]); err != nil {
		t.Fatal(err)
	}
	if err := Verify(old.PublicKeys(), "federation-description", []byte("x"), sigs[0]); err == nil {
		t.Fatal("the new key is unknown to the old instance's keys")
	}
}
