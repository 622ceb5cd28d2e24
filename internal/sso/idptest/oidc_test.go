package idptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func random(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

type oidcRun struct {
	p        *IdP
	provider *oidc.Provider
	conf     oauth2.Config
	c        *http.Client
}

func newOIDC(t *testing.T) oidcRun {
	t.Helper()
	p := FromEnv(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, p.OIDCIssuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return oidcRun{p: p, provider: provider, c: p.Client(), conf: oauth2.Config{
		ClientID: OIDCClientID, ClientSecret: OIDCClientSecret,
		Endpoint: provider.Endpoint(), RedirectURL: p.OIDCRedirectURI(),
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", OIDCScopeSillage},
	}}
}

// authorize signs who in and returns the code the provider sends back.
func (r oidcRun) authorize(t *testing.T, who Person, state, nonce, verifier string) string {
	t.Helper()
	a, err := r.p.SignIn(r.c, r.conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), who)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != http.StatusFound && a.Status != http.StatusSeeOther {
		t.Fatalf("no redirection after sign-in: %d\n%.500s", a.Status, a.Body)
	}
	loc, err := url.Parse(a.Location)
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != r.p.OIDCRedirectURI() {
		t.Fatalf("redirected to %q, want %q", got, r.p.OIDCRedirectURI())
	}
	if got := loc.Query().Get("state"); got != state {
		t.Fatalf("state = %q, want %q", got, state)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %q", a.Location)
	}
	return code
}

func TestOIDCAuthorizationCodeWithPKCE(t *testing.T) {
	r := newOIDC(t)
	ctx := context.Background()
	verifier := r.provider.Verifier(&oidc.Config{ClientID: OIDCClientID})
	for _, who := range People {
		t.Run(who.Login, func(t *testing.T) {
			r.c = r.p.Client()
			state, nonce, pkce := random(t), random(t), oauth2.GenerateVerifier()
			code := r.authorize(t, who, state, nonce, pkce)
			tok, err := r.conf.Exchange(ctx, code, oauth2.VerifierOption(pkce))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			raw, ok := tok.Extra("id_token").(string)
			if !ok {
				t.Fatal("no id_token in the token response")
			}
			idt, err := verifier.Verify(ctx, raw)
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			if idt.Nonce != nonce {
				t.Errorf("nonce = %q, want %q", idt.Nonce, nonce)
			}
			if idt.Subject != who.Login {
				t.Errorf("sub = %q, want %q", idt.Subject, who.Login)
			}
			var claims map[string]any
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"name": who.CN(), "family_name": who.SN, "given_name": who.GivenName, "email": who.Mail,
				AttrProfile: who.Profile, AttrJointure: who.Jointure, AttrUAI: who.UAI,
			}
			if who.Affiliation != "" {
				want[AttrAffiliation] = who.Affiliation
			}
			if ines := who.EduINE(); len(ines) > 0 {
				var l []any
				for _, v := range ines {
					l = append(l, v)
				}
				want[AttrINE] = l
			}
			for k, v := range want {
				if !reflect.DeepEqual(claims[k], v) {
					t.Errorf("claim %s = %#v, want %#v", k, claims[k], v)
				}
			}
			for _, k := range []string{AttrINE, AttrAffiliation} {
				if _, ok := want[k]; !ok && claims[k] != nil {
					t.Errorf("claim %s released for %s: %#v", k, who.Login, claims[k])
				}
			}

			// A code is good once.
			if _, err := r.conf.Exchange(ctx, code, oauth2.VerifierOption(pkce)); err == nil {
				t.Error("a used code was exchanged again")
			}
		})
	}
}

func TestOIDCRefusals(t *testing.T) {
	r := newOIDC(t)
	ctx := context.Background()

	// Without the PKCE verifier, or with another one, the code is refused.
	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"no verifier":    nil,
		"wrong verifier": {oauth2.VerifierOption(oauth2.GenerateVerifier())},
	} {
		t.Run(name, func(t *testing.T) {
			r.c = r.p.Client()
			code := r.authorize(t, Teacher, random(t), random(t), oauth2.GenerateVerifier())
			if _, err := r.conf.Exchange(ctx, code, opts...); err == nil {
				t.Error("code exchanged without the right PKCE verifier")
			}
		})
	}

	// A redirect URI that is not Sillage's gets no code.
	t.Run("foreign redirect URI", func(t *testing.T) {
		conf := r.conf
		conf.RedirectURL = "http://127.0.0.1:1/callback"
		a, err := r.p.SignIn(r.p.Client(), conf.AuthCodeURL(random(t), oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), Teacher)
		if err == nil && strings.Contains(a.Location, "code=") {
			t.Errorf("code sent to a foreign redirect URI: %q", a.Location)
		}
	})

	// A wrong client secret cannot exchange a code.
	t.Run("wrong secret", func(t *testing.T) {
		r.c = r.p.Client()
		pkce := oauth2.GenerateVerifier()
		code := r.authorize(t, Teacher, random(t), random(t), pkce)
		conf := r.conf
		conf.ClientSecret = "wrong"
		if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(pkce)); err == nil {
			t.Error("code exchanged with a wrong client secret")
		}
	})
}
