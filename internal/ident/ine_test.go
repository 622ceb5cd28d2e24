package ident

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

// All INEs below are synthetic. The "999" prefix follows the convention of
// the reference set (SOURCES.md); the BEA check letters were computed by
// hand: 9990000012 mod 23 = 14 → R, 1234567890 mod 23 = 19 → V,
// 0000000001 mod 23 = 1 → B.
func TestCheckINE(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Form
		wantErr error
	}{
		{"BEA valid", "9990000012R", FormBEA, nil},
		{"BEA valid 2", "1234567890V", FormBEA, nil},
		{"BEA leading zeros", "0000000001B", FormBEA, nil},
		{"BEA wrong letter", "9990000012S", FormNone, ErrINECheckLetter},
		{"BEA letter never valid (I)", "9990000012I", FormNone, ErrINECheckLetter},
		{"BEA lower case", "9990000012r", FormBEA, nil},
		{"RNIE", "999000001HA", FormRNIE, nil},
		{"RNIE lower case and spaces", "  999000002ja\t", FormRNIE, nil},
		{"apprentice", "2019A12345K", FormApprentice, nil},
		{"provisional", "1219D1A2B3C", FormProvisional, nil},
		{"provisional digits", "1219D12345C", FormProvisional, nil},
		{"empty", "", FormNone, ErrNoINE},
		{"blank", "   ", FormNone, ErrNoINE},
		{"too short", "999000001H", FormNone, ErrMalformedINE},
		{"too long", "999000001HAB", FormNone, ErrMalformedINE},
		{"space inside", "99900 001HA", FormNone, ErrMalformedINE},
		{"letter in digits", "99900X001HA", FormNone, ErrMalformedINE},
		{"three letters", "99900001HAB", FormNone, ErrMalformedINE},
		{"apprentice with letter after A", "2019AB2345K", FormNone, ErrMalformedINE},
		{"provisional ending in digit", "1219D123451", FormNone, ErrMalformedINE},
		{"accented", "999000001HÉ", FormNone, ErrMalformedINE},
		{"all digits", "99900000123", FormNone, ErrMalformedINE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckINE(tt.in)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("CheckINE err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("CheckINE form = %v, want %v", got, tt.want)
			}
			if err != nil {
				if norm := NormalizeINE(tt.in); norm != "" && strings.Contains(err.Error(), norm) {
					t.Fatalf("error %q contains the INE", err)
				}
				if !errors.Is(err, sillage.ErrInvalid) {
					t.Fatalf("error %v is not of kind invalid", err)
				}
			}
		})
	}
}

func TestBEACheckLetterAllResidues(t *testing.T) {
	// For each residue mod 23, the computed letter is accepted and every
	// other letter refused.
	for n := uint64(9990000000); n < 9990000023; n++ {
		digits := fmt.Sprintf("%010d", n)
		want := checkLetters[n%23]
		for c := byte('A'); c <= 'Z'; c++ {
			_, err := CheckINE(digits + string(c))
			if (err == nil) != (c == want) {
				t.Fatalf("%s%c: err = %v, want letter %c", digits, c, err, want)
			}
		}
	}
}

func TestParseINENormalises(t *testing.T) {
	ine, form, err := ParseINE(" 999000001ha ")
	if err != nil {
		t.Fatal(err)
	}
	if ine.Value() != "999000001HA" || form != FormRNIE {
		t.Fatalf("got %d chars, form %v", len(ine.Value()), form)
	}
}

func TestChooseINE(t *testing.T) {
	const (
		national = "999000001HA"
		rnie     = "999000002JA"
		bea      = "9990000012R"
	)
	tests := []struct {
		name                  string
		idNational, rnie, bea string
		want                  string
		wantForm              Form
		wantErr               error
	}{
		{"national first", national, rnie, bea, national, FormRNIE, nil},
		{"rnie when national empty", "", rnie, bea, rnie, FormRNIE, nil},
		{"rnie when national invalid", "XXX", rnie, bea, rnie, FormRNIE, nil},
		{"bea last", "", "", bea, bea, FormBEA, nil},
		{"bea when others malformed", "12", "34", bea, bea, FormBEA, nil},
		{"none", "", " ", "", "", FormNone, ErrNoINE},
		{"first error reported", "9990000012S", "", "", "", FormNone, ErrINECheckLetter},
		{"malformed only", "", "ABC", "", "", FormNone, ErrMalformedINE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, form, err := ChooseINE(tt.idNational, tt.rnie, tt.bea)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got.Value() != tt.want || form != tt.wantForm {
				t.Fatalf("got form %v (value match %v), want form %v", form, got.Value() == tt.want, tt.wantForm)
			}
		})
	}
}

// holder stands for any exported type of the project holding an INE.
type holder struct {
	Name string
	INE  INE
	List []INE
	Ptr  *INE
}

func TestINENeverPrinted(t *testing.T) {
	const secret = "999000001HA"
	ine := RawINE(secret)
	values := map[string]any{
		"INE":     ine,
		"*INE":    &ine,
		"holder":  holder{Name: "DURAND Zoé", INE: ine, List: []INE{ine}, Ptr: &ine},
		"*holder": &holder{INE: ine},
		"map":     map[string]INE{"x": ine},
		// fmt prints raw fields when it reports a wrong verb (%s of a
		// slice of pointers) and for unexported fields.
		"[]*holder":  []*holder{{INE: ine}},
		"unexported": struct{ ine INE }{ine},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-20v", "%T %v"}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, secret) || strings.Contains(strings.ToUpper(out), strings.ToUpper(fmt.Sprintf("%x", secret))) {
				t.Errorf("%s printed with %s shows the INE: %s", name, verb, out)
			}
		}
	}
	for _, v := range []any{ine, holder{INE: ine}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("JSON shows the INE: %s", b)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("import", "ine", ine, "eleve", holder{INE: ine})
	if strings.Contains(buf.String(), secret) {
		t.Errorf("slog shows the INE: %s", buf.String())
	}
	if !strings.Contains(fmt.Sprint(ine), "masqué") {
		t.Errorf("String = %q, want the mask", ine.String())
	}
	if got := fmt.Sprint(RawINE("")); got != absentINE {
		t.Errorf("empty INE prints %q, want %q", got, absentINE)
	}
	if ine.Value() != secret {
		t.Errorf("Value does not return the INE")
	}
	if RawINE(secret) != ine || RawINE("999000002JA") == ine {
		t.Errorf("INEs do not compare by value")
	}
}
