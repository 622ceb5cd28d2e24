package sillage

import (
	"maps"
	"testing"
)

func TestDigitalLevelsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]int
		want string
		back map[string]int
	}{
		{"nothing", nil, "", nil},
		{"in LSU's order", map[string]int{"CN_ENV_EVO": 1, "CN_INF_MEN": 3, "CN_PRO_DON": 2}, "CN_INF_MEN:3,CN_PRO_DON:2,CN_ENV_EVO:1",
			map[string]int{"CN_ENV_EVO": 1, "CN_INF_MEN": 3, "CN_PRO_DON": 2}},
		{"unknown skills and levels out of 1–3 dropped", map[string]int{"CN_XXX": 2, "CN_CRE_PRO": 4, "CN_CRE_TEX": 0, "CN_COM_COL": 2}, "CN_COM_COL:2",
			map[string]int{"CN_COM_COL": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EncodeDigitalLevels(tt.in)
			if got != tt.want {
				t.Fatalf("EncodeDigitalLevels = %q, want %q", got, tt.want)
			}
			if back := DecodeDigitalLevels(got); !maps.Equal(back, tt.back) {
				t.Errorf("DecodeDigitalLevels = %v, want %v", back, tt.back)
			}
		})
	}
	// A stored value edited by hand: the valid pairs are kept.
	if got := DecodeDigitalLevels("CN_INF_MEN:2,garbage,CN_INF_GER:9,CN_COM_INT:x"); !maps.Equal(got, map[string]int{"CN_INF_MEN": 2}) {
		t.Errorf("partly broken value: %v", got)
	}
	if len(DigitalSkillCodes) != 16 {
		t.Errorf("%d skills, the CRCN has 16", len(DigitalSkillCodes))
	}
}
