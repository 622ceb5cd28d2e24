// Package pdfdoc writes Sillage's readable documents (records, credential
// lists, reports, archives) as PDF, in French, with the Go fonts so every
// accent, Œ and € renders (or, for documents written in bulk, the PDF
// standard faces when all their text fits Windows-1252). Output is
// deterministic for a given content and date, so documents can be
// compared and archived.
package pdfdoc

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/sillage/sillage"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Doc is a PDF document being written, A4 portrait. Its content is
// recorded and laid out by Write, once every string is known: the faces
// can then be chosen for the whole document (see Options.StandardFonts).
type Doc struct {
	title string
	date  time.Time
	opts  Options
	ops   []func(*page)
	// wide: a string of the document is outside Windows-1252, so only the
	// Go fonts render it.
	wide bool
}

// Options change how a document is written; the zero value is what New
// writes.
type Options struct {
	// StandardFonts writes the document with the PDF standard faces
	// (Helvetica, Windows-1252 encoding: every French accent, Œ, œ and €)
	// when all its text fits Windows-1252, the embedded Go fonts otherwise.
	// A standard face is neither parsed, subset nor embedded: about a
	// tenth of the cost of a small document with the Go fonts, and a file
	// a few kilobytes long instead of some forty. Every PDF reader has
	// these faces; the document looks like Helvetica instead of Go.
	StandardFonts bool
	// Uncompressed leaves the page streams uncompressed, for a document
	// written into something that compresses it whole (a deflated ZIP
	// entry): fpdf builds a new zlib writer for every stream.
	Uncompressed bool
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
// With the Go fonts (the default), the faces are parsed again for every
// document: fpdf (v0.9.0) keeps a document's fonts in unexported fields,
// AddUTF8FontFromBytes always parses the TrueType file and names it by
// hashing its 65,536-entry width table through encoding/json, and Output
// subsets the parsed font in place (the font file's reader and tables are
// rewritten), so a parsed font cannot be shared between documents, let
// alone concurrent ones. Measured (BenchmarkSmallDocument, December 2026):
// about 10 ms and 10 MB allocated per one-page document, nine tenths of it
// registering, subsetting and compressing the two faces. Documents written
// in bulk can avoid it with Options.StandardFonts.
func New(title string, date time.Time) *Doc { return NewWith(title, date, Options{}) }

// NewWith starts a document written with opts.
func NewWith(title string, date time.Time, opts Options) *Doc {
	d := &Doc{title: title, date: date, opts: opts}
	d.check(title, "Édité le "+sillage.FormatDate(date))
	return d
}

// check notes whether the strings fit the standard faces.
func (d *Doc) check(strs ...string) {
	if d.wide || !d.opts.StandardFonts {
		return
	}
	for _, s := range strs {
		if !fitsCP1252(s) {
			d.wide = true
			return
		}
	}
}

// page is the document being laid out by Write: fpdf, and the face and
// text encoding chosen for the whole document.
type page struct {
	f    *fpdf.Fpdf
	face string
	std  bool // standard face: strings go to fpdf in Windows-1252
}

// t is s as fpdf takes it with the document's face. fpdf's UTF-8 faces
// hold the Basic Multilingual Plane only: a character beyond it (an emoji
// in a comment, a rare ideograph of a name) made the whole document fail
// ("character outside the supported range"), or panicked at U+10000. It is
// written as U+FFFD, the replacement character, so the rest is readable.
func (p *page) t(s string) string {
	if p.std {
		return toCP1252(s)
	}
	return inBMP(s)
}

// inBMP is s with every character beyond U+FFFF replaced by U+FFFD.
func inBMP(s string) string {
	for i, r := range s {
		if r > 0xFFFF {
			return s[:i] + strings.Map(func(r rune) rune {
				if r > 0xFFFF {
					return utf8.RuneError
				}
				return r
			}, s[i:])
		}
	}
	return s
}

func (p *page) font(style string, size float64) { p.f.SetFont(p.face, style, size) }

// lines is how many lines MultiCell writes s in, w wide, with the current
// font (see countLines).
func (p *page) lines(s string, w float64) int { return countLines(p.f, p.t(s), w, !p.std) }

// multi is MultiCell with the document's encoding.
func (p *page) multi(w, h float64, s, border, align string, fill bool) {
	p.f.MultiCell(w, h, p.t(s), border, align, fill)
}

// cell is CellFormat with the document's encoding.
func (p *page) cell(w, h float64, s, border string, ln int, align string, fill bool) {
	p.f.CellFormat(w, h, p.t(s), border, ln, align, fill, 0, "")
}

// Title writes the document's main title.
func (d *Doc) Title(s string) {
	d.check(s)
	d.ops = append(d.ops, func(p *page) {
		p.font("B", 16)
		p.multi(contentW, 8, s, "", "L", false)
		p.f.Ln(2)
	})
}

// Heading writes a section heading, starting a page if little room is left.
func (d *Doc) Heading(s string) {
	d.check(s)
	d.ops = append(d.ops, func(p *page) {
		if p.f.GetY() > 250 {
			p.f.AddPage()
		}
		p.f.Ln(2)
		p.font("B", 12)
		p.f.SetFillColor(230, 236, 245)
		p.multi(contentW, 7, s, "", "L", true)
		p.f.Ln(1)
	})
}

// Subheading writes a smaller heading.
func (d *Doc) Subheading(s string) {
	d.check(s)
	d.ops = append(d.ops, func(p *page) {
		if p.f.GetY() > 260 {
			p.f.AddPage()
		}
		p.font("B", 10)
		p.multi(contentW, 5.5, s, "", "L", false)
	})
}

// Para writes a paragraph.
func (d *Doc) Para(s string) {
	d.check(s)
	d.ops = append(d.ops, func(p *page) {
		p.font("", 10)
		p.multi(contentW, 5, s, "", "L", false)
		p.f.Ln(1)
	})
}

// Note writes a paragraph in small grey type.
func (d *Doc) Note(s string) {
	d.check(s)
	d.ops = append(d.ops, func(p *page) {
		p.font("", 9)
		p.f.SetTextColor(70, 70, 70)
		p.multi(contentW, 4.5, s, "", "L", false)
		p.f.SetTextColor(0, 0, 0)
		p.f.Ln(1)
	})
}

// Field writes "label : value" lines; empty values are skipped.
func (d *Doc) Field(label, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	d.check(label, value)
	d.ops = append(d.ops, func(p *page) {
		p.font("B", 10)
		w := p.f.GetStringWidth(p.t(label+" : ")) + 1
		if w > contentW/2 {
			w = contentW / 2
		}
		p.cell(w, 5, label+" : ", "", 0, "L", false)
		p.font("", 10)
		p.multi(contentW-w, 5, value, "", "L", false)
	})
}

// Table writes a table; widths are fractions of the content width.
func (d *Doc) Table(headers []string, widths []float64, rows [][]string) {
	d.check(headers...)
	// Copies: the table is laid out by Write, after the caller may have
	// reused its slices.
	headers, widths = slices.Clone(headers), slices.Clone(widths)
	rows = slices.Clone(rows)
	for i, row := range rows {
		rows[i] = slices.Clone(row)
		d.check(row...)
	}
	d.ops = append(d.ops, func(p *page) { p.table(headers, widths, rows) })
}

func (p *page) table(headers []string, widths []float64, rows [][]string) {
	f := p.f
	ws := make([]float64, len(widths))
	for i, w := range widths {
		ws[i] = w * contentW
	}
	line := 5.0
	header := func() {
		p.font("B", 9)
		f.SetFillColor(230, 236, 245)
		for i, h := range headers {
			p.cell(ws[i], 6, h, "1", 0, "L", true)
		}
		f.Ln(-1)
		p.font("", 9)
	}
	header()
	for _, row := range rows {
		// The height of a row is that of its tallest cell.
		n := 1
		for i, cell := range row {
			if i < len(ws) {
				if k := p.lines(cell, ws[i]-2); k > n {
					n = k
				}
			}
		}
		h := float64(n) * line
		if f.GetY()+h > 297-margin-8 {
			f.AddPage()
			header()
		}
		x, y := f.GetXY()
		for i, cell := range row {
			if i >= len(ws) {
				break
			}
			f.Rect(x, y, ws[i], h, "D")
			f.SetXY(x+1, y)
			p.multi(ws[i]-2, line, cell, "", "L", false)
			x += ws[i]
			f.SetXY(x, y)
		}
		f.SetXY(margin, y+h)
	}
	f.Ln(2)
}

// PageBreak starts a new page.
func (d *Doc) PageBreak() { d.ops = append(d.ops, func(p *page) { p.f.AddPage() }) }

// Write lays the document out and writes it to w.
func (d *Doc) Write(w io.Writer) error {
	f := fpdf.New("P", "mm", "A4", "")
	p := &page{f: f, face: "go"}
	if d.opts.StandardFonts && !d.wide {
		p.face, p.std = "helvetica", true
	} else {
		f.AddUTF8FontFromBytes("go", "", goregular.TTF)
		f.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	}
	f.SetMargins(margin, margin+6, margin)
	f.SetAutoPageBreak(true, margin+5)
	f.SetTitle(d.title, true)
	f.SetCreator("Sillage", true)
	f.SetCreationDate(d.date.UTC())
	f.SetModificationDate(d.date.UTC())
	f.SetCatalogSort(true)
	f.SetCompression(!d.opts.Uncompressed)
	f.SetHeaderFunc(func() {
		p.font("", 8)
		f.SetTextColor(90, 90, 90)
		f.SetXY(margin, 8)
		p.cell(contentW/2, 5, d.title, "", 0, "L", false)
		p.cell(contentW/2, 5, "Édité le "+sillage.FormatDate(d.date), "", 0, "R", false)
		f.SetTextColor(0, 0, 0)
		f.SetY(margin + 6)
	})
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-12)
		p.font("", 8)
		f.SetTextColor(90, 90, 90)
		p.cell(0, 5, fmt.Sprintf("Sillage — page %d/{nb}", f.PageNo()), "", 0, "C", false)
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	for _, op := range d.ops {
		op(p)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("écriture du PDF « %s » : %w", d.title, err)
	}
	return nil
}
