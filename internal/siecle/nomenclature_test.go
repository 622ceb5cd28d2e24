package siecle

import (
	"slices"
	"strings"
	"testing"
)

func TestReadNomenclatureReference(t *testing.T) {
	tests := []struct {
		file                                                string
		uaj                                                 string
		year                                                int
		mefs, subjects, programmes, modalities, exitReasons int
	}{
		{"Nomenclature-2019-20.xml", "0750680G", 2019, 29, 108, 590, 7, 29},
		{"Nomenclature-2018-19.xml", "0750680G", 2018, 89, 100, 728, 7, 29},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			n, err := ReadNomenclature(openRef(t, "siecle", "nomenclature_dossiersco_0750680G", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if string(n.Header.UAJ) != tt.uaj || n.Header.Year != tt.year {
				t.Errorf("header = %+v", n.Header)
			}
			got := []int{len(n.MEFs), len(n.Subjects), len(n.Programmes), len(n.Modalities), len(n.ExitReasons), len(n.Rejects)}
			want := []int{tt.mefs, tt.subjects, tt.programmes, tt.modalities, tt.exitReasons, 0}
			if !slices.Equal(got, want) {
				t.Errorf("MEFs, subjects, programmes, modalities, exit reasons, rejects = %v, want %v", got, want)
			}
		})
	}
}

func TestReadNomenclatureValues(t *testing.T) {
	n, err := ReadNomenclature(openRef(t, "siecle", "nomenclature_dossiersco_0750680G", "Nomenclature-2019-20.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := n.MEF("20010018110")
	if !ok || m.Formation != "2-GT" || m.LongLabel != "2NDE GENERALE ET TECHNOLOGIQUE" ||
		m.EditionLabel != "2nde générale et technologique" || m.AttachedTo != "20010018110" || m.MEFStat != "22111410018" ||
		!m.OpenDate.Equal(date(2019, 9, 1)) || !m.CloseDate.IsZero() {
		t.Errorf("MEF 20010018110 = %+v", m)
	}
	if m, _ := n.MEF("20010015110"); !m.CloseDate.Equal(date(2019, 8, 31)) {
		t.Errorf("closing MEF = %+v", m)
	}
	if _, ok := n.MEF("00000000000"); ok {
		t.Error("an unknown MEF was found")
	}
	// Local subject codes may hold letters; the national code is what LSU wants.
	var national []string
	for _, s := range n.Subjects {
		if s.NationalCode != "" {
			national = append(national, s.Code+"→"+s.NationalCode+" "+s.LongLabel)
		}
	}
	if want := []string{"020C00→029900 LANGUE DES SIGNES FRANCAIS"}; !slices.Equal(national, want) {
		t.Errorf("subjects with a national code = %q, want %q", national, want)
	}
	if s, ok := n.Subject("030101"); !ok || s.ManagementCode != "ALL1" || s.EditionLabel != "Allemand lv1" {
		t.Errorf("subject 030101 = %+v", s)
	}
	if e, ok := n.ExitReason("43"); !ok || e.LongLabel != "DECES" {
		t.Errorf("exit reason 43 = %+v", e)
	}
	var codes []string
	for _, m := range n.Modalities {
		codes = append(codes, m.Code)
	}
	slices.Sort(codes)
	if want := []string{"F", "L", "N", "O", "R", "S", "X"}; !slices.Equal(codes, want) {
		t.Errorf("modalities = %q, want %q", codes, want)
	}
}

func TestReadNomenclatureFixtures(t *testing.T) {
	// One subject under two modalities in the same MEF is legitimate.
	n, err := ReadNomenclature(openRef(t, "siecle", "fixtures_dossiersco", "nomenclature_code_modalite_elec_double.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Programme{
		{Line: 39, MEF: "20211010110", Subject: "061300", Modality: "O", Hours: 2},
		{Line: 45, MEF: "20211010110", Subject: "061300", Modality: "S", Hours: 6},
	}
	if !slices.Equal(n.Programmes, want) {
		t.Errorf("programmes = %+v, want %+v", n.Programmes, want)
	}
	n, err = ReadNomenclature(openRef(t, "siecle", "fixtures_dossiersco", "nomenclature_tout_niveau.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var formations []string
	for _, m := range n.MEFs {
		formations = append(formations, m.Formation)
	}
	if want := []string{"6EME", "5G", "4G", "3EME"}; !slices.Equal(formations, want) {
		t.Errorf("formations = %q, want %q", formations, want)
	}
	// 31/12/9999 is "no end".
	n, err = ReadNomenclature(openRef(t, "siecle", "fixtures_dossiersco", "nomenclature_simple.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.MEFs) != 1 || !n.MEFs[0].CloseDate.IsZero() || !n.MEFs[0].OpenDate.Equal(date(1992, 9, 1)) {
		t.Errorf("MEFs = %+v", n.MEFs)
	}
}

func TestReadNomenclatureRejects(t *testing.T) {
	n, err := ReadNomenclature(openTestdata(t, "nomenclature_rejets.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range n.Rejects {
		got = append(got, r.Error())
	}
	want := []string{
		"ligne 21, <MEF> (MEF SANS CODE) : attribut CODE_MEF absent",
		"ligne 34, <MATIERE> (MATIERE SANS CODE) : attribut CODE_MATIERE absent",
		`ligne 46, <PROGRAMME> : HORAIRE "NaN" invalide`,
		"ligne 64, <MOTIF_SORTIE> (MOTIF SANS CODE) : attribut CODE_MOTIF_SORTIE absent",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejects:\n got %q\nwant %q", got, want)
	}
	if len(n.MEFs) != 1 || len(n.Subjects) != 1 || len(n.Programmes) != 1 || len(n.ExitReasons) != 1 {
		t.Errorf("kept %d MEFs, %d subjects, %d programmes, %d exit reasons; want 1 each",
			len(n.MEFs), len(n.Subjects), len(n.Programmes), len(n.ExitReasons))
	}
	if n.Programmes[0].Hours != 1.5 {
		t.Errorf("hours = %v", n.Programmes[0].Hours)
	}
	golden(t, "nomenclature_rejets.json", asJSON(t, n))
}

func TestReadNomenclatureFileErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"students file", `<?xml version="1.0" encoding="ISO-8859-15"?><BEE_ELEVES/>`, []string{"export SIECLE des élèves", "<BEE_NOMENCLATURES>"}},
		{"no header", `<BEE_NOMENCLATURES><DONNEES/></BEE_NOMENCLATURES>`, []string{"<PARAMETRES>"}},
		{"truncated", `<BEE_NOMENCLATURES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><MEFS>`, []string{"fin de fichier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ReadNomenclature(strings.NewReader(tt.data))
			if n != nil {
				t.Error("a result was returned with the error")
			}
			wantInvalid(t, err, tt.want...)
		})
	}
}
