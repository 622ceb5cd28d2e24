package aaf

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

// fuzzSeeds are small synthetic documents; the corpus under
// testdata/fuzz/FuzzParse holds more.
var fuzzSeeds = []string{
	doc(addEleve("1", `<attr name="sn"><value>TALOBA</value></attr><attr name="givenName"><value>Elsa</value></attr>`)),
	doc(`<modifyRequest>` + opEleve + `<identifier><id>2</id></identifier><modifications><modification name="ENTEleveMEF" operation="replace"><value/></modification></modifications></modifyRequest>`),
	doc(`<deleteRequest>` + opEleve + `<identifier><id>3</id></identifier></deleteRequest>`),
	"<ficAlimMENESR>" + addEleve("4", `<attr name="ENTElevePere"></attr>`) + "</ficAlimMENESR>",
	`<?xml version="1.0" encoding="ISO-8859-1"?><ficAlimMENESR><!-- versionAF="x" --></ficAlimMENESR>`,
	doc(addEleve("5", `<attr name="ENTEleveInconnu"><value>x</value></attr>`)),
}

// sameValues compares attribute values, an attribute without value and one
// with a single empty value being the same ("present and empty").
func sameValues(a, b []string) bool {
	norm := func(v []string) []string {
		if len(v) == 0 {
			return []string{""}
		}
		return v
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// checkDomainError fails unless err is a clean domain error of kind invalid.
func checkDomainError(t *testing.T, err error) {
	t.Helper()
	var de *sillage.Error
	if !errors.As(err, &de) || de.Kind != sillage.KindInvalid || de.Msg == "" {
		t.Fatalf("error %v (%T) is not a domain error of kind invalid", err, err)
	}
}

// FuzzParse checks that Parse never panics, that a refusal is a clean
// domain error, and that what it accepts is consistent: known categories
// and attributes, typed decoders that do not panic, and a writer that
// writes every accepted request back to the same request.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var reqs []*Request
		sum, err := Parse(bytes.NewReader(data), func(r *Request) error {
			reqs = append(reqs, r)
			return nil
		})
		if err != nil {
			checkDomainError(t, err)
			return
		}
		if sum.Requests() != len(reqs) {
			t.Fatalf("summary counts %d requests, callback saw %d", sum.Requests(), len(reqs))
		}
		for _, r := range reqs {
			if r.Category.rank() == len(ImportOrder) || r.ID == "" || (r.Op == OpDelete) != (r.Attrs == nil) {
				t.Fatalf("inconsistent request %+v", r)
			}
			for name := range r.Attrs {
				if !KnownAttribute(r.Category, name) {
					t.Fatalf("unknown attribute %q accepted", name)
				}
			}
			decodeAny(t, r)
			roundTrip(t, r)
		}
	})
}

func decodeAny(t *testing.T, r *Request) {
	t.Helper()
	var err error
	switch r.Category {
	case CategoryStudent:
		_, err = DecodeStudent(r)
	case CategoryRelative:
		_, err = DecodeRelative(r)
	case CategoryStaff:
		_, err = DecodeStaff(r)
	case CategoryStructure:
		_, err = DecodeStructure(r)
	case CategoryMEF:
		_, err = DecodeMEF(r)
	case CategorySubject:
		_, err = DecodeSubject(r)
	}
	if err != nil {
		checkDomainError(t, err)
	}
}

func roundTrip(t *testing.T, r *Request) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, r.Category)
	if err := w.Write(r); err != nil {
		t.Fatalf("writer refused an accepted request: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var back []*Request
	if _, err := Parse(&buf, func(r *Request) error { back = append(back, r); return nil }); err != nil {
		t.Fatalf("written request not readable: %v\n%s", err, buf.String())
	}
	if len(back) != 1 {
		t.Fatalf("%d requests read back", len(back))
	}
	got := back[0]
	if got.Op != r.Op || got.Category != r.Category || got.ID != r.ID || len(got.Attrs) != len(r.Attrs) {
		t.Fatalf("round trip: got %+v, want %+v", got, r)
	}
	for name, v := range r.Attrs {
		if !sameValues(got.Attrs[name], v) {
			t.Fatalf("round trip of %s: got %q, want %q", name, got.Attrs[name], v)
		}
	}
}

// FuzzComposite checks the "$" decoders: no panic, clean errors, and every
// decoded value written back and read again gives the same value.
func FuzzComposite(f *testing.F) {
	for _, s := range []string{"2867253$2$1$1$0$0", "52006$RUS1TERM", "3000$18/08/2020$1AQUA",
		"43$DIR$DIRECTION$D0011$CHEF", "42$1TES 2", "0860001A$$$CL12$CM1", "$$$$$", "", "a$b$c$d$e$f$g"} {
		f.Add(s, 2, 3)
	}
	f.Fuzz(func(t *testing.T, v string, min, max int) {
		min, max = min%8, max%8
		if min < 0 {
			min = -min
		}
		if max < min {
			max = min
		}
		parts, err := SplitComposite(v, min, max)
		if err != nil {
			checkDomainError(t, err)
		} else {
			n := strings.Count(v, "$") + 1
			if len(parts) != max || strings.Join(parts[:n], "$") != v {
				t.Fatalf("SplitComposite(%q, %d, %d) = %q", v, min, max, parts)
			}
		}
		if l, err := ParseRelativeLink(v); err != nil {
			checkDomainError(t, err)
		} else if back, err := ParseRelativeLink(l.composite()); err != nil || back != l {
			t.Fatalf("relative link %q: %+v re-read as %+v, %v", v, l, back, err)
		}
		if m, err := ParseMembership(v); err != nil {
			checkDomainError(t, err)
		} else if back, err := ParseMembership(m.composite()); err != nil || back != m {
			t.Fatalf("membership %q: %+v re-read as %+v, %v", v, m, back, err)
		}
		if c, err := ParseClassDate(v); err != nil {
			checkDomainError(t, err)
		} else if back, err := ParseClassDate(c.composite()); err != nil || back != c {
			t.Fatalf("class date %q: %+v re-read as %+v, %v", v, c, back, err)
		}
		if fn, err := ParseFunction(v); err != nil {
			checkDomainError(t, err)
		} else if back, err := ParseFunction(fn.composite()); err != nil || back != fn {
			t.Fatalf("function %q: %+v re-read as %+v, %v", v, fn, back, err)
		}
		if tg, err := ParseTeaching(v); err != nil {
			checkDomainError(t, err)
		} else if back, err := ParseTeaching(tg.composite()); err != nil || back != tg {
			t.Fatalf("teaching %q: %+v re-read as %+v, %v", v, tg, back, err)
		}
		if m, err := ParseStaffMEF(v); err != nil {
			checkDomainError(t, err)
		} else if back, err := ParseStaffMEF(m.composite()); err != nil || back != m {
			t.Fatalf("staff MEF %q: %+v re-read as %+v, %v", v, m, back, err)
		}
	})
}
