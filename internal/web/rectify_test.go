package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// TestAdministratorRectifiesAPerson: the administrator corrects a
// teacher's name from the accounts page; the correction is journaled once,
// an unchanged form journals nothing, and a teacher cannot post the form.
func TestAdministratorRectifiesAPerson(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	teacher := f.a.Persons[sillage.RoleTeacher]
	path := "/comptes/" + itoa(teacher.ID) + "/identite"
	form := url.Values{"civility": {"Mme"}, "last_name": {"Durant"}, "first_name": {teacher.FirstName}, "email": {"t.durant@example.fr"}}
	rectifications := func() []sillage.AuditEntry {
		t.Helper()
		var entries []sillage.AuditEntry
		if err := f.st.Read(ctx, func(tx *store.Tx) (err error) {
			entries, err = tx.Audit().ListAudit(ctx, uaiA, sillage.AuditFilter{Action: audit.Rectification})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return entries
	}
	person := func() sillage.Person {
		t.Helper()
		var p sillage.Person
		if err := f.st.Read(ctx, func(tx *store.Tx) (err error) { p, err = tx.People().GetPerson(ctx, uaiA, teacher.ID); return err }); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// The page offers the form, prefilled.
	admin := f.session(f.a, sillage.RoleAdministrator)
	status, body := f.do(admin, "GET", "/comptes?role=teacher", nil)
	rectifyName := `details.rectify form[action="` + path + `"] input[name="last_name"]`
	if status != http.StatusOK || parsePage(t, body).attr(rectifyName, "value") != teacher.LastName {
		t.Fatalf("accounts page: %d, no prefilled rectification form", status)
	}

	// A teacher may not rectify, not even their own data.
	status, _ = f.do(f.session(f.a, sillage.RoleTeacher), "POST", path, form)
	if status != http.StatusForbidden {
		t.Fatalf("teacher: %d, want 403", status)
	}
	if p := person(); p.LastName != teacher.LastName || len(rectifications()) != 0 {
		t.Fatalf("refused post changed something: %+v", p)
	}

	// An invalid address is refused and changes nothing.
	bad := url.Values{"civility": {"Mme"}, "last_name": {"Durant"}, "first_name": {teacher.FirstName}, "email": {"pas-une-adresse"}}
	status, body = f.do(admin, "POST", path, bad)
	if status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "adresse valide") {
		t.Fatalf("invalid e-mail: %d", status)
	}
	if p := person(); p.LastName != teacher.LastName || len(rectifications()) != 0 {
		t.Fatalf("refused post changed something: %+v", p)
	}

	status, _ = f.do(admin, "POST", path, form)
	if status != http.StatusSeeOther {
		t.Fatalf("rectify: %d, want 303", status)
	}
	p := person()
	if p.Civility != "Mme" || p.LastName != "Durant" || p.FirstName != teacher.FirstName || p.Email != "t.durant@example.fr" {
		t.Fatalf("after: %+v", p)
	}
	entries := rectifications()
	if len(entries) != 1 {
		t.Fatalf("%d rectification entries, want 1", len(entries))
	}
	want := "civilité : — → Mme ; nom : " + teacher.LastName + " → Durant ; courriel ajouté"
	if e := entries[0]; e.Target != "DURANT "+teacher.FirstName || e.Details != want || e.ActorRole != string(sillage.RoleAdministrator) {
		t.Fatalf("entry: %q %q %q, want details %q", e.ActorRole, e.Target, e.Details, want)
	}
	_, body = f.do(admin, "GET", "/comptes?role=teacher", nil)
	if pg := parsePage(t, body); pg.text("p.flash") != "Identité corrigée." || pg.attr(rectifyName, "value") != "Durant" {
		t.Fatal("no flash or the old name after the correction")
	}

	// The same form again changes nothing and journals nothing.
	status, _ = f.do(admin, "POST", path, form)
	if status != http.StatusSeeOther || len(rectifications()) != 1 {
		t.Fatalf("unchanged form: %d, %d entries", status, len(rectifications()))
	}
	_, body = f.do(admin, "GET", "/comptes?role=teacher", nil)
	if parsePage(t, body).text("p.flash") != "Aucune modification." {
		t.Fatal("no flash for an unchanged form")
	}

	// The journal offers the action in its filter.
	_, body = f.do(admin, "GET", "/journal?action=rectification", nil)
	if !parsePage(t, body).has(`select[name="action"] option`, "Rectification des données") {
		t.Fatal("the journal's filter lacks the rectification")
	}

	// Another establishment's administrator cannot reach this teacher.
	status, _ = f.do(f.session(f.b, sillage.RoleAdministrator), "POST", path, form)
	if status != http.StatusNotFound {
		t.Fatalf("rectify from B: %d, want 404", status)
	}
}
