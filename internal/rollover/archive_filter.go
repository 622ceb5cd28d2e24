package rollover

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/sillage/sillage"
)

// The archives are written once, at the changeover, with the students'
// birth dates; privacy.md keeps those from teachers and directors. So the
// archive a reader downloads follows their role: for a reader who may not
// see birth dates, WithoutBirthDates copies it entry by entry (the
// compressed bytes of every other entry as they are) and rewrites the two
// entries that hold them: eleves.csv loses its birth date column, the
// per-student HTML loses "né(e) le …". The JSON of a student's archive
// never holds it (records.ExportOptions without BirthDate).

// birthDateColumn is the header of eleves.csv's birth date column.
const birthDateColumn = "Né(e) le"

// maxRewritten bounds an entry read whole to be rewritten: eleves.csv and
// a student's HTML record of one year are far smaller.
const maxRewritten = 64 << 20

// htmlBirthDate is the fragment of studentHTML after the student's name.
var htmlBirthDate = regexp.MustCompile(`(<p><strong>[^<]*</strong>), né\(e\) le [^<]*`)

// isStudentHTML reports whether name is the HTML record of a student's
// archive (livret-AAAA-AAAA.html at the root).
func isStudentHTML(name string) bool {
	return !strings.Contains(name, "/") && strings.HasPrefix(name, "livret-") && path.Ext(name) == ".html"
}

// WithoutBirthDates writes to w the archive read from r (size bytes)
// without the students' birth dates.
func WithoutBirthDates(w io.Writer, r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return sillage.Wrap(sillage.KindInvalid, err, "archive illisible")
	}
	zw := zip.NewWriter(w)
	for _, f := range zr.File {
		var rewrite func([]byte) ([]byte, error)
		switch {
		case f.Name == StudentsCSV:
			rewrite = csvWithoutColumn
		case isStudentHTML(f.Name):
			rewrite = func(b []byte) ([]byte, error) {
				loc := htmlBirthDate.FindSubmatchIndex(b)
				if loc == nil {
					return b, nil
				}
				out := append([]byte{}, b[:loc[0]]...)
				out = append(out, b[loc[2]:loc[3]]...)
				return append(out, b[loc[1]:]...), nil
			}
		}
		if rewrite == nil {
			if err := zw.Copy(f); err != nil {
				return err
			}
			continue
		}
		b, err := readEntry(f)
		if err != nil {
			return err
		}
		if b, err = rewrite(b); err != nil {
			return err
		}
		ew, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
		if err != nil {
			return err
		}
		if _, err := ew.Write(b); err != nil {
			return err
		}
	}
	return zw.Close()
}

func readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, "archive illisible")
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxRewritten+1))
	if err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, "archive illisible")
	}
	if len(b) > maxRewritten {
		return nil, sillage.Errorf(sillage.KindInvalid, "archive illisible : %s est trop volumineux", f.Name)
	}
	return b, nil
}

// csvWithoutColumn drops the birth date column of eleves.csv; the cells
// are written back as they were read (csvout made them safe already).
func csvWithoutColumn(b []byte) ([]byte, error) {
	bom := bytes.HasPrefix(b, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, "archive illisible : "+StudentsCSV)
	}
	col := -1
	if len(rows) > 0 {
		for i, h := range rows[0] {
			if h == birthDateColumn {
				col = i
			}
		}
	}
	if col < 0 {
		return b, nil
	}
	var out bytes.Buffer
	if bom {
		out.WriteString("\ufeff")
	}
	cw := csv.NewWriter(&out)
	cw.Comma = ';'
	for _, row := range rows {
		if col < len(row) {
			row = append(row[:col:col], row[col+1:]...)
		}
		if err := cw.Write(row); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	return out.Bytes(), cw.Error()
}
