package sso

import "testing"

func TestSameName(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Lefèvre-Durand", "LEFEVRE DURAND", true},
		{"D'Almeida", "dalmeida", true},
		{"Hélène", "HELENE", true},
		{"Durand", "Dupont", false},
		{"", "", false}, // nothing to compare is no match
		{"Œdipe", "OEDIPE", true},
		{"Lætitia", "laetitia", true},
		{"Lefèvre Durand", "LEFEVREDURAND", true}, // spaces are ignored, not only collapsed
		{"St. Jean", "ST JEAN", true},             // nor other punctuation
		{"Müller", "MULLER", true},
		{"-", "'", false}, // punctuation alone is nothing to compare
		{"Marie", "Marie-Anne", false},
	}
	for _, tt := range tests {
		if got := sameName(tt.a, tt.b); got != tt.want {
			t.Errorf("sameName(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIsParent(t *testing.T) {
	for aff, want := range map[string]bool{"resp1d": true, "resp2d": true, "RESP2D": true, "eleve2d": false, "eleve1d": false, "": false, "parent": true} {
		if got := isParent(aff); got != want {
			t.Errorf("isParent(%q) = %v, want %v", aff, got, want)
		}
	}
}
