// Package siecle reads the XML exports of SIECLE (Base Élèves Établissement):
// the students (ElevesSansAdresses.xml, ElevesAvecAdresses.xml), the
// guardians (ResponsablesAvecAdresses.xml) and the nomenclature
// (Nomenclature.xml), and writes a students export for demonstrations and
// benchmarks.
//
// The readers stream: they hold one record at a time and hand it to a
// callback, so memory does not grow with the file. The content they take is
// the XML itself; open a file or a ZIP of one XML with xmlfile.OpenFile. A
// reader never touches a database.
//
// A record that cannot be used (no ELEVE_ID, no name, a malformed date) is a
// Reject: the caller reports it and the rest of the file is read. A file that
// is broken as a whole (malformed XML, wrong encoding, wrong root element,
// missing header) is an error of kind sillage.KindInvalid, and whatever was
// delivered before it must be discarded: callers import inside a transaction.
//
// INE values never appear in errors or rejects. They are kept raw, unchecked,
// in ident.INE, whose printed and encoded forms are masked; the caller checks
// and hashes them with the ident package.
package siecle

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/siecle/xmlrec"
)

// reader is the XML reader the record decoders of this package hang on.
type reader struct{ *xmlrec.Reader }

func newReader(r io.Reader) reader { return reader{xmlrec.New(r)} }

// Header is the PARAMETRES block common to the BEE exports.
type Header struct {
	UAJ  sillage.UAI // the establishment (checked: 7 digits and the check letter)
	Year int         // ANNEE_SCOLAIRE: the year of the rentrée, 2025 for 2025-2026
	// ExportDate is DATE_EXPORT (UTC midnight); zero when absent.
	ExportDate time.Time
	// Timestamp is HORODATAGE, the French wall-clock time of the export. The
	// file carries no zone: the reading is kept as is, in a UTC time.Time.
	Timestamp time.Time
}

// Reject is a record left out of the result, with what an administrator
// needs to find it in the file. It never holds an INE.
type Reject struct {
	Line    int    // line of the record's start tag
	Element string // element name: ELEVE, STRUCTURES_ELEVE, OPTION, PERSONNE…
	EleveID string // SIECLE ELEVE_ID when known (not personal: LSU uses it as id-be)
	Name    string // who or what: the student's or person's "NOM Prénom", a label for a code list entry
	Reason  string // in French
	// IDNational, INERNIE and INEBEA are a rejected ELEVE's raw INE fields
	// (masked when printed, never in Error): a complete import recognises
	// by them the student a rejected record still names.
	IDNational, INERNIE, INEBEA ident.INE `json:"-"`
	// PersonID is the PERSONNE_ID a rejected PERSONNE or RESPONSABLE_ELEVE
	// names, when known: the guardian stays present.
	PersonID string `json:"-"`
}

func (r Reject) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ligne %d, <%s>", r.Line, r.Element)
	switch {
	case r.Name != "" && r.EleveID != "":
		fmt.Fprintf(&b, " (%s, ELEVE_ID %s)", r.Name, r.EleveID)
	case r.Name != "":
		fmt.Fprintf(&b, " (%s)", r.Name)
	case r.EleveID != "":
		fmt.Fprintf(&b, " (ELEVE_ID %s)", r.EleveID)
	}
	b.WriteString(" : ")
	b.WriteString(r.Reason)
	return b.String()
}

// dateLayout is the BEE date format, JJ/MM/AAAA.
const dateLayout = "02/01/2006"

// parseDate reads a BEE date. Empty and 31/12/9999 ("no end") give the zero
// time.
func parseDate(s string) (time.Time, error) {
	if s == "" || s == "31/12/9999" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q invalide : JJ/MM/AAAA attendu", s)
	}
	return t, nil
}

// parseTimestamp reads HORODATAGE, JJ/MM/AAAA HH:MM:SS.
func parseTimestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout+" 15:04:05", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("horodatage %q invalide : JJ/MM/AAAA HH:MM:SS attendu", s)
	}
	return t, nil
}

func formatDate(t time.Time) string { return t.Format(dateLayout) }

// fullName is how a person is named in a reject: "NOM Prénom".
func fullName(last, first string) string {
	return strings.TrimSpace(last + " " + first)
}
