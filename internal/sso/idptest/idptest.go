// Package idptest knows the identity provider the SSO tests sign in
// through: LemonLDAP::NG, installed and configured by .ci/idp/setup.sh as
// CAS 3.0 server, SAML 2.0 identity provider and OpenID Connect provider,
// with three test people (a student, a parent, a teacher).
//
// SILLAGE_TEST_IDP holds the provider's base URL (http://127.0.0.1:8099);
// tests skip when it is unset, unless SILLAGE_REQUIRE_IDP=1 (CI), which
// turns the skip into a failure. SILLAGE_TEST_IDP_SP is the Sillage the
// provider knows as its client (http://127.0.0.1:8098 unless set): its CAS
// service, SAML entity and OIDC redirect URI are under that base.
package idptest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// Person is one test identity of the provider (.ci/idp/users.sql). The
// INEs and jointure ids are synthetic and belong to nobody.
type Person struct {
	Login, Password string
	GivenName, SN   string
	Mail            string
	Profile         string   // ENT profile: National_ELV, National_TUT, National_ENS
	Affiliation     string   // EduConnect FrEduCtPersonAffiliation ("" for staff)
	EduConnectID    string   // EduConnect FrEduCtId ("" for staff)
	Jointure        string   // AAF jointure id
	UAI             string   // the establishment
	INE             string   // the student's own INE ("" otherwise)
	ChildrenINE     []string // a parent's children's INEs (nil otherwise)
}

// The test people, as .ci/idp/users.sql declares them.
var (
	Student = Person{
		Login: "eleve.sillage", Password: "Sillage-Test-2026",
		GivenName: "Léa", SN: "MARTIN", Mail: "lea.martin@example.test",
		Profile: "National_ELV", Affiliation: "eleve2d", EduConnectID: "ect-eleve-0001",
		Jointure: "9100001", UAI: "0999001W", INE: "990000001AB",
	}
	Parent = Person{
		Login: "parent.sillage", Password: "Sillage-Test-2026",
		GivenName: "Claire", SN: "MARTIN", Mail: "claire.martin@example.test",
		Profile: "National_TUT", Affiliation: "resp2d", EduConnectID: "ect-resp-0001",
		Jointure: "9100002", UAI: "0999001W", ChildrenINE: []string{"990000001AB", "990000002CD"},
	}
	Teacher = Person{
		Login: "prof.sillage", Password: "Sillage-Test-2026",
		GivenName: "Paul", SN: "DURAND", Mail: "paul.durand@example.test",
		Profile: "National_ENS", Jointure: "9100003", UAI: "0999001W",
	}
	People = []Person{Student, Parent, Teacher}
	// Unknown is a student the provider knows and Sillage's tests do not
	// create: signing in as them must be refused.
	Unknown = Person{
		Login: "inconnu.sillage", Password: "Sillage-Test-2026",
		GivenName: "Noé", SN: "ABSENT", Mail: "noe.absent@example.test",
		Profile: "National_ELV", Affiliation: "eleve2d", EduConnectID: "ect-eleve-0099",
		Jointure: "9100099", UAI: "0999001W", INE: "990000099ZZ",
	}
)

// CN is the person's display name as the provider releases it.
func (p Person) CN() string { return p.GivenName + " " + titleCase(p.SN) }

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return s[:1] + strings.ToLower(s[1:])
}

// The OpenID Connect client Sillage is declared as.
const (
	OIDCClientID     = "sillage"
	OIDCClientSecret = "sillage-ci-secret"
	OIDCScopeSillage = "sillage" // the scope that releases the claims below
)

// Provider ids Sillage's configuration gives the three protocols of the
// provider; they are in Sillage's SSO URLs (/sso/<protocol>/<id>/…).
const (
	ProviderCAS  = "lemon-cas"
	ProviderSAML = "lemon-saml"
	// ProviderSAMLEncrypted is the same SAML IdP for a second Sillage
	// entity, whose assertions it encrypts (as EduConnect does).
	ProviderSAMLEncrypted = "lemon-saml-chiffre"
	ProviderOIDC          = "lemon-oidc"
)

// The names the provider releases attributes under. CAS (an ENT) releases
// the AAF jointure id for everyone; SAML (EduConnect) the INE of a student,
// or a parent's children's, and the jointure id for staff only; OpenID
// Connect (an académie portal) both kinds.
const (
	AttrJointure    = "ENTPersonJointure"        // CAS, SAML (staff), OIDC
	AttrProfile     = "ENTPersonProfils"         // CAS, OIDC
	AttrUAI         = "ENTPersonStructRattach"   // CAS, OIDC
	AttrINE         = "FrEduCtEleveINE"          // SAML, OIDC (list)
	AttrAffiliation = "FrEduCtPersonAffiliation" // SAML, OIDC
	AttrEduConnect  = "FrEduCtId"                // SAML
	AttrEleveUAI    = "FrEduCtEleveUAI"          // SAML
)

// EduINE is what the provider releases as FrEduCtEleveINE for p.
func (p Person) EduINE() []string {
	if p.INE != "" {
		return []string{p.INE}
	}
	return p.ChildrenINE
}

// IdP is the running provider.
type IdP struct {
	Base   string // the portal, without a trailing slash
	SPBase string // the Sillage the provider knows, without a trailing slash
	// SPKeys is the folder of Sillage's SAML test key pair (sp.key,
	// sp.crt) that the provider knows: it checks the requests signed with
	// it. SILLAGE_TEST_IDP_SP_KEYS, by default setup.sh's.
	SPKeys string
}

// FromEnv returns the provider named by SILLAGE_TEST_IDP, or skips the test
// (fails it under SILLAGE_REQUIRE_IDP=1).
func FromEnv(t testing.TB) *IdP {
	t.Helper()
	base := os.Getenv("SILLAGE_TEST_IDP")
	if base == "" {
		if os.Getenv("SILLAGE_REQUIRE_IDP") == "1" {
			t.Fatal("SILLAGE_REQUIRE_IDP=1 but SILLAGE_TEST_IDP is not set (.ci/idp/setup.sh)")
		}
		t.Skip("no identity provider (SILLAGE_TEST_IDP unset; .ci/idp/setup.sh starts one)")
	}
	sp := os.Getenv("SILLAGE_TEST_IDP_SP")
	if sp == "" {
		sp = "http://127.0.0.1:8098"
	}
	keys := os.Getenv("SILLAGE_TEST_IDP_SP_KEYS")
	if keys == "" {
		keys = "/var/lib/sillage-idp/sp"
	}
	return &IdP{Base: strings.TrimRight(base, "/"), SPBase: strings.TrimRight(sp, "/"), SPKeys: keys}
}

// CASBase is the CAS server's prefix (login, p3/serviceValidate, logout).
func (p *IdP) CASBase() string { return p.Base + "/cas" }

// CASService is the service URL of Sillage's CAS callback.
func (p *IdP) CASService() string { return p.SPBase + "/sso/cas/" + ProviderCAS + "/callback" }

// SAMLMetadataURL is where the identity provider's metadata is served.
func (p *IdP) SAMLMetadataURL() string { return p.Base + "/saml/metadata" }

// SAMLEntityID is the entity id Sillage is declared under for provider
// (ProviderSAML or ProviderSAMLEncrypted).
func (p *IdP) SAMLEntityID(provider string) string {
	return p.SPBase + "/sso/saml/" + provider + "/metadata"
}

// SAMLKeyFiles returns the paths of Sillage's SAML test key pair (PEM).
func (p *IdP) SAMLKeyFiles() (keyFile, certFile string) {
	return filepath.Join(p.SPKeys, "sp.key"), filepath.Join(p.SPKeys, "sp.crt")
}

// SAMLKeyPair reads Sillage's SAML test key pair.
func (p *IdP) SAMLKeyPair(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	keyFile, certFile := p.SAMLKeyFiles()
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatalf("the SP test key (.ci/idp/setup.sh makes it): %v", err)
	}
	cb, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatalf("the SP test certificate: %v", err)
	}
	kblock, _ := pem.Decode(kb)
	cblock, _ := pem.Decode(cb)
	if kblock == nil || cblock == nil {
		t.Fatal("the SP test key pair is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(kblock.Bytes)
	if err != nil {
		t.Fatalf("the SP test key: %v", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("the SP test key is a %T, not RSA", k)
	}
	cert, err := x509.ParseCertificate(cblock.Bytes)
	if err != nil {
		t.Fatalf("the SP test certificate: %v", err)
	}
	return key, cert
}

// SAMLACS is Sillage's assertion consumer service (HTTP-POST) for provider.
func (p *IdP) SAMLACS(provider string) string { return p.SPBase + "/sso/saml/" + provider + "/acs" }

// OIDCIssuer is the OpenID Connect issuer (discovery under it).
func (p *IdP) OIDCIssuer() string { return p.Base }

// OIDCRedirectURI is the redirect URI Sillage is declared with.
func (p *IdP) OIDCRedirectURI() string { return p.SPBase + "/sso/oidc/" + ProviderOIDC + "/callback" }

// Client is an HTTP client with a cookie jar that does not follow
// redirections to Sillage (SPBase), so a test sees where the provider sends
// the browser.
func (p *IdP) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:     jar,
		Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), p.SPBase+"/") || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// Answer is what the provider sent back after a sign-in: a redirection
// (Location) or a page (Body), e.g. the form that posts a SAML response.
type Answer struct {
	Status   int
	Location string
	Body     string
}

// SignIn opens start (a CAS login, SAML SSO or OIDC authorization URL) with
// c, fills the provider's login form with who's credentials, and returns
// the provider's answer to the form.
func (p *IdP) SignIn(c *http.Client, start string, who Person) (Answer, error) {
	page, err := get(c, start)
	if err != nil {
		return Answer{}, err
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page.Body))
	if err != nil {
		return Answer{}, err
	}
	form := doc.Find("form#lform")
	if form.Length() == 0 {
		return Answer{}, fmt.Errorf("no login form at %s (status %d): %.300s", start, page.Status, page.Body)
	}
	values := url.Values{}
	form.Find("input").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		typ, _ := in.Attr("type")
		if name == "" || typ == "checkbox" {
			return
		}
		v, _ := in.Attr("value")
		values.Set(name, v)
	})
	values.Set("user", who.Login)
	values.Set("password", who.Password)
	action, _ := form.Attr("action")
	target, err := resolve(page.URL, action)
	if err != nil {
		return Answer{}, err
	}
	resp, err := c.PostForm(target, values)
	if err != nil {
		return Answer{}, err
	}
	return read(resp)
}

type page struct {
	Answer
	URL string
}

func get(c *http.Client, u string) (page, error) {
	resp, err := c.Get(u)
	if err != nil {
		return page{}, err
	}
	a, err := read(resp)
	return page{Answer: a, URL: resp.Request.URL.String()}, err
}

func read(resp *http.Response) (Answer, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return Answer{}, err
	}
	return Answer{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b)}, nil
}

func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if ref == "" || ref == "#" {
		return b.String(), nil
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// PostedForm reads the self-submitting form a provider answers with (SAML
// HTTP-POST binding): its action and its hidden fields.
func PostedForm(body string) (action string, fields url.Values, err error) {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	form := doc.Find("form").FilterFunction(func(_ int, f *goquery.Selection) bool {
		return f.Find(`input[name="SAMLResponse"], input[name="SAMLRequest"]`).Length() > 0
	}).First()
	if form.Length() == 0 {
		return "", nil, errors.New("no form carrying a SAML message in the page")
	}
	action, _ = form.Attr("action")
	fields = url.Values{}
	form.Find("input").Each(func(_ int, in *goquery.Selection) {
		if name, ok := in.Attr("name"); ok && name != "" {
			v, _ := in.Attr("value")
			fields.Set(name, v)
		}
	})
	return action, fields, nil
}

// ListenSP listens on SPBase's address for a test's Sillage (the provider
// only knows that one). Test binaries of several packages may run at once:
// a busy address is tried again until it is free, up to a minute.
func (p *IdP) ListenSP(t testing.TB) net.Listener {
	t.Helper()
	u, err := url.Parse(p.SPBase)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		l, err := net.Listen("tcp", u.Host)
		if err == nil {
			t.Cleanup(func() { l.Close() })
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen on %s for the SSO tests: %v", u.Host, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
