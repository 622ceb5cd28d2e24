package lsu

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

// withDigital adds the digital skills of cycle 3 to a collège class: levels
// and appreciations on some reports, a common appreciation for "3 A" in
// both terms and for "4B" in the first (the fixture's divisions stand in
// for 6e ones: the schema does not tie the block to a level).
func withDigital(in *Input) *Input {
	for i := range in.Periodic {
		r := &in.Periodic[i]
		switch i % 3 {
		case 0:
			r.Digital = &DigitalSkills{Appreciation: "Sait chercher & trier l'information ; doit protéger ses mots de passe.",
				Levels: map[string]int{"CN_ENV_EVO": 1, "CN_INF_MEN": 3, "CN_PRO_DON": 2, "CN_COM_COL": 2}}
		case 1:
			r.Digital = &DigitalSkills{Levels: map[string]int{"CN_CRE_TEX": 2}}
		}
	}
	in.DigitalCommons = []DigitalCommon{
		{PeriodID: "t1", Division: "3 A", Comment: "Travail en salle informatique : recherche documentaire & traitement de texte."},
		{PeriodID: "t2", Division: "3 A", Comment: "Initiation à la programmation par blocs."},
		{PeriodID: "t1", Division: "4B", Comment: "Usage raisonné de l'ENT."},
		{PeriodID: "t3", Division: "4B", Comment: "Aucun bilan au troisième trimestre : non transmis."},
	}
	return in
}

func TestGoldenDigitalSkills(t *testing.T) {
	for _, version := range []string{Version10, Version7} {
		t.Run(version, func(t *testing.T) {
			in := withDigital(collegeInput())
			in.Target.Version = version
			got, rep := generate(t, in)
			file := "college_digital_" + version + ".xml"
			golden(t, file, got)
			var csv bytes.Buffer
			if err := rep.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(file, ".xml")+".report.csv", csv.Bytes())
			for _, w := range []string{
				`<competences-numeriques-commun id="CNC_1" code-structure="3 A" type-structure="D">Travail en salle informatique : recherche documentaire &amp; traitement de texte.</competences-numeriques-commun>`,
				`<competences-numeriques comp-num-commun-refs="CNC_1">`,
				`<competence-num code="CN_INF_MEN" niveau="3"/>`,
				"<appreciation-num>Sait chercher",
			} {
				if !bytes.Contains(got, []byte(w)) {
					t.Errorf("the file lacks %s", w)
				}
			}
			if bytes.Contains(got, []byte("troisième trimestre")) {
				t.Error("the common appreciation of a period without reports is written")
			}
			// The skills are written in the XSD's order, whatever the map's.
			i, j := bytes.Index(got, []byte(`code="CN_INF_MEN"`)), bytes.Index(got, []byte(`code="CN_COM_COL"`))
			k := bytes.Index(got, []byte(`code="CN_ENV_EVO"`))
			if i < 0 || j < i || k < j {
				t.Errorf("skills out of order: %d %d %d", i, j, k)
			}
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

func TestDigitalSkillsChecks(t *testing.T) {
	college := func() *Input { return withDigital(collegeInput()) }
	tests := []checkCase{
		{name: "appreciation truncated", in: college, mutate: func(in *Input) { in.Periodic[0].Digital.Appreciation = long(700) },
			kind: Fixed, student: lea, msg: "appréciation des compétences numériques tronqué à 600",
			check: contains("<appreciation-num>" + long(600) + "</appreciation-num>")},
		{name: "level out of range", in: college, mutate: func(in *Input) { in.Periodic[0].Digital.Levels["CN_CRE_PRO"] = 4 },
			kind: Blocking, student: lea, msg: "Programmer (4)", check: notExported("s1", "t1")},
		{name: "unknown skill", in: college, mutate: func(in *Input) { in.Periodic[0].Digital.Levels["CN_XYZ"] = 2 },
			kind: Ignored, student: lea, msg: "compétences numériques inconnues", check: func(t *testing.T, _ *Plan, xml string) {
				if strings.Contains(xml, "CN_XYZ") {
					t.Error("the unknown skill is written")
				}
			}},
		{name: "cycle 3 student without skills", mutate: func(in *Input) { in.Students[0].Level = "6EME" },
			kind: Warning, student: lea, msg: "aucune compétence numérique positionnée"},
		{name: "common appreciation truncated", in: college, mutate: func(in *Input) { in.DigitalCommons[0].Comment = long(650) },
			kind: Fixed, msg: "appréciation commune des compétences numériques tronqué",
			check: contains(`type-structure="D">` + long(600) + "</competences-numeriques-commun>")},
		{name: "common appreciation twice", in: college, mutate: func(in *Input) {
			in.DigitalCommons = append(in.DigitalCommons, DigitalCommon{PeriodID: "t1", Division: "3 A", Comment: "Doublon"})
		}, kind: Ignored, msg: "seconde appréciation commune", check: func(t *testing.T, _ *Plan, xml string) {
			if strings.Contains(xml, "Doublon") {
				t.Error("the second appreciation is written")
			}
		}},
		{name: "skills in 1D", in: ecoleInput, mutate: func(in *Input) {
			in.Periodic[0].Digital = &DigitalSkills{Levels: map[string]int{"CN_INF_MEN": 2}}
		}, kind: Ignored, student: "AUBRY Jade", msg: "le schéma LSU du 1er degré ne les prévoit pas", check: func(t *testing.T, _ *Plan, xml string) {
			if strings.Contains(xml, "competence") {
				t.Error("a 1st-degree file holds digital skills")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mk := tt.in
			if mk == nil {
				mk = collegeInput
			}
			in := mk()
			tt.mutate(in)
			plan, rep := Collect(in)
			l, ok := findLine(rep, tt.kind, tt.student, tt.msg)
			if !ok {
				t.Fatalf("no %s line for %q containing %q; lines:\n%s", tt.kind, tt.student, tt.msg, dump(rep))
			}
			if (tt.kind == Blocking || tt.kind == Warning) && (l.Place != PlaceDigitalSkills || l.StudentRef == "" || l.PeriodRef == "") {
				t.Errorf("a line that leads nowhere: %+v", l)
			}
			if plan == nil {
				t.Fatalf("no plan; lines:\n%s", dump(rep))
			}
			var buf bytes.Buffer
			if err := Generate(&buf, plan); err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if tt.check != nil {
				tt.check(t, plan, buf.String())
			}
			if err := ValidateRules(plan.Target, buf.Bytes()); err != nil {
				t.Errorf("the Go validator refuses the file: %v", err)
			}
			if haveXmllint(t) {
				if err := validFile(t, schema(t, plan.Target.Degree, plan.Target.Version), buf.Bytes()); err != nil {
					t.Errorf("the file is invalid: %v", err)
				}
			}
		})
	}
}

// A split by division keeps each division's common appreciation only, and
// every report refers to a declared one.
func TestSplitDigitalCommons(t *testing.T) {
	plan, _ := Collect(withDigital(collegeInput()))
	parts := Split(plan, ByDivision)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2", len(parts))
	}
	for _, p := range parts {
		var buf bytes.Buffer
		if err := Generate(&buf, p); err != nil {
			t.Fatal(err)
		}
		other := `code-structure="4B"`
		if strings.Contains(p.Part, "4B") {
			other = `code-structure="3 A"`
		}
		if n := strings.Count(buf.String(), "<competences-numeriques-commun "); n == 0 || strings.Contains(buf.String(), other) {
			t.Errorf("%s: %d common appreciations, or the other division's", p.Part, n)
		}
		if err := ValidateRules(p.Target, buf.Bytes()); err != nil {
			t.Errorf("%s: the Go validator refuses the file: %v", p.Part, err)
		}
	}
}

// A hand-made plan with a level the schema refuses is not written.
func TestGenerateRefusesInvalidDigitalLevel(t *testing.T) {
	plan, _ := Collect(withDigital(collegeInput()))
	plan.Periodic[0].Digital.Levels["CN_INF_GER"] = 0
	var buf bytes.Buffer
	if err := Generate(&buf, plan); err == nil {
		t.Fatal("Generate wrote a level 0")
	}
}

// TestDigitalSkillsRulesRefuse breaks the digital skills of a valid file in
// each way the schema forbids: the built-in validator refuses every one,
// as xmllint does with the official XSD.
func TestDigitalSkillsRulesRefuse(t *testing.T) {
	for _, version := range []string{Version10, Version7} {
		in := withDigital(collegeInput())
		in.Target.Version = version
		good, _ := generate(t, in)
		for _, tc := range []struct{ name, old, new string }{
			{"level 4", `code="CN_INF_MEN" niveau="3"`, `code="CN_INF_MEN" niveau="4"`},
			{"level 0", `code="CN_INF_MEN" niveau="3"`, `code="CN_INF_MEN" niveau="0"`},
			{"unknown skill", `code="CN_INF_MEN"`, `code="CN_INF_XXX"`},
			{"skill twice", `code="CN_COM_COL"`, `code="CN_INF_MEN"`},
			{"no level", ` niveau="3"`, ``},
			{"blank appreciation", "<appreciation-num>Sait chercher &amp; trier l'information ; doit protéger ses mots de passe.</appreciation-num>", "<appreciation-num> </appreciation-num>"},
			{"appreciation after the skills", "<appreciation-num>Sait chercher &amp; trier l'information ; doit protéger ses mots de passe.</appreciation-num>\n          <competence-num code=\"CN_INF_MEN\" niveau=\"3\"/>",
				"<competence-num code=\"CN_INF_MEN\" niveau=\"3\"/>\n          <appreciation-num>Sait chercher</appreciation-num>"},
			{"structure type", `type-structure="D"`, `type-structure="C"`},
			{"blank common appreciation", `type-structure="D">Usage raisonné de l'ENT.<`, `type-structure="D">  <`},
			{"dangling reference", `comp-num-commun-refs="CNC_1"`, `comp-num-commun-refs="CNC_9"`},
			{"common without id", `<competences-numeriques-commun id="CNC_2" `, `<competences-numeriques-commun `},
		} {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				if !bytes.Contains(good, []byte(tc.old)) {
					t.Fatalf("the file lacks %q", tc.old)
				}
				bad := bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1)
				if err := ValidateRules(in.Target, bad); err == nil {
					t.Error("the built-in validator accepts it")
				}
				if haveXmllint(t) {
					if err := validFile(t, schema(t, SecondDegree, version), bad); err == nil && tc.name != "dangling reference" {
						t.Error("xmllint accepts it: the case is wrong")
					}
				}
			})
		}
	}
}

// The codes the Livret stores are those this package writes, in the same
// order.
func TestDigitalSkillCodesAgree(t *testing.T) {
	if len(DigitalSkillCodes) != len(sillage.DigitalSkillCodes) {
		t.Fatalf("%d codes here, %d stored", len(DigitalSkillCodes), len(sillage.DigitalSkillCodes))
	}
	for i, c := range DigitalSkillCodes {
		if c.Code != sillage.DigitalSkillCodes[i] || c.Label == "" {
			t.Errorf("code %d: %q (%q), stored %q", i, c.Code, c.Label, sillage.DigitalSkillCodes[i])
		}
	}
}
