package photo_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// gpsMarker is a text only the test's metadata holds: once stripped, it
// must appear nowhere in the photo.
const gpsMarker = "GPS 46.5802N 0.3404E"

// exifWithGPS builds a small big-endian TIFF/EXIF block whose IFD0 points
// to a GPS IFD (tag 0x8825) holding GPSLatitudeRef "N" and an ASCII
// GPSProcessingMethod carrying gpsMarker.
func exifWithGPS() []byte {
	var b bytes.Buffer
	be := binary.BigEndian
	w16 := func(v uint16) { _ = binary.Write(&b, be, v) }
	w32 := func(v uint32) { _ = binary.Write(&b, be, v) }
	b.WriteString("MM")
	w16(42)
	w32(8) // IFD0 at 8
	// IFD0: one entry, GPS IFD pointer.
	w16(1)
	w16(0x8825)
	w16(4) // LONG
	w32(1)
	w32(26) // GPS IFD at 8+2+12+4 = 26
	w32(0)
	// GPS IFD: two entries.
	w16(2)
	w16(0x0001) // GPSLatitudeRef
	w16(2)      // ASCII
	w32(2)
	b.WriteString("N\x00\x00\x00")
	w16(0x001B) // GPSProcessingMethod
	w16(7)      // UNDEFINED
	w32(uint32(len(gpsMarker)))
	w32(26 + 2 + 24 + 4) // just after this IFD
	w32(0)
	b.WriteString(gpsMarker)
	return b.Bytes()
}

func testImage() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 12, 8))
	for y := range 8 {
		for x := range 12 {
			img.Set(x, y, color.NRGBA{uint8(x * 20), uint8(y * 30), 90, 255})
		}
	}
	return img
}

func jpegSegment(marker byte, body []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(body)+2))
	return append(s, body...)
}

// sampleJPEG is a JPEG with a JFIF APP0, an EXIF (GPS) APP1, an XMP APP1, an IPTC APP13
// and a comment, inserted just after the start-of-image marker.
func sampleJPEG(t testing.TB) []byte {
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, testImage(), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	plain := enc.Bytes()
	var out bytes.Buffer
	out.Write(plain[:2])
	out.Write(jpegSegment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")))
	out.Write(jpegSegment(0xE0, []byte("JFXX\x00\x10thumbnail "+gpsMarker)))
	out.Write(jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifWithGPS()...)))
	out.Write(jpegSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>"+gpsMarker+"</exif:GPSLatitude></x:xmpmeta>")))
	out.Write(jpegSegment(0xED, []byte("Photoshop 3.0\x008BIM IPTC "+gpsMarker)))
	out.Write(jpegSegment(0xFE, []byte("commentaire : "+gpsMarker)))
	out.Write(plain[2:])
	return out.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// samplePNG is a PNG with eXIf (GPS), tEXt, zTXt-like iTXt and tIME chunks
// after its IHDR.
func samplePNG(t testing.TB) []byte {
	var enc bytes.Buffer
	if err := png.Encode(&enc, testImage()); err != nil {
		t.Fatal(err)
	}
	plain := enc.Bytes()
	ihdrEnd := 8 + 12 + 13
	var out bytes.Buffer
	out.Write(plain[:ihdrEnd])
	out.Write(pngChunk("eXIf", exifWithGPS()))
	out.Write(pngChunk("tEXt", []byte("Comment\x00"+gpsMarker)))
	out.Write(pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+gpsMarker)))
	out.Write(pngChunk("tIME", []byte{0x07, 0xEA, 12, 7, 3, 0, 0}))
	out.Write(pngChunk("zxIf", []byte("old-style EXIF "+gpsMarker)))
	out.Write(plain[ihdrEnd:])
	return out.Bytes()
}

// bitWriter writes the least-significant-bit-first bit stream of VP8L.
type bitWriter struct {
	buf  []byte
	nbit uint
}

func (w *bitWriter) write(v uint32, n uint) {
	for i := range n {
		if w.nbit%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>i&1 == 1 {
			w.buf[len(w.buf)-1] |= 1 << (w.nbit % 8)
		}
		w.nbit++
	}
}

// vp8l encodes a lossless WebP bitstream of one colour: no transform, no
// colour cache, and five "simple" prefix codes of one symbol each, so
// that every pixel takes no bits at all.
func vp8l(width, height int, c color.NRGBA) []byte {
	var w bitWriter
	w.write(0x2f, 8)
	w.write(uint32(width-1), 14)
	w.write(uint32(height-1), 14)
	w.write(0, 1) // alpha unused
	w.write(0, 3) // version
	w.write(0, 1) // no transform
	w.write(0, 1) // no colour cache
	w.write(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		w.write(1, 1) // simple code
		w.write(0, 1) // one symbol
		w.write(1, 1) // 8-bit symbol
		w.write(uint32(sym), 8)
	}
	return w.buf
}

func riffChunk(fourcc string, data []byte) []byte {
	c := make([]byte, 8, 9+len(data))
	copy(c, fourcc)
	binary.LittleEndian.PutUint32(c[4:], uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// sampleWebP is an extended WebP (VP8X with the EXIF and XMP flags set)
// holding a lossless picture, an EXIF chunk with GPS and an XMP chunk.
func sampleWebP() []byte {
	const width, height = 12, 8
	x := make([]byte, 10)
	x[0] = vp8xFlagEXIF | vp8xFlagXMP
	x[4], x[5], x[6] = byte(width-1), byte((width-1)>>8), byte((width-1)>>16)
	x[7], x[8], x[9] = byte(height-1), byte((height-1)>>8), byte((height-1)>>16)
	var body bytes.Buffer
	body.WriteString("WEBP")
	body.Write(riffChunk("VP8X", x))
	body.Write(riffChunk("VP8L", vp8l(width, height, color.NRGBA{200, 80, 40, 255})))
	body.Write(riffChunk("EXIF", exifWithGPS()))
	body.Write(riffChunk("XMP ", []byte("<x:xmpmeta>"+gpsMarker+"</x:xmpmeta>")))
	out := []byte("RIFF\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(out[4:], uint32(body.Len()))
	return append(out, body.Bytes()...)
}

const (
	vp8xFlagEXIF = 0x08
	vp8xFlagXMP  = 0x04
)
