package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/sso"
	"github.com/sillage/sillage/internal/store"
)

// Single sign-on pages (docs/sso.md). The rules live in internal/sso;
// these handlers parse, call and render.

// ssoStateCookie binds a provider's answer to the browser that started
// the sign-in (every protocol: see sso.Service.Finish). Strictly
// necessary; at most 10 minutes.
const ssoStateCookie = "sillage_sso"

// ssoLogoutCookie carries, from the sign-out to the sign-in page, the
// link that ends the provider's session too (SAML LogoutRequest, OpenID
// Connect id_token_hint). Strictly necessary; 5 minutes.
const ssoLogoutCookie = "sillage_sso_logout"

// setSSOStateCookie sets (or, maxAge < 0, clears) the state cookie. Over
// TLS it is SameSite=None; Secure, as crewjam/saml's CookieRequestTracker
// does: the SAML answer is a POST from the provider's site, which a Lax
// cookie does not follow. On plain http (a test instance), browsers refuse
// SameSite=None without Secure: the cookie is Lax, which the redirections
// of CAS and OpenID Connect carry, and a SAML provider of another site
// cannot sign anyone in (docs/sso.md).
func (s *Server) setSSOStateCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	secure := r.TLS != nil || s.cfg.SecureCookies
	same := http.SameSiteLaxMode
	if secure {
		same = http.SameSiteNoneMode
	}
	http.SetCookie(w, &http.Cookie{Name: ssoStateCookie, Value: value, Path: "/sso/", HttpOnly: true, Secure: secure,
		SameSite: same, MaxAge: maxAge})
}

// ssoView is what the sign-in page shows of single sign-on.
type ssoView struct {
	UAI       sillage.UAI
	Name      string
	Buttons   []ssoButton
	Choices   []ssoChoice
	LoggedOut string // the provider whose own session the person may also end
	LogoutURL string
}

type ssoButton struct{ URL, Label string }

type ssoChoice struct {
	UAI      sillage.UAI
	Name     string
	Selected bool
}

// ssoSignin returns the buttons of the establishment named by the query
// (?etablissement=UAI) or the establishment cookie, and the establishments
// that offer single sign-on to choose from.
func (s *Server) ssoSignin(r *http.Request, ret string) ssoView {
	var v ssoView
	if s.sso == nil || len(s.sso.Providers()) == 0 {
		return v
	}
	ctx := r.Context()
	raw := r.URL.Query().Get("etablissement")
	if raw == "" {
		if c, err := r.Cookie(establishmentCookie); err == nil {
			raw = c.Value
		}
	}
	uai, _ := sillage.ParseUAI(raw)
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		ests, err := tx.Establishments().ListEstablishments(ctx)
		if err != nil {
			return err
		}
		for _, e := range ests {
			ps, err := s.sso.Enabled(ctx, tx, e.UAI)
			if err != nil {
				return err
			}
			if len(ps) == 0 {
				continue
			}
			v.Choices = append(v.Choices, ssoChoice{UAI: e.UAI, Name: e.Name, Selected: e.UAI == uai})
			if e.UAI != uai {
				continue
			}
			v.UAI, v.Name = e.UAI, e.Name
			for _, p := range ps {
				q := url.Values{"etablissement": {string(uai)}, "retour": {ret}}
				v.Buttons = append(v.Buttons, ssoButton{URL: "/sso/" + p.ID + "/connexion?" + q.Encode(), Label: "Se connecter avec " + p.Label})
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("sign-in page: single sign-on providers", "err", err)
	}
	if id := r.URL.Query().Get("deconnecte"); id != "" {
		if p, ok := s.sso.Provider(id); ok {
			u := ""
			if c, err := r.Cookie(ssoLogoutCookie); err == nil && s.sso.LogoutURLAllowed(ctx, id, c.Value) {
				u = c.Value
			}
			if u == "" {
				u = s.sso.LogoutURL(ctx, id)
			}
			if u != "" {
				v.LoggedOut, v.LogoutURL = p.Label, u
			}
		}
	}
	return v
}

func (s *Server) ssoBegin(w http.ResponseWriter, r *http.Request, req *Request) error {
	if s.sso == nil {
		return sillage.Errorf(sillage.KindNotFound, "pas d'authentification unique")
	}
	uai, err := sillage.ParseUAI(r.URL.Query().Get("etablissement"))
	if err != nil {
		return sillage.Errorf(sillage.KindInvalid, "choisissez d'abord votre établissement")
	}
	redirect, state, err := s.sso.Begin(r.Context(), r.PathValue("provider"), uai, safeReturn(r.URL.Query().Get("retour")))
	if err != nil {
		return err
	}
	s.setSSOStateCookie(w, r, state, int(sso.PendingTTL.Seconds()))
	http.Redirect(w, r, redirect, http.StatusSeeOther)
	return nil
}

// provider returns the provider of the path, if it speaks protocol.
func (s *Server) ssoProvider(r *http.Request, protocol string) (sso.Provider, error) {
	p, ok := s.sso.Provider(r.PathValue("provider"))
	if !ok || p.Protocol != protocol {
		return p, sillage.Errorf(sillage.KindNotFound, "fournisseur d'identité inconnu")
	}
	return p, nil
}

// ssoFinish receives a provider's answer: CAS ticket, SAML response,
// OpenID Connect code.
func (s *Server) ssoFinish(protocol string) handler {
	return func(w http.ResponseWriter, r *http.Request, req *Request) error {
		return s.ssoFinishAs(w, r, req, protocol)
	}
}

func (s *Server) ssoFinishAs(w http.ResponseWriter, r *http.Request, req *Request, protocol string) error {
	if _, err := s.ssoProvider(r, protocol); err != nil {
		return err
	}
	cookie := ""
	if c, err := r.Cookie(ssoStateCookie); err == nil {
		cookie = c.Value
	}
	s.setSSOStateCookie(w, r, "", -1)
	out, err := s.sso.Finish(r.Context(), r, r.PathValue("provider"), cookie)
	var ref *sso.Refusal
	if errors.As(err, &ref) {
		return s.render(w, r, req, http.StatusForbidden, "signin.html", "Connexion",
			signinData{Error: ref.Message, Return: "/", SSO: s.ssoSignin(r, "/")})
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(w, out.Token)
	http.SetCookie(w, &http.Cookie{Name: establishmentCookie, Value: string(out.UAI), Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, safeReturn(out.ReturnTo), http.StatusSeeOther)
	return nil
}

// ssoCASLogout is the CAS server's back-channel single log-out.
func (s *Server) ssoCASLogout(w http.ResponseWriter, r *http.Request, req *Request) error {
	if _, err := s.ssoProvider(r, sso.CAS); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := s.sso.CASLogout(r.Context(), r.PathValue("provider"), r.PostFormValue("logoutRequest")); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
	return nil
}

// ssoSAMLLogout is the SAML single log-out service: the provider's
// LogoutRequest (the person signed out there), answered by redirection to
// the provider, or its answer to Sillage's own LogoutRequest.
func (s *Server) ssoSAMLLogout(w http.ResponseWriter, r *http.Request, req *Request) error {
	if _, err := s.ssoProvider(r, sso.SAML); err != nil {
		return err
	}
	to, _, err := s.sso.SAMLLogout(r.Context(), r, r.PathValue("provider"))
	if err != nil {
		return err
	}
	if to == "" {
		to = "/connexion"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// ssoOIDCLogout is the OpenID Connect back-channel logout (a
// server-to-server POST of a logout token).
func (s *Server) ssoOIDCLogout(w http.ResponseWriter, r *http.Request, req *Request) error {
	if _, err := s.ssoProvider(r, sso.OIDC); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := s.sso.OIDCBackChannelLogout(r.Context(), r.PathValue("provider"), r.PostFormValue("logout_token")); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) ssoMetadata(w http.ResponseWriter, r *http.Request, req *Request) error {
	if _, err := s.ssoProvider(r, sso.SAML); err != nil {
		return err
	}
	md, err := s.sso.Metadata(r.PathValue("provider"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Write(md)
	return nil
}

// ssoLinkRow is one linked identity on the administrator's page.
type ssoLinkRow struct {
	sillage.SSOLink
	Label string
}

func (s *Server) ssoLinksPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("person"), 10, 64)
	if err != nil {
		return sillage.Errorf(sillage.KindNotFound, "personne introuvable")
	}
	var person sillage.Person
	var rows []ssoLinkRow
	var enabled []sso.Provider
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		if person, err = tx.People().GetPerson(ctx, req.P.UAI, id); err != nil {
			return err
		}
		links, err := tx.Accounts().ListSSOLinks(ctx, req.P.UAI, id)
		if err != nil {
			return err
		}
		for _, l := range links {
			label := l.Provider
			if p, ok := s.sso.Provider(l.Provider); ok {
				label = p.Label + " (" + sso.ProtocolLabel(p.Protocol) + ")"
			}
			rows = append(rows, ssoLinkRow{SSOLink: l, Label: label})
		}
		enabled, err = s.sso.Enabled(ctx, tx, req.P.UAI)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "sso_links.html", "Connexion unique", map[string]any{
		"Person": person, "Links": rows, "Enabled": enabled})
}

func (s *Server) ssoUnlink(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("person"), 10, 64)
	if err != nil {
		return sillage.Errorf(sillage.KindNotFound, "personne introuvable")
	}
	provider := r.PostFormValue("provider")
	label := provider
	if p, ok := s.sso.Provider(provider); ok {
		label = p.Label
	}
	n, err := sso.Unlink(r.Context(), s.store, req.Actor(), req.P.UAI, id, provider, label)
	if err != nil {
		return err
	}
	msg := "Aucune identité n'était liée."
	if n > 0 {
		msg = "L'identité a été déliée : la prochaine connexion unique recherchera de nouveau la personne dans l'annuaire."
	}
	return s.redirect(w, r, req, "/comptes/"+strconv.FormatInt(id, 10)+"/sso", msg)
}

// ssoOperatorRow is an establishment and the providers it uses.
type ssoOperatorRow struct {
	UAI     sillage.UAI
	Name    string
	Enabled []string
}

func (s *Server) ssoOperatorPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var rows []ssoOperatorRow
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		ests, err := tx.Establishments().ListEstablishments(ctx)
		if err != nil {
			return err
		}
		for _, e := range ests {
			ids, err := tx.Accounts().ListSSOProviders(ctx, e.UAI)
			if err != nil {
				return err
			}
			rows = append(rows, ssoOperatorRow{UAI: e.UAI, Name: e.Name, Enabled: ids})
		}
		return nil
	})
	if err != nil {
		return err
	}
	type providerRow struct {
		sso.Provider
		ReturnURL, MetadataURL string
	}
	var providers []providerRow
	for _, p := range s.sso.Providers() {
		providers = append(providers, providerRow{Provider: p, ReturnURL: s.sso.ReturnURL(p), MetadataURL: s.sso.MetadataURL(p)})
	}
	return s.render(w, r, req, http.StatusOK, "sso_operator.html", "Connexion unique", map[string]any{
		"Providers": providers, "Rows": rows})
}

func (s *Server) ssoOperatorSave(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if s.sso == nil {
		return sillage.Errorf(sillage.KindInvalid, "aucun fournisseur d'identité n'est configuré (SILLAGE_SSO_FILE)")
	}
	uai, err := sillage.ParseUAI(r.PostFormValue("uai"))
	if err != nil {
		return err
	}
	ids := r.PostForm["provider"]
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if err := s.sso.SetEnabled(r.Context(), req.Actor(), uai, ids); err != nil {
		return err
	}
	return s.redirect(w, r, req, "/operateur/sso", "Les fournisseurs d'identité de l'établissement "+string(uai)+" sont enregistrés.")
}
