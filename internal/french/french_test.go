package french

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"André", "andre"},
		{"ŒUVRAY", "oeuvray"},
		{"  Jean-Pierre   D’Alembert ", "jean pierre d alembert"},
		{"LÆTITIA", "laetitia"},
		{"Strauß", "strauss"},
		{"Ç", "c"},
		{"", ""},
	} {
		if got := Fold(c.in); got != c.want {
			t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestQueryMatch(t *testing.T) {
	for _, c := range []struct {
		q     string
		texts []string
		want  bool
	}{
		{"andre", []string{"ANDRÉ Zoé"}, true},
		{"oeuvray", []string{"ŒUVRAY Léa"}, true},
		{"œuvray", []string{"Oeuvray Léa"}, true},
		{"dupont jean", []string{"Jean-Marc DUPONT"}, true},
		{"jean pierre", []string{"Jean-Pierre Martin"}, true},
		{"dupond", []string{"Jean DUPONT"}, false},
		{"martin", []string{"Léa Durand", "martin.l"}, true},
		{"martin léa", []string{"Léa Durand", "martin.l"}, true},
		{"zoe", []string{"Léa Durand"}, false},
		{"  ", []string{"Léa Durand"}, true},
	} {
		if got := ParseQuery(c.q).Match(c.texts...); got != c.want {
			t.Errorf("%q in %q: %v, want %v", c.q, c.texts, got, c.want)
		}
	}
}

func TestSortFunc(t *testing.T) {
	type person struct{ last, first string }
	in := []person{
		{"Zola", "Émile"}, {"Œuvray", "Léa"}, {"Élie", "Anne"}, {"Oeuvrard", "Paul"}, {"Odin", "Marc"},
		{"Eliot", "Zoé"}, {"Le", "Zacharie"}, {"Lebrun", "Anne"}, {"ébert", "Luc"}, {"Ebert", "Luc"}, {"Ebert", "Ève"},
	}
	want := []person{
		{"Ebert", "Ève"}, {"Ebert", "Luc"}, {"ébert", "Luc"}, {"Élie", "Anne"}, {"Eliot", "Zoé"}, {"Le", "Zacharie"},
		{"Lebrun", "Anne"}, {"Odin", "Marc"}, {"Oeuvrard", "Paul"}, {"Œuvray", "Léa"}, {"Zola", "Émile"},
	}
	SortFunc(in, func(p person) []string { return []string{p.last, p.first} })
	if !slices.Equal(in, want) {
		t.Errorf("sorted:\n%v\nwant:\n%v", in, want)
	}
}

func TestCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"Élodie", "Zoé", -1},
		{"Œdipe", "Odile", 1}, // oe > od
		{"Œdipe", "Oedipe", 1},
		{"Oedipe", "Oedipe", 0},
		{"Zoé", "zoé", 1},
	} {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"André", "ŒUVRAY", "Jean-Pierre D’Alembert", "\xff\xfe", "ǅ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded := Fold(s)
		if Fold(folded) != folded {
			t.Errorf("Fold is not idempotent on %q: %q then %q", s, folded, Fold(folded))
		}
		if !ParseQuery(s).Match(s) {
			t.Errorf("%q does not find itself", s)
		}
	})
}
