package directory

import (
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
)

// TestKindOfStructure: the kind of an establishment an AAF import creates
// comes from the nature d'UAI code or the type's words; what neither tells
// is left unknown for the operator rather than guessed a lycée.
func TestKindOfStructure(t *testing.T) {
	for _, tc := range []struct {
		code, typ, name string
		want            sillage.EstablishmentKind
	}{
		// The code comes in ENTStructureCodeTypeStruct, beside words
		// in ENTStructureTypeStruct (as in the national sample feeds).
		{"340", "SANS OBJET", "", sillage.KindCollege},
		{"340", "COLLEGE", "LYCEE PROFESSIONNEL X", sillage.KindCollege},
		{"352", "", "", sillage.KindCollege},
		{"151", "", "", sillage.KindEcole},
		{"320", "", "", sillage.KindLP},
		{"390", "", "", sillage.KindLP},
		{"300", "", "", sillage.KindLGT},
		{"306", "", "", sillage.KindLGT},
		{"370", "", "EREA", sillage.KindUnknown},
		// Some feeds put the code in the type.
		{"", "340", "", sillage.KindCollege},
		{"", "COLLEGE", "", sillage.KindCollege},
		{"", "COLLEGE", "CLG PROFESSEUR CALMETTE", sillage.KindCollege},
		{"", "ECOLE", "", sillage.KindEcole},
		{"", "LYCEE PROFESSIONNEL", "", sillage.KindLP},
		{"", "LYCEE", "", sillage.KindLGT},
		{"", "SANS OBJET", "CLG JEAN MOULIN", sillage.KindCollege},
		{"", "SANS OBJET", "LP JEAN JAURES", sillage.KindLP},
		{"", "LYCEE PROF.", "", sillage.KindLP},
		{"", "SANS OBJET", "CLG PROFESSEUR CALMETTE", sillage.KindCollege},
		{"", "SANS OBJET", "CENTRE DE FORMATION", sillage.KindUnknown},
		{"", "", "", sillage.KindUnknown},
	} {
		if got := kindOfStructure(&aaf.Structure{TypeCode: tc.code, Type: tc.typ, Name: tc.name}); got != tc.want {
			t.Errorf("%q %q %q: %s, want %s", tc.code, tc.typ, tc.name, got, tc.want)
		}
	}
}
