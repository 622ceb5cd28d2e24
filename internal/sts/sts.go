// Package sts reads the STS-web export sts_emp_<UAI>_<year>.xml (root
// STS_EDT): the establishment's subjects, staff (INDIVIDU, whose ID is the
// LSU id-sts), divisions with their MEFs and services (subject × teachers),
// groups with their divisions and services, and the head teachers.
//
// The reader streams: one record at a time goes to a callback, so memory
// does not grow with the file. It takes the XML content; open a file or a
// ZIP of one XML with xmlfile.OpenFile. A record that cannot be used is a
// Reject and the reading goes on; a file broken as a whole is an error of
// kind sillage.KindInvalid, after which whatever was delivered must be
// discarded.
//
// No public sample of this file exists: the structure follows the notes of
// formats-notes §3, drawn from the Gepi and SACoche parsers.
package sts

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/siecle/xmlrec"
)

// Header is PARAMETRES.
type Header struct {
	UAJ  sillage.UAI // UAJ@CODE, checked
	Year int         // ANNEE_SCOLAIRE@ANNEE: the year of the rentrée
}

// Subject is one NOMENCLATURES/MATIERES/MATIERE.
type Subject struct {
	Line           int
	Code           string // MATIERE@CODE, the SIECLE CODE_MATIERE
	ManagementCode string // CODE_GESTION
	ShortLabel     string // LIBELLE_COURT
	LongLabel      string // LIBELLE_LONG
	EditionLabel   string // LIBELLE_EDITION
}

// Individual is one DONNEES/INDIVIDUS/INDIVIDU: a member of staff.
type Individual struct {
	Line int
	ID   string // INDIVIDU@ID: the LSU id-sts
	Type string // INDIVIDU@TYPE: "epp" (national staff database) or "local" (added by the school)
	// Sex is "M" (SEXE 1) or "F" (SEXE 2); "" when absent, as for some
	// staff added locally.
	Sex string
	// Civility is "M", "MME" or "MLLE" (CIVILITE 1, 2, 3); "" when absent.
	Civility  string
	UsageName string    // NOM_USAGE
	BirthName string    // NOM_PATRONYMIQUE
	FirstName string    // PRENOM
	BirthDate time.Time // DATE_NAISSANCE; zero when absent
	Grade     string    // GRADE
	Function  string    // FONCTION: ENS for a teacher, DIR, EDU, DOC…
	// HeadOf lists the division codes of which the individual is
	// professeur principal (PROFS_PRINC/PROF_PRINC/CODE_STRUCTURE).
	HeadOf      []string
	Disciplines []Discipline
}

// LastName is the name in use: NOM_USAGE, else NOM_PATRONYMIQUE.
func (i Individual) LastName() string {
	if i.UsageName != "" {
		return i.UsageName
	}
	return i.BirthName
}

// Name is "NOM Prénom".
func (i Individual) Name() string { return strings.TrimSpace(i.LastName() + " " + i.FirstName) }

// Teaches reports whether FONCTION is ENS.
func (i Individual) Teaches() bool { return i.Function == "ENS" }

// Discipline is one DISCIPLINES/DISCIPLINE of an individual.
type Discipline struct {
	Code       string // DISCIPLINE@CODE
	ShortLabel string // LIBELLE_COURT
}

// Division is one DONNEES/STRUCTURE/DIVISIONS/DIVISION: a class. Its code is
// trimmed and otherwise kept exactly, as in SIECLE.
type Division struct {
	Line      int
	Code      string   // DIVISION@CODE
	LongLabel string   // LIBELLE_LONG
	MEFs      []string // MEFS_APPARTENANCE/MEF_APPARTENANCE@CODE; a division may have several
	Services  []Service
}

// Group is one DONNEES/STRUCTURE/GROUPES/GROUPE.
type Group struct {
	Line      int
	Code      string   // GROUPE@CODE
	LongLabel string   // LIBELLE_LONG
	Divisions []string // DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE@CODE
	Services  []Service
}

// Service is one SERVICES/SERVICE: a subject taught to the division or
// group, by one or more teachers.
type Service struct {
	Subject    string // SERVICE@CODE_MATIERE
	CourseMode string // SERVICE@CODE_MOD_COURS: CG cours général, TD, TP, AP…
	Teachers   []TeacherRef
}

// TeacherRef is one ENSEIGNANTS/ENSEIGNANT: a reference to an Individual.
type TeacherRef struct {
	ID   string // ENSEIGNANT@ID = INDIVIDU@ID
	Type string // ENSEIGNANT@TYPE: "epp" or "local"
}

// Reject is a record left out of the result, with what an administrator
// needs to find it in the file.
type Reject struct {
	Line    int    // line of the record's start tag
	Element string // INDIVIDU, DIVISION, GROUPE, MATIERE
	// Block is the list the record was read in (INDIVIDUS, DIVISIONS,
	// GROUPES, MATIERES): a misspelt element still names its block, so
	// that the person or division it carries is left as it is.
	Block  string
	Key    string // the record's ID or CODE when known
	Name   string // "NOM Prénom" of an individual, a subject's label, when known
	Reason string // in French
}

func (r Reject) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ligne %d, <%s>", r.Line, r.Element)
	switch {
	case r.Key != "" && r.Name != "":
		fmt.Fprintf(&b, " %s (%s)", r.Key, r.Name)
	case r.Key != "":
		fmt.Fprintf(&b, " %s", r.Key)
	case r.Name != "":
		fmt.Fprintf(&b, " (%s)", r.Name)
	}
	b.WriteString(" : ")
	b.WriteString(r.Reason)
	return b.String()
}

// Handler receives the records of an STS-web export in file order. A nil
// function skips its records. An error returned by a function stops the
// reading and is returned as is.
type Handler struct {
	Header     func(Header) error
	Subject    func(Subject) error
	Individual func(Individual) error
	Division   func(Division) error
	Group      func(Group) error
	// Reject receives each record left out. When Reject is nil, the first
	// reject stops the reading and is returned as the error.
	Reject func(Reject) error
	// Warning receives what was skipped inside a record that is kept: an
	// unexpected element in a known block, a service without subject, a
	// teacher reference without ID. The record is delivered without it.
	// A nil Warning ignores them.
	Warning func(Reject) error
}

const stsFile = "un export STS-web (sts_emp_<UAI>_<année>.xml)"

// Decode reads an STS-web export (root STS_EDT) from the XML content r and
// hands each record to h, holding one record at a time. The file going the
// other way, from timetabling software to STS-web (root EDT_STS), is refused
// with an error that says so.
func Decode(r io.Reader, h Handler) error {
	x := reader{xmlrec.New(r), h.Warning}
	if _, err := x.Root("STS_EDT", stsFile); err != nil {
		return err
	}
	var haveHeader, haveData bool
	needHeader := func(el xml.StartElement) error {
		if !haveHeader {
			return xmlrec.Invalidf("ligne %d : le bloc <%s> précède l'en-tête <PARAMETRES>", x.Line(), el.Name.Local)
		}
		return nil
	}
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
		case "NOMENCLATURES":
			if err := needHeader(el); err != nil {
				return err
			}
			return x.Children(func(block xml.StartElement) error {
				if block.Name.Local != "MATIERES" {
					return x.Skip()
				}
				return x.records(block, "MATIERE", h.Reject, func(el xml.StartElement) (*Reject, error) {
					s, rj, err := x.subject(el)
					if err != nil || rj != nil {
						return rj, err
					}
					return nil, call(h.Subject, s)
				})
			})
		case "DONNEES":
			if err := needHeader(el); err != nil {
				return err
			}
			haveData = true
			return x.data(h)
		}
		return x.Skip()
	})
	if err != nil {
		return err
	}
	if !haveHeader {
		return xmlrec.Invalidf("en-tête <PARAMETRES> absent : ce n'est pas %s complet", stsFile)
	}
	if !haveData {
		return xmlrec.Invalidf("bloc <DONNEES> absent : le fichier ne contient ni personnels ni divisions")
	}
	return x.End()
}

// reader is the XML reader the STS record decoders hang on.
type reader struct {
	*xmlrec.Reader
	warning func(Reject) error
}

// warn reports something skipped inside a record that is kept (point 8 of
// the import rules: never the loss of a whole division for one element).
func (x reader) warn(element, key, format string, args ...any) error {
	if x.warning == nil {
		return nil
	}
	return x.warning(Reject{Line: x.Line(), Element: element, Key: key, Reason: fmt.Sprintf(format, args...)})
}

func (x reader) data(h Handler) error {
	return x.Children(func(block xml.StartElement) error {
		switch block.Name.Local {
		case "INDIVIDUS":
			return x.records(block, "INDIVIDU", h.Reject, func(el xml.StartElement) (*Reject, error) {
				ind, rj, err := x.individual(el)
				if err != nil || rj != nil {
					return rj, err
				}
				return nil, call(h.Individual, ind)
			})
		case "STRUCTURE":
			return x.Children(func(list xml.StartElement) error {
				switch list.Name.Local {
				case "DIVISIONS":
					return x.records(list, "DIVISION", h.Reject, func(el xml.StartElement) (*Reject, error) {
						d, rj, err := x.division(el)
						if err != nil || rj != nil {
							return rj, err
						}
						return nil, call(h.Division, d)
					})
				case "GROUPES":
					return x.records(list, "GROUPE", h.Reject, func(el xml.StartElement) (*Reject, error) {
						g, rj, err := x.group(el)
						if err != nil || rj != nil {
							return rj, err
						}
						return nil, call(h.Group, g)
					})
				}
				return x.Skip()
			})
		}
		return x.Skip()
	})
}

// records reads a list block whose children are all named name. Any other
// child is rejected rather than skipped, so that a misspelt element cannot
// drop a teacher or a division without a word.
func (x reader) records(block xml.StartElement, name string, reject func(Reject) error, one func(xml.StartElement) (*Reject, error)) error {
	return x.Children(func(el xml.StartElement) error {
		var rj *Reject
		if el.Name.Local != name {
			rj = &Reject{Line: x.Line(), Element: el.Name.Local, Key: recordKey(el),
				Reason: fmt.Sprintf("élément inconnu dans <%s> (<%s> attendu)", block.Name.Local, name)}
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
		rj.Block = block.Name.Local
		if reject == nil {
			return xmlrec.Invalidf("%s", rj.Error())
		}
		return reject(*rj)
	})
}

func recordKey(el xml.StartElement) string {
	if id := xmlrec.Attr(el, "ID"); id != "" {
		return id
	}
	return xmlrec.Attr(el, "CODE")
}

func (x reader) header() (Header, error) {
	var h Header
	var uaj, year string
	var haveUAJ, haveYear bool
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "UAJ":
			uaj, haveUAJ = xmlrec.Attr(el, "CODE"), true
		case "ANNEE_SCOLAIRE":
			year, haveYear = xmlrec.Attr(el, "ANNEE"), true
		}
		// Both carry their value in an attribute; their children
		// (académie, dénomination, dates) are not needed.
		return x.Skip()
	})
	if err != nil {
		return h, err
	}
	line := x.Line()
	if !haveUAJ || uaj == "" {
		return h, xmlrec.Invalidf("ligne %d : l'en-tête <PARAMETRES> n'a pas d'UAJ (attribut CODE de <UAJ>)", line)
	}
	if h.UAJ, err = sillage.ParseUAI(uaj); err != nil {
		return h, xmlrec.Invalidf("ligne %d : en-tête <PARAMETRES> : %s", line, sillage.Message(err))
	}
	if !haveYear || year == "" {
		return h, xmlrec.Invalidf("ligne %d : l'en-tête <PARAMETRES> n'a pas d'année scolaire (attribut ANNEE de <ANNEE_SCOLAIRE>)", line)
	}
	y, err := strconv.Atoi(year)
	if err != nil || len(year) != 4 || y < 1900 {
		return h, xmlrec.Invalidf("ligne %d : en-tête <PARAMETRES> : année scolaire %q invalide, l'année de la rentrée sur quatre chiffres est attendue", line, year)
	}
	h.Year = y
	return h, nil
}

// problems collects what is wrong with one record, so that a reject names
// every fault at once.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) reject(line int, element, key, name string) *Reject {
	if len(p) == 0 {
		return nil
	}
	return &Reject{Line: line, Element: element, Key: key, Name: name, Reason: strings.Join(p, " ; ")}
}

func (x reader) subject(start xml.StartElement) (Subject, *Reject, error) {
	s := Subject{Line: x.Line(), Code: xmlrec.Attr(start, "CODE")}
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
		}
		return x.Skip()
	})
	if err != nil {
		return s, nil, err
	}
	var p problems
	if s.Code == "" {
		p.add("attribut CODE absent")
	}
	return s, p.reject(s.Line, "MATIERE", "", s.LongLabel), nil
}

// staffType checks an INDIVIDU or ENSEIGNANT TYPE.
func staffType(s string, p *problems, what string) string {
	t := strings.ToLower(s)
	if t != "epp" && t != "local" {
		p.add("%s TYPE %q inconnu (epp ou local attendu)", what, s)
	}
	return t
}

func (x reader) individual(start xml.StartElement) (Individual, *Reject, error) {
	ind := Individual{Line: x.Line(), ID: xmlrec.Attr(start, "ID")}
	var p problems
	ind.Type = staffType(xmlrec.Attr(start, "TYPE"), &p, "INDIVIDU")
	var sex, civility, birth string
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "SEXE":
			return xmlrec.TextInto(x.Reader, el, &sex)
		case "CIVILITE":
			return xmlrec.TextInto(x.Reader, el, &civility)
		case "NOM_USAGE":
			return xmlrec.TextInto(x.Reader, el, &ind.UsageName)
		case "NOM_PATRONYMIQUE":
			return xmlrec.TextInto(x.Reader, el, &ind.BirthName)
		case "PRENOM":
			return xmlrec.TextInto(x.Reader, el, &ind.FirstName)
		case "DATE_NAISSANCE":
			return xmlrec.TextInto(x.Reader, el, &birth)
		case "GRADE":
			return xmlrec.TextInto(x.Reader, el, &ind.Grade)
		case "FONCTION":
			return xmlrec.TextInto(x.Reader, el, &ind.Function)
		case "PROFS_PRINC":
			return x.headOf(&ind, &p)
		case "DISCIPLINES":
			return x.disciplines(&ind, &p)
		}
		return x.Skip()
	})
	if err != nil {
		return ind, nil, err
	}
	switch sex {
	case "":
	case "1":
		ind.Sex = "M"
	case "2":
		ind.Sex = "F"
	default:
		p.add("SEXE %q inconnu (1 ou 2 attendu)", sex)
	}
	switch civility {
	case "":
	case "1":
		ind.Civility = "M"
	case "2":
		ind.Civility = "MME"
	case "3":
		ind.Civility = "MLLE"
	default:
		p.add("CIVILITE %q inconnue (1, 2 ou 3 attendu)", civility)
	}
	if birth != "" {
		d, err := time.Parse(time.DateOnly, birth)
		if err != nil {
			p.add("DATE_NAISSANCE %q invalide : AAAA-MM-JJ attendu", birth)
		}
		ind.BirthDate = d
	}
	if ind.ID == "" {
		p.add("attribut ID absent")
	}
	if ind.LastName() == "" {
		p.add("nom absent (ni NOM_USAGE ni NOM_PATRONYMIQUE)")
	}
	return ind, p.reject(ind.Line, "INDIVIDU", ind.ID, ind.Name()), nil
}

func (x reader) headOf(ind *Individual, p *problems) error {
	return x.Children(func(el xml.StartElement) error {
		if el.Name.Local != "PROF_PRINC" {
			if err := x.warn("INDIVIDU", ind.ID, "élément <%s> ignoré dans <PROFS_PRINC> (<PROF_PRINC> attendu)", el.Name.Local); err != nil {
				return err
			}
			return x.Skip()
		}
		var code string
		err := x.Children(func(f xml.StartElement) error {
			if f.Name.Local == "CODE_STRUCTURE" {
				return xmlrec.TextInto(x.Reader, f, &code)
			}
			return x.Skip()
		})
		if err != nil {
			return err
		}
		if code == "" {
			return x.warn("INDIVIDU", ind.ID, "PROF_PRINC sans CODE_STRUCTURE ignoré")
		}
		ind.HeadOf = append(ind.HeadOf, code)
		return nil
	})
}

func (x reader) disciplines(ind *Individual, p *problems) error {
	return x.Children(func(el xml.StartElement) error {
		if el.Name.Local != "DISCIPLINE" {
			if err := x.warn("INDIVIDU", ind.ID, "élément <%s> ignoré dans <DISCIPLINES> (<DISCIPLINE> attendu)", el.Name.Local); err != nil {
				return err
			}
			return x.Skip()
		}
		d := Discipline{Code: xmlrec.Attr(el, "CODE")}
		err := x.Children(func(f xml.StartElement) error {
			if f.Name.Local == "LIBELLE_COURT" {
				return xmlrec.TextInto(x.Reader, f, &d.ShortLabel)
			}
			return x.Skip()
		})
		if err != nil {
			return err
		}
		if d.Code == "" {
			return x.warn("INDIVIDU", ind.ID, "DISCIPLINE sans attribut CODE ignorée")
		}
		ind.Disciplines = append(ind.Disciplines, d)
		return nil
	})
}

func (x reader) division(start xml.StartElement) (Division, *Reject, error) {
	d := Division{Line: x.Line(), Code: xmlrec.Attr(start, "CODE")}
	var p problems
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "LIBELLE_LONG":
			return xmlrec.TextInto(x.Reader, el, &d.LongLabel)
		case "MEFS_APPARTENANCE":
			return x.mefs(&d)
		case "SERVICES":
			return x.services("DIVISION", d.Code, &d.Services)
		}
		return x.Skip()
	})
	if err != nil {
		return d, nil, err
	}
	if d.Code == "" {
		p.add("attribut CODE absent")
	}
	return d, p.reject(d.Line, "DIVISION", d.Code, ""), nil
}

// mefs reads MEFS_APPARTENANCE. STS-web puts the code in the CODE attribute;
// Structures.xml uses a CODE_MEF child, accepted too (formats-notes §5.14).
func (x reader) mefs(d *Division) error {
	return x.Children(func(el xml.StartElement) error {
		if el.Name.Local != "MEF_APPARTENANCE" {
			if err := x.warn("DIVISION", d.Code, "élément <%s> ignoré dans <MEFS_APPARTENANCE> (<MEF_APPARTENANCE> attendu)", el.Name.Local); err != nil {
				return err
			}
			return x.Skip()
		}
		code := xmlrec.Attr(el, "CODE")
		err := x.Children(func(f xml.StartElement) error {
			if f.Name.Local == "CODE_MEF" && code == "" {
				return xmlrec.TextInto(x.Reader, f, &code)
			}
			return x.Skip()
		})
		if err != nil {
			return err
		}
		if code == "" {
			return x.warn("DIVISION", d.Code, "MEF_APPARTENANCE sans code ignoré")
		}
		d.MEFs = append(d.MEFs, code)
		return nil
	})
}

// services reads the SERVICES of a division or a group. What cannot be
// used (a service without subject, a teacher without ID, an unexpected
// element) is a warning: the division or group and its other services
// are kept.
func (x reader) services(element, code string, dst *[]Service) error {
	return x.Children(func(el xml.StartElement) error {
		if el.Name.Local != "SERVICE" {
			if err := x.warn(element, code, "élément <%s> ignoré dans <SERVICES> (<SERVICE> attendu)", el.Name.Local); err != nil {
				return err
			}
			return x.Skip()
		}
		s := Service{Subject: xmlrec.Attr(el, "CODE_MATIERE"), CourseMode: xmlrec.Attr(el, "CODE_MOD_COURS")}
		line := x.Line()
		err := x.Children(func(f xml.StartElement) error {
			if f.Name.Local != "ENSEIGNANTS" {
				return x.Skip()
			}
			return x.Children(func(e xml.StartElement) error {
				if e.Name.Local != "ENSEIGNANT" {
					if err := x.warn(element, code, "élément <%s> ignoré dans <ENSEIGNANTS> (<ENSEIGNANT> attendu)", e.Name.Local); err != nil {
						return err
					}
					return x.Skip()
				}
				t := TeacherRef{ID: xmlrec.Attr(e, "ID")}
				var p problems
				t.Type = staffType(xmlrec.Attr(e, "TYPE"), &p, "ENSEIGNANT")
				if t.ID == "" {
					if err := x.warn(element, code, "ENSEIGNANT sans ID ignoré dans le service %q", s.Subject); err != nil {
						return err
					}
					return x.Skip()
				}
				if len(p) > 0 {
					// The type only informs LSU: the teacher keeps the service.
					t.Type = ""
					if err := x.warn(element, code, "%s (enseignant %s, service %q) : type ignoré", p[0], t.ID, s.Subject); err != nil {
						return err
					}
				}
				s.Teachers = append(s.Teachers, t)
				return x.Skip()
			})
		})
		if err != nil {
			return err
		}
		if s.Subject == "" {
			return x.warnAt(line, element, code, "SERVICE sans CODE_MATIERE ignoré")
		}
		*dst = append(*dst, s)
		return nil
	})
}

// warnAt is warn at a given line.
func (x reader) warnAt(line int, element, key, reason string) error {
	if x.warning == nil {
		return nil
	}
	return x.warning(Reject{Line: line, Element: element, Key: key, Reason: reason})
}

func (x reader) group(start xml.StartElement) (Group, *Reject, error) {
	g := Group{Line: x.Line(), Code: xmlrec.Attr(start, "CODE")}
	var p problems
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "LIBELLE_LONG":
			return xmlrec.TextInto(x.Reader, el, &g.LongLabel)
		case "DIVISIONS_APPARTENANCE":
			return x.Children(func(f xml.StartElement) error {
				if f.Name.Local != "DIVISION_APPARTENANCE" {
					if err := x.warn("GROUPE", g.Code, "élément <%s> ignoré dans <DIVISIONS_APPARTENANCE> (<DIVISION_APPARTENANCE> attendu)", f.Name.Local); err != nil {
						return err
					}
					return x.Skip()
				}
				if code := xmlrec.Attr(f, "CODE"); code != "" {
					g.Divisions = append(g.Divisions, code)
				} else if err := x.warn("GROUPE", g.Code, "DIVISION_APPARTENANCE sans attribut CODE ignorée"); err != nil {
					return err
				}
				return x.Skip()
			})
		case "SERVICES":
			return x.services("GROUPE", g.Code, &g.Services)
		}
		return x.Skip()
	})
	if err != nil {
		return g, nil, err
	}
	if g.Code == "" {
		p.add("attribut CODE absent")
	}
	return g, p.reject(g.Line, "GROUPE", g.Code, ""), nil
}

// call hands v to fn when the caller asked for it.
func call[T any](fn func(T) error, v T) error {
	if fn == nil {
		return nil
	}
	return fn(v)
}

// File is a whole STS-web export in memory.
type File struct {
	Header      Header
	Subjects    []Subject
	Individuals []Individual
	Divisions   []Division
	Groups      []Group
	Rejects     []Reject
	Warnings    []Reject
}

// Read reads a whole STS-web export into memory, for small callers and
// tests. Imports use Decode.
func Read(r io.Reader) (*File, error) {
	f := &File{}
	err := Decode(r, Handler{
		Header:     func(h Header) error { f.Header = h; return nil },
		Subject:    func(s Subject) error { f.Subjects = append(f.Subjects, s); return nil },
		Individual: func(i Individual) error { f.Individuals = append(f.Individuals, i); return nil },
		Division:   func(d Division) error { f.Divisions = append(f.Divisions, d); return nil },
		Group:      func(g Group) error { f.Groups = append(f.Groups, g); return nil },
		Reject:     func(r Reject) error { f.Rejects = append(f.Rejects, r); return nil },
		Warning:    func(r Reject) error { f.Warnings = append(f.Warnings, r); return nil },
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
