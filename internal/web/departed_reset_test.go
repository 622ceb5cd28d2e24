package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// An administrator gives a departed student new credentials within their
// download window, not after it.
func TestDepartedStudentNewCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.a.Student
	if err := f.st.Write(ctx, func(tx *store.Tx) error { return tx.People().SetPersonActive(ctx, f.a.UAI, s.ID, false) }); err != nil {
		t.Fatal(err)
	}
	admin := f.session(f.a, sillage.RoleAdministrator)
	reset := fmt.Sprintf("/comptes/%d/mot-de-passe", s.ID)
	_, body := f.do(admin, "GET", "/comptes?role=student", nil)
	p := parsePage(t, body)
	if p.count(`#accounts form[action="`+reset+`"]`) != 1 || !p.has("#accounts td", "parti : téléchargement de son livret possible jusqu'au") {
		t.Fatalf("the departed student has no reset within the window: %q", p.text("#accounts"))
	}
	status, body := f.do(admin, "POST", reset, url.Values{})
	if status != http.StatusOK || !parsePage(t, body).has("main", "mot de passe") {
		t.Fatalf("reset within the window: %d %s", status, parsePage(t, body).text("main"))
	}

	f.clock.T = f.clock.T.AddDate(1, 0, 0)
	delete(f.tokens, string(f.a.UAI)+"/"+string(sillage.RoleAdministrator)) // a year later, a new session
	admin = f.session(f.a, sillage.RoleAdministrator)
	_, body = f.do(admin, "GET", "/comptes?role=student", nil)
	if parsePage(t, body).count(`#accounts form[action="`+reset+`"]`) != 0 {
		t.Error("reset offered after the download window")
	}
	status, body = f.do(admin, "POST", reset, url.Values{})
	if status != http.StatusConflict || !parsePage(t, body).has("main", "a pris fin le") {
		t.Errorf("reset after the window: %d %s", status, parsePage(t, body).text("main"))
	}
}
