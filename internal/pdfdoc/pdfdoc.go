// Package pdfdoc writes Sillage's readable documents (records, credential
// lists, reports, archives) as PDF, in French, with the Go fonts so every
// accent, Œ and € renders. Output is deterministic for a given content and
// date, so documents can be compared and archived.
package pdfdoc

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/sillage/sillage"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Doc is a PDF document being written, A4 portrait.
type Doc struct {
	f     *fpdf.Fpdf
	title string
}

const (
	margin   = 15.0
	pageW    = 210.0
	contentW = pageW - 2*margin
)

// New starts a document; title heads every page, date stamps it. Two
// faces only (regular and bold): registering a face is most of the cost of
// a small document, and notes read as well in grey as in italics.
//
// The faces are parsed again for every document: fpdf (v0.9.0) keeps a
// document's fonts in unexported fields, AddUTF8FontFromBytes always
// parses the TrueType file and names it by hashing its 65,536-entry width
// table through encoding/json, and Output subsets the parsed font in place
// (the font file's reader and tables are rewritten), so a parsed font
// cannot be shared between documents, let alone concurrent ones. Measured
// (BenchmarkSmallDocument, December 2026): about 10 ms and 10 MB allocated
// per one-page document, nine tenths of it registering, subsetting and
// compressing the two faces. Only a change to the library would remove it.
func New(title string, date time.Time) *Doc {
	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes("go", "", goregular.TTF)
	f.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	f.SetMargins(margin, margin+6, margin)
	f.SetAutoPageBreak(true, margin+5)
	f.SetTitle(title, true)
	f.SetCreator("Sillage", true)
	f.SetCreationDate(date.UTC())
	f.SetModificationDate(date.UTC())
	f.SetCatalogSort(true)
	f.SetCompression(true)
	d := &Doc{f: f, title: title}
	f.SetHeaderFunc(func() {
		f.SetFont("go", "", 8)
		f.SetTextColor(90, 90, 90)
		f.SetXY(margin, 8)
		f.CellFormat(contentW/2, 5, title, "", 0, "L", false, 0, "")
		f.CellFormat(contentW/2, 5, "Édité le "+sillage.FormatDate(date), "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
		f.SetY(margin + 6)
	})
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-12)
		f.SetFont("go", "", 8)
		f.SetTextColor(90, 90, 90)
		f.CellFormat(0, 5, fmt.Sprintf("Sillage — page %d/{nb}", f.PageNo()), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	return d
}

// Title writes the document's main title.
func (d *Doc) Title(s string) {
	d.f.SetFont("go", "B", 16)
	d.f.MultiCell(contentW, 8, s, "", "L", false)
	d.f.Ln(2)
}

// Heading writes a section heading, starting a page if little room is left.
func (d *Doc) Heading(s string) {
	if d.f.GetY() > 250 {
		d.f.AddPage()
	}
	d.f.Ln(2)
	d.f.SetFont("go", "B", 12)
	d.f.SetFillColor(230, 236, 245)
	d.f.MultiCell(contentW, 7, s, "", "L", true)
	d.f.Ln(1)
}

// Subheading writes a smaller heading.
func (d *Doc) Subheading(s string) {
	if d.f.GetY() > 260 {
		d.f.AddPage()
	}
	d.f.SetFont("go", "B", 10)
	d.f.MultiCell(contentW, 5.5, s, "", "L", false)
}

// Para writes a paragraph.
func (d *Doc) Para(s string) {
	d.f.SetFont("go", "", 10)
	d.f.MultiCell(contentW, 5, s, "", "L", false)
	d.f.Ln(1)
}

// Note writes a paragraph in small grey type.
func (d *Doc) Note(s string) {
	d.f.SetFont("go", "", 9)
	d.f.SetTextColor(70, 70, 70)
	d.f.MultiCell(contentW, 4.5, s, "", "L", false)
	d.f.SetTextColor(0, 0, 0)
	d.f.Ln(1)
}

// Field writes "label : value" lines; empty values are skipped.
func (d *Doc) Field(label, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	d.f.SetFont("go", "B", 10)
	w := d.f.GetStringWidth(label+" : ") + 1
	if w > contentW/2 {
		w = contentW / 2
	}
	d.f.CellFormat(w, 5, label+" : ", "", 0, "L", false, 0, "")
	d.f.SetFont("go", "", 10)
	d.f.MultiCell(contentW-w, 5, value, "", "L", false)
}

// Table writes a table; widths are fractions of the content width.
func (d *Doc) Table(headers []string, widths []float64, rows [][]string) {
	ws := make([]float64, len(widths))
	for i, w := range widths {
		ws[i] = w * contentW
	}
	line := 5.0
	header := func() {
		d.f.SetFont("go", "B", 9)
		d.f.SetFillColor(230, 236, 245)
		for i, h := range headers {
			d.f.CellFormat(ws[i], 6, h, "1", 0, "L", true, 0, "")
		}
		d.f.Ln(-1)
		d.f.SetFont("go", "", 9)
	}
	header()
	for _, row := range rows {
		// The height of a row is that of its tallest cell.
		n := 1
		for i, cell := range row {
			if i < len(ws) {
				if k := len(d.f.SplitText(cell, ws[i]-2)); k > n {
					n = k
				}
			}
		}
		h := float64(n) * line
		if d.f.GetY()+h > 297-margin-8 {
			d.f.AddPage()
			header()
		}
		x, y := d.f.GetXY()
		for i, cell := range row {
			if i >= len(ws) {
				break
			}
			d.f.Rect(x, y, ws[i], h, "D")
			d.f.SetXY(x+1, y)
			d.f.MultiCell(ws[i]-2, line, cell, "", "L", false)
			x += ws[i]
			d.f.SetXY(x, y)
		}
		d.f.SetXY(margin, y+h)
	}
	d.f.Ln(2)
}

// PageBreak starts a new page.
func (d *Doc) PageBreak() { d.f.AddPage() }

// Write finishes the document and writes it to w.
func (d *Doc) Write(w io.Writer) error {
	if err := d.f.Output(w); err != nil {
		return fmt.Errorf("écriture du PDF « %s » : %w", d.title, err)
	}
	return nil
}
