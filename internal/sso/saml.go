package sso

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// SAML 2.0 service provider through github.com/crewjam/saml: it checks
// the XML signatures (an assertion must be signed, itself or through its
// signed Response), the audience (our entity id), the recipient and
// destination (our assertion consumer service), InResponseTo (the request
// of this sign-in), NotBefore/NotOnOrAfter and the issue instant, all
// against the injected clock with the library's bounded skew
// (saml.MaxClockSkew, 3 minutes; saml.MaxIssueDelay, 90 seconds).

type samlSP struct {
	sp    *saml.ServiceProvider
	p     Provider
	clock sillage.Clock
}

// clockwork adapts the injected clock for the XML signature library
// (certificate validity) and crewjam/saml (assertion times).
type clockAdapter struct {
	clockworkReal
	c sillage.Clock
}

func (c clockAdapter) Now() time.Time                  { return c.c.Now() }
func (c clockAdapter) Since(t time.Time) time.Duration { return c.c.Now().Sub(t) }
func (c clockAdapter) Until(t time.Time) time.Duration { return t.Sub(c.c.Now()) }

func (s *Service) newSAML(p Provider) (*samlSP, error) {
	fail := func(format string, args ...any) error {
		return sillage.Errorf(sillage.KindInvalid, "fournisseur %q : "+format, append([]any{p.ID}, args...)...)
	}
	pair, err := tls.LoadX509KeyPair(p.SAMLCertFile, p.SAMLKeyFile)
	if err != nil {
		return nil, fail("clé ou certificat SAML illisible : %v", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fail("certificat SAML illisible : %v", err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fail("clé SAML inutilisable")
	}
	var md *saml.EntityDescriptor
	if p.SAMLIdPMetadataFile != "" {
		data, err := os.ReadFile(p.SAMLIdPMetadataFile)
		if err != nil {
			return nil, fail("métadonnées du fournisseur illisibles : %v", err)
		}
		if md, err = parseMetadata(data); err != nil {
			return nil, fail("métadonnées du fournisseur invalides : %v", err)
		}
	} else {
		u, err := url.Parse(p.SAMLIdPMetadataURL)
		if err != nil {
			return nil, fail("URL des métadonnées invalide : %v", err)
		}
		if md, err = fetchMetadata(s.o.HTTPClient, u.String()); err != nil {
			return nil, fail("métadonnées du fournisseur inaccessibles : %v", err)
		}
	}
	metadataURL, _ := url.Parse(s.endpoint(p, "metadata"))
	acsURL, _ := url.Parse(s.endpoint(p, "acs"))
	sloURL, _ := url.Parse(s.endpoint(p, "slo"))
	sp := &saml.ServiceProvider{
		EntityID:    metadataURL.String(),
		Key:         signer,
		Certificate: cert,
		MetadataURL: *metadataURL,
		AcsURL:      *acsURL,
		SloURL:      *sloURL,
		// Single log-out: the provider's LogoutRequest and its answer to
		// ours come by redirection or by a posted form.
		LogoutBindings: []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding},
		IDPMetadata:    md,
		HTTPClient:     s.o.HTTPClient,
		Clock:          dsig.NewFakeClock(clockAdapter{clockworkReal: newRealClock(), c: s.o.Clock}),
		// Only the POST binding: the artifact binding would need a back
		// channel to the IdP that ÉduConnect does not offer us.
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		AuthnNameIDFormat:                saml.PersistentNameIDFormat,
	}
	if _, ok := signer.(*rsa.PrivateKey); ok {
		sp.SignatureMethod = dsig.RSASHA256SignatureMethod // AuthnRequests signed, as the metadata says
	}
	return &samlSP{sp: sp, p: p, clock: s.o.Clock}, nil
}

// Metadata returns this service provider's metadata for a SAML provider.
func (s *Service) Metadata(providerID string) ([]byte, error) {
	pr, ok := s.providers[providerID]
	if !ok || pr.saml == nil {
		return nil, sillage.Errorf(sillage.KindNotFound, "fournisseur SAML inconnu")
	}
	out, err := xml.MarshalIndent(pr.saml.sp.Metadata(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

// authnRequest returns the redirection to the identity provider and the
// request's id.
func (sp *samlSP) authnRequest(relayState string) (string, string, error) {
	req, err := sp.sp.MakeAuthenticationRequest(sp.sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", "", err
	}
	u, err := req.Redirect(relayState, sp.sp)
	if err != nil {
		return "", "", err
	}
	return u.String(), req.ID, nil
}

// parse checks the posted response against the request of this sign-in.
func (sp *samlSP) parse(r *http.Request, requestID string) (Identity, error) {
	r2 := r.Clone(r.Context())
	acs := sp.sp.AcsURL
	r2.URL = &acs
	a, err := sp.sp.ParseResponse(r2, []string{requestID})
	if err != nil {
		reason := err.Error()
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			reason = ire.PrivateErr.Error()
		}
		return Identity{}, rejected("réponse SAML refusée : " + reason)
	}
	attrs := map[string][]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				for _, key := range []string{at.Name, at.FriendlyName} {
					if key != "" {
						attrs[key] = append(attrs[key], strings.TrimSpace(v.Value))
					}
				}
			}
		}
	}
	id := identityFrom(sp.p, attrs)
	if sp.p.Attributes.Subject != "" {
		id.Subject = first(attrs[sp.p.Attributes.Subject])
	} else if a.Subject != nil && a.Subject.NameID != nil && a.Subject.NameID.Format != string(saml.TransientNameIDFormat) {
		id.Subject = strings.TrimSpace(a.Subject.NameID.Value)
	}
	if a.ID == "" {
		return Identity{}, rejected("assertion SAML sans identifiant")
	}
	if a.Subject != nil && a.Subject.NameID != nil {
		id.SLOSubject, id.SLOSubjectFormat = a.Subject.NameID.Value, a.Subject.NameID.Format
	}
	for _, st := range a.AuthnStatements {
		if st.SessionIndex != "" {
			id.SLOSession = st.SessionIndex
			break
		}
	}
	until := sp.clock.Now().Add(saml.MaxIssueDelay + saml.MaxClockSkew)
	if a.Conditions != nil && !a.Conditions.NotOnOrAfter.IsZero() {
		until = a.Conditions.NotOnOrAfter.Add(saml.MaxClockSkew)
	}
	id.Used, id.UsedKind, id.UsedUntil = a.ID, "assertion", until
	return id, nil
}

// parseMetadata reads an identity provider's metadata: an
// EntityDescriptor, or the first IdP of an EntitiesDescriptor (a
// federation's file).
func parseMetadata(data []byte) (*saml.EntityDescriptor, error) {
	var one saml.EntityDescriptor
	if err := xml.Unmarshal(data, &one); err == nil {
		if len(one.IDPSSODescriptors) == 0 {
			return nil, errors.New("pas de IDPSSODescriptor")
		}
		return &one, nil
	}
	var many saml.EntitiesDescriptor
	if err := xml.Unmarshal(data, &many); err != nil {
		return nil, err
	}
	for i := range many.EntityDescriptors {
		if len(many.EntityDescriptors[i].IDPSSODescriptors) > 0 {
			return &many.EntityDescriptors[i], nil
		}
	}
	return nil, errors.New("aucun fournisseur d'identité dans les métadonnées")
}

func fetchMetadata(client *http.Client, u string) (*saml.EntityDescriptor, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("statut %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return nil, err
	}
	return parseMetadata(data)
}

// logoutRequest returns the redirection to the identity provider's
// SingleLogoutService with a signed LogoutRequest naming the person
// (NameID, in the format the assertion gave) and the session of the
// sign-in; "" when the provider has no such service.
func (sp *samlSP) logoutRequest(ss sillage.SSOSession) (string, error) {
	loc := sp.sp.GetSLOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" || ss.Subject == "" {
		return "", nil
	}
	req, err := sp.sp.MakeLogoutRequest(loc, ss.Subject, saml.WithSessionIndex(ss.SessionIndex))
	if err != nil {
		return "", err
	}
	if ss.SubjectFormat != "" && ss.SubjectFormat != req.NameID.Format {
		req.NameID.Format = ss.SubjectFormat
		req.Signature = nil
		if err := sp.sp.SignLogoutRequest(req); err != nil {
			return "", err
		}
	}
	u, err := sp.sp.RedirectLogoutRequestURL(req, "")
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// SAMLLogout handles the provider's requests at the single log-out
// service. A LogoutRequest (the person signed out at the provider, or at
// another service) is checked (signature, issuer, destination, dates) and
// ends the Sillage sessions of its NameID, or only those of its
// SessionIndex values; the answer is a LogoutResponse sent back by
// redirection (redirect is then the provider's URL). A LogoutResponse
// answers Sillage's own LogoutRequest: the session had already ended,
// redirect is then "" (back to the sign-in page).
func (s *Service) SAMLLogout(ctx context.Context, r *http.Request, providerID string) (redirect string, ended int, err error) {
	pr, ok := s.providers[providerID]
	if !ok || pr.saml == nil {
		return "", 0, sillage.Errorf(sillage.KindNotFound, "fournisseur SAML inconnu")
	}
	if err := r.ParseForm(); err != nil {
		return "", 0, sillage.Errorf(sillage.KindInvalid, "demande de déconnexion SAML illisible")
	}
	sp := pr.saml.sp
	r2 := r.Clone(ctx)
	slo := sp.SloURL
	r2.URL.Scheme, r2.URL.Host, r2.URL.Path = slo.Scheme, slo.Host, slo.Path
	if r.Form.Get("SAMLResponse") != "" {
		// The answer to Sillage's own LogoutRequest changes nothing here
		// (the session ended before the request left): it is not read,
		// whatever it says, and the browser goes back to the sign-in page.
		return "", 0, nil
	}
	req, err := sp.ValidateLogoutRequest(r2)
	if err != nil {
		reason := samlReason(err)
		s.refused(ctx, pr.Provider, "", refuse("demande de déconnexion unique SAML refusée : "+reason, ""))
		return "", 0, sillage.Errorf(sillage.KindInvalid, "demande de déconnexion SAML refusée")
	}
	if req.NameID == nil || strings.TrimSpace(req.NameID.Value) == "" {
		return "", 0, sillage.Errorf(sillage.KindInvalid, "demande de déconnexion SAML sans NameID")
	}
	err = s.o.Store.Write(ctx, func(tx *store.Tx) error {
		indexes := req.AllSessionIndexes()
		if len(indexes) == 0 {
			n, err := tx.Accounts().EndSSOSessions(ctx, providerID, req.NameID.Value, "")
			ended += n
			return err
		}
		for _, ix := range indexes {
			if ix.Value == "" {
				continue
			}
			n, err := tx.Accounts().EndSSOSessions(ctx, providerID, req.NameID.Value, ix.Value)
			if err != nil {
				return err
			}
			ended += n
		}
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	if sp.GetSLOBindingLocation(saml.HTTPRedirectBinding) == "" {
		return "", ended, nil
	}
	u, err := sp.MakeRedirectLogoutResponse(req.ID, r.Form.Get("RelayState"))
	if err != nil {
		return "", ended, err
	}
	return u.String(), ended, nil
}

// samlReason is the library's private reason of a refused message.
func samlReason(err error) string {
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		return ire.PrivateErr.Error()
	}
	return err.Error()
}
