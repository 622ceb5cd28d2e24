package idptest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// casResponse is a CAS 3.0 serviceValidate answer.
type casResponse struct {
	Success *struct {
		User       string `xml:"user"`
		Attributes struct {
			Any []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"attributes"`
	} `xml:"authenticationSuccess"`
	Failure *struct {
		Code string `xml:"code,attr"`
	} `xml:"authenticationFailure"`
}

func (r casResponse) attrs() map[string][]string {
	m := map[string][]string{}
	if r.Success == nil {
		return m
	}
	for _, a := range r.Success.Attributes.Any {
		m[a.XMLName.Local] = append(m[a.XMLName.Local], strings.TrimSpace(a.Value))
	}
	for k := range m {
		sort.Strings(m[k])
	}
	return m
}

func serviceValidate(t *testing.T, p *IdP, service, ticket string) casResponse {
	t.Helper()
	r, err := validate(p, service, ticket)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// validate calls CAS 3.0 serviceValidate (safe off the test's goroutine).
func validate(p *IdP, service, ticket string) (casResponse, error) {
	q := url.Values{"service": {service}, "ticket": {ticket}}
	resp, err := http.Get(p.CASBase() + "/p3/serviceValidate?" + q.Encode())
	if err != nil {
		return casResponse{}, err
	}
	a, err := read(resp)
	if err != nil {
		return casResponse{}, err
	}
	var r casResponse
	if err := xml.Unmarshal([]byte(a.Body), &r); err != nil {
		return casResponse{}, fmt.Errorf("serviceValidate answer is not CAS XML: %v\n%s", err, a.Body)
	}
	return r, nil
}

func casLogin(t *testing.T, p *IdP, service string, who Person) (ticket string, a Answer) {
	t.Helper()
	a, err := p.SignIn(p.Client(), p.CASBase()+"/login?"+url.Values{"service": {service}}.Encode(), who)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != http.StatusFound || !strings.HasPrefix(a.Location, service+"?ticket=") {
		return "", a
	}
	return strings.TrimPrefix(a.Location, service+"?ticket="), a
}

func TestCASServiceValidateReleasesAttributes(t *testing.T) {
	p := FromEnv(t)
	for _, who := range People {
		t.Run(who.Login, func(t *testing.T) {
			ticket, a := casLogin(t, p, p.CASService(), who)
			if ticket == "" {
				t.Fatalf("no ticket: status %d, Location %q\n%.500s", a.Status, a.Location, a.Body)
			}
			r := serviceValidate(t, p, p.CASService(), ticket)
			if r.Success == nil {
				t.Fatalf("serviceValidate refused a fresh ticket: %+v", r.Failure)
			}
			if r.Success.User != who.Login {
				t.Errorf("user = %q, want %q", r.Success.User, who.Login)
			}
			want := map[string][]string{
				"cn": {who.CN()}, "sn": {who.SN}, "givenName": {who.GivenName}, "mail": {who.Mail},
				AttrProfile: {who.Profile}, AttrJointure: {who.Jointure}, AttrUAI: {who.UAI},
			}
			if got := r.attrs(); !reflect.DeepEqual(got, want) {
				t.Errorf("attributes:\n got %v\nwant %v", got, want)
			}

			// A service ticket is good once.
			again := serviceValidate(t, p, p.CASService(), ticket)
			if again.Success != nil || again.Failure == nil || again.Failure.Code != "INVALID_TICKET" {
				t.Errorf("replayed ticket: got %+v, want INVALID_TICKET", again)
			}
		})
	}
}

func TestCASRefusals(t *testing.T) {
	p := FromEnv(t)

	// A ticket is bound to its service.
	ticket, a := casLogin(t, p, p.CASService(), Student)
	if ticket == "" {
		t.Fatalf("no ticket: %d %q", a.Status, a.Location)
	}
	if r := serviceValidate(t, p, p.SPBase+"/autre", ticket); r.Success != nil {
		t.Errorf("ticket validated for another service: %+v", r.Success)
	}

	// A service that is not Sillage's gets no ticket (access control policy).
	foreign := "http://127.0.0.1:1/x"
	if tk, a := casLogin(t, p, foreign, Student); tk != "" || strings.Contains(a.Location, "ticket=") {
		t.Errorf("foreign service got a ticket: %d %q", a.Status, a.Location)
	}

	// A wrong password gets no ticket.
	bad := Student
	bad.Password = "wrong"
	if tk, a := casLogin(t, p, p.CASService(), bad); tk != "" {
		t.Errorf("wrong password got a ticket: %d %q", a.Status, a.Location)
	}

	// A made-up ticket is refused.
	if r := serviceValidate(t, p, p.CASService(), "ST-0000"); r.Success != nil || r.Failure == nil {
		t.Errorf("made-up ticket: %+v", r)
	}
}
