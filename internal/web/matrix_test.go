package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/web"
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

// publicRoutes are the only routes open without signing in. A route added
// without an action would be public: it must be listed here on purpose.
var publicRoutes = map[string]bool{
	"GET /": true, "GET /connexion": true, "POST /connexion": true, "GET /confidentialite": true,
	"POST /deconnexion": true, "GET /api/v1/openapi.json": true,
	// Single sign-on: the start, the providers' answers and the SAML
	// metadata are reached before any session exists.
	"GET /sso/{provider}/connexion": true, "GET /sso/cas/{provider}/callback": true, "POST /sso/cas/{provider}/callback": true,
	"GET /sso/saml/{provider}/metadata": true, "POST /sso/saml/{provider}/acs": true, "GET /sso/oidc/{provider}/callback": true,
	// Single log-out: the providers' requests, checked by their signatures.
	"GET /sso/saml/{provider}/slo": true, "POST /sso/saml/{provider}/slo": true, "POST /sso/oidc/{provider}/deconnexion": true,
	// Federation: another instance's signed messages (the protocol checks
	// the signature of a declared peer).
	"POST /federation/demande": true, "POST /federation/accuse": true,
	// Federation: the instance's signed description (what peers and anyone
	// checking a passport read) and the page where anyone checks a signed
	// archive (showing only valid or invalid, issuer and date).
	"GET /federation/description": true, "GET /verifier": true, "POST /verifier": true,
}

func TestPublicRoutesAreListed(t *testing.T) {
	f := newFixture(t)
	seen := map[string]bool{}
	for _, rt := range f.srv.Routes() {
		key := rt.Method + " " + rt.Path
		if rt.Action == "" {
			seen[key] = true
			if !publicRoutes[key] {
				t.Errorf("%s has no rule: it is open to anyone; give it an action or list it in publicRoutes", key)
			}
		}
	}
	for key := range publicRoutes {
		if !seen[key] {
			t.Errorf("%s is listed as public but is not a public route", key)
		}
	}
}

// bearerClient calls the API with a token in the Authorization header, as
// a script does (no session cookie).
func bearerClient(token string) *http.Client {
	return &http.Client{
		Transport:     bearer{token},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// TestAuthorizationMatrix walks every route of the route table for every
// role, in its own establishment and from the other one; the API routes
// also with each role's API token. The expected status comes from the
// policy: a role the policy refuses gets 403; a user of establishment B
// asking for an entity of A gets 404; an allowed request is never refused
// (no 401/403/404) and never fails (no 500). POST routes run on a fresh
// fixture each, since an allowed POST may change the data.
func TestAuthorizationMatrix(t *testing.T) {
	base := newFixture(t)
	routes := base.srv.Routes()
	checked := 0
	for _, rt := range routes {
		if rt.Action == "" {
			continue // public: TestPublicRoutesAreListed
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
				ways := []string{"session"}
				if rt.API && role != "operator" {
					ways = append(ways, "jeton", "jeton lecture seule")
				}
				for _, way := range ways {
					checked++
					checkRoute(t, f, rt, role, side, way, caller, path)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no route checked")
	}
	t.Logf("%d requests checked over %d routes", checked, len(routes))
}

// checkRoute sends one request of the matrix and checks its status
// against the policy.
func checkRoute(t *testing.T, f *fixture, rt web.RouteInfo, role sillage.Role, side, way string, caller *tenant, path string) {
	t.Helper()
	hasEntity := strings.Contains(rt.Path, "{")
	p := principalOf(role, caller.UAI, caller.Persons[role].ID)
	client := f.session(caller, role)
	switch way {
	case "jeton":
		p.APIToken = true
		client = bearerClient(f.apiToken(caller, role, sillage.ScopeReadWrite))
	case "jeton lecture seule":
		p.APIToken, p.ReadOnly = true, true
		client = bearerClient(f.apiToken(caller, role, sillage.ScopeRead))
	}
	var form url.Values
	if rt.Method != http.MethodGet {
		form = url.Values{}
	}
	status, body := f.do(client, rt.Method, path, form)
	name := rt.Method + " " + rt.Path + " as " + string(role) + " (" + side + ", " + way + ")"
	switch {
	case rt.Action == auth.SignedIn && !p.APIToken:
		if status == http.StatusForbidden || status == http.StatusNotFound && !hasEntity || status >= 500 {
			t.Errorf("%s: status %d", name, status)
		}
	case !p.Allowed(rt.Action):
		if status != http.StatusForbidden && !(rt.Onboarding && status == http.StatusSeeOther) {
			t.Errorf("%s: status %d, want 403 (policy refuses %s)", name, status, rt.Action)
		}
	case p.ReadOnly && rt.Method != http.MethodGet:
		// The scope: a read-only token changes nothing, whatever its role.
		if status != http.StatusForbidden || !strings.Contains(body, "lecture seule") {
			t.Errorf("%s: status %d, want 403 (read-only token on a write route): %.200s", name, status, body)
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
