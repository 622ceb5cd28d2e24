package aaf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/sillage/sillage/internal/sharedref"
)

// mappingFiles names entcore's mapping tables per category: the 2nd-degree
// table (aaf/) and the 1st-degree one (aaf1d/), when it exists.
var mappingFiles = map[Category][]string{
	CategoryStudent:   {"aaf/Eleve.json", "aaf1d/Eleve.json"},
	CategoryRelative:  {"aaf/PersRelEleve.json", "aaf1d/PersRelEleve.json"},
	CategoryStaff:     {"aaf/PersEducNat.json", "aaf1d/PersEducNat.json"},
	CategoryStructure: {"aaf/EtabEducNat.json", "aaf1d/EtabEducNat.json"},
	CategoryMEF:       {"aaf/MefEducNat.json"},
	CategorySubject:   {"aaf/MatEducNat.json"},
}

// TestKnownAttributesMatchMappings compares the known names, kept in Go
// code, with entcore's mapping tables read in place: the two sets must be
// equal, so that an update of the tables shows here.
func TestKnownAttributesMatchMappings(t *testing.T) {
	dir := sharedref.Path(t, "aaf", "entcore-feeder-mapping")
	for c, files := range mappingFiles {
		mapped := map[string]bool{}
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for name := range m {
				mapped[name] = true
			}
		}
		var missing, extra []string
		for name := range mapped {
			if !KnownAttribute(c, name) {
				missing = append(missing, name)
			}
		}
		for _, name := range KnownAttributes(c) {
			if !mapped[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing) > 0 || len(extra) > 0 {
			t.Errorf("%s: in the mappings but not known: %v; known but not in the mappings: %v", c, missing, extra)
		}
	}
}

// TestSampleAttributesKnown checks every attribute name of every reference
// sample, notably ENTPersonCategorieEnseignant of the 2024 file.
func TestSampleAttributesKnown(t *testing.T) {
	root := sharedref.Path(t, "aaf")
	var files []string
	for _, pattern := range []string{"*/*.xml", "*/*/*.xml"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	seen := map[Category]map[string]bool{}
	for _, f := range files {
		// ParseFile fails on any unknown name: a pass is the check.
		_, err := ParseFile(f, func(r *Request) error {
			if seen[r.Category] == nil {
				seen[r.Category] = map[string]bool{}
			}
			for name := range r.Attrs {
				seen[r.Category][name] = true
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	if len(files) != 55 {
		t.Errorf("%d sample files, want 55", len(files))
	}
	if !seen[CategoryStaff][AttrIsTeacher] {
		t.Error("ENTPersonCategorieEnseignant of the 2024 sample not seen")
	}
	if !seen[CategoryStudent][AttrINE] {
		t.Error("ENTEleveINE of the 2020 sample not seen")
	}
}

func TestKnownAttributesWellFormed(t *testing.T) {
	for _, c := range ImportOrder {
		names := KnownAttributes(c)
		if len(names) == 0 {
			t.Errorf("%s: no attribute", c)
		}
		sorted := slices.Clone(names)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(names) {
			t.Errorf("%s: a name is listed twice", c)
		}
		if op, _ := c.operational(); !KnownAttribute(c, op) {
			t.Errorf("%s: operational attribute %s not known", c, op)
		}
	}
	if KnownAttribute(CategoryStudent, AttrUAI) || KnownAttribute(CategoryStructure, AttrINE) {
		t.Error("attributes leak across categories")
	}
}

func TestEmptyMeansClear(t *testing.T) {
	for _, name := range []string{"ENTAuxEnsClassesPrincipal", "mobile", "ENTPersonMobileSMS", "ENTPersonAdresse", "ENTPersonCodePostal",
		"ENTPersonVille", "ENTPersonPays", "ENTAuxEnsMEF", "ENTEleveMEF", "ENTEleveLibelleMEF", "ENTEleveCodeEnseignements", "ENTEleveEnseignements"} {
		if !EmptyMeansClear(name) {
			t.Errorf("%s: empty should clear", name)
		}
	}
	for _, name := range []string{"sn", "givenName", "ENTEleveINE", "ENTEleveClasses", "ENTPersonStructRattach", "mail"} {
		if EmptyMeansClear(name) {
			t.Errorf("%s: empty should be ignored", name)
		}
	}
}
