package xmlrec

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sillage/sillage"
)

// Every message of encoding/xml the national files can trigger comes out
// in French, and none quotes character data.
func TestSyntaxMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"unexpected EOF", "fin de fichier inattendue (fichier tronqué ?)"},
		{"invalid UTF-8", "caractère invalide en UTF-8 : le contenu n'est pas dans l'encodage déclaré par le prologue (UTF-8 lorsqu'il n'y a pas de prologue)"},
		{"illegal character code U+0001", "caractère interdit en XML"},
		{"invalid character entity &999000777XY;", "entité de caractère inconnue"},
		{"element <STRICTURES_ELEVE> closed by </STRUCTURES_ELEVE>", "l'élément <STRICTURES_ELEVE> est fermé par </STRUCTURES_ELEVE>"},
		{"unexpected end element </ELEVE>", "balise fermante </ELEVE> inattendue"},
		{"invalid XML name: 999000777XY", "nom d'élément ou d'attribut invalide"},
		{"expected element name after <", "nom d'élément attendu après <"},
		{"attribute name without = in element", "attribut mal écrit"},
		{"unquoted or missing attribute value in element", "attribut mal écrit"},
		{"unexpected EOF in CDATA section", "section CDATA mal formée"},
		{"unescaped ]]> not in CDATA section", "section CDATA mal formée"},
		{`invalid sequence "--" not allowed in comments`, "commentaire mal formé"},
		{"something new 999000777XY", "syntaxe XML invalide"},
	}
	for _, tt := range tests {
		if got := syntaxMessage(tt.in); got != tt.want {
			t.Errorf("syntaxMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRoot(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // "" for success
	}{
		{"expected", `<?xml version="1.0"?><!-- c --><BEE_ELEVES/>`, ""},
		{"known other", `<EDT_STS/>`, "emploi du temps destiné à STS-web"},
		{"AAF", `<ficAlimMENESR/>`, "annuaire académique"},
		{"unknown", `<html/>`, "l'élément racine est <html>"},
		{"empty", ``, "le fichier est vide"},
		{"text first", "Nom;Prénom", "n'est pas un fichier XML"},
		{"version 1.1", `<?xml version="1.1"?><BEE_ELEVES/>`, "version XML non prise en charge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(strings.NewReader(tt.data)).Root("BEE_ELEVES", "un export SIECLE des élèves")
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || sillage.KindOf(err) != sillage.KindInvalid {
				t.Fatalf("err = %v, want an Invalid error containing %q", err, tt.want)
			}
		})
	}
}

func TestChildrenTextAndEnd(t *testing.T) {
	data := "<R>\n  <A> un  deux </A>\n  <B x=\" 7 \"><C>3</C></B>\n  <D>a<!-- c -->b</D>\n</R>\n<!-- after -->\n"
	x := New(strings.NewReader(data))
	if _, err := x.Root("R", "R"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	lines := map[string]int{}
	err := x.Children(func(el xml.StartElement) error {
		lines[el.Name.Local] = x.Line()
		switch el.Name.Local {
		case "A", "D":
			var s string
			err := TextInto(x, el, &s)
			got[el.Name.Local] = s
			return err
		case "B":
			got["B@x"] = Attr(el, "x")
			return x.Skip()
		}
		return x.Skip()
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["A"] != "un  deux" || got["B@x"] != "7" || got["D"] != "ab" {
		t.Errorf("got %q", got)
	}
	if lines["A"] != 2 || lines["B"] != 3 || lines["D"] != 4 {
		t.Errorf("lines %v", lines)
	}
	if err := x.End(); err != nil {
		t.Errorf("a comment after the root must be accepted: %v", err)
	}
}

// A read error that is not about the content keeps its cause.
func TestReadErrorKeepsCause(t *testing.T) {
	boom := errors.New("disque illisible")
	_, err := New(iotest.ErrReader(boom)).Root("R", "R")
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "lecture du fichier") {
		t.Fatalf("err = %v, want the cause wrapped", err)
	}
	if sillage.KindOf(err) == sillage.KindInvalid {
		t.Error("an I/O failure is not the user's input being invalid")
	}
}
