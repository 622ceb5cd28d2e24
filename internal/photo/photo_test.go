package photo_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"hash/crc32"
	"image"
	"image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/sillage/sillage/internal/photo"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata/")

type sample struct {
	name, ctype string
	data        []byte
}

func samples(t testing.TB) []sample {
	return []sample{
		{"seed.jpg", photo.TypeJPEG, sampleJPEG(t)},
		{"seed.png", photo.TypePNG, samplePNG(t)},
		{"seed.webp", photo.TypeWebP, sampleWebP()},
	}
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

func TestStripRemovesMetadataAndKeepsThePicture(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			if !bytes.Contains(s.data, []byte(gpsMarker)) {
				t.Fatal("the sample holds no GPS metadata: the test would prove nothing")
			}
			if got := photo.Sniff(s.data); got != s.ctype {
				t.Fatalf("Sniff = %q, want %q", got, s.ctype)
			}
			before := decode(t, s.data)
			out, err := photo.Strip(s.ctype, s.data)
			if err != nil {
				t.Fatal(err)
			}
			for _, gone := range []string{gpsMarker, "Exif\x00", "MM\x00*", "xmpmeta"} {
				if bytes.Contains(out, []byte(gone)) {
					t.Errorf("%q still in the stripped photo", gone)
				}
			}
			if !samePixels(before, decode(t, out)) {
				t.Error("the stripped photo does not show the same picture")
			}
			if _, err := photo.Check(s.ctype, out); err != nil {
				t.Errorf("Check after Strip: %v", err)
			}
			again, err := photo.Strip(s.ctype, out)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("stripping twice changes the photo (err %v)", err)
			}
		})
	}
}

func TestStripWebPClearsTheVP8XFlags(t *testing.T) {
	out, err := photo.StripWebP(sampleWebP())
	if err != nil {
		t.Fatal(err)
	}
	if string(out[12:16]) != "VP8X" {
		t.Fatalf("first chunk %q, want VP8X", out[12:16])
	}
	if flags := out[20]; flags&(vp8xFlagEXIF|vp8xFlagXMP) != 0 {
		t.Errorf("VP8X flags %08b still announce EXIF or XMP", flags)
	}
	if size := binary.LittleEndian.Uint32(out[4:]); int(size) != len(out)-8 {
		t.Errorf("RIFF size %d, file holds %d bytes after the header", size, len(out)-8)
	}
	for _, fourcc := range []string{"EXIF", "XMP "} {
		if bytes.Contains(out, []byte(fourcc)) {
			t.Errorf("chunk %q still present", fourcc)
		}
	}
}

func TestStripJPEGKeepsJFIF(t *testing.T) {
	out, err := photo.StripJPEG(sampleJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out[:20], []byte("JFIF\x00")) {
		t.Error("the JFIF APP0 segment was dropped")
	}
}

func TestCheck(t *testing.T) {
	huge := samplePNG(t)
	huge = bytes.Clone(huge)
	binary.BigEndian.PutUint32(huge[16:], 100000) // IHDR width
	binary.BigEndian.PutUint32(huge[20:], 100000) // IHDR height
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	for _, c := range []struct {
		name, ctype string
		data        []byte
		want        string // "" = accepted
	}{
		{"jpeg", photo.TypeJPEG, sampleJPEG(t), ""},
		{"png", photo.TypePNG, samplePNG(t), ""},
		{"webp", photo.TypeWebP, sampleWebP(), ""},
		{"jpeg magic then garbage", photo.TypeJPEG, []byte("\xFF\xD8\xFF\xE0 pas une image du tout"), "illisible"},
		{"png magic then garbage", photo.TypePNG, []byte("\x89PNG\r\n\x1a\nrien de plus"), "illisible"},
		{"webp magic then garbage", photo.TypeWebP, []byte("RIFF\x10\x00\x00\x00WEBPVP8 rien"), "illisible"},
		{"declared 10 gigapixels", photo.TypePNG, huge, "mégapixels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := photo.Check(c.ctype, c.data)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	for in, want := range map[string]string{
		"%PDF-1.7\n":               "",
		"PK\x03\x04":               "",
		"\xFF\xD8\xFF\xE1":         photo.TypeJPEG,
		"\x89PNG\r\n\x1a\n":        photo.TypePNG,
		"RIFF\x00\x00\x00\x00WEBP": photo.TypeWebP,
		"RIFF\x00\x00\x00\x00WAVE": "",
		"GIF89a":                   "",
	} {
		if got := photo.Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSeedCorpus keeps testdata/ equal to the samples the tests build
// (go test -run TestSeedCorpus -update rewrites it).
func TestSeedCorpus(t *testing.T) {
	for _, s := range samples(t) {
		p := filepath.Join("testdata", s.name)
		if *update {
			if err := os.WriteFile(p, s.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, s.data) {
			t.Errorf("%s differs from the generated sample: run go test -run TestSeedCorpus -update", p)
		}
	}
}

// FuzzStrip: whatever the bytes, the strippers never panic; what they
// return for a photo is itself stable under stripping, and a stripped
// photo that decoded before still decodes to the same size.
func FuzzStrip(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seed.*"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctype := photo.Sniff(data)
		if ctype == "" {
			for _, strip := range []func([]byte) ([]byte, error){photo.StripJPEG, photo.StripPNG, photo.StripWebP} {
				_, _ = strip(data)
			}
			return
		}
		out, err := photo.Strip(ctype, data)
		if err != nil {
			return
		}
		again, err := photo.Strip(ctype, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("stripping is not stable: err %v", err)
		}
		if cfg, err := photo.Config(ctype, data); err == nil {
			cfg2, err := photo.Config(ctype, out)
			if err != nil || cfg2.Width != cfg.Width || cfg2.Height != cfg.Height {
				t.Fatalf("header %dx%d became %dx%d (err %v)", cfg.Width, cfg.Height, cfg2.Width, cfg2.Height, err)
			}
		}
	})
}

// exifOrientedWithGPS is a little-endian EXIF block whose IFD0 holds an
// Orientation (6: the phone was held upright) and a GPS IFD pointer.
func exifOrientedWithGPS(orientation uint16) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	w16 := func(v uint16) { _ = binary.Write(&b, le, v) }
	w32 := func(v uint32) { _ = binary.Write(&b, le, v) }
	b.WriteString("II")
	w16(42)
	w32(8)
	w16(2)              // IFD0: two entries
	w16(0x0112)         // Orientation
	w16(3)              // SHORT
	w32(1)              //
	w16(orientation)    // value
	w16(0)              // padding
	w16(0x8825)         // GPS IFD pointer
	w16(4)              // LONG
	w32(1)              //
	w32(8 + 2 + 24 + 4) // GPS IFD just after IFD0
	w32(0)              // no next IFD
	w16(1)              // GPS IFD: GPSProcessingMethod
	w16(0x001B)
	w16(7)
	w32(uint32(len(gpsMarker)))
	w32(uint32(8 + 2 + 24 + 4 + 2 + 12 + 4))
	w32(0)
	b.WriteString(gpsMarker)
	return b.Bytes()
}

// TestStripJPEGKeepsOrientation: of the EXIF block only the Orientation
// survives, in a minimal EXIF block (a portrait from a phone does not show
// sideways); GPS and the rest go; stripping is stable; an orientation out
// of range or of the wrong type is dropped with the rest.
func TestStripJPEGKeepsOrientation(t *testing.T) {
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, image.NewGray(image.Rect(0, 0, 8, 4)), nil); err != nil {
		t.Fatal(err)
	}
	with := func(exif []byte) []byte {
		seg := []byte{0xFF, 0xE1, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(exif)+8))
		seg = append(append(seg, "Exif\x00\x00"...), exif...)
		return append(append(append([]byte{}, enc.Bytes()[:2]...), seg...), enc.Bytes()[2:]...)
	}
	kept := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	src := with(exifOrientedWithGPS(6))
	out, err := photo.StripJPEG(src)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(gpsMarker)) || !bytes.Contains(out, kept) || bytes.Count(out, []byte("Exif\x00")) != 1 {
		t.Fatalf("stripped EXIF: %q", out[:60])
	}
	if !samePixels(decode(t, src), decode(t, out)) {
		t.Error("not the same picture")
	}
	if again, err := photo.StripJPEG(out); err != nil || !bytes.Equal(again, out) {
		t.Errorf("stripping twice changes the photo (err %v)", err)
	}
	for _, o := range []uint16{0, 9} {
		out, err := photo.StripJPEG(with(exifOrientedWithGPS(o)))
		if err != nil || bytes.Contains(out, []byte("Exif\x00")) {
			t.Errorf("orientation %d: kept an EXIF block (err %v)", o, err)
		}
	}
}
