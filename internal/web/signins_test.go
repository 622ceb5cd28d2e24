package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// TestDirectorSeesLastSignIns: the director reads when each teacher last
// signed in (privacy.md), with names only, never a login.
func TestDirectorSeesLastSignIns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	teacher := f.a.Persons[sillage.RoleTeacher]
	var acc sillage.Account
	err := f.st.Write(ctx, func(tx *store.Tx) (err error) {
		if err := tx.Accounts().RecordSignIn(ctx, teacher.AccountID, uaiA, teacher.ID); err != nil {
			return err
		}
		acc, err = tx.Accounts().GetAccount(ctx, teacher.AccountID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	status, body := f.do(f.session(f.a, sillage.RoleDirector), "GET", "/connexions?role=teacher", nil)
	if status != http.StatusOK {
		t.Fatalf("page: %d %.300s", status, body)
	}
	pg := parsePage(t, body)
	if !pg.has("#signins td", teacher.FullName()) || !pg.has("#signins td", acc.LastSignInAt.In(sillage.SchoolZone).Format("02/01/2006")) {
		t.Errorf("the teacher's last sign-in is not shown: %.1500s", body)
	}
	if pg.has("main", acc.Login) {
		t.Errorf("the page shows the login %q", acc.Login)
	}
	// The menu leads there.
	if _, home := f.do(f.session(f.a, sillage.RoleDirector), "GET", "/", nil); parsePage(t, home).count(`nav.menu a[href="/connexions"]`) != 1 {
		t.Error("no menu entry for the director")
	}
}
