package directory_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/siecle"
)

var update = flag.Bool("update", false, "rewrite the generated files under testdata")

// The synthetic SIECLE scenario of lycée 0860012W, school year 2025 (the
// test clock is 6 October 2025). Invented students; their INEs are
// synthetic values of the national shapes.
const scenarioUAI = sillage.UAI("0860012W")

// beaINE returns a BEA-form INE (10 digits and the check letter) for n,
// valid or with a wrong letter.
func beaINE(n int, valid bool) string {
	digits := fmt.Sprintf("99%08d", n)
	v, _ := strconv.ParseInt(digits, 10, 64)
	letters := "ABCDEFGHJKLMNPRSTUVWXYZ"
	l := letters[v%23]
	if !valid {
		l = letters[(v+1)%23]
	}
	return digits + string(l)
}

// rnieINE returns an RNIE-form INE (9 digits, 2 letters).
func rnieINE(n int) string { return fmt.Sprintf("998%06dZX", n) }

// scenarioINEs are every INE value the scenario files hold: the privacy
// test looks for each of them everywhere.
var scenarioINEs = []string{rnieINE(1), beaINE(2, true), beaINE(4, false), rnieINE(5), rnieINE(6), rnieINE(7), rnieINE(3), rnieINE(8)}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func scenarioStudent(id, last, first string, birth time.Time, division string) siecle.JoinedStudent {
	return siecle.JoinedStudent{Student: siecle.Student{EleveID: id, LastName: last, FirstName: first, BirthDate: birth, Sex: "F",
		MEF: "24024002210", Status: "ST", EntryDate: day(2025, 9, 1)}, Division: division}
}

// scenarioFiles are the three successive exports of the scenario.
func scenarioFiles() map[string]*siecle.StudentsFile {
	hdr := siecle.Header{UAJ: scenarioUAI, Year: 2025, ExportDate: day(2025, 10, 1), Timestamp: day(2025, 10, 1).Add(9 * time.Hour)}
	// File 1: the first import.
	s1 := scenarioStudent("1001", "MARTIN", "Léa", day(2009, 3, 2), "2 MRC A")
	s1.IDNational = ident.RawINE(rnieINE(1))
	s1.Groups = []string{"AP-ANG"}
	s1.Previous = &siecle.PreviousSchooling{MEF: "10310019110", Division: "3E2", UAI: "0010856A", Denomination: "COLLEGE", Name: "JEAN MOULIN"}
	s2 := scenarioStudent("1002", "DURAND", "Paul", day(2009, 5, 20), "2 MRC A")
	s2.INEBEA = ident.RawINE(beaINE(2, true)) // the old BEA form only
	s2.Previous = &siecle.PreviousSchooling{UAI: string(scenarioUAI), Name: "LP DES ECLUSES"}
	s3 := scenarioStudent("1003", "PETIT", "Zoé", day(2008, 1, 9), "T MELEC") // no INE
	s3.MEF = "24025510310"
	s4 := scenarioStudent("1004", "ROUX", "Hugo", day(2008, 7, 14), "T MELEC")
	s4.INEBEA = ident.RawINE(beaINE(4, false)) // a wrong check letter
	s4.MEF = "24025510310"
	s5 := scenarioStudent("1005", "GARCIA", "Inès", day(2009, 11, 30), "2 MRC A") // left before the first import
	s5.IDNational = ident.RawINE(rnieINE(5))
	s5.ExitDate, s5.ExitReason = day(2025, 9, 15), "12"
	s6 := scenarioStudent("1006", "LEFÈVRE", "Noé", day(2008, 2, 28), "T MELEC") // leaves at the end of the year
	s6.IDNational = ident.RawINE(rnieINE(6))
	s6.ExitDate, s6.ExitReason = day(2026, 6, 30), "31"
	s6.MEF = "24025510310"
	s7 := scenarioStudent("1007", "BERNARD", "Chloé", day(2008, 12, 1), "1 MELEC")
	s7.IDNational = ident.RawINE(rnieINE(7))
	s7.MEF = "24025510320"
	f1 := &siecle.StudentsFile{Header: hdr, Students: []siecle.JoinedStudent{s1, s2, s3, s4, s5, s6, s7}}

	// File 2, a week later: Paul changes division, Zoé got her INE,
	// Noé left early, Chloé is no longer in the export, Jade arrives;
	// Léa's INE is missing from this export (it must not be erased).
	hdr2 := hdr
	hdr2.ExportDate, hdr2.Timestamp = day(2025, 10, 5), day(2025, 10, 5).Add(9*time.Hour)
	s1b := s1
	s1b.IDNational = ident.INE{}
	s2b := s2
	s2b.Division = "1 MELEC"
	s3b := s3
	s3b.IDNational = ident.RawINE(rnieINE(3))
	s6b := s6
	s6b.ExitDate, s6b.ExitReason = day(2025, 10, 3), "14"
	s8 := scenarioStudent("1008", "MOREAU", "Jade", day(2009, 4, 4), "2 MRC A")
	s8.IDNational = ident.RawINE(rnieINE(8))
	s8.Previous = &siecle.PreviousSchooling{UAI: "0010856A", Name: "JEAN MOULIN"}
	f2 := &siecle.StudentsFile{Header: hdr2, Students: []siecle.JoinedStudent{s1b, s2b, s3b, s4, s5, s6b, s8}}

	// File 3: Chloé comes back.
	f3 := &siecle.StudentsFile{Header: hdr2, Students: []siecle.JoinedStudent{s1b, s2b, s3b, s4, s5, s6b, s8, s7}}
	// The students the reference Responsables fixture of 0140070A names.
	r1 := scenarioStudent("610308", "ROCK", "Lou", day(2008, 6, 1), "3A")
	r2 := scenarioStudent("610305", "LOVELACE", "Ana", day(2008, 9, 12), "3A")
	r3 := scenarioStudent("610399", "HOPPER", "Grace", day(2008, 12, 9), "3B")
	hdrR := siecle.Header{UAJ: "0140070A", Year: 2018, ExportDate: day(2019, 6, 5)}
	fr := &siecle.StudentsFile{Header: hdrR, Students: []siecle.JoinedStudent{r1, r2, r3}}
	return map[string]*siecle.StudentsFile{
		"siecle_0140070A.xml":   fr,
		"siecle_0860012W_1.xml": f1,
		"siecle_0860012W_2.xml": f2,
		"siecle_0860012W_3.xml": f3,
	}
}

// ONDE pupils of école 0860001J: two extractions.
var ondeINEs = []string{"997000101AB", "997000102CD", "99700010"}

func ondeFiles() map[string][]byte {
	head := "Nom élève;Nom d'usage élève;Prénom élève;Date naissance;Sexe;INE;Niveau;Libellé classe;Identifiant classe\r\n"
	f1 := head + `"LÉGER";;"Zoé";"03/02/2016";"F";"997000101AB";"CE2";"CE2 Mme Béranger";"70001"` + "\r\n" +
		`"N'DIAYE";"MARTIN";"Aïssatou";"17/11/2015";"F";"997000102CD";"CM1";"CM1-CM2 M. Oudin";"70002"` + "\r\n" +
		`"OEUVRARD";;"Noé";"29/02/2016";"M";;"CE2";"CE2 Mme Béranger";"70001"` + "\r\n" +
		`"DUPONT";;"Léa";"12/06/2014";"F";"99700010";;"ULIS École";"70003"` + "\r\n"
	// A year later: Zoé's name corrected (found by her INE), Aïssatou
	// changes class, Noé (no INE) is found by his key, Léa has left.
	f2 := head + `"LEGER";;"Zoé";"03/02/2016";"F";"997000101AB";"CM1";"CM1-CM2 M. Oudin";"70002"` + "\r\n" +
		`"N'DIAYE";"MARTIN";"Aïssatou";"17/11/2015";"F";"997000102CD";"CM2";"CM1-CM2 M. Oudin";"70002"` + "\r\n" +
		`"OEUVRARD";;"Noé";"29/02/2016";"M";;"CM1";"CM1-CM2 M. Oudin";"70002"` + "\r\n"
	latin1 := func(s string) []byte {
		b, err := charmap.ISO8859_1.NewEncoder().String(s)
		if err != nil {
			panic(err)
		}
		return []byte(b)
	}
	return map[string][]byte{"onde_0860001J_1.csv": latin1(f1), "onde_0860001J_2.csv": latin1(f2)}
}

// TestGeneratedTestdata keeps the synthetic files of testdata in step with
// their definitions here (go test -run TestGeneratedTestdata -update
// rewrites them).
func TestGeneratedTestdata(t *testing.T) {
	for name, f := range scenarioFiles() {
		var buf bytes.Buffer
		if err := siecle.WriteStudents(&buf, f); err != nil {
			t.Fatal(err)
		}
		checkGenerated(t, name, buf.Bytes())
	}
	for name, data := range ondeFiles() {
		checkGenerated(t, name, data)
	}
}

func checkGenerated(t *testing.T, name string, data []byte) {
	t.Helper()
	path := testdata(name)
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestGeneratedTestdata -update)", err)
	}
	if !bytes.Equal(have, data) {
		t.Errorf("%s is not what the test defines (go test -run TestGeneratedTestdata -update)", path)
	}
}
