package siecle

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/siecle/xmlrec"
)

// Student is one ELEVES/ELEVE of a students export.
type Student struct {
	Line    int    // line of the <ELEVE> start tag
	EleveID string // ELEVE_ID: the SIECLE key, stable within the establishment; LSU's id-be
	Elenoet string // ELENOET: the in-school number (the child element; the attribute when absent)

	// The three INE fields, kept apart: they may disagree and new students
	// have no INE_BEA (formats-notes §5.2). Raw: trimmed, neither
	// normalised nor checked (see ident.ChooseINE). Zero when the file has no
	// value, whether the tag is absent or empty: either way a known INE must
	// not be erased.
	IDNational ident.INE
	INERNIE    ident.INE
	INEBEA     ident.INE

	LastName   string // NOM_DE_FAMILLE, or NOM in old exports
	UsageName  string // NOM_USAGE
	FirstName  string // PRENOM
	FirstName2 string // PRENOM2
	FirstName3 string // PRENOM3
	BirthDate  time.Time
	Sex        string // "M" (CODE_SEXE 1) or "F" (CODE_SEXE 2); "" when absent

	MEF       string    // CODE_MEF: training programme (level + diploma), see the Nomenclature
	Status    string    // CODE_STATUT: ST scolaire, AP apprenti…
	EntryDate time.Time // DATE_ENTREE
	// ExitDate is DATE_SORTIE; zero when the student has no exit date (tag
	// absent or empty). It may be in the future: comparing it with today is
	// the caller's rule.
	ExitDate   time.Time
	ExitReason string // CODE_MOTIF_SORTIE (Nomenclature MOTIFS_SORTIE)

	// Previous is SCOLARITE_AN_DERNIER, last year's schooling; nil when absent.
	Previous *PreviousSchooling
}

// Name is "NOM Prénom", as rejects and reports show a student.
func (s Student) Name() string { return fullName(s.LastName, s.FirstName) }

// PreviousSchooling is SCOLARITE_AN_DERNIER.
type PreviousSchooling struct {
	MEF      string // CODE_MEF
	Division string // CODE_STRUCTURE
	// UAI is CODE_RNE as written, not checked: the previous school may be
	// abroad or closed, and a student is never refused for it.
	UAI          string
	Denomination string // DENOM_PRINC: the kind of school, "COLLEGE"
	Name         string // DENOM_COMPL: the school's name
}

// StudentStructures is one STRUCTURES/STRUCTURES_ELEVE: the division and
// groups of a student. Codes are trimmed and otherwise kept exactly ("3 A",
// "_301P1"): they are compared exactly and sent back as they are.
type StudentStructures struct {
	Line     int
	EleveID  string
	Division string   // the STRUCTURE with TYPE_STRUCTURE D; "" when none
	Groups   []string // the STRUCTUREs with TYPE_STRUCTURE G, in file order
}

// StudentOptions is one OPTIONS/OPTION: the options a student follows.
type StudentOptions struct {
	Line    int
	EleveID string
	Options []Option
}

// Option is one OPTIONS_ELEVE.
type Option struct {
	Rank     int    // NUM_OPTION
	Modality string // CODE_MODALITE_ELECT: S, O, F, N, X, L, R
	Subject  string // CODE_MATIERE
}

// StudentsHandler receives the records of a students export in file order
// (the header too: it may follow the records).
// A nil function skips its records. An error returned by a function stops
// the reading and is returned as is.
type StudentsHandler struct {
	Header     func(Header) error
	Student    func(Student) error
	Options    func(StudentOptions) error
	Structures func(StudentStructures) error
	// Reject receives each record left out. When Reject is nil, the first
	// reject stops the reading and is returned as the error.
	Reject func(Reject) error
}

const studentsFile = "un export SIECLE des élèves (ElevesSansAdresses.xml ou ElevesAvecAdresses.xml)"

// DecodeStudents reads a students export (root BEE_ELEVES) from the XML
// content r and hands each record to h, holding one record at a time.
func DecodeStudents(r io.Reader, h StudentsHandler) error {
	x := newReader(r)
	if _, err := x.Root("BEE_ELEVES", studentsFile); err != nil {
		return err
	}
	var haveHeader, haveData bool
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "PARAMETRES":
			if haveHeader {
				// A second header could name another establishment.
				return xmlrec.Invalidf("ligne %d : second en-tête <PARAMETRES>", x.Line())
			}
			hd, err := x.header()
			if err != nil {
				return err
			}
			haveHeader = true
			return call(h.Header, hd)
		case "DONNEES":
			// The format does not say that PARAMETRES comes first:
			// records may reach the handler before the header, which
			// callers check before they apply anything.
			if haveData {
				return xmlrec.Invalidf("ligne %d : second bloc <DONNEES>", x.Line())
			}
			haveData = true
			return x.studentsData(h)
		}
		return x.Skip()
	})
	if err != nil {
		return err
	}
	if !haveHeader {
		return xmlrec.Invalidf("en-tête <PARAMETRES> absent : ce n'est pas %s complet", studentsFile)
	}
	if !haveData {
		return xmlrec.Invalidf("bloc <DONNEES> absent : le fichier ne contient aucun élève")
	}
	return x.End()
}

func (x reader) studentsData(h StudentsHandler) error {
	return x.Children(func(block xml.StartElement) error {
		switch block.Name.Local {
		case "ELEVES":
			return x.records(block, "ELEVE", h.Reject, func(el xml.StartElement) (*Reject, error) {
				s, rj, err := x.student(el)
				if err != nil || rj != nil {
					return rj, err
				}
				return nil, call(h.Student, s)
			})
		case "OPTIONS":
			return x.records(block, "OPTION", h.Reject, func(el xml.StartElement) (*Reject, error) {
				o, rj, err := x.options(el)
				if err != nil || rj != nil {
					return rj, err
				}
				return nil, call(h.Options, o)
			})
		case "STRUCTURES":
			return x.records(block, "STRUCTURES_ELEVE", h.Reject, func(el xml.StartElement) (*Reject, error) {
				st, rj, err := x.structures(el)
				if err != nil || rj != nil {
					return rj, err
				}
				return nil, call(h.Structures, st)
			})
		}
		return x.Skip()
	})
}

// records reads a list block whose children are all named name, decoding
// each with one. Any other child is rejected rather than skipped: a
// misspelt element would otherwise drop a student's data without a word.
func (x reader) records(block xml.StartElement, name string, reject func(Reject) error, one func(xml.StartElement) (*Reject, error)) error {
	return x.Children(func(el xml.StartElement) error {
		var rj *Reject
		if el.Name.Local != name {
			rj = &Reject{
				Line:    x.Line(),
				Element: el.Name.Local,
				EleveID: xmlrec.Attr(el, "ELEVE_ID"),
				Reason:  fmt.Sprintf("élément inconnu dans <%s> (<%s> attendu)", block.Name.Local, name),
			}
			if err := x.Skip(); err != nil {
				return err
			}
		} else {
			var err error
			if rj, err = one(el); err != nil {
				return err
			}
		}
		if rj == nil {
			return nil
		}
		if reject == nil {
			return xmlrec.Invalidf("%s", rj.Error())
		}
		return reject(*rj)
	})
}

// problems collects what is wrong with one record, so that a reject names
// every fault at once.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) reject(line int, element, eleveID, name string) *Reject {
	if len(p) == 0 {
		return nil
	}
	return &Reject{Line: line, Element: element, EleveID: eleveID, Name: name, Reason: strings.Join(p, " ; ")}
}

// date reads a date element into dst, noting a malformed value as a problem
// of the record rather than of the file.
func (x reader) date(el xml.StartElement, dst *time.Time, what string, p *problems) error {
	s, err := x.Text(el)
	if err != nil {
		return err
	}
	t, err := parseDate(s)
	if err != nil {
		p.add("%s : %v", what, err)
		return nil
	}
	*dst = t
	return nil
}

func (x reader) student(start xml.StartElement) (Student, *Reject, error) {
	s := Student{Line: x.Line(), EleveID: xmlrec.Attr(start, "ELEVE_ID")}
	var p problems
	var oldName, sexCode string
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "ELEVE_ID":
			// Always an attribute in the samples; accept the element too.
			if s.EleveID == "" {
				return xmlrec.TextInto(x.Reader, el, &s.EleveID)
			}
		case "ELENOET":
			return xmlrec.TextInto(x.Reader, el, &s.Elenoet)
		case "ID_NATIONAL":
			return x.ine(el, &s.IDNational)
		case "INE_RNIE":
			return x.ine(el, &s.INERNIE)
		case "INE_BEA":
			return x.ine(el, &s.INEBEA)
		case "NOM_DE_FAMILLE":
			return xmlrec.TextInto(x.Reader, el, &s.LastName)
		case "NOM":
			return xmlrec.TextInto(x.Reader, el, &oldName)
		case "NOM_USAGE":
			return xmlrec.TextInto(x.Reader, el, &s.UsageName)
		case "PRENOM":
			return xmlrec.TextInto(x.Reader, el, &s.FirstName)
		case "PRENOM2":
			return xmlrec.TextInto(x.Reader, el, &s.FirstName2)
		case "PRENOM3":
			return xmlrec.TextInto(x.Reader, el, &s.FirstName3)
		case "DATE_NAISS":
			return x.date(el, &s.BirthDate, "date de naissance", &p)
		case "CODE_SEXE":
			return xmlrec.TextInto(x.Reader, el, &sexCode)
		case "CODE_MEF":
			return xmlrec.TextInto(x.Reader, el, &s.MEF)
		case "CODE_STATUT":
			return xmlrec.TextInto(x.Reader, el, &s.Status)
		case "DATE_ENTREE":
			return x.date(el, &s.EntryDate, "date d'entrée", &p)
		case "DATE_SORTIE":
			return x.date(el, &s.ExitDate, "date de sortie", &p)
		case "CODE_MOTIF_SORTIE":
			return xmlrec.TextInto(x.Reader, el, &s.ExitReason)
		case "SCOLARITE_AN_DERNIER":
			prev, err := x.previousSchooling()
			s.Previous = prev
			return err
		}
		return x.Skip()
	})
	if err != nil {
		return s, nil, err
	}
	if s.Elenoet == "" {
		s.Elenoet = xmlrec.Attr(start, "ELENOET")
	}
	if s.LastName == "" {
		s.LastName = oldName
	}
	switch sexCode {
	case "":
	case "1":
		s.Sex = "M"
	case "2":
		s.Sex = "F"
	default:
		p.add("CODE_SEXE %q inconnu (1 ou 2 attendu)", sexCode)
	}
	if s.EleveID == "" {
		p.add("ELEVE_ID absent")
	}
	if s.LastName == "" {
		p.add("nom de famille absent")
	}
	if s.FirstName == "" {
		p.add("prénom absent")
	}
	rj := p.reject(s.Line, "ELEVE", s.EleveID, s.Name())
	if rj != nil {
		rj.IDNational, rj.INERNIE, rj.INEBEA = s.IDNational, s.INERNIE, s.INEBEA
	}
	return s, rj, nil
}

// ine reads an INE element into dst, raw.
func (x reader) ine(el xml.StartElement, dst *ident.INE) error {
	s, err := x.Text(el)
	if s != "" {
		*dst = ident.RawINE(s)
	}
	return err
}

func (x reader) previousSchooling() (*PreviousSchooling, error) {
	var prev PreviousSchooling
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "CODE_MEF":
			return xmlrec.TextInto(x.Reader, el, &prev.MEF)
		case "CODE_STRUCTURE":
			return xmlrec.TextInto(x.Reader, el, &prev.Division)
		case "CODE_RNE":
			return xmlrec.TextInto(x.Reader, el, &prev.UAI)
		case "DENOM_PRINC":
			return xmlrec.TextInto(x.Reader, el, &prev.Denomination)
		case "DENOM_COMPL":
			return xmlrec.TextInto(x.Reader, el, &prev.Name)
		}
		return x.Skip()
	})
	return &prev, err
}

func (x reader) structures(start xml.StartElement) (StudentStructures, *Reject, error) {
	st := StudentStructures{Line: x.Line(), EleveID: xmlrec.Attr(start, "ELEVE_ID")}
	var p problems
	err := x.Children(func(el xml.StartElement) error {
		if el.Name.Local != "STRUCTURE" {
			return x.Skip()
		}
		var code, kind string
		err := x.Children(func(f xml.StartElement) error {
			switch f.Name.Local {
			case "CODE_STRUCTURE":
				return xmlrec.TextInto(x.Reader, f, &code)
			case "TYPE_STRUCTURE":
				return xmlrec.TextInto(x.Reader, f, &kind)
			}
			return x.Skip()
		})
		if err != nil {
			return err
		}
		switch {
		case code == "":
			p.add("STRUCTURE sans CODE_STRUCTURE")
		case kind == "D" && st.Division != "":
			p.add("plusieurs divisions (TYPE_STRUCTURE D) : %q et %q", st.Division, code)
		case kind == "D":
			st.Division = code
		case kind == "G":
			st.Groups = append(st.Groups, code)
		default:
			p.add("TYPE_STRUCTURE %q inconnu pour %q (D ou G attendu)", kind, code)
		}
		return nil
	})
	if err != nil {
		return st, nil, err
	}
	if st.EleveID == "" {
		p.add("attribut ELEVE_ID absent")
	}
	return st, p.reject(st.Line, "STRUCTURES_ELEVE", st.EleveID, ""), nil
}

func (x reader) options(start xml.StartElement) (StudentOptions, *Reject, error) {
	o := StudentOptions{Line: x.Line(), EleveID: xmlrec.Attr(start, "ELEVE_ID")}
	var p problems
	err := x.Children(func(el xml.StartElement) error {
		if el.Name.Local != "OPTIONS_ELEVE" {
			return x.Skip()
		}
		var rank string
		var opt Option
		err := x.Children(func(f xml.StartElement) error {
			switch f.Name.Local {
			case "NUM_OPTION":
				return xmlrec.TextInto(x.Reader, f, &rank)
			case "CODE_MODALITE_ELECT":
				return xmlrec.TextInto(x.Reader, f, &opt.Modality)
			case "CODE_MATIERE":
				return xmlrec.TextInto(x.Reader, f, &opt.Subject)
			}
			return x.Skip()
		})
		if err != nil {
			return err
		}
		if rank != "" {
			n, err := strconv.Atoi(rank)
			if err != nil || n < 0 {
				p.add("NUM_OPTION %q invalide", rank)
			}
			opt.Rank = n
		}
		if opt.Subject == "" {
			p.add("option sans CODE_MATIERE")
		}
		o.Options = append(o.Options, opt)
		return nil
	})
	if err != nil {
		return o, nil, err
	}
	if o.EleveID == "" {
		p.add("attribut ELEVE_ID absent")
	}
	return o, p.reject(o.Line, "OPTION", o.EleveID, ""), nil
}

// call hands v to fn when the caller asked for it.
func call[T any](fn func(T) error, v T) error {
	if fn == nil {
		return nil
	}
	return fn(v)
}

// JoinedStudent is a student with the division, groups and options that the
// export gives in its STRUCTURES and OPTIONS blocks.
type JoinedStudent struct {
	Student
	Division string
	Groups   []string
	Options  []Option
}

// StudentsFile is a whole students export joined in memory: for small
// callers, tests and the writer. Imports use DecodeStudents.
type StudentsFile struct {
	Header   Header
	Students []JoinedStudent // in file order
	Rejects  []Reject        // sorted by line
}

// ReadStudents reads a whole students export and joins the students with
// their structures and options by ELEVE_ID. On top of DecodeStudents'
// rejects, it rejects a second student with the same ELEVE_ID, a second
// STRUCTURES_ELEVE or OPTION for a student, and those that name no student
// of the file. The structures and options of a rejected student are dropped
// with it.
func ReadStudents(r io.Reader) (*StudentsFile, error) {
	f := &StudentsFile{}
	index := map[string]int{}          // ELEVE_ID → position in f.Students
	firstLine := map[string]int{}      // ELEVE_ID → line of its first ELEVE
	rejected := map[string]bool{}      // ELEVE_IDs of rejected students
	var structures []StudentStructures // joined after the last record:
	var options []StudentOptions       // the blocks may come in any order
	h := StudentsHandler{
		Header: func(hd Header) error { f.Header = hd; return nil },
		Student: func(s Student) error {
			if line, dup := firstLine[s.EleveID]; dup {
				f.Rejects = append(f.Rejects, Reject{Line: s.Line, Element: "ELEVE", EleveID: s.EleveID, Name: s.Name(),
					Reason: fmt.Sprintf("ELEVE_ID en double : un autre élève le porte, ligne %d", line)})
				return nil
			}
			firstLine[s.EleveID] = s.Line
			index[s.EleveID] = len(f.Students)
			f.Students = append(f.Students, JoinedStudent{Student: s})
			return nil
		},
		Structures: func(st StudentStructures) error { structures = append(structures, st); return nil },
		Options:    func(o StudentOptions) error { options = append(options, o); return nil },
		Reject: func(rj Reject) error {
			if rj.Element == "ELEVE" && rj.EleveID != "" {
				rejected[rj.EleveID] = true
			}
			f.Rejects = append(f.Rejects, rj)
			return nil
		},
	}
	if err := DecodeStudents(r, h); err != nil {
		return nil, err
	}
	// orphan finds the student a STRUCTURES_ELEVE or OPTION belongs to. One
	// that names no student is rejected, unless that student was rejected
	// itself: its reject already tells, a second one would only add noise.
	orphan := func(line int, element, id string) (string, bool) {
		i, ok := index[id]
		if !ok {
			if !rejected[id] {
				f.Rejects = append(f.Rejects, Reject{Line: line, Element: element, EleveID: id,
					Reason: "aucun élève de ce ELEVE_ID dans le bloc <ELEVES>"})
			}
			return "", false
		}
		return f.Students[i].Name(), true
	}
	seenStructures := map[string]int{}
	for _, st := range structures {
		name, ok := orphan(st.Line, "STRUCTURES_ELEVE", st.EleveID)
		if !ok {
			continue
		}
		if line, dup := seenStructures[st.EleveID]; dup {
			f.Rejects = append(f.Rejects, Reject{Line: st.Line, Element: "STRUCTURES_ELEVE", EleveID: st.EleveID, Name: name,
				Reason: fmt.Sprintf("structures en double pour cet élève (déjà données ligne %d)", line)})
			continue
		}
		seenStructures[st.EleveID] = st.Line
		js := &f.Students[index[st.EleveID]]
		js.Division, js.Groups = st.Division, st.Groups
	}
	seenOptions := map[string]int{}
	for _, o := range options {
		name, ok := orphan(o.Line, "OPTION", o.EleveID)
		if !ok {
			continue
		}
		if line, dup := seenOptions[o.EleveID]; dup {
			f.Rejects = append(f.Rejects, Reject{Line: o.Line, Element: "OPTION", EleveID: o.EleveID, Name: name,
				Reason: fmt.Sprintf("options en double pour cet élève (déjà données ligne %d)", line)})
			continue
		}
		seenOptions[o.EleveID] = o.Line
		f.Students[index[o.EleveID]].Options = o.Options
	}
	sort.SliceStable(f.Rejects, func(i, j int) bool { return f.Rejects[i].Line < f.Rejects[j].Line })
	return f, nil
}

// DecodeOnly runs the whole decoding of a students export with no work for
// the records, and returns how many students it delivered. Benchmarks use it
// to measure the decoding rate alone, beside a full import of the same file.
// Rejects are counted out, not failed on.
func DecodeOnly(r io.Reader) (students int, err error) {
	err = DecodeStudents(r, StudentsHandler{
		Student: func(Student) error { students++; return nil },
		Reject:  func(Reject) error { return nil },
	})
	return students, err
}
