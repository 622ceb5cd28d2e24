package signedzip

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/signing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus under testdata/")

func signer(t testing.TB, secrets map[int]string) *signing.Signer {
	t.Helper()
	m := map[int][]byte{}
	for v, s := range secrets {
		m[v] = bytes.Repeat([]byte(s), 32)
	}
	kr, err := ident.NewKeyring(m)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSigner(kr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var meta = Meta{Purpose: PurposePassport, Issuer: Issuer{ID: "inst-a", URL: "https://sillage.ac-exemple.fr"},
	IssuedAt: time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)}

func sample() []File {
	return []File{
		{Name: "LISEZMOI.txt", Content: []byte("Dossier de Camille.\n")},
		{Name: "dossier.json", Content: []byte(`{"results":[1,2,3]}`)},
		{Name: "fichiers/Exposé 1.pdf", Open: func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("%PDF-1.7 pas vraiment")), nil
		}, Store: true},
	}
}

func write(t testing.TB, s *signing.Signer, m Meta, files []File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Write(&buf, s, m, files); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rewrite copies a ZIP entry by entry through edit, which returns the
// entries to write in place of one (none drops it).
func rewrite(t *testing.T, in []byte, edit func(name string, data []byte) map[string][]byte, add map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(name string, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if edit == nil {
			put(f.Name, data)
			continue
		}
		for n, d := range edit(f.Name, data) {
			put(n, d)
		}
	}
	for n, d := range add {
		put(n, d)
	}
	zw.Close()
	return out.Bytes()
}

func only(target string, repl func([]byte) []byte) func(string, []byte) map[string][]byte {
	return func(name string, data []byte) map[string][]byte {
		if name == target {
			if repl == nil {
				return nil
			}
			return map[string][]byte{name: repl(data)}
		}
		return map[string][]byte{name: data}
	}
}

func TestWriteVerify(t *testing.T) {
	s := signer(t, map[int]string{1: "a"})
	var buf bytes.Buffer
	wrote, err := Write(&buf, s, meta, sample())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len()), s.PublicKeys())
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != wrote.Digest || len(got.Digest) != 64 || got.KeyID != s.KeyID() {
		t.Fatalf("digest or key: wrote %s/%s, verified %s/%s", wrote.Digest, wrote.KeyID, got.Digest, got.KeyID)
	}
	if got.Purpose != PurposePassport || got.Issuer != meta.Issuer || !got.IssuedAt.Equal(meta.IssuedAt) || len(got.Files) != 3 {
		t.Fatalf("manifest: %+v", got)
	}
	skipped := write(t, s, meta, append(sample(), File{Name: "absent.pdf", Open: func() (io.ReadCloser, error) { return nil, ErrSkip }}))
	if m, err := Verify(bytes.NewReader(skipped), int64(len(skipped)), s.PublicKeys()); err != nil || len(m.Files) != 3 {
		t.Fatalf("a skipped file is neither written nor listed: %v %+v", err, m.Files)
	}
	if got.Files[2].Name != "fichiers/Exposé 1.pdf" || got.Files[2].Size != int64(len("%PDF-1.7 pas vraiment")) {
		t.Fatalf("streamed file entry: %+v", got.Files[2])
	}
	a, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), s.PublicKeys(), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := a.ReadFile("dossier.json"); err != nil || string(b) != `{"results":[1,2,3]}` {
		t.Fatalf("ReadFile: %q %v", b, err)
	}
	if _, err := a.ReadFile(ManifestName); !errors.Is(err, sillage.ErrNotFound) {
		t.Fatalf("the manifest is not one of the files: %v", err)
	}
	// The same content written twice gives the same digest.
	var again bytes.Buffer
	m2, _ := Write(&again, s, meta, sample())
	if m2.Digest != wrote.Digest {
		t.Fatal("the manifest is not canonical")
	}

	// A rotated instance still verifies what its old key signed.
	rotated := signer(t, map[int]string{1: "a", 2: "b"})
	if _, err := Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len()), rotated.PublicKeys()); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	newer := write(t, rotated, meta, sample())
	if m, err := Verify(bytes.NewReader(newer), int64(len(newer)), rotated.PublicKeys()); err != nil || m.KeyID != rotated.KeyID() {
		t.Fatalf("the newest key signs: %v", err)
	}
}

func TestWriteRefuses(t *testing.T) {
	s := signer(t, map[int]string{1: "a"})
	for _, files := range [][]File{
		{{Name: "../evil"}},
		{{Name: "/abs"}},
		{{Name: "a"}, {Name: "a"}},
		{{Name: ManifestName}},
		{{Name: "dir/"}},
	} {
		if _, err := Write(io.Discard, s, meta, files); err == nil {
			t.Errorf("Write accepted %q", files[0].Name)
		}
	}
	if _, err := Write(io.Discard, nil, meta, nil); err == nil {
		t.Error("no signer: accepted")
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := signer(t, map[int]string{1: "a"})
	other := signer(t, map[int]string{1: "c"})
	good := write(t, s, meta, sample())
	zeros := bytes.Repeat([]byte{0}, 4<<20)
	bomb := write(t, s, meta, []File{{Name: "zeros.bin", Content: zeros}})
	otherPurpose := func() []byte {
		// A manifest signed for another purpose than the one it states.
		z := write(t, s, Meta{Purpose: PurposeFederationPackage, Issuer: meta.Issuer, IssuedAt: meta.IssuedAt}, sample())
		return rewrite(t, z, only(ManifestName, func(b []byte) []byte {
			return bytes.Replace(b, []byte(PurposeFederationPackage), []byte(PurposePassport), 1)
		}), nil)
	}()
	cases := []struct {
		name string
		zip  []byte
		keys []signing.PublicKey
		lim  Limits
		want string
	}{
		{"not a zip", []byte("PK pas une archive"), s.PublicKeys(), DefaultLimits, "pas une archive ZIP"},
		{"truncated", good[:len(good)/2], s.PublicKeys(), DefaultLimits, "pas une archive ZIP"},
		{"unsigned", rewrite(t, good, only(SignatureName, nil), nil), s.PublicKeys(), DefaultLimits, "non signée"},
		{"no manifest", rewrite(t, good, only(ManifestName, nil), nil), s.PublicKeys(), DefaultLimits, "sans MANIFEST.json"},
		{"tampered file", rewrite(t, good, only("dossier.json", func(b []byte) []byte {
			return bytes.Replace(b, []byte("3"), []byte("4"), 1)
		}), nil), s.PublicKeys(), DefaultLimits, "modifié après la signature"},
		{"truncated file", rewrite(t, good, only("dossier.json", func(b []byte) []byte { return b[:5] }), nil),
			s.PublicKeys(), DefaultLimits, "modifié après la signature"},
		{"missing file", rewrite(t, good, only("LISEZMOI.txt", nil), nil), s.PublicKeys(), DefaultLimits, "manque dans l'archive"},
		{"extra file", rewrite(t, good, nil, map[string][]byte{"ajout.txt": []byte("x")}), s.PublicKeys(), DefaultLimits, "ajouté à l'archive"},
		{"duplicate entry", rewrite(t, good, nil, map[string][]byte{"dossier.json": []byte(`{"results":[1,2,3]}`)}),
			s.PublicKeys(), DefaultLimits, "deux fois"},
		{"traversal entry", rewrite(t, good, nil, map[string][]byte{"../../etc/x": []byte("x")}), s.PublicKeys(), DefaultLimits, "hors de l'archive"},
		{"tampered manifest", rewrite(t, good, only(ManifestName, func(b []byte) []byte {
			return bytes.Replace(b, []byte("inst-a"), []byte("inst-b"), 1)
		}), nil), s.PublicKeys(), DefaultLimits, "ne porte pas sur le manifeste"},
		{"re-signed manifest envelope", rewrite(t, good, only(SignatureName, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"value": "`), []byte(`"value": "AAAA`), 1)
		}), nil), s.PublicKeys(), DefaultLimits, ""},
		{"unknown key", good, other.PublicKeys(), DefaultLimits, "clé inconnue"},
		{"no keys", good, nil, DefaultLimits, "clé inconnue"},
		{"purpose changed", otherPurpose, s.PublicKeys(), DefaultLimits, "ne porte pas sur le manifeste"},
		{"bomb ratio", bomb, s.PublicKeys(), DefaultLimits, "bombe"},
		{"expanded size", good, s.PublicKeys(), Limits{MaxExpanded: 30, MaxManifest: 1 << 20}, "une fois décompressé"},
		{"too many entries", good, s.PublicKeys(), Limits{MaxEntries: 3, MaxManifest: 1 << 20}, "entrées dans l'archive"},
		{"manifest too large", good, s.PublicKeys(), Limits{MaxManifest: 100}, "dépasse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(c.zip), int64(len(c.zip)), c.keys, c.lim)
			if err == nil || !errors.Is(err, sillage.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want a refusal with %q, got %v", c.want, err)
			}
		})
	}
	// The valid archive passes the same limits the cases tighten.
	if _, err := Open(bytes.NewReader(good), int64(len(good)), s.PublicKeys(), DefaultLimits); err != nil {
		t.Fatal(err)
	}
}

// FuzzVerify feeds arbitrary bytes to the reader: it must never panic,
// and never accept an archive whose files differ from what was signed.
func FuzzVerify(f *testing.F) {
	s := signer(f, map[int]string{1: "a"})
	good := write(f, s, meta, sample())
	if *update {
		dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			f.Fatal(err)
		}
		for name, b := range map[string][]byte{"valid": good, "truncated": good[:len(good)-30], "empty": write(f, s, meta, nil)} {
			if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b), 0o644); err != nil {
				f.Fatal(err)
			}
		}
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Open(bytes.NewReader(b), int64(len(b)), s.PublicKeys(), Limits{MaxEntries: 50, MaxExpanded: 1 << 20, MaxRatio: 200, MaxManifest: 1 << 16})
		if err != nil {
			return
		}
		for _, e := range a.Manifest.Files {
			data, err := a.ReadFile(e.Name)
			if err != nil {
				t.Fatalf("verified archive, unreadable file %q: %v", e.Name, err)
			}
			if int64(len(data)) != e.Size {
				t.Fatalf("verified archive, file %q of %d bytes listed as %d", e.Name, len(data), e.Size)
			}
		}
	})
}

// BenchmarkWriteVerify: a record's archive (a JSON of 150 results and 5
// stored files of 1 MiB) signed, then verified.
func BenchmarkWriteVerify(b *testing.B) {
	s := signer(b, map[int]string{1: "a"})
	var js strings.Builder
	for i := range 150 {
		fmt.Fprintf(&js, `{"competence":"C%d","value":"%d","comment":"Travail soigné, à poursuivre"},`, i, i%4+1)
	}
	files := []File{{Name: "livret.json", Content: []byte("[" + js.String() + "{}]")}}
	for i := range 5 {
		files = append(files, File{Name: fmt.Sprintf("fichiers/%d.pdf", i), Content: bytes.Repeat([]byte{byte(i), 1, 2, 3, 5, 8, 13, 21}, 1<<17), Store: true})
	}
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if _, err := Write(&buf, s, meta, files); err != nil {
			b.Fatal(err)
		}
		if _, err := Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len()), s.PublicKeys()); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/archive")
}

// TestManyEmptyEntries: an archive packed with empty records is refused by
// counting its directory before archive/zip builds an entry per record.
func TestManyEmptyEntries(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range DefaultLimits.MaxEntries + 10 {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: strconv.Itoa(i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if n, ok := directoryEntries(bytes.NewReader(b), int64(len(b)), DefaultLimits.MaxEntries); !ok || n != DefaultLimits.MaxEntries+1 {
		t.Fatalf("counted %d (%v), want the walk to stop at %d", n, ok, DefaultLimits.MaxEntries+1)
	}
	_, err := Open(bytes.NewReader(b), int64(len(b)), nil, DefaultLimits)
	if err == nil || !strings.Contains(err.Error(), "entrées dans l'archive") {
		t.Fatalf("want the entries refusal, got %v", err)
	}
	if _, ok := directoryEntries(bytes.NewReader([]byte("pas une archive")), 15, 10); ok {
		t.Fatal("a file without an end record was taken for an archive")
	}
}
