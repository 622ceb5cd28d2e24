package onde

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Guardian is one row of a guardians extraction
// (CSVExtraction-responsables.csv in BE1D, CSVExtraction Parents.csv in
// ONDE): a guardian and the children the row names. The file has no ids:
// children are matched to pupils by name and class.
type Guardian struct {
	Row        int
	Civility   string // "Civilité Responsable": "M.", "Mme"
	UsageName  string // "Nom usage responsable"
	LastName   string // "Nom responsable"
	FirstName  string // "Prénom responsable"
	Address    string // "Adresse responsable"
	PostalCode string // "CP responsable"
	Town       string // "Commune responsable"
	Country    string // "Pays"
	Email      string // "Courriel"
	Children   []Child
}

// Name is "NOM Prénom", with the name in use.
func (g Guardian) Name() string {
	if g.UsageName != "" {
		return fullName(g.UsageName, g.FirstName)
	}
	return fullName(g.LastName, g.FirstName)
}

// Child is one of the repeated child column groups of a guardian's row.
type Child struct {
	UsageName string // "Nom d'usage enfant"
	LastName  string // "Nom de famille enfant"
	FirstName string // "Prénom enfant"
	Class     string // "Classes enfants", when the file has it
}

// GuardiansHandler receives a guardians extraction row by row; it works as
// PupilsHandler does.
type GuardiansHandler struct {
	Guardian func(Guardian) error
	Reject   func(Reject) error
}

var guardianColumns = []column{
	{label: "Civilité Responsable", names: []string{"Civilité Responsable"}},
	{label: "Nom usage responsable", names: []string{"Nom usage responsable", "Nom d'usage responsable"}},
	{label: "Nom responsable", names: []string{"Nom responsable"}, required: true},
	{label: "Prénom responsable", names: []string{"Prénom responsable"}, required: true},
	{label: "Adresse responsable", names: []string{"Adresse responsable"}},
	{label: "CP responsable", names: []string{"CP responsable"}},
	{label: "Commune responsable", names: []string{"Commune responsable"}},
	{label: "Pays", names: []string{"Pays"}},
	{label: "Courriel", names: []string{"Courriel"}},
}

// The kinds of child columns, as found in the header.
const (
	childUsage = iota
	childLast
	childFirst
	childClass
)

var childNames = [][]string{
	childUsage: {"Nom d'usage enfant", "Nom usage enfant"},
	childLast:  {"Nom de famille enfant", "Nom enfant"},
	childFirst: {"Prénom enfant"},
	childClass: {"Classes enfants", "Classe enfant"},
}

// childGroup holds the positions of one repeated group of child columns.
type childGroup [4]int

// childGroups finds the repeated child columns in header order. A group
// ends where a kind of column it already has comes again, so both orders
// seen (usage name first in BE1D, family name first in ONDE) work.
func (t *table) childGroups() []childGroup {
	var groups []childGroup
	cur := childGroup{-1, -1, -1, -1}
	empty := cur
	for i, k := range t.keys {
		kind := -1
		for kd, names := range childNames {
			if matches(k, names) {
				kind = kd
			}
		}
		if kind < 0 {
			continue
		}
		if cur[kind] >= 0 {
			groups = append(groups, cur)
			cur = empty
		}
		cur[kind] = i
	}
	if cur != empty {
		groups = append(groups, cur)
	}
	return groups
}

const guardiansFile = "Le fichier attendu est l'extraction des responsables (CSVExtraction-responsables.csv ou CSVExtraction Parents.csv)."

// DecodeGuardians reads a guardians extraction from r and hands each row to h.
func DecodeGuardians(r io.Reader, h GuardiansHandler) error {
	t, err := newTable(r)
	if err != nil {
		return err
	}
	pos, err := t.locate(guardianColumns, guardiansFile)
	if err != nil {
		return err
	}
	groups := t.childGroups()
	var usable []childGroup
	for _, g := range groups {
		if g[childLast] >= 0 && g[childFirst] >= 0 {
			usable = append(usable, g)
		}
	}
	if len(usable) == 0 {
		return invalidf("colonnes obligatoires absentes de la ligne d'en-tête : « Nom de famille enfant » et « Prénom enfant ». %s%s", guardiansFile, t.guess())
	}
	for {
		line, rec, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		g, rj := t.guardian(line, rec, pos, usable)
		if rj != nil {
			err = reject(h.Reject, *rj)
		} else {
			err = call(h.Guardian, g)
		}
		if err != nil {
			return err
		}
	}
}

func (t *table) guardian(line int, rec []string, pos []int, groups []childGroup) (Guardian, *Reject) {
	g := Guardian{
		Row:        line,
		Civility:   field(rec, pos[0]),
		UsageName:  field(rec, pos[1]),
		LastName:   field(rec, pos[2]),
		FirstName:  field(rec, pos[3]),
		Address:    field(rec, pos[4]),
		PostalCode: field(rec, pos[5]),
		Town:       field(rec, pos[6]),
		Country:    field(rec, pos[7]),
		Email:      field(rec, pos[8]),
	}
	var problems []string
	if reason := t.short(rec); reason != "" {
		problems = append(problems, reason)
	}
	if g.LastName == "" && g.UsageName == "" {
		problems = append(problems, "nom du responsable absent")
	}
	for i, cg := range groups {
		c := Child{
			UsageName: field(rec, cg[childUsage]),
			LastName:  field(rec, cg[childLast]),
			FirstName: field(rec, cg[childFirst]),
			Class:     field(rec, cg[childClass]),
		}
		if c == (Child{}) {
			continue
		}
		if (c.LastName == "" && c.UsageName == "") || c.FirstName == "" {
			problems = append(problems, fmt.Sprintf("enfant n° %d sans nom ou sans prénom", i+1))
			continue
		}
		g.Children = append(g.Children, c)
	}
	if len(g.Children) == 0 && len(problems) == 0 {
		problems = append(problems, "aucun enfant sur la ligne")
	}
	if len(problems) > 0 {
		return g, &Reject{Row: line, Name: g.Name(), Reason: strings.Join(problems, " ; ")}
	}
	return g, nil
}

// GuardiansFile is a whole guardians extraction in memory.
type GuardiansFile struct {
	Guardians []Guardian
	Rejects   []Reject
}

// ReadGuardians reads a whole guardians extraction into memory.
func ReadGuardians(r io.Reader) (*GuardiansFile, error) {
	f := &GuardiansFile{}
	err := DecodeGuardians(r, GuardiansHandler{
		Guardian: func(g Guardian) error { f.Guardians = append(f.Guardians, g); return nil },
		Reject:   func(r Reject) error { f.Rejects = append(f.Rejects, r); return nil },
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
