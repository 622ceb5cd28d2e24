package signedzip

import (
	"bytes"
	"encoding/binary"
	"io"
)

// directoryEntries counts the central directory's records by walking their
// fixed headers, before archive/zip reads them: archive/zip builds a
// *zip.File per record, however many there are, so a small upload packed
// with empty records would cost memory out of proportion before the
// entries limit could be checked. It stops after max+1 records. ok is
// false for what no archive of Sillage is: no end record, a ZIP64
// directory, a directory outside the file.
func directoryEntries(r io.ReaderAt, size int64, max int) (n int, ok bool) {
	const eocdLen, maxComment = 22, 1<<16 - 1
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	eocd := buf[i:]
	dirSize := int64(binary.LittleEndian.Uint32(eocd[12:]))
	dirOffset := int64(binary.LittleEndian.Uint32(eocd[16:]))
	if dirOffset == 0xFFFFFFFF || dirSize == 0xFFFFFFFF || dirOffset+dirSize > size {
		return 0, false
	}
	var h [46]byte
	for off := dirOffset; off < size && n <= max; n++ {
		if _, err := r.ReadAt(h[:4], off); err != nil || string(h[:4]) != "PK\x01\x02" {
			return n, true
		}
		if _, err := r.ReadAt(h[:], off); err != nil {
			return n, true
		}
		off += 46 + int64(binary.LittleEndian.Uint16(h[28:])) + int64(binary.LittleEndian.Uint16(h[30:])) + int64(binary.LittleEndian.Uint16(h[32:]))
	}
	return n, true
}
