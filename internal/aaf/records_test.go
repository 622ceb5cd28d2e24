package aaf

import (
	"reflect"
	"strings"
	"testing"
)

func studentReq(op Op, attrs map[string][]string) *Request {
	return &Request{Op: op, Category: CategoryStudent, ID: "5000001", Line: 12, Attrs: attrs}
}

func TestDecodeStudentErrors(t *testing.T) {
	names := map[string][]string{AttrLastName: {"TALOBA"}, AttrFirstName: {"Elsa"}}
	with := func(k string, v ...string) map[string][]string {
		m := map[string][]string{}
		for n, vs := range names {
			m[n] = vs
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		req  *Request
		want []string
	}{
		{"missing first name", studentReq(OpAdd, map[string][]string{AttrLastName: {"TALOBA"}}), []string{"prénom manquant", "ligne 12", "identifiant 5000001", "TALOBA"}},
		{"two last names", studentReq(OpAdd, with(AttrLastName, "A", "B")), []string{"plusieurs valeurs", "sn"}},
		{"bad birth date", studentReq(OpAdd, with(AttrBirthDate, "31/02/2009")), []string{"ENTPersonDateNaissance", "31/02/2009", "TALOBA Elsa"}},
		{"bad class", studentReq(OpAdd, with(AttrClasses, "50001")), []string{"classe ou groupe", "50001"}},
		{"bad relative", studentReq(OpAdd, with(AttrRelatives, "7000002$10")), []string{"parties"}},
		{"bad class date", studentReq(OpAdd, with(AttrClassEntries, "50001$2025-13-01$2ND1")), []string{"date"}},
		{"wrong category", &Request{Op: OpAdd, Category: CategoryStaff, ID: "1", Line: 3}, []string{"PersEducNat", "Eleve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeStudent(tt.req)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestModifyFields checks what a partial modify says about each field.
func TestModifyFields(t *testing.T) {
	s, err := DecodeStudent(studentReq(OpModify, map[string][]string{
		AttrStudentMEF:   {""},             // empty, and empty clears the MEF
		AttrGroups:       {""},             // empty, ignored: groups kept
		AttrClasses:      {"50001$1ERE 2"}, // replaced
		AttrOtherNames:   {},               // present without value, ignored
		AttrSubjectCodes: {"", "030201"},   // one value
		AttrINE:          {"999000001HA"},  // replaced
	}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f            Field
		has, updates bool
	}{
		{FieldMEF, true, true},
		{FieldGroups, true, false},
		{FieldClasses, true, true},
		{FieldOtherNames, true, false},
		{FieldSubjectCodes, true, true},
		{FieldINE, true, true},
		{FieldLastName, false, false},
		{FieldRelatives, false, false},
		{FieldBirthDate, false, false},
	}
	for _, tt := range tests {
		if s.Has(tt.f) != tt.has || s.Updates(tt.f) != tt.updates {
			t.Errorf("field %b: Has = %v, Updates = %v; want %v, %v", tt.f, s.Has(tt.f), s.Updates(tt.f), tt.has, tt.updates)
		}
	}
	if !reflect.DeepEqual(s.SubjectCodes, []string{"030201"}) || s.Groups != nil {
		t.Errorf("student = %+v", s)
	}
}

// TestFirstDegreeAttributes decodes the AAF 1D names (ONDE-fed files).
func TestFirstDegreeAttributes(t *testing.T) {
	s, err := DecodeStudent(studentReq(OpAdd, map[string][]string{
		AttrLastName1D:   {"TALOBA"},
		AttrFirstName1D:  {"Noé"},
		AttrCivility1D:   {"M."},
		AttrClasses1D:    {"0860001A$$$CL12$CM1-CM2 B"},
		AttrParentalAuth: {"7000002$1", "7000003"},
		AttrLevel1D:      {"CM1"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []RelativeLink{{RelativeID: "7000002", Legal: RespLegal}, {RelativeID: "7000003", Legal: RespLegal}}
	if s.LastName != "TALOBA" || s.FirstName != "Noé" || s.Civility != "M." || s.Level != "CM1" ||
		!reflect.DeepEqual(s.Classes, []Membership{{StructureID: "0860001A", Code: "CL12", Label: "CM1-CM2 B"}}) ||
		!reflect.DeepEqual(s.Relatives, want) {
		t.Fatalf("student = %+v", s)
	}
}

func TestDecodeOthersRequireNames(t *testing.T) {
	if _, err := DecodeRelative(&Request{Op: OpAdd, Category: CategoryRelative, ID: "1", Attrs: map[string][]string{AttrFirstName: {"Léna"}}}); err == nil || !strings.Contains(err.Error(), "nom manquant") {
		t.Errorf("relative without name: %v", err)
	}
	if _, err := DecodeStaff(&Request{Op: OpAdd, Category: CategoryStaff, ID: "1", Attrs: map[string][]string{AttrTeaches: {"peut-être"}, AttrLastName: {"X"}}}); err == nil || !strings.Contains(err.Error(), "O ou N") {
		t.Errorf("staff with a bad flag: %v", err)
	}
	if _, err := DecodeStructure(&Request{Op: OpAdd, Category: CategoryStructure, ID: "1", Attrs: map[string][]string{AttrStructName: {"LP"}}}); err == nil || !strings.Contains(err.Error(), "UAI manquant") {
		t.Errorf("structure without UAI: %v", err)
	}
	// A modify need not repeat the names.
	if _, err := DecodeStructure(&Request{Op: OpModify, Category: CategoryStructure, ID: "1", Attrs: map[string][]string{AttrStructName: {"LP"}}}); err != nil {
		t.Errorf("modify of a structure's name: %v", err)
	}
	st, err := DecodeStructure(&Request{Op: OpAdd, Category: CategoryStructure, ID: "1", Attrs: map[string][]string{AttrUAI: {""}, AttrOldUAI: {"0860012w"}}})
	if err != nil || st.UAI != "0860012W" {
		t.Errorf("UAI from ENTEtablissementUAI: %+v, %v", st, err)
	}
}
