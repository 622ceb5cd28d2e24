package aaf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

// doc wraps requests in a ficAlimMENESR document with the usual prolog.
func doc(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">` + "\n" +
		"<ficAlimMENESR>\n<!-- versionAF=\"AAF-VE2407\" -->\n" + body + "\n</ficAlimMENESR>\n"
}

const opEleve = `<operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>`

func addEleve(id, attrs string) string {
	return "<addRequest>\n" + opEleve + "\n<identifier><id>" + id + "</id></identifier>\n<attributes>\n" + attrs + "\n</attributes>\n</addRequest>\n"
}

func parseAll(t *testing.T, s string) ([]*Request, Summary, error) {
	t.Helper()
	var reqs []*Request
	sum, err := Parse(strings.NewReader(s), func(r *Request) error {
		reqs = append(reqs, r)
		return nil
	})
	return reqs, sum, err
}

func TestParseRequests(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []*Request
	}{
		{
			name: "add with multi and empty values",
			in: doc(addEleve("1", `<attr name="sn"><value>TALOBA</value></attr>
<attr name="ENTPersonAutresPrenoms"><value>Léna</value><value>Noé</value></attr>
<attr name="ENTEleveGroupes"><value/></attr>
<attr name="ENTEleveMEF"><value></value></attr>
<attr name="ENTElevePere"></attr>`)),
			want: []*Request{{Op: OpAdd, Category: CategoryStudent, ID: "1", Line: 5, Attrs: map[string][]string{
				"sn":                     {"TALOBA"},
				"ENTPersonAutresPrenoms": {"Léna", "Noé"},
				"ENTEleveGroupes":        {""},
				"ENTEleveMEF":            {""},
				"ENTElevePere":           {},
			}}},
		},
		{
			name: "modify and delete",
			in: doc(`<modifyRequest>` + opEleve + `<identifier><id>2</id></identifier><modifications>
<modification name="ENTEleveClasses" operation="replace"><value>50001$2ND1</value><value>50001$2ND2</value></modification>
</modifications></modifyRequest>
<deleteRequest>` + opEleve + `<identifier><id>3</id></identifier></deleteRequest>`),
			want: []*Request{
				{Op: OpModify, Category: CategoryStudent, ID: "2", Line: 5, Attrs: map[string][]string{"ENTEleveClasses": {"50001$2ND1", "50001$2ND2"}}},
				{Op: OpDelete, Category: CategoryStudent, ID: "3", Line: 8},
			},
		},
		{
			name: "entities named and numeric",
			in:   doc(addEleve("4", `<attr name="sn"><value>L&apos;&#201;T&Eacute; &amp; FILS</value></attr>`)),
			want: []*Request{{Op: OpAdd, Category: CategoryStudent, ID: "4", Line: 5, Attrs: map[string][]string{"sn": {"L'ÉTÉ & FILS"}}}},
		},
		{
			name: "no prolog (UTF-8)",
			in:   "<ficAlimMENESR>" + addEleve("5", `<attr name="sn"><value>É</value></attr>`) + "</ficAlimMENESR>",
			want: []*Request{{Op: OpAdd, Category: CategoryStudent, ID: "5", Line: 1, Attrs: map[string][]string{"sn": {"É"}}}},
		},
		{
			name: "subject category is MatEducNat inside files",
			in:   doc(`<addRequest><operationalAttributes><attr name="categorieMatiere"><value>MatEducNat</value></attr></operationalAttributes><identifier><id>009800</id></identifier><attributes><attr name="ENTLibelleMatiere"><value>X</value></attr></attributes></addRequest>`),
			want: []*Request{{Op: OpAdd, Category: CategorySubject, ID: "009800", Line: 5, Attrs: map[string][]string{"ENTLibelleMatiere": {"X"}}}},
		},
		{
			name: "attribute written twice adds its values",
			in:   doc(addEleve("6", `<attr name="ENTEleveGroupes"><value>a$1</value></attr><attr name="ENTEleveGroupes"><value>a$2</value></attr>`)),
			want: []*Request{{Op: OpAdd, Category: CategoryStudent, ID: "6", Line: 5, Attrs: map[string][]string{"ENTEleveGroupes": {"a$1", "a$2"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := parseAll(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				for i, r := range got {
					t.Logf("got  %#v", *r)
					if i < len(tt.want) {
						t.Logf("want %#v", *tt.want[i])
					}
				}
				t.Fatal("requests differ")
			}
		})
	}
}

func TestParseISO885915(t *testing.T) {
	in := []byte(`<?xml version="1.0" encoding="ISO-8859-15"?><ficAlimMENESR>` + addEleve("1", `<attr name="sn"><value>@</value></attr>`) + `</ficAlimMENESR>`)
	in = bytes.Replace(in, []byte("@"), []byte{0xA4, 0xE9}, 1) // € é in ISO-8859-15
	got, _, err := parseAll(t, string(in))
	if err != nil {
		t.Fatal(err)
	}
	if v := got[0].Attrs["sn"][0]; v != "€é" {
		t.Fatalf("sn = %q, want €é", v)
	}
}

func TestParseHeader(t *testing.T) {
	in := "<ficAlimMENESR>\n<!-- versionAF=\"AAF-VE2407\" -->\n<!-- codeAcademieExport=\"13\" --> <!-- degre=\"2D\" -->\n" +
		addEleve("1", `<attr name="sn"><value>X</value></attr>`) + "<!-- versionAF=\"later\" -->\n</ficAlimMENESR>"
	_, sum, err := parseAll(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"versionAF": "AAF-VE2407", "codeAcademieExport": "13", "degre": "2D"}
	if !reflect.DeepEqual(sum.Header, want) || sum.Adds != 1 {
		t.Fatalf("summary = %+v", sum)
	}
}

func TestParseErrors(t *testing.T) {
	attrs := `<attr name="sn"><value>X</value></attr>`
	tests := []struct {
		name string
		in   string
		want []string // every piece must appear in the message
	}{
		{"empty file", "", []string{"fichier vide"}},
		{"wrong root", `<?xml version="1.0"?><BEE_ELEVES/>`, []string{"racine <BEE_ELEVES>", "ficAlimMENESR"}},
		{"malformed", doc(`<addRequest>` + opEleve + `<identifier><id>1</idx>`), []string{"mal formé", "ligne 5"}},
		{"truncated", `<ficAlimMENESR>` + addEleve("1", attrs)[:60], []string{"ligne"}},
		{"truncated after a request", `<ficAlimMENESR>` + addEleve("1", attrs), []string{"mal formé"}},
		{"latin-1 bytes without prolog", "<ficAlimMENESR>" + addEleve("1", "<attr name=\"sn\"><value>\xe9</value></attr>") + "</ficAlimMENESR>", []string{"mal formé", "UTF-8"}},
		{"unknown encoding", `<?xml version="1.0" encoding="X-NOPE"?><ficAlimMENESR/>`, []string{"X-NOPE"}},
		{
			"unknown attribute",
			doc(addEleve("2605692", attrs+"\n<attr name=\"ENTEleveCouleurPreferee\"><value>bleu</value></attr>")),
			[]string{"attribut inconnu", "ENTEleveCouleurPreferee", "Eleve", "identifiant 2605692", "ligne 10", "refusé"},
		},
		{
			"unknown attribute even empty",
			doc(addEleve("7", `<attr name="ENTEleveNouveau"><value/></attr>`)),
			[]string{"attribut inconnu", "ENTEleveNouveau"},
		},
		{
			"attribute of another category",
			doc(addEleve("8", `<attr name="ENTStructureUAI"><value>0860012W</value></attr>`)),
			[]string{"attribut inconnu", "ENTStructureUAI", "Eleve"},
		},
		{"unknown element", doc(`<addRequest>` + opEleve + `<identifier><id>1</id></identifier><attributes><foo/></attributes></addRequest>`), []string{"<foo>"}},
		{"unknown request", doc(`<renameRequest/>`), []string{"<renameRequest>"}},
		{"missing identifier", doc(`<addRequest>` + opEleve + `<attributes>` + attrs + `</attributes></addRequest>`), []string{"<attributes>", "ordre"}},
		{"empty id", doc(`<deleteRequest>` + opEleve + `<identifier><id> </id></identifier></deleteRequest>`), []string{"sans identifiant"}},
		{"missing category", doc(`<deleteRequest><identifier><id>1</id></identifier></deleteRequest>`), []string{"<identifier>"}},
		{"unknown category", doc(`<deleteRequest><operationalAttributes><attr name="categoriePersonne"><value>Chat</value></attr></operationalAttributes><identifier><id>1</id></identifier></deleteRequest>`), []string{"catégorie", "Chat"}},
		{"add without attributes", doc(`<addRequest>` + opEleve + `<identifier><id>1</id></identifier></addRequest>`), []string{"incomplet", "<attributes>"}},
		{"attributes in a modify", doc(`<modifyRequest>` + opEleve + `<identifier><id>1</id></identifier><attributes>` + attrs + `</attributes></modifyRequest>`), []string{"<attributes> inattendu"}},
		{"operation other than replace", doc(`<modifyRequest>` + opEleve + `<identifier><id>1</id></identifier><modifications><modification name="sn" operation="add"><value>X</value></modification></modifications></modifyRequest>`), []string{"opération", "add", "replace"}},
		{"empty attributes", doc(`<addRequest>` + opEleve + `<identifier><id>1</id></identifier><attributes>` + "\n" + `</attributes></addRequest>`), []string{"<attributes> vide", "identifiant 1"}},
		{"attr without name", doc(addEleve("1", `<attr><value>X</value></attr>`)), []string{"sans attribut name"}},
		{"text outside value", doc(addEleve("1", `<attr name="sn">X</attr>`)), []string{"texte hors de <value>"}},
		{"element inside value", doc(addEleve("1", `<attr name="sn"><value><b>X</b></value></attr>`)), []string{"<b>"}},
		{"text in root", doc(`bonjour`), []string{"texte inattendu"}},
		{"second root", doc("") + "<ficAlimMENESR/>", []string{"après la fin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseAll(t, tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			if sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("kind = %v, want invalid", sillage.KindOf(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseStopsOnCallbackError(t *testing.T) {
	in := doc(addEleve("1", `<attr name="sn"><value>X</value></attr>`) + addEleve("2", `<attr name="sn"><value>Y</value></attr>`))
	stop := errors.New("stop")
	calls := 0
	_, err := Parse(strings.NewReader(in), func(*Request) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
}

func TestParseNeverLoadsDTD(t *testing.T) {
	// A DOCTYPE naming a DTD that is absent, or one that would fetch a URL,
	// is read as text and never followed.
	in := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ficAlimMENESR SYSTEM "http://127.0.0.1:1/absent.dtd">
<ficAlimMENESR>` + addEleve("1", `<attr name="sn"><value>X</value></attr>`) + `</ficAlimMENESR>`
	if _, _, err := parseAll(t, in); err != nil {
		t.Fatal(err)
	}
}

func TestParseFileChecksName(t *testing.T) {
	dir := t.TempDir()
	mod := doc(`<modifyRequest>` + opEleve + `<identifier><id>1</id></identifier><modifications><modification name="sn" operation="replace"><value>X</value></modification></modifications></modifyRequest>`)
	staff := doc(`<addRequest><operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value></attr></operationalAttributes><identifier><id>1</id></identifier><attributes><attr name="sn"><value>X</value></attr></attributes></addRequest>`)
	tests := []struct {
		file, content, wantErr string
	}{
		{"ENT_Complet_20250901_Eleve_0000.xml", mod, "fichier Complet"},
		{"ENT_Delta_20250901_Eleve_0000.xml", mod, ""},
		{"ENT_Complet_20250901_Eleve_0001.xml", staff, "catégorie Eleve"},
		{"autre.xml", staff, ""}, // not an AAF name: no check
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ParseFile(path, func(*Request) error { return nil })
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
