package lsu

import (
	"bytes"
	"testing"
)

// TestAllBlocks writes a collège with the EPI, AP and parcours blocks
// (epi.go), the family and school-life blocks (family.go) and the digital
// skills (numerique.go): each set was
// tested alone, this checks they sit together in the XSD's element order
// and that the file stays valid for 10.0 and 7.0.
func TestAllBlocks(t *testing.T) {
	for _, version := range []string{Version10, Version7} {
		t.Run(version, func(t *testing.T) {
			in := withDigital(withFamily(collegeProjects()))
			in.Target.Version = version
			got, _ := generate(t, in)
			inOrder := func(scope []byte, what string, elems ...string) {
				t.Helper()
				last := -1
				for _, e := range elems {
					i := bytes.Index(scope, []byte(e))
					if i < 0 {
						t.Errorf("%s: %s missing", what, e)
						return
					}
					if i < last {
						t.Errorf("%s: %s out of the XSD's order %v", what, e, elems)
					}
					last = i
				}
			}
			inOrder(got, "donnees", "<elements-programme>", "<competences-numeriques-communs>", "<parcours-communs>", "<vies-scolaires-communs>", "<epis-thematiques>",
				"<epis>", "<epis-groupes>", "<acc-persos>", "<acc-persos-groupes>", "<bilans-periodiques>")
			start := bytes.Index(got, []byte("<bilan-periodique "))
			end := bytes.Index(got, []byte("</bilan-periodique>"))
			if start < 0 || end < start {
				t.Fatal("no bilan-periodique")
			}
			inOrder(got[start:end], "first bilan-periodique", "<liste-acquis>", "<competences-numeriques ", "<epis-eleve>", "<acc-persos-eleve>", "<liste-parcours>",
				"<acquis-conseils>", "<devoirs-faits>", "<vie-scolaire ", "<socle>", "<responsables>")
			if err := ValidateRules(in.Target, got); err != nil {
				t.Errorf("the Go validator refuses the file: %v", err)
			}
			requireXmllint(t)
			if err := validFile(t, schema(t, SecondDegree, version), got); err != nil {
				t.Errorf("not valid against the official %s XSD: %v", version, err)
			}
		})
	}
}
