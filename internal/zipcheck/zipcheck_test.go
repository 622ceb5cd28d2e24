package zipcheck_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/zipcheck"
)

func build(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("contenu de " + n))
	}
	zw.SetComment("commentaire")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// renameLocal rewrites the first local header's name (same length): the
// central directory still says the old name.
func renameLocal(data []byte, from, to string) []byte {
	out := bytes.Clone(data)
	i := bytes.Index(out, []byte(from)) // the first occurrence is the local header
	copy(out[i:], to)
	return out
}

func TestCheck(t *testing.T) {
	good := build(t, "eleves.xml", "photos/a.jpg")
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"consistent", good, ""},
		{"local name differs", renameLocal(good, "eleves.xml", "evil.exe\x00\x00"), "porte deux noms : « eleves.xml » dans le répertoire central, « evil.exe?? » dans son en-tête local"},
		{"second entry's local name differs", renameLocal(good, "photos/a.jpg", "../../a.jpg"), "l'entrée n° 2 porte deux noms"},
		{"data prepended", append([]byte("MZ-autoextractible"), good...), "répertoire central illisible"},
		{"no directory", []byte("PK\x03\x04 pas une archive"), "répertoire central introuvable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zr, _ := zip.NewReader(bytes.NewReader(tt.data), int64(len(tt.data)))
			err := zipcheck.Check(bytes.NewReader(tt.data), int64(len(tt.data)), zr)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("consistent archive refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, zipcheck.ErrInconsistent) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}
