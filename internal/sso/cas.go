package sso

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
)

// The CAS 3.0 protocol is two requests: the browser goes to /login with
// the service URL and comes back with a ticket; Sillage checks the ticket
// at /p3/serviceValidate with the same service URL and reads the user and
// the attributes. The answer is plain XML over TLS (no signature), so
// encoding/xml reads it.

type casResponse struct {
	XMLName xml.Name    `xml:"serviceResponse"`
	Success *casSuccess `xml:"authenticationSuccess"`
	Failure *struct {
		Code    string `xml:"code,attr"`
		Message string `xml:",chardata"`
	} `xml:"authenticationFailure"`
}

type casSuccess struct {
	User       string `xml:"user"`
	Attributes struct {
		Items []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"attributes"`
}

// attrs returns the attributes by local name (several values kept).
func (c *casSuccess) attrs() map[string][]string {
	out := map[string][]string{}
	for _, it := range c.Attributes.Items {
		out[it.XMLName.Local] = append(out[it.XMLName.Local], strings.TrimSpace(it.Value))
	}
	return out
}

// casValidate checks a service ticket with the CAS server.
func (s *Service) casValidate(ctx context.Context, p Provider, ticket, state string) (Identity, error) {
	if ticket == "" {
		return Identity{}, rejected("réponse CAS sans ticket")
	}
	q := url.Values{"service": {s.CASService(p, state)}, "ticket": {ticket}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(p.CASURL, "/")+"/p3/serviceValidate?"+q.Encode(), nil)
	if err != nil {
		return Identity{}, err
	}
	resp, err := s.o.HTTPClient.Do(req)
	if err != nil {
		return Identity{}, fmt.Errorf("CAS serviceValidate: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Identity{}, fmt.Errorf("CAS serviceValidate: status %d", resp.StatusCode)
	}
	var cr casResponse
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&cr); err != nil {
		return Identity{}, fmt.Errorf("CAS serviceValidate: réponse illisible : %w", err)
	}
	if cr.Success == nil {
		code := "réponse sans succès"
		if cr.Failure != nil {
			code = cr.Failure.Code
		}
		return Identity{}, rejected("ticket CAS refusé par le serveur : " + code)
	}
	if strings.TrimSpace(cr.Success.User) == "" {
		return Identity{}, rejected("réponse CAS sans utilisateur")
	}
	id := identityFrom(p, cr.Success.attrs())
	id.Subject = strings.TrimSpace(cr.Success.User)
	if p.Attributes.Subject != "" {
		id.Subject = first(cr.Success.attrs()[p.Attributes.Subject])
	}
	id.Used, id.UsedKind, id.UsedUntil = ticket, "ticket", s.o.Clock.Now().Add(usedTTL)
	return id, nil
}

// identityFrom reads the configured attributes. The INE values are sealed
// at once.
func identityFrom(p Provider, attrs map[string][]string) Identity {
	a := p.Attributes
	id := Identity{
		Jointure:    first(attrs[a.Jointure]),
		Affiliation: first(attrs[a.Affiliation]),
		LastName:    first(attrs[a.LastName]),
		FirstName:   first(attrs[a.FirstName]),
	}
	for _, v := range attrs[a.INE] {
		if v != "" {
			id.INEs = append(id.INEs, ident.RawINE(v))
		}
	}
	return id
}

func first(vs []string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

type casLogoutRequest struct {
	XMLName      xml.Name `xml:"LogoutRequest"`
	SessionIndex string   `xml:"SessionIndex"`
}

// CASLogout handles the CAS server's back-channel single log-out: the
// logoutRequest names the ticket of the sign-in, whose Sillage session
// ends. It reports whether a session ended.
func (s *Service) CASLogout(ctx context.Context, providerID, logoutRequest string) (bool, error) {
	pr, ok := s.providers[providerID]
	if !ok || pr.Protocol != CAS {
		return false, sillage.Errorf(sillage.KindNotFound, "fournisseur d'identité inconnu")
	}
	var lr casLogoutRequest
	if err := xml.Unmarshal([]byte(logoutRequest), &lr); err != nil || strings.TrimSpace(lr.SessionIndex) == "" {
		return false, sillage.Errorf(sillage.KindInvalid, "demande de déconnexion CAS illisible")
	}
	ended := false
	err := s.o.Store.Write(ctx, func(tx *store.Tx) (err error) {
		ended, err = tx.Accounts().EndSSOSession(ctx, providerID, "ticket", hashOf(strings.TrimSpace(lr.SessionIndex)))
		return err
	})
	return ended, err
}
