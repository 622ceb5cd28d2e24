package ident

import (
	"errors"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

// FuzzCheckINE checks that CheckINE never panics, that an accepted INE has
// one of the national shapes, and that a refusal is a clean domain error
// that does not repeat the input.
func FuzzCheckINE(f *testing.F) {
	for _, s := range []string{"9990000012R", "999000001HA", "2019A12345K", "1219D1A2B3C", "", " 9990000012r ", "9990000012S", "ÀÉ", "99900000123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		form, err := CheckINE(s)
		norm := NormalizeINE(s)
		if err != nil {
			if form != FormNone {
				t.Fatalf("error %v with form %v", err, form)
			}
			var de *sillage.Error
			if !errors.As(err, &de) || de.Kind != sillage.KindInvalid {
				t.Fatalf("error %v is not a domain error of kind invalid", err)
			}
			if len(norm) >= 4 && strings.Contains(err.Error(), norm) {
				t.Fatalf("error %q repeats the input", err)
			}
			return
		}
		if len(norm) != 11 || form == FormNone {
			t.Fatalf("accepted %d bytes as %v", len(norm), form)
		}
		ine, form2, err := ParseINE(s)
		if err != nil || form2 != form || ine.Value() != norm {
			t.Fatalf("ParseINE disagrees with CheckINE: %v", err)
		}
		if again, _ := CheckINE(ine.Value()); again != form {
			t.Fatal("CheckINE is not stable on its normalised output")
		}
	})
}
