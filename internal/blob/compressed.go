package blob

import "bytes"

// CompressedHead is how much of a file Compressed needs to judge it.
const CompressedHead = 64 << 10

// Compressed reports whether a file whose first bytes are head (up to
// CompressedHead of them) is compressed already, judged by its content, not
// by its name: JPEG, PNG, GIF, WebP, ZIP (and the office formats built on
// it), gzip, 7z, and PDF whose streams are compressed. Deflating such a
// file again costs CPU and saves nothing, so archives store it as it is.
func Compressed(head []byte) bool {
	for _, magic := range compressedMagics {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	if len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")) {
		return true
	}
	if bytes.HasPrefix(head, []byte("%PDF-")) {
		// A PDF is text around streams; those with a compression filter
		// are most of the bytes. One without (as pdfdoc writes them)
		// deflates well.
		for _, f := range pdfCompressionFilters {
			if bytes.Contains(head, f) {
				return true
			}
		}
	}
	return false
}

var compressedMagics = [][]byte{
	{0xFF, 0xD8, 0xFF},          // JPEG
	[]byte("\x89PNG\r\n\x1a\n"), // PNG
	[]byte("GIF87a"), []byte("GIF89a"),
	[]byte("PK\x03\x04"), []byte("PK\x05\x06"), // ZIP, DOCX, ODT, XLSX…; empty ZIP
	{0x1F, 0x8B},                       // gzip
	{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}, // 7z
	{0x00, 0x00, 0x00, 0x0C, 'j', 'P'}, // JPEG 2000
}

var pdfCompressionFilters = [][]byte{
	[]byte("/FlateDecode"), []byte("/DCTDecode"), []byte("/JPXDecode"), []byte("/JBIG2Decode"),
	[]byte("/LZWDecode"), []byte("/CCITTFaxDecode"),
}
