// Package zipcheck refuses ZIP archives whose entries carry two different
// names: one in the central directory (what archive/zip and Sillage's
// checks read) and another in the entry's local header (what streaming
// extractors and some antivirus tools read). Such an archive passes a check
// under one name and is extracted under the other.
package zipcheck

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInconsistent marks an archive whose central directory and local
// headers disagree: a security refusal.
var ErrInconsistent = errors.New("archive ZIP incohérente")

// Error is a refusal, in French.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrInconsistent) hold.
func (e *Error) Is(target error) bool { return target == ErrInconsistent }

func refuse(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

const (
	sigLocal   = 0x04034b50
	sigCentral = 0x02014b50
	sigEnd     = 0x06054b50
	sigEnd64   = 0x06064b50
	sigLoc64   = 0x07064b50
)

// Check reads the central directory of the archive in ra (size bytes) and,
// for every entry, the name in its local header: they must be the same
// bytes, and the entries the same as archive/zip lists in zr (when given).
func Check(ra io.ReaderAt, size int64, zr *zip.Reader) error {
	cdOff, count, err := findDirectory(ra, size)
	if err != nil {
		return err
	}
	if zr != nil && int64(len(zr.File)) != count {
		return refuse("le répertoire central annonce %d entrées, %d lues", count, len(zr.File))
	}
	off := cdOff
	for i := int64(0); i < count; i++ {
		var h [46]byte
		if _, err := ra.ReadAt(h[:], off); err != nil || binary.LittleEndian.Uint32(h[0:]) != sigCentral {
			return refuse("répertoire central illisible à l'entrée n° %d", i+1)
		}
		csize, usize := uint64(binary.LittleEndian.Uint32(h[20:])), uint64(binary.LittleEndian.Uint32(h[24:]))
		nameLen, extraLen, commentLen := int64(binary.LittleEndian.Uint16(h[28:])), int64(binary.LittleEndian.Uint16(h[30:])), int64(binary.LittleEndian.Uint16(h[32:]))
		local := uint64(binary.LittleEndian.Uint32(h[42:]))
		rest := make([]byte, nameLen+extraLen)
		if _, err := ra.ReadAt(rest, off+46); err != nil {
			return refuse("répertoire central tronqué à l'entrée n° %d", i+1)
		}
		name, extra := rest[:nameLen], rest[nameLen:]
		if local == 0xFFFFFFFF {
			local = zip64Offset(extra, usize == 0xFFFFFFFF, csize == 0xFFFFFFFF)
		}
		if err := checkLocal(ra, size, int64(local), name, i+1); err != nil {
			return err
		}
		off += 46 + nameLen + extraLen + commentLen
	}
	return nil
}

func checkLocal(ra io.ReaderAt, size, off int64, central []byte, n int64) error {
	var h [30]byte
	if off < 0 || off+30 > size {
		return refuse("l'entrée n° %d (%s) n'a pas d'en-tête local", n, quote(central))
	}
	if _, err := ra.ReadAt(h[:], off); err != nil || binary.LittleEndian.Uint32(h[0:]) != sigLocal {
		return refuse("l'entrée n° %d (%s) n'a pas d'en-tête local", n, quote(central))
	}
	nameLen := int64(binary.LittleEndian.Uint16(h[26:]))
	name := make([]byte, nameLen)
	if off+30+nameLen > size {
		return refuse("l'en-tête local de l'entrée n° %d est tronqué", n)
	}
	if _, err := ra.ReadAt(name, off+30); err != nil {
		return refuse("l'en-tête local de l'entrée n° %d est illisible", n)
	}
	if !bytes.Equal(name, central) {
		return refuse("l'entrée n° %d porte deux noms : %s dans le répertoire central, %s dans son en-tête local",
			n, quote(central), quote(name))
	}
	return nil
}

// zip64Offset reads the local header offset from a zip64 extra field: its
// values appear in the order uncompressed, compressed, offset, each only
// when the 32-bit field is saturated.
func zip64Offset(extra []byte, usize, csize bool) uint64 {
	for len(extra) >= 4 {
		tag, l := binary.LittleEndian.Uint16(extra[0:]), int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+l > len(extra) {
			break
		}
		body := extra[4 : 4+l]
		if tag == 0x0001 {
			skip := 0
			if usize {
				skip += 8
			}
			if csize {
				skip += 8
			}
			if len(body) >= skip+8 {
				return binary.LittleEndian.Uint64(body[skip:])
			}
		}
		extra = extra[4+l:]
	}
	return 0xFFFFFFFF
}

// findDirectory locates the end of central directory record (and its
// zip64 form) and returns where the directory starts and how many entries.
func findDirectory(ra io.ReaderAt, size int64) (int64, int64, error) {
	const maxTail = 22 + 65535
	tail := min(size, maxTail)
	buf := make([]byte, tail)
	if _, err := ra.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, 0, refuse("fin d'archive illisible")
	}
	i := -1
	for j := len(buf) - 22; j >= 0; j-- {
		if binary.LittleEndian.Uint32(buf[j:]) == sigEnd {
			i = j
			break
		}
	}
	if i < 0 {
		return 0, 0, refuse("répertoire central introuvable")
	}
	end := buf[i:]
	count := int64(binary.LittleEndian.Uint16(end[10:]))
	off := int64(binary.LittleEndian.Uint32(end[16:]))
	if count == 0xFFFF || off == 0xFFFFFFFF {
		endPos := size - tail + int64(i)
		var loc [20]byte
		if endPos < 20 {
			return 0, 0, refuse("répertoire central zip64 introuvable")
		}
		if _, err := ra.ReadAt(loc[:], endPos-20); err != nil || binary.LittleEndian.Uint32(loc[0:]) != sigLoc64 {
			return 0, 0, refuse("répertoire central zip64 introuvable")
		}
		var e64 [56]byte
		p := int64(binary.LittleEndian.Uint64(loc[8:]))
		if p < 0 || p+56 > size {
			return 0, 0, refuse("répertoire central zip64 illisible")
		}
		if _, err := ra.ReadAt(e64[:], p); err != nil || binary.LittleEndian.Uint32(e64[0:]) != sigEnd64 {
			return 0, 0, refuse("répertoire central zip64 illisible")
		}
		count = int64(binary.LittleEndian.Uint64(e64[32:]))
		off = int64(binary.LittleEndian.Uint64(e64[48:]))
	}
	if off < 0 || off > size || count < 0 || count > size/46+1 {
		return 0, 0, refuse("répertoire central hors de l'archive")
	}
	return off, count, nil
}

func quote(name []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, string(name))
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return "« " + s + " »"
}
