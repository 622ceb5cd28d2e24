package siecle

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestReadGuardiansReference(t *testing.T) {
	f, err := ReadGuardians(openRef(t, "siecle", "fixtures_dossiersco", "responsables_avec_adresses_simple.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Header.UAJ != "0140070A" || f.Header.Year != 2018 {
		t.Errorf("header = %+v", f.Header)
	}
	if len(f.Persons) != 3 || len(f.Links) != 3 || len(f.Addresses) != 1 || len(f.Rejects) != 0 {
		t.Fatalf("%d persons, %d links, %d addresses, %d rejects; want 3, 3, 1, 0",
			len(f.Persons), len(f.Links), len(f.Addresses), len(f.Rejects))
	}
	p := f.Persons[0]
	if p.PersonID != "209401" || p.Civility != "MME" || p.Name() != "ROCK Maryline" || p.AddressID != "189317" || p.Line != 11 {
		t.Errorf("first person = %+v", p)
	}
	// The 2019 file uses NIVEAU_RESPONSABILITE 1 for every link.
	for _, l := range f.Links {
		if !l.LegalGuardian || l.Relationship != "10" {
			t.Errorf("link %+v: want a legal guardian, CODE_PARENTE 10", l)
		}
	}
	if l := f.Links[2]; l.EleveID != "610305" || l.PersonID != "209400" {
		t.Errorf("third link = %+v", l)
	}
	a := f.Addresses[0]
	if a.AddressID != "189317" || a.Lines != [4]string{"18 RUE DES HOMMETS", "MEZIDON CANON", "", ""} ||
		a.PostalCode != "14270" || a.Town != "MEZIDON VALLEE D AUGE" || a.CountryCode != "100" || a.Country != "FRANCE" {
		t.Errorf("address = %+v", a)
	}
}

// The older names (RESP_LEGAL, NOM) and every responsibility level.
func TestReadGuardiansOlderNames(t *testing.T) {
	f, err := ReadGuardians(openTestdata(t, "responsables_anciens_noms.xml"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "responsables_anciens_noms.json", asJSON(t, f))
	var persons []string
	for _, p := range f.Persons {
		persons = append(persons, p.PersonID+" "+p.Name())
	}
	wantPersons := []string{"7001 LÉGER Hélène", "7002 MARTIN Loïc", "7003 AIDE SOCIALE À L'ENFANCE", "7004 GARNIER Odile"}
	if !slices.Equal(persons, wantPersons) {
		t.Errorf("persons = %q, want %q", persons, wantPersons)
	}
	// Only the ASE (no civility, no first name) is a legal person; Odile
	// GARNIER, without civility, is not.
	var entities []string
	for _, p := range f.Persons {
		if p.LegalEntity() {
			entities = append(entities, p.PersonID)
		}
	}
	if !slices.Equal(entities, []string{"7003"}) {
		t.Errorf("legal persons = %q, want [7003]", entities)
	}
	var links []string
	for _, l := range f.Links {
		links = append(links, fmt.Sprintf("%s→%s legal=%v rank=%d", l.PersonID, l.EleveID, l.LegalGuardian, l.LegalRank))
	}
	wantLinks := []string{
		"7001→4100001 legal=true rank=1",  // RESP_LEGAL 1
		"7002→4100001 legal=true rank=2",  // RESP_LEGAL 2: the second legal guardian
		"7003→4100003 legal=false rank=0", // NIVEAU_RESPONSABILITE 2: person in charge
		"7004→4100003 legal=false rank=0", // RESP_LEGAL 0
	}
	if !slices.Equal(links, wantLinks) {
		t.Errorf("links = %q, want %q", links, wantLinks)
	}
	var rejects []string
	for _, r := range f.Rejects {
		rejects = append(rejects, r.Error())
	}
	wantRejects := []string{
		"ligne 32, <PERSONNE> (SANSIDENTIFIANT Paul) : attribut PERSONNE_ID absent",
		`ligne 62, <RESPONSABLE_ELEVE> (ELEVE_ID 4100002) : RESP_LEGAL "X" inconnu (0, 1 ou 2 attendu)`,
	}
	if !slices.Equal(rejects, wantRejects) {
		t.Errorf("rejects:\n got %q\nwant %q", rejects, wantRejects)
	}
	if a := f.Addresses[0]; a.Lines[0] != "12 RUE DES ÉCOLES" || a.Lines[1] != "BÂTIMENT B" {
		t.Errorf("address lines = %q", a.Lines)
	}
}

func TestDecodeGuardiansLinks(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		legal  bool
		rank   int
		reject string
	}{
		{"NIVEAU 1", "<NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE>", true, 0, ""},
		{"NIVEAU 3 contact", "<NIVEAU_RESPONSABILITE>3</NIVEAU_RESPONSABILITE>", false, 0, ""},
		{"newer tag wins", "<RESP_LEGAL>1</RESP_LEGAL><NIVEAU_RESPONSABILITE>2</NIVEAU_RESPONSABILITE>", false, 0, ""},
		{"RESP_LEGAL 1", "<RESP_LEGAL>1</RESP_LEGAL>", true, 1, ""},
		{"RESP_LEGAL 2", "<RESP_LEGAL>2</RESP_LEGAL>", true, 2, ""},
		{"RESP_LEGAL 0", "<RESP_LEGAL>0</RESP_LEGAL>", false, 0, ""},
		{"both tags rank", "<RESP_LEGAL>2</RESP_LEGAL><NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE>", true, 2, ""},
		{"both tags, not ranked", "<RESP_LEGAL>0</RESP_LEGAL><NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE>", true, 0, ""},
		{"neither tag", "", false, 0, ""},
		{"unknown level", "<NIVEAU_RESPONSABILITE>9</NIVEAU_RESPONSABILITE>", false, 0, `NIVEAU_RESPONSABILITE "9" inconnu`},
		{"empty level", "<NIVEAU_RESPONSABILITE/>", false, 0, `NIVEAU_RESPONSABILITE "" inconnu`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := `<BEE_RESPONSABLES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><RESPONSABLES>
<RESPONSABLE_ELEVE><ELEVE_ID>1</ELEVE_ID><PERSONNE_ID>2</PERSONNE_ID>` + tt.fields + `</RESPONSABLE_ELEVE></RESPONSABLES></DONNEES></BEE_RESPONSABLES>`
			f, err := ReadGuardians(strings.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if tt.reject != "" {
				if len(f.Rejects) != 1 || !strings.Contains(f.Rejects[0].Reason, tt.reject) || len(f.Links) != 0 {
					t.Fatalf("rejects = %v, links = %v; want one reject %q", f.Rejects, f.Links, tt.reject)
				}
				return
			}
			if len(f.Links) != 1 || len(f.Rejects) != 0 {
				t.Fatalf("links = %v, rejects = %v", f.Links, f.Rejects)
			}
			if f.Links[0].LegalGuardian != tt.legal || f.Links[0].LegalRank != tt.rank {
				t.Errorf("legal guardian = %v rank %d, want %v rank %d", f.Links[0].LegalGuardian, f.Links[0].LegalRank, tt.legal, tt.rank)
			}
		})
	}
}

func TestDecodeGuardiansFileErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"students file", `<BEE_ELEVES/>`, []string{"export SIECLE des élèves", "<BEE_RESPONSABLES>"}},
		{"no header", `<BEE_RESPONSABLES><DONNEES/></BEE_RESPONSABLES>`, []string{"<PARAMETRES>"}},
		{"no data", `<BEE_RESPONSABLES><PARAMETRES><UAJ>0860012W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES></BEE_RESPONSABLES>`, []string{"<DONNEES> absent"}},
		{"malformed", "<BEE_RESPONSABLES>\n<PARAMETRES></PARAMETRE></BEE_RESPONSABLES>", []string{"ligne 2", "<PARAMETRES> est fermé par </PARAMETRE>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadGuardians(strings.NewReader(tt.data))
			wantInvalid(t, err, tt.want...)
		})
	}
}
