package directory_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

var bom = []byte("\xEF\xBB\xBF")

// withBOM returns data as UTF-8 with a byte order mark: a Latin-declared
// XML file is re-encoded and its prolog says UTF-8, as a text editor saving
// "UTF-8 with BOM" does.
func withBOM(t *testing.T, data []byte, latin bool) []byte {
	t.Helper()
	if latin {
		s := decodeLatin9(t, data)
		s = strings.Replace(s, `encoding="ISO-8859-15"`, `encoding="UTF-8"`, 1)
		data = []byte(s)
	}
	return append(append([]byte(nil), bom...), data...)
}

// TestByteOrderMarkEveryImporter: a UTF-8 file with a BOM is read by every
// XML and CSV importer, and gives what the file without it gives.
func TestByteOrderMarkEveryImporter(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		e.establishment(genEcole, sillage.KindEcole)
		ctx := context.Background()
		opts := directory.Options{UAI: scenarioUAI}
		tests := []struct {
			name string
			run  func(data []byte) (*directory.Report, error)
			data []byte
		}{
			{"siecle", func(d []byte) (*directory.Report, error) { return e.im.SIECLE(ctx, bytes.NewReader(d), opts) },
				withBOM(t, readFile(t, testdata("siecle_0860012W_1.xml")), true)},
			{"sts", func(d []byte) (*directory.Report, error) { return e.im.STS(ctx, bytes.NewReader(d), opts) },
				withBOM(t, readFile(t, testdata("sts_emp_0860012W_2025.xml")), true)},
			{"responsables", func(d []byte) (*directory.Report, error) {
				return e.im.Responsables(ctx, bytes.NewReader(d), directory.Options{UAI: "0140070A", ConfirmOldFile: true})
			}, append(append([]byte(nil), bom...), readFile(t, ref(t, "siecle", "fixtures_dossiersco", "responsables_avec_adresses_simple.xml"))...)},
			{"onde", func(d []byte) (*directory.Report, error) {
				return e.im.ONDE(ctx, bytes.NewReader(d), directory.Options{UAI: genEcole})
			}, genFile{uai: genEcole, year: 2025, students: genStudents(rand.New(rand.NewPCG(9, 9)), 6), bom: true}.ondeCSVOf()},
		}
		e.establishment("0140070A", sillage.KindCollege)
		ok(t)(e.siecle(testdata("siecle_0140070A.xml"), "0140070A", oldFile))
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if !bytes.HasPrefix(tt.data, bom) {
					t.Fatal("the test file has no BOM")
				}
				rep, err := tt.run(tt.data)
				if err != nil {
					t.Fatalf("file with a BOM: %v", err)
				}
				if !rep.Status.Applied() || len(rep.Rejects) != 0 || !rep.Changed() {
					t.Errorf("status %s, rejects %+v, changed %v", rep.Status, rep.Rejects, rep.Changed())
				}
			})
		}
		// The accented names went in as they are.
		names := map[string]bool{}
		for _, s := range students(t, st, scenarioUAI) {
			names[s.FullName()] = true
		}
		if !names["LEFÈVRE Noé"] || !names["PETIT Zoé"] {
			t.Errorf("names stored %v", names)
		}
	})
	// AAF: the same requests with and without a BOM.
	src := ref(t, "aaf", "entcore-feeder-aaf-test", "FULL_ENTTSSERVICES_Complet_20130117_Eleve_0001.xml")
	count := func(path string) int {
		t.Helper()
		sum, err := aaf.ParseFile(path, func(*aaf.Request) error { return nil })
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(path), err)
		}
		return sum.Requests()
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, append(append([]byte(nil), bom...), readFile(t, src)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if a, b := count(src), count(dst); a != b || a == 0 {
		t.Errorf("AAF: %d requests without BOM, %d with", a, b)
	}
}

// TestWrongEncodingRefused: a file declared ISO-8859-15 whose bytes are
// UTF-8, or that carries Windows-1252 bytes, is refused with its first
// line and nothing is written; an ONDE extraction that mixes encodings
// likewise. docs/imports.md, "Encodages".
func TestWrongEncodingRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		e.establishment(genEcole, sillage.KindEcole)
		ctx := context.Background()
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		siecleFile := readFile(t, testdata("siecle_0860012W_3.xml"))
		utf8Body := []byte(decodeLatin9(t, siecleFile)) // declared ISO-8859-15, bytes UTF-8
		lineOf := func(data []byte, needle string) int {
			i := bytes.Index(data, []byte(needle))
			if i < 0 {
				t.Fatalf("%q not in the file", needle)
			}
			return 1 + bytes.Count(data[:i], []byte("\n"))
		}
		cp1252 := bytes.Replace(siecleFile, []byte("<PRENOM>Paul</PRENOM>"), []byte("<PRENOM>Paul\x92</PRENOM>"), 1)
		stsUTF8 := []byte(decodeLatin9(t, readFile(t, testdata("sts_emp_0860012W_2025.xml"))))
		ondeMixed := genFile{uai: genEcole, year: 2025, students: genStudents(rand.New(rand.NewPCG(9, 9)), 6)}.ondeCSVOf()
		ondeMixed = append(ondeMixed, []byte("\"MÜLLER\";;\"Zoé\";\"01/01/2017\";\"F\";;\"CE2\";\"CE2\";\"9\"\r\n")...)
		tests := []struct {
			name string
			run  func() (*directory.Report, error)
			want []string
		}{
			{"siecle utf-8 declared iso-8859-15", func() (*directory.Report, error) {
				return e.im.SIECLE(ctx, bytes.NewReader(utf8Body), directory.Options{UAI: scenarioUAI})
			}, []string{lineRef(lineOf(utf8Body, "é")), "déclare l'encodage ISO-8859-15, mais son contenu est en UTF-8"}},
			{"siecle windows-1252 byte", func() (*directory.Report, error) {
				return e.im.SIECLE(ctx, bytes.NewReader(cp1252), directory.Options{UAI: scenarioUAI})
			}, []string{lineRef(lineOf(cp1252, "Paul\x92")), "octet 0x92"}},
			{"sts utf-8 declared iso-8859-15", func() (*directory.Report, error) {
				return e.im.STS(ctx, bytes.NewReader(stsUTF8), directory.Options{UAI: scenarioUAI})
			}, []string{"mais son contenu est en UTF-8"}},
			{"onde mixed encodings", func() (*directory.Report, error) {
				return e.im.ONDE(ctx, bytes.NewReader(ondeMixed), directory.Options{UAI: genEcole})
			}, []string{lineRef(lineOf(ondeMixed, "MÜLLER")), "mélange deux encodages"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := dump(t, st)
				rep, err := tt.run()
				if sillage.KindOf(err) != sillage.KindInvalid || rep == nil || rep.Status != directory.StatusRefused {
					t.Fatalf("err %v, report %+v: want a refusal", err, rep)
				}
				for _, w := range tt.want {
					if !strings.Contains(rep.Message, w) {
						t.Errorf("message %q lacks %q", rep.Message, w)
					}
				}
				if dump(t, st) != before {
					t.Error("a refused import changed the database")
				}
			})
		}
		for _, s := range students(t, st, scenarioUAI) {
			if strings.ContainsAny(s.FullName(), "Ã\u0092") {
				t.Errorf("mis-decoded name stored: %q", s.FullName())
			}
		}
	})
}

func lineRef(n int) string { return fmt.Sprintf("ligne %d :", n) }

// decodeLatin9 reads ISO-8859-15 bytes.
func decodeLatin9(t *testing.T, data []byte) string {
	t.Helper()
	b, err := charmap.ISO8859_15.NewDecoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
