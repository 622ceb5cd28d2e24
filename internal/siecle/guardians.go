package siecle

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/sillage/sillage/internal/siecle/xmlrec"
)

// Person is one PERSONNES/PERSONNE of a guardians export.
type Person struct {
	Line      int
	PersonID  string // PERSONNE_ID
	Civility  string // LC_CIVILITE: "M.", "MME"
	LastName  string // NOM_DE_FAMILLE (NOM in old exports)
	UsageName string // NOM_USAGE
	FirstName string // PRENOM; may be empty for an institution (ASE)
	Email     string // MEL
	AddressID string // ADRESSE_ID: the key of an Address of the same file
}

// Name is "NOM Prénom".
func (p Person) Name() string { return fullName(p.LastName, p.FirstName) }

// LegalEntity reports whether the person is a legal person (personne
// morale: the Aide sociale à l'enfance, a service, an association). The
// export has no element for it: SIECLE records such a guardian with its
// denomination as the name, and neither civility nor first name, which a
// natural person always has.
func (p Person) LegalEntity() bool {
	return strings.TrimSpace(p.Civility) == "" && strings.TrimSpace(p.FirstName) == "" && strings.TrimSpace(p.LastName) != ""
}

// Link is one RESPONSABLES/RESPONSABLE_ELEVE: a person responsible for a
// student.
type Link struct {
	Line     int
	EleveID  string
	PersonID string
	// LegalGuardian is true for a legal guardian: RESP_LEGAL 1 or 2 in older
	// exports (first and second legal guardian, as Gepi reads them),
	// NIVEAU_RESPONSABILITE 1 in newer ones (2 is a person in charge of the
	// student, 3 a contact). When both tags are present the newer one wins.
	LegalGuardian bool
	// LegalRank is 1 or 2 when RESP_LEGAL says the person is the first or
	// the second legal guardian; 0 otherwise (NIVEAU_RESPONSABILITE does
	// not rank them: the importer then follows the order of the file).
	LegalRank    int
	Relationship string // CODE_PARENTE: 10 mère, 20 père… (Nomenclature LIENS_PARENTE)
}

// Address is one ADRESSES/ADRESSE.
type Address struct {
	Line        int
	AddressID   string    // ADRESSE_ID
	Lines       [4]string // LIGNE1_ADRESSE … LIGNE4_ADRESSE
	PostalCode  string    // CODE_POSTAL
	Town        string    // LIBELLE_POSTAL
	ForeignTown string    // COMMUNE_ETRANGERE
	CountryCode string    // CODE_PAYS (100 = France)
	Country     string    // LL_PAYS
}

// GuardiansHandler receives the records of a guardians export in file
// order; it works as StudentsHandler does.
type GuardiansHandler struct {
	Header  func(Header) error
	Person  func(Person) error
	Link    func(Link) error
	Address func(Address) error
	Reject  func(Reject) error
}

const guardiansFile = "un export SIECLE des responsables (ResponsablesAvecAdresses.xml)"

// DecodeGuardians reads a guardians export (root BEE_RESPONSABLES) from the
// XML content r and hands each record to h, holding one record at a time.
func DecodeGuardians(r io.Reader, h GuardiansHandler) error {
	x := newReader(r)
	if _, err := x.Root("BEE_RESPONSABLES", guardiansFile); err != nil {
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
			if !haveHeader {
				return xmlrec.Invalidf("ligne %d : le bloc <DONNEES> précède l'en-tête <PARAMETRES>", x.Line())
			}
			haveData = true
			return x.guardiansData(h)
		}
		return x.Skip()
	})
	if err != nil {
		return err
	}
	if !haveHeader {
		return xmlrec.Invalidf("en-tête <PARAMETRES> absent : ce n'est pas %s complet", guardiansFile)
	}
	if !haveData {
		return xmlrec.Invalidf("bloc <DONNEES> absent : le fichier ne contient aucun responsable")
	}
	return x.End()
}

func (x reader) guardiansData(h GuardiansHandler) error {
	return x.Children(func(block xml.StartElement) error {
		switch block.Name.Local {
		case "PERSONNES":
			return x.records(block, "PERSONNE", h.Reject, func(el xml.StartElement) (*Reject, error) {
				p, rj, err := x.person(el)
				if err != nil || rj != nil {
					return rj, err
				}
				return nil, call(h.Person, p)
			})
		case "RESPONSABLES":
			return x.records(block, "RESPONSABLE_ELEVE", h.Reject, func(el xml.StartElement) (*Reject, error) {
				l, rj, err := x.link()
				if err != nil || rj != nil {
					return rj, err
				}
				return nil, call(h.Link, l)
			})
		case "ADRESSES":
			return x.records(block, "ADRESSE", h.Reject, func(el xml.StartElement) (*Reject, error) {
				a, rj, err := x.address(el)
				if err != nil || rj != nil {
					return rj, err
				}
				return nil, call(h.Address, a)
			})
		}
		return x.Skip()
	})
}

func (x reader) person(start xml.StartElement) (Person, *Reject, error) {
	p := Person{Line: x.Line(), PersonID: xmlrec.Attr(start, "PERSONNE_ID")}
	var oldName string
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "LC_CIVILITE":
			return xmlrec.TextInto(x.Reader, el, &p.Civility)
		case "NOM_DE_FAMILLE":
			return xmlrec.TextInto(x.Reader, el, &p.LastName)
		case "NOM":
			return xmlrec.TextInto(x.Reader, el, &oldName)
		case "NOM_USAGE":
			return xmlrec.TextInto(x.Reader, el, &p.UsageName)
		case "PRENOM":
			return xmlrec.TextInto(x.Reader, el, &p.FirstName)
		case "MEL":
			return xmlrec.TextInto(x.Reader, el, &p.Email)
		case "ADRESSE_ID":
			return xmlrec.TextInto(x.Reader, el, &p.AddressID)
		}
		return x.Skip()
	})
	if err != nil {
		return p, nil, err
	}
	if p.LastName == "" {
		p.LastName = oldName
	}
	var pb problems
	if p.PersonID == "" {
		pb.add("attribut PERSONNE_ID absent")
	}
	if p.LastName == "" {
		pb.add("nom de famille absent")
	}
	rj := pb.reject(p.Line, "PERSONNE", "", p.Name())
	if rj != nil {
		rj.PersonID = p.PersonID
	}
	return p, rj, nil
}

func (x reader) link() (Link, *Reject, error) {
	l := Link{Line: x.Line()}
	var respLegal, level string
	var haveRespLegal, haveLevel bool
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "ELEVE_ID":
			return xmlrec.TextInto(x.Reader, el, &l.EleveID)
		case "PERSONNE_ID":
			return xmlrec.TextInto(x.Reader, el, &l.PersonID)
		case "RESP_LEGAL":
			haveRespLegal = true
			return xmlrec.TextInto(x.Reader, el, &respLegal)
		case "NIVEAU_RESPONSABILITE":
			haveLevel = true
			return xmlrec.TextInto(x.Reader, el, &level)
		case "CODE_PARENTE":
			return xmlrec.TextInto(x.Reader, el, &l.Relationship)
		}
		return x.Skip()
	})
	if err != nil {
		return l, nil, err
	}
	var pb problems
	switch {
	case haveLevel:
		switch level {
		case "1":
			l.LegalGuardian = true
		case "2", "3":
		default:
			pb.add("NIVEAU_RESPONSABILITE %q inconnu (1, 2 ou 3 attendu)", level)
		}
	case haveRespLegal:
		switch respLegal {
		case "1", "2":
			l.LegalGuardian = true
			l.LegalRank = int(respLegal[0] - '0')
		case "0":
		default:
			pb.add("RESP_LEGAL %q inconnu (0, 1 ou 2 attendu)", respLegal)
		}
	default:
		// Neither tag: the safe reading is "not a legal guardian", which
		// gives no access to the student's record.
	}
	// Both tags: NIVEAU_RESPONSABILITE says whether the person is a legal
	// guardian, RESP_LEGAL still tells the first from the second.
	if haveLevel && l.LegalGuardian && (respLegal == "1" || respLegal == "2") {
		l.LegalRank = int(respLegal[0] - '0')
	}
	if l.EleveID == "" {
		pb.add("ELEVE_ID absent")
	}
	if l.PersonID == "" {
		pb.add("PERSONNE_ID absent")
	}
	rj := pb.reject(l.Line, "RESPONSABLE_ELEVE", l.EleveID, "")
	if rj != nil {
		rj.PersonID = l.PersonID
	}
	return l, rj, nil
}

func (x reader) address(start xml.StartElement) (Address, *Reject, error) {
	a := Address{Line: x.Line(), AddressID: xmlrec.Attr(start, "ADRESSE_ID")}
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "LIGNE1_ADRESSE":
			return xmlrec.TextInto(x.Reader, el, &a.Lines[0])
		case "LIGNE2_ADRESSE":
			return xmlrec.TextInto(x.Reader, el, &a.Lines[1])
		case "LIGNE3_ADRESSE":
			return xmlrec.TextInto(x.Reader, el, &a.Lines[2])
		case "LIGNE4_ADRESSE":
			return xmlrec.TextInto(x.Reader, el, &a.Lines[3])
		case "CODE_POSTAL":
			return xmlrec.TextInto(x.Reader, el, &a.PostalCode)
		case "LIBELLE_POSTAL":
			return xmlrec.TextInto(x.Reader, el, &a.Town)
		case "COMMUNE_ETRANGERE":
			return xmlrec.TextInto(x.Reader, el, &a.ForeignTown)
		case "CODE_PAYS":
			return xmlrec.TextInto(x.Reader, el, &a.CountryCode)
		case "LL_PAYS":
			return xmlrec.TextInto(x.Reader, el, &a.Country)
		}
		return x.Skip()
	})
	if err != nil {
		return a, nil, err
	}
	var pb problems
	if a.AddressID == "" {
		pb.add("attribut ADRESSE_ID absent")
	}
	return a, pb.reject(a.Line, "ADRESSE", "", ""), nil
}

// GuardiansFile is a whole guardians export in memory.
type GuardiansFile struct {
	Header    Header
	Persons   []Person
	Links     []Link
	Addresses []Address
	Rejects   []Reject
}

// ReadGuardians reads a whole guardians export into memory.
func ReadGuardians(r io.Reader) (*GuardiansFile, error) {
	f := &GuardiansFile{}
	err := DecodeGuardians(r, GuardiansHandler{
		Header:  func(h Header) error { f.Header = h; return nil },
		Person:  func(p Person) error { f.Persons = append(f.Persons, p); return nil },
		Link:    func(l Link) error { f.Links = append(f.Links, l); return nil },
		Address: func(a Address) error { f.Addresses = append(f.Addresses, a); return nil },
		Reject:  func(r Reject) error { f.Rejects = append(f.Rejects, r); return nil },
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
