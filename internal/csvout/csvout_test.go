package csvout

import (
	"bytes"
	"testing"
)

func TestWriter(t *testing.T) {
	cases := []struct {
		name string
		rows [][]string
		crlf bool
		want string
	}{
		{"empty file: the mark alone", nil, false, "\ufeff"},
		{"header and row", [][]string{{"Nom", "Détails"}, {"DURAND Léa", "a; b"}}, false, "\ufeffNom;Détails\nDURAND Léa;\"a; b\"\n"},
		{"formulas made text", [][]string{{"=HYPERLINK(\"http://x\")", "+33", "-2+3", "@SUM(A1)", "\tx", "\rx"}}, false,
			"\ufeff\"'=HYPERLINK(\"\"http://x\"\")\";'+33;'-2+3;'@SUM(A1);'\tx;\"'\rx\"\n"},
		{"placeholder and plain cells kept", [][]string{{"-", "", "2025-09-01", "Français"}}, false, "\ufeff-;;2025-09-01;Français\n"},
		{"CRLF", [][]string{{"a"}, {"b"}}, true, "\ufeffa\r\nb\r\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		w := NewWriter(&b)
		if c.crlf {
			w.UseCRLF()
		}
		for _, r := range c.rows {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, b.String(), c.want)
		}
	}
}
