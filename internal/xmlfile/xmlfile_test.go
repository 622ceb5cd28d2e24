package xmlfile

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(t *testing.T, data []byte, limit int64) (string, error) {
	t.Helper()
	rc, err := Open(bytes.NewReader(data), int64(len(data)), limit)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func TestOpen(t *testing.T) {
	xmlDoc := []byte(`<?xml version="1.0"?><A/>`)
	tests := []struct {
		name    string
		data    []byte
		limit   int64
		want    string
		wantErr string
	}{
		{name: "plain", data: xmlDoc, want: string(xmlDoc)},
		{name: "zip of one xml", data: zipOf(t, map[string][]byte{"ElevesSansAdresses.xml": xmlDoc}), want: string(xmlDoc)},
		{name: "zip of two", data: zipOf(t, map[string][]byte{"a.xml": xmlDoc, "b.xml": xmlDoc}), wantErr: "contient 2 fichiers"},
		{name: "zip of a pdf", data: zipOf(t, map[string][]byte{"a.pdf": []byte("%PDF")}), wantErr: "n'est pas un fichier XML"},
		{name: "zip bomb", data: zipOf(t, map[string][]byte{"a.xml": bytes.Repeat([]byte{' '}, 10000)}), limit: 100, wantErr: "dépasse la limite"},
		{name: "zip whose local header names another file", data: localRenamed(zipOf(t, map[string][]byte{"ElevesSansAdresses.xml": xmlDoc}), "ElevesSansAdresses.xml", "ElevesSansAdresses.exe"),
			wantErr: "porte deux noms"},
		{name: "zip at the limit", data: zipOf(t, map[string][]byte{"a.xml": bytes.Repeat([]byte{' '}, 100)}), limit: 100, want: strings.Repeat(" ", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.data, tt.limit)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecoderEncodings(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"iso-8859-15 euro", append([]byte(`<?xml version="1.0" encoding="ISO-8859-15"?><A>`), 0xA4, 0xE9, '<', '/', 'A', '>'), "€é"},
		{"iso-8859-1", append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><A>`), 0xE9, '<', '/', 'A', '>'), "é"},
		{"utf-8 declared", []byte(`<?xml version="1.0" encoding="UTF-8"?><A>é</A>`), "é"},
		{"no prolog", []byte(`<A>é</A>`), "é"},
		{"html entity", []byte(`<A>&eacute;&apos;&#233;</A>`), "é'é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(bytes.NewReader(tt.data))
			for {
				tok, err := d.Token()
				if err != nil {
					t.Fatal(err)
				}
				if se, ok := tok.(xml.StartElement); ok {
					got, err := Text(d, se)
					if err != nil {
						t.Fatal(err)
					}
					if got != tt.want {
						t.Fatalf("got %q, want %q", got, tt.want)
					}
					return
				}
			}
		})
	}
}

func TestDecoderRefusesInvalidUTF8(t *testing.T) {
	d := NewDecoder(bytes.NewReader([]byte{'<', 'A', '>', 0xE9, '<', '/', 'A', '>'}))
	for {
		_, err := d.Token()
		if err == io.EOF {
			t.Fatal("Latin-1 bytes in a file without prolog were accepted as UTF-8")
		}
		if err != nil {
			if !strings.Contains(SyntaxError(err).Error(), "ligne 1") {
				t.Fatalf("error %v does not name the line", SyntaxError(err))
			}
			return
		}
	}
}

func TestUnknownEncoding(t *testing.T) {
	d := NewDecoder(strings.NewReader(`<?xml version="1.0" encoding="X-NOPE"?><A/>`))
	_, err := d.Token()
	if err == nil || !strings.Contains(err.Error(), "X-NOPE") {
		t.Fatalf("err = %v", err)
	}
}

// firstText decodes data up to the first leaf and returns its text, or the
// first error.
func firstText(data []byte) (string, error) {
	d := NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "B" {
			return Text(d, se)
		}
	}
}

func TestDecoderByteOrderMark(t *testing.T) {
	bom := "\xEF\xBB\xBF"
	tests := []struct {
		name string
		data string
		want string
	}{
		{"bom and utf-8 prolog", bom + `<?xml version="1.0" encoding="UTF-8"?><A><B>Noémie</B></A>`, "Noémie"},
		{"bom without prolog", bom + `<A><B>Noémie</B></A>`, "Noémie"},
		// The BOM wins over a prolog that declares a Latin encoding.
		{"bom and iso prolog", bom + `<?xml version="1.0" encoding="ISO-8859-15"?>` + "\n<A><B>Noémie</B></A>", "Noémie"},
		{"no bom", `<?xml version="1.0" encoding="UTF-8"?><A><B>Noémie</B></A>`, "Noémie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := firstText([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecoderWrongLatinContent(t *testing.T) {
	iso := func(enc string, body ...byte) []byte {
		return append([]byte(`<?xml version="1.0" encoding="`+enc+`"?>`+"\n<A>\n<B>"), append(body, []byte("</B></A>")...)...)
	}
	tests := []struct {
		name    string
		data    []byte
		want    string // text when accepted
		wantErr string // part of the refusal
	}{
		{"utf-8 bytes declared iso-8859-15", iso("ISO-8859-15", []byte("Noémie")...), "", "ligne 3 : le fichier déclare l'encodage ISO-8859-15, mais son contenu est en UTF-8"},
		{"utf-8 bytes declared iso-8859-1", iso("ISO-8859-1", []byte("Zoë")...), "", "ligne 3 : le fichier déclare l'encodage ISO-8859-1, mais son contenu est en UTF-8"},
		{"windows-1252 quote declared iso-8859-15", iso("ISO-8859-15", 'O', 0x92, 'N', 'e', 'i', 'l', 'l'), "", "ligne 3 : octet 0x92"},
		{"windows-1252 oe declared iso-8859-1", iso("ISO-8859-1", 'C', 0x9C, 'u', 'r'), "", "octet 0x9C"},
		{"real iso-8859-15", iso("ISO-8859-15", 'N', 'o', 0xE9, 'm', 'i', 'e', ' ', 0xBD), "Noémie œ", ""},
		{"real iso-8859-1 capital", iso("ISO-8859-1", 0xC9, 'L', 'O', 0xCF, 'S', 'E'), "ÉLOÏSE", ""},
		{"windows-1252 declared", iso("windows-1252", 'O', 0x92, 'N'), "O’N", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := firstText(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q (text %q)", err, tt.wantErr, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func localRenamed(data []byte, from, to string) []byte {
	out := bytes.Clone(data)
	copy(out[bytes.Index(out, []byte(from)):], to)
	return out
}
