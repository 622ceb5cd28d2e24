package onde

import (
	"strings"
	"testing"
)

// TestPupilsVariants: the files other software writes differ from ONDE's
// by a trailing ";", legacy values and legacy column names; they are read.
// A header that truly does not match is a clear refusal.
func TestPupilsVariants(t *testing.T) {
	const onde = "Nom élève;Nom d'usage élève;Prénom élève;Date naissance;Sexe;INE;Niveau;Libellé classe;Identifiant classe"
	const be1d = "Nom Elève;Nom d'usage Elève;Prénom Elève;Date naissance;Sexe; Cycle;Niveau;Classe ou regroupement"
	tests := []struct {
		name    string
		text    string
		want    string // "NOM Prénom sexe classe" of each pupil, ";"-joined
		wantErr string
	}{
		{"trailing ; on the header only", onde + ";\r\n" + `"LÉGER";;"Zoé";"03/02/2017";"F";"997000101AB";"CE2";"CE2 A";"70001"` + "\r\n",
			"LÉGER Zoé F CE2 A", ""},
		{"trailing ; on the rows only", onde + "\r\n" + `"LÉGER";;"Zoé";"03/02/2017";"F";"997000101AB";"CE2";"CE2 A";"70001";` + "\r\n",
			"LÉGER Zoé F CE2 A", ""},
		{"trailing ; on both", onde + ";\n" + `LÉGER;;Zoé;03/02/2017;F;997000101AB;CE2;CE2 A;70001;` + "\n",
			"LÉGER Zoé F CE2 A", ""},
		{"legacy sex values", onde + "\r\n" + `"LÉGER";;"Zoé";"03/02/2017";"FEMININ";;"CE2";"CE2 A";"70001"` + "\r\n" +
			`"OUDIN";;"Marc";"03/02/2017";"MASCULIN";;"CE2";"CE2 A";"70001"` + "\r\n" +
			`"OUDIN";;"Lou";"03/02/2017";"Féminin";;"CE2";"CE2 A";"70001"` + "\r\n",
			"LÉGER Zoé F CE2 A;OUDIN Marc M CE2 A;OUDIN Lou F CE2 A", ""},
		{"legacy class column", be1d + "\r\n" + `"OUDIN";;"Marc";"2009-05-04";"M";"CYCLE III";"CM2";"CM2 M. Bel"` + "\r\n",
			"OUDIN Marc M CM2 M. Bel", ""},
		{"header that does not match", "Nom;Prénom;Né le;Classe\r\nOUDIN;Marc;2009-05-04;CM2\r\n", "",
			"colonnes obligatoires absentes de la ligne d'en-tête : « Nom élève », « Prénom élève », « Date naissance », « Sexe », « Niveau »"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadPupils(strings.NewReader(tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Rejects) != 0 {
				t.Fatalf("rejects %v", f.Rejects)
			}
			var got []string
			for _, p := range f.Pupils {
				got = append(got, p.Name()+" "+p.Sex+" "+p.ClassLabel)
			}
			if strings.Join(got, ";") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, ";"), tt.want)
			}
		})
	}
}

// TestMixedEncodingsRefused: an extraction read as ISO-8859-1 that holds a
// UTF-8 sequence further down, or a byte that is no character, is refused
// with the line, rather than storing "Ã©".
func TestMixedEncodingsRefused(t *testing.T) {
	head := "Nom \xe9l\xe8ve;Pr\xe9nom \xe9l\xe8ve;Date naissance;Sexe;Niveau;Classe\r\n"
	tests := []struct {
		name, text, want string
	}{
		{"utf-8 after latin-1", head + "L\xc9GER;Zo\xe9;03/02/2017;F;CE2;A\r\nM\xc3\x9cLLER;Lou;03/02/2017;F;CE2;A\r\n", "ligne 3 : caractère écrit en UTF-8"},
		{"undefined byte", head + "L\xc9GER;Zo\x81;03/02/2017;F;CE2;A\r\n", "ligne 2 : octet 0x81"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPupils(strings.NewReader(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	// Windows-1252 characters are read (’ and œ).
	f, err := ReadPupils(strings.NewReader(head + "N\x92DIAYE;C\x9cline;03/02/2017;F;CE2;A\r\n"))
	if err != nil || len(f.Pupils) != 1 || f.Pupils[0].Name() != "N’DIAYE Cœline" {
		t.Fatalf("windows-1252: %v %+v", err, f)
	}
}
