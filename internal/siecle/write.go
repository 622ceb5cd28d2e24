package siecle

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/sillage/sillage"
)

// StudentsXMLName is the name of the XML file inside a students export ZIP.
const StudentsXMLName = "ElevesSansAdresses.xml"

// WriteStudents writes f as an ElevesSansAdresses.xml export in the
// structure of the real files: root BEE_ELEVES VERSION="3.0", PARAMETRES,
// DONNEES with ELEVES, OPTIONS and STRUCTURES, encoded in ISO-8859-15 as
// the prolog says. A character ISO-8859-15 cannot hold becomes "?", as
// SIECLE does. Empty fields and zero dates are left out (absent = NULL). It
// refuses what the reader would reject: a student without ELEVE_ID or name,
// an unknown sex, an invalid header.
func WriteStudents(w io.Writer, f *StudentsFile) error {
	if f == nil {
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier d'élèves à écrire")
	}
	if err := checkForWrite(f); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	x := &xmlWriter{w: bw}
	x.raw("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<BEE_ELEVES VERSION=\"3.0\">\n")
	x.open(1, "PARAMETRES")
	x.leaf(2, "UAJ", string(f.Header.UAJ))
	x.leaf(2, "ANNEE_SCOLAIRE", strconv.Itoa(f.Header.Year))
	x.date(2, "DATE_EXPORT", f.Header.ExportDate)
	if !f.Header.Timestamp.IsZero() {
		x.leaf(2, "HORODATAGE", f.Header.Timestamp.Format(dateLayout+" 15:04:05"))
	}
	x.close(1, "PARAMETRES")
	x.open(1, "DONNEES")

	x.open(2, "ELEVES")
	for i := range f.Students {
		x.student(&f.Students[i].Student)
	}
	x.close(2, "ELEVES")

	x.open(2, "OPTIONS")
	for _, s := range f.Students {
		if len(s.Options) == 0 {
			continue
		}
		x.open(3, "OPTION", "ELEVE_ID", s.EleveID, "ELENOET", s.Elenoet)
		for _, o := range s.Options {
			x.open(4, "OPTIONS_ELEVE")
			x.leaf(5, "NUM_OPTION", strconv.Itoa(o.Rank))
			x.leaf(5, "CODE_MODALITE_ELECT", o.Modality)
			x.leaf(5, "CODE_MATIERE", o.Subject)
			x.close(4, "OPTIONS_ELEVE")
		}
		x.close(3, "OPTION")
	}
	x.close(2, "OPTIONS")

	x.open(2, "STRUCTURES")
	for _, s := range f.Students {
		if s.Division == "" && len(s.Groups) == 0 {
			continue
		}
		x.open(3, "STRUCTURES_ELEVE", "ELEVE_ID", s.EleveID, "ELENOET", s.Elenoet)
		if s.Division != "" {
			x.structure(s.Division, "D")
		}
		for _, g := range s.Groups {
			x.structure(g, "G")
		}
		x.close(3, "STRUCTURES_ELEVE")
	}
	x.close(2, "STRUCTURES")

	x.close(1, "DONNEES")
	x.raw("</BEE_ELEVES>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("écriture du fichier des élèves : %w", err)
	}
	return nil
}

// WriteStudentsZip writes the content of ExportXML_ElevesSansAdresses.zip:
// a ZIP holding ElevesSansAdresses.xml, as SIECLE delivers a manual export.
// The member is dated with the header's timestamp, so the same file gives
// the same bytes.
func WriteStudentsZip(w io.Writer, f *StudentsFile) error {
	if f == nil {
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier d'élèves à écrire")
	}
	zw := zip.NewWriter(w)
	hdr := &zip.FileHeader{Name: StudentsXMLName, Method: zip.Deflate, Modified: f.Header.Timestamp}
	if hdr.Modified.IsZero() {
		hdr.Modified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	member, err := zw.CreateHeader(hdr)
	if err != nil {
		return fmt.Errorf("création de l'archive ZIP : %w", err)
	}
	if err := WriteStudents(member, f); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("écriture de l'archive ZIP : %w", err)
	}
	return nil
}

// checkForWrite refuses a file the reader would not take back whole.
func checkForWrite(f *StudentsFile) error {
	if _, err := sillage.ParseUAI(string(f.Header.UAJ)); err != nil {
		return sillage.Errorf(sillage.KindInvalid, "en-tête : %s", sillage.Message(err))
	}
	if f.Header.Year < 1900 || f.Header.Year > 9999 {
		return sillage.Errorf(sillage.KindInvalid, "en-tête : année scolaire %d invalide", f.Header.Year)
	}
	for i, s := range f.Students {
		n := i + 1 // the position, never an identifier that could be an INE
		switch {
		case s.EleveID == "":
			return sillage.Errorf(sillage.KindInvalid, "élève n° %d (%s) : ELEVE_ID absent", n, s.Name())
		case s.LastName == "" || s.FirstName == "":
			return sillage.Errorf(sillage.KindInvalid, "élève n° %d (ELEVE_ID %s) : nom et prénom obligatoires", n, s.EleveID)
		case s.Sex != "" && s.Sex != "M" && s.Sex != "F":
			return sillage.Errorf(sillage.KindInvalid, "élève n° %d (%s) : sexe %q inconnu (M ou F attendu)", n, s.Name(), s.Sex)
		}
		for _, g := range s.Groups {
			if g == "" {
				return sillage.Errorf(sillage.KindInvalid, "élève n° %d (%s) : groupe sans code", n, s.Name())
			}
		}
		for _, o := range s.Options {
			if o.Subject == "" || o.Rank < 0 {
				return sillage.Errorf(sillage.KindInvalid, "élève n° %d (%s) : option sans matière ou de rang négatif", n, s.Name())
			}
		}
	}
	return nil
}

// xmlWriter writes indented XML in ISO-8859-15. Errors stay in the
// bufio.Writer and come out at Flush.
type xmlWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (x *xmlWriter) student(s *Student) {
	x.open(3, "ELEVE", "ELEVE_ID", s.EleveID, "ELENOET", s.Elenoet)
	x.leaf(4, "ID_NATIONAL", s.IDNational.Value())
	x.leaf(4, "INE_BEA", s.INEBEA.Value())
	x.leaf(4, "INE_RNIE", s.INERNIE.Value())
	x.leaf(4, "ELENOET", s.Elenoet)
	x.leaf(4, "NOM_DE_FAMILLE", s.LastName)
	x.leaf(4, "NOM_USAGE", s.UsageName)
	x.leaf(4, "PRENOM", s.FirstName)
	x.leaf(4, "PRENOM2", s.FirstName2)
	x.leaf(4, "PRENOM3", s.FirstName3)
	x.date(4, "DATE_NAISS", s.BirthDate)
	x.date(4, "DATE_ENTREE", s.EntryDate)
	x.date(4, "DATE_SORTIE", s.ExitDate)
	x.leaf(4, "CODE_MOTIF_SORTIE", s.ExitReason)
	switch s.Sex {
	case "M":
		x.leaf(4, "CODE_SEXE", "1")
	case "F":
		x.leaf(4, "CODE_SEXE", "2")
	}
	x.leaf(4, "CODE_STATUT", s.Status)
	x.leaf(4, "CODE_MEF", s.MEF)
	if p := s.Previous; p != nil {
		x.open(4, "SCOLARITE_AN_DERNIER")
		x.leaf(5, "CODE_MEF", p.MEF)
		x.leaf(5, "CODE_STRUCTURE", p.Division)
		x.leaf(5, "CODE_RNE", p.UAI)
		x.leaf(5, "DENOM_PRINC", p.Denomination)
		x.leaf(5, "DENOM_COMPL", p.Name)
		x.close(4, "SCOLARITE_AN_DERNIER")
	}
	x.close(3, "ELEVE")
}

func (x *xmlWriter) structure(code, kind string) {
	x.open(4, "STRUCTURE")
	x.leaf(5, "CODE_STRUCTURE", code)
	x.leaf(5, "TYPE_STRUCTURE", kind)
	x.close(4, "STRUCTURE")
}

func (x *xmlWriter) raw(s string) { x.w.WriteString(s) }

func (x *xmlWriter) indent(depth int) {
	for range depth {
		x.w.WriteString("  ")
	}
}

// open writes a start tag with its attributes given as name, value pairs;
// attributes with an empty value are left out.
func (x *xmlWriter) open(depth int, name string, attrs ...string) {
	x.indent(depth)
	x.w.WriteByte('<')
	x.w.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		x.w.WriteByte(' ')
		x.w.WriteString(attrs[i])
		x.w.WriteString(`="`)
		x.text(attrs[i+1], true)
		x.w.WriteByte('"')
	}
	x.w.WriteString(">\n")
}

func (x *xmlWriter) close(depth int, name string) {
	x.indent(depth)
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteString(">\n")
}

// leaf writes <name>value</name>, or nothing when value is empty.
func (x *xmlWriter) leaf(depth int, name, value string) {
	if value == "" {
		return
	}
	x.indent(depth)
	x.w.WriteByte('<')
	x.w.WriteString(name)
	x.w.WriteByte('>')
	x.text(value, false)
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteString(">\n")
}

func (x *xmlWriter) date(depth int, name string, t time.Time) {
	if !t.IsZero() {
		x.leaf(depth, name, formatDate(t))
	}
}

// text writes s escaped and encoded in ISO-8859-15.
func (x *xmlWriter) text(s string, inAttr bool) {
	b := x.buf[:0]
	for _, r := range s {
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"' && inAttr:
			b = append(b, "&quot;"...)
		case r == '\t' || r == '\n' || r == '\r':
			// Written as references so that reading gives them back
			// rather than normalised white space.
			b = append(b, "&#"...)
			b = strconv.AppendInt(b, int64(r), 10)
			b = append(b, ';')
		case r < 0x20 || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF:
			// Not allowed in XML 1.0 (or not a character at all).
			b = append(b, '?')
		case r < utf8.RuneSelf:
			b = append(b, byte(r))
		default:
			c, ok := charmap.ISO8859_15.EncodeRune(r)
			if !ok {
				c = '?'
			}
			b = append(b, c)
		}
	}
	x.w.Write(b)
	x.buf = b
}
