package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"
	"golang.org/x/oauth2"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
)

// OpenID Connect relying party: authorization code with PKCE (S256), state
// and nonce; the ID token's signature (the provider's published keys),
// issuer, audience and expiry are checked by go-oidc's verifier, reading
// the injected clock.

type oidcRP struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	// logout checks back-channel logout tokens: signature, issuer,
	// audience as the ID token; expiry is optional there (iat is checked).
	logout     *oidc.IDTokenVerifier
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
		verifier: op.VerifierContext(oidc.ClientContext(context.Background(), s.o.HTTPClient), &oidc.Config{ClientID: pr.OIDCClientID, Now: s.o.Clock.Now}),
		logout: op.VerifierContext(oidc.ClientContext(context.Background(), s.o.HTTPClient), &oidc.Config{ClientID: pr.OIDCClientID,
			Now: s.o.Clock.Now, SkipExpiryCheck: true}),
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
	// Single log-out: the provider names the session by sub and sid; the
	// ID token goes back as id_token_hint, unless it carries an INE
	// (never stored).
	id.SLOSubject, id.SLOSession = idt.Subject, first(attrs["sid"])
	if len(attrs[rp.p.Attributes.INE]) == 0 && !holdsINE(claims) {
		id.IDToken = raw
	}
	return id, nil
}

// holdsINE reports whether any string among the claims, at any depth and
// under any name, is a valid INE: such a token is never kept, whatever
// the provider calls the claim.
func holdsINE(v any) bool {
	switch x := v.(type) {
	case string:
		_, err := ident.CheckINE(ident.NormalizeINE(x))
		return err == nil
	case []any:
		for _, e := range x {
			if holdsINE(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if holdsINE(e) {
				return true
			}
		}
	}
	return false
}

// backChannelLogoutEvent is the event of a logout token.
const backChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutTokenMaxAge bounds how old a logout token may be (by its iat).
const logoutTokenMaxAge = 5 * time.Minute

// OIDCBackChannelLogout handles the provider's back-channel logout (OpenID
// Connect Back-Channel Logout 1.0): the logout token is checked (signature
// by the provider's keys, issuer, audience, issued within minutes, the
// back-channel logout event, no nonce, a sub or a sid, not replayed by
// its jti) and the Sillage sessions it names end. It returns how many.
func (s *Service) OIDCBackChannelLogout(ctx context.Context, providerID, logoutToken string) (int, error) {
	pr, ok := s.providers[providerID]
	if !ok || pr.Protocol != OIDC {
		return 0, sillage.Errorf(sillage.KindNotFound, "fournisseur d'identité inconnu")
	}
	rp, err := s.oidcOf(ctx, pr)
	if err != nil {
		return 0, sillage.Errorf(sillage.KindUnavailable, "le fournisseur d'identité %s ne répond pas", pr.Label)
	}
	refuseToken := func(reason string) (int, error) {
		s.refused(ctx, pr.Provider, "", refuse("jeton de déconnexion refusé : "+reason, ""))
		return 0, sillage.Errorf(sillage.KindInvalid, "jeton de déconnexion refusé")
	}
	if logoutToken == "" {
		return refuseToken("absent")
	}
	tok, err := rp.logout.Verify(oidc.ClientContext(ctx, rp.client), logoutToken)
	if err != nil {
		return refuseToken(err.Error())
	}
	var c struct {
		Sid    string                     `json:"sid"`
		Nonce  *string                    `json:"nonce"`
		JTI    string                     `json:"jti"`
		Exp    int64                      `json:"exp"`
		Events map[string]json.RawMessage `json:"events"`
	}
	if err := tok.Claims(&c); err != nil {
		return refuseToken("revendications illisibles")
	}
	now := s.o.Clock.Now()
	switch {
	case c.Events[backChannelLogoutEvent] == nil:
		return refuseToken("sans l'événement " + backChannelLogoutEvent)
	case c.Nonce != nil:
		return refuseToken("un jeton de déconnexion ne porte pas de nonce")
	case tok.Subject == "" && c.Sid == "":
		return refuseToken("ni sub ni sid")
	case c.JTI == "":
		return refuseToken("sans jti")
	case tok.IssuedAt.IsZero() || now.Sub(tok.IssuedAt) > logoutTokenMaxAge || tok.IssuedAt.Sub(now) > saml.MaxClockSkew:
		return refuseToken("émis hors du délai accepté")
	case c.Exp != 0 && !now.Before(time.Unix(c.Exp, 0).Add(saml.MaxClockSkew)):
		return refuseToken("expiré")
	}
	ended := 0
	err = s.o.Store.Write(ctx, func(tx *store.Tx) error {
		fresh, err := tx.Accounts().MarkSSOSeen(ctx, providerID, "logout-jti", hashOf(c.JTI), "", now.Add(2*logoutTokenMaxAge))
		if err != nil {
			return err
		}
		if !fresh {
			return errReplay
		}
		ended, err = tx.Accounts().EndSSOSessions(ctx, providerID, tok.Subject, c.Sid)
		return err
	})
	if errors.Is(err, errReplay) {
		return refuseToken("rejeu (jti déjà reçu)")
	}
	return ended, err
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
