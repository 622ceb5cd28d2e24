package siecle

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/sillage/sillage/internal/siecle/xmlrec"
)

// Nomenclature is a Nomenclature.xml export: the code lists of the
// establishment. The file is small (a few hundred kilobytes), so it is read
// whole.
type Nomenclature struct {
	Header      Header
	MEFs        []MEF
	Subjects    []Subject
	Programmes  []Programme
	Modalities  []Modality
	ExitReasons []ExitReason
	Rejects     []Reject
}

// MEF is one MEFS/MEF: a training programme (level + diploma).
type MEF struct {
	Line         int
	Code         string // CODE_MEF, 11 characters, may hold letters
	Formation    string // FORMATION: the mnemonic, "5G", "2-GT"
	LongLabel    string // LIBELLE_LONG
	EditionLabel string // LIBELLE_EDITION, for documents
	AttachedTo   string // MEF_RATTACHEMENT
	MEFStat      string // CODE_MEFSTAT (MEFSTAT11)
	OpenDate     time.Time
	CloseDate    time.Time // zero for 31/12/9999, "no end"
}

// Subject is one MATIERES/MATIERE.
type Subject struct {
	Line           int
	Code           string // CODE_MATIERE, 6 digits; LSU discipline@code
	ManagementCode string // CODE_GESTION: "MATHS"
	ShortLabel     string // LIBELLE_COURT
	LongLabel      string // LIBELLE_LONG
	EditionLabel   string // LIBELLE_EDITION
	NationalCode   string // CODE_MATIERE_NATIONALE, for academic subjects; LSU code-national
}

// Programme is one PROGRAMMES/PROGRAMME: a subject taught in a MEF under a
// modality. (MEF, Subject, Modality) is unique.
type Programme struct {
	Line     int
	MEF      string  // CODE_MEF
	Subject  string  // CODE_MATIERE
	Modality string  // CODE_MODALITE_ELECT
	Hours    float64 // HORAIRE, weekly hours
}

// Modality is one MODALITES_ELECTION/MODALITE_ELECTION. N ("obligatoire ou
// facultative") must not reach LSU.
type Modality struct {
	Code       string // CODE_MODALITE_ELECT: S, O, F, N, X, L, R
	ShortLabel string
	LongLabel  string
}

// ExitReason is one MOTIFS_SORTIE/MOTIF_SORTIE, the meaning of a student's
// CODE_MOTIF_SORTIE.
type ExitReason struct {
	Code       string // CODE_MOTIF_SORTIE
	ShortLabel string
	LongLabel  string
}

// MEF returns the MEF of the given code.
func (n *Nomenclature) MEF(code string) (MEF, bool) {
	for _, m := range n.MEFs {
		if m.Code == code {
			return m, true
		}
	}
	return MEF{}, false
}

// Subject returns the subject of the given code.
func (n *Nomenclature) Subject(code string) (Subject, bool) {
	for _, s := range n.Subjects {
		if s.Code == code {
			return s, true
		}
	}
	return Subject{}, false
}

// ExitReason returns the exit reason of the given code.
func (n *Nomenclature) ExitReason(code string) (ExitReason, bool) {
	for _, e := range n.ExitReasons {
		if e.Code == code {
			return e, true
		}
	}
	return ExitReason{}, false
}

const nomenclatureFile = "un export SIECLE des nomenclatures (Nomenclature.xml)"

// ReadNomenclature reads a Nomenclature export (root BEE_NOMENCLATURES) from
// the XML content r. Entries without their code are rejected; the other
// code lists of the file (régimes, bourses, professions…) are skipped.
func ReadNomenclature(r io.Reader) (*Nomenclature, error) {
	x := newReader(r)
	if _, err := x.Root("BEE_NOMENCLATURES", nomenclatureFile); err != nil {
		return nil, err
	}
	n := &Nomenclature{}
	reject := func(rj Reject) error { n.Rejects = append(n.Rejects, rj); return nil }
	var haveHeader, haveData bool
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "PARAMETRES":
			if haveHeader {
				return xmlrec.Invalidf("ligne %d : second en-tête <PARAMETRES>", x.Line())
			}
			hd, err := x.header()
			n.Header, haveHeader = hd, err == nil
			return err
		case "DONNEES":
			if !haveHeader {
				return xmlrec.Invalidf("ligne %d : le bloc <DONNEES> précède l'en-tête <PARAMETRES>", x.Line())
			}
			haveData = true
			return x.Children(func(block xml.StartElement) error {
				switch block.Name.Local {
				case "MEFS":
					return x.records(block, "MEF", reject, func(el xml.StartElement) (*Reject, error) {
						m, rj, err := x.mef(el)
						if err == nil && rj == nil {
							n.MEFs = append(n.MEFs, m)
						}
						return rj, err
					})
				case "MATIERES":
					return x.records(block, "MATIERE", reject, func(el xml.StartElement) (*Reject, error) {
						s, rj, err := x.subject(el)
						if err == nil && rj == nil {
							n.Subjects = append(n.Subjects, s)
						}
						return rj, err
					})
				case "PROGRAMMES":
					return x.records(block, "PROGRAMME", reject, func(el xml.StartElement) (*Reject, error) {
						p, rj, err := x.programme()
						if err == nil && rj == nil {
							n.Programmes = append(n.Programmes, p)
						}
						return rj, err
					})
				case "MODALITES_ELECTION":
					return x.records(block, "MODALITE_ELECTION", reject, func(el xml.StartElement) (*Reject, error) {
						code, short, long, rj, err := x.codeLabel(el, "CODE_MODALITE_ELECT")
						if err == nil && rj == nil {
							n.Modalities = append(n.Modalities, Modality{Code: code, ShortLabel: short, LongLabel: long})
						}
						return rj, err
					})
				case "MOTIFS_SORTIE":
					return x.records(block, "MOTIF_SORTIE", reject, func(el xml.StartElement) (*Reject, error) {
						code, short, long, rj, err := x.codeLabel(el, "CODE_MOTIF_SORTIE")
						if err == nil && rj == nil {
							n.ExitReasons = append(n.ExitReasons, ExitReason{Code: code, ShortLabel: short, LongLabel: long})
						}
						return rj, err
					})
				}
				return x.Skip()
			})
		}
		return x.Skip()
	})
	if err != nil {
		return nil, err
	}
	if !haveHeader {
		return nil, xmlrec.Invalidf("en-tête <PARAMETRES> absent : ce n'est pas %s complet", nomenclatureFile)
	}
	if !haveData {
		return nil, xmlrec.Invalidf("bloc <DONNEES> absent : le fichier ne contient aucune nomenclature")
	}
	if err := x.End(); err != nil {
		return nil, err
	}
	return n, nil
}

func (x reader) mef(start xml.StartElement) (MEF, *Reject, error) {
	m := MEF{Line: x.Line(), Code: xmlrec.Attr(start, "CODE_MEF")}
	var p problems
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "FORMATION":
			return xmlrec.TextInto(x.Reader, el, &m.Formation)
		case "LIBELLE_LONG":
			return xmlrec.TextInto(x.Reader, el, &m.LongLabel)
		case "LIBELLE_EDITION":
			return xmlrec.TextInto(x.Reader, el, &m.EditionLabel)
		case "MEF_RATTACHEMENT":
			return xmlrec.TextInto(x.Reader, el, &m.AttachedTo)
		case "CODE_MEFSTAT":
			return xmlrec.TextInto(x.Reader, el, &m.MEFStat)
		case "DATE_OUVERTURE":
			return x.date(el, &m.OpenDate, "date d'ouverture", &p)
		case "DATE_FERMETURE":
			return x.date(el, &m.CloseDate, "date de fermeture", &p)
		}
		return x.Skip()
	})
	if err != nil {
		return m, nil, err
	}
	if m.Code == "" {
		p.add("attribut CODE_MEF absent")
	}
	return m, p.reject(m.Line, "MEF", "", m.LongLabel), nil
}

func (x reader) subject(start xml.StartElement) (Subject, *Reject, error) {
	s := Subject{Line: x.Line(), Code: xmlrec.Attr(start, "CODE_MATIERE")}
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "CODE_GESTION":
			return xmlrec.TextInto(x.Reader, el, &s.ManagementCode)
		case "LIBELLE_COURT":
			return xmlrec.TextInto(x.Reader, el, &s.ShortLabel)
		case "LIBELLE_LONG":
			return xmlrec.TextInto(x.Reader, el, &s.LongLabel)
		case "LIBELLE_EDITION":
			return xmlrec.TextInto(x.Reader, el, &s.EditionLabel)
		case "CODE_MATIERE_NATIONALE":
			return xmlrec.TextInto(x.Reader, el, &s.NationalCode)
		}
		return x.Skip()
	})
	if err != nil {
		return s, nil, err
	}
	var p problems
	if s.Code == "" {
		// The export specification warns that CODE_MATIERE "peut être null".
		p.add("attribut CODE_MATIERE absent")
	}
	return s, p.reject(s.Line, "MATIERE", "", s.LongLabel), nil
}

func (x reader) programme() (Programme, *Reject, error) {
	pg := Programme{Line: x.Line()}
	var hours string
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "CODE_MEF":
			return xmlrec.TextInto(x.Reader, el, &pg.MEF)
		case "CODE_MATIERE":
			return xmlrec.TextInto(x.Reader, el, &pg.Subject)
		case "CODE_MODALITE_ELECT":
			return xmlrec.TextInto(x.Reader, el, &pg.Modality)
		case "HORAIRE":
			return xmlrec.TextInto(x.Reader, el, &hours)
		}
		return x.Skip()
	})
	if err != nil {
		return pg, nil, err
	}
	var p problems
	if pg.MEF == "" {
		p.add("CODE_MEF absent")
	}
	if pg.Subject == "" {
		p.add("CODE_MATIERE absent")
	}
	if pg.Modality == "" {
		p.add("CODE_MODALITE_ELECT absent")
	}
	if hours != "" {
		h, err := strconv.ParseFloat(hours, 64)
		// !(h >= 0) also refuses the NaN that ParseFloat accepts.
		if err != nil || !(h >= 0) || math.IsInf(h, 0) {
			p.add("HORAIRE %q invalide", hours)
		}
		pg.Hours = h
	}
	return pg, p.reject(pg.Line, "PROGRAMME", "", ""), nil
}

// codeLabel reads a code list entry: the code attribute and its labels.
func (x reader) codeLabel(start xml.StartElement, codeAttr string) (code, short, long string, rj *Reject, err error) {
	line := x.Line()
	code = xmlrec.Attr(start, codeAttr)
	err = x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "LIBELLE_COURT":
			return xmlrec.TextInto(x.Reader, el, &short)
		case "LIBELLE_LONG":
			return xmlrec.TextInto(x.Reader, el, &long)
		}
		return x.Skip()
	})
	if err == nil && code == "" {
		rj = &Reject{Line: line, Element: start.Name.Local, Name: long, Reason: fmt.Sprintf("attribut %s absent", codeAttr)}
	}
	return code, short, long, rj, err
}
