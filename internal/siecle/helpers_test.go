package siecle

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/sharedref"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking the change):\n%s", path, firstDiff(got, want))
	}
}

// firstDiff shows the first differing line, to keep failures readable.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "(same lines, different bytes)"
}

// asJSON is the golden form of a parse result. ident.INE marshals masked, so
// golden files show where an INE is without holding it.
func asJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func openRef(t *testing.T, elem ...string) *os.File {
	t.Helper()
	f, err := os.Open(sharedref.Path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func openTestdata(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// wantInvalid checks that err is a KindInvalid error whose message holds
// every part of want.
func wantInvalid(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if k := sillage.KindOf(err); k != sillage.KindInvalid {
		t.Errorf("kind = %v, want invalid (err: %v)", k, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// noLeak fails when s holds one of the INEs.
func noLeak(t *testing.T, s string, ines ...string) {
	t.Helper()
	for _, ine := range ines {
		if ine != "" && strings.Contains(s, ine) {
			t.Errorf("an INE leaked into %q", s)
		}
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// synthFile builds n invented students, deterministic, with valid-shaped
// synthetic INEs (prefix 999), accents, exits, groups and options.
func synthFile(n int) *StudentsFile {
	last := []string{"MARTIN", "LÉGER", "N'DIAYE", "ŒUVRARD", "DUPONT-MOREAU", "GARCÍA", "LEFÈVRE", "NGUYEN", "BÉNARD", "ÇAKIR"}
	first := []string{"Zoé", "Noé", "Aïssatou", "Léa", "Maël", "Inès", "Chloé", "Jérôme", "Anaïs", "Théo"}
	divisions := []string{"2 MRC A", "2 MRC B", "1 AGORA", "T MELEC", "3 A"}
	f := &StudentsFile{Header: Header{
		UAJ: "0860012W", Year: 2025,
		ExportDate: date(2025, 9, 12),
		Timestamp:  time.Date(2025, 9, 12, 8, 15, 2, 0, time.UTC),
	}}
	for i := range n {
		s := JoinedStudent{Student: Student{
			EleveID:    fmt.Sprintf("%d", 5000000+i),
			Elenoet:    fmt.Sprintf("%d", 1000+i),
			IDNational: ident.RawINE(fmt.Sprintf("999%06dAB", i)),
			INERNIE:    ident.RawINE(fmt.Sprintf("999%06dAB", i)),
			LastName:   last[i%len(last)],
			FirstName:  first[(i/len(last))%len(first)],
			BirthDate:  date(2008+i%4, time.Month(1+i%12), 1+i%28),
			Sex:        []string{"M", "F"}[i%2],
			MEF:        "24024002210",
			Status:     "ST",
			EntryDate:  date(2024, 9, 2),
		}}
		if i%3 == 0 {
			s.INEBEA = ident.RawINE(beaINE(i))
		}
		if i%7 == 0 {
			s.UsageName = "MARTIN"
			s.FirstName2 = "Marie"
		}
		if i%50 == 0 {
			s.ExitDate = date(2025, 3, 14)
			s.ExitReason = "42"
		}
		if i%4 == 0 {
			s.Previous = &PreviousSchooling{MEF: "10310019110", Division: "3 A", UAI: "0860001J", Denomination: "COLLEGE", Name: "DES TROIS CITÉS"}
		}
		s.Division = divisions[i%len(divisions)]
		if i%2 == 0 {
			s.Groups = []string{"_" + strings.ReplaceAll(s.Division, " ", "") + "_G1", "AP-ANG"}
		}
		if i%3 != 2 {
			s.Options = []Option{{Rank: 1, Modality: "O", Subject: "030201"}, {Rank: 2, Modality: "F", Subject: "061300"}}
		}
		f.Students = append(f.Students, s)
	}
	return f
}

// beaINE is a synthetic INE of the older BEA form: 10 digits and the check
// letter of the first ten digits modulo 23.
func beaINE(i int) string {
	digits := fmt.Sprintf("999%07d", i)
	var n int64
	for _, c := range digits {
		n = n*10 + int64(c-'0')
	}
	return digits + string("ABCDEFGHJKLMNPRSTUVWXYZ"[n%23])
}
