package lsu

import (
	"bytes"
	"strings"
	"testing"
)

// collegeProjects is collegeInput with an EPI (a local theme and a national
// one), an AP and parcours: the 3 A follows the EPI in term 1, the AP in
// terms 1 and 2, and has class projects for two parcours.
func collegeProjects() *Input {
	in := collegeInput()
	in.Projects = Projects{
		Themes: []CodeLabel{{Code: "LOC_MER", Label: "La mer & ses métiers"}},
		Items: []Project{
			{ID: "epi1", Kind: KindEPI, Title: "Journal du collège", Theme: "EPI_ICC", Description: "Écrire, illustrer et publier un journal.", SubjectIDs: []string{"fr", "an"}},
			{ID: "epi2", Kind: KindEPI, Title: "Le port", Theme: "LOC_MER", SubjectIDs: []string{"ma", "eps"}},
			{ID: "ap1", Kind: KindAP, Title: "Méthodologie", SubjectIDs: []string{"ma"}},
		},
		Groups: []ProjectGroup{
			{ID: "g1", ProjectID: "epi1", Title: "Journal du collège — 3 A", Comment: "Un numéro publié en décembre.",
				Pairs: []TeacherSubject{{TeacherID: "t-fr", SubjectID: "fr"}, {TeacherID: "t-an", SubjectID: "an"}}},
			{ID: "g2", ProjectID: "epi2", Title: "Le port — 4B", Pairs: []TeacherSubject{{TeacherID: "t-ma", SubjectID: "ma"}, {TeacherID: "t-eps", SubjectID: "eps"}}},
			{ID: "g3", ProjectID: "ap1", Title: "Méthodologie — 3 A", Pairs: []TeacherSubject{{TeacherID: "t-ma", SubjectID: "ma"}}},
		},
		Parcours: []ClassParcours{
			{PeriodID: "t1", Division: "3 A", Code: "PAR_CIT", Text: "Élection des délégués & débat réglé."},
			{PeriodID: "t1", Division: "3 A", Code: "PAR_AVN", Text: "Visite du forum des métiers."},
			{PeriodID: "t2", Division: "4B", Code: "PAR_ART", Text: "Concert au théâtre."},
		},
	}
	for i := range in.Periodic {
		r := &in.Periodic[i]
		switch {
		case r.StudentID == "s4" && r.PeriodID == "t1":
			r.Projects = []ProjectResult{{GroupID: "g2", Comment: "Maquette très soignée."}}
		case r.StudentID == "s4":
		case r.PeriodID == "t1":
			r.Projects = []ProjectResult{{GroupID: "g1", Comment: "Article sur le club théâtre."}, {GroupID: "g3", Comment: "Organise mieux son travail."}}
			r.Parcours = []StudentParcours{{Code: "PAR_CIT", Text: "Élu délégué de classe."}}
		default:
			r.Projects = []ProjectResult{{GroupID: "g3", Comment: "Progrès nets."}}
		}
	}
	return in
}

func TestGoldenProjects(t *testing.T) {
	for _, version := range []string{Version10, Version7} {
		t.Run(version, func(t *testing.T) {
			in := collegeProjects()
			in.Target.Version = version
			got, rep := generate(t, in)
			golden(t, "college_epi_"+version+".xml", got)
			for _, want := range []string{"<epis-thematiques>", `<epi id="EPI_1"`, `thematique="LOC_MER"`, "<epis-groupes>", "<acc-persos>",
				"<acc-persos-groupes>", "<parcours-communs>", `<epi-eleve epi-groupe-ref=`, `<acc-perso-eleve acc-perso-groupe-ref=`, `<parcours code="PAR_CIT">`} {
				if !bytes.Contains(got, []byte(want)) {
					t.Errorf("the file lacks %s", want)
				}
			}
			// The 4B's class parcours is for term 2, when it has reports:
			// written; the 3 A's of term 1 too.
			if n := bytes.Count(got, []byte("<parcours-commun ")); n != 2 {
				t.Errorf("%d parcours-commun, want 2", n)
			}
			if len(rep.Filter(Warning)) != 0 {
				for _, l := range rep.Filter(Warning) {
					if l.Place == PlaceProjectEntry {
						t.Errorf("unexpected warning %+v", l)
					}
				}
			}
			if err := ValidateRules(in.Target, got); err != nil {
				t.Errorf("built-in rules refuse the file: %v", err)
			}
			requireXmllint(t)
			if err := validFile(t, schema(t, SecondDegree, version), got); err != nil {
				t.Errorf("not valid against the official %s XSD: %v", version, err)
			}
		})
	}
}

// TestProjectChecks triggers each check of the blocks.
func TestProjectChecks(t *testing.T) {
	long := strings.Repeat("é", 700)
	tests := []struct {
		name   string
		edit   func(in *Input)
		kind   Kind
		place  Place
		substr string
	}{
		{"EPI with one discipline", func(in *Input) { in.Projects.Items[0].SubjectIDs = []string{"fr"} }, Blocking, PlaceProjects, "deux disciplines"},
		{"EPI with an unknown theme", func(in *Input) { in.Projects.Items[0].Theme = "EPI_XXX" }, Blocking, PlaceProjects, "thématique inconnue"},
		{"AP without discipline", func(in *Input) { in.Projects.Items[2].SubjectIDs = []string{"nowhere"} }, Blocking, PlaceProjects, "aucune discipline"},
		{"group without teacher", func(in *Input) {
			in.Projects.Groups[0].Pairs = []TeacherSubject{{TeacherID: "t-unknown", SubjectID: "fr"}}
		}, Blocking, PlaceProjects, "aucun enseignant"},
		{"missing appreciation", func(in *Input) { in.Periodic[0].Projects[0].Comment = " " }, Warning, PlaceProjectEntry, "appréciation absente"},
		{"long appreciation", func(in *Input) { in.Periodic[0].Projects[0].Comment = long }, Fixed, "", "appréciation tronqué à 600"},
		{"long class commentary", func(in *Input) { in.Projects.Groups[0].Comment = long }, Fixed, "", "commentaire de la classe tronqué à 600"},
		{"long title", func(in *Input) { in.Projects.Items[0].Title = long }, Fixed, "", "intitulé tronqué à 150"},
		{"long class parcours", func(in *Input) { in.Projects.Parcours[0].Text = long }, Fixed, "", "projet de la classe tronqué à 600"},
		{"long pupil parcours", func(in *Input) { in.Periodic[0].Parcours[0].Text = long }, Fixed, "", "commentaire du parcours tronqué à 600"},
		{"unknown parcours", func(in *Input) { in.Periodic[0].Parcours[0].Code = "PAR_XXX" }, Ignored, "", "inconnu de LSU"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := collegeProjects()
			tt.edit(in)
			plan, rep := Collect(in)
			var found *Line
			for i, l := range rep.Lines {
				if l.Kind == tt.kind && strings.Contains(l.Message, tt.substr) {
					found = &rep.Lines[i]
					break
				}
			}
			if found == nil {
				t.Fatalf("no %s line with %q in %+v", tt.kind, tt.substr, rep.Lines)
			}
			if found.Place != tt.place {
				t.Errorf("place %q, want %q", found.Place, tt.place)
			}
			if tt.kind == Blocking || tt.kind == Warning {
				if found.Student == "" || found.StudentRef == "" || found.PeriodRef == "" {
					t.Errorf("the line does not name the student and period: %+v", found)
				}
			}
			if plan == nil {
				t.Fatal("no plan")
			}
			var buf bytes.Buffer
			if err := Generate(&buf, plan); err != nil {
				t.Fatal(err)
			}
			if err := ValidateRules(plan.Target, buf.Bytes()); err != nil {
				t.Errorf("built-in rules refuse the file: %v", err)
			}
		})
	}
}

// TestProjectsSplit checks that each part of a split export declares the
// groups its reports use and no other.
func TestProjectsSplit(t *testing.T) {
	plan, _ := Collect(collegeProjects())
	parts := Split(plan, ByDivision)
	if len(parts) != 2 {
		t.Fatalf("%d parts", len(parts))
	}
	for _, p := range parts {
		var buf bytes.Buffer
		if err := Generate(&buf, p); err != nil {
			t.Fatal(err)
		}
		if err := ValidateRules(p.Target, buf.Bytes()); err != nil {
			t.Errorf("%s: %v", p.Part, err)
		}
		has4B := strings.Contains(p.Part, "4B")
		if got := bytes.Contains(buf.Bytes(), []byte("Le port")); got != has4B {
			t.Errorf("%s: EPI of the 4B written: %v", p.Part, got)
		}
		if bytes.Contains(buf.Bytes(), []byte("LOC_MER")) != has4B {
			t.Errorf("%s: local theme written only where its EPI is", p.Part)
		}
	}
}

// TestProjectsFirstDegree: the 1st degree has no such blocks.
func TestProjectsFirstDegree(t *testing.T) {
	in := ecoleInput()
	in.Projects.Items = []Project{{ID: "x", Kind: KindAP, Title: "AP"}}
	_, rep := Collect(in)
	found := false
	for _, l := range rep.Filter(Ignored) {
		found = found || strings.Contains(l.Message, "1er degré")
	}
	if !found {
		t.Error("no line says the blocks are not sent in the 1st degree")
	}
}
