package aaf

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSplitComposite(t *testing.T) {
	tests := []struct {
		in       string
		min, max int
		want     []string
		wantErr  string
	}{
		{"52006$RUS1TERM", 2, 2, []string{"52006", "RUS1TERM"}, ""},
		{"42$1TES 2", 2, 3, []string{"42", "1TES 2", ""}, ""}, // subject left out, space kept
		{"1 rue de Test$$$", 1, 4, []string{"1 rue de Test", "", "", ""}, ""},
		{"", 1, 1, []string{""}, ""},
		{"a$b$c", 2, 2, nil, "3 parties"},
		{"a", 2, 3, nil, "entre 2 et 3"},
		{"a$b", 3, 3, nil, "au lieu de 3"},
	}
	for _, tt := range tests {
		got, err := SplitComposite(tt.in, tt.min, tt.max)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SplitComposite(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitComposite(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestJoinComposite(t *testing.T) {
	if got := JoinComposite(2, "43", "ENS", "", "", ""); got != "43$ENS" {
		t.Errorf("got %q", got)
	}
	if got := JoinComposite(3, "3000", "", "1AQUA"); got != "3000$$1AQUA" {
		t.Errorf("got %q", got)
	}
}

func TestParseRelativeLink(t *testing.T) {
	tests := []struct {
		in      string
		want    RelativeLink
		kind    LinkKind
		wantErr string
	}{
		{"2867253$2$1$1$0$0", RelativeLink{RelativeID: "2867253", LinkCode: "2", Financial: true, Legal: RespLegal}, LinkMother, ""},
		{"2867254$1$0$2$0$0", RelativeLink{RelativeID: "2867254", LinkCode: "1", Legal: RespInCharge}, LinkFather, ""},
		{"2000000$10$1$1$1$1", RelativeLink{RelativeID: "2000000", LinkCode: "10", Financial: true, Legal: RespLegal, Contact: true, Payment: true}, LinkMother, ""},
		{"3000000$20$0$1$0$0", RelativeLink{RelativeID: "3000000", LinkCode: "20", Legal: RespLegal}, LinkFather, ""},
		{"9$37$0$0$1$0", RelativeLink{RelativeID: "9", LinkCode: "37", Contact: true}, LinkSibling, ""},
		{"9$99$0$3", RelativeLink{RelativeID: "9", LinkCode: "99", Legal: RespContact}, LinkUnknown, ""}, // older, shorter form
		{"9$2$1", RelativeLink{}, 0, "parties"},
		{"$2$1$1$0$0", RelativeLink{}, 0, "identifiant du responsable vide"},
		{"9$2$X$1$0$0", RelativeLink{}, 0, "indicateur"},
		{"9$2$1$7$0$0", RelativeLink{}, 0, "responsabilité légale"},
	}
	for _, tt := range tests {
		got, err := ParseRelativeLink(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRelativeLink(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want || got.Link() != tt.kind {
			t.Errorf("ParseRelativeLink(%q) = %+v (%v), %v; want %+v (%v)", tt.in, got, got.Link(), err, tt.want, tt.kind)
		}
	}
}

func TestLinkCodesOldAndNew(t *testing.T) {
	pairs := map[string]string{"1": "20", "2": "10", "3": "50", "4": "39", "5": "51", "6": "90", "7": "70"}
	for old, nw := range pairs {
		if linkCodes[old] == LinkUnknown || linkCodes[old] != linkCodes[nw] {
			t.Errorf("old code %s and new code %s differ: %v, %v", old, nw, linkCodes[old], linkCodes[nw])
		}
	}
}

func TestParseMembership(t *testing.T) {
	tests := []struct {
		in      string
		want    Membership
		wantErr bool
	}{
		{"52006$RUS1TERM", Membership{StructureID: "52006", Code: "RUS1TERM"}, false},
		{"42$1TES 2", Membership{StructureID: "42", Code: "1TES 2"}, false},
		{"0860001A$x$y$CL12$CM1-CM2 B", Membership{StructureID: "0860001A", Code: "CL12", Label: "CM1-CM2 B"}, false}, // 1st degree
		{"52006", Membership{}, true},
		{"52006$", Membership{}, true},
		{"a$b$c", Membership{}, true},
	}
	for _, tt := range tests {
		got, err := ParseMembership(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMembership(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestParseClassDate(t *testing.T) {
	got, err := ParseClassDate("3000$18/08/2020$1AQUA")
	want := ClassDate{StructureID: "3000", Date: time.Date(2020, 8, 18, 0, 0, 0, 0, time.UTC), Class: "1AQUA"}
	if err != nil || got != want {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"3000$31/02/2020$1AQUA", "3000$$1AQUA", "3000$18/08/2020"} {
		if _, err := ParseClassDate(bad); err == nil {
			t.Errorf("ParseClassDate(%q) accepted", bad)
		}
	}
}

func TestParseFunctionTeachingMEF(t *testing.T) {
	f, err := ParseFunction("43$DIR$DIRECTION$D0011$CHEF D'ETABLISSEMENT ADJOINT")
	if err != nil || f != (Function{"43", "DIR", "DIRECTION", "D0011", "CHEF D'ETABLISSEMENT ADJOINT"}) {
		t.Errorf("ParseFunction = %+v, %v", f, err)
	}
	if _, err := ParseFunction("43"); err == nil {
		t.Error("ParseFunction accepted a structure without function")
	}
	tg, err := ParseTeaching("52009$1S2$061300")
	if err != nil || tg != (Teaching{"52009", "1S2", "061300"}) {
		t.Errorf("ParseTeaching = %+v, %v", tg, err)
	}
	if _, err := ParseTeaching("52009$1S2$061300$x"); err == nil {
		t.Error("ParseTeaching accepted 4 parts")
	}
	m, err := ParseStaffMEF("55794$20010015110$2DEGT2 (CAS GENERAL 2 ENS.EXPLO)")
	if err != nil || m != (StaffMEF{"55794", "20010015110", "2DEGT2 (CAS GENERAL 2 ENS.EXPLO)"}) {
		t.Errorf("ParseStaffMEF = %+v, %v", m, err)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]time.Time{
		"14/09/1995": time.Date(1995, 9, 14, 0, 0, 0, 0, time.UTC),
		"1995-09-14": time.Date(1995, 9, 14, 0, 0, 0, 0, time.UTC),
		"":           {},
	} {
		if got, err := ParseDate(in); err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"14/9/1995", "30/02/2001", "1995/09/14", "demain"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}
