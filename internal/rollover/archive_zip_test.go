package rollover

import (
	"archive/zip"
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/blob"
)

// The files of an archive that are compressed already (judged by their
// content) are stored as they are; the others are deflated. Both come out
// whole, below and beyond the head copyBlob reads to judge them.
func TestCopyBlobStoresWhatIsCompressed(t *testing.T) {
	blobs, err := blob.Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	noise := make([]byte, 3*blob.CompressedHead/2)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	files := map[string]struct {
		content []byte
		method  uint16
	}{
		"photo.jpg":    {append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, noise...), zip.Store},
		"scan.pdf":     {append([]byte("%PDF-1.5\n1 0 obj\n<< /Filter /FlateDecode /Length 9 >>\nstream\n"), noise[:500]...), zip.Store},
		"rapport.docx": {append([]byte("PK\x03\x04"), noise[:100]...), zip.Store},
		"lsu.xml":      {[]byte(strings.Repeat("<eleve nom=\"Martin\"/>\n", 10000)), zip.Deflate},
		"bilan.pdf":    {[]byte("%PDF-1.4\n1 0 obj\n<< /Length 30 >>\nstream\nBT (Bilan) Tj ET\nendstream\n"), zip.Deflate},
		"notes.txt":    {[]byte("Compte rendu"), zip.Deflate},
		"vide.txt":     {nil, zip.Deflate},
	}
	var buf bytes.Buffer
	a := newArchiveWriter(&buf, time.Date(2026, 7, 16, 8, 0, 0, 0, time.UTC))
	var missing []string
	for name, f := range files {
		ref, err := blobs.Put(bytes.NewReader(f.content))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.copyBlob(blobs, name, ref.SHA256, time.Time{}, &missing); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range files {
		total += int64(len(f.content))
	}
	if a.raw != total {
		t.Errorf("counted %d bytes, want %d", a.raw, total)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		want := files[zf.Name]
		if zf.Method != want.method {
			t.Errorf("%s: method %d, want %d", zf.Name, zf.Method, want.method)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want.content) {
			t.Errorf("%s: %d bytes back (%v), want %d", zf.Name, len(got), err, len(want.content))
		}
	}
	if len(zr.File) != len(files) {
		t.Errorf("%d entries, want %d", len(zr.File), len(files))
	}
}
