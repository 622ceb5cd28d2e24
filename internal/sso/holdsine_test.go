package sso

import "testing"

// TestHoldsINE: an ID token whose claims carry an INE under any name, at
// any depth, is never kept (for the log-out hint).
func TestHoldsINE(t *testing.T) {
	for _, c := range []struct {
		name   string
		claims map[string]any
		want   bool
	}{
		{"none", map[string]any{"sub": "abc", "sid": "s1", "name": "Léa DURAND"}, false},
		{"another claim name", map[string]any{"sub": "abc", "ident_national": "999000001HA"}, true},
		{"lower case, spaces", map[string]any{"x": " 999000001ha "}, true},
		{"nested", map[string]any{"eleve": map[string]any{"ids": []any{"x", "999000001HA"}}}, true},
		{"not an INE", map[string]any{"code": "12345", "groups": []any{"3E1"}}, false},
	} {
		if got := holdsINE(c.claims); got != c.want {
			t.Errorf("%s: holdsINE = %v, want %v", c.name, got, c.want)
		}
	}
}
