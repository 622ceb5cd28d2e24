package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// Every tenant of the fixture has an EPI ({project}) that its division
// follows in the first trimester, with the teacher ({projectgroup}).
func init() {
	fixtureSetups = append(fixtureSetups, func(ctx context.Context, tx *store.Tx, f *fixture, tn *tenant) error {
		period, err := fixturePeriod(ctx, tx, tn)
		if err != nil {
			return err
		}
		tn.IDs["period"] = period.ID
		p := sillage.LSUProject{SchoolYear: period.SchoolYear, Kind: "epi", Title: "Journal", Theme: "EPI_ICC", Subjects: []string{"000000", "000001"}}
		if err := tx.Livret().CreateProject(ctx, tn.UAI, &p); err != nil {
			return err
		}
		tn.IDs["project"] = p.ID
		g := sillage.LSUProjectGroup{ProjectID: p.ID, DivisionID: tn.Division.ID, PeriodID: period.ID, Title: "Journal " + tn.Division.Code,
			Teachers: []sillage.TeacherSubject{{TeacherID: tn.Persons[sillage.RoleTeacher].ID, SubjectCode: "000000"}}}
		if err := tx.Livret().CreateProjectGroup(ctx, tn.UAI, &g); err != nil {
			return err
		}
		tn.IDs["projectgroup"] = g.ID
		return nil
	})
}

// TestProjectPages: the director declares an EPI and its group, the
// group's teacher enters appreciations, another teacher does not reach
// them; the head teacher enters a parcours, a teacher who is not does not.
func TestProjectPages(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 2, PerDivision: 3, Periods: 1, Subjects: 3, Draft: true})
			director := f.sessionOf(uaiCollege, lf.Director)
			french := f.sessionOf(uaiCollege, lf.Teachers[0]) // head teacher of 6E1
			maths := f.sessionOf(uaiCollege, lf.Teachers[1])
			third := f.sessionOf(uaiCollege, lf.Teachers[2])
			div, period := lf.Divisions[0], lf.Periods[0]

			epi := url.Values{"nature": {"epi"}, "intitule": {"Journal du collège"}, "thematique": {"EPI_ICC"}, "description": {"Un journal."},
				"disciplines": {"020700", "061300"}}
			if st, _ := f.do(french, "POST", "/livret/projets", epi); st != http.StatusForbidden {
				t.Errorf("a teacher declares an EPI: %d", st)
			}
			one := url.Values{"nature": {"epi"}, "intitule": {"Seul"}, "thematique": {"EPI_ICC"}, "disciplines": {"020700"}}
			if st, _ := f.do(director, "POST", "/livret/projets", one); st != http.StatusBadRequest {
				t.Errorf("an EPI with one discipline: %d", st)
			}
			if st, _ := f.do(director, "POST", "/livret/projets", epi); st != http.StatusSeeOther {
				t.Fatalf("declare: %d", st)
			}
			var project sillage.LSUProject
			f.st.Read(context.Background(), func(tx *store.Tx) error {
				ps, err := tx.Livret().ListProjects(context.Background(), uaiCollege, period.SchoolYear)
				if len(ps) > 0 {
					project = ps[0]
				}
				return err
			})
			if project.ID == 0 {
				t.Fatal("the EPI is not stored for the period's year")
			}
			group := url.Values{"division": {fmt.Sprint(div.ID)}, "periode": {fmt.Sprint(period.ID)},
				"enseignants": {fmt.Sprintf("%d:020700", lf.Teachers[0].ID), fmt.Sprintf("%d:061300", lf.Teachers[1].ID)}}
			if st, _ := f.do(director, "POST", fmt.Sprintf("/livret/projets/%d/groupes", project.ID), group); st != http.StatusSeeOther {
				t.Fatalf("add group: %d", st)
			}
			st, body := f.do(director, "GET", "/livret/projets", nil)
			pg := parsePage(t, body)
			sel := fmt.Sprintf("#projet-%d", project.ID)
			if st != 200 || !pg.has(sel+" h2", "EPI — Journal du collège") || !pg.has(sel+" dd", "Information, communication, citoyenneté") ||
				!pg.has(sel+" table.groups td", "6E1") || pg.count("form#new-project") != 1 {
				t.Fatalf("projects page: %d", st)
			}
			href, _ := pg.doc.Find(sel + " table.groups td a").First().Attr("href")
			if href == "" {
				t.Fatal("no link to the group's entry")
			}
			// A teacher sees the projects of their groups only, without the forms.
			_, body = f.do(third, "GET", "/livret/projets", nil)
			if pg := parsePage(t, body); pg.count(sel) != 0 || pg.count("form#new-project") != 0 {
				t.Error("a teacher out of the group sees the project or the declaration form")
			}
			_, body = f.do(maths, "GET", "/livret/projets", nil)
			if pg := parsePage(t, body); pg.count(sel) != 1 || pg.count("form.add-group") != 0 {
				t.Error("a teacher of the group does not see it, or sees the declaration forms")
			}

			// The group's entry.
			s := lf.Students[0]
			st, body = f.do(french, "GET", href, nil)
			pg = parsePage(t, body)
			if st != 200 || pg.count("#group-students tbody tr") != 3 || !pg.has("#group-students td label", s.FullName()) {
				t.Fatalf("group entry: %d", st)
			}
			if st, _ := f.do(third, "GET", href, nil); st != http.StatusNotFound {
				t.Errorf("a teacher out of the group reaches it: %d", st)
			}
			form := url.Values{"commentaire": {"Un numéro publié."}, fmt.Sprintf("texte-%d", s.ID): {"Article remarquable."}}
			if st, _ := f.do(maths, "POST", href, form); st != http.StatusSeeOther {
				t.Fatalf("save group: %d", st)
			}
			_, body = f.do(french, "GET", href, nil)
			pg = parsePage(t, body)
			if pg.text(fmt.Sprintf("textarea#texte-%d", s.ID)) != "Article remarquable." || pg.text("textarea#commentaire") != "Un numéro publié." {
				t.Error("the appreciation or the class commentary is not shown back")
			}
			if st, _ := f.do(maths, "POST", href, url.Values{"texte-999999": {"x"}}); st != http.StatusNotFound {
				t.Errorf("a student out of the group: %d", st)
			}

			// Parcours: the head teacher of the division only.
			base := fmt.Sprintf("/livret/parcours/%d/%d", div.ID, period.ID)
			if st, _ := f.do(maths, "GET", base, nil); st != http.StatusForbidden {
				t.Errorf("a teacher who is not the head teacher: %d", st)
			}
			pform := url.Values{"parcours": {"PAR_CIT"}, "projet": {"Élection des délégués."}, fmt.Sprintf("texte-%d", s.ID): {"Élue déléguée."}}
			if st, _ := f.do(french, "POST", base, pform); st != http.StatusSeeOther {
				t.Fatalf("save parcours: %d", st)
			}
			st, body = f.do(french, "GET", base+"?parcours=PAR_CIT", nil)
			pg = parsePage(t, body)
			if st != 200 || pg.text("textarea#projet") != "Élection des délégués." || pg.text(fmt.Sprintf("textarea#texte-%d", s.ID)) != "Élue déléguée." ||
				pg.attr(`select[name="parcours"] option[selected]`, "value") != "PAR_CIT" {
				t.Fatalf("parcours page: %d", st)
			}
			if st, _ := f.do(french, "GET", base+"?parcours=PAR_XXX", nil); st != http.StatusNotFound {
				t.Errorf("unknown parcours: %d", st)
			}
			// The class page links to it for the head teacher.
			_, body = f.do(french, "GET", fmt.Sprintf("/livret/classe/%d/%d", div.ID, period.ID), nil)
			if parsePage(t, body).attr("#parcours-link a", "href") != base {
				t.Error("no parcours link on the class page")
			}

			// A second group, deleted on its own.
			group2 := url.Values{"division": {fmt.Sprint(lf.Divisions[1].ID)}, "periode": {fmt.Sprint(period.ID)}, "intitule": {"Journal — 6E2"},
				"enseignants": {fmt.Sprintf("%d:020700", lf.Teachers[0].ID)}}
			if st, _ := f.do(director, "POST", fmt.Sprintf("/livret/projets/%d/groupes", project.ID), group2); st != http.StatusSeeOther {
				t.Fatalf("add a second group: %d", st)
			}
			var second sillage.LSUProjectGroup
			f.st.Read(context.Background(), func(tx *store.Tx) error {
				gs, err := tx.Livret().ListProjectGroups(context.Background(), uaiCollege, sillage.ProjectGroupFilter{ProjectID: project.ID})
				for _, g := range gs {
					if g.DivisionID == lf.Divisions[1].ID {
						second = g
					}
				}
				return err
			})
			if st, _ := f.do(director, "POST", fmt.Sprintf("/livret/groupe/%d/supprimer", second.ID), url.Values{"confirmer": {"1"}}); st != http.StatusSeeOther {
				t.Fatalf("delete the second group: %d", st)
			}

			// Deleting needs the confirmation.
			del := fmt.Sprintf("/livret/projets/%d/supprimer", project.ID)
			if st, _ := f.do(director, "POST", del, url.Values{}); st != http.StatusSeeOther {
				t.Errorf("unconfirmed delete: %d", st)
			}
			if _, body := f.do(director, "GET", "/livret/projets", nil); parsePage(t, body).count(sel) != 1 {
				t.Error("deleted without the confirmation")
			}
			if st, _ := f.do(director, "POST", del, url.Values{"confirmer": {"1"}}); st != http.StatusSeeOther {
				t.Errorf("confirmed delete: %d", st)
			}
			if st, _ := f.do(french, "GET", href, nil); st != http.StatusNotFound {
				t.Errorf("the deleted project's group: %d", st)
			}
			// Declared, grouped and deleted: each in the establishment's
			// journal, the unconfirmed deletion not.
			var entries []sillage.AuditEntry
			f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
				entries, err = tx.Audit().ListAudit(context.Background(), uaiCollege, sillage.AuditFilter{Action: "lsu.project."})
				return err
			})
			var got []string
			for _, e := range entries {
				got = append(got, e.Action+" "+e.Target)
			}
			slices.Sort(got)
			want := []string{
				fmt.Sprintf("lsu.project.declared EPI « Journal du collège » (n° %d)", project.ID),
				fmt.Sprintf("lsu.project.declared groupe « Journal du collège — 6E1 » de EPI « Journal du collège » (n° %d)", project.ID),
				fmt.Sprintf("lsu.project.declared groupe « Journal — 6E2 » de EPI « Journal du collège » (n° %d)", project.ID),
				fmt.Sprintf("lsu.project.deleted groupe « Journal — 6E2 » de EPI « Journal du collège » (n° %d)", project.ID),
				fmt.Sprintf("lsu.project.deleted EPI « Journal du collège » (n° %d)", project.ID),
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("journal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
