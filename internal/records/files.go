package records

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/photo"
	"github.com/sillage/sillage/internal/zipcheck"
)

// Content types of the files a student may attach.
const (
	TypePDF = "application/pdf"
	TypeZIP = "application/zip"
)

// FileLimits bound what an attached file may be. The bytes are never
// extracted: a ZIP is judged by its central directory alone.
type FileLimits struct {
	MaxSize int64 // bytes of the file itself
	// MaxExpanded bounds the sum of the sizes a ZIP's entries declare.
	MaxExpanded uint64
	// MaxRatio bounds an entry's declared expansion (uncompressed /
	// compressed): beyond it the archive is shaped like a bomb.
	MaxRatio   uint64
	MaxEntries int
}

// DefaultLimits are the limits for files of at most maxSize bytes.
func DefaultLimits(maxSize int64) FileLimits {
	return FileLimits{MaxSize: maxSize, MaxExpanded: 1 << 30, MaxRatio: 200, MaxEntries: 5000}
}

// CheckName refuses a file name that is not a plain name: empty, too long,
// with a path separator, a parent reference or a control character. The
// file is stored under its content hash; the name is only shown and used
// on download, so it must be harmless there.
func CheckName(name string) (string, error) {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return "", sillage.Errorf(sillage.KindInvalid, "le nom du fichier est vide")
	case !utf8.ValidString(n):
		return "", sillage.Errorf(sillage.KindInvalid, "le nom du fichier n'est pas un texte valide")
	case utf8.RuneCountInString(n) > 200:
		return "", sillage.Errorf(sillage.KindInvalid, "le nom du fichier dépasse 200 caractères")
	case strings.ContainsAny(n, `/\`):
		return "", sillage.Errorf(sillage.KindInvalid, "le nom du fichier %q contient un séparateur de dossier (/ ou \\) : donnez un simple nom de fichier", n)
	case n == "." || n == ".." || strings.Contains(n, ".."):
		return "", sillage.Errorf(sillage.KindInvalid, "le nom du fichier %q contient « .. » : donnez un simple nom de fichier", n)
	case strings.HasPrefix(n, "."):
		return "", sillage.Errorf(sillage.KindInvalid, "le nom du fichier ne peut pas commencer par un point")
	}
	for _, r := range n {
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Cf, r) {
			return "", sillage.Errorf(sillage.KindInvalid, "le nom du fichier contient un caractère de contrôle")
		}
	}
	return n, nil
}

// CheckFile checks a file a student attaches: a plain name, a size within
// the limit, and a content that is really a PDF (a %PDF- header and a
// %%EOF trailer) or a ZIP (a readable central directory whose declared
// entries stay within the limits) or a photo (JPEG, PNG or WebP whose
// header decodes and whose metadata can be stripped, see CleanPhoto). The
// type comes from the content; the name's extension must agree with it.
// It returns the cleaned name and the content type.
func CheckFile(name string, r io.ReaderAt, size int64, lim FileLimits) (string, string, error) {
	n, err := CheckName(name)
	if err != nil {
		return "", "", err
	}
	if size <= 0 {
		return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q est vide", n)
	}
	if lim.MaxSize > 0 && size > lim.MaxSize {
		return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q est trop volumineux (%s) : la limite est de %s",
			n, sillage.FormatSize(size), sillage.FormatSize(lim.MaxSize))
	}
	head := make([]byte, 16)
	k, _ := r.ReadAt(head, 0)
	head = head[:k]
	ext := strings.ToLower(path.Ext(n))
	if ctype := photo.Sniff(head); ctype != "" {
		return checkPhoto(n, ext, ctype, r, size)
	}
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		if ext != ".pdf" {
			return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q est un PDF : son nom doit finir par .pdf", n)
		}
		if err := checkPDFTrailer(r, size); err != nil {
			return "", "", sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("le fichier %q n'est pas un PDF complet (fin de fichier %%%%EOF absente)", n))
		}
		return n, TypePDF, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		if ext != ".zip" {
			return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q est une archive ZIP : son nom doit finir par .zip", n)
		}
		if err := checkZIP(r, size, lim); err != nil {
			return "", "", sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("archive ZIP %q refusée : %s", n, err.Error()))
		}
		return n, TypeZIP, nil
	}
	switch ext {
	case ".pdf":
		return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q porte l'extension .pdf mais son contenu n'est pas un PDF", n)
	case ".zip":
		return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q porte l'extension .zip mais son contenu n'est pas une archive ZIP", n)
	case ".jpg", ".jpeg", ".png", ".webp":
		return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q porte l'extension %s mais son contenu n'est pas une photo de ce format", n, ext)
	}
	return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q n'est ni un PDF, ni une archive ZIP, ni une photo JPEG, PNG ou WebP : seuls ces formats sont acceptés", n)
}

// photoNames are the French names of the photo formats, for messages.
var photoNames = map[string]string{photo.TypeJPEG: "JPEG", photo.TypePNG: "PNG", photo.TypeWebP: "WebP"}

// checkPhoto checks a file whose first bytes announce a photo: the name's
// extension must agree with the format and the header must decode to a
// picture of reasonable dimensions.
func checkPhoto(n, ext, ctype string, r io.ReaderAt, size int64) (string, string, error) {
	exts := photo.Extensions[ctype]
	if !slices.Contains(exts, ext) {
		return "", "", sillage.Errorf(sillage.KindInvalid, "le fichier %q est une photo %s : son nom doit finir par %s", n, photoNames[ctype], strings.Join(exts, " ou "))
	}
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && err != io.EOF {
		return "", "", err
	}
	if _, err := photo.Check(ctype, data); err != nil {
		return "", "", sillage.Errorf(sillage.KindInvalid, "photo %q refusée : %s", n, err.Error())
	}
	if _, err := photo.Strip(ctype, data); err != nil {
		return "", "", sillage.Errorf(sillage.KindInvalid, "photo %q refusée : sa structure est incorrecte, les métadonnées ne peuvent pas en être retirées", n)
	}
	return n, ctype, nil
}

// IsPhoto reports whether a content type CheckFile gave is a photo's.
func IsPhoto(ctype string) bool { return photoNames[ctype] != "" }

// CleanPhoto returns a photo CheckFile accepted without its metadata
// (EXIF and its GPS position, XMP, IPTC, comments, dates): what is stored
// is always the cleaned file. Other files are returned unchanged.
func CleanPhoto(name, ctype string, data []byte) ([]byte, error) {
	if !IsPhoto(ctype) {
		return data, nil
	}
	out, err := photo.Strip(ctype, data)
	if err != nil {
		return nil, sillage.Errorf(sillage.KindInvalid, "photo %q refusée : sa structure est incorrecte, les métadonnées ne peuvent pas en être retirées", name)
	}
	return out, nil
}

// checkPDFTrailer looks for %%EOF in the last kilobyte (trailing
// whitespace and a few bytes of garbage are common and allowed).
func checkPDFTrailer(r io.ReaderAt, size int64) error {
	const tail = 1024
	off := max(size-tail, 0)
	buf := make([]byte, size-off)
	if _, err := r.ReadAt(buf, off); err != nil && err != io.EOF {
		return err
	}
	if !bytes.Contains(buf, []byte("%%EOF")) {
		return fmt.Errorf("no %%%%EOF trailer")
	}
	return nil
}

// zipError is a refusal reason in French.
type zipError string

func (e zipError) Error() string { return string(e) }

// checkZIP reads the central directory only (archive/zip reads no entry
// data until an entry is opened) and refuses an archive whose declared
// content is too large, too many, or expands too much.
func checkZIP(r io.ReaderAt, size int64, lim FileLimits) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return zipError("répertoire central illisible")
	}
	// One name per entry: the one checked below is the one extracted.
	if err := zipcheck.Check(r, size, zr); err != nil {
		return err
	}
	if lim.MaxEntries > 0 && len(zr.File) > lim.MaxEntries {
		return zipError(fmt.Sprintf("%d fichiers dans l'archive, au plus %d", len(zr.File), lim.MaxEntries))
	}
	var total uint64
	for _, f := range zr.File {
		if unsafeEntryName(f.Name) {
			return zipError(fmt.Sprintf("l'entrée %q désigne un chemin hors de l'archive", sanitizeForMessage(f.Name)))
		}
		u, c := f.UncompressedSize64, f.CompressedSize64
		total += u
		if lim.MaxExpanded > 0 && (total > lim.MaxExpanded || u > lim.MaxExpanded) {
			return zipError(fmt.Sprintf("contenu déclaré de plus de %s une fois décompressé", sillage.FormatSize(int64(lim.MaxExpanded))))
		}
		if u > 0 && c == 0 && f.Method != zip.Store || lim.MaxRatio > 0 && c > 0 && u/c > lim.MaxRatio {
			return zipError(fmt.Sprintf("l'entrée %q se décompresse plus de %d fois : archive piégée (« bombe »)", sanitizeForMessage(f.Name), lim.MaxRatio))
		}
	}
	return nil
}

// unsafeEntryName reports an entry that would be written outside the
// folder it is extracted to (on the computer of whoever downloads it).
func unsafeEntryName(name string) bool {
	n := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(n, "/") || len(n) > 1 && n[1] == ':' {
		return true
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func sanitizeForMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return s
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
