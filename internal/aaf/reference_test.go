package aaf

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/sharedref"
)

// parseRef parses one reference file in place and returns its requests.
func parseRef(t *testing.T, elem ...string) []*Request {
	t.Helper()
	var reqs []*Request
	if _, err := ParseFile(sharedref.Path(t, append([]string{"aaf"}, elem...)...), func(r *Request) error {
		reqs = append(reqs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return reqs
}

// TestReference2013 imports the anonymised 2013 set in the order ListDir
// gives and checks its referential integrity (aaf-notes §1.3): 642
// students referencing 1,029 distinct relatives, all among the 9,975
// records of the 40 PersRelEleve files, and 10 structures, all in the
// EtabEducNat file.
func TestReference2013(t *testing.T) {
	files, err := ListDir(sharedref.Path(t, "aaf", "entcore-feeder-aaf-test"))
	if err != nil {
		t.Fatal(err)
	}
	structures := map[string]bool{}
	referencedStructures := map[string]bool{}
	relatives := map[string]bool{}
	referencedRelatives := map[string]bool{}
	counts := map[Category]int{}
	relFiles := 0
	for _, f := range files {
		if f.Name.Category == CategoryRelative {
			relFiles++
		}
		_, err := ParseFile(f.Path, func(r *Request) error {
			counts[r.Category]++
			switch r.Category {
			case CategoryStructure:
				s, err := DecodeStructure(r)
				if err != nil {
					return err
				}
				structures[s.ID] = true
			case CategoryMEF:
				_, err := DecodeMEF(r)
				return err
			case CategorySubject:
				_, err := DecodeSubject(r)
				return err
			case CategoryStudent:
				s, err := DecodeStudent(r)
				if err != nil {
					return err
				}
				// Structures are imported before students: every one
				// referenced must already be known.
				for _, id := range s.Structures {
					referencedStructures[id] = true
					if !structures[id] {
						t.Errorf("student line %d: structure %s not imported yet", s.Line, id)
					}
				}
				for _, c := range append(s.Classes, s.Groups...) {
					if !structures[c.StructureID] {
						t.Errorf("student line %d: class structure %s not imported yet", s.Line, c.StructureID)
					}
				}
				for _, l := range s.Relatives {
					referencedRelatives[l.RelativeID] = true
				}
			case CategoryRelative:
				p, err := DecodeRelative(r)
				if err != nil {
					return err
				}
				relatives[p.ID] = true
			case CategoryStaff:
				_, err := DecodeStaff(r)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := map[Category]int{CategoryStructure: 10, CategoryMEF: 2504, CategorySubject: 718, CategoryStudent: 642, CategoryRelative: 9975, CategoryStaff: 701}
	for c, n := range want {
		if counts[c] != n {
			t.Errorf("%s: %d records, want %d", c, counts[c], n)
		}
	}
	if relFiles != 40 {
		t.Errorf("%d PersRelEleve files, want 40", relFiles)
	}
	if len(referencedRelatives) != 1029 {
		t.Errorf("students reference %d distinct relatives, want 1029", len(referencedRelatives))
	}
	for id := range referencedRelatives {
		if !relatives[id] {
			t.Errorf("relative %s referenced but absent from the PersRelEleve files", id)
		}
	}
	if len(referencedStructures) != 10 || len(structures) != 10 {
		t.Errorf("%d structures referenced, %d imported, want 10 and 10", len(referencedStructures), len(structures))
	}
}

// TestReference2013Details checks decoded values of the 2013 set that
// exercise the decoders: old parent-link codes, head-teacher classes, the
// subjects of teachings, multi-valued attributes.
func TestReference2013Details(t *testing.T) {
	var legal, inCharge, withGroups, multiClass int
	links := map[LinkKind]int{}
	for _, r := range parseRef(t, "entcore-feeder-aaf-test", "FULL_ENTTSSERVICES_Complet_20130117_Eleve_0001.xml") {
		s, err := DecodeStudent(r)
		if err != nil {
			t.Fatal(err)
		}
		if !s.INE.IsZero() {
			t.Errorf("line %d: the 2013 files carry no INE", s.Line)
		}
		if s.BirthDate.IsZero() || s.LastName == "" || s.SIECLEID == "" || len(s.Classes) == 0 {
			t.Errorf("line %d: incomplete student", s.Line)
		}
		for _, l := range s.Relatives {
			links[l.Link()]++
			switch l.Legal {
			case RespLegal:
				legal++
			case RespInCharge:
				inCharge++
			}
		}
		if len(s.Groups) > 0 {
			withGroups++
		}
		if len(s.Classes) > 1 {
			multiClass++
		}
	}
	// Counted independently with a script over the file.
	if links[LinkMother] != 459 || links[LinkFather] != 369 || links[LinkFamily] != 126 || links[LinkSelf] != 26 || links[LinkUnknown] != 0 {
		t.Errorf("links = %v", links)
	}
	if legal != 622 || inCharge != 289 {
		t.Errorf("legal = %d, in charge = %d", legal, inCharge)
	}
	if multiClass != 0 {
		t.Errorf("%d students in several classes", multiClass)
	}

	var heads, teachings, noSubject int
	for _, r := range parseRef(t, "entcore-feeder-aaf-test", "FULL_ENTTSSERVICES_Complet_20130117_PersEducNat_0000.xml") {
		s, err := DecodeStaff(r)
		if err != nil {
			t.Fatal(err)
		}
		heads += len(s.HeadTeacherOf)
		for _, tg := range append(s.ClassTeachings, s.GroupTeachings...) {
			teachings++
			if tg.SubjectCode == "" {
				noSubject++
			}
		}
	}
	if heads != 126 || teachings != 2256 || noSubject != 0 {
		t.Errorf("head-teacher classes = %d, teachings = %d (%d without subject)", heads, teachings, noSubject)
	}
}

func TestReference2020(t *testing.T) {
	reqs := parseRef(t, "entcore-feeder-aaf-test-2020", "ENT_Complet_20200101_Eleve_0000.xml")
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	s, err := DecodeStudent(reqs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, form, err := s.INE.Check(); err != nil || form != ident.FormRNIE {
		t.Errorf("INE: form %v, err %v; want a valid RNIE", form, err)
	}
	wantRel := []RelativeLink{
		{RelativeID: "2000000", LinkCode: "10", Financial: true, Legal: RespLegal, Contact: true, Payment: true},
		{RelativeID: "3000000", LinkCode: "20", Legal: RespLegal},
	}
	if fmt.Sprint(s.Relatives) != fmt.Sprint(wantRel) || s.Relatives[0].Link() != LinkMother || s.Relatives[1].Link() != LinkFather {
		t.Errorf("relatives = %+v", s.Relatives)
	}
	wantEntry := ClassDate{StructureID: "3000", Date: time.Date(2020, 8, 18, 0, 0, 0, 0, time.UTC), Class: "1AQUA"}
	if len(s.ClassEntries) != 1 || s.ClassEntries[0] != wantEntry || len(s.ClassExits) != 0 {
		t.Errorf("class dates = %+v / %+v", s.ClassEntries, s.ClassExits)
	}
	if s.MEF != "10000000000" || s.SIECLEID != "1" || len(s.Classes) != 1 || s.Classes[0].Code != "1AQUA" || len(s.Groups) != 0 {
		t.Errorf("student = %+v", s)
	}
	if !s.Has(FieldClassExits) || s.Updates(FieldClassExits) {
		t.Error("an empty ENTEleveDateSortieClasses is present but changes nothing")
	}
	if !s.Has(FieldGroups) || s.Updates(FieldGroups) {
		t.Error("an empty ENTEleveGroupes is present but changes nothing")
	}

	st, err := DecodeStructure(parseRef(t, "entcore-feeder-aaf-test-2020", "ENT_Complet_20200101_EtabEducNat_0000.xml")[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.UAI != "0000000V" || st.Name != "NOM-STRUCTURE-COURANT" || st.Type != "ECOLE" {
		t.Errorf("structure = %+v", st)
	}
	// The sample's UAI has a wrong check letter: the decoder keeps it, the
	// import checks it.
	if _, err := sillage.ParseUAI(st.UAI); err == nil {
		t.Error("the sample UAI 0000000V was expected to fail the check")
	}
}

// TestStudentNeverPrintsINE formats a decoded student every way a log or a
// report could, and looks for the INE.
func TestStudentNeverPrintsINE(t *testing.T) {
	r := parseRef(t, "entcore-feeder-aaf-test-2020", "ENT_Complet_20200101_Eleve_0000.xml")[0]
	s, err := DecodeStudent(r)
	if err != nil {
		t.Fatal(err)
	}
	ine := s.INE.Value()
	if len(ine) != 11 {
		t.Fatal("the sample student has no INE")
	}
	for _, v := range []any{s, *s, []*Student{s}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, ine) || strings.Contains(out, fmt.Sprintf("%x", ine)) {
				t.Errorf("%T with %s shows the INE", v, verb)
			}
		}
	}
	if b, _ := json.Marshal(s); strings.Contains(string(b), ine) {
		t.Error("JSON shows the INE")
	}
	// Errors name the record by line and name, never by INE.
	r.Attrs[AttrBirthDate] = []string{"31/02/2008"}
	_, err = DecodeStudent(r)
	if err == nil || strings.Contains(err.Error(), ine) || !strings.Contains(err.Error(), "NOM Prenom") || !strings.Contains(err.Error(), "ligne") {
		t.Errorf("error = %v", err)
	}
}

func TestReference2024Positions(t *testing.T) {
	for _, tt := range []struct {
		dir   string
		staff int
	}{{"before", 2}, {"after", 3}} {
		reqs := parseRef(t, "entcore-tests-positions-aaf-2024", tt.dir, "ENT2DVA-ENT16_Complet_20240916_PersEducNat_0000.xml")
		if len(reqs) != tt.staff {
			t.Fatalf("%s: %d staff, want %d", tt.dir, len(reqs), tt.staff)
		}
		s, err := DecodeStaff(reqs[0])
		if err != nil {
			t.Fatal(err)
		}
		if !reqs[0].Has(AttrIsTeacher) || !s.IsTeacher || s.Teaches {
			t.Errorf("%s: IsTeacher = %v, Teaches = %v", tt.dir, s.IsTeacher, s.Teaches)
		}
		if len(s.Functions) == 0 || s.Functions[0].StructureID != "43" {
			t.Errorf("%s: functions = %+v", tt.dir, s.Functions)
		}
	}
	var sum Summary
	var err error
	var st *Structure
	sum, err = ParseFile(sharedref.Path(t, "aaf", "entcore-tests-positions-aaf-2024", "before", "ENT2DVA-ENT16_Complet_20240916_EtabEducNat_0000.xml"), func(r *Request) error {
		st, err = DecodeStructure(r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.UAI != "0123456A" || st.Name != "CLG-CLG INTEGRATION-PARIS" || st.TypeCode != "340" {
		t.Errorf("structure = %+v", st)
	}
	if sum.Header["versionAF"] != "AAF-VE2407" || sum.Header["degre"] != "2D" || sum.Header["dateGenerationExport"] != "16/09/2024" {
		t.Errorf("header = %v", sum.Header)
	}
	fun := func() []Function {
		s, _ := DecodeStaff(parseRef(t, "entcore-tests-positions-aaf-2024", "before", "ENT2DVA-ENT16_Complet_20240916_PersEducNat_0000.xml")[0])
		return s.Functions
	}()
	want := []Function{
		{"43", "DIR", "DIRECTION", "D0011", "CHEF D'ETABLISSEMENT ADJOINT"},
		{"43", "AEH", "ACCOMPAGNEMENT", "D0021", "ACCOMPAGNEMENT ELEVES SITUATION HANDICAP"},
	}
	if fmt.Sprint(fun) != fmt.Sprint(want) {
		t.Errorf("functions = %+v", fun)
	}
}

func TestReferenceSpringboard(t *testing.T) {
	dir := "springboard-plugin-aaf-duplicates-test"
	files, err := ListDir(sharedref.Path(t, "aaf", dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 || files[0].Name.Category != CategoryStructure || !files[0].Name.Date.IsZero() {
		t.Fatalf("files = %+v", files)
	}
	r := parseRef(t, dir, "ENT_Complet_Eleve_0000.xml")[0]
	// <attr name="ENTElevePere"></attr>: present, with no value at all.
	if v, ok := r.Attrs["ENTElevePere"]; !ok || len(v) != 0 {
		t.Errorf("ENTElevePere = %q, present %v", v, ok)
	}
	s, err := DecodeStudent(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Relatives) != 1 || s.Relatives[0].Legal != RespInCharge || s.Relatives[0].Link() != LinkFather {
		t.Errorf("relatives = %+v", s.Relatives)
	}
	if s.SIECLEID != "" || s.MEF != "" || len(s.SubjectLabels) != 12 || len(s.SubjectCodes) != 0 {
		t.Errorf("student = %+v", s)
	}
	if !s.Has(FieldMEF) || !s.Updates(FieldMEF) {
		t.Error("an empty ENTEleveMEF clears the MEF")
	}
	staff := parseRef(t, dir, "ENT_Complet_PersEducNat_0000.xml")
	p, err := DecodeStaff(staff[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ClassTeachings) != 1 || p.ClassTeachings[0] != (Teaching{StructureID: "42", Code: "1TES 2"}) {
		t.Errorf("teachings = %+v", p.ClassTeachings)
	}
	rel := parseRef(t, dir, "ENT_Complet_PersRelEleve_0000.xml")
	if len(rel) != 2 {
		t.Fatalf("%d relatives", len(rel))
	}
	for _, r := range rel {
		if _, err := DecodeRelative(r); err != nil {
			t.Error(err)
		}
	}
	if got := filepath.Base(files[3].Path); got != "ENT_Complet_PersEducNat_0000.xml" {
		t.Errorf("last file = %s, want the staff", got)
	}
}
