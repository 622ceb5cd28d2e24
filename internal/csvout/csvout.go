// Package csvout writes the CSV files school staff open in a spreadsheet:
// ";" between fields and UTF-8 with a byte order mark, which French
// spreadsheet software reads directly, and no cell it would run as a
// formula. Names, appreciations and journal details are typed by people or
// come from imported files: a cell such as =HYPERLINK(…) must stay text.
package csvout

import (
	"encoding/csv"
	"io"
)

// Writer writes records; the byte order mark goes before the first one.
type Writer struct {
	cw      *csv.Writer
	w       io.Writer
	started bool
	err     error
}

// NewWriter returns a writer to w with "\n" line ends.
func NewWriter(w io.Writer) *Writer {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	return &Writer{cw: cw, w: w}
}

// UseCRLF ends lines with "\r\n", what spreadsheet software on Windows
// expects of files it is handed over (the LSU reports).
func (w *Writer) UseCRLF() { w.cw.UseCRLF = true }

// Write writes one record, its cells made safe.
func (w *Writer) Write(record []string) error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		w.started = true
		if _, err := io.WriteString(w.w, "\ufeff"); err != nil {
			w.err = err
			return err
		}
	}
	safe := make([]string, len(record))
	for i, c := range record {
		safe[i] = Cell(c)
	}
	if err := w.cw.Write(safe); err != nil {
		w.err = err
	}
	return w.err
}

// Flush writes what is buffered and returns the first error met.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		// An empty file is still a spreadsheet file: the mark alone.
		w.started = true
		if _, err := io.WriteString(w.w, "\ufeff"); err != nil {
			return err
		}
	}
	w.cw.Flush()
	return w.cw.Error()
}

// Cell keeps a cell that starts like a formula (=, +, -, @, a tab or a
// carriage return) from being run: a leading apostrophe makes it text in
// every common spreadsheet. A lone "-" stays: it is a placeholder, not a
// formula.
func Cell(s string) string {
	if s == "" || s == "-" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
