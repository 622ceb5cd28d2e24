package lsu

import (
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/sillage/sillage"
)

// textElements are the LSU elements whose text the schemas require to hold
// a non-space character.
var textElements = []string{
	"editeur", "application", "appliVersion", "etablissement",
	"appreciation", "acquis-conseils", "appreciation-generale", "synthese",
	"commentaire", "complement-ppre",
}

// CheckReferences reads an LSU file and checks what xmllint does not:
// xmllint --stream neither detects a duplicate xs:ID nor an xs:IDREF that
// points nowhere (checked on this machine with libxml2 2.9.14), and LSU
// would reject both. It also checks that the texts the schema requires are
// not blank. Generate makes the same checks as it writes; this one reads
// any file, for tests and for files from elsewhere.
func CheckReferences(r io.Reader) error {
	dec := xml.NewDecoder(r)
	ids := map[string]bool{}
	type ref struct {
		value string
		elem  string
		line  int
	}
	var refs []ref
	var stack []string
	var textBuf strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sillage.Wrap(sillage.KindInvalid, err, "fichier LSU mal formé")
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			textBuf.Reset()
			for _, at := range t.Attr {
				name := at.Name.Local
				switch {
				case at.Name.Space != "" && at.Name.Space != Namespace:
					// xmlns and xsi attributes
				case name == "id":
					if ids[at.Value] {
						return sillage.Errorf(sillage.KindInvalid, "fichier LSU invalide, ligne %d : identifiant %q déclaré deux fois", line, at.Value)
					}
					ids[at.Value] = true
				case strings.HasSuffix(name, "-refs"):
					fields := strings.Fields(at.Value)
					if len(fields) == 0 {
						return sillage.Errorf(sillage.KindInvalid, "fichier LSU invalide, ligne %d : liste de références %s vide", line, name)
					}
					for _, f := range fields {
						refs = append(refs, ref{f, t.Name.Local, line})
					}
				case strings.HasSuffix(name, "-ref") || name == "id-lv":
					refs = append(refs, ref{strings.TrimSpace(at.Value), t.Name.Local, line})
				}
			}
		case xml.CharData:
			textBuf.Write(t)
		case xml.EndElement:
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if slices.Contains(textElements, name) && strings.TrimSpace(textBuf.String()) == "" {
				return sillage.Errorf(sillage.KindInvalid, "fichier LSU invalide, ligne %d : élément %s vide", line, name)
			}
			textBuf.Reset()
		}
	}
	for _, r := range refs {
		if !ids[r.value] {
			return sillage.Errorf(sillage.KindInvalid, "fichier LSU invalide, ligne %d : l'élément %s renvoie à l'identifiant %q, qui n'est pas déclaré", r.line, r.elem, r.value)
		}
	}
	if len(ids) == 0 {
		return sillage.Errorf(sillage.KindInvalid, "fichier LSU invalide : aucun identifiant déclaré")
	}
	return nil
}
