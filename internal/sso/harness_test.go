package sso

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

const (
	uaiA      = sillage.UAI("0860012W")
	uaiB      = sillage.UAI("0010856A")
	ineLea    = "999000001HA" // Léa Durand, student of A
	ineTwin   = "999000002JA" // two students of A share its unqid (a duplicate import)
	ineNobody = "9990000012R"
	baseURL   = "https://sillage.test"
)

// world is an establishment with a teacher (AAF join id), a student
// (hashed INE) with two legal guardians, all with accounts, and the
// three providers running in-process.
type world struct {
	t       *testing.T
	st      *store.Store
	clock   *storetest.Clock
	svc     *Service
	kr      ident.Keyring
	teacher sillage.Person
	student sillage.Student
	mother  sillage.Person
	father  sillage.Person
	cas     *fakeCAS
	idp     *fakeIdP
	op      *fakeOP
}

func newWorld(t *testing.T, st *store.Store, clock *storetest.Clock) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: st, clock: clock}
	kr, err := ident.NewKeyring(map[int][]byte{1: []byte("clé de test des INE, 32 octets !")})
	if err != nil {
		t.Fatal(err)
	}
	w.kr = kr
	unqids := func(ine string) []string {
		us, err := kr.Unqids(ident.RawINE(ine))
		if err != nil {
			t.Fatal(err)
		}
		return us
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		for _, u := range []sillage.UAI{uaiA, uaiB} {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP}); err != nil {
				return err
			}
		}
		person := func(p *sillage.Person, login string) error {
			acc := sillage.Account{Login: login, MustChangePassword: true}
			if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
				return err
			}
			p.AccountID = acc.ID
			return tx.People().CreatePerson(ctx, uaiA, p)
		}
		w.teacher = sillage.Person{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: "Anne", Source: sillage.SourceSTS, AAFID: "AAF-T1"}
		if err := person(&w.teacher, "a.martin"); err != nil {
			return err
		}
		w.mother = sillage.Person{Role: sillage.RoleParent, LastName: "Durand", FirstName: "Hélène", Source: sillage.SourceSIECLE, SIECLEID: "R1"}
		if err := person(&w.mother, "h.durand"); err != nil {
			return err
		}
		w.father = sillage.Person{Role: sillage.RoleParent, LastName: "Lefèvre-Durand", FirstName: "Paul", Source: sillage.SourceSIECLE, SIECLEID: "R2"}
		if err := person(&w.father, "p.lefevre"); err != nil {
			return err
		}
		acc := sillage.Account{Login: "l.durand"}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return err
		}
		w.student = sillage.Student{Person: sillage.Person{LastName: "Durand", FirstName: "Léa", Source: sillage.SourceSIECLE, SIECLEID: "E1", AccountID: acc.ID},
			Unqid: unqids(ineLea)[0]}
		if err := tx.People().CreateStudent(ctx, uaiA, &w.student); err != nil {
			return err
		}
		for _, g := range []int64{w.mother.ID, w.father.ID} {
			if err := tx.People().LinkGuardian(ctx, uaiA, sillage.Guardianship{ParentID: g, StudentID: w.student.ID, Legal: true}); err != nil {
				return err
			}
		}
		for i := range 2 {
			twin := sillage.Student{Person: sillage.Person{LastName: "Jumeau", FirstName: string(rune('A' + i)), Source: sillage.SourceSIECLE,
				SIECLEID: "T" + string(rune('1'+i))}, Unqid: unqids(ineTwin)[0]}
			if err := tx.People().CreateStudent(ctx, uaiA, &twin); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	w.cas = newFakeCAS(t)
	w.idp = newFakeIdP(t, clock)
	w.op = newFakeOP(t, clock)
	dir := t.TempDir()
	spKey, spCert := keyPair(t, "sillage")
	keyFile, certFile := filepath.Join(dir, "sp.key"), filepath.Join(dir, "sp.crt")
	writePEM(t, keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(spKey))
	writePEM(t, certFile, "CERTIFICATE", spCert.Raw)
	mdFile := filepath.Join(dir, "idp.xml")
	md, err := xml.Marshal(w.idp.idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mdFile, md, 0o600); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(w.op.secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	providers := []Provider{
		{ID: "ent", Protocol: CAS, Label: "l'ENT", CASURL: w.cas.srv.URL + "/cas"},
		{ID: "educonnect", Protocol: SAML, Label: "ÉduConnect", SAMLIdPMetadataFile: mdFile, SAMLKeyFile: keyFile, SAMLCertFile: certFile},
		{ID: "portail", Protocol: OIDC, Label: "le portail académique", OIDCIssuer: w.op.srv.URL, OIDCClientID: "sillage",
			OIDCClientSecretFile: secretFile},
	}
	w.svc, err = New(Options{Providers: providers, Store: st, Clock: clock,
		Sessions: &auth.Sessions{Store: st, Clock: clock, Idle: 30 * time.Minute},
		Keyring:  func(context.Context) (ident.Keyring, error) { return kr, nil }, BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	spMD, err := w.svc.Metadata("educonnect")
	if err != nil {
		t.Fatal(err)
	}
	var spED saml.EntityDescriptor
	if err := xml.Unmarshal(spMD, &spED); err != nil {
		t.Fatal(err)
	}
	w.idp.sp = &spED
	if err := w.svc.SetEnabled(ctx, auditOperator, uaiA, []string{"ent", "educonnect", "portail"}); err != nil {
		t.Fatal(err)
	}
	return w
}

var auditOperator = audit.Actor{Role: "operator", Name: "opérateur"}

// begin starts a sign-in and returns the provider's URL and the state cookie.
func (w *world) begin(provider string) (*url.URL, string) {
	w.t.Helper()
	redirect, state, err := w.svc.Begin(context.Background(), provider, uaiA, "/mon-livret")
	if err != nil {
		w.t.Fatal(err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		w.t.Fatal(err)
	}
	return u, state
}

// --- CAS: an httptest server answering serviceValidate. ---

type casUser struct {
	user  string
	attrs map[string][]string
}

type fakeCAS struct {
	srv     *httptest.Server
	mu      sync.Mutex
	tickets map[string]casUser // ticket → user (the fake never consumes them: Sillage must)
	service map[string]string  // ticket → the service it was issued for
	n       int
}

func newFakeCAS(t *testing.T) *fakeCAS {
	f := &fakeCAS{tickets: map[string]casUser{}, service: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cas/p3/serviceValidate" {
			http.NotFound(w, r)
			return
		}
		f.mu.Lock()
		u, ok := f.tickets[r.URL.Query().Get("ticket")]
		svc := f.service[r.URL.Query().Get("ticket")]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		switch {
		case !ok:
			w.Write([]byte(`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="INVALID_TICKET">inconnu</cas:authenticationFailure></cas:serviceResponse>`))
		case svc != r.URL.Query().Get("service"):
			w.Write([]byte(`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="INVALID_SERVICE">service</cas:authenticationFailure></cas:serviceResponse>`))
		default:
			var b strings.Builder
			b.WriteString(`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>` + html.EscapeString(u.user) + `</cas:user><cas:attributes>`)
			for k, vs := range u.attrs {
				for _, v := range vs {
					b.WriteString("<cas:" + k + ">" + html.EscapeString(v) + "</cas:" + k + ">")
				}
			}
			b.WriteString(`</cas:attributes></cas:authenticationSuccess></cas:serviceResponse>`)
			w.Write([]byte(b.String()))
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// login issues a ticket for the service found in the login URL, as the
// CAS server does after the user typed their password.
func (f *fakeCAS) login(t *testing.T, loginURL *url.URL, u casUser) string {
	t.Helper()
	if loginURL.Path != "/cas/login" {
		t.Fatalf("login URL %s", loginURL)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	ticket := "ST-" + string(rune('0'+f.n)) + "-secret"
	f.tickets[ticket] = u
	f.service[ticket] = loginURL.Query().Get("service")
	return ticket
}

// --- SAML: crewjam/saml's IdentityProvider signing real assertions. ---

type fakeIdP struct {
	srv     *httptest.Server
	idp     *saml.IdentityProvider
	sp      *saml.EntityDescriptor
	session *saml.Session
	// audience, when set, replaces the SP's entity id in the assertions.
	audience string
	// plain hides the SP's encryption key: the assertion is not encrypted
	// (so that a test can strip its signature).
	plain bool
}

func (f *fakeIdP) GetServiceProvider(r *http.Request, id string) (*saml.EntityDescriptor, error) {
	if f.sp == nil || id != f.sp.EntityID {
		return nil, os.ErrNotExist
	}
	sp := *f.sp
	if f.audience != "" {
		sp.EntityID = f.audience
	}
	if f.plain {
		sp.SPSSODescriptors = slices.Clone(sp.SPSSODescriptors)
		for i := range sp.SPSSODescriptors {
			d := &sp.SPSSODescriptors[i]
			d.KeyDescriptors = slices.DeleteFunc(slices.Clone(d.KeyDescriptors), func(k saml.KeyDescriptor) bool { return k.Use == "encryption" })
		}
	}
	return &sp, nil
}

func (f *fakeIdP) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	return f.session
}

func newFakeIdP(t *testing.T, clock *storetest.Clock) *fakeIdP {
	key, cert := keyPair(t, "idp")
	f := &fakeIdP{}
	f.srv = httptest.NewServer(nil)
	t.Cleanup(f.srv.Close)
	md, _ := url.Parse(f.srv.URL + "/metadata")
	sso, _ := url.Parse(f.srv.URL + "/sso")
	slo, _ := url.Parse(f.srv.URL + "/slo")
	f.idp = &saml.IdentityProvider{
		Key: key, Signer: key, Certificate: cert,
		MetadataURL: *md, SSOURL: *sso, LogoutURL: *slo,
		ServiceProviderProvider: f, SessionProvider: f,
		Clock: dsig.NewFakeClock(clockAdapter{clockworkReal: newRealClock(), c: clock}),
	}
	f.srv.Config.Handler = f.idp.Handler()
	return f
}

// answer sends the AuthnRequest to the IdP as the browser would, and
// returns the auto-submitted form's SAMLResponse and RelayState.
func (f *fakeIdP) answer(t *testing.T, sso *url.URL, s *saml.Session) (string, string) {
	t.Helper()
	f.session = s
	resp, err := http.Get(sso.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := new(strings.Builder)
	if _, err := io.Copy(body, resp.Body); err != nil {
		t.Fatal(err)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(body.String())
		if m == nil {
			t.Fatalf("no %s in the IdP's answer (%d): %.300s", name, resp.StatusCode, body.String())
		}
		return html.UnescapeString(m[1])
	}
	return field("SAMLResponse"), field("RelayState")
}

func educonnectSession(nameID string, attrs map[string][]string) *saml.Session {
	s := &saml.Session{ID: "sess-" + nameID, Index: "idx-" + nameID, NameID: nameID, NameIDFormat: string(saml.PersistentNameIDFormat)}
	for k, vs := range attrs {
		a := saml.Attribute{FriendlyName: k, Name: "urn:test:" + k, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}
		for _, v := range vs {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		s.CustomAttributes = append(s.CustomAttributes, a)
	}
	return s
}

// acsRequest is the browser's POST of the form to Sillage.
func acsRequest(samlResponse, relayState string) *http.Request {
	form := url.Values{"SAMLResponse": {samlResponse}, "RelayState": {relayState}}
	r := httptest.NewRequest(http.MethodPost, baseURL+"/sso/saml/educonnect/acs", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// --- OpenID Connect: a small provider signing real JWTs with go-jose. ---

type fakeOP struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	secret string
	clock  *storetest.Clock
	mu     sync.Mutex
	codes  map[string]opGrant
	// tamper, when set, changes the claims before signing.
	tamper func(c map[string]any)
	// signer, when set, signs instead of the published key.
	signer *rsa.PrivateKey
}

type opGrant struct {
	challenge, nonce string
	claims           map[string]any
}

func newFakeOP(t *testing.T, clock *storetest.Clock) *fakeOP {
	key, _ := keyPair(t, "op")
	f := &fakeOP{key: key, secret: "secret-du-client", clock: clock, codes: map[string]opGrant{}}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/authorize", "token_endpoint": f.srv.URL + "/token",
			"jwks_uri": f.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"end_session_endpoint": f.srv.URL + "/logout",
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		f.mu.Lock()
		g, found := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case id != "sillage" || secret != f.secret:
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		case !found || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		now := f.clock.Now()
		claims := map[string]any{"iss": f.srv.URL, "aud": "sillage", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
		for k, v := range g.claims {
			claims[k] = v
		}
		if f.tamper != nil {
			f.tamper(claims)
		}
		signKey := f.key
		if f.signer != nil {
			signKey = f.signer
		}
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: signKey, KeyID: "k1"}}, nil)
		if err != nil {
			t.Error(err)
			return
		}
		raw, err := jwt.Signed(sig).Claims(claims).Serialize()
		if err != nil {
			t.Error(err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": raw})
	})
	return f
}

// authorize plays the user's sign-in at the provider: it checks the
// request and returns the callback Sillage receives.
func (f *fakeOP) authorize(t *testing.T, auth *url.URL, claims map[string]any) *http.Request {
	t.Helper()
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" ||
		q.Get("response_type") != "code" || q.Get("client_id") != "sillage" {
		t.Fatalf("authorization request lacks PKCE, nonce or state: %s", auth)
	}
	code := "code-" + q.Get("state")[:8]
	f.mu.Lock()
	f.codes[code] = opGrant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), claims: claims}
	f.mu.Unlock()
	cb := q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	return httptest.NewRequest(http.MethodGet, cb, nil)
}

// --- keys ---

func keyPair(t *testing.T, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: storetest.Epoch.AddDate(-1, 0, 0), NotAfter: storetest.Epoch.AddDate(10, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
