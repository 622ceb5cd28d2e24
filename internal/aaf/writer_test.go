package aaf

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// writeDelta writes the delta test file: one add, one modify replacing two
// attributes (one of them cleared), one delete.
func writeDelta(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, CategoryStudent)
	add := genStudent(1)
	if err := w.Write(add.Request()); err != nil {
		t.Fatal(err)
	}
	mod := &Student{
		Record:    Record{Op: OpModify, ID: "5000002", Fields: FieldMEF | FieldClasses},
		MEF:       "", // cleared: ENTEleveMEF is emptied by an empty value
		Classes:   []Membership{{StructureID: "50002", Code: "1ERE 2"}},
		LastName:  "IGNORED", // not in Fields: not written
		FirstName: "Ignoré",
	}
	if err := w.Write(mod.Request()); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete("5000003"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Count() != 3 {
		t.Fatalf("Count = %d, want 3", w.Count())
	}
	return buf.Bytes()
}

func TestWriterGoldenDelta(t *testing.T) {
	got := writeDelta(t)
	golden := filepath.Join("testdata", "ENT_Delta_20250902_Eleve_0000.xml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("writer output differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

// TestDeltaFile reads the delta test file back: each operation is seen
// with the attributes it carries.
func TestDeltaFile(t *testing.T) {
	var reqs []*Request
	sum, err := ParseFile(filepath.Join("testdata", "ENT_Delta_20250902_Eleve_0000.xml"), func(r *Request) error {
		reqs = append(reqs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Adds != 1 || sum.Modifies != 1 || sum.Deletes != 1 || sum.Header["versionAF"] != VersionAF {
		t.Fatalf("summary = %+v", sum)
	}
	add, err := DecodeStudent(reqs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := genStudent(1)
	if add.LastName != want.LastName || add.INE != want.INE || len(add.Relatives) != 2 || add.Relatives[0] != want.Relatives[0] {
		t.Fatalf("add decoded as %+v", add)
	}

	mod, err := DecodeStudent(reqs[1])
	if err != nil {
		t.Fatal(err)
	}
	if mod.Op != OpModify || mod.ID != "5000002" {
		t.Fatalf("modify = %+v", mod.Record)
	}
	if len(reqs[1].Attrs) != 2 || !reqs[1].Has(AttrStudentMEF) || !reqs[1].Has(AttrClasses) {
		t.Fatalf("modify carries %v, want ENTEleveMEF and ENTEleveClasses only", reqs[1].Attrs)
	}
	for _, c := range []struct {
		f            Field
		has, updates bool
		what         string
	}{
		{FieldMEF, true, true, "an empty ENTEleveMEF clears the MEF"},
		{FieldClasses, true, true, "classes replaced"},
		{FieldLastName, false, false, "name untouched"},
		{FieldINE, false, false, "INE untouched"},
	} {
		if mod.Has(c.f) != c.has || mod.Updates(c.f) != c.updates {
			t.Errorf("%s: Has = %v, Updates = %v", c.what, mod.Has(c.f), mod.Updates(c.f))
		}
	}
	if !reflect.DeepEqual(mod.Classes, []Membership{{StructureID: "50002", Code: "1ERE 2"}}) {
		t.Errorf("classes = %+v", mod.Classes)
	}

	del, err := DecodeStudent(reqs[2])
	if err != nil {
		t.Fatal(err)
	}
	if del.Op != OpDelete || del.ID != "5000003" || del.Fields != 0 {
		t.Fatalf("delete = %+v", del.Record)
	}
}

func TestWriterRefuses(t *testing.T) {
	tests := []struct {
		name string
		req  *Request
		want string
	}{
		{"unknown attribute", &Request{Op: OpAdd, Category: CategoryStudent, ID: "1", Attrs: map[string][]string{"ENTEleveInconnu": {"x"}}}, "attribut inconnu"},
		{"other category", &Request{Op: OpAdd, Category: CategoryStaff, ID: "1", Attrs: map[string][]string{AttrLastName: {"x"}}}, "catégorie"},
		{"no id", &Request{Op: OpAdd, Category: CategoryStudent, Attrs: map[string][]string{AttrLastName: {"x"}}}, "sans identifiant"},
		{"add without attributes", &Request{Op: OpAdd, Category: CategoryStudent, ID: "1"}, "sans attribut"},
		{"delete with attributes", &Request{Op: OpDelete, Category: CategoryStudent, ID: "1", Attrs: map[string][]string{AttrLastName: {"x"}}}, "ne porte pas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWriter(&bytes.Buffer{}, CategoryStudent)
			err := w.Write(tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWriterEmptyFileIsValid(t *testing.T) {
	var buf bytes.Buffer
	if err := NewWriter(&buf, CategoryStructure).Close(); err != nil {
		t.Fatal(err)
	}
	sum, err := Parse(&buf, func(*Request) error { t.Fatal("a request in an empty file"); return nil })
	if err != nil || sum.Requests() != 0 {
		t.Fatalf("sum = %+v, err = %v", sum, err)
	}
}

func TestWriterEscapes(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, CategorySubject)
	label := `ARTS & "CULTURE" <L'ÉCOLE>` + "\tÉTÉ"
	if err := w.Write((&Subject{Record: Record{ID: "009800"}, Label: label}).Request()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got string
	_, err := Parse(&buf, func(r *Request) error {
		s, err := DecodeSubject(r)
		got = s.Label
		return err
	})
	if err != nil || got != label {
		t.Fatalf("label read back as %q (err %v), want %q", got, err, label)
	}
}

// TestTypedRoundTrip writes each typed record and reads it back.
func TestTypedRoundTrip(t *testing.T) {
	roundTrip := func(t *testing.T, c Category, req *Request) *Request {
		t.Helper()
		var buf bytes.Buffer
		w := NewWriter(&buf, c)
		if err := w.Write(req); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var got *Request
		if _, err := Parse(&buf, func(r *Request) error { got = r; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	clean := func(r *Record) { r.Fields, r.empty, r.clear, r.Line = 0, 0, 0, 0 }

	t.Run("student", func(t *testing.T) {
		want := genStudent(42)
		got, err := DecodeStudent(roundTrip(t, CategoryStudent, want.Request()))
		if err != nil {
			t.Fatal(err)
		}
		clean(&got.Record)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("relative", func(t *testing.T) {
		want := genRelative(7)
		want.AddressPublic = true
		want.Email = "responsable@example.org"
		got, err := DecodeRelative(roundTrip(t, CategoryRelative, want.Request()))
		if err != nil {
			t.Fatal(err)
		}
		clean(&got.Record)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("staff", func(t *testing.T) {
		want := &Staff{
			Record:         Record{ID: "2397000"},
			LastName:       "TALOBA",
			FirstName:      "Elsa",
			Civility:       "Mme",
			Structures:     []string{"50001"},
			Functions:      []Function{{"50001", "ENS", "ENSEIGNEMENT", "L0202", "LETTRES MODERNES"}, {"50001", "DIR", "", "", ""}},
			ClassTeachings: []Teaching{{"50001", "2ND1", "020700"}, {"50001", "1TES 2", ""}},
			GroupTeachings: []Teaching{{"50001", "G2ND1", "030201"}},
			HeadTeacherOf:  []Membership{{StructureID: "50001", Code: "2ND1"}},
			MEFs:           []StaffMEF{{"50001", "24731004110", "2NDPRO MRC"}},
			Teaches:        true,
			IsTeacher:      true,
		}
		got, err := DecodeStaff(roundTrip(t, CategoryStaff, want.Request()))
		if err != nil {
			t.Fatal(err)
		}
		clean(&got.Record)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("structure", func(t *testing.T) {
		want := &Structure{Record: Record{ID: "50001"}, UAI: "0860012W", Name: "LP TEST-POITIERS", Type: "LYCEE PROFESSIONNEL", TypeCode: "320", Contract: "PU", Academy: "POITIERS"}
		req := roundTrip(t, CategoryStructure, want.Request())
		if req.Attrs[AttrOldUAI][0] != "0860012W" {
			t.Fatalf("ENTEtablissementUAI not written: %v", req.Attrs)
		}
		got, err := DecodeStructure(req)
		if err != nil {
			t.Fatal(err)
		}
		clean(&got.Record)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("mef", func(t *testing.T) {
		want := &MEF{Record: Record{ID: "24731004110"}, Label: "2NDPRO MRC", Attached: "24731004110", Stat: "23830010001"}
		got, err := DecodeMEF(roundTrip(t, CategoryMEF, want.Request()))
		if err != nil {
			t.Fatal(err)
		}
		clean(&got.Record)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
}
