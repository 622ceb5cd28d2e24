package aaf

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// FileName is what an AAF file name says:
// <prefix>[_<UAI>]_<Complet|Delta>[_<YYYYMMDD>]_<Category>_<NNNN>.xml.
type FileName struct {
	Prefix   string      // e.g. "ENT", "FULL_ENTTSSERVICES", "clean-FULL_ENTTSSERVICES"
	UAI      sillage.UAI // set when the file is for one establishment (Lyon's packaging)
	Complete bool        // Complet (a snapshot) rather than Delta (changes)
	Date     time.Time   // zero when the name has no date (ENT_Complet_Eleve_0000.xml)
	Category Category
	Chunk    int // NNNN: the files of one category are numbered from 0000
}

// ParseFileName reads the base name of path. The prefix may itself
// contain underscores, so the name is read from the right.
func ParseFileName(path string) (FileName, error) {
	base := filepath.Base(path)
	stem, ok := cutSuffixFold(base, ".xml")
	if !ok {
		return FileName{}, fileNameErr(base, "l'extension .xml manque")
	}
	tok := strings.Split(stem, "_")
	i := len(tok) - 1
	if i < 2 {
		return FileName{}, fileNameErr(base, "trop peu de parties")
	}
	var fn FileName
	if len(tok[i]) != 4 || !digits(tok[i]) {
		return FileName{}, fileNameErr(base, "le numéro de morceau (4 chiffres) manque à la fin")
	}
	fn.Chunk, _ = strconv.Atoi(tok[i])
	i--
	cat, err := parseCategoryFold(tok[i])
	if err != nil {
		return FileName{}, fileNameErr(base, fmt.Sprintf("catégorie %q inconnue", tok[i]))
	}
	fn.Category = cat
	i--
	if len(tok[i]) == 8 && digits(tok[i]) {
		d, err := time.Parse("20060102", tok[i])
		if err != nil {
			return FileName{}, fileNameErr(base, fmt.Sprintf("date %q invalide", tok[i]))
		}
		fn.Date = d
		i--
	}
	if i < 0 {
		return FileName{}, fileNameErr(base, "« Complet » ou « Delta » manque")
	}
	switch {
	case strings.EqualFold(tok[i], "Complet"):
		fn.Complete = true
	case strings.EqualFold(tok[i], "Delta"):
	default:
		return FileName{}, fileNameErr(base, "« Complet » ou « Delta » manque")
	}
	i--
	if i >= 0 && looksLikeUAI(tok[i]) {
		uai, err := sillage.ParseUAI(tok[i])
		if err != nil {
			return FileName{}, fileNameErr(base, sillage.Message(err))
		}
		fn.UAI = uai
		i--
	}
	fn.Prefix = strings.Join(tok[:i+1], "_")
	return fn, nil
}

func fileNameErr(base, why string) error {
	return sillage.Errorf(sillage.KindInvalid,
		"nom de fichier AAF %q non reconnu (%s) : <préfixe>[_<UAI>]_<Complet|Delta>_<AAAAMMJJ>_<Catégorie>_<NNNN>.xml attendu", base, why)
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}

func parseCategoryFold(s string) (Category, error) {
	for _, c := range ImportOrder {
		if strings.EqualFold(s, string(c)) {
			return c, nil
		}
	}
	return ParseCategory(s)
}

func looksLikeUAI(s string) bool {
	return len(s) == 8 && digits(s[:7]) && s[7] >= 'A' && s[7] <= 'Z'
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// File is an AAF file found in a directory.
type File struct {
	Path string
	Name FileName
}

// ListDir returns the AAF files of dir in the order an import applies them.
// Other files (the DTD, importDirectories.json) are left out, but an .xml
// file whose name is not an AAF name is an error: silently skipping a
// misnamed chunk of a Complet set would deactivate its people.
func ListDir(dir string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lecture du dossier AAF %s : %w", dir, err)
	}
	var files []File
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if _, isXML := cutSuffixFold(e.Name(), ".xml"); !isXML {
			continue
		}
		name, err := ParseFileName(e.Name())
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: filepath.Join(dir, e.Name()), Name: name})
	}
	SortFiles(files)
	return files, nil
}

// SortFiles sorts files in the order an import applies them: by date (a
// Complet before the Deltas of the same day), then by category in
// ImportOrder, then by establishment, then by chunk number.
func SortFiles(files []File) {
	slices.SortStableFunc(files, func(a, b File) int {
		return cmp.Or(
			a.Name.Date.Compare(b.Name.Date),
			compareBool(a.Name.Complete, b.Name.Complete),
			cmp.Compare(a.Name.Category.rank(), b.Name.Category.rank()),
			cmp.Compare(a.Name.UAI, b.Name.UAI),
			cmp.Compare(a.Name.Chunk, b.Name.Chunk),
			cmp.Compare(filepath.Base(a.Path), filepath.Base(b.Path)),
		)
	})
}

// compareBool puts true first.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}
