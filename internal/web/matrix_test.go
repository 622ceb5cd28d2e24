package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
)

// principals of the matrix: every role of an establishment, and the operator.
var matrixRoles = []sillage.Role{sillage.RoleStudent, sillage.RoleParent, sillage.RoleTeacher, sillage.RoleDirector,
	sillage.RoleAdministrator, sillage.RoleStaff, "operator"}

func principalOf(role sillage.Role, uai sillage.UAI, personID int64) auth.Principal {
	if role == "operator" {
		return auth.Principal{AccountID: 1, Operator: true}
	}
	return auth.Principal{AccountID: 1, UAI: uai, PersonID: personID, Role: role}
}

// TestAuthorizationMatrix walks every route of the route table for every
// role, in its own establishment and from the other one. The expected
// status comes from the policy: a role the policy refuses gets 403; a user
// of establishment B asking for an entity of A gets 404; an allowed request
// is never refused (no 401/403/404) and never fails (no 500). POST routes
// run on a fresh fixture each, since an allowed POST may change the data.
func TestAuthorizationMatrix(t *testing.T) {
	base := newFixture(t)
	routes := base.srv.Routes()
	checked := 0
	for _, rt := range routes {
		if rt.Action == "" {
			continue // public
		}
		f := base
		if rt.Method != http.MethodGet {
			f = newFixture(t)
		}
		for _, role := range matrixRoles {
			for _, side := range []string{"own", "other"} {
				caller := f.a
				if side == "other" {
					caller = f.b
				}
				path, err := f.a.fill(rt.Path, role)
				if err != nil {
					t.Fatalf("%s %s: %v", rt.Method, rt.Path, err)
				}
				hasEntity := strings.Contains(rt.Path, "{")
				p := principalOf(role, caller.UAI, caller.Persons[role].ID)
				var form url.Values
				if rt.Method != http.MethodGet {
					form = url.Values{}
				}
				status, body := f.do(f.session(caller, role), rt.Method, path, form)
				checked++
				name := rt.Method + " " + rt.Path + " as " + string(role) + " (" + side + ")"
				switch {
				case rt.Action == auth.SignedIn:
					if status == http.StatusForbidden || status == http.StatusNotFound && !hasEntity || status >= 500 {
						t.Errorf("%s: status %d", name, status)
					}
				case !p.Allowed(rt.Action):
					if status != http.StatusForbidden && !(rt.Onboarding && status == http.StatusSeeOther) {
						t.Errorf("%s: status %d, want 403 (policy refuses %s)", name, status, rt.Action)
					}
				case hasEntity && side == "other" && role != "operator":
					if status != http.StatusNotFound {
						t.Errorf("%s: status %d, want 404 (an entity of another establishment)", name, status)
					}
				default:
					if status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound || status >= 500 {
						t.Errorf("%s: status %d, want the request served: %.200s", name, status, body)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no route checked")
	}
	t.Logf("%d requests checked over %d routes", checked, len(routes))
}

func TestUnauthenticatedIsSentToSignIn(t *testing.T) {
	f := newFixture(t)
	for _, rt := range f.srv.Routes() {
		if rt.Action == "" || rt.Method != http.MethodGet {
			continue
		}
		path, err := f.a.fill(rt.Path, sillage.RoleAdministrator)
		if err != nil {
			t.Fatal(err)
		}
		status, _ := f.do(f.anonymous(), rt.Method, path, nil)
		want := http.StatusSeeOther
		if rt.API {
			want = http.StatusUnauthorized
		}
		if status != want {
			t.Errorf("GET %s without a session: %d, want %d", rt.Path, status, want)
		}
	}
}
