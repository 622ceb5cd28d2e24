package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// callAPI calls GET /api/v1/moi with a bearer token.
func callAPI(t *testing.T, f *fixture, token string) (int, string) {
	t.Helper()
	status, body := f.do(bearerClient(token), "GET", "/api/v1/moi", nil)
	return status, body
}

// TestAPITokensDieWithAccountEvents: a token minted from a hijacked session
// stops working as soon as its owner's account has a security event;
// another person's token lives on. Both engines.
func TestAPITokensDieWithAccountEvents(t *testing.T) {
	events := []struct {
		name   string
		reason string
		do     func(t *testing.T, f *fixture, teacher sillage.Person) (int, string)
	}{
		{"password change", "changement de mot de passe", func(t *testing.T, f *fixture, _ sillage.Person) (int, string) {
			c, _, _ := signIn(t, f, "teacher."+strings.ToLower(string(uaiA)), fixturePassword)
			return f.do(c, "POST", "/compte/mot-de-passe", url.Values{"current": {fixturePassword}, "new": {"nouveau-secret-2026"}, "confirm": {"nouveau-secret-2026"}})
		}},
		{"reset by the administrator", "réinitialisation du mot de passe", func(t *testing.T, f *fixture, p sillage.Person) (int, string) {
			return f.do(f.session(f.a, sillage.RoleAdministrator), "POST", "/comptes/"+itoa(p.ID)+"/mot-de-passe", url.Values{})
		}},
		{"sign-out everywhere", "déconnexion de toutes les sessions", func(t *testing.T, f *fixture, _ sillage.Person) (int, string) {
			return f.do(f.session(f.a, sillage.RoleTeacher), "POST", "/compte/deconnexion-partout", url.Values{})
		}},
		{"role change", "changement de rôle", func(t *testing.T, f *fixture, p sillage.Person) (int, string) {
			return f.do(f.session(f.a, sillage.RoleAdministrator), "POST", "/comptes/"+itoa(p.ID)+"/role", url.Values{"role": {string(sillage.RoleStaff)}})
		}},
		{"deletion", "suppression du compte", func(t *testing.T, f *fixture, p sillage.Person) (int, string) {
			return f.do(f.session(f.a, sillage.RoleAdministrator), "POST", "/comptes/"+itoa(p.ID)+"/supprimer", url.Values{"confirm": {"1"}})
		}},
	}
	for _, kind := range storetest.Engines(t) {
		for _, ev := range events {
			t.Run(string(kind)+"/"+ev.name, func(t *testing.T) {
				f := newFixtureOn(t, kind)
				teacher := f.a.Persons[sillage.RoleTeacher]
				token := f.apiToken(f.a, sillage.RoleTeacher, sillage.ScopeReadWrite)
				other := f.apiToken(f.a, sillage.RoleDirector, sillage.ScopeReadWrite)
				if status, body := callAPI(t, f, token); status != http.StatusOK {
					t.Fatalf("before: %d %.200s", status, body)
				}
				if status, body := ev.do(t, f, teacher); status >= 400 {
					t.Fatalf("%s: %d %.300s", ev.name, status, body)
				}
				if status, _ := callAPI(t, f, token); status != http.StatusUnauthorized {
					t.Fatalf("token after %s: %d, want 401", ev.name, status)
				}
				if status, _ := callAPI(t, f, other); status != http.StatusOK {
					t.Fatalf("another person's token after %s: %d, want it alive", ev.name, status)
				}
				ctx := context.Background()
				var tokens []sillage.APIToken
				var entries []sillage.AuditEntry
				f.st.Read(ctx, func(tx *store.Tx) (err error) {
					if tokens, err = tx.Accounts().ListAPITokens(ctx, uaiA); err != nil {
						return err
					}
					entries, err = tx.Audit().ListAudit(ctx, uaiA, sillage.AuditFilter{Action: audit.APITokenRevoked})
					return err
				})
				revoked := 0
				for _, tk := range tokens {
					if tk.PersonID == teacher.ID && !tk.RevokedAt.IsZero() && tk.RevokedReason == ev.reason {
						revoked++
					}
				}
				if revoked != 1 {
					t.Fatalf("teacher's token not revoked for %q: %+v", ev.reason, tokens)
				}
				if len(entries) != 1 || !strings.Contains(entries[0].Details, ev.reason) {
					t.Fatalf("journal of the revocation: %+v", entries)
				}
			})
		}
	}
}

// TestAPITokenExpiryScopeAndLastUse: a token is issued with a scope and an
// expiry (the configured lifetime, said in words), its last use is shown,
// a read-only token cannot write, and an expired token is refused,
// revoked and journaled. Both engines.
func TestAPITokenExpiryScopeAndLastUse(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			admin := f.session(f.a, sillage.RoleAdministrator)
			issue := func(label, scope string) (int, string) {
				return f.do(admin, "POST", "/comptes/jetons", url.Values{"label": {label}, "portee": {scope}})
			}
			if status, body := issue("mauvais", "tout"); status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "portée du jeton inconnue") {
				t.Fatalf("unknown scope: %d %.300s", status, body)
			}
			status, body := issue("lecteur", "read")
			pg := parsePage(t, body)
			if status != http.StatusOK || !pg.has("main p", "Portée : lecture seule") || !pg.has("main p", "expire dans 90 jours") {
				t.Fatalf("issue: %d %.500s", status, body)
			}
			token := pg.text("dl.secret dd code")
			if status, _ = callAPI(t, f, token); status != http.StatusOK {
				t.Fatalf("read with a read-only token: %d", status)
			}
			status, body = f.do(bearerClient(token), "POST", "/api/v1/livrets?simulation=1", url.Values{})
			if status != http.StatusForbidden || !strings.Contains(body, "lecture seule") {
				t.Fatalf("write with a read-only token: %d %.200s", status, body)
			}
			f.clock.Advance(10 * time.Minute)
			status, page := f.do(admin, "GET", "/comptes/jetons", nil)
			pg = parsePage(t, page)
			row := `#tokens tbody tr:has(td:first-child:contains("lecteur"))`
			if status != http.StatusOK || pg.count(row) != 1 || pg.text(row+" td:nth-child(2)") != "lecture seule" || pg.text(row+" td:nth-child(5)") == "jamais" ||
				!pg.has(row+" td:nth-child(6) .badge", "actif") || !pg.has("main p", "expire 90 jours après sa création") {
				t.Fatalf("tokens page: %d %q", status, pg.texts(row+" td"))
			}
			// 90 days later: refused, revoked, journaled.
			f.clock.Advance(90 * 24 * time.Hour)
			status, body = callAPI(t, f, token)
			var msg map[string]string
			json.Unmarshal([]byte(body), &msg)
			if status != http.StatusUnauthorized || !strings.Contains(msg["erreur"], "ce jeton a expiré le") {
				t.Fatalf("expired token: %d %s", status, body)
			}
			if status, body = callAPI(t, f, token); status != http.StatusUnauthorized || strings.Contains(body, "expiré") {
				t.Fatalf("expired token, second use: %d %s", status, body)
			}
			ctx := context.Background()
			var entries []sillage.AuditEntry
			f.st.Read(ctx, func(tx *store.Tx) (err error) {
				entries, err = tx.Audit().ListAudit(ctx, uaiA, sillage.AuditFilter{Action: audit.SecurityRefused})
				return err
			})
			if len(entries) != 2 || !strings.Contains(entries[0].Details, "jeton expiré") || !strings.Contains(entries[1].Details, "écriture refusée à un jeton en lecture seule") {
				t.Fatalf("security refusals journaled: %+v", entries)
			}
			delete(f.tokens, string(uaiA)+"/"+string(sillage.RoleAdministrator)) // the old session expired
			if _, page = f.do(f.session(f.a, sillage.RoleAdministrator), "GET", "/comptes/jetons", nil); !parsePage(t, page).has("#tokens td .badge", "(expiration)") {
				t.Fatalf("tokens page after the expiry: %.2000s", page)
			}
		})
	}
}
