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
		typ, name string
		want      sillage.EstablishmentKind
	}{
		{"340", "", sillage.KindCollege},
		{"352", "", sillage.KindCollege},
		{"151", "", sillage.KindEcole},
		{"320", "", sillage.KindLP},
		{"390", "", sillage.KindLP},
		{"300", "", sillage.KindLGT},
		{"306", "", sillage.KindLGT},
		{"370", "EREA", sillage.KindUnknown},
		{"COLLEGE", "", sillage.KindCollege},
		{"ECOLE", "", sillage.KindEcole},
		{"LYCEE PROFESSIONNEL", "", sillage.KindLP},
		{"LYCEE", "", sillage.KindLGT},
		{"SANS OBJET", "CLG JEAN MOULIN", sillage.KindCollege},
		{"SANS OBJET", "CENTRE DE FORMATION", sillage.KindUnknown},
		{"", "", sillage.KindUnknown},
	} {
		if got := kindOfStructure(&aaf.Structure{Type: tc.typ, Name: tc.name}); got != tc.want {
			t.Errorf("%q %q: %s, want %s", tc.typ, tc.name, got, tc.want)
		}
	}
}
