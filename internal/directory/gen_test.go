package directory_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
)

// genStudent is one student of a generated SIECLE or ONDE file.
type genStudent struct {
	id       string // ELEVE_ID
	last     string
	first    string
	birth    string // JJ/MM/AAAA
	ine      string // "" for none
	division string
}

// The faults a test puts in a record: each makes the record rejected,
// while it still names its student by ELEVE_ID or INE.
type fault int

const (
	faultNone       fault = iota
	faultBirth            // DATE_NAISS malformed
	faultFirstName        // PRENOM missing
	faultSex              // CODE_SEXE unknown
	faultEntry            // DATE_ENTREE malformed
	faultDupINE           // the INE of another student of the file (a typo in SIECLE)
	faultDupELEVEID       // SIECLE: the record repeats the ELEVE_ID of the previous one; ONDE: the name is missing
	nFaults
)

func (f fault) String() string {
	return [...]string{"aucune", "date de naissance", "prénom absent", "sexe", "date d'entrée", "INE en double", "identifiant en double"}[f]
}

// genFile is a generated complete file.
type genFile struct {
	uai      sillage.UAI
	year     int
	students []genStudent
	faults   map[int]fault // by index in students
	// structuresFirst writes the STRUCTURES block before ELEVES.
	structuresFirst bool
	bom             bool
}

var (
	genLast  = []string{"MARTIN", "LEFÈVRE", "N'DIAYE", "DURAND", "PETIT", "ROUX", "GARCIA", "MOREAU", "FONTAINE", "ÇELIK"}
	genFirst = []string{"Léa", "Noémie", "Zoé", "Hugo", "Inès", "Chloé", "Paul", "Aïssatou", "Jules", "Maëlys"}
)

// genStudents returns n students with distinct ids, names and INEs
// (RNIE form, synthetic), spread over three divisions.
func genStudents(r *rand.Rand, n int) []genStudent {
	out := make([]genStudent, n)
	for i := range out {
		out[i] = genStudent{
			id:       fmt.Sprint(5000 + i),
			last:     genLast[r.IntN(len(genLast))] + fmt.Sprintf("-%c", 'A'+i%26) + strings.Repeat("X", i/26),
			first:    genFirst[r.IntN(len(genFirst))],
			birth:    fmt.Sprintf("%02d/%02d/%d", 1+r.IntN(28), 1+r.IntN(12), 2008+r.IntN(3)),
			ine:      fmt.Sprintf("997%06dZX", 1000+i),
			division: []string{"2 MRC A", "1 MELEC", "T MELEC"}[i%3],
		}
	}
	return out
}

// randomFaults makes a random subset of n records faulty.
func randomFaults(r *rand.Rand, n int, onde bool) map[int]fault {
	faults := map[int]fault{}
	k := r.IntN(n + 1)
	for _, i := range r.Perm(n)[:k] {
		if f := fault(1 + r.IntN(int(nFaults)-1)); f.applies(i, n, onde) {
			faults[i] = f
		}
	}
	return faults
}

// applies reports whether f makes record i of n faulty: an INE copied
// from the next record needs another record, an ELEVE_ID copied from the
// previous one a previous record.
func (f fault) applies(i, n int, onde bool) bool {
	switch f {
	case faultDupINE:
		return n > 1
	case faultDupELEVEID:
		return onde || i > 0
	}
	return f != faultNone
}

// siecleXML writes the file as a SIECLE students export in ISO-8859-15.
func (g genFile) siecleXML() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-15"?>` + "\n<BEE_ELEVES VERSION=\"3.0\">\n<PARAMETRES>\n")
	fmt.Fprintf(&b, "<UAJ>%s</UAJ>\n<ANNEE_SCOLAIRE>%d</ANNEE_SCOLAIRE>\n<DATE_EXPORT>01/10/%d</DATE_EXPORT>\n</PARAMETRES>\n<DONNEES>\n", g.uai, g.year, g.year)
	id := func(i int) string {
		if g.faults[i] == faultDupELEVEID && i > 0 {
			return g.students[i-1].id
		}
		return g.students[i].id
	}
	eleves := func() {
		b.WriteString("<ELEVES>\n")
		for i, s := range g.students {
			f := g.faults[i]
			fmt.Fprintf(&b, "<ELEVE ELEVE_ID=\"%s\" ELENOET=\"%s\">\n", id(i), s.id)
			ine := s.ine
			if f == faultDupINE {
				ine = g.students[(i+1)%len(g.students)].ine
			}
			if ine != "" {
				fmt.Fprintf(&b, "<ID_NATIONAL>%s</ID_NATIONAL>\n", ine)
			}
			fmt.Fprintf(&b, "<NOM_DE_FAMILLE>%s</NOM_DE_FAMILLE>\n", s.last)
			if f != faultFirstName {
				fmt.Fprintf(&b, "<PRENOM>%s</PRENOM>\n", s.first)
			}
			birth := s.birth
			if f == faultBirth {
				birth = "31/02/" + s.birth[6:]
			}
			fmt.Fprintf(&b, "<DATE_NAISS>%s</DATE_NAISS>\n", birth)
			sex := "2"
			if f == faultSex {
				sex = "9"
			}
			fmt.Fprintf(&b, "<CODE_SEXE>%s</CODE_SEXE>\n<CODE_MEF>24024002210</CODE_MEF>\n<CODE_STATUT>ST</CODE_STATUT>\n", sex)
			entry := fmt.Sprintf("01/09/%d", g.year)
			if f == faultEntry {
				entry = fmt.Sprintf("%d-09-01", g.year)
			}
			fmt.Fprintf(&b, "<DATE_ENTREE>%s</DATE_ENTREE>\n</ELEVE>\n", entry)
		}
		b.WriteString("</ELEVES>\n")
	}
	structures := func() {
		b.WriteString("<STRUCTURES>\n")
		for i, s := range g.students {
			if g.faults[i] == faultDupELEVEID {
				continue // the duplicated id's structures are the first one's
			}
			fmt.Fprintf(&b, "<STRUCTURES_ELEVE ELEVE_ID=\"%s\">\n<STRUCTURE>\n<CODE_STRUCTURE>%s</CODE_STRUCTURE>\n<TYPE_STRUCTURE>D</TYPE_STRUCTURE>\n</STRUCTURE>\n</STRUCTURES_ELEVE>\n", id(i), s.division)
		}
		b.WriteString("</STRUCTURES>\n")
	}
	if g.structuresFirst {
		structures()
		eleves()
	} else {
		eleves()
		structures()
	}
	b.WriteString("</DONNEES>\n</BEE_ELEVES>\n")
	data, err := charmap.ISO8859_15.NewEncoder().String(b.String())
	if err != nil {
		panic(err)
	}
	if g.bom {
		// A BOM says UTF-8: the content must then be UTF-8.
		return append([]byte("\xEF\xBB\xBF"), []byte(strings.Replace(b.String(), "ISO-8859-15", "UTF-8", 1))...)
	}
	return []byte(data)
}

// ondeCSVOf writes the file as an ONDE pupils extraction in ISO-8859-1.
// ONDE has no ELEVE_ID: faultDupELEVEID blanks the last name instead.
func (g genFile) ondeCSVOf() []byte {
	var b strings.Builder
	b.WriteString("Nom élève;Nom d'usage élève;Prénom élève;Date naissance;Sexe;INE;Niveau;Libellé classe;Identifiant classe\r\n")
	for i, s := range g.students {
		f := g.faults[i]
		// Pupils of CE2, on time: born eight years before the rentrée.
		birth := fmt.Sprintf("%s%d", s.birth[:6], g.year-8)
		last, first, sex, ine := s.last, s.first, "F", s.ine
		switch f {
		case faultBirth:
			birth = "31/02/" + birth[6:]
		case faultFirstName:
			first = ""
		case faultSex, faultEntry:
			sex = "X"
		case faultDupINE:
			ine = g.students[(i+1)%len(g.students)].ine
		case faultDupELEVEID:
			last = ""
		}
		fmt.Fprintf(&b, "%q;;%q;%q;%q;%q;\"CE2\";%q;%q\r\n", last, first, birth, sex, ine, "Classe "+s.division, s.division)
	}
	data, err := charmap.ISO8859_1.NewEncoder().String(b.String())
	if err != nil {
		panic(err)
	}
	if g.bom {
		return append([]byte("\xEF\xBB\xBF"), []byte(b.String())...)
	}
	return []byte(data)
}

// mustINE checks a synthetic INE.
func mustINE(t interface{ Fatal(...any) }, s string) ident.INE {
	ine, _, err := ident.ParseINE(s)
	if err != nil {
		t.Fatal(err)
	}
	return ine
}
