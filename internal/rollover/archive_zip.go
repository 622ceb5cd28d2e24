package rollover

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"html"
	"io"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/csvout"
	"github.com/sillage/sillage/internal/passport"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/records"
)

// The archives of step 2, written entry by entry to a zip.Writer that
// streams into the blob store: nothing is buffered whole. Their content is
// a function of the data and of the step's start (the entries' dates), so
// a run resumed after a crash writes the same bytes again.

// Names of the entries.
const (
	ReadmeName       = "LISEZMOI.txt"
	StudentsCSV      = "eleves.csv"
	EvaluationsCSV   = "evaluations.csv"
	CommentsCSV      = "commentaires.csv"
	EvaluationsPDF   = "evaluations.pdf"
	ReportsDir       = "livret-scolaire"
	LSUDir           = "lsu"
	FilesDir         = "fichiers"
	MissingName      = "fichiers-manquants.txt"
	StudentResultCSV = "resultats.csv"
)

// ClassArchiveContents and StudentArchiveContents describe the archives
// (the dry run prints them).
const (
	ClassArchiveContents = ReadmeName + ", " + StudentsCSV + " (la liste des élèves de la classe), " + EvaluationsCSV +
		" (résultats par élève et compétence), " + CommentsCSV + ", " + EvaluationsPDF + " (lisible), " + ReportsDir +
		"/ (bilans du livret scolaire en PDF), " + LSUDir + "/ (fichiers LSU exportés pour la division)"
	StudentArchiveContents = ReadmeName + ", livret-AAAA-AAAA.html (lisible), livret-AAAA-AAAA.json (format sillage-livrets), " +
		StudentResultCSV + ", " + FilesDir + "/ (fichiers joints des fiches), " + ReportsDir + "/ (bilans du livret scolaire en PDF)"
)

// ClassArchiveName is the name of a division's archive.
func ClassArchiveName(y sillage.SchoolYear, code string) string {
	return passport.Clean(fmt.Sprintf("Archive %s — %s.zip", y, code), "archive.zip")
}

// EstablishmentArchiveName is the archive of the LSU exports not tied to a division.
func EstablishmentArchiveName(y sillage.SchoolYear) string {
	return fmt.Sprintf("Archive %s — livret scolaire de l'établissement.zip", y)
}

// StudentArchiveName is the name of a student's archive in their space.
func StudentArchiveName(y sillage.SchoolYear) string {
	return fmt.Sprintf("Archive de l'année %s.zip", y)
}

// StudentRecordName is the base name of a student archive's record files.
func StudentRecordName(y sillage.SchoolYear) string { return "livret-" + y.String() }

// compression: the fastest deflate level; archives are written at night
// for a whole region, and the files compressed already are stored as they
// are (copyBlob).
const compression = flate.BestSpeed

var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, compression)
	return w
}}

type pooledFlate struct{ *flate.Writer }

func (p pooledFlate) Close() error {
	err := p.Writer.Close()
	flatePool.Put(p.Writer)
	return err
}

// headBuffers are copyBlob's buffers (blob.CompressedHead bytes): one per
// archive with files, thousands of archives in a row.
var headBuffers = sync.Pool{New: func() any { b := make([]byte, blob.CompressedHead); return &b }}

// pageBuffers hold the student archives' HTML pages while they are built;
// one grown past keptPage (a record of hundreds of evaluations) is not kept.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const keptPage = 1 << 20

// archiveWriter writes one ZIP and counts the bytes of its entries.
type archiveWriter struct {
	zw       *zip.Writer
	out      *bufio.Writer // from outBuffers, back at close
	modified time.Time
	raw      int64         // uncompressed bytes of every entry
	buf      *[]byte       // from headBuffers, back at close
	page     *bytes.Buffer // from pageBuffers, back at close
}

// outBuffers stand between a ZIP and its destination (zip.Writer keeps a
// buffered writer it is given): 32 KiB, as the blob store reads, instead
// of a new 4 KiB buffer per archive.
var outBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

func newArchiveWriter(w io.Writer, modified time.Time) *archiveWriter {
	out := outBuffers.Get().(*bufio.Writer)
	out.Reset(w)
	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		fw := flatePool.Get().(*flate.Writer)
		fw.Reset(out)
		return pooledFlate{fw}, nil
	})
	return &archiveWriter{zw: zw, out: out, modified: modified.UTC()}
}

type countWriter struct {
	w io.Writer
	n *int64
}

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

// entry starts a deflated entry.
func (a *archiveWriter) entry(name string) (io.Writer, error) {
	w, err := a.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: a.modified})
	return countWriter{w, &a.raw}, err
}

// copyBlob copies a file of the blob store into the archive: stored as it
// is when compressed already (scans, photos, office files, most PDFs:
// blob.Compressed judges by content), deflated otherwise (LSU XML, text,
// the PDFs Sillage writes). A missing blob is reported, not fatal.
func (a *archiveWriter) copyBlob(blobs blob.Store, name, sha string, modified time.Time, missing *[]string) error {
	src, err := blobs.Open(sha)
	if sillage.KindOf(err) == sillage.KindNotFound {
		*missing = append(*missing, name)
		return nil
	}
	if err != nil {
		return err
	}
	defer src.Close()
	if modified.IsZero() {
		modified = a.modified
	}
	if a.buf == nil {
		a.buf = headBuffers.Get().(*[]byte)
	}
	buf := *a.buf
	n, err := io.ReadFull(src, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	head := buf[:n]
	method := zip.Deflate
	if blob.Compressed(head) {
		method = zip.Store
	}
	w, err := a.zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: modified.UTC()})
	if err != nil {
		return err
	}
	cw := countWriter{w, &a.raw}
	if _, err := cw.Write(head); err != nil || n < len(buf) {
		return err
	}
	// Hide WriterTo so the one buffer is used for every file.
	_, err = io.CopyBuffer(cw, struct{ io.Reader }{src}, buf)
	return err
}

func (a *archiveWriter) text(name, s string) error {
	w, err := a.entry(name)
	if err == nil {
		_, err = io.WriteString(w, s)
	}
	return err
}

func (a *archiveWriter) missing(list []string) error {
	if len(list) == 0 {
		return nil
	}
	w, err := a.entry(MissingName)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Ces fichiers n'ont pas pu être relus sur le serveur au moment de l'archivage ; signalez-le à l'administrateur de l'établissement :")
	for _, m := range list {
		fmt.Fprintln(w, "- "+m)
	}
	return nil
}

// pageBuffer returns the archive's page buffer, empty.
func (a *archiveWriter) pageBuffer() *bytes.Buffer {
	if a.page == nil {
		a.page = pageBuffers.Get().(*bytes.Buffer)
	}
	a.page.Reset()
	return a.page
}

func (a *archiveWriter) close() error {
	if a.buf != nil {
		headBuffers.Put(a.buf)
		a.buf = nil
	}
	if a.page != nil {
		if a.page.Cap() <= keptPage {
			pageBuffers.Put(a.page)
		}
		a.page = nil
	}
	err := a.zw.Close() // flushes out
	if err == nil {
		a.out.Reset(nil)
		outBuffers.Put(a.out)
	}
	// Neither may be used again: out may be another archive's already.
	a.zw, a.out = nil, nil
	return err
}

// csv writes one CSV entry of the archive for spreadsheets (csvout:
// semicolons, UTF-8 with a byte order mark, no cell run as a formula:
// evaluation titles and comments are typed by people).
func (a *archiveWriter) csv(name string, header []string, rows func(w *csvout.Writer) error) error {
	w, err := a.entry(name)
	if err != nil {
		return err
	}
	cw := csvout.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := rows(cw); err != nil {
		return err
	}
	return cw.Flush()
}

// yearData is one establishment's year N, read once for every archive.
type yearData struct {
	year      sillage.SchoolYear
	est       sillage.Establishment
	recs      *records.Records
	students  map[int64]*records.StudentRecord
	divisions []sillage.Division
	// evaluations of year N by division, with every student's results.
	byDivision map[int64][]*classEval
	pdfs       map[string][]sillage.ReportPDF // by division code
	pdfsOf     map[int64][]sillage.ReportPDF  // by student
	exports    map[string][]sillage.LSUExport // by division code ("" for the rest)
	from, to   time.Time
}

// classEval is an evaluation of a division with the results of its students.
type classEval struct {
	sillage.Evaluation
	ref      *sillage.Referential
	results  map[int64][]records.CompetenceResult // by student
	comments map[int64]string
}

// inYear reports whether a sheet was written or changed during year N.
func (d *yearData) inYear(s sillage.Sheet) bool {
	in := func(t time.Time) bool { return !t.Before(d.from) && t.Before(d.to) }
	return in(s.CreatedAt) || in(s.UpdatedAt)
}

func (d *yearData) scale(v string) string {
	if v == "" {
		return ""
	}
	return records.ValueLabel(d.recs.Scale, v)
}

// valueText is "3 — Maîtrisé".
func (d *yearData) valueText(v string) string {
	if l := d.scale(v); l != v {
		return v + " — " + l
	}
	return v
}

func (d *yearData) authorName(id int64, joined string) string {
	if p, ok := d.recs.Authors[id]; ok {
		return p.FullName()
	}
	return joined
}

// lastPDFs keeps the last closing of each report (the final version).
func lastPDFs(ps []sillage.ReportPDF) []sillage.ReportPDF {
	type key struct {
		kind string
		id   int64
	}
	last := map[key]int{}
	for i, p := range ps {
		last[key{p.Kind, p.ReportID}] = i
	}
	var out []sillage.ReportPDF
	for i, p := range ps {
		if last[key{p.Kind, p.ReportID}] == i {
			out = append(out, p)
		}
	}
	return out
}

// divisionOfExport returns the division an LSU export was made for ("" for
// the whole establishment, a level or a student).
func divisionOfExport(selection string) string {
	rest, ok := strings.CutPrefix(selection, "division ")
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(rest, " — ")
	return strings.TrimSpace(code)
}

// classMembers returns a division's students, by name.
func (d *yearData) classMembers(div sillage.Division) []*records.StudentRecord {
	var out []*records.StudentRecord
	for _, sr := range d.students {
		if sr.Student.DivisionID == div.ID {
			out = append(out, sr)
		}
	}
	sortStudents(out)
	return out
}

func sortStudents(list []*records.StudentRecord) {
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i].Student, list[j].Student
		if a.LastName != b.LastName {
			return a.LastName < b.LastName
		}
		if a.FirstName != b.FirstName {
			return a.FirstName < b.FirstName
		}
		return a.ID < b.ID
	})
}

// writeClass writes a division's archive: its students, its evaluations
// with the results per student and competence (CSV and PDF), the comments,
// the Livret Scolaire report PDFs of the year and the LSU files exported
// for the division.
func (d *yearData) writeClass(a *archiveWriter, blobs blob.Store, div sillage.Division) error {
	members := d.classMembers(div)
	evals := d.byDivision[div.ID]
	pdfs := lastPDFs(d.pdfs[div.Code])
	exports := d.exports[div.Code]
	// Students who have results in the class's evaluations without being in
	// the division any more (moved to another class) are listed too.
	listed := map[int64]bool{}
	for _, m := range members {
		listed[m.Student.ID] = true
	}
	for _, e := range evals {
		for sid := range e.results {
			if sr := d.students[sid]; sr != nil && !listed[sid] {
				listed[sid] = true
				members = append(members, sr)
			}
		}
	}
	sortStudents(members)

	var b strings.Builder
	fmt.Fprintf(&b, "Archive de la division %s — année scolaire %s\n", div.Code, d.year)
	fmt.Fprintf(&b, "Établissement : %s (%s)\n", d.est.Name, d.est.UAI)
	fmt.Fprintf(&b, "Écrite par Sillage lors du changement d'année, le %s.\n\n", sillage.FormatDate(a.modified))
	b.WriteString("Cette archive est un document à conserver par l'établissement jusqu'au terme de la durée de conservation des archives.\n\n")
	b.WriteString("Contenu :\n")
	fmt.Fprintf(&b, "- %s : les %d élève(s) de la classe pendant l'année ;\n", StudentsCSV, len(members))
	fmt.Fprintf(&b, "- %s : les résultats de %d évaluation(s), par élève et compétence ;\n", EvaluationsCSV, len(evals))
	fmt.Fprintf(&b, "- %s : les commentaires des enseignants ;\n", CommentsCSV)
	fmt.Fprintf(&b, "- %s : les mêmes résultats, lisibles ;\n", EvaluationsPDF)
	fmt.Fprintf(&b, "- %s/ : %d bilan(s) du livret scolaire (PDF, dernière version de chaque bilan) ;\n", ReportsDir, len(pdfs))
	fmt.Fprintf(&b, "- %s/ : %d fichier(s) LSU exporté(s) pour la division.\n", LSUDir, len(exports))
	b.WriteString("\nLes fichiers CSV sont séparés par des points-virgules, en UTF-8.\n")
	if err := a.text(ReadmeName, b.String()); err != nil {
		return err
	}
	err := a.csv(StudentsCSV, []string{"Nom", "Prénom", "Né(e) le", "MEF", "Division", "Statut"}, func(w *csvout.Writer) error {
		for _, m := range members {
			s := m.Student
			status := "inscrit"
			if !s.Active() {
				status = "parti le " + sillage.FormatDate(s.DeactivatedAt)
			}
			if s.DivisionID != div.ID {
				status += " (dans une autre division en fin d'année)"
			}
			if err := w.Write([]string{s.LastName, s.FirstName, s.BirthDate.French(), s.MEF, div.Code, status}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = a.csv(EvaluationsCSV, []string{"Date", "Évaluation", "Enseignant", "Référentiel", "Nom", "Prénom", "Domaine", "Code compétence",
		"Compétence", "Résultat", "Niveau"}, func(w *csvout.Writer) error {
		for _, e := range evals {
			refLabel := ""
			if e.ref != nil {
				refLabel = e.ref.Label
			}
			author := d.authorName(e.AuthorID, e.AuthorName)
			for _, m := range members {
				for _, r := range e.results[m.Student.ID] {
					if err := w.Write([]string{e.Date.French(), e.Title, author, refLabel, m.Student.LastName, m.Student.FirstName,
						r.Competence.Domain, r.Competence.Code, r.Competence.Label, r.Value, d.scale(r.Value)}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = a.csv(CommentsCSV, []string{"Date", "Évaluation", "Nom", "Prénom", "Commentaire"}, func(w *csvout.Writer) error {
		for _, e := range evals {
			for _, m := range members {
				if c := e.comments[m.Student.ID]; c != "" {
					if err := w.Write([]string{e.Date.French(), e.Title, m.Student.LastName, m.Student.FirstName, c}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	pw, err := a.entry(EvaluationsPDF)
	if err != nil {
		return err
	}
	if err := d.classPDF(pw, div, members, evals, a.modified); err != nil {
		return err
	}
	var missing []string
	used := map[string]bool{}
	for _, p := range pdfs {
		name := path.Join(ReportsDir, passport.Unique(passport.Clean(p.StudentName+" — "+p.Title+".pdf", "bilan.pdf"), used))
		if err := a.copyBlob(blobs, name, p.SHA256, p.CreatedAt, &missing); err != nil {
			return err
		}
	}
	for _, x := range exports {
		name := path.Join(LSUDir, passport.Unique(passport.Clean(x.FileName, "lsu.xml"), used))
		if err := a.copyBlob(blobs, name, x.FileSHA256, x.CreatedAt, &missing); err != nil {
			return err
		}
	}
	return a.missing(missing)
}

// classPDF is the readable table of a division's results: per evaluation,
// a line per student and a column per competence.
func (d *yearData) classPDF(w io.Writer, div sillage.Division, members []*records.StudentRecord, evals []*classEval, now time.Time) error {
	// The standard faces unless a name or label needs the Go fonts (0.2 ms
	// instead of 15 per one-page class, BenchmarkSmallDocument), and
	// uncompressed: the ZIP entry deflates the whole file with the
	// archive's pooled writers instead of a new zlib writer per stream.
	doc := pdfdoc.NewWith(fmt.Sprintf("Archive %s — %s", d.year, div.Code), now, pdfdoc.Options{StandardFonts: true, Uncompressed: true})
	doc.Title(fmt.Sprintf("Division %s — résultats de l'année %s", div.Code, d.year))
	doc.Field("Établissement", fmt.Sprintf("%s (%s)", d.est.Name, d.est.UAI))
	if div.Label != "" {
		doc.Field("Division", div.Label)
	}
	doc.Field("Élèves", fmt.Sprint(len(members)))
	doc.Field("Évaluations", fmt.Sprint(len(evals)))
	if len(evals) == 0 {
		doc.Note("Aucune évaluation pour cette division.")
	}
	for _, e := range evals {
		doc.Subheading(e.Date.French() + " — " + e.Title)
		meta := []string{}
		if e.ref != nil {
			meta = append(meta, "Référentiel : "+e.ref.Label)
		}
		if a := d.authorName(e.AuthorID, e.AuthorName); a != "" {
			meta = append(meta, "Évalué par : "+a)
		}
		if len(meta) > 0 {
			doc.Note(strings.Join(meta, " — "))
		}
		// The competences evaluated, in the referential's order.
		var comps []sillage.Competence
		seen := map[int64]bool{}
		for _, m := range members {
			for _, r := range e.results[m.Student.ID] {
				if !seen[r.Competence.ID] {
					seen[r.Competence.ID] = true
					comps = append(comps, r.Competence)
				}
			}
		}
		sort.Slice(comps, func(i, j int) bool {
			if comps[i].Position != comps[j].Position {
				return comps[i].Position < comps[j].Position
			}
			return comps[i].Code < comps[j].Code
		})
		if len(comps) == 0 {
			doc.Note("Aucun résultat saisi.")
			continue
		}
		if len(comps) <= 6 {
			header := []string{"Élève"}
			widths := []float64{0.34}
			for _, c := range comps {
				header = append(header, c.Code)
				widths = append(widths, 0.66/float64(len(comps)))
			}
			var rows [][]string
			for _, m := range members {
				res := e.results[m.Student.ID]
				if len(res) == 0 {
					continue
				}
				row := []string{m.Student.FullName()}
				for _, c := range comps {
					v := ""
					for _, r := range res {
						if r.Competence.ID == c.ID {
							v = r.Value
						}
					}
					row = append(row, v)
				}
				rows = append(rows, row)
			}
			doc.Table(header, widths, rows)
			var legend []string
			for _, c := range comps {
				legend = append(legend, c.Code+" : "+c.Label)
			}
			doc.Note(strings.Join(legend, " ; "))
		} else {
			var rows [][]string
			for _, m := range members {
				for _, r := range e.results[m.Student.ID] {
					rows = append(rows, []string{m.Student.FullName(), r.Competence.Code + " — " + r.Competence.Label, r.Value})
				}
			}
			doc.Table([]string{"Élève", "Compétence", "Résultat"}, []float64{0.3, 0.55, 0.15}, rows)
		}
	}
	if len(d.recs.Scale) > 0 {
		doc.Heading("Échelle des résultats")
		var rows [][]string
		for _, l := range d.recs.Scale {
			rows = append(rows, []string{l.Code, l.Label})
		}
		doc.Table([]string{"Code", "Niveau"}, []float64{0.2, 0.8}, rows)
	}
	return doc.Write(w)
}

// studentYear is a student's year N: their evaluations of the year and
// the sheets written or changed during it.
func (d *yearData) studentYear(sr *records.StudentRecord) records.StudentRecord {
	out := records.StudentRecord{Student: sr.Student}
	for _, e := range sr.Evaluations {
		if e.SchoolYear == d.year {
			out.Evaluations = append(out.Evaluations, e)
		}
	}
	for _, s := range sr.Sheets {
		if d.inYear(s) {
			out.Sheets = append(out.Sheets, s)
		}
	}
	return out
}

// writeStudent writes a student's archive of year N: the readable record
// (HTML), the same data in the records JSON format, their results as CSV,
// the files attached to their sheets, and their Livret Scolaire reports.
func (d *yearData) writeStudent(a *archiveWriter, blobs blob.Store, sr *records.StudentRecord) error {
	yr := d.studentYear(sr)
	pdfs := lastPDFs(d.pdfsOf[sr.Student.ID])
	// Files: fichiers/NN-sheet/name, as the full-record download names them.
	paths := map[int64]string{}
	type placed struct {
		att  sillage.Attachment
		path string
	}
	var files []placed
	for i, sh := range yr.Sheets {
		dir := path.Join(FilesDir, fmt.Sprintf("%02d-%s", i+1, passport.Clean(sh.Title, "fiche")))
		used := map[string]bool{}
		for _, at := range sh.Attachments {
			p := dir + "/" + passport.Unique(passport.Clean(at.Name, "fichier"), used)
			paths[at.ID] = p
			files = append(files, placed{at, p})
		}
	}
	base := StudentRecordName(d.year)
	var b strings.Builder
	fmt.Fprintf(&b, "Archive de l'année %s de %s\n", d.year, sr.Student.FullName())
	fmt.Fprintf(&b, "Établissement : %s (%s)\n", d.est.Name, d.est.UAI)
	fmt.Fprintf(&b, "Écrite par Sillage lors du changement d'année, le %s.\n\n", sillage.FormatDate(a.modified))
	b.WriteString("Contenu :\n")
	fmt.Fprintf(&b, "- %s.html : le livret de l'année, lisible dans un navigateur (%d évaluation(s), %d fiche(s)) ;\n", base, len(yr.Evaluations), len(yr.Sheets))
	fmt.Fprintf(&b, "- %s.json : les mêmes données au format « %s » (version %d), pour les reprendre dans un autre logiciel ;\n", base, records.FormatName, records.FormatVersion)
	fmt.Fprintf(&b, "- %s : les résultats par évaluation et compétence ;\n", StudentResultCSV)
	fmt.Fprintf(&b, "- %s/ : les %d fichier(s) joint(s) aux fiches de situation professionnelle ;\n", FilesDir, len(files))
	fmt.Fprintf(&b, "- %s/ : %d bilan(s) du livret scolaire (PDF).\n", ReportsDir, len(pdfs))
	b.WriteString("\nLe livret complet, toutes années confondues, reste téléchargeable depuis Sillage.\n")
	if err := a.text(ReadmeName, b.String()); err != nil {
		return err
	}
	page := a.pageBuffer()
	d.studentHTML(page, &yr, paths, pdfs)
	hw, err := a.entry(base + ".html")
	if err != nil {
		return err
	}
	if _, err := hw.Write(page.Bytes()); err != nil {
		return err
	}
	one := *d.recs
	one.Students = []records.StudentRecord{yr}
	// Only the referentials of the student's evaluations of the year.
	refs := map[int64]bool{}
	for _, e := range yr.Evaluations {
		refs[e.ReferentialID] = true
	}
	one.Referentials = nil
	for _, ref := range d.recs.Referentials {
		if refs[ref.ID] {
			one.Referentials = append(one.Referentials, ref)
		}
	}
	jw, err := a.entry(base + ".json")
	if err != nil {
		return err
	}
	if err := records.Encode(jw, records.ToFile(&one, records.ExportOptions{Paths: paths, Now: a.modified})); err != nil {
		return err
	}
	err = a.csv(StudentResultCSV, []string{"Date", "Évaluation", "Enseignant", "Domaine", "Code compétence", "Compétence", "Résultat", "Niveau", "Commentaire"},
		func(w *csvout.Writer) error {
			for _, e := range yr.Evaluations {
				author := d.authorName(e.AuthorID, e.AuthorName)
				if len(e.Results) == 0 {
					if err := w.Write([]string{e.Date.French(), e.Title, author, "", "", "", "", "", e.Comment}); err != nil {
						return err
					}
				}
				for i, r := range e.Results {
					comment := ""
					if i == 0 {
						comment = e.Comment
					}
					if err := w.Write([]string{e.Date.French(), e.Title, author, r.Competence.Domain, r.Competence.Code, r.Competence.Label,
						r.Value, d.scale(r.Value), comment}); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	var missing []string
	for _, f := range files {
		if err := a.copyBlob(blobs, f.path, f.att.SHA256, f.att.UploadedAt, &missing); err != nil {
			return err
		}
	}
	used := map[string]bool{}
	for _, p := range pdfs {
		name := path.Join(ReportsDir, passport.Unique(passport.Clean(p.Title+".pdf", "bilan.pdf"), used))
		if err := a.copyBlob(blobs, name, p.SHA256, p.CreatedAt, &missing); err != nil {
			return err
		}
	}
	return a.missing(missing)
}

// studentHTML appends to b the readable record of the year, one
// self-contained page.
func (d *yearData) studentHTML(b *bytes.Buffer, yr *records.StudentRecord, paths map[int64]string, pdfs []sillage.ReportPDF) {
	e := html.EscapeString
	s := yr.Student
	fmt.Fprintf(b, "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Livret %s — %s</title>\n", e(d.year.String()), e(s.FullName()))
	b.WriteString("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}table{border-collapse:collapse;width:100%}" +
		"td,th{border:1px solid #999;padding:.2em .4em;text-align:left}h2{border-bottom:2px solid #246;margin-top:2em}.meta{color:#555}</style></head><body>\n")
	fmt.Fprintf(b, "<h1>Livret de l'année %s</h1>\n<p><strong>%s</strong>", e(d.year.String()), e(s.FullName()))
	if !s.BirthDate.IsZero() {
		fmt.Fprintf(b, ", né(e) le %s", e(s.BirthDate.French()))
	}
	fmt.Fprintf(b, "<br>%s (%s)", e(d.est.Name), e(string(d.est.UAI)))
	if s.DivisionCode != "" {
		fmt.Fprintf(b, " — division %s", e(s.DivisionCode))
	}
	b.WriteString("</p>\n")
	fmt.Fprintf(b, "<h2>Évaluations (%d)</h2>\n", len(yr.Evaluations))
	if len(yr.Evaluations) == 0 {
		b.WriteString("<p>Aucune évaluation cette année.</p>\n")
	}
	for _, ev := range yr.Evaluations {
		fmt.Fprintf(b, "<h3>%s — %s</h3>\n", e(ev.Date.French()), e(ev.Title))
		var meta []string
		if ev.Referential != nil {
			meta = append(meta, "Référentiel : "+ev.Referential.Label)
		}
		if a := d.authorName(ev.AuthorID, ev.AuthorName); a != "" {
			meta = append(meta, "Évalué par : "+a)
		}
		if len(meta) > 0 {
			fmt.Fprintf(b, "<p class=\"meta\">%s</p>\n", e(strings.Join(meta, " — ")))
		}
		if len(ev.Results) > 0 {
			b.WriteString("<table><tr><th>Domaine</th><th>Compétence</th><th>Résultat</th></tr>\n")
			for _, r := range ev.Results {
				fmt.Fprintf(b, "<tr><td>%s</td><td>%s — %s</td><td>%s</td></tr>\n", e(r.Competence.Domain), e(r.Competence.Code), e(r.Competence.Label),
					e(d.valueText(r.Value)))
			}
			b.WriteString("</table>\n")
		}
		if ev.Comment != "" {
			fmt.Fprintf(b, "<p>Commentaire : %s</p>\n", e(ev.Comment))
		}
	}
	fmt.Fprintf(b, "<h2>Situations professionnelles (%d)</h2>\n", len(yr.Sheets))
	if len(yr.Sheets) == 0 {
		b.WriteString("<p>Aucune fiche cette année.</p>\n")
	}
	for _, sh := range yr.Sheets {
		fmt.Fprintf(b, "<h3>%s — %s</h3>\n<p>", e(sh.Kind.Label()), e(sh.Title))
		if sh.Context == sillage.ContextPFMP {
			fmt.Fprintf(b, "PFMP du %s au %s, %s", e(sh.PFMPStart.French()), e(sh.PFMPEnd.French()), e(sh.Host))
		} else {
			fmt.Fprintf(b, "En établissement : %s", e(sh.Class))
		}
		b.WriteString("</p>\n")
		if sh.Description != "" {
			fmt.Fprintf(b, "<p>%s</p>\n", e(sh.Description))
		}
		if sh.Activities != "" {
			fmt.Fprintf(b, "<p>Activités et compétences : %s</p>\n", e(sh.Activities))
		}
		if sh.Result != "" || sh.Comment != "" {
			fmt.Fprintf(b, "<p>Résultat : %s — évaluée par %s. %s</p>\n", e(d.valueText(sh.Result)),
				e(d.authorName(sh.AuthorID, sh.AuthorName)), e(sh.Comment))
		}
		if len(sh.Attachments) > 0 {
			b.WriteString("<ul>\n")
			for _, a := range sh.Attachments {
				fmt.Fprintf(b, "<li><a href=\"%s\">%s</a></li>\n", e(paths[a.ID]), e(a.Name))
			}
			b.WriteString("</ul>\n")
		}
	}
	fmt.Fprintf(b, "<h2>Livret scolaire (%d bilan(s))</h2>\n", len(pdfs))
	if len(pdfs) == 0 {
		b.WriteString("<p>Aucun bilan archivé.</p>\n")
	} else {
		b.WriteString("<ul>\n")
		for _, p := range pdfs {
			fmt.Fprintf(b, "<li>%s</li>\n", e(p.Title))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("</body></html>\n")
}

// writeEstablishmentLSU writes the archive of the LSU files exported for
// the whole establishment, a level or a student.
func (d *yearData) writeEstablishmentLSU(a *archiveWriter, blobs blob.Store) error {
	exports := d.exports[""]
	var b strings.Builder
	fmt.Fprintf(&b, "Fichiers LSU exportés pour l'année %s, hors exports d'une seule division\n", d.year)
	fmt.Fprintf(&b, "Établissement : %s (%s)\n\n", d.est.Name, d.est.UAI)
	for _, x := range exports {
		fmt.Fprintf(&b, "- %s : %s, le %s (%d élève(s))\n", x.FileName, x.Selection, sillage.FormatDate(x.CreatedAt), x.Students)
	}
	if err := a.text(ReadmeName, b.String()); err != nil {
		return err
	}
	var missing []string
	used := map[string]bool{}
	for _, x := range exports {
		name := path.Join(LSUDir, passport.Unique(passport.Clean(x.FileName, "lsu.xml"), used))
		if err := a.copyBlob(blobs, name, x.FileSHA256, x.CreatedAt, &missing); err != nil {
			return err
		}
	}
	return a.missing(missing)
}
