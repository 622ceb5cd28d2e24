package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/privacy"
	"github.com/sillage/sillage/internal/store"
)

// PrivacyNoticeVersion is the notice version every account must have acknowledged.
const PrivacyNoticeVersion = privacy.NoticeVersion

type signinData struct {
	Error, Login, Return string
	SSO                  ssoView
}

func safeReturn(s string) string {
	// Only local paths: never an open redirect. Browsers read "\" as "/"
	// and drop tabs and newlines, so "/\evil.example" or "/\t/evil.example"
	// would leave the site: refuse them outright, then ask the URL parser.
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\") {
		return "/"
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return s
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	if req.P.AccountID != 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	ret := safeReturn(r.URL.Query().Get("retour"))
	return s.render(w, r, req, http.StatusOK, "signin.html", "Connexion", signinData{Return: ret, SSO: s.ssoSignin(r, ret)})
}

// usable returns the memberships an account may sign in to now, and the
// reason to give when there is none.
func (s *Server) usable(ms []sillage.AccountMembership) ([]sillage.AccountMembership, string) {
	var out []sillage.AccountMembership
	reason := "Ce compte n'est rattaché à aucun établissement."
	now := s.clock.Now()
	for _, m := range ms {
		switch {
		case m.Active:
			out = append(out, m)
		case m.Role == sillage.RoleStudent && now.Before(s.cfg.Retention.DepartedAccessEnds(m.Person.DeactivatedAt)):
			out = append(out, m) // departed: download only
		case m.Role == sillage.RoleStudent:
			reason = fmt.Sprintf("Votre accès à %s a pris fin le %s (%d mois après votre départ).", m.Name,
				s.cfg.Retention.DepartedAccessEnds(m.Person.DeactivatedAt).Format("02/01/2006"), s.cfg.Retention.DepartedAccessMonths)
		default:
			reason = "Votre compte est désactivé. Adressez-vous à l'administrateur de votre établissement."
		}
	}
	return out, reason
}

// closedReason tells the owner of a closed account, after the right
// password, why it is closed; a transferred student learns where their
// record is now.
func (s *Server) closedReason(ctx context.Context, acc sillage.Account) string {
	switch acc.ClosedReason {
	case sillage.ClosedTransferred:
		where := "votre nouvel établissement"
		if acc.ClosedTo != "" {
			var e sillage.Establishment
			err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
				e, err = tx.Establishments().GetEstablishment(ctx, acc.ClosedTo)
				return err
			})
			if err == nil {
				where = e.Name + " (" + string(e.UAI) + ")"
			}
		}
		return fmt.Sprintf("Votre livret a été transféré le %s vers %s : ce compte ne permet plus de se connecter ici. "+
			"Connectez-vous avec le compte que vous a remis votre nouvel établissement ; vous y retrouvez votre livret.",
			sillage.FormatDate(acc.ClosedAt), where)
	case sillage.ClosedPurged:
		return "Votre dossier a été supprimé au terme de sa durée de conservation : ce compte ne permet plus de se connecter."
	}
	return "Ce compte a été supprimé : il ne permet plus de se connecter."
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	login := sillage.NormalizeLogin(r.PostFormValue("login"))
	password := r.PostFormValue("password")
	ret := safeReturn(r.PostFormValue("retour"))
	again := func(msg string) error {
		return s.render(w, r, req, http.StatusUnauthorized, "signin.html", "Connexion", signinData{Error: msg, Login: login, Return: ret, SSO: s.ssoSignin(r, ret)})
	}
	addr := s.clientAddr(r)
	if ok, until, err := s.limiter.Check(login, addr); err != nil {
		return err
	} else if !ok {
		return again(fmt.Sprintf("Trop de tentatives de connexion : réessayez dans %s.", auth.RetryIn(until, s.clock.Now())))
	}
	var acc sillage.Account
	var memberships []sillage.AccountMembership
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		acc, err = tx.Accounts().GetAccountByLogin(ctx, login)
		if err != nil {
			return err
		}
		memberships, err = tx.Accounts().AccountMemberships(ctx, acc.ID)
		return err
	})
	if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
		s.limiter.Release(login, addr)
		return err
	}
	ok, herr := auth.CheckPassword(ctx, password, acc.PasswordHash)
	if herr != nil {
		s.limiter.Release(login, addr)
		return herr
	}
	if !ok {
		if s.limiter.Fail(login, addr) {
			s.auditLockout(ctx, login, addr, memberships)
		}
		return again("Identifiant ou mot de passe incorrect.")
	}
	s.limiter.Succeed(login, addr)
	if !acc.ClosedAt.IsZero() {
		return again(s.closedReason(ctx, acc))
	}
	usable, reason := s.usable(memberships)
	if len(usable) == 0 && !acc.Operator {
		return again(reason)
	}
	var token string
	var sess sillage.Session
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		token, sess, err = s.sessions.Create(ctx, tx, acc.ID)
		if err != nil {
			return err
		}
		if !acc.Operator && len(usable) == 1 {
			m := usable[0]
			if err := tx.Accounts().SelectSessionEstablishment(ctx, sess.TokenHash, m.UAI, m.PersonID); err != nil {
				return err
			}
			return tx.Accounts().RecordSignIn(ctx, acc.ID, m.UAI, m.PersonID)
		}
		return tx.Accounts().RecordSignIn(ctx, acc.ID, "", 0)
	})
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, ret, http.StatusSeeOther)
	return nil
}

// auditLockout records that a login's attempts are now delayed or an
// address reached its failure limit,
// in the chains of the establishments the login belongs to (or the
// instance's own chain for an unknown login).
func (s *Server) auditLockout(ctx context.Context, login, addr string, ms []sillage.AccountMembership) {
	uais := map[sillage.UAI]bool{}
	for _, m := range ms {
		uais[m.UAI] = true
	}
	if len(uais) == 0 {
		uais[""] = true
	}
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		for uai := range uais {
			if err := audit.Record(ctx, tx, uai, audit.System, audit.SignInLocked, "identifiant "+login,
				"adresse "+addr+" : tentatives ralenties (délai croissant entre deux essais)"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("audit sign-in lockout", "err", err)
	}
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, req *Request) error {
	to := "/connexion"
	if p := req.Session.SSOProvider; p != "" && s.sso != nil && req.Session.TokenHash != "" {
		// The provider's own session goes on: the sign-in page offers to
		// end it too (a link, not a redirection after this form). The
		// link names this session (SAML LogoutRequest, OpenID Connect
		// id_token_hint): made now, before the session ends, it rides to
		// that page in a short cookie.
		if u := s.sso.SignOutURL(r.Context(), req.Session.TokenHash, p); u != "" {
			http.SetCookie(w, &http.Cookie{Name: ssoLogoutCookie, Value: u, Path: "/connexion", HttpOnly: true,
				Secure: r.TLS != nil || s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 300})
		}
		to += "?deconnecte=" + url.QueryEscape(p)
	}
	if req.Session.TokenHash != "" {
		if err := s.store.Write(r.Context(), func(tx *store.Tx) error { return tx.Accounts().DeleteSession(r.Context(), req.Session.TokenHash) }); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) memberships(ctx context.Context, accountID int64) ([]sillage.AccountMembership, error) {
	var ms []sillage.AccountMembership
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) { ms, err = tx.Accounts().AccountMemberships(ctx, accountID); return err })
	usable, _ := s.usable(ms)
	return usable, err
}

func (s *Server) chooseEstablishmentPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ms, err := s.memberships(r.Context(), req.P.AccountID)
	if err != nil {
		return err
	}
	preferred := ""
	if c, err := r.Cookie(establishmentCookie); err == nil {
		preferred = c.Value
	}
	return s.render(w, r, req, http.StatusOK, "choose.html", "Choisir l'établissement", map[string]any{"Memberships": ms, "Preferred": preferred})
}

func (s *Server) chooseEstablishment(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	uai := sillage.UAI(r.PostFormValue("uai"))
	if uai == "" {
		return sillage.Errorf(sillage.KindInvalid, "choisissez un établissement")
	}
	ms, err := s.memberships(ctx, req.P.AccountID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.UAI != uai {
			continue
		}
		err := s.store.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Accounts().SelectSessionEstablishment(ctx, req.Session.TokenHash, m.UAI, m.PersonID); err != nil {
				return err
			}
			return tx.Accounts().RecordSignIn(ctx, req.P.AccountID, m.UAI, m.PersonID)
		})
		if err != nil {
			return err
		}
		http.SetCookie(w, &http.Cookie{Name: establishmentCookie, Value: string(m.UAI), Path: "/", HttpOnly: true,
			Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return sillage.Errorf(sillage.KindNotFound, "établissement introuvable")
}

func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.render(w, r, req, http.StatusOK, "privacy.html", "Données personnelles", privacy.NewNotice(s.cfg))
}

func (s *Server) firstSigninPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	if req.Account.PrivacyVersion >= s.noticeVersion {
		http.Redirect(w, r, "/premiere-connexion/mot-de-passe", http.StatusSeeOther)
		return nil
	}
	notice := privacy.NewNotice(s.cfg)
	notice.Version = s.noticeVersion
	return s.render(w, r, req, http.StatusOK, "firstsignin.html", "Première connexion", map[string]any{
		"Notice": notice, "Updated": req.Account.PrivacyVersion > 0})
}

func (s *Server) acknowledgePrivacy(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if r.PostFormValue("ack") != "1" {
		return sillage.Errorf(sillage.KindInvalid, "cochez la case pour confirmer votre lecture de la notice")
	}
	ctx := r.Context()
	if err := s.store.Write(ctx, func(tx *store.Tx) error {
		return tx.Accounts().AcknowledgePrivacy(ctx, req.P.AccountID, s.noticeVersion)
	}); err != nil {
		return err
	}
	next := "/"
	if req.Account.MustChangePassword && req.Session.SSOProvider == "" {
		next = "/premiere-connexion/mot-de-passe"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	forced := strings.HasPrefix(r.URL.Path, "/premiere-connexion")
	if forced && !req.Account.MustChangePassword {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, req, http.StatusOK, "password.html", "Mot de passe", map[string]any{"Forced": forced, "Action": r.URL.Path})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	forced := strings.HasPrefix(r.URL.Path, "/premiere-connexion")
	again := func(msg string) error {
		return s.render(w, r, req, http.StatusBadRequest, "password.html", "Mot de passe", map[string]any{"Forced": forced, "Action": r.URL.Path, "Error": msg})
	}
	// The current password is guessed here as at the sign-in: same limits.
	addr := s.clientAddr(r)
	if ok, until, err := s.limiter.Check(req.Account.Login, addr); err != nil {
		return err
	} else if !ok {
		return again(fmt.Sprintf("Trop de tentatives : réessayez dans %s.", auth.RetryIn(until, s.clock.Now())))
	}
	ok, err := auth.CheckPassword(ctx, r.PostFormValue("current"), req.Account.PasswordHash)
	if err != nil {
		s.limiter.Release(req.Account.Login, addr)
		return err
	}
	if !ok {
		if s.limiter.Fail(req.Account.Login, addr) {
			var ms []sillage.AccountMembership
			if req.P.UAI != "" {
				ms = append(ms, sillage.AccountMembership{UAI: req.P.UAI})
			}
			s.auditLockout(ctx, req.Account.Login, addr, ms)
		}
		return again("Le mot de passe actuel est incorrect.")
	}
	s.limiter.Succeed(req.Account.Login, addr)
	newPw := r.PostFormValue("new")
	if newPw != r.PostFormValue("confirm") {
		return again("Les deux saisies du nouveau mot de passe diffèrent.")
	}
	if newPw == r.PostFormValue("current") {
		return again("Le nouveau mot de passe doit être différent de l'actuel.")
	}
	if err := auth.CheckNewPassword(newPw, req.Account.Login); err != nil {
		return again(sillage.Message(err))
	}
	hash, err := auth.HashPassword(ctx, newPw)
	if err != nil {
		return err
	}
	// Whoever else holds a session of the account (the reason one changes
	// a password) is signed out; this session goes on.
	ended := 0
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Accounts().SetPassword(ctx, req.P.AccountID, hash, false); err != nil {
			return err
		}
		if ended, err = tx.Accounts().DeleteOtherAccountSessions(ctx, req.P.AccountID, req.Session.TokenHash); err != nil {
			return err
		}
		// A token minted from a hijacked session dies with the password.
		_, err = accounts.RevokeAccountTokens(ctx, tx, req.Actor(), req.P.AccountID, "changement de mot de passe")
		return err
	})
	if err != nil {
		return err
	}
	msg := "Votre mot de passe a été enregistré."
	if ended > 0 {
		msg += fmt.Sprintf(" Vos autres sessions ouvertes (%d) ont été fermées.", ended)
	}
	return s.redirect(w, r, req, "/", msg)
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.render(w, r, req, http.StatusOK, "account.html", "Mon compte", map[string]any{"Account": req.Account})
}

func (s *Server) signoutEverywhere(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.Accounts().DeleteAccountSessions(ctx, req.P.AccountID)
		if err != nil {
			return err
		}
		if _, err := accounts.RevokeAccountTokens(ctx, tx, req.Actor(), req.P.AccountID, "déconnexion de toutes les sessions"); err != nil {
			return err
		}
		uai := req.P.UAI
		return audit.Record(ctx, tx, uai, req.Actor(), audit.SignOutEverywhere, "compte "+req.Account.Login, fmt.Sprintf("%d sessions fermées", n))
	})
	if err != nil {
		return err
	}
	s.clearSessionCookie(w)
	to := "/connexion"
	if p := req.Session.SSOProvider; p != "" && s.sso != nil {
		// The provider's own session goes on: the sign-in page offers to
		// end it too (a link, not a redirection after this form).
		to += "?deconnecte=" + url.QueryEscape(p)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
