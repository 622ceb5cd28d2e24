package blob

import (
	"bytes"
	"compress/gzip"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

func TestCompressed(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var jpg, pn, gz bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&pn, img); err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("texte"))
	zw.Close()
	for name, c := range map[string]struct {
		head []byte
		want bool
	}{
		"jpeg":               {jpg.Bytes(), true},
		"png":                {pn.Bytes(), true},
		"gzip":               {gz.Bytes(), true},
		"webp":               {[]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), true},
		"docx (zip)":         {[]byte("PK\x03\x04\x14\x00\x06\x00"), true},
		"pdf, flate streams": {[]byte("%PDF-1.7\n1 0 obj\n<< /Length 42 /Filter /FlateDecode >>\nstream\n"), true},
		"pdf, jpeg image":    {[]byte("%PDF-1.4\n2 0 obj\n<< /Subtype /Image /Filter /DCTDecode >>\nstream\n"), true},
		"pdf, plain streams": {[]byte("%PDF-1.4\n1 0 obj\n<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 712 Td (Bilan) Tj ET\n"), false},
		"lsu xml":            {[]byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<lsun-bilans>"), false},
		"text":               {[]byte("Compte rendu de stage"), false},
		"riff, not webp":     {[]byte("RIFF\x24\x00\x00\x00WAVEfmt "), false},
		"empty":              {nil, false},
	} {
		if got := Compressed(c.head); got != c.want {
			t.Errorf("%s: Compressed = %v, want %v", name, got, c.want)
		}
	}
}
