package directory_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// guardiansXML builds a guardians export of 0140070A: persons are
// "id|civility|name|first name", links "student|person|tags" where tags
// are the raw RESP_LEGAL / NIVEAU_RESPONSABILITE / CODE_PARENTE elements.
func guardiansXML(persons, links []string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><BEE_RESPONSABLES><PARAMETRES><UAJ>0140070A</UAJ><ANNEE_SCOLAIRE>2018</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><PERSONNES>`)
	for _, p := range persons {
		f := strings.Split(p, "|")
		fmt.Fprintf(&b, `<PERSONNE PERSONNE_ID="%s">`, f[0])
		if f[1] != "" {
			fmt.Fprintf(&b, `<LC_CIVILITE>%s</LC_CIVILITE>`, f[1])
		}
		fmt.Fprintf(&b, `<NOM_DE_FAMILLE>%s</NOM_DE_FAMILLE>`, f[2])
		if f[3] != "" {
			fmt.Fprintf(&b, `<PRENOM>%s</PRENOM>`, f[3])
		}
		b.WriteString(`<ADRESSE_ID>1</ADRESSE_ID></PERSONNE>`)
	}
	b.WriteString(`</PERSONNES><RESPONSABLES>`)
	for _, l := range links {
		f := strings.SplitN(l, "|", 3)
		fmt.Fprintf(&b, `<RESPONSABLE_ELEVE><ELEVE_ID>%s</ELEVE_ID><PERSONNE_ID>%s</PERSONNE_ID>%s</RESPONSABLE_ELEVE>`, f[0], f[1], f[2])
	}
	b.WriteString(`</RESPONSABLES><ADRESSES><ADRESSE ADRESSE_ID="1"><LIGNE1_ADRESSE>2 RUE HAUTE</LIGNE1_ADRESSE><CODE_POSTAL>14000</CODE_POSTAL><LIBELLE_POSTAL>CAEN</LIBELLE_POSTAL></ADRESSE></ADRESSES></DONNEES></BEE_RESPONSABLES>`)
	return b.String()
}

const (
	rl1   = "<RESP_LEGAL>1</RESP_LEGAL>"
	rl2   = "<RESP_LEGAL>2</RESP_LEGAL>"
	rl0   = "<RESP_LEGAL>0</RESP_LEGAL>"
	niv1  = "<NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE>"
	niv3  = "<NIVEAU_RESPONSABILITE>3</NIVEAU_RESPONSABILITE>"
	mere  = "<CODE_PARENTE>10</CODE_PARENTE>"
	pere  = "<CODE_PARENTE>20</CODE_PARENTE>"
	ase   = "<CODE_PARENTE>51</CODE_PARENTE>"
	aseID = "905||AIDE SOCIALE À L'ENFANCE DU CALVADOS|"
)

// Which guardian is legal 1 and legal 2, and which is a legal person, from
// one SIECLE guardians import to the next: RESP_LEGAL's rank whatever the
// order of the file, the order of the file under NIVEAU_RESPONSABILITE, a
// swapped order, a guardian who stops being legal, a legal person, a file
// that ranks nobody. Each step lists, per student, the legal guardians as
// the Livret reads them: "name:rank" or "name:rank:denomination".
func TestResponsablesLegalRanks(t *testing.T) {
	steps := []struct {
		name    string
		persons []string
		links   []string
		want    map[string][]string
		parents []int // created, updated, deactivated, reactivated, unchanged
	}{
		{
			name:    "first import",
			persons: []string{"901|MME|ROCK|Maryline", "902|M.|ROCK|Paul", "903|MME|LOVELACE|Ada", "904|M.|BYRON|George", aseID, "906|MME|VOISINE|Anne"},
			links: []string{
				"610308|902|" + rl2 + pere, // second in RESP_LEGAL, first in the file
				"610308|901|" + rl1 + mere,
				"610399|903|" + niv1 + mere, // no rank given: the order of the file
				"610399|903|" + niv1 + mere, // the same link repeated counts once
				"610399|904|" + niv1 + pere,
				"610305|905|" + niv1 + ase, // a legal person
				"610305|906|" + niv3,       // a contact: not imported
			},
			want: map[string][]string{
				"610308": {"ROCK Maryline:1", "ROCK Paul:2"},
				"610399": {"LOVELACE Ada:1", "BYRON George:2"},
				"610305": {"AIDE SOCIALE À L'ENFANCE DU CALVADOS:1:AIDE SOCIALE À L'ENFANCE DU CALVADOS"},
			},
			parents: []int{5, 0, 0, 0, 0},
		},
		{
			name:    "order swapped, the legal person becomes a person",
			persons: []string{"901|MME|ROCK|Maryline", "902|M.|ROCK|Paul", "903|MME|LOVELACE|Ada", "904|M.|BYRON|George", "905|MME|TUTRICE|Jeanne"},
			links: []string{
				"610308|902|" + rl1 + pere,
				"610308|901|" + rl2 + mere,
				"610399|904|" + niv1 + pere,
				"610399|903|" + niv1 + mere,
				"610305|905|" + niv1 + "<CODE_PARENTE>50</CODE_PARENTE>",
			},
			want: map[string][]string{
				"610308": {"ROCK Paul:1", "ROCK Maryline:2"},
				"610399": {"BYRON George:1", "LOVELACE Ada:2"},
				"610305": {"TUTRICE Jeanne:1"},
			},
			parents: []int{0, 5, 0, 0, 0},
		},
		{
			name:    "a guardian stops being legal, a duplicate rank",
			persons: []string{"901|MME|ROCK|Maryline", "902|M.|ROCK|Paul", "903|MME|LOVELACE|Ada", "904|M.|BYRON|George", "905|MME|TUTRICE|Jeanne"},
			links: []string{
				"610308|902|" + rl0 + pere,        // no longer legal
				"610308|901|" + rl2 + mere + niv1, // both tags: legal by the level, ranked by RESP_LEGAL
				"610399|903|" + rl1 + mere,
				"610399|904|" + rl1 + pere, // RESP_LEGAL 1 twice: the second takes the free rank
				"610305|905|" + niv1,
			},
			want: map[string][]string{
				"610308": {"ROCK Maryline:2"},
				"610399": {"LOVELACE Ada:1", "BYRON George:2"},
				"610305": {"TUTRICE Jeanne:1"},
			},
			// Paul ROCK is no longer legal anywhere: deactivated; Ada and
			// George swap back; Jeanne TUTRICE loses her CODE_PARENTE.
			parents: []int{0, 3, 1, 0, 1},
		},
		{
			name:    "nothing ranked, no civility: imported as it is",
			persons: []string{"901||ROCK|Maryline", "903|MME|LOVELACE|Ada", "904|M.|BYRON|George", "905|MME|TUTRICE|Jeanne"},
			links: []string{
				"610308|901|" + niv1 + mere,
				"610399|903|" + niv1,
				"610399|904|" + niv1,
				"610305|905|" + niv1,
			},
			want: map[string][]string{
				"610308": {"ROCK Maryline:1"}, // alone now: legal 1 in file order
				"610399": {"LOVELACE Ada:1", "BYRON George:2"},
				"610305": {"TUTRICE Jeanne:1"},
			},
			// Maryline loses her civility and changes rank, Ada and George
			// their CODE_PARENTE; nobody is refused or deactivated.
			parents: []int{0, 3, 0, 0, 1},
		},
	}
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment("0140070A", sillage.KindCollege)
		ok(t)(e.siecle(testdata("siecle_0140070A.xml"), "0140070A", oldFile))
		ss := students(t, st, "0140070A")
		ctx := context.Background()
		for _, step := range steps {
			data := guardiansXML(step.persons, step.links)
			opts := directory.Options{UAI: "0140070A", FileName: "ResponsablesAvecAdresses.xml", ConfirmOldFile: true, ConfirmMassDeactivation: true}
			rep := ok(t)(e.im.Responsables(ctx, strings.NewReader(data), opts))
			if len(rep.Rejects) != 0 {
				t.Errorf("%s: rejects %+v", step.name, rep.Rejects)
			}
			want(t, rep, directory.KindParents, step.parents...)
			err := st.Read(ctx, func(tx *store.Tx) error {
				for id, w := range step.want {
					cs, err := tx.People().ListGuardianContacts(ctx, "0140070A", []int64{ss[id].ID})
					if err != nil {
						return err
					}
					var got []string
					for _, c := range cs {
						s := fmt.Sprintf("%s:%d", strings.TrimSpace(c.LastName+" "+c.FirstName), c.Rank)
						if c.Denomination != "" {
							s += ":" + c.Denomination
						}
						got = append(got, s)
					}
					if !slices.Equal(got, w) {
						t.Errorf("%s: student %s guardians %q, want %q", step.name, id, got, w)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The same file again changes nothing.
			allUnchanged(t, ok(t)(e.im.Responsables(ctx, strings.NewReader(data), opts)))
		}
	})
}
