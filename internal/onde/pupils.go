package onde

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sillage/sillage/internal/ident"
)

// Pupil is one row of a pupils extraction.
type Pupil struct {
	Row       int    // line in the file; the header is line 1
	LastName  string // "Nom élève"
	UsageName string // "Nom d'usage élève"
	FirstName string // "Prénom élève"
	BirthDate time.Time
	// Sex is "M" or "F" ("H" in BE1D files, and the legacy MASCULIN and
	// FEMININ, are read too); "" when empty.
	Sex string
	// INE is the pupil's national identifier, raw (see ident.ParseINE);
	// zero in BE1D files, which have none, and when the cell is empty.
	INE        ident.INE
	Cycle      string // "Cycle": "CYCLE II", "MATERNELLE"…
	Level      string // "Niveau": "CE1"…; empty for CLIS/ULIS pupils in ONDE
	ClassLabel string // "Libellé classe" (ONDE) or "Classe" (BE1D)
	ClassID    string // "Identifiant classe" (ONDE): LSU 1D classe@id-be; "" in BE1D
}

// Name is "NOM Prénom".
func (p Pupil) Name() string { return fullName(p.LastName, p.FirstName) }

// PupilsHandler receives a pupils extraction row by row. A nil function
// skips its records; an error returned by one stops the reading and is
// returned as is.
type PupilsHandler struct {
	Format func(Format) error // called once, after the header line
	Pupil  func(Pupil) error
	// Reject receives each row left out. When Reject is nil, the first
	// reject stops the reading and is returned as the error.
	Reject func(Reject) error
}

// The columns of a pupils extraction, in the order of pupilColumns.
const (
	colLastName = iota
	colUsageName
	colFirstName
	colBirthDate
	colSex
	colINE
	colCycle
	colLevel
	colClassLabel
	colClass
	colClassID
)

func pupilColumns(f Format) []column {
	onde := f == FormatONDE
	return []column{
		colLastName:   {label: "Nom élève", names: []string{"Nom élève"}, required: true},
		colUsageName:  {label: "Nom d'usage élève", names: []string{"Nom d'usage élève"}},
		colFirstName:  {label: "Prénom élève", names: []string{"Prénom élève"}, required: true},
		colBirthDate:  {label: "Date naissance", names: []string{"Date naissance", "Date de naissance"}, required: true},
		colSex:        {label: "Sexe", names: []string{"Sexe"}, required: true},
		colINE:        {label: "INE", names: []string{"INE"}, required: onde},
		colCycle:      {label: "Cycle", names: []string{"Cycle"}},
		colLevel:      {label: "Niveau", names: []string{"Niveau"}, required: true},
		colClassLabel: {label: "Libellé classe", names: []string{"Libellé classe"}, required: onde},
		colClass:      {label: "Classe", names: []string{"Classe", "Classe ou regroupement"}, required: !onde},
		colClassID:    {label: "Identifiant classe", names: []string{"Identifiant classe"}, required: onde},
	}
}

// pupilsFormat tells the flavours apart: only ONDE has the INE and the
// class id and label.
func (t *table) pupilsFormat() Format {
	for _, name := range []string{"INE", "Identifiant classe", "Libellé classe"} {
		if containsKey(t.keys, headerKey(name)) {
			return FormatONDE
		}
	}
	return FormatBE1D
}

const pupilsFile = "Le fichier attendu est l'extraction des élèves d'ONDE (CSVExtraction.csv) ou de BE1D (CSVExtraction-eleves.csv)."

// DecodePupils reads a pupils extraction, ONDE or BE1D, from r and hands
// each row to h.
func DecodePupils(r io.Reader, h PupilsHandler) error {
	t, err := newTable(r)
	if err != nil {
		return err
	}
	format := t.pupilsFormat()
	pos, err := t.locate(pupilColumns(format), pupilsFile)
	if err != nil {
		return err
	}
	if format == FormatONDE {
		// "Classe" is not an ONDE column; ignore one that would be there.
		pos[colClass] = -1
	}
	if err := call(h.Format, format); err != nil {
		return err
	}
	for {
		line, rec, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p, rj := t.pupil(line, rec, pos)
		if rj != nil {
			err = reject(h.Reject, *rj)
		} else {
			err = call(h.Pupil, p)
		}
		if err != nil {
			return err
		}
	}
}

func (t *table) pupil(line int, rec []string, pos []int) (Pupil, *Reject) {
	p := Pupil{
		Row:        line,
		LastName:   field(rec, pos[colLastName]),
		UsageName:  field(rec, pos[colUsageName]),
		FirstName:  field(rec, pos[colFirstName]),
		Cycle:      field(rec, pos[colCycle]),
		Level:      field(rec, pos[colLevel]),
		ClassLabel: field(rec, pos[colClassLabel]),
		ClassID:    field(rec, pos[colClassID]),
	}
	if p.ClassLabel == "" {
		p.ClassLabel = field(rec, pos[colClass])
	}
	if ine := field(rec, pos[colINE]); ine != "" {
		p.INE = ident.RawINE(ine)
	}
	var problems []string
	if reason := t.short(rec); reason != "" {
		problems = append(problems, reason)
	}
	if p.LastName == "" {
		problems = append(problems, "nom de l'élève absent")
	}
	if p.FirstName == "" {
		problems = append(problems, "prénom de l'élève absent")
	}
	if birth := field(rec, pos[colBirthDate]); birth == "" {
		problems = append(problems, "date de naissance absente")
	} else if d, err := parseDate(birth); err != nil {
		problems = append(problems, "date de naissance : "+err.Error())
	} else {
		p.BirthDate = d
	}
	switch sex := strings.ToUpper(field(rec, pos[colSex])); sex {
	case "M", "H", "MASCULIN", "GARCON", "GARÇON", "1":
		p.Sex = "M"
	case "F", "FEMININ", "FÉMININ", "FILLE", "2":
		p.Sex = "F"
	case "":
	default:
		problems = append(problems, fmt.Sprintf("sexe %q inconnu (M ou F attendu, ou MASCULIN, FEMININ)", sex))
	}
	if len(problems) > 0 {
		return p, &Reject{Row: line, Name: p.Name(), Reason: strings.Join(problems, " ; "), Pupil: p}
	}
	return p, nil
}

// PupilsFile is a whole pupils extraction in memory.
type PupilsFile struct {
	Format  Format
	Pupils  []Pupil
	Rejects []Reject
}

// ReadPupils reads a whole pupils extraction into memory.
func ReadPupils(r io.Reader) (*PupilsFile, error) {
	f := &PupilsFile{}
	err := DecodePupils(r, PupilsHandler{
		Format: func(format Format) error { f.Format = format; return nil },
		Pupil:  func(p Pupil) error { f.Pupils = append(f.Pupils, p); return nil },
		Reject: func(r Reject) error { f.Rejects = append(f.Rejects, r); return nil },
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
