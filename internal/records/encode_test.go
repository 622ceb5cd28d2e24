package records

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Encode writes what an Encoder with two-space indentation and no HTML
// escaping writes (the records JSON format as documented), whatever the
// calls before it left in its pooled buffers.
func TestEncodeIndented(t *testing.T) {
	files := []*File{
		{Format: FormatName, Version: FormatVersion, Establishment: "Lycée <Jean> & Cie", Students: []Student{}},
		{Format: FormatName, Version: FormatVersion, UAI: "0750001A", Scale: []Level{{Code: "A", Label: "Acquis « très bien »", Points: 3}},
			Students: []Student{{}}},
		{Format: FormatName, Version: FormatVersion, Establishment: strings.Repeat("é", 3000), Students: []Student{}},
		{Format: FormatName, Version: FormatVersion, Students: []Student{}},
	}
	for i, f := range files {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := Encode(&got, f); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("file %d:\n%s\nwant\n%s", i, got.String(), want.String())
		}
		if !strings.Contains(got.String(), "\n  \"") || !strings.HasSuffix(got.String(), "}\n") {
			t.Fatalf("file %d not indented or without its final newline:\n%s", i, got.String())
		}
	}
}
