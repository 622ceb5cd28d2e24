package idptest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"testing"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

func idpMetadata(t *testing.T, p *IdP) (*saml.EntityDescriptor, []byte) {
	t.Helper()
	resp, err := http.Get(p.SAMLMetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	a, err := read(resp)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != http.StatusOK {
		t.Fatalf("metadata: status %d", a.Status)
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(a.Body), &md); err != nil {
		t.Fatalf("metadata is not SAML metadata: %v", err)
	}
	return &md, []byte(a.Body)
}

func TestSAMLMetadataHasSigningKey(t *testing.T) {
	p := FromEnv(t)
	md, _ := idpMetadata(t, p)
	if md.EntityID != p.Base+"/saml/metadata" {
		t.Errorf("entityID = %q", md.EntityID)
	}
	if len(md.IDPSSODescriptors) != 1 {
		t.Fatalf("%d IDPSSODescriptor, want 1", len(md.IDPSSODescriptors))
	}
	idp := md.IDPSSODescriptors[0]
	var certs int
	for _, kd := range idp.KeyDescriptors {
		if kd.Use != "signing" && kd.Use != "" {
			continue
		}
		for _, c := range kd.KeyInfo.X509Data.X509Certificates {
			der, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields([]byte(c.Data)), nil)))
			if err != nil {
				t.Fatalf("signing certificate is not base64: %v", err)
			}
			if _, err := x509.ParseCertificate(der); err != nil {
				t.Fatalf("signing certificate: %v", err)
			}
			certs++
		}
	}
	if certs == 0 {
		t.Fatal("no signing certificate in the metadata")
	}
	var redirect bool
	for _, s := range idp.SingleSignOnServices {
		redirect = redirect || s.Binding == saml.HTTPRedirectBinding
	}
	if !redirect {
		t.Error("no HTTP-Redirect single sign-on service")
	}
}

func serviceProvider(t *testing.T, p *IdP, md *saml.EntityDescriptor, provider string) *saml.ServiceProvider {
	t.Helper()
	acs, _ := url.Parse(p.SAMLACS(provider))
	meta, _ := url.Parse(p.SAMLEntityID(provider))
	key, cert := p.SAMLKeyPair(t)
	return &saml.ServiceProvider{
		EntityID:          p.SAMLEntityID(provider),
		AcsURL:            *acs,
		MetadataURL:       *meta,
		IDPMetadata:       md,
		AuthnNameIDFormat: saml.PersistentNameIDFormat,
		Key:               key,
		Certificate:       cert,
		SignatureMethod:   dsig.RSASHA256SignatureMethod,
	}
}

// samlAnswer signs who in through sp and returns the provider's answer.
func samlAnswer(t *testing.T, p *IdP, sp *saml.ServiceProvider, who Person) (Answer, *saml.AuthnRequest) {
	t.Helper()
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	u, err := req.Redirect("relay-"+who.Login, sp)
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.SignIn(p.Client(), u.String(), who)
	if err != nil {
		t.Fatal(err)
	}
	return a, req
}

// samlSignIn signs who in through sp and returns the SAML response the
// provider posts to the ACS, with the request id it answers.
func samlSignIn(t *testing.T, p *IdP, sp *saml.ServiceProvider, who Person) (responseXML []byte, requestID string) {
	t.Helper()
	a, req := samlAnswer(t, p, sp, who)
	action, fields, err := PostedForm(a.Body)
	if err != nil {
		t.Fatalf("%v (status %d, Location %q)\n%.800s", err, a.Status, a.Location, a.Body)
	}
	if action != sp.AcsURL.String() {
		t.Fatalf("response posted to %q, want %q", action, sp.AcsURL.String())
	}
	if got := fields.Get("RelayState"); got != "relay-"+who.Login {
		t.Errorf("RelayState = %q", got)
	}
	raw, err := base64.StdEncoding.DecodeString(fields.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	return raw, req.ID
}

// details unwraps crewjam/saml's deliberately vague error.
func details(err error) error {
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		return ire.PrivateErr
	}
	return err
}

func assertionValues(a *saml.Assertion) map[string][]string {
	m := map[string][]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				m[at.FriendlyName] = append(m[at.FriendlyName], v.Value)
			}
		}
	}
	for k := range m {
		sort.Strings(m[k])
	}
	return m
}

func TestSAMLSignedAssertionWithEduConnectAttributes(t *testing.T) {
	p := FromEnv(t)
	md, _ := idpMetadata(t, p)
	sp := serviceProvider(t, p, md, ProviderSAML)
	acs := sp.AcsURL
	for _, who := range People {
		t.Run(who.Login, func(t *testing.T) {
			raw, id := samlSignIn(t, p, sp, who)
			a, err := sp.ParseXMLResponse(raw, []string{id}, acs)
			if err != nil {
				t.Fatalf("response refused: %v", details(err))
			}
			if a.Subject == nil || a.Subject.NameID == nil || a.Subject.NameID.Value == "" {
				t.Fatal("no NameID")
			}
			if a.Subject.NameID.Format != string(saml.PersistentNameIDFormat) {
				t.Errorf("NameID format %q", a.Subject.NameID.Format)
			}
			want := map[string][]string{"sn": {who.SN}, "givenName": {who.GivenName}}
			add := func(k string, v ...string) {
				if len(v) > 0 && v[0] != "" {
					s := append([]string(nil), v...)
					sort.Strings(s)
					want[k] = s
				}
			}
			add(AttrEduConnect, who.EduConnectID)
			add(AttrAffiliation, who.Affiliation)
			add(AttrEleveUAI, who.UAI)
			add(AttrINE, who.EduINE()...)
			if who.Profile == "National_ENS" {
				add(AttrJointure, who.Jointure)
			}
			got := assertionValues(a)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("attributes:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestSAMLRefusals(t *testing.T) {
	p := FromEnv(t)
	md, _ := idpMetadata(t, p)
	sp := serviceProvider(t, p, md, ProviderSAML)
	acs := sp.AcsURL
	raw, id := samlSignIn(t, p, sp, Student)
	if _, err := sp.ParseXMLResponse(raw, []string{id}, acs); err != nil {
		t.Fatalf("genuine response refused: %v", details(err))
	}

	// A changed attribute breaks the signature.
	tampered := bytes.Replace(raw, []byte(Student.INE), []byte("990000009ZZ"), 1)
	if bytes.Equal(tampered, raw) {
		t.Fatal("the INE is not in the response")
	}
	if _, err := sp.ParseXMLResponse(tampered, []string{id}, acs); err == nil {
		t.Error("tampered response accepted")
	}

	// Another service provider is not the audience.
	other := *sp
	other.EntityID = p.SPBase + "/autre"
	if _, err := other.ParseXMLResponse(raw, []string{id}, acs); err == nil {
		t.Error("response accepted by another audience")
	}

	// The provider checks the requests' signatures: an unsigned request,
	// or one signed with another key, gets no response.
	unsigned := *sp
	unsigned.SignatureMethod = ""
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := *sp
	wrongKey.Key = otherKey
	for name, bad := range map[string]*saml.ServiceProvider{"unsigned": &unsigned, "other key": &wrongKey} {
		a, _ := samlAnswer(t, p, bad, Student)
		if _, fields, err := PostedForm(a.Body); err == nil && fields.Get("SAMLResponse") != "" {
			t.Errorf("%s request: the provider answered with a SAML response", name)
		}
	}

	// An answer to another request is refused.
	if _, err := sp.ParseXMLResponse(raw, []string{"id-other"}, acs); err == nil {
		t.Error("response accepted for another request id")
	}
}

// TestSAMLEncryptedAssertion: for its second entity the provider encrypts
// the signed assertion for Sillage's certificate; only Sillage's key opens
// it, and the INEs travel only inside.
func TestSAMLEncryptedAssertion(t *testing.T) {
	p := FromEnv(t)
	md, _ := idpMetadata(t, p)
	sp := serviceProvider(t, p, md, ProviderSAMLEncrypted)
	for _, who := range []Person{Student, Parent} {
		t.Run(who.Login, func(t *testing.T) {
			raw, id := samlSignIn(t, p, sp, who)
			if !bytes.Contains(raw, []byte("EncryptedAssertion")) {
				t.Fatal("the response carries no encrypted assertion")
			}
			for _, ine := range who.EduINE() {
				if bytes.Contains(raw, []byte(ine)) {
					t.Fatal("an INE is readable in the encrypted response")
				}
			}
			a, err := sp.ParseXMLResponse(raw, []string{id}, sp.AcsURL)
			if err != nil {
				t.Fatalf("encrypted response refused: %v", details(err))
			}
			got := assertionValues(a)[AttrINE]
			want := append([]string(nil), who.EduINE()...)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %v, want %v", AttrINE, got, want)
			}

			// Another key cannot open it.
			other, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			stranger := *sp
			stranger.Key = other
			if _, err := stranger.ParseXMLResponse(raw, []string{id}, sp.AcsURL); err == nil {
				t.Error("the assertion opened with another key")
			}
		})
	}
}
