package sso

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sillage/sillage"
)

// OpenID Connect relying party: authorization code with PKCE (S256), state
// and nonce; the ID token's signature (the provider's published keys),
// issuer, audience and expiry are checked by go-oidc's verifier, reading
// the injected clock.

type oidcRP struct {
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string
	client     *http.Client
	p          Provider
}

func oauth2Verifier() string { return oauth2.GenerateVerifier() }

// oidcOf discovers the provider at its first use and keeps the result.
func (s *Service) oidcOf(ctx context.Context, pr *provider) (*oidcRP, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.oidc != nil {
		return pr.oidc, nil
	}
	secret := ""
	if pr.OIDCClientSecretFile != "" {
		b, err := os.ReadFile(pr.OIDCClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("OIDC client secret: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	ctx = oidc.ClientContext(ctx, s.o.HTTPClient)
	op, err := oidc.NewProvider(ctx, pr.OIDCIssuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC discovery %s: %w", pr.OIDCIssuer, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = op.Claims(&extra)
	rp := &oidcRP{
		oauth: oauth2.Config{ClientID: pr.OIDCClientID, ClientSecret: secret, Endpoint: op.Endpoint(),
			RedirectURL: s.endpoint(pr.Provider, "callback"), Scopes: pr.OIDCScopes},
		verifier:   op.VerifierContext(oidc.ClientContext(context.Background(), s.o.HTTPClient), &oidc.Config{ClientID: pr.OIDCClientID, Now: s.o.Clock.Now}),
		endSession: extra.EndSession,
		client:     s.o.HTTPClient,
		p:          pr.Provider,
	}
	pr.oidc = rp
	return rp, nil
}

func (rp *oidcRP) authURL(state, nonce, verifier string) string {
	return rp.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// exchange trades the code for tokens and checks the ID token.
func (rp *oidcRP) exchange(ctx context.Context, r *http.Request, pending sillage.SSOPending) (Identity, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return Identity{}, rejected("le fournisseur a répondu par une erreur : " + e)
	}
	code := q.Get("code")
	if code == "" {
		return Identity{}, rejected("réponse OpenID Connect sans code")
	}
	ctx = oidc.ClientContext(ctx, rp.client)
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(pending.Verifier))
	if err != nil {
		return Identity{}, rejected("échange du code refusé : " + err.Error())
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, rejected("réponse OpenID Connect sans jeton d'identité")
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, rejected("jeton d'identité refusé : " + err.Error())
	}
	if idt.Nonce != pending.Nonce {
		return Identity{}, rejected("nonce du jeton d'identité différent de celui de la demande")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, rejected("revendications du jeton illisibles")
	}
	attrs := claimAttrs(claims)
	id := identityFrom(rp.p, attrs)
	id.Subject = idt.Subject
	if rp.p.Attributes.Subject != "" {
		id.Subject = first(attrs[rp.p.Attributes.Subject])
	}
	return id, nil
}

// claimAttrs reads string and string-list claims as attributes.
func claimAttrs(claims map[string]any) map[string][]string {
	attrs := map[string][]string{}
	for k, v := range claims {
		switch x := v.(type) {
		case string:
			attrs[k] = []string{x}
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					attrs[k] = append(attrs[k], s)
				}
			}
		}
	}
	return attrs
}
