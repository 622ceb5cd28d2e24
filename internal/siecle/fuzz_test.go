package siecle

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

// The fuzz targets check that any input ends in records or a clean error:
// no panic, errors of kind Invalid with a message, records that hold what a
// reader promises, and no INE value in any error or reject message. Seeds
// are in testdata/fuzz/<target>/, built from small synthetic inputs.

var ineElement = regexp.MustCompile(`<(ID_NATIONAL|INE_RNIE|INE_BEA)>([^<]*)</`)

// ineValues returns the values of INE elements that appear nowhere else in
// data: a message holding one of them can only have copied it from an INE.
func ineValues(data []byte) []string {
	counts := map[string]int{}
	for _, m := range ineElement.FindAllSubmatch(data, -1) {
		if v := strings.TrimSpace(string(m[2])); len(v) >= 6 {
			counts[v]++
		}
	}
	var only []string
	for v, n := range counts {
		if bytes.Count(data, []byte(v)) == n {
			only = append(only, v)
		}
	}
	return only
}

func checkMessage(t *testing.T, what, msg string, ines []string) {
	t.Helper()
	if strings.TrimSpace(msg) == "" {
		t.Errorf("%s with an empty message", what)
	}
	for _, v := range ines {
		if strings.Contains(msg, v) {
			t.Errorf("%s holds the content of an INE element: %q", what, msg)
		}
	}
}

func checkReject(t *testing.T, r Reject, ines []string) {
	t.Helper()
	if r.Line <= 0 || r.Element == "" || r.Reason == "" {
		t.Errorf("incomplete reject %+v", r)
	}
	checkMessage(t, "reject", r.Error(), ines)
}

func checkError(t *testing.T, err error, ines []string) {
	t.Helper()
	if err == nil {
		return
	}
	if k := sillage.KindOf(err); k != sillage.KindInvalid {
		t.Errorf("error of kind %v, want invalid: %v", k, err)
	}
	checkMessage(t, "error", err.Error(), ines)
}

func FuzzDecodeStudents(f *testing.F) {
	f.Add([]byte(`<BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><ELEVES><ELEVE ELEVE_ID="1"><ID_NATIONAL>999000101AB</ID_NATIONAL><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B</PRENOM><DATE_NAISS>01/02/2009</DATE_NAISS></ELEVE></ELEVES></DONNEES></BEE_ELEVES>`))
	f.Add([]byte(`<BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><STRUCTURES><STRUCTURES_ELEVE ELEVE_ID="1"><STRUCTURE><CODE_STRUCTURE>3 A</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE></STRUCTURES></DONNEES></BEE_ELEVES>`))
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><BEE_ELEVES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><OPTIONS><OPTION ELEVE_ID=\"1\"><OPTIONS_ELEVE><NUM_OPTION>1</NUM_OPTION><CODE_MATIERE>030201</CODE_MATIERE></OPTIONS_ELEVE></OPTION></OPTIONS></DONNEES></BEE_ELEVES>"))
	f.Add([]byte(`<BEE_ELEVES><STRICTURES_ELEVE></STRUCTURES_ELEVE></BEE_ELEVES>`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ines := ineValues(data)
		h := StudentsHandler{
			Header: func(h Header) error {
				if _, err := sillage.ParseUAI(string(h.UAJ)); err != nil || h.Year < 1900 {
					t.Errorf("header delivered with an invalid UAJ or year: %+v", h)
				}
				return nil
			},
			Student: func(s Student) error {
				if s.EleveID == "" || s.LastName == "" || s.FirstName == "" || s.Line <= 0 {
					t.Errorf("incomplete student delivered: line %d, ELEVE_ID %q", s.Line, s.EleveID)
				}
				if s.Sex != "" && s.Sex != "M" && s.Sex != "F" {
					t.Errorf("sex %q delivered", s.Sex)
				}
				return nil
			},
			Structures: func(st StudentStructures) error {
				if st.EleveID == "" {
					t.Error("structures delivered without ELEVE_ID")
				}
				return nil
			},
			Options: func(o StudentOptions) error {
				if o.EleveID == "" {
					t.Error("options delivered without ELEVE_ID")
				}
				return nil
			},
			Reject: func(r Reject) error { checkReject(t, r, ines); return nil },
		}
		err := DecodeStudents(bytes.NewReader(data), h)
		checkError(t, err, ines)
		// The in-memory reader must agree on whether the file is usable.
		sf, rerr := ReadStudents(bytes.NewReader(data))
		if (err == nil) != (rerr == nil) || (rerr == nil) != (sf != nil) {
			t.Errorf("DecodeStudents error %v, ReadStudents error %v", err, rerr)
		}
		if sf != nil {
			for _, r := range sf.Rejects {
				checkReject(t, r, ines)
			}
		}
	})
}

func FuzzDecodeGuardians(f *testing.F) {
	f.Add([]byte(`<BEE_RESPONSABLES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><PERSONNES><PERSONNE PERSONNE_ID="1"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE></PERSONNE></PERSONNES><RESPONSABLES><RESPONSABLE_ELEVE><ELEVE_ID>1</ELEVE_ID><PERSONNE_ID>1</PERSONNE_ID><RESP_LEGAL>2</RESP_LEGAL></RESPONSABLE_ELEVE></RESPONSABLES><ADRESSES><ADRESSE ADRESSE_ID="1"><CODE_POSTAL>86000</CODE_POSTAL></ADRESSE></ADRESSES></DONNEES></BEE_RESPONSABLES>`))
	f.Add([]byte(`<BEE_RESPONSABLES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><RESPONSABLES><RESPONSABLE_ELEVE><NIVEAU_RESPONSABILITE>9</NIVEAU_RESPONSABILITE></RESPONSABLE_ELEVE></RESPONSABLES></DONNEES></BEE_RESPONSABLES>`))
	// Both tags: the level says legal, RESP_LEGAL the rank.
	f.Add([]byte(`<BEE_RESPONSABLES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><RESPONSABLES><RESPONSABLE_ELEVE><ELEVE_ID>1</ELEVE_ID><PERSONNE_ID>1</PERSONNE_ID><RESP_LEGAL>2</RESP_LEGAL><NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE></RESPONSABLE_ELEVE></RESPONSABLES></DONNEES></BEE_RESPONSABLES>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := DecodeGuardians(bytes.NewReader(data), GuardiansHandler{
			Person: func(p Person) error {
				if p.PersonID == "" || p.LastName == "" {
					t.Errorf("incomplete person delivered: %+v", p)
				}
				return nil
			},
			Link: func(l Link) error {
				if l.EleveID == "" || l.PersonID == "" {
					t.Errorf("incomplete link delivered: %+v", l)
				}
				if l.LegalRank < 0 || l.LegalRank > 2 || l.LegalRank != 0 && !l.LegalGuardian {
					t.Errorf("rank %d on a link (legal %v)", l.LegalRank, l.LegalGuardian)
				}
				return nil
			},
			Address: func(a Address) error {
				if a.AddressID == "" {
					t.Errorf("address delivered without id: %+v", a)
				}
				return nil
			},
			Reject: func(r Reject) error { checkReject(t, r, nil); return nil },
		})
		checkError(t, err, nil)
	})
}

func FuzzReadNomenclature(f *testing.F) {
	f.Add([]byte(`<BEE_NOMENCLATURES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><MEFS><MEF CODE_MEF="1"><DATE_FERMETURE>31/12/9999</DATE_FERMETURE></MEF></MEFS><PROGRAMMES><PROGRAMME><CODE_MEF>1</CODE_MEF><CODE_MATIERE>2</CODE_MATIERE><CODE_MODALITE_ELECT>S</CODE_MODALITE_ELECT><HORAIRE>1.5</HORAIRE></PROGRAMME></PROGRAMMES></DONNEES></BEE_NOMENCLATURES>`))
	f.Add([]byte(`<BEE_NOMENCLATURES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><MOTIFS_SORTIE><MOTIF_SORTIE CODE_MOTIF_SORTIE="43"><LIBELLE_LONG>X</LIBELLE_LONG></MOTIF_SORTIE></MOTIFS_SORTIE></DONNEES></BEE_NOMENCLATURES>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ReadNomenclature(bytes.NewReader(data))
		checkError(t, err, nil)
		if (err == nil) != (n != nil) {
			t.Fatalf("result %v with error %v", n != nil, err)
		}
		if n == nil {
			return
		}
		for _, r := range n.Rejects {
			checkReject(t, r, nil)
		}
		for _, p := range n.Programmes {
			if p.MEF == "" || p.Subject == "" || p.Modality == "" || !(p.Hours >= 0) {
				t.Errorf("incomplete programme kept: %+v", p)
			}
		}
		for _, m := range n.MEFs {
			if m.Code == "" {
				t.Error("MEF kept without code")
			}
		}
	})
}
