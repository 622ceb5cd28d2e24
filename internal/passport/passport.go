// Package passport writes a student's full record ("passeport
// professionnel", transfer.md 8 and privacy.md "rights of the people") as
// one ZIP: a readable PDF of the evaluations and professional situations,
// every file attached to the sheets, and the same data as records JSON
// (docs/records-json.md) for portability, signed by the instance
// (internal/signedzip) so that anyone can check where it comes from.
//
// The ZIP is streamed: the database is read once, then the archive is
// written entry by entry to the destination, the attached files copied
// from the blob store through one fixed buffer, so memory does not grow
// with the size of the files (the PDF and the JSON are built in memory).
package passport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/signedzip"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
)

// Names of the entries of the archive.
const (
	PDFName     = "livret.pdf"
	JSONName    = "livret.json"
	ReadmeName  = "LISEZMOI.txt"
	FilesDir    = "fichiers"
	MissingName = "fichiers-manquants.txt"
)

// Options shape the archive for the person it is written for.
type Options struct {
	// BirthDate includes the student's birth date. The student, their
	// legal guardians and the administrator see it; a director does not
	// (privacy.md: names and results only).
	BirthDate bool
	// Signer signs the archive's manifest (required); Issuer names the
	// instance in it.
	Signer *signing.Signer
	Issuer signedzip.Issuer
}

// Write streams the full record of a student of an establishment as a ZIP
// to w. External ids (ELEVE_ID, STS-web ids) are left out: the archive goes
// to the student, a parent or the direction, who may not see them.
func Write(ctx context.Context, st *store.Store, blobs blob.Store, uai sillage.UAI, studentID int64, w io.Writer, opts Options) error {
	var recs *records.Records
	var sr *records.StudentRecord
	var now time.Time
	err := st.Read(ctx, func(tx *store.Tx) (err error) {
		now = tx.Now()
		recs, sr, err = records.LoadStudent(ctx, tx, uai, studentID)
		return err
	})
	if err != nil {
		return err
	}
	files := placeFiles(sr.Sheets)
	paths := make(map[int64]string, len(files))
	for _, f := range files {
		paths[f.att.ID] = f.path
	}

	// The PDF and the JSON are small beside the files: built in memory,
	// the files streamed from the blob store.
	var pdf, js bytes.Buffer
	if err := writePDF(&pdf, recs, sr, paths, now, opts.BirthDate); err != nil {
		return err
	}
	one := *recs
	one.Students = []records.StudentRecord{*sr}
	if err := records.Encode(&js, records.ToFile(&one, records.ExportOptions{Paths: paths, Now: now, BirthDate: opts.BirthDate})); err != nil {
		return err
	}
	entries := []signedzip.File{
		{Name: ReadmeName, Content: []byte(readme(recs, sr, now, len(files)))},
		{Name: PDFName, Content: pdf.Bytes()},
		{Name: JSONName, Content: js.Bytes()},
	}
	var missing []string
	for _, f := range files {
		// The files are PDF or ZIP, compressed already: stored as they are.
		entries = append(entries, signedzip.File{Name: f.path, Modified: f.att.UploadedAt, Store: true, Open: func() (io.ReadCloser, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			src, err := blobs.Open(f.att.SHA256)
			if sillage.KindOf(err) == sillage.KindNotFound {
				missing = append(missing, f.path)
				return nil, signedzip.ErrSkip
			}
			return src, err
		}})
	}
	entries = append(entries, signedzip.File{Name: MissingName, Open: func() (io.ReadCloser, error) {
		if len(missing) == 0 {
			return nil, signedzip.ErrSkip
		}
		var b strings.Builder
		fmt.Fprintln(&b, "Ces fichiers joints n'ont pas pu être relus sur le serveur ; signalez-le à l'administrateur de l'établissement :")
		for _, m := range missing {
			fmt.Fprintln(&b, "- "+m)
		}
		return io.NopCloser(strings.NewReader(b.String())), nil
	}})
	// Signed by the instance (MANIFEST.json, MANIFEST.sig): anyone can
	// check it with `sillage verify` or the instance's /verifier page.
	_, err = signedzip.Write(w, opts.Signer, signedzip.Meta{Purpose: signedzip.PurposePassport, Issuer: opts.Issuer, IssuedAt: now}, entries)
	return err
}

type placedFile struct {
	att  sillage.Attachment
	path string
}

// placeFiles gives each attachment its path in the archive:
// fichiers/<NN-sheet title>/<name>, names cleaned and made unique.
func placeFiles(sheets []sillage.Sheet) []placedFile {
	var out []placedFile
	for i, sh := range sheets {
		dir := path.Join(FilesDir, fmt.Sprintf("%02d-%s", i+1, Clean(sh.Title, "fiche")))
		used := map[string]bool{}
		for _, a := range sh.Attachments {
			name := Unique(Clean(a.Name, "fichier"), used)
			out = append(out, placedFile{att: a, path: dir + "/" + name})
		}
	}
	return out
}

// Clean makes s a safe file or folder name on every system: no path
// separator, no control or reserved character, no leading dot, at most 80
// characters; fallback when nothing is left.
func Clean(s, fallback string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		case strings.ContainsRune(`/\:*?"<>|`, r):
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	out = strings.Trim(out, ". ")
	if utf8.RuneCountInString(out) > 80 {
		ext := path.Ext(out)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		r := []rune(strings.TrimSuffix(out, ext))
		out = strings.TrimRight(string(r[:80-utf8.RuneCountInString(ext)]), ". ") + ext
	}
	if out == "" {
		return fallback
	}
	return out
}

// Unique returns name, or "name (2).ext", "name (3).ext"... the first not
// in used (compared without case: not every system tells them apart), and
// marks it used.
func Unique(name string, used map[string]bool) string {
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	cand := name
	for n := 2; used[strings.ToLower(cand)]; n++ {
		cand = fmt.Sprintf("%s (%d)%s", base, n, ext)
	}
	used[strings.ToLower(cand)] = true
	return cand
}

func readme(recs *records.Records, sr *records.StudentRecord, now time.Time, nfiles int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Livret de %s\n", sr.Student.FullName())
	fmt.Fprintf(&b, "Établissement : %s (%s)\n", recs.Establishment.Name, recs.Establishment.UAI)
	fmt.Fprintf(&b, "Édité le %s par Sillage.\n\n", sillage.FormatDate(now))
	fmt.Fprintf(&b, "Contenu de cette archive :\n")
	fmt.Fprintf(&b, "- %s : le livret lisible (évaluations, résultats par compétence, commentaires, situations professionnelles) ;\n", PDFName)
	fmt.Fprintf(&b, "- %s : les mêmes données au format JSON « %s » (version %d), pour les reprendre dans un autre logiciel ;\n",
		JSONName, records.FormatName, records.FormatVersion)
	fmt.Fprintf(&b, "- %s/ : les %d fichier(s) joint(s) aux fiches de situation professionnelle, un dossier par fiche.\n", FilesDir, nfiles)
	return b.String()
}
