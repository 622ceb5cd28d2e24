// Package onde reads the CSV extractions of the first degree: ONDE (since
// 2017: CSVExtraction.csv, with the INE and the class id) and its
// predecessor BE1D (CSVExtraction-eleves.csv, without them), the teachers
// (CSVExtraction-enseignants.csv) and the guardians
// (CSVExtraction-responsables.csv, CSVExtraction Parents.csv).
//
// The files are ISO-8859-1 (UTF-8, with or without BOM, is recognised), ';'
// separated, '"' quoted, CRLF or LF, with a header line. Columns are found by
// their header name, never by position: spaces around the name, case and
// accents do not matter (the BE1D pupils file has " Cycle").
//
// The readers stream: one row at a time goes to a callback. A row that
// cannot be used is a Reject and the reading goes on; a file broken as a
// whole (not CSV, missing columns, a quote out of place) is an error of kind
// sillage.KindInvalid, after which whatever was delivered must be discarded.
// INE values never appear in errors or rejects: they are kept raw in
// ident.INE, whose printed forms are masked.
package onde

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// Format is the flavour of a pupils extraction.
type Format int

const (
	// FormatBE1D is the extraction of Base Élèves 1er degré (before 2017):
	// no INE, no class id; the class is the "Classe" column.
	FormatBE1D Format = iota + 1
	// FormatONDE is the ONDE extraction (since 2017): INE, "Libellé classe"
	// and "Identifiant classe" (the class id LSU 1D calls id-be).
	FormatONDE
)

func (f Format) String() string {
	switch f {
	case FormatBE1D:
		return "BE1D"
	case FormatONDE:
		return "ONDE"
	}
	return "inconnu"
}

// Reject is a row left out of the result. It never holds an INE.
type Reject struct {
	Row    int    // line of the row in the file; the header is line 1
	Name   string // "NOM Prénom" of the pupil, teacher or guardian, when known
	Reason string // in French
	// Pupil is what a rejected pupils row gives, partial (zero for the
	// other extractions): a complete import recognises by it, INE first,
	// the pupil the row still names. Its INE is masked when printed.
	Pupil Pupil `json:"-"`
}

func (r Reject) Error() string {
	if r.Name != "" {
		return fmt.Sprintf("ligne %d (%s) : %s", r.Row, r.Name, r.Reason)
	}
	return fmt.Sprintf("ligne %d : %s", r.Row, r.Reason)
}

func fullName(last, first string) string { return strings.TrimSpace(last + " " + first) }

func invalidf(format string, args ...any) error {
	return sillage.Errorf(sillage.KindInvalid, format, args...)
}

// readError keeps a domain error as it is and wraps anything else (an I/O
// failure) with its cause.
func readError(err error) error {
	var de *sillage.Error
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("lecture du fichier : %w", err)
}

// parseDate reads a date as ONDE writes it, JJ/MM/AAAA or AAAA-MM-JJ.
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{"02/01/2006", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q invalide : JJ/MM/AAAA ou AAAA-MM-JJ attendu", s)
}

// call hands v to fn when the caller asked for it.
func call[T any](fn func(T) error, v T) error {
	if fn == nil {
		return nil
	}
	return fn(v)
}

// reject hands r to fn; without fn, the first reject fails the file, so
// that nothing is dropped silently.
func reject(fn func(Reject) error, r Reject) error {
	if fn == nil {
		return invalidf("%s", r.Error())
	}
	return fn(r)
}
