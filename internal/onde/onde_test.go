package onde

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/sharedref"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
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
		t.Errorf("output differs from %s; run go test -update after checking the change", path)
	}
}

func openRef(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(sharedref.Path(t, "onde", "be1d_entcore_sample", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestReadPupilsBE1DReference(t *testing.T) {
	f, err := ReadPupils(openRef(t, "CSVExtraction-eleves.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != FormatBE1D || len(f.Pupils) != 247 || len(f.Rejects) != 0 {
		t.Fatalf("format %v, %d pupils, %d rejects; want BE1D, 247, 0", f.Format, len(f.Pupils), len(f.Rejects))
	}
	first := f.Pupils[0]
	if first.Row != 2 || first.Name() != "BELMAHDI Mathilde" || !first.BirthDate.Equal(date(2006, 8, 17)) ||
		first.Sex != "F" || first.Cycle != "CYCLE II" || first.Level != "CE1" || first.ClassLabel != "CE1" {
		t.Errorf("first pupil = %+v", first)
	}
	// Latin-1 accents; the header " Cycle" has a leading space.
	if p := f.Pupils[2]; p.FirstName != "Eléa" || p.Cycle != "CYCLE II" {
		t.Errorf("third pupil = %+v", p)
	}
	if last := f.Pupils[246]; last.Row != 248 || last.Name() != "VALIER-BRASIER Pauline" || last.Level != "TPS" {
		t.Errorf("last pupil = %+v", last)
	}
	sexes := map[string]int{}
	classes := map[string]int{}
	for _, p := range f.Pupils {
		sexes[p.Sex]++
		classes[p.ClassLabel]++
		if !p.INE.IsZero() || p.ClassID != "" {
			t.Fatalf("BE1D has no INE and no class id (row %d)", p.Row)
		}
	}
	// Counted independently from the file ("H" is read as M).
	if sexes["F"] != 137 || sexes["M"] != 110 {
		t.Errorf("sexes = %v, want 137 F and 110 M", sexes)
	}
	if classes["CLIS"] != 21 || classes["CE1"] != 28 || classes["TPS"] != 23 {
		t.Errorf("classes = %v", classes)
	}
}

func TestReadTeachersReference(t *testing.T) {
	f, err := ReadTeachers(openRef(t, "CSVExtraction-enseignants.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Teachers) != 14 || len(f.Rejects) != 0 {
		t.Fatalf("%d teachers, %d rejects; want 14 and 0", len(f.Teachers), len(f.Rejects))
	}
	var directors []string
	for _, tc := range f.Teachers {
		if tc.Director {
			directors = append(directors, fmt.Sprintf("%s %s line %d", tc.Name(), tc.Class, tc.Row))
		}
	}
	if want := []string{"PALLISE Martine CM2 line 11"}; !slices.Equal(directors, want) {
		t.Errorf("directors = %q, want %q", directors, want)
	}
	// The file has no final line break: the last row must not be lost.
	if last := f.Teachers[13]; last.Name() != "PIRES Rachelle" || last.Civility != "MME" || last.Class != "TPS" || last.Row != 15 {
		t.Errorf("last teacher = %+v", last)
	}
	if tc := f.Teachers[7]; tc.Name() != "O BRIEN Brian" || tc.Civility != "M." || tc.Class != "CLIS" {
		t.Errorf("eighth teacher = %+v", tc)
	}
}

func TestReadGuardiansReference(t *testing.T) {
	f, err := ReadGuardians(openRef(t, "CSVExtraction-responsables.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Guardians) != 469 || len(f.Rejects) != 0 {
		t.Fatalf("%d guardians, %d rejects; want 469 and 0", len(f.Guardians), len(f.Rejects))
	}
	children := 0
	for _, g := range f.Guardians {
		children += len(g.Children)
		if g.Civility != "M." && g.Civility != "Mme" {
			t.Errorf("row %d: civility %q", g.Row, g.Civility)
		}
	}
	if children != 491 { // counted independently from the file
		t.Errorf("%d children, want 491", children)
	}
	g := f.Guardians[0]
	wantChildren := []Child{
		{LastName: "MARTINEZ", FirstName: "Alexandre", Class: "CE2"},
		{LastName: "MARTINEZ", FirstName: "Marjolaine", Class: "CM1"},
		{LastName: "DRAHONNET", FirstName: "Cassandra", Class: "CP"},
	}
	if g.Row != 2 || g.Name() != "ADJIBEL Corinne" || g.PostalCode != "61000" || g.Town != "Alençon" || !slices.Equal(g.Children, wantChildren) {
		t.Errorf("first guardian = %+v", g)
	}
	if last := f.Guardians[468]; last.Row != 470 || last.Town != "Condé sur Sarthe" || len(last.Children) != 1 {
		t.Errorf("last guardian = %+v", last)
	}
}

func TestReadPupilsONDE(t *testing.T) {
	f, err := ReadPupils(bytes.NewReader(readTestdata(t, "CSVExtraction.csv")))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "CSVExtraction.json", f)
	if f.Format != FormatONDE {
		t.Errorf("format = %v", f.Format)
	}
	var got []string
	for _, p := range f.Pupils {
		got = append(got, fmt.Sprintf("%d %s %s %s %s %q %q %s", p.Row, p.Name(), p.BirthDate.Format(time.DateOnly), p.Sex, p.INE.Value(), p.Level, p.ClassLabel, p.ClassID))
	}
	want := []string{
		`2 LÉGER Zoé 2016-02-03 F 999000201AB "CE2" "CE2 Mme Béranger" 70001`,
		`3 N'DIAYE Aïssatou 2015-11-17 F 999000202CD "CM1" "CM1-CM2 M. Oudin" 70002`,
		`4 OEUVRARD Noé 2016-02-29 M  "CE2" "CE2 Mme Béranger" 70001`,
		`5 DUPONT Léa 2014-06-12 F 9990002040V "" "ULIS École" 70003`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("pupils:\n got %q\nwant %q", got, want)
	}
	if f.Pupils[1].UsageName != "MARTIN" {
		t.Errorf("usage name = %q", f.Pupils[1].UsageName)
	}
	var rejects []string
	for _, r := range f.Rejects {
		rejects = append(rejects, r.Error())
	}
	wantRejects := []string{
		`ligne 6 (GARNIER Théo) : date de naissance : date "31/02/2015" invalide : JJ/MM/AAAA ou AAAA-MM-JJ attendu`,
		"ligne 7 (SANSCHAMPS Paul) : la ligne a 6 champs alors que la ligne d'en-tête en a 22 (séparateur ou guillemet manquant ?)",
		`ligne 9 (BÉNARD Maël) : sexe "X" inconnu (M ou F attendu, ou MASCULIN, FEMININ)`,
	}
	if !slices.Equal(rejects, wantRejects) {
		t.Errorf("rejects:\n got %q\nwant %q", rejects, wantRejects)
	}
	for _, r := range rejects {
		for _, ine := range []string{"999000205EF", "999000206GH", "999000207JK"} {
			if strings.Contains(r, ine) {
				t.Errorf("an INE leaked into %q", r)
			}
		}
	}
}

// The same pupils whatever the encoding and line ends a spreadsheet leaves.
func TestReadPupilsEncodings(t *testing.T) {
	latin1 := readTestdata(t, "CSVExtraction.csv")
	utf8Text, err := charmap.ISO8859_1.NewDecoder().Bytes(latin1)
	if err != nil {
		t.Fatal(err)
	}
	// Windows-1252 adds Œ (0x8C), which ISO-8859-1 lacks.
	cp1252 := bytes.Replace(latin1, []byte("OEUVRARD"), []byte("\x8cUVRARD"), 1)
	tests := []struct {
		name string
		data []byte
		noe  string // the third pupil's last name
	}{
		{"ISO-8859-1, CRLF", latin1, "OEUVRARD"},
		{"UTF-8, LF", bytes.ReplaceAll(utf8Text, []byte("\r\n"), []byte("\n")), "OEUVRARD"},
		{"UTF-8 with BOM", append([]byte("\xef\xbb\xbf"), utf8Text...), "OEUVRARD"},
		{"Windows-1252", cp1252, "ŒUVRARD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadPupils(bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range f.Pupils {
				names = append(names, p.Name()+" "+p.ClassLabel)
			}
			want := []string{"LÉGER Zoé CE2 Mme Béranger", "N'DIAYE Aïssatou CM1-CM2 M. Oudin", tt.noe + " Noé CE2 Mme Béranger", "DUPONT Léa ULIS École"}
			if !slices.Equal(names, want) || f.Format != FormatONDE || len(f.Rejects) != 3 {
				t.Errorf("got %q (format %v, %d rejects), want %q", names, f.Format, len(f.Rejects), want)
			}
		})
	}
}

func TestDecodePupilsFileErrors(t *testing.T) {
	onde := "Nom élève;Prénom élève;Date naissance;Sexe;INE;Niveau;Libellé classe;Identifiant classe\n"
	teachers := readTestdataRef(t, "CSVExtraction-enseignants.csv")
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"empty", "", []string{"vide"}},
		{"ONDE without class id and INE", "Nom élève;Prénom élève;Date naissance;Sexe;Niveau;Libellé classe\n", []string{"colonnes obligatoires absentes", "« INE »", "« Identifiant classe »"}},
		{"BE1D without level", "Nom Elève;Prénom Elève;Date naissance;Sexe;Classe\n", []string{"colonne obligatoire absente", "« Niveau »"}},
		{"teachers file", teachers, []string{"« Nom élève »", "extraction des enseignants"}},
		{"comma separated", "Nom élève,Prénom élève,Date naissance\n", []string{"point-virgule"}},
		{"column twice", "Nom élève;Prénom élève;Date naissance;Sexe;INE;Niveau;Libellé classe;Identifiant classe;INE\n", []string{"« INE » figure deux fois", "colonnes 5 et 9"}},
		{"bare quote", onde + "A;B\"C;01/01/2015;M;;CE1;CE1;1\n", []string{"ligne 2, colonne", "guillemet"}},
		{"unclosed quote", onde + "A;\"B;01/01/2015;M;;CE1;CE1;1\nC;D;01/01/2015;M;;CE1;CE1;1\n", []string{"ligne 2 : guillemet non fermé"}},
		{"mixed encodings", onde + "LÉGER;Zoé;01/01/2015;F;;CE1;CE1;1\nL\xc9GER;Zo\xe9;01/01/2015;F;;CE1;CE1;1\n", []string{"ligne 3", "mélange deux encodages"}},
		{"xlsx", "PK\x03\x04\x14\x00\x06\x00", []string{"classeur Excel (.xlsx)"}},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", []string{"classeur Excel (.xls)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DecodePupils(strings.NewReader(tt.data), PupilsHandler{Reject: func(Reject) error { return nil }})
			wantInvalid(t, err, tt.want...)
		})
	}
}

func readTestdataRef(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(sharedref.Path(t, "onde", "be1d_entcore_sample", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodePupilsStops(t *testing.T) {
	data := readTestdata(t, "CSVExtraction.csv")
	// Without a Reject function the first reject fails the file.
	err := DecodePupils(bytes.NewReader(data), PupilsHandler{})
	wantInvalid(t, err, "ligne 6 (GARNIER Théo)")
	stop := errors.New("stop")
	calls := 0
	err = DecodePupils(bytes.NewReader(data), PupilsHandler{Pupil: func(Pupil) error { calls++; return stop }})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err = %v after %d calls, want the callback's error after 1", err, calls)
	}
	err = DecodePupils(bytes.NewReader(data), PupilsHandler{Format: func(Format) error { return stop }})
	if !errors.Is(err, stop) {
		t.Errorf("err = %v, want the Format callback's error", err)
	}
}

func TestReadGuardiansONDE(t *testing.T) {
	f, err := ReadGuardians(bytes.NewReader(readTestdata(t, "CSVExtraction_Parents.csv")))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "CSVExtraction_Parents.json", f)
	if len(f.Guardians) != 2 {
		t.Fatalf("guardians = %+v", f.Guardians)
	}
	wantChildren := []Child{{LastName: "LÉGER", FirstName: "Zoé"}, {LastName: "LÉGER", FirstName: "Anaïs"}}
	if g := f.Guardians[0]; g.Name() != "LÉGER Hélène" || g.Email != "helene.leger@example.org" || !slices.Equal(g.Children, wantChildren) {
		t.Errorf("first guardian = %+v", g)
	}
	var rejects []string
	for _, r := range f.Rejects {
		rejects = append(rejects, r.Error())
	}
	want := []string{
		"ligne 4 (GARNIER Odile) : enfant n° 1 sans nom ou sans prénom",
		"ligne 5 (SANSENFANT Yves) : aucun enfant sur la ligne",
	}
	if !slices.Equal(rejects, want) {
		t.Errorf("rejects:\n got %q\nwant %q", rejects, want)
	}
}

func TestDecodeGuardiansWithoutChildColumns(t *testing.T) {
	err := DecodeGuardians(strings.NewReader("Nom responsable;Prénom responsable;Nom de famille enfant\nA;B;C\n"), GuardiansHandler{})
	wantInvalid(t, err, "« Nom de famille enfant » et « Prénom enfant »")
}

func TestDecodeTeachersRejects(t *testing.T) {
	data := "Civilité;Nom;Prénom;Directeur;Classe\r\n" +
		"MME;BÉRANGER;Hélène;OUI;CE2\r\n" +
		"M.;OUDIN;Gaël;peut-être;CM1\r\n" +
		"M.;;Anonyme;non;CP\r\n" +
		"M.;COURT\r\n"
	f, err := ReadTeachers(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Teachers) != 1 || !f.Teachers[0].Director || f.Teachers[0].Name() != "BÉRANGER Hélène" {
		t.Errorf("teachers = %+v", f.Teachers)
	}
	var got []string
	for _, r := range f.Rejects {
		got = append(got, r.Error())
	}
	want := []string{
		`ligne 3 (OUDIN Gaël) : Directeur "peut-être" : oui ou non attendu`,
		"ligne 4 (Anonyme) : nom absent",
		"ligne 5 (COURT) : la ligne a 2 champs alors que la ligne d'en-tête en a 5 (séparateur ou guillemet manquant ?)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejects:\n got %q\nwant %q", got, want)
	}
}

func TestHeaderKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{" Cycle", "cycle"},
		{"Nom Elève", "nom eleve"},
		{"Nom élève", "nom eleve"},
		{"PRÉNOM  ÉLÈVE ", "prenom eleve"},
		{"Nom d’usage élève", "nom d'usage eleve"},
		{"Libellé\tclasse", "libelle classe"},
		{"\u00a0INE\u00a0", "ine"},
	}
	for _, tt := range tests {
		if got := headerKey(tt.in); got != tt.want {
			t.Errorf("headerKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
