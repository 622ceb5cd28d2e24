package siecle

import (
	"archive/zip"
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/xmlfile"
)

// Write then read gives the same records, through the plain XML and
// through the ZIP that SIECLE delivers.
func TestWriteStudentsRoundTrip(t *testing.T) {
	want := synthFile(120)
	var plain, zipped bytes.Buffer
	if err := WriteStudents(&plain, want); err != nil {
		t.Fatal(err)
	}
	if err := WriteStudentsZip(&zipped, want); err != nil {
		t.Fatal(err)
	}
	rc, err := xmlfile.Open(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for name, r := range map[string]io.Reader{"xml": &plain, "zip": rc} {
		t.Run(name, func(t *testing.T) {
			got, err := ReadStudents(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rejects) != 0 {
				t.Fatalf("rejects: %v", got.Rejects)
			}
			if got.Header != want.Header {
				t.Errorf("header = %+v, want %+v", got.Header, want.Header)
			}
			if len(got.Students) != len(want.Students) {
				t.Fatalf("%d students, want %d", len(got.Students), len(want.Students))
			}
			for i := range got.Students {
				if got.Students[i].Line == 0 {
					t.Fatalf("student %d has no line", i)
				}
				got.Students[i].Line = 0
				// Compared field by field, so a failure names the field
				// without printing the records (they hold INEs).
				if field := firstDifferentField(got.Students[i], want.Students[i]); field != "" {
					t.Fatalf("student %d (%s): field %s differs after the round trip", i, want.Students[i].Name(), field)
				}
			}
		})
	}
}

// firstDifferentField names the first differing field of two students.
func firstDifferentField(a, b JoinedStudent) string {
	va, vb := reflect.ValueOf(a.Student), reflect.ValueOf(b.Student)
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return va.Type().Field(i).Name
		}
	}
	switch {
	case a.Division != b.Division:
		return "Division"
	case !reflect.DeepEqual(a.Groups, b.Groups):
		return "Groups"
	case !reflect.DeepEqual(a.Options, b.Options):
		return "Options"
	}
	return ""
}

// The written bytes: structure, ISO-8859-15 encoding, escaping, "?" for
// what ISO-8859-15 cannot hold.
func TestWriteStudentsGolden(t *testing.T) {
	f := synthFile(3)
	f.Students[0].LastName = "ŒUVRARD & FILS <SARL>"
	f.Students[0].FirstName = "Łukasz" // Ł is not in ISO-8859-15
	f.Students[0].Previous.Name = "LYCÉE DU 8 MAI"
	f.Students[2].FirstName2 = "Zoë€"
	var buf bytes.Buffer
	if err := WriteStudents(&buf, f); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	golden(t, "eleves_ecrits.xml", out)

	if !bytes.HasPrefix(out, []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<BEE_ELEVES VERSION=\"3.0\">\n")) {
		t.Errorf("prolog and root: %q", out[:80])
	}
	for _, want := range [][]byte{
		[]byte("<NOM_DE_FAMILLE>\xbcUVRARD &amp; FILS &lt;SARL&gt;</NOM_DE_FAMILLE>"), // Œ = 0xBC
		[]byte("<PRENOM>?ukasz</PRENOM>"),
		[]byte("<PRENOM2>Zo\xeb\xa4</PRENOM2>"), // ë = 0xEB, € = 0xA4
		[]byte("<DATE_NAISS>01/01/2008</DATE_NAISS>"),
		[]byte("<CODE_STRUCTURE>2 MRC A</CODE_STRUCTURE>"),
	} {
		if !bytes.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	got, err := ReadStudents(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Students[0]; s.LastName != "ŒUVRARD & FILS <SARL>" || s.FirstName != "?ukasz" {
		t.Errorf("read back %q %q", s.LastName, s.FirstName)
	}
	if got.Students[2].FirstName2 != "Zoë€" {
		t.Errorf("read back %q", got.Students[2].FirstName2)
	}
}

func TestWriteStudentsRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *StudentsFile)
		want   []string
	}{
		{"bad UAJ", func(f *StudentsFile) { f.Header.UAJ = "0860012X" }, []string{"en-tête", "lettre de contrôle"}},
		{"no year", func(f *StudentsFile) { f.Header.Year = 0 }, []string{"année scolaire 0"}},
		{"no ELEVE_ID", func(f *StudentsFile) { f.Students[1].EleveID = "" }, []string{"élève n° 2", "ELEVE_ID absent"}},
		{"no first name", func(f *StudentsFile) { f.Students[0].FirstName = "" }, []string{"élève n° 1", "ELEVE_ID 5000000", "nom et prénom"}},
		{"unknown sex", func(f *StudentsFile) { f.Students[0].Sex = "X" }, []string{"sexe \"X\""}},
		{"empty group", func(f *StudentsFile) { f.Students[0].Groups = []string{""} }, []string{"groupe sans code"}},
		{"option without subject", func(f *StudentsFile) { f.Students[0].Options = []Option{{Rank: 1}} }, []string{"option sans matière"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := synthFile(3)
			tt.change(f)
			var buf bytes.Buffer
			err := WriteStudents(&buf, f)
			wantInvalid(t, err, tt.want...)
			noLeak(t, err.Error(), f.Students[0].IDNational.Value(), f.Students[1].IDNational.Value())
			if buf.Len() != 0 {
				t.Error("bytes were written before the refusal")
			}
		})
	}
	wantInvalid(t, WriteStudents(io.Discard, nil), "aucun fichier")
	wantInvalid(t, WriteStudentsZip(io.Discard, nil), "aucun fichier")
}

func TestWriteStudentsZip(t *testing.T) {
	f := synthFile(5)
	var a, b bytes.Buffer
	if err := WriteStudentsZip(&a, f); err != nil {
		t.Fatal(err)
	}
	if err := WriteStudentsZip(&b, f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same file gave different ZIP bytes")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "ElevesSansAdresses.xml" || zr.File[0].Method != zip.Deflate {
		t.Fatalf("members = %+v", zr.File)
	}
	// ZIP times carry no zone: compare the wall clock.
	const layout = "2006-01-02 15:04:05"
	if got, want := zr.File[0].Modified.Format(layout), f.Header.Timestamp.Format(layout); got != want {
		t.Errorf("member dated %s, want the export timestamp %s", got, want)
	}
}

// A student with nothing optional comes back the same: empty fields are
// left out, not written empty.
func TestWriteStudentsMinimal(t *testing.T) {
	f := &StudentsFile{Header: Header{UAJ: "0860012W", Year: 2025}, Students: []JoinedStudent{
		{Student: Student{EleveID: "1", LastName: "MARTIN", FirstName: "Zoé"}},
	}}
	var buf bytes.Buffer
	if err := WriteStudents(&buf, f); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"ID_NATIONAL", "DATE_SORTIE", "SCOLARITE_AN_DERNIER", "OPTION ", "STRUCTURES_ELEVE", "HORODATAGE", "ELENOET"} {
		if strings.Contains(buf.String(), absent) {
			t.Errorf("output holds %s for an empty value:\n%s", absent, buf.String())
		}
	}
	got, err := ReadStudents(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got.Students[0].Line = 0
	if !reflect.DeepEqual(got.Students, f.Students) || !got.Header.Timestamp.Equal(time.Time{}) {
		t.Errorf("read back %+v", got.Students)
	}
	if !got.Students[0].IDNational.IsZero() || got.Students[0].IDNational != (ident.INE{}) {
		t.Error("an absent INE must read back as the zero INE")
	}
}
