package onde

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

// The fuzz targets check that any input ends in rows or a clean error: no
// panic, errors of kind Invalid with a message, delivered rows holding what
// the reader promises, rejects with a row and a reason. Seeds are in
// testdata/fuzz/<target>/, built from small synthetic inputs.

func checkError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if k := sillage.KindOf(err); k != sillage.KindInvalid {
		t.Errorf("error of kind %v, want invalid: %v", k, err)
	}
	if strings.TrimSpace(err.Error()) == "" {
		t.Error("error with an empty message")
	}
}

func checkReject(t *testing.T, r Reject) error {
	t.Helper()
	if r.Row < 2 || strings.TrimSpace(r.Reason) == "" {
		t.Errorf("incomplete reject %+v", r)
	}
	return nil
}

func FuzzDecodePupils(f *testing.F) {
	f.Add([]byte("Nom élève;Prénom élève;Date naissance;Sexe;INE;Niveau;Libellé classe;Identifiant classe\r\nLÉGER;Zoé;03/02/2016;F;999000201AB;CE2;CE2 A;70001\r\n"))
	f.Add([]byte("\"Nom Elève\";\"Prénom Elève\";\"Date naissance\";\"Sexe\";\" Cycle\";\"Niveau\";\"Classe\"\n\"A\";\"B\";\"2006-08-17\";\"H\";\"CYCLE II\";\"CE1\";\"CE1\""))
	f.Add([]byte("Nom \xe9l\xe8ve;Pr\xe9nom \xe9l\xe8ve;Date naissance;Sexe;Niveau;Classe\nL\xc9GER;\"Zo\"\"\xe9\";2016-02-30;X;CE2;CE2\n;;;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var pupils []Pupil
		err := DecodePupils(bytes.NewReader(data), PupilsHandler{
			Format: func(f Format) error {
				if f != FormatBE1D && f != FormatONDE {
					t.Errorf("format %v", f)
				}
				return nil
			},
			Pupil: func(p Pupil) error {
				if p.LastName == "" || p.FirstName == "" || p.BirthDate.IsZero() || p.Row < 2 ||
					(p.Sex != "" && p.Sex != "M" && p.Sex != "F") {
					t.Errorf("incomplete pupil delivered at row %d", p.Row)
				}
				pupils = append(pupils, p)
				return nil
			},
			Reject: func(r Reject) error { return checkReject(t, r) },
		})
		checkError(t, err)
		pf, rerr := ReadPupils(bytes.NewReader(data))
		if (err == nil) != (rerr == nil) {
			t.Fatalf("DecodePupils error %v, ReadPupils error %v", err, rerr)
		}
		if pf != nil && len(pf.Pupils) != len(pupils) {
			t.Errorf("ReadPupils kept %d pupils, DecodePupils delivered %d", len(pf.Pupils), len(pupils))
		}
	})
}

func FuzzDecodeTeachers(f *testing.F) {
	f.Add([]byte("\"Civilité\";\"Nom usage\";\"Nom\";\"Prénom\";\"Courriel\";\"Directeur\";\"Classe\"\r\n\"MME\";;\"BÉRANGER\";\"Hélène\";;\"oui\";\"CE2\"\r\n\"M.\";;\"OUDIN\";\"Gaël\";;\"non\";\"CM1\""))
	f.Add([]byte("Nom;Prénom;Directeur;Classe\nA;B;peut-être;CP\nC\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := DecodeTeachers(bytes.NewReader(data), TeachersHandler{
			Teacher: func(tc Teacher) error {
				if (tc.LastName == "" && tc.UsageName == "") || tc.Row < 2 {
					t.Errorf("incomplete teacher delivered at row %d", tc.Row)
				}
				return nil
			},
			Reject: func(r Reject) error { return checkReject(t, r) },
		})
		checkError(t, err)
	})
}

func FuzzDecodeGuardians(f *testing.F) {
	f.Add([]byte("Civilité Responsable;Nom responsable;Prénom responsable;Nom de famille enfant;Prénom enfant;Nom de famille enfant;Prénom enfant\r\nMme;LÉGER;Hélène;LÉGER;Zoé;LÉGER;Anaïs\r\nM.;X;Y;;;;\r\n"))
	f.Add([]byte("Nom usage responsable;Nom responsable;Prénom responsable;Nom d'usage enfant;Nom de famille enfant;Prénom enfant;Classes enfants\nB;A;C;;D;E;CP\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := DecodeGuardians(bytes.NewReader(data), GuardiansHandler{
			Guardian: func(g Guardian) error {
				if (g.LastName == "" && g.UsageName == "") || len(g.Children) == 0 || g.Row < 2 {
					t.Errorf("incomplete guardian delivered at row %d", g.Row)
				}
				for _, c := range g.Children {
					if c.FirstName == "" || (c.LastName == "" && c.UsageName == "") {
						t.Errorf("incomplete child delivered at row %d", g.Row)
					}
				}
				return nil
			},
			Reject: func(r Reject) error { return checkReject(t, r) },
		})
		checkError(t, err)
	})
}
