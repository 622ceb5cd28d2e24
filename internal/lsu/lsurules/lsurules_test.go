package lsurules

import (
	"bytes"
	"os"
	"testing"
)

// TestValidators: every version's table builds a validator, and each
// accepts the golden file of its version and refuses it without its head.
func TestValidators(t *testing.T) {
	golden := map[string]string{
		"2D/10.0": "../testdata/college_10.0.xml",
		"2D/7.0":  "../testdata/college_7.0.xml",
		"1D/1.0b": "../testdata/ecole_1.0b.xml",
		"1D/1.0":  "../testdata/ecole_1.0.xml",
	}
	for _, key := range Keys() {
		v, err := Validator(key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		data, err := os.ReadFile(golden[key])
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Validate(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: the golden file is refused: %v", key, err)
		}
		start, end := bytes.Index(data, []byte("<entete>")), bytes.Index(data, []byte("</entete>"))
		headless := append(append([]byte(nil), data[:start]...), data[end+len("</entete>"):]...)
		if err := v.Validate(bytes.NewReader(headless)); err == nil {
			t.Errorf("%s: a file without entete is accepted", key)
		}
	}
	if _, err := Validator("2D/99.0"); err == nil {
		t.Error("an unknown version has a validator")
	}
}
