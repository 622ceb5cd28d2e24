package records_test

import (
	"archive/zip"
	"bytes"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
)

// samplePDF is a minimal well-formed PDF.
func samplePDF(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + text + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

// photoSeed reads one of the photos the photo package generates for its
// tests (each holds an EXIF block with a GPS position).
func photoSeed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "photo", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCleanPhoto: a photo is stored without its GPS position and still
// decodes; other files are left as they are.
func TestCleanPhoto(t *testing.T) {
	for _, c := range []struct{ name, seed, ctype string }{
		{"a.jpg", "seed.jpg", "image/jpeg"}, {"a.png", "seed.png", "image/png"}, {"a.webp", "seed.webp", "image/webp"},
	} {
		in := photoSeed(t, c.seed)
		if !bytes.Contains(in, []byte("GPS 46.5802N")) {
			t.Fatalf("%s: the seed holds no GPS position", c.seed)
		}
		out, err := records.CleanPhoto(c.name, c.ctype, in)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, []byte("GPS 46.5802N")) || bytes.Contains(out, []byte("Exif")) {
			t.Errorf("%s: metadata left after cleaning", c.name)
		}
		if _, _, err := image.Decode(bytes.NewReader(out)); err != nil {
			t.Errorf("%s: the cleaned photo does not decode: %v", c.name, err)
		}
	}
	pdf := samplePDF("x")
	if out, err := records.CleanPhoto("a.pdf", records.TypePDF, pdf); err != nil || !bytes.Equal(out, pdf) {
		t.Errorf("a PDF was changed: %v", err)
	}
}

func zipOf(t testing.TB, files map[string][]byte, method uint16) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckFile(t *testing.T) {
	lim := records.FileLimits{MaxSize: 64 << 10, MaxExpanded: 8 << 20, MaxRatio: 100, MaxEntries: 50}
	many := map[string][]byte{}
	for i := 0; i < 60; i++ {
		many[strings.Repeat("x", i+1)+".txt"] = []byte("a")
	}
	cases := []struct {
		name     string
		data     []byte
		wantType string // "" = refused
		wantMsg  string
	}{
		{"rapport.pdf", samplePDF("ok"), records.TypePDF, ""},
		{"Rapport final (v2).PDF", samplePDF("ok"), records.TypePDF, ""},
		{"photos.zip", zipOf(t, map[string][]byte{"a.jpg": bytes.Repeat([]byte{1, 2, 3}, 100)}, zip.Deflate), records.TypeZIP, ""},
		{"vide.zip", zipOf(t, nil, zip.Deflate), records.TypeZIP, ""},
		{"faux.pdf", []byte("Ceci n'est pas un PDF, juste du texte."), "", "n'est pas un PDF"},
		{"faux.zip", []byte("PK pas vraiment une archive"), "", "n'est pas une archive ZIP"},
		{"tronque.pdf", []byte("%PDF-1.4\n1 0 obj << >> endobj\n"), "", "%%EOF"},
		{"zip-illisible.zip", []byte("PK\x03\x04 et puis plus rien"), "", "répertoire central illisible"},
		{"image.png", []byte("\x89PNG\r\n\x1a\n...."), "", "en-tête d'image est illisible"},
		{"texte.txt", []byte("Bonjour"), "", "ni un PDF, ni une archive ZIP, ni une photo"},
		{"atelier.jpg", photoSeed(t, "seed.jpg"), "image/jpeg", ""},
		{"Atelier.JPEG", photoSeed(t, "seed.jpg"), "image/jpeg", ""},
		{"plan.png", photoSeed(t, "seed.png"), "image/png", ""},
		{"piece.webp", photoSeed(t, "seed.webp"), "image/webp", ""},
		{"atelier.pdf", photoSeed(t, "seed.jpg"), "", "photo JPEG : son nom doit finir par .jpg ou .jpeg"},
		{"plan.jpg", photoSeed(t, "seed.png"), "", "photo PNG : son nom doit finir par .png"},
		{"deguise.jpg", samplePDF("pdf déguisé"), "", "est un PDF"},
		{"faux.webp", []byte("Ceci n'est pas une photo."), "", "n'est pas une photo de ce format"},
		{"tronquee.jpg", photoSeed(t, "seed.jpg")[:300], "", "photo"},
		{"rapport.zip", samplePDF("ok"), "", "doit finir par .pdf"},
		{"archive.pdf", zipOf(t, map[string][]byte{"a": []byte("a")}, zip.Store), "", "doit finir par .zip"},
		{"gros.pdf", append(samplePDF("x"), make([]byte, 70<<10)...), "", "trop volumineux"},
		{"bombe.zip", zipOf(t, map[string][]byte{"zeros.bin": make([]byte, 4<<20)}, zip.Deflate), "", "bombe"},
		{"vide.pdf", nil, "", "vide"},
		{"beaucoup.zip", zipOf(t, many, zip.Store), "", "au plus 50"},
		{"evasion.zip", zipOf(t, map[string][]byte{"../../etc/passwd": []byte("x")}, zip.Store), "", "hors de l'archive"},
		// The central directory says a.jpg, the local header ../a.jp: the
		// name checked would not be the name extracted.
		{"deux-noms.zip", localRenamed(zipOf(t, map[string][]byte{"xx/a.jpg": []byte("x")}, zip.Store), "xx/a.jpg", "../a.jpg"), "", "porte deux noms"},
		{"../rapport.pdf", samplePDF("ok"), "", "séparateur"},
		{"..\\rapport.pdf", samplePDF("ok"), "", "séparateur"},
		{"dossier/rapport.pdf", samplePDF("ok"), "", "séparateur"},
		{"rapport..pdf", samplePDF("ok"), "", "« .. »"},
		{"rap\x00port.pdf", samplePDF("ok"), "", "contrôle"},
		{"rap\nport.pdf", samplePDF("ok"), "", "contrôle"},
		{"rap\u202eport.pdf", samplePDF("ok"), "", "contrôle"},
		{".cache.pdf", samplePDF("ok"), "", "point"},
		{"   ", samplePDF("ok"), "", "vide"},
	}
	// Declared content beyond the expansion limit, each entry under the ratio.
	big := records.FileLimits{MaxSize: 1 << 20, MaxExpanded: 1 << 20, MaxRatio: 1000, MaxEntries: 50}
	bigZip := zipOf(t, map[string][]byte{"a.bin": bytes.Repeat([]byte("abcdefgh"), 200<<10)}, zip.Deflate)
	if _, _, err := records.CheckFile("gros.zip", bytes.NewReader(bigZip), int64(len(bigZip)), big); err == nil || !strings.Contains(sillage.Message(err), "décompressé") {
		t.Errorf("declared expansion over the limit: %v", err)
	}
	for _, c := range cases {
		name, typ, err := records.CheckFile(c.name, bytes.NewReader(c.data), int64(len(c.data)), lim)
		if c.wantType != "" {
			if err != nil || typ != c.wantType || name != strings.TrimSpace(c.name) {
				t.Errorf("%q: got (%q, %q, %v), want accepted as %s", c.name, name, typ, err, c.wantType)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: accepted as %s, want refused (%s)", c.name, typ, c.wantMsg)
			continue
		}
		if sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(sillage.Message(err), c.wantMsg) {
			t.Errorf("%q: error %q (kind %v), want invalid mentioning %q", c.name, sillage.Message(err), sillage.KindOf(err), c.wantMsg)
		}
	}
}

func TestCheckScale(t *testing.T) {
	if err := records.CheckScale(sillage.DefaultScale()); err != nil {
		t.Fatalf("default scale refused: %v", err)
	}
	bad := []sillage.Scale{
		{{Code: "A", Label: "a", Points: 1}},
		{{Code: "A", Label: "a", Points: 1}, {Code: "A", Label: "b", Points: 2}},
		{{Code: "a", Label: "a", Points: 1}, {Code: "B", Label: "b", Points: 2}},
		{{Code: "A", Label: "", Points: 1}, {Code: "B", Label: "b", Points: 2}},
		{{Code: "TROPLONG", Label: "a", Points: 1}, {Code: "B", Label: "b", Points: 2}},
		{{Code: "A", Label: "a", Points: 9}, {Code: "B", Label: "b", Points: 2}},
		{{Code: "ABS", Label: "a", Points: -1}, {Code: "DISP", Label: "b", Points: -1}},
		{{Code: "A B", Label: "a", Points: 1}, {Code: "B", Label: "b", Points: 2}},
	}
	for _, sc := range bad {
		if err := records.CheckScale(sc); sillage.KindOf(err) != sillage.KindInvalid {
			t.Errorf("scale %+v: %v, want refused", sc, err)
		}
	}
}

// FuzzCheckFile: whatever the bytes and the name, CheckFile never panics,
// and what it accepts is a PDF or a ZIP whose name has the matching
// extension and no path in it.
func FuzzCheckFile(f *testing.F) {
	f.Add("a.pdf", samplePDF("x"))
	f.Add("a.zip", zipOf(f, map[string][]byte{"a.txt": []byte("aaaaaaaaaa")}, zip.Deflate))
	f.Add("../a.pdf", []byte("%PDF-"))
	f.Add("a.zip", []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	lim := records.FileLimits{MaxSize: 1 << 20, MaxExpanded: 1 << 24, MaxRatio: 100, MaxEntries: 100}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		n, typ, err := records.CheckFile(name, bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			if sillage.KindOf(err) != sillage.KindInvalid {
				t.Fatalf("error of kind %v: %v", sillage.KindOf(err), err)
			}
			return
		}
		if strings.ContainsAny(n, `/\`) || strings.Contains(n, "..") {
			t.Fatalf("accepted name %q", n)
		}
		switch typ {
		case records.TypePDF:
			if !bytes.HasPrefix(data, []byte("%PDF-")) || !strings.HasSuffix(strings.ToLower(n), ".pdf") {
				t.Fatalf("accepted %q as PDF", n)
			}
		case records.TypeZIP:
			if !bytes.HasPrefix(data, []byte("PK")) || !strings.HasSuffix(strings.ToLower(n), ".zip") {
				t.Fatalf("accepted %q as ZIP", n)
			}
		default:
			t.Fatalf("type %q", typ)
		}
	})
}

// localRenamed rewrites an entry's name in its local header only (the
// first occurrence), same length.
func localRenamed(data []byte, from, to string) []byte {
	out := bytes.Clone(data)
	copy(out[bytes.Index(out, []byte(from)):], to)
	return out
}
