package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/zipcheck"
)

// route is one entry of the route table.
type route struct {
	method, path string
	action       auth.Action // "" = public
	// onboarding routes are reachable before the privacy notice is
	// acknowledged, the one-time password changed and the establishment
	// chosen (the first sign-in steps themselves, sign-out).
	onboarding bool
	api        bool // JSON answers; bearer tokens accepted
	// summary describes an API route in the OpenAPI document (French).
	summary string
	// lsu routes are the Livret Scolaire Unique's: an establishment LSU
	// does not concern (a lycée, a kind not yet set) is told why instead.
	lsu bool
	h   handler
}

// handler serves a request for a known principal; its error is answered
// by kind (not found, invalid...).
type handler func(w http.ResponseWriter, r *http.Request, req *Request) error

// Request is what a handler knows about the request.
type Request struct {
	P auth.Principal
	// TokenRefused says why a bearer token was refused (expired), for the
	// 401 answer.
	TokenRefused string
	Session      sillage.Session // zero for public and API requests
	Account      sillage.Account
	Flash        string
	Establish    sillage.Establishment
}

// Actor is the principal as the audit log names it.
func (req *Request) Actor() audit.Actor {
	switch {
	case req.P.APIToken:
		return audit.Actor{ID: req.P.PersonID, Role: "api", Name: req.P.Name}
	case req.P.Operator:
		return audit.Actor{ID: req.P.AccountID, Role: "operator", Name: req.P.Login}
	}
	return audit.Actor{ID: req.P.PersonID, Role: string(req.P.Role), Name: req.P.Name}
}

const sessionCookie = "sillage_session"
const establishmentCookie = "sillage_etablissement"

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := s.identify(r, rt)
		if err != nil {
			s.fail(w, r, rt, err)
			return
		}
		if rt.action != "" {
			if req.P.AccountID == 0 && !req.P.APIToken {
				if rt.api {
					msg := "authentification requise"
					if req.TokenRefused != "" {
						msg = req.TokenRefused
					}
					writeJSONError(w, http.StatusUnauthorized, msg)
					return
				}
				http.Redirect(w, r, "/connexion?retour="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			if to := s.gate(r, rt, req); to != "" {
				http.Redirect(w, r, to, http.StatusSeeOther)
				return
			}
			if blocked, msg := s.accessBlocked(r.Context(), req); blocked && !rt.onboarding {
				s.renderBlocked(w, r, req, msg)
				return
			}
			// A departed student sees one page (transfer.md 8): the first
			// sign-in steps are open to them, their account page is not.
			departedElsewhere := req.P.Departed && rt.action == auth.SignedIn && !rt.onboarding
			if !req.P.Allowed(rt.action) || departedElsewhere {
				if req.P.Departed && !rt.api {
					http.Redirect(w, r, "/depart", http.StatusSeeOther)
					return
				}
				if rt.api {
					writeJSONError(w, http.StatusForbidden, "action non autorisée pour votre profil")
					return
				}
				s.renderError(w, r, http.StatusForbidden, "Cette page n'est pas accessible avec votre profil.")
				return
			}
			if req.P.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
				s.refuseReadOnlyToken(r, req)
				writeJSONError(w, http.StatusForbidden, "ce jeton est en lecture seule : il ne peut rien modifier (créez un jeton « lecture et écriture »)")
				return
			}
		}
		if rt.lsu {
			if _, err := livret.DegreeOf(req.Establish); err != nil {
				s.renderNotApplicable(w, r, req, err)
				return
			}
		}
		if err := rt.h(w, r, req); err != nil {
			if errors.Is(err, zipcheck.ErrInconsistent) {
				s.auditRefusal(r, req, "archive ZIP refusée : "+sillage.Message(err))
			}
			s.fail(w, r, rt, err)
		}
	})
}

// identify reads the principal from the bearer token or the session cookie.
func (s *Server) identify(r *http.Request, rt route) (*Request, error) {
	ctx := r.Context()
	req := &Request{}
	if authz := r.Header.Get("Authorization"); rt.api && strings.HasPrefix(authz, "Bearer ") {
		return req, s.identifyToken(ctx, strings.TrimPrefix(authz, "Bearer "), req)
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return req, nil
	}
	// One read for the session, the account, the person and the
	// establishment; a write only when the session must be touched.
	var sess sillage.Session
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		var err error
		if sess, err = s.sessions.Find(ctx, tx, c.Value); err != nil {
			return err
		}
		acc, err := tx.Accounts().GetAccount(ctx, sess.AccountID)
		if err != nil {
			return err
		}
		req.Account = acc
		req.P = auth.Principal{AccountID: acc.ID, Login: acc.Login}
		req.Flash = sess.Flash
		if !acc.ClosedAt.IsZero() {
			req.P = auth.Principal{}
			return nil
		}
		if sess.UAI == "" {
			req.P.Operator = acc.Operator
			return nil
		}
		person, err := tx.People().GetPerson(ctx, sess.UAI, sess.PersonID)
		if err != nil || person.AccountID != acc.ID {
			req.P = auth.Principal{AccountID: acc.ID, Login: acc.Login}
			return nil
		}
		if !person.Active() {
			if person.Role != sillage.RoleStudent || !s.clock.Now().Before(s.cfg.Retention.DepartedAccessEnds(person.DeactivatedAt)) {
				req.P = auth.Principal{}
				return nil
			}
			req.P.Departed = true
		}
		req.P.UAI, req.P.PersonID, req.P.Role, req.P.Name = person.UAI, person.ID, person.Role, person.FirstName+" "+person.LastName
		req.Establish, err = tx.Establishments().GetEstablishment(ctx, person.UAI)
		return err
	})
	if sess.TokenHash == "" {
		if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
			return nil, err
		}
		return &Request{}, nil // no session, or expired: signed out
	}
	if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
		return nil, err
	}
	if sess, err = s.sessions.Touch(ctx, sess); err != nil {
		return nil, err
	}
	req.Session = sess
	if req.Flash != "" {
		s.store.Write(ctx, func(tx *store.Tx) error { return tx.Accounts().SetFlash(ctx, sess.TokenHash, "") })
	}
	return req, nil
}

func (s *Server) identifyToken(ctx context.Context, token string, req *Request) error {
	return s.store.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.Accounts().FindAPIToken(ctx, auth.HashToken(token))
		if err != nil {
			return nil // unknown or revoked token: unauthenticated
		}
		if exp := s.tokenExpiry(t); !tx.Now().Before(exp) {
			// First use after the expiry: the token is revoked for good
			// and the refusal journaled (later uses find no token).
			req.TokenRefused = "ce jeton a expiré le " + sillage.FormatDate(exp) + " : créez-en un autre"
			if err := tx.Accounts().RevokeAPIToken(ctx, t.UAI, t.ID, "expiration"); err != nil {
				return err
			}
			return audit.Record(ctx, tx, t.UAI, audit.Actor{ID: t.PersonID, Role: "api", Name: "jeton « " + t.Label + " »"},
				audit.SecurityRefused, "jeton « "+t.Label+" »", "jeton expiré le "+sillage.FormatDate(exp)+" : refusé et révoqué")
		}
		person, err := tx.People().GetPerson(ctx, t.UAI, t.PersonID)
		if err != nil || !person.Active() {
			return nil
		}
		req.P = auth.Principal{UAI: t.UAI, PersonID: person.ID, Role: person.Role, Name: "jeton « " + t.Label + " »", APIToken: true,
			ReadOnly: t.Scope != sillage.ScopeReadWrite}
		req.Establish, _ = tx.Establishments().GetEstablishment(ctx, t.UAI)
		return tx.Accounts().TouchAPIToken(ctx, t.UAI, t.ID)
	})
}

// tokenExpiry is when a token stops working: its own expiry, or for a
// token issued before expiries existed, its creation plus the lifetime.
func (s *Server) tokenExpiry(t sillage.APIToken) time.Time {
	if !t.ExpiresAt.IsZero() {
		return t.ExpiresAt
	}
	return t.CreatedAt.Add(s.tokenLifetime())
}

func (s *Server) tokenLifetime() time.Duration {
	if s.cfg == nil || s.cfg.APITokenLifetime <= 0 {
		return 90 * 24 * time.Hour
	}
	return s.cfg.APITokenLifetime
}

// refuseReadOnlyToken journals a write refused to a read-only token.
func (s *Server) refuseReadOnlyToken(r *http.Request, req *Request) {
	s.auditRefusal(r, req, "écriture refusée à un jeton en lecture seule : "+r.Method+" "+r.URL.Path)
}

// auditRefusal journals a security refusal in the chain of the
// principal's establishment (the instance's for the operator).
func (s *Server) auditRefusal(r *http.Request, req *Request, details string) {
	ctx := r.Context()
	target := req.P.Name
	if target == "" {
		target = req.P.Login
	}
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.SecurityRefused, target, details)
	})
	if err != nil {
		s.log.Error("journal d'un refus de sécurité", "err", err)
	}
}

// gate returns where a signed-in person must go before anything else.
func (s *Server) gate(r *http.Request, rt route, req *Request) string {
	if req.P.APIToken || rt.onboarding {
		return ""
	}
	if req.Account.PrivacyVersion < s.noticeVersion {
		return "/premiere-connexion"
	}
	if req.Account.MustChangePassword && req.Session.SSOProvider == "" {
		return "/premiere-connexion/mot-de-passe"
	}
	if !req.P.Operator && req.P.UAI == "" {
		return "/etablissement"
	}
	return ""
}

// accessBlocked reports whether the changeover's access blocking applies to
// the principal now, with the message to show. A departed student is never
// blocked: step 4 deactivates the students who left just as the blocking
// starts, and their download window (transfer.md 8) runs from that day;
// their one page reads their own record and sets nothing up.
func (s *Server) accessBlocked(ctx context.Context, req *Request) (bool, string) {
	if s.hooks.AccessBlocked == nil || req.P.Operator || req.P.Departed || req.P.UAI == "" {
		return false, ""
	}
	return s.hooks.AccessBlocked(ctx, req.P.UAI, req.P.Role)
}

// blockingChanged tells the access blocking that uai's window changed (""
// for every establishment).
func (s *Server) blockingChanged(uai sillage.UAI) {
	if s.hooks.BlockingChanged != nil {
		s.hooks.BlockingChanged(uai)
	}
}

// setFlash shows msg on the next page of this session.
func (s *Server) setFlash(ctx context.Context, req *Request, msg string) {
	if req.Session.TokenHash == "" {
		return
	}
	s.store.Write(ctx, func(tx *store.Tx) error { return tx.Accounts().SetFlash(ctx, req.Session.TokenHash, msg) })
}

// redirect answers a form post: flash message and 303 to the next page.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, req *Request, to, flash string) error {
	if flash != "" {
		s.setFlash(r.Context(), req, flash)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"erreur": msg})
}

// pathID reads a numeric path parameter; a malformed one is "not found".
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, sillage.Errorf(sillage.KindNotFound, "introuvable")
	}
	return id, nil
}

// formID reads a numeric form value; empty is 0.
func formID(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.FormValue(name))
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, sillage.Errorf(sillage.KindInvalid, "valeur %q invalide", v)
	}
	return id, nil
}

// parseForm reads a form with the size limit of ordinary forms.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return sillage.Errorf(sillage.KindInvalid, "formulaire illisible ou trop volumineux")
	}
	return nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	// A browser-session cookie: the server decides when the session ends
	// (inactivity, by the injected clock), not the browser.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
