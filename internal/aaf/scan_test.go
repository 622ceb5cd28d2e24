package aaf

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseBoth reads data with Parse and with ParseOpen (the fast scanner),
// and fails unless they agree: the same requests, summary and error. It
// returns whether the fast scanner read the document without falling back.
func parseBoth(t *testing.T, data []byte) bool {
	t.Helper()
	var want, got []*Request
	wantSum, wantErr := Parse(bytes.NewReader(data), func(r *Request) error { want = append(want, r); return nil })
	opens := 0
	gotSum, gotErr := ParseOpen(func() (io.ReadCloser, error) {
		opens++
		return io.NopCloser(bytes.NewReader(data)), nil
	}, func(r *Request) error { got = append(got, r); return nil })
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Fatalf("error %v, Parse's %v\n%q", gotErr, wantErr, data)
	}
	if wantErr != nil {
		// The requests before the error were seen once each.
		if len(got) != len(want) {
			t.Fatalf("%d requests before the error, Parse %d", len(got), len(want))
		}
		return opens == 1
	}
	if !reflect.DeepEqual(gotSum, wantSum) {
		t.Fatalf("summary %+v, Parse's %+v\n%q", gotSum, wantSum, data)
	}
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("request %d: %+v, Parse's %+v\n%q", i, got[i], want[i], data)
			}
		}
		t.Fatalf("%d requests, Parse %d\n%q", len(got), len(want), data)
	}
	return opens == 1
}

// TestScannerAgrees: the fast scanner reads the usual documents itself
// (UTF-8, declared or not, with a BOM, CRLF line ends, entities, comments,
// empty values, a DOCTYPE without internal subset) and gives what encoding/xml gives; the others (Latin-1, a
// DOCTYPE with an internal subset, CDATA, malformed) are read again by Parse, with its answer.
func TestScannerAgrees(t *testing.T) {
	fast := map[string]string{
		"seed":      fuzzSeeds[0],
		"no prolog": strings.TrimPrefix(fuzzSeeds[0], `<?xml version="1.0" encoding="UTF-8"?>`),
		"bom":       "\xEF\xBB\xBF" + fuzzSeeds[0],
		"crlf":      strings.ReplaceAll(fuzzSeeds[0], "\n", "\r\n"),
		"entities":  doc(addEleve("1", `<attr name="sn"><value>L&apos;H&#233;RIT&eacute;&#xE9; &amp; &lt;x&gt;</value></attr><attr name="givenName"><value> Élsa&#13;&#10;</value></attr>`)),
		"empty":     doc(addEleve("4", `<attr name="ENTElevePere"></attr><attr name="sn"><value/></attr>`)),
		"comments": `<?xml version="1.0" encoding="utf-8"?>` + "\n<!-- versionAF=\"AAF-VE2407\" -->\n<!-- degre=\"2D\" -->\n<ficAlimMENESR>\n" +
			addEleve("5", `<attr name="sn"><value>A</value><value>B</value></attr>`) + "\n<!-- x -->\n</ficAlimMENESR>\n<!-- fin -->\n",
		"modify": fuzzSeeds[1],
		"delete": fuzzSeeds[2],
	}
	for name, d := range fast {
		t.Run(name, func(t *testing.T) {
			if !parseBoth(t, []byte(d)) {
				t.Errorf("read again by encoding/xml")
			}
		})
	}
	slow := map[string]string{
		"latin1":    fuzzSeeds[4],
		"latin1 é":  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><ficAlimMENESR>" + addEleve("1", "<attr name=\"sn\"><value>H\xe9l\xe8ne</value></attr>") + "</ficAlimMENESR>",
		"doctype":   `<?xml version="1.0"?><!DOCTYPE ficAlimMENESR [<!ENTITY x "y">]>` + strings.TrimPrefix(fuzzSeeds[0], `<?xml version="1.0" encoding="UTF-8"?>`),
		"cdata":     doc(addEleve("1", `<attr name="sn"><value><![CDATA[A&B]]></value></attr>`)),
		"mismatch":  doc(addEleve("1", `<attr name="sn"><value>A</valeur></attr>`)),
		"truncated": fuzzSeeds[0][:len(fuzzSeeds[0])-30],
		"unknown":   fuzzSeeds[5],
		"prefix":    doc(addEleve("1", `<attr name="sn"><x:value xmlns:x="u">A</x:value></attr>`)),
		"control":   doc(addEleve("1", "<attr name=\"sn\"><value>A\x01</value></attr>")),
		"bad utf-8": doc(addEleve("1", "<attr name=\"sn\"><value>A\xff</value></attr>")),
		"entity":    doc(addEleve("1", `<attr name="sn"><value>A&nimp;</value></attr>`)),
	}
	for name, d := range slow {
		t.Run(name, func(t *testing.T) {
			if parseBoth(t, []byte(d)) && name != "unknown" {
				t.Errorf("read by the fast scanner alone")
			}
		})
	}
	// The reference files.
	files, _ := filepath.Glob("testdata/*.xml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parseBoth(t, data)
	}
}

// FuzzScanner checks that ParseOpen (the fast scanner, falling back to
// encoding/xml) always gives what Parse gives.
func FuzzScanner(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(doc(addEleve("1", `<attr name="sn"><value>L&apos;H&#233;&eacute;</value></attr>`))))
	f.Add([]byte("\xEF\xBB\xBF" + strings.ReplaceAll(fuzzSeeds[0], "\n", "\r\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseBoth(t, data)
	})
}

// A declaration field of another name is left to encoding/xml, which
// reads "encoding=" wherever it stands: the scanner must not take such a
// file for UTF-8 when the parser decodes it otherwise (here it refuses
// it: UTF-8 text declared ISO-8859-1).
func TestScannerLeavesOddDeclarations(t *testing.T) {
	for _, decl := range []string{
		`<?xml version="1.0" xencoding="ISO-8859-1"?>`,
		`<?xml version="1.0" encodingx="UTF-8"?>`,
	} {
		d := decl + "<ficAlimMENESR>" + addEleve("1", `<attr name="sn"><value>Hélène</value></attr>`) + "</ficAlimMENESR>"
		if parseBoth(t, []byte(d)) {
			t.Errorf("%s: read by the scanner, want it left to encoding/xml", decl)
		}
	}
}
