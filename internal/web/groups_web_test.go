package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestTeacherGroupPages: a teacher creates a group, adds their student,
// evaluates the group (the grid lists its students), takes the student
// out and deletes the group after confirmation (logged; the evaluation
// stays). A teacher of the other establishment never reaches it; the
// administrator sees every group. Pages in French, on both engines.
func TestTeacherGroupPages(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			ctx := context.Background()
			c := f.session(f.a, sillage.RoleTeacher)
			studentID := f.a.Student.ID

			status, body := f.do(c, "GET", "/groupes", nil)
			if pg := parsePage(t, body); status != 200 || !pg.has("h1", "Mes groupes") || !pg.has("#groups", "Club théâtre") || pg.count(`form#nouveau-groupe input[name="nom"]`) != 1 {
				t.Fatalf("groups page: %d %.500s", status, body)
			}
			status, body = f.do(c, "POST", "/groupes", url.Values{"nom": {"  "}, "duree": {"year"}})
			if status != 400 || !parsePage(t, body).has(".error-message", "donnez un nom au groupe") {
				t.Fatalf("nameless group: %d %.500s", status, body)
			}
			status, body = f.do(c, "POST", "/groupes", url.Values{"nom": {"Atelier soudure"}, "duree": {"permanent"}})
			expectStatus(t, "create", status, http.StatusSeeOther, body)
			var g sillage.Group
			f.st.Read(ctx, func(tx *store.Tx) error {
				gs, err := records.GroupsInReach(ctx, tx, sillage.Who{UAI: f.a.UAI, PersonID: f.a.Persons[sillage.RoleTeacher].ID, Role: sillage.RoleTeacher})
				for _, x := range gs {
					if x.Label == "Atelier soudure" {
						g = x
					}
				}
				return err
			})
			if g.ID == 0 || g.Lifetime != sillage.LifetimePermanent || g.Kind != sillage.GroupFree {
				t.Fatalf("created group %+v", g)
			}
			page := fmt.Sprintf("/groupes/%d", g.ID)
			status, body = f.do(c, "GET", page, nil)
			if pg := parsePage(t, body); status != 200 || !pg.has("h1", "Groupe « Atelier soudure »") || !pg.has("main", "Aucun élève dans ce groupe") ||
				pg.count(fmt.Sprintf(`#ajout input[name="eleves"][value="%d"]`, studentID)) != 1 {
				t.Fatalf("group page: %d %.1500s", status, body)
			}

			// A student of the other establishment is "not found"; nothing is added.
			status, _ = f.do(c, "POST", page+"/eleves", url.Values{"eleves": {fmt.Sprint(studentID), fmt.Sprint(f.b.Student.ID)}})
			if status != http.StatusNotFound {
				t.Errorf("adding B's student: %d, want 404", status)
			}
			status, body = f.do(c, "POST", page+"/eleves", url.Values{"eleves": {fmt.Sprint(studentID)}})
			expectStatus(t, "add", status, http.StatusSeeOther, body)
			_, body = f.do(c, "GET", page, nil)
			if pg := parsePage(t, body); pg.count(fmt.Sprintf(`#membres tr[data-student="%d"]`, studentID)) != 1 || !pg.has("h2", "Élèves du groupe (1)") {
				t.Fatalf("member not listed: %.1500s", body)
			}

			// Evaluate the group.
			status, body = f.do(c, "GET", "/evaluations/nouvelle?groupe="+fmt.Sprint(g.ID), nil)
			if pg := parsePage(t, body); status != 200 || pg.count(fmt.Sprintf(`input[name="groupe"][value="%d"]`, g.ID)) != 1 || !pg.has("h1", "groupe Atelier soudure") {
				t.Fatalf("group evaluation form: %d %.800s", status, body)
			}
			form := url.Values{"groupe": {fmt.Sprint(g.ID)}, "referentiel": {fmt.Sprint(f.a.IDs["referential"])}, "titre": {"Soudure TIG"},
				"date": {"2025-11-05"}, "competences": {fmt.Sprint(f.a.IDs["competence"])}}
			status, body = f.do(c, "POST", "/evaluations", form)
			expectStatus(t, "create evaluation", status, http.StatusSeeOther, body)
			var e sillage.Evaluation
			f.st.Read(ctx, func(tx *store.Tx) error {
				es, err := tx.Records().ListEvaluations(ctx, f.a.UAI, sillage.EvaluationFilter{GroupID: g.ID})
				if len(es) == 1 {
					e = es[0]
				}
				return err
			})
			if e.ID == 0 || e.Title != "Soudure TIG" || e.DivisionID != 0 {
				t.Fatalf("group evaluation %+v", e)
			}
			status, body = f.do(c, "GET", fmt.Sprintf("/evaluations/%d", e.ID), nil)
			if pg := parsePage(t, body); status != 200 || pg.count(fmt.Sprintf(`#in-%d-%d`, studentID, f.a.IDs["competence"])) != 1 || !pg.has("main p a", "groupe Atelier soudure") {
				t.Fatalf("group grid: %d %.1500s", status, body)
			}
			_, body = f.do(c, "GET", "/evaluations?groupe="+fmt.Sprint(g.ID), nil)
			if pg := parsePage(t, body); !pg.has("h2", "Groupe Atelier soudure") || !pg.has("table.list", "Soudure TIG") {
				t.Errorf("evaluations of the group: %.1500s", body)
			}

			// Out of reach from the other establishment.
			other := f.session(f.b, sillage.RoleTeacher)
			for _, p := range []string{page, "/evaluations?groupe=" + fmt.Sprint(g.ID), "/evaluations/nouvelle?groupe=" + fmt.Sprint(g.ID)} {
				if status, _ := f.do(other, "GET", p, nil); status != http.StatusNotFound {
					t.Errorf("B's teacher on %s: %d, want 404", p, status)
				}
			}

			// The administrator sees every group of the establishment.
			_, body = f.do(f.session(f.a, sillage.RoleAdministrator), "GET", "/groupes", nil)
			if pg := parsePage(t, body); !pg.has("h1", "Groupes de l'établissement") || !pg.has("#groups", "Atelier soudure") || !pg.has("#groups", "Club théâtre") {
				t.Errorf("administrator's groups: %.1000s", body)
			}

			// Out, then deleted after confirmation; the evaluation stays.
			status, body = f.do(c, "POST", fmt.Sprintf("%s/eleves/%d/retirer", page, studentID), url.Values{})
			expectStatus(t, "remove", status, http.StatusSeeOther, body)
			_, body = f.do(c, "GET", page, nil)
			if !parsePage(t, body).has("main", "Aucun élève dans ce groupe") {
				t.Errorf("student still listed after removal")
			}
			status, body = f.do(c, "POST", page+"/supprimer", url.Values{})
			if pg := parsePage(t, body); status != 200 || !pg.has("p.callout", "Supprimer le groupe « Atelier soudure »") || !pg.has("main p", "1 évaluation(s)") {
				t.Fatalf("confirmation: %d %.800s", status, body)
			}
			status, body = f.do(c, "POST", page+"/supprimer", url.Values{"confirmer": {"1"}})
			expectStatus(t, "delete", status, http.StatusSeeOther, body)
			if status, _ := f.do(c, "GET", page, nil); status != http.StatusNotFound {
				t.Errorf("deleted group page: %d", status)
			}
			if status, _ := f.do(c, "GET", fmt.Sprintf("/evaluations/%d", e.ID), nil); status != 200 {
				t.Errorf("the group's evaluation after deletion: %d", status)
			}
			f.st.Read(ctx, func(tx *store.Tx) error {
				es, err := tx.Audit().ListAudit(ctx, f.a.UAI, sillage.AuditFilter{Action: records.AuditGroupDeleted})
				if len(es) != 1 || es[0].Target != "Atelier soudure" {
					t.Errorf("audit of the deletion: %+v", es)
				}
				return err
			})
		})
	}
}

// TestGridShowsCodesAndWholeComments: in the entry grid, ABS and DISP are
// shown apart from the levels (their own class and label), levels keep
// their colour, and a long comment is shown whole, in a text area tall
// enough for the author and as wrapped text for a reader.
func TestGridShowsCodesAndWholeComments(t *testing.T) {
	f := newFixture(t)
	o := addOthers(t, f)
	ctx := context.Background()
	long := strings.Repeat("Soudure régulière, cordon propre. ", 30) + "FIN-DU-COMMENTAIRE"
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		who := sillage.Who{UAI: f.a.UAI, PersonID: f.a.Persons[sillage.RoleTeacher].ID, Role: sillage.RoleTeacher}
		_, err := records.EnterResults(ctx, tx, who, f.a.IDs["evaluation"], records.Entry{
			Results: []records.ResultInput{{StudentID: f.a.Student.ID, CompetenceID: f.a.IDs["competence"], Value: "ABS"},
				{StudentID: o.classmate.ID, CompetenceID: f.a.IDs["competence"], Value: "3"}},
			Comments: []records.CommentInput{{StudentID: f.a.Student.ID, Text: long}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/evaluations/%d", f.a.IDs["evaluation"])
	abs := fmt.Sprintf("#in-%d-%d", f.a.Student.ID, f.a.IDs["competence"])
	level := fmt.Sprintf("#in-%d-%d", o.classmate.ID, f.a.IDs["competence"])
	_, body := f.do(f.session(f.a, sillage.RoleTeacher), "GET", path, nil)
	pg := parsePage(t, body)
	if pg.count("td.code-cell "+abs) != 1 || !pg.has("td.code-cell .code-label", "Absent") {
		t.Errorf("ABS is not shown apart: %.2000s", body)
	}
	if pg.count("td.code-cell "+level) != 0 || pg.count("td.lvl-3 "+level) != 1 {
		t.Errorf("a level is shown as a code")
	}
	area := fmt.Sprintf("textarea#com-%d", f.a.Student.ID)
	if got := pg.text(area); got != long {
		t.Errorf("the comment's text area holds %d characters, want the whole %d", len(got), len(long))
	}
	if rows := pg.attr(area, "rows"); rows == "" || rows == "2" {
		t.Errorf("the text area of a long comment is %q lines high", rows)
	}
	if pg.count(fmt.Sprintf("textarea#com-%d[maxlength]", o.classmate.ID)) != 1 {
		t.Errorf("no text area for an empty comment")
	}
}

// TestSheetPerCompetencePages: the teacher's sheet page lists the
// competences of the student's referential with a level and a comment
// each; what is entered shows on the sheet and in the student's record;
// a value off the scale is refused in French and changes nothing.
func TestSheetPerCompetencePages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tc := f.session(f.a, sillage.RoleTeacher)
	sheet := fmt.Sprintf("/fiches/%d", f.a.IDs["sheet"])
	comp := f.a.IDs["competence"]
	status, body := f.do(tc, "GET", sheet, nil)
	if pg := parsePage(t, body); status != 200 || pg.count(fmt.Sprintf(`#competences-fiche select[name="competence-%d"]`, comp)) != 1 ||
		pg.count(fmt.Sprintf(`#competences-fiche textarea[name="commentaire-%d"]`, comp)) != 1 {
		t.Fatalf("sheet form: %d %.2000s", status, body)
	}
	status, body = f.do(tc, "POST", sheet+"/evaluation", url.Values{fmt.Sprintf("competence-%d", comp): {"9"}})
	if status != 400 || !parsePage(t, body).has(".error-message", "hors de l'échelle") {
		t.Fatalf("value off the scale: %d %.500s", status, body)
	}
	status, body = f.do(tc, "POST", sheet+"/evaluation", url.Values{fmt.Sprintf("competence-%d", comp): {"3"},
		fmt.Sprintf("commentaire-%d", comp): {"Schéma lu sans aide."}, "resultat": {""}})
	expectStatus(t, "evaluate", status, http.StatusSeeOther, body)
	var code string
	f.st.Read(ctx, func(tx *store.Tx) error {
		rs, err := tx.Records().ListResultsOfSheet(ctx, f.a.UAI, f.a.IDs["sheet"])
		if len(rs) == 1 && rs[0].Value == "3" {
			code = rs[0].Code
		}
		return err
	})
	if code == "" {
		t.Fatal("the competence's result is not stored")
	}
	_, body = f.do(tc, "GET", sheet, nil)
	if pg := parsePage(t, body); !pg.has("table.sheet-competences", code) || !pg.has("table.sheet-competences", "Maîtrisé") || !pg.has("table.sheet-competences", "Schéma lu sans aide.") {
		t.Errorf("sheet page: %.2000s", body)
	}
	_, body = f.do(f.session(f.a, sillage.RoleStudent), "GET", "/mon-livret", nil)
	if pg := parsePage(t, body); !pg.has(".record-sheets table.sheet-competences", code) || !pg.has(".record-sheets table.sheet-competences", "Schéma lu sans aide.") {
		t.Errorf("the student's record lacks the per-competence evaluation: %.3000s", body)
	}
}
