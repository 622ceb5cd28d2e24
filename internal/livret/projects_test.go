package livret_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// projectsCollege enters, through the livret functions, two EPI (one on a
// local theme), an AP and two parcours for the 3E1 of the collège, then
// closes its reports of both trimesters. It returns the EPI group of term
// 1 and the division.
func projectsCollege(t testing.TB, st *store.Store, perDivision int) (*lsutest.Fixture, sillage.LSUProjectGroup, sillage.Division) {
	t.Helper()
	ctx := context.Background()
	f, err := lsutest.Build(ctx, st, lsutest.Options{UAI: uaiCollege, Divisions: 4, PerDivision: perDivision, Periods: 2, Subjects: 6, Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	var div sillage.Division
	var head sillage.Person
	for i, d := range f.Divisions {
		if d.Code == "3E1" {
			div, head = d, f.Teachers[i%len(f.Teachers)]
		}
	}
	dir := sillage.Who{UAI: uaiCollege, PersonID: f.Director.ID, Role: sillage.RoleDirector}
	teacher := func(i int) sillage.Who {
		return sillage.Who{UAI: uaiCollege, PersonID: f.Teachers[i].ID, Role: sillage.RoleTeacher}
	}
	s := f.SubjectIDs
	p1, p2 := f.Periods[0], f.Periods[1]
	now := p1.Start.Time()
	pair := func(i int) string { return fmt.Sprintf("%d:%s", f.Teachers[i].ID, s[i]) }
	var g1 sillage.LSUProjectGroup
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := livret.SetTheme(ctx, tx, uaiCollege, dir, "loc_mer", "La mer & ses métiers"); err != nil {
			return err
		}
		epi1, err := livret.CreateProject(ctx, tx, uaiCollege, dir, now, livret.ProjectInput{Kind: "epi", Title: "Journal du collège", Theme: "EPI_ICC",
			Description: "Écrire, illustrer et publier un journal.", Subjects: []string{s[0], s[1]}})
		if err != nil {
			return err
		}
		epi2, err := livret.CreateProject(ctx, tx, uaiCollege, dir, now, livret.ProjectInput{Kind: "epi", Title: "Le port", Theme: "LOC_MER", Subjects: []string{s[2], s[3]}})
		if err != nil {
			return err
		}
		ap, err := livret.CreateProject(ctx, tx, uaiCollege, dir, now, livret.ProjectInput{Kind: "ap", Title: "Méthodologie", Subjects: []string{s[1]}})
		if err != nil {
			return err
		}
		if g1, err = livret.CreateGroup(ctx, tx, uaiCollege, dir, livret.GroupInput{ProjectID: epi1.ID, DivisionID: div.ID, PeriodID: p1.ID, Teachers: []string{pair(0), pair(1)}}); err != nil {
			return err
		}
		g2, err := livret.CreateGroup(ctx, tx, uaiCollege, dir, livret.GroupInput{ProjectID: epi2.ID, DivisionID: div.ID, PeriodID: p2.ID, Title: "Le port — 3e",
			Teachers: []string{pair(2), pair(3)}})
		if err != nil {
			return err
		}
		var aps []sillage.LSUProjectGroup
		for _, p := range []sillage.Period{p1, p2} {
			g, err := livret.CreateGroup(ctx, tx, uaiCollege, dir, livret.GroupInput{ProjectID: ap.ID, DivisionID: div.ID, PeriodID: p.ID, Teachers: []string{pair(1)}})
			if err != nil {
				return err
			}
			aps = append(aps, g)
		}
		var students []sillage.Student
		for _, st := range f.Students {
			if st.DivisionID == div.ID {
				students = append(students, st)
			}
		}
		// The EPI of term 1: four appreciations, one too long; the fifth
		// student has none.
		texts := map[int64]string{}
		for i, st := range students[:4] {
			texts[st.ID] = fmt.Sprintf("%s a rédigé l'article n° %d.", st.FirstName, i+1)
		}
		texts[students[3].ID] = strings.Repeat("Très investi dans la rédaction. ", 25)
		if err := livret.SaveGroupEntry(ctx, tx, uaiCollege, teacher(0), g1.ID, "Un numéro publié en décembre.", texts); err != nil {
			return err
		}
		texts = map[int64]string{}
		for _, st := range students {
			texts[st.ID] = st.FirstName + " a présenté la maquette du port."
		}
		if err := livret.SaveGroupEntry(ctx, tx, uaiCollege, teacher(3), g2.ID, "", texts); err != nil {
			return err
		}
		for i, g := range aps {
			texts = map[int64]string{}
			for _, st := range students {
				texts[st.ID] = fmt.Sprintf("Organisation du travail en progrès (trimestre %d).", i+1)
			}
			if err := livret.SaveGroupEntry(ctx, tx, uaiCollege, teacher(1), g.ID, "", texts); err != nil {
				return err
			}
		}
		headWho := sillage.Who{UAI: uaiCollege, PersonID: head.ID, Role: sillage.RoleTeacher}
		if err := livret.SaveParcoursEntry(ctx, tx, uaiCollege, headWho, div.ID, p1.ID, "PAR_CIT", "Élection des délégués & débat réglé.",
			map[int64]string{students[0].ID: "Élue déléguée de classe."}); err != nil {
			return err
		}
		if err := livret.SaveParcoursEntry(ctx, tx, uaiCollege, dir, div.ID, p2.ID, "PAR_AVN", "Visite du forum des métiers.", nil); err != nil {
			return err
		}
		reports, err := tx.Livret().ListPeriodicReports(ctx, uaiCollege, sillage.ReportFilter{DivisionID: div.ID})
		if err != nil {
			return err
		}
		for _, r := range reports {
			if err := tx.Livret().SetPeriodicReportState(ctx, uaiCollege, r.ID, sillage.ReportClosed, f.Director.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, g1, div
}

// TestExportGoldenProjects exports the 3E1 with its EPI, AP and parcours
// through the database, on every engine and for both 2nd-degree versions:
// the file passes the built-in rules (the export refuses it otherwise) and
// the official XSD, and equals the golden file; the report's lines name the
// student and lead to the page where they are fixed.
func TestExportGoldenProjects(t *testing.T) {
	requireXmllint(t)
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		f, g1, _ := projectsCollege(t, st, 5)
		for _, version := range []string{lsu.Version10, lsu.Version7} {
			t.Run(version, func(t *testing.T) {
				out := run(t, st, openBlobs(t), uaiCollege, livret.Request{Version: version, Selection: livret.Selection{DivisionCode: "3E1", PeriodIDs: f.PeriodIDs(2)}})
				if out.Refused() {
					t.Fatalf("refused: %s\n%s", out.Export.Refusal, reportCSV(t, out.Report))
				}
				if err := validate(t, lsu.SecondDegree, version, out.File); err != nil {
					t.Fatalf("the exported file does not validate against %s: %v", version, err)
				}
				xml := readFile(t, out.File)
				golden(t, "college_3E1_epi_"+version+".xml", xml)
				golden(t, "college_3E1_epi_"+version+".report.csv", reportCSV(t, out.Report))
				for _, want := range []string{`<epi-thematique code="LOC_MER" libelle="La mer &amp; ses métiers"/>`, `thematique="EPI_ICC"`,
					"<acc-persos-groupes>", `<parcours-commun `, `<parcours code="PAR_CIT">Élue déléguée de classe.</parcours>`} {
					if !bytes.Contains(xml, []byte(want)) {
						t.Errorf("the file lacks %s", want)
					}
				}
				if n := bytes.Count(xml, []byte("<epi-eleve ")); n != 10 {
					t.Errorf("%d epi-eleve, want 10 (5 students, one EPI per term)", n)
				}
				var warned, fixed bool
				for _, l := range out.Report.Lines {
					switch {
					case l.Kind == lsu.Warning && strings.Contains(l.Message, "appréciation absente"):
						warned = l.Student != "" && l.Link == fmt.Sprintf("/livret/groupe/%d", g1.ID)
					case l.Kind == lsu.Fixed && strings.Contains(l.Message, "tronqué à 600"):
						fixed = l.Student != ""
					}
				}
				if !warned || !fixed {
					t.Errorf("missing appreciation warned with its link: %v; long one fixed: %v\n%s", warned, fixed, reportCSV(t, out.Report))
				}
			})
		}
	})
}

// TestProjectChecksFromStore: an EPI whose second discipline is not in the
// Nomenclature blocks its students' reports, each line naming the student
// and leading to the declarations' page.
func TestProjectChecksFromStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		f, _, div := projectsCollege(t, st, 5)
		err := st.Write(ctx, func(tx *store.Tx) error {
			// Stored as an older Nomenclature knew it.
			p := sillage.LSUProject{SchoolYear: f.Periods[0].SchoolYear, Kind: "epi", Title: "Ancien", Theme: "EPI_SAN", Subjects: []string{f.SubjectIDs[0], "999999"}}
			if err := tx.Livret().CreateProject(ctx, uaiCollege, &p); err != nil {
				return err
			}
			for _, r := range mustReports(t, tx, div.ID) {
				if err := tx.Livret().SetPeriodicReportState(ctx, uaiCollege, r.ID, sillage.ReportDraft, f.Director.ID); err != nil {
					return err
				}
			}
			g := sillage.LSUProjectGroup{ProjectID: p.ID, DivisionID: div.ID, PeriodID: f.Periods[0].ID, Title: "Ancien 3E1",
				Teachers: []sillage.TeacherSubject{{TeacherID: f.Teachers[0].ID, SubjectCode: f.SubjectIDs[0]}}}
			if err := tx.Livret().CreateProjectGroup(ctx, uaiCollege, &g); err != nil {
				return err
			}
			for _, r := range mustReports(t, tx, div.ID) {
				if err := tx.Livret().SetPeriodicReportState(ctx, uaiCollege, r.ID, sillage.ReportClosed, f.Director.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out := run(t, st, openBlobs(t), uaiCollege, livret.Request{Selection: livret.Selection{DivisionCode: "3E1", PeriodIDs: f.PeriodIDs(1)}})
		var blocking []lsu.Line
		for _, l := range out.Report.Filter(lsu.Blocking) {
			if l.Student != "" {
				blocking = append(blocking, l)
			}
		}
		if len(blocking) != 5 || !out.Refused() {
			t.Fatalf("%d blocking lines, want one per student of the 3E1:\n%s", len(blocking), reportCSV(t, out.Report))
		}
		for _, l := range blocking {
			if l.Student == "" || l.Link != "/livret/projets" || !strings.Contains(l.Message, "deux disciplines") || l.Fix == "" {
				t.Errorf("blocking line %+v", l)
			}
		}
	})
}

func mustReports(t *testing.T, tx *store.Tx, divisionID int64) []sillage.PeriodicReport {
	t.Helper()
	rs, err := tx.Livret().ListPeriodicReports(context.Background(), uaiCollege, sillage.ReportFilter{DivisionID: divisionID})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// BenchmarkLSUExportProjectsClass exports a 3e of 30 with its EPI, AP and
// parcours (two trimesters) through the database, validated by the
// built-in rules: the time per export, as the web page runs it.
func BenchmarkLSUExportProjectsClass(b *testing.B) {
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			st := storetest.Open(b, kind, &storetest.Clock{T: storetest.Epoch})
			f, _, _ := projectsCollege(b, st, 30)
			blobs := openBlobs(b)
			req := livret.Request{Selection: livret.Selection{DivisionCode: "3E1", PeriodIDs: f.PeriodIDs(2)}, AppVersion: "bench", Actor: actor}
			b.ResetTimer()
			for b.Loop() {
				out, err := livret.Run(context.Background(), st, blobs, uaiCollege, req)
				if err != nil || out.Refused() {
					b.Fatalf("export: %v %+v", err, out.Export)
				}
				out.Cleanup()
			}
		})
	}
}
