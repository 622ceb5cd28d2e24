package sso

import (
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// alive reports whether a session token still signs in.
func (w *world) alive(token string) bool {
	w.t.Helper()
	err := w.st.Read(context.Background(), func(tx *store.Tx) error {
		_, err := w.svc.o.Sessions.Find(context.Background(), tx, token)
		return err
	})
	if err != nil && sillage.KindOf(err) != sillage.KindNotFound {
		w.t.Fatal(err)
	}
	return err == nil
}

func (w *world) samlSignIn(s *saml.Session) Outcome {
	w.t.Helper()
	sso, state := w.begin("educonnect")
	resp, relay := w.idp.answer(w.t, sso, s)
	out, err := w.svc.Finish(context.Background(), acsRequest(resp, relay), "educonnect", state)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// idpLogoutRequest is a LogoutRequest the identity provider posts to
// Sillage's single log-out service, signed with key (the provider's, or
// another), naming nameID and, if given, a session index.
func (w *world) idpLogoutRequest(key crypto.Signer, nameID, index string) *http.Request {
	w.t.Helper()
	cert := w.idp.idp.Certificate
	as := &saml.ServiceProvider{EntityID: w.idp.idp.MetadataURL.String(), Key: key, Certificate: cert, IDPMetadata: w.idp.sp,
		SignatureMethod: dsig.RSASHA256SignatureMethod,
		Clock:           dsig.NewFakeClock(clockAdapter{clockworkReal: newRealClock(), c: w.clock})}
	var opts []saml.LogoutRequestOption
	if index != "" {
		opts = append(opts, saml.WithSessionIndex(index))
	}
	req, err := as.MakeLogoutRequest(baseURL+"/sso/saml/educonnect/slo", nameID, opts...)
	if err != nil {
		w.t.Fatal(err)
	}
	raw, err := req.Bytes()
	if err != nil {
		w.t.Fatal(err)
	}
	form := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(raw)}, "RelayState": {"rs-1"}}
	r := httptest.NewRequest(http.MethodPost, baseURL+"/sso/saml/educonnect/slo", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// TestSAMLSingleLogOut: the provider's signed LogoutRequest ends the
// Sillage session of its NameID and SessionIndex (and only it) and is
// answered by a LogoutResponse; an unsigned or foreign-signed one ends
// nothing and is audited. Sillage's sign-out sends a LogoutRequest the
// provider accepts, naming the person and the session. Both engines.
func TestSAMLSingleLogOut(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		ctx := context.Background()
		lea := educonnectSession("ec-lea", map[string][]string{"FrEduCtEleveINE": {ineLea}, "FrEduCtPersonAffiliation": {"eleve2d"}})
		father := educonnectSession("ec-pere", map[string][]string{"FrEduCtEleveINE": {ineLea}, "FrEduCtPersonAffiliation": {"resp2d"},
			"sn": {"Lefèvre-Durand"}, "givenName": {"Paul"}})
		first, second, other := w.samlSignIn(lea), w.samlSignIn(lea), w.samlSignIn(father)

		// Sillage's sign-out: a LogoutRequest to the provider's
		// SingleLogoutService, signed, that the provider accepts.
		u := w.svc.SignOutURL(ctx, auth.HashToken(first.Token), "educonnect")
		if !strings.HasPrefix(u, w.idp.srv.URL+"/slo?") {
			t.Fatalf("sign-out URL %q", u)
		}
		lr, err := saml.NewIdpLogoutRequest(w.idp.idp, httptest.NewRequest(http.MethodGet, u, nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := lr.Validate(); err != nil {
			t.Fatalf("the provider refuses Sillage's LogoutRequest: %v", err)
		}
		if lr.Request.NameID == nil || lr.Request.NameID.Value != "ec-lea" || len(lr.Request.AllSessionIndexes()) != 1 ||
			lr.Request.AllSessionIndexes()[0].Value != "idx-ec-lea" {
			t.Fatalf("LogoutRequest names %+v / %+v", lr.Request.NameID, lr.Request.AllSessionIndexes())
		}

		// A forged LogoutRequest (another key) ends nothing, and is audited.
		intruder, _ := keyPair(t, "intrus")
		if _, _, err := w.svc.SAMLLogout(ctx, w.idpLogoutRequest(intruder, "ec-lea", ""), "educonnect"); sillage.KindOf(err) != sillage.KindInvalid {
			t.Fatalf("forged LogoutRequest: %v", err)
		}
		if !w.alive(first.Token) || !w.alive(second.Token) {
			t.Fatal("a forged LogoutRequest ended a session")
		}
		if es := w.journal("", ActionRefused); len(es) == 0 || !strings.Contains(es[len(es)-1].Details, "déconnexion unique SAML refusée") {
			t.Errorf("forged LogoutRequest not audited: %+v", es)
		}

		// The provider's LogoutRequest for one session index: that session
		// ends, Léa's other one and the father's stay; the answer is a
		// LogoutResponse to the provider, with the RelayState.
		key := w.idp.idp.Key.(*rsa.PrivateKey)
		back, ended, err := w.svc.SAMLLogout(ctx, w.idpLogoutRequest(key, "ec-lea", "idx-ec-lea"), "educonnect")
		if err != nil || ended != 2 {
			// both of Léa's sign-ins share the IdP session index here
			t.Fatalf("LogoutRequest: ended %d, %v", ended, err)
		}
		if w.alive(first.Token) || w.alive(second.Token) || !w.alive(other.Token) {
			t.Fatalf("after the LogoutRequest: %v %v %v", w.alive(first.Token), w.alive(second.Token), w.alive(other.Token))
		}
		bu, _ := url.Parse(back)
		if !strings.HasPrefix(back, w.idp.srv.URL+"/slo?") || bu.Query().Get("SAMLResponse") == "" || bu.Query().Get("RelayState") != "rs-1" ||
			bu.Query().Get("Signature") == "" {
			t.Fatalf("answer %q", back)
		}
		// Replayed or aimed at nobody: nothing more ends.
		if _, ended, err := w.svc.SAMLLogout(ctx, w.idpLogoutRequest(key, "ec-inconnu", ""), "educonnect"); err != nil || ended != 0 {
			t.Fatalf("unknown NameID: %d %v", ended, err)
		}
		// The NameID alone ends every session of that person.
		third, fourth := w.samlSignIn(father), w.samlSignIn(lea)
		if _, ended, err := w.svc.SAMLLogout(ctx, w.idpLogoutRequest(key, "ec-pere", ""), "educonnect"); err != nil || ended != 2 {
			t.Fatalf("by NameID: %d %v", ended, err)
		}
		if w.alive(other.Token) || w.alive(third.Token) || !w.alive(fourth.Token) {
			t.Fatal("NameID log-out ended the wrong sessions")
		}
		// The provider's answer to Sillage's own LogoutRequest: back to
		// the sign-in page.
		resp := httptest.NewRequest(http.MethodGet, baseURL+"/sso/saml/educonnect/slo?SAMLResponse=eA", nil)
		if back, _, err := w.svc.SAMLLogout(ctx, resp, "educonnect"); err != nil || back != "" {
			t.Fatalf("LogoutResponse: %q %v", back, err)
		}
		storetest.NoINEAtRest(t, st, []string{ineLea})
	})
}

// signLogout signs a back-channel logout token with key (the provider's
// by default).
func (f *fakeOP) signLogout(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	if key == nil {
		key = f.key
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestOIDCSingleLogOut: Sillage's sign-out goes to the end_session_endpoint
// with the ID token as id_token_hint (not one that carries an INE: never
// stored); the provider's back-channel logout token ends the sessions of
// its sid or sub once its signature, issuer, audience, age, event and jti
// are right. Both engines.
func TestOIDCSingleLogOut(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		ctx := context.Background()
		signIn := func(claims map[string]any) Outcome {
			t.Helper()
			auth, state := w.begin("portail")
			out, err := w.svc.Finish(ctx, w.op.authorize(t, auth, claims), "portail", state)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		s1 := signIn(map[string]any{"sub": "acad-42", "sid": "op-1", "ENTPersonJointure": "AAF-T1"})
		u, _ := url.Parse(w.svc.SignOutURL(ctx, auth.HashToken(s1.Token), "portail"))
		q := u.Query()
		if u.Path != "/logout" || q.Get("client_id") != "sillage" || q.Get("post_logout_redirect_uri") != baseURL+"/connexion" {
			t.Fatalf("sign-out URL %s", u)
		}
		if hint, err := jwt.ParseSigned(q.Get("id_token_hint"), []jose.SignatureAlgorithm{jose.RS256}); err != nil {
			t.Fatalf("id_token_hint: %v", err)
		} else {
			var c jwt.Claims
			if err := hint.Claims(&w.op.key.PublicKey, &c); err != nil || c.Subject != "acad-42" {
				t.Fatalf("id_token_hint claims %+v %v", c, err)
			}
		}
		// An ID token with an INE is not kept: no hint then.
		s2 := signIn(map[string]any{"sub": "acad-42", "sid": "op-2", "ENTPersonJointure": "AAF-T1", "FrEduCtEleveINE": ineLea})
		u, _ = url.Parse(w.svc.SignOutURL(ctx, auth.HashToken(s2.Token), "portail"))
		if u.Query().Has("id_token_hint") || u.Query().Get("client_id") != "sillage" {
			t.Fatalf("sign-out URL of a token with an INE: %s", u)
		}
		storetest.NoINEAtRest(t, st, []string{ineLea})

		now := clock.Now()
		base := func(edit func(c map[string]any)) map[string]any {
			c := map[string]any{"iss": w.op.srv.URL, "aud": "sillage", "iat": now.Unix(), "jti": "j-" + now.String(),
				"sid": "op-1", "events": map[string]any{backChannelLogoutEvent: map[string]any{}}}
			if edit != nil {
				edit(c)
			}
			return c
		}
		intruder, _ := keyPair(t, "intrus")
		n := len(w.journal("", ActionRefused))
		for _, tc := range []struct {
			name   string
			key    *rsa.PrivateKey
			claims map[string]any
			reason string
		}{
			{"autre clé", intruder, base(nil), "signature"},
			{"autre audience", nil, base(func(c map[string]any) { c["aud"] = "autre" }), "audience"},
			{"sans événement", nil, base(func(c map[string]any) { delete(c, "events") }), "événement"},
			{"avec nonce", nil, base(func(c map[string]any) { c["nonce"] = "n" }), "nonce"},
			{"ni sub ni sid", nil, base(func(c map[string]any) { delete(c, "sid") }), "ni sub ni sid"},
			{"trop ancien", nil, base(func(c map[string]any) { c["iat"] = now.Add(-time.Hour).Unix() }), "délai"},
			{"sans jti", nil, base(func(c map[string]any) { delete(c, "jti") }), "jti"},
		} {
			if _, err := w.svc.OIDCBackChannelLogout(ctx, "portail", w.op.signLogout(t, tc.key, tc.claims)); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("%s: %v", tc.name, err)
			}
			if es := w.journal("", ActionRefused); len(es) != n+1 || !strings.Contains(es[0].Details+es[len(es)-1].Details, tc.reason) {
				t.Errorf("%s: journal %+v", tc.name, es)
			}
			n++
		}
		if !w.alive(s1.Token) || !w.alive(s2.Token) {
			t.Fatal("a refused logout token ended a session")
		}
		// The right token ends the session of its sid, once.
		tok := w.op.signLogout(t, nil, base(nil))
		if n, err := w.svc.OIDCBackChannelLogout(ctx, "portail", tok); err != nil || n != 1 || w.alive(s1.Token) || !w.alive(s2.Token) {
			t.Fatalf("logout by sid: %d %v", n, err)
		}
		if _, err := w.svc.OIDCBackChannelLogout(ctx, "portail", tok); sillage.KindOf(err) != sillage.KindInvalid {
			t.Errorf("replayed logout token: %v", err)
		}
		// By sub: every session of that subject.
		s3 := signIn(map[string]any{"sub": "acad-42", "ENTPersonJointure": "AAF-T1"})
		tok = w.op.signLogout(t, nil, base(func(c map[string]any) { delete(c, "sid"); c["sub"], c["jti"] = "acad-42", "j-sub" }))
		if n, err := w.svc.OIDCBackChannelLogout(ctx, "portail", tok); err != nil || n != 2 || w.alive(s2.Token) || w.alive(s3.Token) {
			t.Fatalf("logout by sub: %d %v", n, err)
		}
	})
}
