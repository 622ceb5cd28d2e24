package siecle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/ident"
)

func TestReadStudentsReference(t *testing.T) {
	f, err := ReadStudents(openRef(t, "siecle", "fixtures_dossiersco", "eleves_avec_adresse_avec_double_structure.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Header.UAJ != "0660864F" || f.Header.Year != 2019 || !f.Header.ExportDate.Equal(date(2019, 8, 29)) {
		t.Errorf("header = %+v", f.Header)
	}
	if got := f.Header.Timestamp.Format("02/01/2006 15:04:05"); got != "29/08/2019 09:45:58" {
		t.Errorf("timestamp = %s", got)
	}
	if len(f.Students) != 1 || len(f.Rejects) != 0 {
		t.Fatalf("%d students, %d rejects; want 1 and 0", len(f.Students), len(f.Rejects))
	}
	s := f.Students[0]
	// The INE is compared, never printed.
	if s.IDNational.Value() != "999000001HA" || !s.INERNIE.IsZero() || !s.INEBEA.IsZero() {
		t.Error("INE fields differ from the file (values withheld)")
	}
	checks := []struct {
		field, got, want string
	}{
		{"Line", fmt.Sprint(s.Line), "11"},
		{"EleveID", s.EleveID, "1541944"},
		{"LastName", s.LastName, "ESCAGLIA"},
		{"FirstName", s.FirstName, "Jeanine"},
		{"BirthDate set", fmt.Sprint(!s.BirthDate.IsZero()), "true"},
		{"Sex", s.Sex, "M"},
		{"MEF", s.MEF, "10310019110"},
		{"Status", s.Status, "ST"},
		{"EntryDate", s.EntryDate.Format("2006-01-02"), "2016-09-01"},
		{"ExitDate zero", fmt.Sprint(s.ExitDate.IsZero()), "true"},
		{"Previous.UAI", s.Previous.UAI, "0660864F"},
		{"Previous.Name", s.Previous.Name, "FRANCOIS MITTERRAND"},
		{"Previous.Division", s.Previous.Division, "406"},
		{"Division", s.Division, "301"},
		{"Groups", strings.Join(s.Groups, ","), "_301P1"},
		{"Options", fmt.Sprint(s.Options), "[{1 O 030201} {2 O 030602} {3 F 020300}]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
}

// The reference file with <STRICTURES_ELEVE> closed by </STRUCTURES_ELEVE>
// must fail as a whole, naming the line, and deliver nothing as a success.
func TestReadStudentsMalformedReference(t *testing.T) {
	f, err := ReadStudents(openRef(t, "siecle", "fixtures_dossiersco", "eleves_avec_adresse_simple.xml"))
	if f != nil {
		t.Error("a result was returned with the error")
	}
	wantInvalid(t, err, "ligne 139", "<STRICTURES_ELEVE>", "</STRUCTURES_ELEVE>", "mal formé")
	noLeak(t, err.Error(), "999000002JA", "999000003AC", "9990000012R")
}

// Golden files come from synthetic inputs only: a golden made from a
// reference file would copy its data into the repository.
func TestReadStudentsGolden(t *testing.T) {
	f, err := ReadStudents(openTestdata(t, "eleves_synthetiques.xml"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "eleves_synthetiques.json", asJSON(t, f))
}

// The synthetic file holds the cases where absent and empty tags, the
// 31/12/9999 date and the old NOM element must be read right.
func TestReadStudentsSynthetic(t *testing.T) {
	f, err := ReadStudents(openTestdata(t, "eleves_synthetiques.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Students) != 3 || len(f.Rejects) != 0 {
		t.Fatalf("%d students, %d rejects", len(f.Students), len(f.Rejects))
	}
	zoe, noe, aissatou := f.Students[0], f.Students[1], f.Students[2]
	if zoe.LastName != "LÉGER-ŒUVRARD" || zoe.FirstName2 != "Anaïs" || zoe.Previous.Name != "DES TROIS CITÉS" {
		t.Errorf("ISO-8859-15 text misread: %q %q %q", zoe.LastName, zoe.FirstName2, zoe.Previous.Name)
	}
	if !zoe.ExitDate.IsZero() {
		t.Error("an empty DATE_SORTIE must mean no exit")
	}
	if !noe.ExitDate.IsZero() {
		t.Error("DATE_SORTIE 31/12/9999 must mean no exit")
	}
	if noe.LastName != "DUBOIS" {
		t.Errorf("old NOM element not used: %q", noe.LastName)
	}
	if !noe.INEBEA.IsZero() || !noe.INERNIE.IsZero() || noe.IDNational.IsZero() {
		t.Error("empty <INE_BEA/> and absent INE_RNIE must both read as no value, ID_NATIONAL as a value")
	}
	if noe.Previous != nil {
		t.Error("absent SCOLARITE_AN_DERNIER must give nil")
	}
	if noe.Elenoet != "102" {
		t.Errorf("ELENOET from the attribute when the element is absent: %q", noe.Elenoet)
	}
	if !aissatou.ExitDate.Equal(date(2025, 3, 14)) || aissatou.ExitReason != "42" {
		t.Errorf("exit = %v %q", aissatou.ExitDate, aissatou.ExitReason)
	}
	if !aissatou.BirthDate.Equal(date(2008, 2, 29)) {
		t.Errorf("leap day birth date = %v", aissatou.BirthDate)
	}
	if zoe.Division != "2 MRC A" || !slices.Equal(zoe.Groups, []string{"_2MRC_G1", "AP-ANG"}) {
		t.Errorf("structures = %q %q", zoe.Division, zoe.Groups)
	}
	if aissatou.Options != nil || aissatou.Division != "2 MRC B" {
		t.Errorf("student without options: %v, division %q", aissatou.Options, aissatou.Division)
	}
}

func TestDecodeStudentsFileErrors(t *testing.T) {
	const head = `<?xml version="1.0" encoding="ISO-8859-15"?>` + "\n"
	const params = `<PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES>`
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"empty", "", []string{"vide"}},
		{"blank", "  \n ", []string{"vide"}},
		{"not xml", "Nom;Prénom\nDUPONT;Marie\n", []string{"n'est pas un fichier XML"}},
		{"guardians file", head + `<BEE_RESPONSABLES VERSION="2.1"/>`, []string{"export SIECLE des responsables", "<BEE_ELEVES>"}},
		{"nomenclature file", head + `<BEE_NOMENCLATURES/>`, []string{"nomenclatures"}},
		{"STS file", head + `<STS_EDT/>`, []string{"STS-web"}},
		{"unknown root", head + `<RACINE/>`, []string{"<RACINE>", "<BEE_ELEVES>"}},
		{"no header", head + `<BEE_ELEVES><DONNEES/></BEE_ELEVES>`, []string{"en-tête <PARAMETRES> absent"}},
		{"two headers", head + `<BEE_ELEVES>` + params + "\n" + `<PARAMETRES><UAJ>0860001J</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES/></BEE_ELEVES>`, []string{"ligne 3", "second en-tête"}},
		{"header only", head + `<BEE_ELEVES>` + params + `</BEE_ELEVES>`, []string{"<DONNEES> absent"}},
		{"no UAJ", head + `<BEE_ELEVES><PARAMETRES><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES/></BEE_ELEVES>`, []string{"UAJ"}},
		{"bad UAJ letter", head + `<BEE_ELEVES><PARAMETRES><UAJ>0860012X</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES/></BEE_ELEVES>`, []string{"lettre de contrôle"}},
		{"bad year", head + `<BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>25</ANNEE_SCOLAIRE></PARAMETRES><DONNEES/></BEE_ELEVES>`, []string{"ANNEE_SCOLAIRE", `"25"`}},
		{"no year", head + `<BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ></PARAMETRES><DONNEES/></BEE_ELEVES>`, []string{"ANNEE_SCOLAIRE absente"}},
		{"bad export date", head + `<BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE><DATE_EXPORT>2025-09-12</DATE_EXPORT></PARAMETRES><DONNEES/></BEE_ELEVES>`, []string{"DATE_EXPORT", "JJ/MM/AAAA"}},
		{"truncated", head + `<BEE_ELEVES>` + params + `<DONNEES><ELEVES><ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE>`, []string{"mal formé", "fin de fichier"}},
		{"latin-1 without prolog", "<BEE_ELEVES>" + params + "<DONNEES><ELEVES><ELEVE ELEVE_ID=\"1\"><PRENOM>Zo\xe9</PRENOM></ELEVE></ELEVES></DONNEES></BEE_ELEVES>", []string{"ligne 1", "UTF-8"}},
		{"unknown encoding", `<?xml version="1.0" encoding="X-INCONNU"?><BEE_ELEVES/>`, []string{"encodage", "X-INCONNU"}},
		{"element after root", head + `<BEE_ELEVES>` + params + `<DONNEES/></BEE_ELEVES>` + "\n<BEE_ELEVES/>", []string{"après la fin de l'élément racine"}},
		{"text after root", head + `<BEE_ELEVES>` + params + `<DONNEES/></BEE_ELEVES>x`, []string{"texte après"}},
		{"element in a leaf", head + `<BEE_ELEVES>` + params + "<DONNEES><ELEVES><ELEVE ELEVE_ID=\"1\">\n<PRENOM><B>Zoe</B></PRENOM></ELEVE></ELEVES></DONNEES></BEE_ELEVES>", []string{"ligne 3", "<B> inattendu dans <PRENOM>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delivered := 0
			err := DecodeStudents(strings.NewReader(tt.data), StudentsHandler{
				Student: func(Student) error { delivered++; return nil },
				Reject:  func(Reject) error { return nil },
			})
			wantInvalid(t, err, tt.want...)
		})
	}
}

func TestDecodeStudentsRejects(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>
<BEE_ELEVES VERSION="3.0">
<PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES>
<DONNEES>
`
	const ok = `<ELEVES><ELEVE ELEVE_ID="2"><NOM_DE_FAMILLE>VALIDE</NOM_DE_FAMILLE><PRENOM>Léa</PRENOM></ELEVE></ELEVES>`
	tests := []struct {
		name    string
		body    string
		element string
		eleveID string
		person  string
		reason  []string
	}{
		{"no ELEVE_ID", `<ELEVES><ELEVE><NOM_DE_FAMILLE>SANSID</NOM_DE_FAMILLE><PRENOM>Zoé</PRENOM></ELEVE></ELEVES>`,
			"ELEVE", "", "SANSID Zoé", []string{"ELEVE_ID absent"}},
		{"no name at all", `<ELEVES><ELEVE ELEVE_ID="1"><ID_NATIONAL>999000777XY</ID_NATIONAL></ELEVE></ELEVES>`,
			"ELEVE", "1", "", []string{"nom de famille absent", "prénom absent"}},
		{"no first name", `<ELEVES><ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>SEUL</NOM_DE_FAMILLE></ELEVE></ELEVES>`,
			"ELEVE", "1", "SEUL", []string{"prénom absent"}},
		{"bad birth date", `<ELEVES><ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B</PRENOM><DATE_NAISS>31/02/2009</DATE_NAISS></ELEVE></ELEVES>`,
			"ELEVE", "1", "A B", []string{"date de naissance", "31/02/2009"}},
		{"ISO exit date", `<ELEVES><ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B</PRENOM><DATE_SORTIE>2025-03-14</DATE_SORTIE></ELEVE></ELEVES>`,
			"ELEVE", "1", "A B", []string{"date de sortie", "JJ/MM/AAAA"}},
		{"unknown sex", `<ELEVES><ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B</PRENOM><CODE_SEXE>3</CODE_SEXE></ELEVE></ELEVES>`,
			"ELEVE", "1", "A B", []string{"CODE_SEXE"}},
		{"structures without ELEVE_ID", `<STRUCTURES><STRUCTURES_ELEVE><STRUCTURE><CODE_STRUCTURE>3 A</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE></STRUCTURES>`,
			"STRUCTURES_ELEVE", "", "", []string{"ELEVE_ID absent"}},
		{"two divisions", `<STRUCTURES><STRUCTURES_ELEVE ELEVE_ID="1"><STRUCTURE><CODE_STRUCTURE>3 A</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE><STRUCTURE><CODE_STRUCTURE>3 B</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE></STRUCTURES>`,
			"STRUCTURES_ELEVE", "1", "", []string{"plusieurs divisions", `"3 A"`, `"3 B"`}},
		{"unknown structure type", `<STRUCTURES><STRUCTURES_ELEVE ELEVE_ID="1"><STRUCTURE><CODE_STRUCTURE>X</CODE_STRUCTURE><TYPE_STRUCTURE>Z</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE></STRUCTURES>`,
			"STRUCTURES_ELEVE", "1", "", []string{"TYPE_STRUCTURE", `"Z"`}},
		{"structure without code", `<STRUCTURES><STRUCTURES_ELEVE ELEVE_ID="1"><STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE></STRUCTURES>`,
			"STRUCTURES_ELEVE", "1", "", []string{"sans CODE_STRUCTURE"}},
		{"misspelt record, well-formed", `<STRUCTURES><STRICTURES_ELEVE ELEVE_ID="1"><STRUCTURE><CODE_STRUCTURE>TS3</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRICTURES_ELEVE></STRUCTURES>`,
			"STRICTURES_ELEVE", "1", "", []string{"élément inconnu", "<STRUCTURES_ELEVE> attendu"}},
		{"bad option rank", `<OPTIONS><OPTION ELEVE_ID="1"><OPTIONS_ELEVE><NUM_OPTION>un</NUM_OPTION><CODE_MATIERE>030201</CODE_MATIERE></OPTIONS_ELEVE></OPTION></OPTIONS>`,
			"OPTION", "1", "", []string{"NUM_OPTION", `"un"`}},
		{"option without subject", `<OPTIONS><OPTION ELEVE_ID="1"><OPTIONS_ELEVE><NUM_OPTION>1</NUM_OPTION></OPTIONS_ELEVE></OPTION></OPTIONS>`,
			"OPTION", "1", "", []string{"sans CODE_MATIERE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The bad record sits on line 5, the valid student after it.
			data := head + tt.body + "\n" + ok + "\n</DONNEES></BEE_ELEVES>\n"
			var rejects []Reject
			var students []string
			err := DecodeStudents(strings.NewReader(data), StudentsHandler{
				Student: func(s Student) error { students = append(students, s.Name()); return nil },
				Reject:  func(r Reject) error { rejects = append(rejects, r); return nil },
			})
			if err != nil {
				t.Fatalf("a reject must not fail the file: %v", err)
			}
			if len(rejects) != 1 {
				t.Fatalf("rejects = %v, want exactly one", rejects)
			}
			r := rejects[0]
			if r.Line != 5 || r.Element != tt.element || r.EleveID != tt.eleveID || r.Name != tt.person {
				t.Errorf("reject = %+v; want line 5, element %s, ELEVE_ID %q, name %q", r, tt.element, tt.eleveID, tt.person)
			}
			for _, w := range tt.reason {
				if !strings.Contains(r.Reason, w) {
					t.Errorf("reason %q does not contain %q", r.Reason, w)
				}
			}
			if !strings.HasPrefix(r.Error(), "ligne 5, <"+tt.element+">") {
				t.Errorf("Error() = %q", r.Error())
			}
			noLeak(t, r.Error(), "999000777XY")
			if !slices.Contains(students, "VALIDE Léa") {
				t.Errorf("the valid student after the reject was not delivered: %v", students)
			}
		})
	}
}

// Without a Reject function the first reject stops the reading, as an
// invalid-input error: nothing is dropped silently.
func TestDecodeStudentsNilRejectStops(t *testing.T) {
	data := `<BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES>
<DONNEES><ELEVES><ELEVE ELEVE_ID="1"><ID_NATIONAL>999000777XY</ID_NATIONAL><NOM_DE_FAMILLE>SEUL</NOM_DE_FAMILLE></ELEVE></ELEVES></DONNEES></BEE_ELEVES>`
	err := DecodeStudents(strings.NewReader(data), StudentsHandler{})
	wantInvalid(t, err, "ligne 2", "SEUL", "prénom absent")
	noLeak(t, err.Error(), "999000777XY")
}

func TestDecodeStudentsCallbackErrorStops(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := DecodeStudents(openTestdata(t, "eleves_synthetiques.xml"), StudentsHandler{
		Student: func(Student) error { calls++; return stop },
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("%d calls after the error, want 1", calls)
	}
}

// Records come in file order, header first, one at a time.
func TestDecodeStudentsOrder(t *testing.T) {
	var events []string
	err := DecodeStudents(openTestdata(t, "eleves_synthetiques.xml"), StudentsHandler{
		Header: func(h Header) error { events = append(events, "header "+string(h.UAJ)); return nil },
		Student: func(s Student) error {
			events = append(events, fmt.Sprintf("student %s@%d", s.EleveID, s.Line))
			return nil
		},
		Options: func(o StudentOptions) error {
			events = append(events, fmt.Sprintf("options %s@%d", o.EleveID, o.Line))
			return nil
		},
		Structures: func(s StudentStructures) error {
			events = append(events, fmt.Sprintf("structures %s@%d", s.EleveID, s.Line))
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"header 0860012W",
		"student 4100001@12", "student 4100002@35", "student 4100003@47",
		"options 4100001@61",
		"structures 4100001@75", "structures 4100002@89", "structures 4100003@95",
	}
	if !slices.Equal(events, want) {
		t.Errorf("events:\n got %q\nwant %q", events, want)
	}
}

func TestReadStudentsJoinRejects(t *testing.T) {
	data := `<BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES>
<DONNEES>
<ELEVES>
<ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>UN</NOM_DE_FAMILLE><PRENOM>A</PRENOM></ELEVE>
<ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>DOUBLON</NOM_DE_FAMILLE><PRENOM>B</PRENOM></ELEVE>
<ELEVE ELEVE_ID="3"><NOM_DE_FAMILLE>SANSPRENOM</NOM_DE_FAMILLE></ELEVE>
</ELEVES>
<OPTIONS>
<OPTION ELEVE_ID="9"><OPTIONS_ELEVE><NUM_OPTION>1</NUM_OPTION><CODE_MATIERE>030201</CODE_MATIERE></OPTIONS_ELEVE></OPTION>
</OPTIONS>
<STRUCTURES>
<STRUCTURES_ELEVE ELEVE_ID="1"><STRUCTURE><CODE_STRUCTURE>3 A</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>
<STRUCTURES_ELEVE ELEVE_ID="1"><STRUCTURE><CODE_STRUCTURE>3 B</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>
<STRUCTURES_ELEVE ELEVE_ID="3"><STRUCTURE><CODE_STRUCTURE>3 C</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>
</STRUCTURES>
</DONNEES></BEE_ELEVES>`
	f, err := ReadStudents(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Students) != 1 || f.Students[0].Name() != "UN A" || f.Students[0].Division != "3 A" {
		t.Fatalf("students = %+v", f.Students)
	}
	var got []string
	for _, r := range f.Rejects {
		got = append(got, fmt.Sprintf("%d %s %s", r.Line, r.Element, r.Reason))
	}
	// Line 14 (structures of the rejected student 3) gives no second reject.
	want := []string{
		"5 ELEVE ELEVE_ID en double : un autre élève le porte, ligne 4",
		"6 ELEVE prénom absent",
		"9 OPTION aucun élève de ce ELEVE_ID dans le bloc <ELEVES>",
		"13 STRUCTURES_ELEVE structures en double pour cet élève (déjà données ligne 12)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejects:\n got %q\nwant %q", got, want)
	}
}

// The INE must not come out of a record by accident: fmt, JSON, slog. This
// holds because the fields are exported and of the masked type ident.INE.
func TestStudentOutputMasksINE(t *testing.T) {
	const ine = "999000101AB"
	s := Student{EleveID: "1", IDNational: ident.RawINE(ine), LastName: "MARTIN", FirstName: "Zoé"}
	js := JoinedStudent{Student: s, Division: "3 A"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("élève", "student", s)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("élève", "student", js)
	b, err := json.Marshal(js)
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%+v", js), fmt.Sprintf("%#v", s), fmt.Sprintf("%v", &js),
		string(b), logged.String(),
	}
	for _, out := range outputs {
		noLeak(t, out, ine)
		if !strings.Contains(out, "INE masqué") {
			t.Errorf("%q does not show that an INE is present", out)
		}
	}
	if s.IDNational.Value() != ine {
		t.Error("the value must stay available to the hashing code")
	}
}

// A syntax error inside an INE element must not quote the content.
func TestSyntaxErrorDoesNotQuoteContent(t *testing.T) {
	data := `<BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES>
<DONNEES><ELEVES><ELEVE ELEVE_ID="1"><ID_NATIONAL>&999000777XY;</ID_NATIONAL></ELEVE></ELEVES></DONNEES></BEE_ELEVES>`
	err := DecodeStudents(strings.NewReader(data), StudentsHandler{})
	wantInvalid(t, err, "ligne 2", "entité")
	noLeak(t, err.Error(), "999000777XY")
}

// Memory must not grow with the file: decode a generated stream of 30,000
// students and compare the live heap early and late.
func TestDecodeStudentsConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 30,000-student stream")
	}
	const n = 30000
	one := `<ELEVE ELEVE_ID="%d"><ID_NATIONAL>999000101AB</ID_NATIONAL><NOM_DE_FAMILLE>LÉGER</NOM_DE_FAMILLE><PRENOM>Zoé</PRENOM><DATE_NAISS>03/02/2009</DATE_NAISS><CODE_MEF>24024002210</CODE_MEF></ELEVE>` + "\n"
	r := &generated{
		head: `<?xml version="1.0" encoding="UTF-8"?><BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><ELEVES>` + "\n",
		tail: "</ELEVES></DONNEES></BEE_ELEVES>\n",
		n:    n,
		rec:  func(i int) string { return fmt.Sprintf(one, i) },
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var early, late uint64
	count := 0
	err := DecodeStudents(r, StudentsHandler{Student: func(Student) error {
		count++
		switch count {
		case 1000:
			early = heap()
		case n:
			late = heap()
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("%d students, want %d", count, n)
	}
	t.Logf("stream of %d bytes; live heap %d B at student 1000, %d B at student %d", r.size, early, late, n)
	if late > early+1<<20 {
		t.Errorf("live heap grew from %d to %d bytes while reading", early, late)
	}
}

// generated is a reader that produces head, n records and tail without
// holding the document.
type generated struct {
	head, tail string
	n          int
	rec        func(int) string
	i          int
	pending    string
	started    bool
	done       bool
	size       int
}

func (g *generated) Read(p []byte) (int, error) {
	for g.pending == "" {
		switch {
		case !g.started:
			g.pending, g.started = g.head, true
		case g.i < g.n:
			g.pending = g.rec(g.i)
			g.i++
		case !g.done:
			g.pending, g.done = g.tail, true
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	g.size += n
	return n, nil
}

// A reject's error form is what an administrator reads.
func TestRejectError(t *testing.T) {
	tests := []struct {
		r    Reject
		want string
	}{
		{Reject{Line: 12, Element: "ELEVE", EleveID: "41", Name: "MARTIN Zoé", Reason: "prénom absent"}, "ligne 12, <ELEVE> (MARTIN Zoé, ELEVE_ID 41) : prénom absent"},
		{Reject{Line: 3, Element: "OPTION", EleveID: "41", Reason: "x"}, "ligne 3, <OPTION> (ELEVE_ID 41) : x"},
		{Reject{Line: 3, Element: "PERSONNE", Name: "GARNIER Odile", Reason: "x"}, "ligne 3, <PERSONNE> (GARNIER Odile) : x"},
		{Reject{Line: 3, Element: "ADRESSE", Reason: "x"}, "ligne 3, <ADRESSE> : x"},
	}
	for _, tt := range tests {
		if got := tt.r.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
