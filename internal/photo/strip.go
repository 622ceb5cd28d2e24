package photo

import (
	"bytes"
	"encoding/binary"
)

// StripJPEG drops the JPEG segments that carry metadata: APP1 to APP15
// (EXIF with GPS, XMP, IPTC/Photoshop, maker notes...) and COM comments.
// It keeps a bare APP0 JFIF header (the pixel density; not one carrying a
// thumbnail, a picture with its own metadata), an APP2 ICC colour profile and
// the fixed-size APP14 "Adobe" colour-transform segment, because without
// them some pictures would show wrong colours; none of them describes the
// person, the place or the time. Of the EXIF block only the Orientation
// tag is kept, in a minimal EXIF block of its own: without it a portrait
// taken with a phone would show sideways. Entropy-coded data is copied
// untouched; anything after the end-of-image marker is dropped.
func StripJPEG(data []byte) ([]byte, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, ErrMalformed
	}
	out := make([]byte, 0, len(data))
	out = append(out, 0xFF, 0xD8)
	i := 2
	oriented := false // the first EXIF Orientation found is kept, once
	for {
		if i >= len(data) || data[i] != 0xFF {
			return nil, ErrMalformed
		}
		for i+1 < len(data) && data[i+1] == 0xFF { // fill bytes
			i++
		}
		if i+1 >= len(data) {
			return nil, ErrMalformed
		}
		m := data[i+1]
		i += 2
		switch {
		case m == 0xD9:
			return append(out, 0xFF, 0xD9), nil
		case m >= 0xD0 && m <= 0xD7 || m == 0x01:
			out = append(out, 0xFF, m)
			continue
		case m == 0xD8 || m == 0x00:
			return nil, ErrMalformed
		}
		if i+2 > len(data) {
			return nil, ErrMalformed
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return nil, ErrMalformed
		}
		seg := data[i : i+n]
		if keepJPEGSegment(m, seg[2:]) {
			out = append(out, 0xFF, m)
			out = append(out, seg...)
		} else if o := exifOrientation(m, seg[2:]); o != 0 && !oriented {
			out = append(out, orientationSegment(o)...)
			oriented = true
		}
		i += n
		if m == 0xDA { // start of scan: copy the entropy-coded data
			j := i
			for j < len(data) {
				if data[j] != 0xFF {
					j++
					continue
				}
				if j+1 >= len(data) {
					return nil, ErrMalformed
				}
				if next := data[j+1]; next == 0x00 || next >= 0xD0 && next <= 0xD7 {
					j += 2
					continue
				}
				break
			}
			out = append(out, data[i:j]...)
			i = j
		}
	}
}

// exifOrientation returns the Orientation (1 to 8) of an APP1 EXIF
// segment's IFD0, or 0 (not EXIF, no such tag, malformed).
func exifOrientation(marker byte, body []byte) uint16 {
	if marker != 0xE1 || !bytes.HasPrefix(body, []byte("Exif\x00\x00")) {
		return 0
	}
	t := body[6:]
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := uint64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > uint64(len(t)) {
		return 0
	}
	n := uint64(bo.Uint16(t[off:]))
	for k := uint64(0); k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > uint64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 { // one SHORT
			return 0
		}
		if v := bo.Uint16(t[e+8:]); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// orientationSegment is an APP1 EXIF segment holding only an Orientation:
// a big-endian TIFF header and an IFD0 of one entry.
func orientationSegment(o uint16) []byte {
	body := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + // TIFF header, IFD0 at 8
		"\x00\x01" + // one entry
		"\x01\x12\x00\x03\x00\x00\x00\x01") // Orientation, SHORT, count 1
	body = append(body, byte(o>>8), byte(o), 0, 0, // value, padded
		0, 0, 0, 0) // no next IFD
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

func keepJPEGSegment(marker byte, body []byte) bool {
	switch {
	case marker == 0xFE: // COM
		return false
	case marker == 0xE0: // APP0: a bare JFIF header only (a JFIF or JFXX thumbnail is a picture with its own metadata)
		return len(body) == 14 && bytes.HasPrefix(body, []byte("JFIF\x00")) && body[12] == 0 && body[13] == 0
	case marker == 0xE2:
		return bytes.HasPrefix(body, []byte("ICC_PROFILE\x00"))
	case marker == 0xEE:
		return len(body) == 12 && bytes.HasPrefix(body, []byte("Adobe"))
	case marker >= 0xE1 && marker <= 0xEF:
		return false
	}
	return true
}

// pngKeep lists the PNG chunks StripPNG keeps: the picture and how to show
// it (palette, transparency, colour space, pixel size, animation). Texts,
// EXIF, the modification time and any chunk it does not know are dropped.
var pngKeep = map[string]bool{"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true, "tRNS": true, "cHRM": true, "gAMA": true,
	"iCCP": true, "sBIT": true, "sRGB": true, "cICP": true, "bKGD": true, "hIST": true, "pHYs": true, "acTL": true, "fcTL": true, "fdAT": true}

// StripPNG keeps only the chunks of pngKeep, as they are, up to IEND.
func StripPNG(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, pngSignature) {
		return nil, ErrMalformed
	}
	out := make([]byte, 0, len(data))
	out = append(out, pngSignature...)
	i := len(pngSignature)
	for {
		if i+8 > len(data) {
			return nil, ErrMalformed
		}
		n := int64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		end := int64(i) + 12 + n
		if n > 1<<31-1 || end > int64(len(data)) {
			return nil, ErrMalformed
		}
		if pngKeep[typ] {
			out = append(out, data[i:end]...)
		}
		i = int(end)
		if typ == "IEND" {
			return out, nil
		}
	}
}

// webpKeep lists the WebP chunks StripWebP keeps: the picture, its alpha,
// animation and colour profile. EXIF, XMP and unknown chunks are dropped.
var webpKeep = map[string]bool{"VP8 ": true, "VP8L": true, "VP8X": true, "ALPH": true, "ANIM": true, "ANMF": true, "ICCP": true}

// VP8X flags announcing EXIF and XMP chunks.
const (
	vp8xEXIF = 0x08
	vp8xXMP  = 0x04
)

// StripWebP drops a WebP's EXIF and XMP chunks (and any chunk it does not
// know), clears the matching flags of the VP8X header, and rewrites the
// RIFF size. Bytes beyond the RIFF size are dropped.
func StripWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, ErrMalformed
	}
	riffEnd := 8 + int64(binary.LittleEndian.Uint32(data[4:]))
	if riffEnd > int64(len(data)) || riffEnd < 12 {
		return nil, ErrMalformed
	}
	body := make([]byte, 0, len(data))
	i := int64(12)
	for i < riffEnd {
		if i+8 > riffEnd {
			return nil, ErrMalformed
		}
		fourcc := string(data[i : i+4])
		n := int64(binary.LittleEndian.Uint32(data[i+4:]))
		end := i + 8 + n
		if end > riffEnd {
			return nil, ErrMalformed
		}
		if webpKeep[fourcc] {
			start := len(body)
			body = append(body, data[i:end]...)
			if fourcc == "VP8X" {
				if n < 10 {
					return nil, ErrMalformed
				}
				body[start+8] &^= vp8xEXIF | vp8xXMP
			}
			if n%2 == 1 {
				body = append(body, 0)
			}
		}
		i = end + n%2
	}
	out := make([]byte, 12, 12+len(body))
	copy(out, "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(4+len(body)))
	copy(out[8:], "WEBP")
	return append(out, body...), nil
}
