package aaf

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sillage/sillage/internal/ident"
)

// Synthetic people for tests and benchmarks: names built from syllables,
// INEs of the RNIE shape with the "999" prefix of the reference set's
// synthetic identifiers. No real person's data.

var syllables = []string{"BA", "LO", "RI", "VEN", "TA", "MOR", "SU", "DEL", "CA", "NI", "PER", "GO"}
var firstNames = []string{"Alix", "Basile", "Célia", "Dorian", "Elsa", "Fanny", "Gaël", "Hugo", "Inès", "Jules", "Léna", "Noé"}

func synthName(i int) string {
	a, b, c := syllables[i%12], syllables[(i/12)%12], syllables[(i/144)%12]
	return a + b + c
}

// synthINE returns a distinct RNIE-shaped INE for i < 676,000,000.
func synthINE(i int) string {
	return fmt.Sprintf("999%06d%c%c", i%1000000, 'A'+byte((i/1000000)%26), 'A'+byte((i/26000000)%26))
}

func genStudent(i int) *Student {
	id := strconv.Itoa(5000000 + i)
	structure := strconv.Itoa(50000 + i%20)
	class := fmt.Sprintf("2ND%d", 1+i%12)
	return &Student{
		Record:     Record{Op: OpAdd, ID: id},
		SIECLEID:   strconv.Itoa(800000 + i),
		INE:        ident.RawINE(synthINE(i)),
		LastName:   synthName(i),
		BirthName:  synthName(i),
		FirstName:  firstNames[i%len(firstNames)],
		OtherNames: []string{firstNames[(i+3)%len(firstNames)]},
		Civility:   []string{"M.", "Mme"}[i%2],
		BirthDate:  time.Date(2008+i%4, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC),
		Structures: []string{structure},
		Classes:    []Membership{{StructureID: structure, Code: class}},
		Groups:     []Membership{{StructureID: structure, Code: "G" + class}},
		ClassEntries: []ClassDate{
			{StructureID: structure, Date: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), Class: class},
		},
		MEF:      "24731004110",
		MEFLabel: "2NDPRO MET.RELATION CLIENT",
		Level:    "2NDE PRO",
		Status:   "SCOLAIRE",
		Relatives: []RelativeLink{
			{RelativeID: strconv.Itoa(7000000 + 2*i), LinkCode: "10", Financial: true, Legal: RespLegal, Contact: true, Payment: true},
			{RelativeID: strconv.Itoa(7000000 + 2*i + 1), LinkCode: "20", Legal: RespLegal},
		},
		SubjectCodes:  []string{"030201", "020700", "061300"},
		SubjectLabels: []string{"ANGLAIS LV1", "FRANCAIS", "MATHEMATIQUES"},
	}
}

func genRelative(i int) *Relative {
	return &Relative{
		Record:     Record{Op: OpAdd, ID: strconv.Itoa(7000000 + i)},
		LastName:   synthName(i / 2),
		FirstName:  firstNames[(i+5)%len(firstNames)],
		Civility:   []string{"Mme", "M."}[i%2],
		HomePhone:  "0000000000",
		Mobiles:    []string{"0600000000"},
		Address:    []string{fmt.Sprintf("%d RUE DES TESTS", 1+i%90)},
		PostalCode: "86000",
		City:       "POITIERS",
		Country:    "FRANCE",
	}
}

// writeStudents writes a Complet Eleve file of n synthetic students to w.
func writeStudents(w io.Writer, n int) error {
	aw := NewWriter(w, CategoryStudent)
	for i := range n {
		if err := aw.Write(genStudent(i).Request()); err != nil {
			return err
		}
	}
	return aw.Close()
}
