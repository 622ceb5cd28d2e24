package sts

import (
	"archive/zip"
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

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/xmlfile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

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
		t.Errorf("output differs from %s; run go test -update after checking the change", path)
	}
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

func TestReadSynthetic(t *testing.T) {
	f, err := Read(openTestdata(t, "sts_emp_0860012W_2025.xml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sts_emp_0860012W_2025.json", append(b, '\n'))

	if f.Header != (Header{UAJ: "0860012W", Year: 2025}) {
		t.Errorf("header = %+v", f.Header)
	}
	if len(f.Subjects) != 4 || len(f.Individuals) != 4 || len(f.Divisions) != 2 || len(f.Groups) != 1 || len(f.Rejects) != 0 {
		t.Fatalf("%d subjects, %d individuals, %d divisions, %d groups, %d rejects",
			len(f.Subjects), len(f.Individuals), len(f.Divisions), len(f.Groups), len(f.Rejects))
	}
	if s := f.Subjects[3]; s.Code != "350500" || s.LongLabel != "ENSEIGNEMENT PROFESSIONNEL ÉLECTROTECHNIQUE" || s.Line != 40 {
		t.Errorf("subject = %+v", s)
	}

	helene, gael, local, dir := f.Individuals[0], f.Individuals[1], f.Individuals[2], f.Individuals[3]
	if helene.ID != "4189" || helene.Type != "epp" || helene.Sex != "F" || helene.Civility != "MME" ||
		helene.Name() != "BÉRANGER Hélène" || helene.BirthName != "LEFÈVRE" ||
		!helene.BirthDate.Equal(time.Date(1978, 4, 12, 0, 0, 0, 0, time.UTC)) || !helene.Teaches() ||
		!slices.Equal(helene.HeadOf, []string{"2 MRC A"}) ||
		!slices.Equal(helene.Disciplines, []Discipline{{Code: "L1300", ShortLabel: "MATHS-SCIENCES PHYS"}}) {
		t.Errorf("epp teacher = %+v", helene)
	}
	if len(gael.Disciplines) != 2 || !slices.Equal(gael.HeadOf, []string{"T MELEC"}) {
		t.Errorf("second teacher = %+v", gael)
	}
	// A teacher added locally: no birth date, no sex.
	if local.Type != "local" || local.Sex != "" || !local.BirthDate.IsZero() || local.Civility != "M" ||
		local.Name() != "N'GUESSAN Jean-Noël" || local.HeadOf != nil {
		t.Errorf("local teacher = %+v", local)
	}
	// Only NOM_PATRONYMIQUE: it is the name in use.
	if dir.Name() != "CHÂTEAU Maëlle" || dir.Teaches() || dir.Function != "DIR" {
		t.Errorf("head of school = %+v", dir)
	}

	d := f.Divisions[0]
	wantServices := []Service{
		{Subject: "061300", CourseMode: "CG", Teachers: []TeacherRef{{ID: "4189", Type: "epp"}}},
		{Subject: "020700", CourseMode: "CG", Teachers: []TeacherRef{{ID: "20048", Type: "epp"}, {ID: "880001", Type: "local"}}},
	}
	if d.Code != "2 MRC A" || d.LongLabel != "2NDE PRO MÉTIERS DE LA RELATION CLIENT A" ||
		!slices.Equal(d.MEFs, []string{"24024002210"}) || fmt.Sprint(d.Services) != fmt.Sprint(wantServices) {
		t.Errorf("division = %+v", d)
	}
	if !slices.Equal(f.Divisions[1].MEFs, []string{"24025510310", "24025510311"}) {
		t.Errorf("a division with two MEFs: %v", f.Divisions[1].MEFs)
	}
	g := f.Groups[0]
	if g.Code != "AP-ANG" || !slices.Equal(g.Divisions, []string{"2 MRC A", "T MELEC"}) ||
		len(g.Services) != 1 || g.Services[0].Teachers[0] != (TeacherRef{ID: "880001", Type: "local"}) {
		t.Errorf("group = %+v", g)
	}
}

func TestReadRejects(t *testing.T) {
	f, err := Read(openTestdata(t, "sts_rejets.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.Rejects {
		got = append(got, r.Error())
	}
	want := []string{
		"ligne 10, <MATIERE> (SANS CODE) : attribut CODE absent",
		"ligne 17, <INDIVIDU> (SANSID Paul) : attribut ID absent",
		`ligne 21, <INDIVIDU> 5 (TOUTFAUX) : INDIVIDU TYPE "vacataire" inconnu (epp ou local attendu) ; SEXE "3" inconnu (1 ou 2 attendu) ; CIVILITE "4" inconnue (1, 2 ou 3 attendu) ; DATE_NAISSANCE "12/04/1978" invalide : AAAA-MM-JJ attendu`,
		"ligne 28, <INDIVIDU> 6 (Sansnom) : nom absent (ni NOM_USAGE ni NOM_PATRONYMIQUE)",
		"ligne 31, <PERSONNEL> 7 : élément inconnu dans <INDIVIDUS> (<INDIVIDU> attendu)",
		"ligne 39, <DIVISION> : attribut CODE absent",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejects:\n got %q\nwant %q", got, want)
	}
	// Each reject names its block: the person or division it carries is
	// left as it is by an import.
	for _, r := range f.Rejects {
		if wantBlock := map[string]string{"MATIERE": "MATIERES", "DIVISION": "DIVISIONS"}[r.Element]; wantBlock != "" && r.Block != wantBlock ||
			(r.Element == "INDIVIDU" || r.Element == "PERSONNEL") && r.Block != "INDIVIDUS" {
			t.Errorf("reject %s: block %q", r.Error(), r.Block)
		}
	}
	// What is wrong inside a division or a group that has a code is a
	// warning: the division and its other services are kept (rule 8).
	var warned []string
	for _, r := range f.Warnings {
		warned = append(warned, r.Error())
	}
	wantWarnings := []string{
		"ligne 26, <INDIVIDU> 5 : PROF_PRINC sans CODE_STRUCTURE ignoré",
		"ligne 44, <DIVISION> 3 A : MEF_APPARTENANCE sans code ignoré",
		"ligne 49, <DIVISION> 3 A : ENSEIGNANT sans ID ignoré dans le service \"\"",
		"ligne 48, <DIVISION> 3 A : SERVICE sans CODE_MATIERE ignoré",
		"ligne 61, <GROUPE> G1 : DIVISION_APPARTENANCE sans attribut CODE ignorée",
	}
	if !slices.Equal(warned, wantWarnings) {
		t.Errorf("warnings:\n got %q\nwant %q", warned, wantWarnings)
	}
	// What is valid is still delivered, the Structures.xml form of the MEF
	// included; a TYPE in capitals is accepted.
	if len(f.Individuals) != 1 || f.Individuals[0].Name() != "VALIDE Inès" {
		t.Errorf("individuals = %+v", f.Individuals)
	}
	if len(f.Divisions) != 2 || f.Divisions[0].Code != "3 A" || !slices.Equal(f.Divisions[0].MEFs, []string{"10310019110"}) ||
		len(f.Divisions[0].Services) != 0 || f.Divisions[1].Code != "3 B" || !slices.Equal(f.Divisions[1].MEFs, []string{"10310019110"}) {
		t.Errorf("divisions = %+v", f.Divisions)
	}
	if len(f.Groups) != 1 || f.Groups[0].Code != "G1" || len(f.Groups[0].Divisions) != 0 {
		t.Errorf("groups = %+v", f.Groups)
	}
}

// TestUnexpectedElementKeepsDivision: an element STS-web does not put
// there (here <COMMENTAIRE> among the services, the MEFs and the
// teachers, and a teacher of an unknown TYPE) costs a warning, never the
// division or its services (rule 8).
func TestUnexpectedElementKeepsDivision(t *testing.T) {
	data := `<STS_EDT><PARAMETRES><UAJ CODE="0860012W"/><ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES><DONNEES><STRUCTURE><DIVISIONS>
<DIVISION CODE="3 A"><MEFS_APPARTENANCE><COMMENTAIRE>x</COMMENTAIRE><MEF_APPARTENANCE CODE="10310019110"/></MEFS_APPARTENANCE>
<SERVICES><COMMENTAIRE/><SERVICE CODE_MATIERE="061300" CODE_MOD_COURS="CG"><ENSEIGNANTS><REMPLACANT ID="9"/><ENSEIGNANT ID="1" TYPE="vacataire"/><ENSEIGNANT ID="2" TYPE="epp"/></ENSEIGNANTS></SERVICE></SERVICES>
</DIVISION></DIVISIONS><GROUPES><GROUPE CODE="G"><DIVISIONS_APPARTENANCE><NOTE/><DIVISION_APPARTENANCE CODE="3 A"/></DIVISIONS_APPARTENANCE>
<SERVICES><SERVICE CODE_MATIERE="030201"><ENSEIGNANTS><ENSEIGNANT ID="2" TYPE="epp"/></ENSEIGNANTS></SERVICE></SERVICES></GROUPE></GROUPES></STRUCTURE></DONNEES></STS_EDT>`
	f, err := Read(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rejects) != 0 {
		t.Errorf("rejects = %v", f.Rejects)
	}
	if len(f.Warnings) != 5 {
		t.Errorf("warnings = %v", f.Warnings)
	}
	for _, w := range f.Warnings {
		if w.Line <= 0 || w.Key == "" || !strings.Contains(w.Reason, "ignoré") {
			t.Errorf("warning %+v", w)
		}
	}
	wantServices := []Service{{Subject: "061300", CourseMode: "CG", Teachers: []TeacherRef{{ID: "1"}, {ID: "2", Type: "epp"}}}}
	if len(f.Divisions) != 1 || !slices.Equal(f.Divisions[0].MEFs, []string{"10310019110"}) || fmt.Sprint(f.Divisions[0].Services) != fmt.Sprint(wantServices) {
		t.Errorf("divisions = %+v", f.Divisions)
	}
	if len(f.Groups) != 1 || !slices.Equal(f.Groups[0].Divisions, []string{"3 A"}) || len(f.Groups[0].Services) != 1 {
		t.Errorf("groups = %+v", f.Groups)
	}
}

func TestDecodeFileErrors(t *testing.T) {
	head := `<?xml version="1.0" encoding="ISO-8859-15"?>` + "\n"
	params := `<PARAMETRES><UAJ CODE="0860012W"/><ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES>`
	edt, err := os.ReadFile(filepath.Join("testdata", "edt_sts.xml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"upload direction", string(edt), []string{"emploi du temps destiné à STS-web", "<STS_EDT>", "sts_emp_<UAI>_<année>.xml"}},
		{"SIECLE students", head + `<BEE_ELEVES/>`, []string{"export SIECLE des élèves"}},
		{"empty", "", []string{"vide"}},
		{"no header", `<STS_EDT><DONNEES/></STS_EDT>`, []string{"<DONNEES> précède l'en-tête"}},
		{"nomenclatures before header", `<STS_EDT><NOMENCLATURES/>` + params + `</STS_EDT>`, []string{"<NOMENCLATURES> précède l'en-tête"}},
		{"two headers", `<STS_EDT>` + params + params + `<DONNEES/></STS_EDT>`, []string{"second en-tête"}},
		{"no data", `<STS_EDT>` + params + `</STS_EDT>`, []string{"<DONNEES> absent"}},
		{"UAJ as text", `<STS_EDT><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES><DONNEES/></STS_EDT>`, []string{"attribut CODE de <UAJ>"}},
		{"bad UAJ", `<STS_EDT><PARAMETRES><UAJ CODE="0860012B"/><ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES><DONNEES/></STS_EDT>`, []string{"lettre de contrôle"}},
		{"no year", `<STS_EDT><PARAMETRES><UAJ CODE="0860012W"/></PARAMETRES><DONNEES/></STS_EDT>`, []string{"attribut ANNEE"}},
		{"bad year", `<STS_EDT><PARAMETRES><UAJ CODE="0860012W"/><ANNEE_SCOLAIRE ANNEE="2025-2026"/></PARAMETRES><DONNEES/></STS_EDT>`, []string{`"2025-2026"`}},
		{"malformed", "<STS_EDT>" + params + "\n<DONNEES><INDIVIDUS></DONNEES></STS_EDT>", []string{"ligne 2", "<INDIVIDUS> est fermé par </DONNEES>"}},
		{"latin-1 without prolog", "<STS_EDT>" + params + "<DONNEES><INDIVIDUS><INDIVIDU ID=\"1\" TYPE=\"epp\"><NOM_USAGE>B\xc9RANGER</NOM_USAGE></INDIVIDU></INDIVIDUS></DONNEES></STS_EDT>", []string{"UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Decode(strings.NewReader(tt.data), Handler{Reject: func(Reject) error { return nil }})
			wantInvalid(t, err, tt.want...)
		})
	}
}

func TestDecodeOrderAndStops(t *testing.T) {
	var events []string
	err := Decode(openTestdata(t, "sts_emp_0860012W_2025.xml"), Handler{
		Header:     func(h Header) error { events = append(events, "header"); return nil },
		Subject:    func(s Subject) error { events = append(events, "subject "+s.Code); return nil },
		Individual: func(i Individual) error { events = append(events, "individual "+i.ID); return nil },
		Division:   func(d Division) error { events = append(events, "division "+d.Code); return nil },
		Group:      func(g Group) error { events = append(events, "group "+g.Code); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"header", "subject 061300", "subject 020700", "subject 030201", "subject 350500",
		"individual 4189", "individual 20048", "individual 880001", "individual 3001",
		"division 2 MRC A", "division T MELEC", "group AP-ANG"}
	if !slices.Equal(events, want) {
		t.Errorf("events:\n got %q\nwant %q", events, want)
	}

	stop := errors.New("stop")
	err = Decode(openTestdata(t, "sts_emp_0860012W_2025.xml"), Handler{Division: func(Division) error { return stop }})
	if !errors.Is(err, stop) {
		t.Errorf("err = %v, want the callback's error", err)
	}
	// Without a Reject function the first reject fails the file.
	err = Decode(openTestdata(t, "sts_rejets.xml"), Handler{})
	wantInvalid(t, err, "ligne 10", "attribut CODE absent")
}

// STS-web delivers its export inside a ZIP when downloaded by hand.
func TestDecodeFromZip(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "sts_emp_0860012W_2025.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("sts_emp_0860012W_2025.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	rc, err := xmlfile.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	f, err := Read(rc)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Individuals) != 4 || f.Individuals[0].Name() != "BÉRANGER Hélène" {
		t.Errorf("individuals = %+v", f.Individuals)
	}
}

func TestRejectError(t *testing.T) {
	tests := []struct {
		r    Reject
		want string
	}{
		{Reject{Line: 3, Element: "INDIVIDU", Key: "12", Name: "OUDIN Gaël", Reason: "x"}, "ligne 3, <INDIVIDU> 12 (OUDIN Gaël) : x"},
		{Reject{Line: 3, Element: "DIVISION", Key: "3 A", Reason: "x"}, "ligne 3, <DIVISION> 3 A : x"},
		{Reject{Line: 3, Element: "INDIVIDU", Name: "OUDIN Gaël", Reason: "x"}, "ligne 3, <INDIVIDU> (OUDIN Gaël) : x"},
		{Reject{Line: 3, Element: "GROUPE", Reason: "x"}, "ligne 3, <GROUPE> : x"},
	}
	for _, tt := range tests {
		if got := tt.r.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
