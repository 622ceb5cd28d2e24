package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestProjectEdit: the director edits an EPI and its group on the
// projects page, with the declaration's checks; a refused edit changes
// nothing; a teacher is refused; another establishment's project or group
// is not found. Each edit is in the audit log.
func TestProjectEdit(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			sf := newSectionsFixture(t, f)
			lf := sf.lf
			director := f.sessionOf(uaiCollege, lf.Director)
			french := f.sessionOf(uaiCollege, lf.Teachers[0]) // a teacher of the EPI's group
			ctx := context.Background()
			read := func() (p sillage.LSUProject, g sillage.LSUProjectGroup) {
				t.Helper()
				err := f.st.Read(ctx, func(tx *store.Tx) (err error) {
					if p, err = tx.Livret().GetProject(ctx, uaiCollege, sf.epi.ProjectID); err != nil {
						return err
					}
					g, err = tx.Livret().GetProjectGroup(ctx, uaiCollege, sf.epi.ID)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return p, g
			}
			project, group := read()
			edit := fmt.Sprintf("/livret/projets/%d/modifier", project.ID)
			editGroup := fmt.Sprintf("/livret/groupe/%d/modifier", group.ID)

			// The page prefills the forms for the director only.
			_, body := f.do(director, "GET", "/livret/projets", nil)
			pg := parsePage(t, body)
			form := fmt.Sprintf("form#modifier-projet-%d", project.ID)
			if pg.attr(form, "action") != edit || pg.attr(form+" input[name=intitule]", "value") != "Journal du collège" ||
				pg.attr(form+" select[name=thematique] option[selected]", "value") != "EPI_ICC" ||
				pg.count(form+" select[name=disciplines] option[selected]") != 2 ||
				pg.attr(fmt.Sprintf("form#modifier-groupe-%d select[name=enseignants] option[selected]", group.ID), "value") != fmt.Sprintf("%d:020700", lf.Teachers[0].ID) {
				t.Fatal("the edit forms are not prefilled")
			}
			_, body = f.do(french, "GET", "/livret/projets", nil)
			if pg := parsePage(t, body); pg.count(form) != 0 || pg.count("details.edit-group") != 0 {
				t.Error("a teacher sees the edit forms")
			}

			good := url.Values{"intitule": {"Gazette du collège"}, "thematique": {"EPI_ART"}, "description": {"Une gazette illustrée."},
				"disciplines": {"020700", "061300", "030201"}}
			// Refused: nothing changes.
			for name, c := range map[string]struct {
				client *http.Client
				path   string
				form   url.Values
				status int
			}{
				"a teacher":                       {french, edit, good, http.StatusForbidden},
				"one discipline":                  {director, edit, url.Values{"intitule": {"X"}, "thematique": {"EPI_ART"}, "disciplines": {"020700"}}, http.StatusBadRequest},
				"a theme out of the list":         {director, edit, url.Values{"intitule": {"X"}, "thematique": {"EPI_XXX"}, "disciplines": {"020700", "061300"}}, http.StatusBadRequest},
				"no title":                        {director, edit, url.Values{"intitule": {" "}, "thematique": {"EPI_ART"}, "disciplines": {"020700", "061300"}}, http.StatusBadRequest},
				"a discipline out of the list":    {director, edit, url.Values{"intitule": {"X"}, "thematique": {"EPI_ART"}, "disciplines": {"020700", "999999"}}, http.StatusBadRequest},
				"the group's discipline removed":  {director, edit, url.Values{"intitule": {"X"}, "thematique": {"EPI_ART"}, "disciplines": {"061300", "030201"}}, http.StatusBadRequest},
				"another establishment's project": {director, fmt.Sprintf("/livret/projets/%d/modifier", f.a.IDs["project"]), good, http.StatusNotFound},
				"a teacher, group":                {french, editGroup, url.Values{"intitule": {"X"}, "enseignants": {fmt.Sprintf("%d:020700", lf.Teachers[0].ID)}}, http.StatusForbidden},
				"no teacher":                      {director, editGroup, url.Values{"intitule": {"X"}}, http.StatusBadRequest},
				"a discipline out of the project": {director, editGroup, url.Values{"intitule": {"X"}, "enseignants": {fmt.Sprintf("%d:030201", lf.Teachers[2].ID)}}, http.StatusBadRequest},
				"a teacher badly written":         {director, editGroup, url.Values{"intitule": {"X"}, "enseignants": {"abc"}}, http.StatusBadRequest},
				"another establishment's group":   {director, fmt.Sprintf("/livret/groupe/%d/modifier", f.a.IDs["projectgroup"]), url.Values{"intitule": {"X"}}, http.StatusNotFound},
				"another establishment's teacher": {director, editGroup, url.Values{"intitule": {"X"}, "enseignants": {fmt.Sprintf("%d:020700", f.a.Persons[sillage.RoleTeacher].ID)}}, http.StatusNotFound},
			} {
				st, body := f.do(c.client, "POST", c.path, c.form)
				if st != c.status {
					t.Errorf("%s: %d, want %d: %.300s", name, st, c.status, body)
				}
				if name == "the group's discipline removed" && !parsePage(t, body).has("main", "retirez-la d'abord du groupe") {
					t.Errorf("%s: the reason is not given: %.300s", name, body)
				}
				if p, g := read(); fmt.Sprint(p) != fmt.Sprint(project) || fmt.Sprint(g) != fmt.Sprint(group) {
					t.Errorf("%s: the project or its group changed", name)
				}
			}
			var audited []sillage.AuditEntry
			countAudit := func() int {
				f.st.Read(ctx, func(tx *store.Tx) (err error) {
					audited, err = tx.Audit().ListAudit(ctx, uaiCollege, sillage.AuditFilter{Action: livret.AuditProjectChanged})
					return err
				})
				return len(audited)
			}
			if n := countAudit(); n != 0 {
				t.Fatalf("%d audit entries for refused edits", n)
			}

			// The edits.
			if st, body := f.do(director, "POST", edit, good); st != http.StatusSeeOther {
				t.Fatalf("edit: %d %.300s", st, body)
			}
			twoTeachers := url.Values{"intitule": {"Gazette — 6E1"}, "enseignants": {fmt.Sprintf("%d:020700", lf.Teachers[0].ID), fmt.Sprintf("%d:030201", lf.Teachers[2].ID)}}
			if st, body := f.do(director, "POST", editGroup, twoTeachers); st != http.StatusSeeOther {
				t.Fatalf("edit group: %d %.300s", st, body)
			}
			p, g := read()
			if p.Title != "Gazette du collège" || p.Theme != "EPI_ART" || p.Description != "Une gazette illustrée." || fmt.Sprint(p.Subjects) != "[020700 061300 030201]" ||
				p.Kind != "epi" || p.SchoolYear != project.SchoolYear || p.UpdatedBy != lf.Director.ID {
				t.Errorf("edited project: %+v", p)
			}
			if g.Title != "Gazette — 6E1" || len(g.Teachers) != 2 || g.Teachers[1] != (sillage.TeacherSubject{TeacherID: lf.Teachers[2].ID, SubjectCode: "030201"}) ||
				g.DivisionID != group.DivisionID || g.PeriodID != group.PeriodID || g.Comment != group.Comment {
				t.Errorf("edited group: %+v", g)
			}
			if n := countAudit(); n != 2 || !strings.Contains(audited[0].Details+audited[1].Details, "thématique") ||
				!strings.Contains(audited[0].Details+audited[1].Details, "enseignants") {
				t.Errorf("audit entries: %+v", audited)
			}
			// The report shows the edited project, the student's appreciation kept.
			_, body = f.do(director, "GET", fmt.Sprintf("/livret/eleve/%d/%d", sf.student.ID, sf.period.ID), nil)
			pg = parsePage(t, body)
			row := fmt.Sprintf("#epi tr#groupe-%d", group.ID)
			if !pg.has(row+" td", "Gazette du collège") || !pg.has(row+" td", "Culture et création artistiques") || !pg.has(row+" td.appreciation", "Rédactrice en chef investie.") {
				t.Error("the report does not show the edited EPI with the appreciation")
			}
		})
	}
}
