package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
)

// Audit actions of single sign-on.
const (
	ActionSignIn   = "signin.sso"
	ActionRefused  = "signin.sso_refused"
	ActionUnlinked = "account.sso_unlinked"
	ActionSettings = "sso.settings"
)

// PendingTTL is how long a sign-in may stay at the provider.
const PendingTTL = 10 * time.Minute

// usedTTL is how long a CAS ticket is remembered: for its replay (a CAS
// server refuses a ticket after seconds) and for the single log-out of the
// session it opened.
const usedTTL = 24 * time.Hour

// Options build a Service.
type Options struct {
	Providers []Provider
	Store     *store.Store
	Clock     sillage.Clock
	Sessions  *auth.Sessions
	// Keyring returns the INE key ring (ÉduConnect students and parents
	// are matched on the keyed hash of an INE).
	Keyring    func(context.Context) (ident.Keyring, error)
	BaseURL    string // the public URL of Sillage, e.g. https://sillage.ac-exemple.fr
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Service signs people in through the configured providers.
type Service struct {
	o         Options
	base      *url.URL
	providers map[string]*provider
	order     []string
}

type provider struct {
	Provider
	mu   sync.Mutex
	saml *samlSP
	oidc *oidcRP
}

// New checks the providers and builds the service. SAML key pairs and
// metadata files are read now; OpenID Connect discovery happens at the
// first sign-in (the provider may start after Sillage).
func New(o Options) (*Service, error) {
	if err := Validate(o.Providers); err != nil {
		return nil, err
	}
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, sillage.Errorf(sillage.KindInvalid, "l'authentification unique exige l'URL publique de Sillage (SILLAGE_BASE_URL), par exemple https://sillage.ac-exemple.fr")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Service{o: o, base: base, providers: map[string]*provider{}}
	for _, p := range o.Providers {
		pr := &provider{Provider: p.withDefaults()}
		if p.Protocol == SAML {
			sp, err := s.newSAML(pr.Provider)
			if err != nil {
				return nil, err
			}
			pr.saml = sp
		}
		s.providers[p.ID] = pr
		s.order = append(s.order, p.ID)
	}
	return s, nil
}

// Providers returns the providers of the instance, in the file's order.
func (s *Service) Providers() []Provider {
	if s == nil {
		return nil
	}
	out := make([]Provider, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.providers[id].Provider)
	}
	return out
}

// Provider returns a configured provider.
func (s *Service) Provider(id string) (Provider, bool) {
	if s == nil {
		return Provider{}, false
	}
	p, ok := s.providers[id]
	if !ok {
		return Provider{}, false
	}
	return p.Provider, true
}

// Enabled returns the providers the establishment uses, in the file's order.
func (s *Service) Enabled(ctx context.Context, tx *store.Tx, uai sillage.UAI) ([]Provider, error) {
	if s == nil || uai == "" {
		return nil, nil
	}
	ids, err := tx.Accounts().ListSSOProviders(ctx, uai)
	if err != nil {
		return nil, err
	}
	var out []Provider
	for _, id := range s.order {
		if slices.Contains(ids, id) {
			out = append(out, s.providers[id].Provider)
		}
	}
	return out, nil
}

// SetEnabled records which providers an establishment uses (the
// operator's choice), audited in its journal.
func (s *Service) SetEnabled(ctx context.Context, who audit.Actor, uai sillage.UAI, ids []string) error {
	var labels []string
	for _, id := range ids {
		p, ok := s.Provider(id)
		if !ok {
			return sillage.Errorf(sillage.KindInvalid, "fournisseur d'identité inconnu : %s", id)
		}
		labels = append(labels, p.Label)
	}
	details := "authentification unique désactivée"
	if len(labels) > 0 {
		details = "fournisseurs activés : " + strings.Join(labels, ", ")
	}
	return s.o.Store.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Establishments().GetEstablishment(ctx, uai); err != nil {
			return err
		}
		if err := tx.Accounts().SetSSOProviders(ctx, uai, ids); err != nil {
			return err
		}
		return audit.Record(ctx, tx, uai, who, ActionSettings, "établissement "+string(uai), details)
	})
}

// Unlink removes a person's linked identities (of one provider, or all),
// audited; the next sign-in matches again.
func (s *Service) Unlink(ctx context.Context, who audit.Actor, uai sillage.UAI, personID int64, providerID string) (int, error) {
	label := providerID
	if pr, ok := s.Provider(providerID); ok {
		label = pr.Label
	}
	return Unlink(ctx, s.o.Store, who, uai, personID, providerID, label)
}

// Unlink removes a person's linked identities of a provider ("" for all;
// label names it in the journal), audited.
func Unlink(ctx context.Context, st *store.Store, who audit.Actor, uai sillage.UAI, personID int64, providerID, label string) (int, error) {
	n := 0
	if providerID == "" {
		label = "tous les fournisseurs"
	}
	err := st.Write(ctx, func(tx *store.Tx) error {
		p, err := tx.People().GetPerson(ctx, uai, personID)
		if err != nil {
			return err
		}
		if n, err = tx.Accounts().UnlinkSSO(ctx, uai, personID, providerID); err != nil || n == 0 {
			return err
		}
		return audit.Record(ctx, tx, uai, who, ActionUnlinked, p.LastName+" "+p.FirstName, "identité déliée : "+label)
	})
	return n, err
}

// Refusal is a sign-in refused, with the French message the person reads
// and the reason the journal keeps. It never holds an INE.
type Refusal struct {
	Message string // for the person: what happened and whom to ask
	Reason  string // for the journal
}

func (r *Refusal) Error() string { return r.Reason }

func refuse(reason, message string) *Refusal { return &Refusal{Reason: reason, Message: message} }

const askAdmin = "Adressez-vous à l'administrateur de Sillage de votre établissement."

var (
	errState   = refuse("état de connexion inconnu, déjà utilisé ou expiré", "La connexion a expiré ou a déjà été utilisée. Recommencez depuis la page de connexion.")
	errReplay  = refuse("rejeu : ticket ou assertion déjà utilisé", "Cette connexion a déjà été utilisée. Recommencez depuis la page de connexion.")
	errBrowser = refuse("la réponse ne revient pas au navigateur qui a commencé la connexion", "La connexion n'a pas été commencée dans ce navigateur. Recommencez depuis la page de connexion.")
)

func rejected(reason string) *Refusal {
	return refuse(reason, "Le fournisseur d'identité n'a pas confirmé votre identité. Recommencez ; si le problème persiste, "+strings.ToLower(askAdmin[:1])+askAdmin[1:])
}

// Identity is what a provider asserted. INEs are sealed (ident.INE never
// prints its value) and only ever hashed.
type Identity struct {
	Subject     string
	Jointure    string
	INEs        []ident.INE
	Affiliation string
	LastName    string
	FirstName   string
	// Used is a one-time value of the answer (CAS ticket, SAML assertion
	// id) recorded against replay, with its kind.
	Used, UsedKind string
	UsedUntil      time.Time
	// Single log-out: the provider's names for the person (SAML NameID
	// and its format, OpenID Connect sub) and for its session (SAML
	// SessionIndex, OpenID Connect sid); the raw ID token for
	// id_token_hint, only when it carries no INE.
	SLOSubject, SLOSubjectFormat, SLOSession, IDToken string
}

// Outcome is a successful sign-in.
type Outcome struct {
	Token     string // the session token for the cookie
	ReturnTo  string
	UAI       sillage.UAI
	PersonID  int64
	AccountID int64
}

// randomToken returns 32 random bytes, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// URLs of a provider's endpoints.
func (s *Service) endpoint(p Provider, tail string) string {
	return s.base.String() + "/sso/" + p.Protocol + "/" + p.ID + "/" + tail
}

// ReturnURL is the address the provider sends people back to (CAS
// service, SAML assertion consumer service, OpenID Connect redirect URI),
// to declare at the provider; MetadataURL is the SAML metadata's ("" for
// the other protocols).
func (s *Service) ReturnURL(p Provider) string {
	if p.Protocol == SAML {
		return s.endpoint(p, "acs")
	}
	return s.endpoint(p, "callback")
}

// MetadataURL is the SAML service provider's metadata address.
func (s *Service) MetadataURL(p Provider) string {
	if p.Protocol != SAML {
		return ""
	}
	return s.endpoint(p, "metadata")
}

// CASService is the service URL of a CAS provider for one sign-in: the
// callback with the sign-in's state, exactly the same at the login and at
// the validation. The ticket is thus bound to the state, and the state to
// the browser's cookie: a ticket issued to someone else's sign-in does not
// validate here (login CSRF).
func (s *Service) CASService(p Provider, state string) string {
	return s.endpoint(p, "callback") + "?state=" + url.QueryEscape(state)
}

// Begin starts a sign-in at a provider for an establishment; it returns
// where to send the browser and the state the browser keeps in a cookie.
func (s *Service) Begin(ctx context.Context, providerID string, uai sillage.UAI, returnTo string) (redirect, state string, err error) {
	pr, ok := s.providers[providerID]
	if !ok {
		return "", "", sillage.Errorf(sillage.KindNotFound, "fournisseur d'identité inconnu")
	}
	state = randomToken()
	pending := sillage.SSOPending{StateHash: hashOf(state), Provider: providerID, UAI: uai, ReturnTo: returnTo,
		ExpiresAt: s.o.Clock.Now().Add(PendingTTL)}
	switch pr.Protocol {
	case CAS:
		redirect = strings.TrimRight(pr.CASURL, "/") + "/login?service=" + url.QueryEscape(s.CASService(pr.Provider, state))
	case SAML:
		redirect, pending.RequestID, err = pr.saml.authnRequest(state)
	case OIDC:
		var rp *oidcRP
		if rp, err = s.oidcOf(ctx, pr); err == nil {
			pending.Nonce, pending.Verifier = randomToken(), oauth2Verifier()
			redirect = rp.authURL(state, pending.Nonce, pending.Verifier)
		}
	}
	if err != nil {
		s.o.Logger.Error("sso begin", "provider", providerID, "err", err)
		return "", "", sillage.Errorf(sillage.KindUnavailable, "le fournisseur d'identité %s ne répond pas ; réessayez plus tard", pr.Label)
	}
	err = s.o.Store.Write(ctx, func(tx *store.Tx) error {
		enabled, err := tx.Accounts().ListSSOProviders(ctx, uai)
		if err != nil {
			return err
		}
		if !slices.Contains(enabled, providerID) {
			return sillage.Errorf(sillage.KindNotFound, "fournisseur d'identité non proposé par cet établissement")
		}
		return tx.Accounts().CreateSSOPending(ctx, pending)
	})
	if err != nil {
		return "", "", err
	}
	return redirect, state, nil
}

// Finish completes a sign-in from the provider's answer. cookieState is
// the state the browser kept in its cookie when the sign-in started: the
// answer's own state (CAS: the state parameter of the service URL; SAML:
// the RelayState; OpenID Connect: the state parameter) must be the same,
// so that an answer made for one browser cannot sign another one in
// (login CSRF). A refusal is a *Refusal, already audited.
func (s *Service) Finish(ctx context.Context, r *http.Request, providerID, cookieState string) (Outcome, error) {
	pr, ok := s.providers[providerID]
	if !ok {
		return Outcome{}, sillage.Errorf(sillage.KindNotFound, "fournisseur d'identité inconnu")
	}
	var state string
	switch pr.Protocol {
	case CAS, OIDC:
		state = r.URL.Query().Get("state")
	case SAML:
		if err := r.ParseForm(); err != nil {
			return Outcome{}, sillage.Errorf(sillage.KindInvalid, "réponse SAML illisible")
		}
		state = r.PostForm.Get("RelayState")
	}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookieState)) != 1 {
		return Outcome{}, s.refused(ctx, pr.Provider, "", errBrowser)
	}
	var pending sillage.SSOPending
	err := s.o.Store.Write(ctx, func(tx *store.Tx) (err error) {
		pending, err = tx.Accounts().TakeSSOPending(ctx, hashOf(state), s.o.Clock.Now())
		return err
	})
	if sillage.KindOf(err) == sillage.KindNotFound || err == nil && pending.Provider != providerID {
		return Outcome{}, s.refused(ctx, pr.Provider, pending.UAI, errState)
	}
	if err != nil {
		return Outcome{}, err
	}
	var id Identity
	switch pr.Protocol {
	case CAS:
		id, err = s.casValidate(ctx, pr.Provider, r.URL.Query().Get("ticket"), state)
	case SAML:
		id, err = pr.saml.parse(r, pending.RequestID)
	case OIDC:
		var rp *oidcRP
		if rp, err = s.oidcOf(ctx, pr); err == nil {
			id, err = rp.exchange(ctx, r, pending)
		}
	}
	if err != nil {
		var ref *Refusal
		if !errors.As(err, &ref) {
			s.o.Logger.Warn("sso answer refused", "provider", providerID, "err", err)
			ref = rejected(err.Error())
		}
		return Outcome{}, s.refused(ctx, pr.Provider, pending.UAI, ref)
	}
	out, err := s.signIn(ctx, pr.Provider, pending, id)
	var ref *Refusal
	if errors.As(err, &ref) {
		return Outcome{}, s.refused(ctx, pr.Provider, pending.UAI, ref)
	}
	return out, err
}

// signIn matches the identity, opens the session and records it, in one
// transaction: a refusal leaves nothing behind.
func (s *Service) signIn(ctx context.Context, p Provider, pending sillage.SSOPending, id Identity) (Outcome, error) {
	out := Outcome{ReturnTo: pending.ReturnTo, UAI: pending.UAI}
	var unqids []string
	if len(id.INEs) > 0 {
		kr, err := s.o.Keyring(ctx)
		if err != nil {
			return out, err
		}
		for _, ine := range id.INEs {
			us, err := kr.Unqids(ine)
			if err != nil {
				continue // a malformed INE matches nobody
			}
			unqids = append(unqids, us...)
		}
	}
	err := s.o.Store.Write(ctx, func(tx *store.Tx) error {
		est, err := tx.Establishments().GetEstablishment(ctx, pending.UAI)
		if err != nil {
			return err
		}
		person, linked, err := resolve(ctx, tx, est, p, id, unqids)
		if err != nil {
			return err
		}
		if !person.Active() {
			return refuse("personne désactivée", "Votre compte est désactivé. "+askAdmin)
		}
		if person.AccountID == 0 {
			return refuse("la personne n'a pas de compte Sillage",
				"Vous êtes bien connu de "+est.Name+", mais aucun compte Sillage ne vous a encore été ouvert. "+askAdmin)
		}
		acc, err := tx.Accounts().GetAccount(ctx, person.AccountID)
		if err != nil {
			return err
		}
		if !acc.ClosedAt.IsZero() {
			return refuse("compte fermé", "Ce compte a été fermé : il ne permet plus de se connecter. "+askAdmin)
		}
		token, sess, err := s.o.Sessions.CreateSSO(ctx, tx, acc.ID, p.ID)
		if err != nil {
			return err
		}
		if id.Used != "" {
			fresh, err := tx.Accounts().MarkSSOSeen(ctx, p.ID, id.UsedKind, hashOf(id.Used), sess.TokenHash, id.UsedUntil)
			if err != nil {
				return err
			}
			if !fresh {
				return errReplay
			}
		}
		if id.SLOSubject != "" || id.SLOSession != "" || id.IDToken != "" {
			if err := tx.Accounts().RecordSSOSession(ctx, sillage.SSOSession{SessionHash: sess.TokenHash, Provider: p.ID,
				Subject: id.SLOSubject, SubjectFormat: id.SLOSubjectFormat, SessionIndex: id.SLOSession, IDToken: id.IDToken}); err != nil {
				return err
			}
		}
		if err := tx.Accounts().SelectSessionEstablishment(ctx, sess.TokenHash, person.UAI, person.ID); err != nil {
			return err
		}
		if err := tx.Accounts().RecordSignIn(ctx, acc.ID, person.UAI, person.ID); err != nil {
			return err
		}
		how := "identité reconnue par son lien"
		if id.Subject != "" {
			if linked {
				err = tx.Accounts().TouchSSOLink(ctx, person.UAI, p.ID, id.Subject)
			} else {
				how = "identité reconnue dans l'annuaire et liée"
				err = tx.Accounts().LinkSSO(ctx, person.UAI, sillage.SSOLink{Provider: p.ID, Subject: id.Subject, PersonID: person.ID})
			}
			if err != nil {
				return err
			}
		}
		out.Token, out.PersonID, out.AccountID = token, person.ID, acc.ID
		who := audit.Actor{ID: person.ID, Role: string(person.Role), Name: person.LastName + " " + person.FirstName}
		return audit.Record(ctx, tx, person.UAI, who, ActionSignIn, who.Name, p.Label+" ("+ProtocolLabel(p.Protocol)+") : "+how)
	})
	return out, err
}

// refused records a refusal in the establishment's journal (the
// instance's when the establishment is not known) and returns it.
func (s *Service) refused(ctx context.Context, p Provider, uai sillage.UAI, ref *Refusal) *Refusal {
	err := s.o.Store.Write(ctx, func(tx *store.Tx) error {
		if uai != "" {
			if _, err := tx.Establishments().GetEstablishment(ctx, uai); err != nil {
				uai = ""
			}
		}
		return audit.Record(ctx, tx, uai, audit.System, ActionRefused, p.Label+" ("+ProtocolLabel(p.Protocol)+")", ref.Reason)
	})
	if err != nil {
		s.o.Logger.Error("audit sso refusal", "err", err)
	}
	return ref
}

// SignOutURL is where to send the browser, after Sillage's own sign-out
// of the session sessionHash, so that the provider ends its session too
// ("" when there is none): a signed SAML LogoutRequest naming the
// person and the session to the provider's SingleLogoutService; the
// OpenID Connect end_session_endpoint with the ID token as id_token_hint;
// the CAS logout. Call it before the session ends: it reads the session.
func (s *Service) SignOutURL(ctx context.Context, sessionHash, providerID string) string {
	pr, ok := s.providers[providerID]
	if !ok {
		return ""
	}
	var ss sillage.SSOSession
	err := s.o.Store.Read(ctx, func(tx *store.Tx) (err error) {
		ss, err = tx.Accounts().GetSSOSession(ctx, sessionHash)
		return err
	})
	if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
		s.o.Logger.Error("sso sign-out", "provider", providerID, "err", err)
	}
	if err != nil || ss.Provider != providerID {
		return s.LogoutURL(ctx, providerID)
	}
	switch pr.Protocol {
	case SAML:
		u, err := pr.saml.logoutRequest(ss)
		if err != nil {
			s.o.Logger.Error("sso SAML LogoutRequest", "provider", providerID, "err", err)
			return ""
		}
		return u
	case OIDC:
		rp, err := s.oidcOf(ctx, pr)
		if err != nil || rp.endSession == "" {
			return ""
		}
		q := url.Values{"client_id": {pr.OIDCClientID}, "post_logout_redirect_uri": {s.base.String() + "/connexion"}}
		if ss.IDToken != "" {
			q.Set("id_token_hint", ss.IDToken)
		}
		sep := "?"
		if strings.Contains(rp.endSession, "?") {
			sep = "&"
		}
		return rp.endSession + sep + q.Encode()
	}
	return s.LogoutURL(ctx, providerID)
}

// LogoutURLAllowed reports whether u is a log-out address of the
// provider (its SingleLogoutService, end_session_endpoint or CAS logout):
// what the browser brings back of SignOutURL is checked before it is
// shown as a link.
func (s *Service) LogoutURLAllowed(ctx context.Context, providerID, u string) bool {
	pr, ok := s.providers[providerID]
	if !ok || u == "" {
		return false
	}
	var prefix string
	switch pr.Protocol {
	case CAS:
		prefix = strings.TrimRight(pr.CASURL, "/") + "/logout?"
	case SAML:
		if loc := pr.saml.sp.GetSLOBindingLocation(saml.HTTPRedirectBinding); loc != "" {
			prefix = loc + "?"
		}
	case OIDC:
		if rp, err := s.oidcOf(ctx, pr); err == nil && rp.endSession != "" {
			prefix = rp.endSession
		}
	}
	return prefix != "" && strings.HasPrefix(u, prefix)
}

// LogoutURL is where to send the browser after Sillage's own sign-out so
// that the provider ends its session too ("" when there is none), when
// the session is not known any more (SignOutURL is preferred).
func (s *Service) LogoutURL(ctx context.Context, providerID string) string {
	pr, ok := s.providers[providerID]
	if !ok {
		return ""
	}
	back := s.base.String() + "/connexion"
	switch pr.Protocol {
	case CAS:
		return strings.TrimRight(pr.CASURL, "/") + "/logout?service=" + url.QueryEscape(back)
	case OIDC:
		if rp, err := s.oidcOf(ctx, pr); err == nil && rp.endSession != "" {
			return rp.endSession + "?client_id=" + url.QueryEscape(pr.OIDCClientID) + "&post_logout_redirect_uri=" + url.QueryEscape(back)
		}
	}
	return ""
}

func (s *Service) String() string { return fmt.Sprintf("sso(%d fournisseurs)", len(s.order)) }
