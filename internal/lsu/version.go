package lsu

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sillage/sillage"
)

// Limits are the maximum lengths, in characters, that the target schema
// accepts. Longer texts are truncated by Collect, with a report line.
type Limits struct {
	Appreciation        int `json:"appreciation"`         // subject appreciation
	GeneralAppreciation int `json:"general_appreciation"` // acquis-conseils / appreciation-generale
	Synthesis           int `json:"synthesis"`            // end-of-cycle synthèse
	Element             int `json:"element"`              // élément de programme
	SubjectLabel        int `json:"subject_label"`
	Name                int `json:"name"`    // names and head libellé
	Comment             int `json:"comment"` // school-life comment, PPRE complement
	ClassLabel          int `json:"class_label"`
	Division            int `json:"division"`
}

// dateLock says whether a version carries date-verrou.
type dateLock int

const (
	lockNever    dateLock = iota // 10.0: an error if present
	lockOptional                 // 7.0: written
	lockRequired                 // 1st degree: xs:dateTime
)

// spec is what changes from one schema version to the next
// (formats-notes.md §1.3 and §1.4, checked against the XSDs).
type spec struct {
	degree          Degree
	version         string // the setting
	schemaVersion   string // the schemaVersion attribute
	schemaFile      string // file named in xsi:schemaLocation
	limits          Limits
	numericAverages bool // 10.0: xs:decimal; before: text such as "15.5/20"
	evalStatus      bool // 10.0: statut-evaluation-*; before: eleve-non-note
	idBeInteger     bool // 7.0: id-be is xs:positiveInteger
	dateLock        dateLock
	nonEvalue       bool // 1.0b: acquis/@non-evalue
	supportCodes    []string
}

var specs = []spec{
	{
		degree: SecondDegree, version: Version10, schemaVersion: "10.0", schemaFile: "import-bilan-complet.xsd",
		limits:          Limits{Appreciation: 1000, GeneralAppreciation: 1000, Synthesis: 1500, Element: 300, SubjectLabel: 40, Name: 100, Comment: 600, Division: 20},
		numericAverages: true, evalStatus: true, dateLock: lockNever,
		supportCodes: []string{"PAP", "PPS", "UPE2A", "SEGPA", "ULIS", "PAI", "PPRE"},
	},
	{
		degree: SecondDegree, version: Version7, schemaVersion: "7.0", schemaFile: "import-bilan-complet.xsd",
		limits:      Limits{Appreciation: 600, GeneralAppreciation: 1000, Synthesis: 1500, Element: 300, SubjectLabel: 40, Name: 100, Comment: 600, Division: 20},
		idBeInteger: true, dateLock: lockOptional,
		supportCodes: []string{"PAP", "PPS", "UPE2A", "SEGPA", "ULIS", "PAI", "PPRE"},
	},
	{
		degree: FirstDegree, version: Version1b, schemaVersion: "1.0", schemaFile: "import-bilan-1d.xsd",
		limits:       Limits{Appreciation: 600, GeneralAppreciation: 1500, Synthesis: 1500, Element: 300, Name: 100, Comment: 600, ClassLabel: 50},
		dateLock:     lockRequired,
		nonEvalue:    true,
		supportCodes: []string{"PAP", "PPS", "UPE2A", "RASED", "ULIS", "PAI", "PPRE"},
	},
	{
		degree: FirstDegree, version: Version1_0, schemaVersion: "1.0", schemaFile: "import-bilan-1d.xsd",
		limits:       Limits{Appreciation: 600, GeneralAppreciation: 1500, Synthesis: 1500, Element: 300, Name: 100, Comment: 600, ClassLabel: 50},
		dateLock:     lockRequired,
		supportCodes: []string{"PAP", "PPS", "UPE2A", "RASED", "ULIS", "PAI", "PPRE"},
	},
}

// resolve returns the spec of a target, filling the default version.
func resolve(t Target) (spec, error) {
	version := strings.TrimSpace(t.Version)
	if version == "" {
		switch t.Degree {
		case SecondDegree:
			version = Version10
		case FirstDegree:
			version = Version1b
		}
	}
	if t.Degree != SecondDegree && t.Degree != FirstDegree {
		return spec{}, sillage.Errorf(sillage.KindInvalid, "degré %q inconnu : 2D (collège) ou 1D (école) attendu", t.Degree)
	}
	for _, s := range specs {
		if s.degree == t.Degree && s.version == version {
			return s, nil
		}
	}
	return spec{}, sillage.Errorf(sillage.KindInvalid, "version de schéma LSU %q non prise en charge pour le %s : %s",
		version, t.Degree.label(), strings.Join(Versions(t.Degree), ", "))
}

func (d Degree) label() string {
	if d == FirstDegree {
		return "1er degré"
	}
	return "2nd degré"
}

// Versions lists the schema versions supported for a degree, default first.
func Versions(d Degree) []string {
	var out []string
	for _, s := range specs {
		if s.degree == d {
			out = append(out, s.version)
		}
	}
	return out
}

// LimitsFor returns the text limits of a target.
func LimitsFor(t Target) (Limits, error) {
	s, err := resolve(t)
	if err != nil {
		return Limits{}, err
	}
	return s.limits, nil
}

// SchemaFile returns the official XSD of a degree and version under dir, a
// directory laid out like shared/reference/lsu: <dir>/2d/v10.0_<date>_<source>/
// holding one .xsd file. When several folders carry the same version the last
// one in name order (the newest date) wins.
func SchemaFile(dir string, degree Degree, version string) (string, error) {
	s, err := resolve(Target{Degree: degree, Version: version})
	if err != nil {
		return "", err
	}
	sub := "2d"
	if degree == FirstDegree {
		sub = "1d"
	}
	// "v1.0_*" does not match "v1.0b_…": the underscore ends the version.
	dirs, err := filepath.Glob(filepath.Join(dir, sub, "v"+s.version+"_*"))
	if err != nil {
		return "", fmt.Errorf("recherche du schéma LSU %s : %w", s.version, err)
	}
	dirs = slices.DeleteFunc(dirs, func(p string) bool {
		st, err := os.Stat(p)
		return err != nil || !st.IsDir()
	})
	if len(dirs) == 0 {
		return "", sillage.Errorf(sillage.KindUnavailable, "schéma LSU %s (%s) introuvable dans %s : le dossier %s/v%s_<date>_<source>/ est attendu",
			s.version, degree.label(), dir, sub, s.version)
	}
	slices.Sort(dirs)
	newest := dirs[len(dirs)-1]
	xsds, err := filepath.Glob(filepath.Join(newest, "*.xsd"))
	if err != nil {
		return "", fmt.Errorf("recherche du schéma LSU %s : %w", s.version, err)
	}
	if len(xsds) != 1 {
		return "", sillage.Errorf(sillage.KindUnavailable, "le dossier %s doit contenir exactement un fichier .xsd (il en contient %d)", newest, len(xsds))
	}
	return xsds[0], nil
}
