package main

import (
	"context"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/sso"
	"github.com/sillage/sillage/internal/sso/idptest"
	"github.com/sillage/sillage/internal/store"
)

// ssoUAI is the establishment of the identity provider's test people.
var ssoUAI = sillage.UAI(idptest.Student.UAI)

// ssoProviders are the provider's protocols as Sillage is configured with
// them: CAS, SAML with signed assertions, SAML with encrypted assertions,
// OpenID Connect.
var ssoProviders = []string{idptest.ProviderCAS, idptest.ProviderSAML, idptest.ProviderSAMLEncrypted, idptest.ProviderOIDC}

// TestBrowserSSOThroughLemonLDAP runs Sillage as `sillage serve` does, with
// the CI's LemonLDAP::NG in SILLAGE_SSO_FILE as CAS server, SAML IdP (once
// with signed assertions, once with encrypted ones) and OpenID Connect
// provider, and signs a student, a parent and a teacher in through each in
// chromium: Sillage's button, the provider's login page, back to Sillage's
// home under the right name. Each first sign-in matches the person (AAF
// jointure id through CAS and OpenID Connect; the hashed INE of the student
// and of the parent's children through SAML) and links the identity.
func TestBrowserSSOThroughLemonLDAP(t *testing.T) {
	idp := idptest.FromEnv(t)
	dir := t.TempDir()
	ssoFile := writeSSOFile(t, dir, idp)
	env := map[string]string{
		"SILLAGE_DB":       "sqlite:" + filepath.Join(dir, "sillage.db"),
		"SILLAGE_DATA_DIR": filepath.Join(dir, "data"),
		"SILLAGE_SSO_FILE": ssoFile,
		"SILLAGE_BASE_URL": idp.SPBase,
	}
	a, err := newApp(func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cfg.Validate(); err != nil { // as every command does first
		t.Fatal(err)
	}
	ctx := context.Background()
	people := seedSSOPeople(t, ctx, a)

	// Sillage on the one address the provider knows; another package's
	// test may hold it for a while (idptest.ListenSP waits for it).
	u, _ := url.Parse(idp.SPBase)
	a.cfg.Addr = u.Host
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	for attempt := 1; ; attempt++ {
		idp.ListenSP(t).Close()
		ready := make(chan string, 1)
		go func() { done <- a.serve(sctx, func(url string) { ready <- url }) }()
		var err error
		select {
		case <-ready:
		case err = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("server did not start")
		}
		if err == nil {
			break
		}
		if attempt == 5 || !strings.Contains(err.Error(), "écoute sur") {
			t.Fatalf("serve: %v", err)
		}
	}
	defer func() {
		cancel()
		<-done
		a.close()
	}()

	// signIn signs who in through provider in b, up to Sillage's home.
	signIn := func(t *testing.T, b *browsertest.Browser, provider string, who idptest.Person) {
		t.Helper()
		b.Do(chromedp.Navigate(idp.SPBase+"/connexion?etablissement="+string(ssoUAI)),
			chromedp.WaitVisible(chromedp.CSS("ul.sso-buttons")))
		if who.Login == idptest.Student.Login {
			b.Screenshot("sillage-connexion")
		}
		b.Do(chromedp.Click(chromedp.CSS(`ul.sso-buttons a[href^="/sso/`+provider+`/connexion"]`)),
			chromedp.WaitVisible(chromedp.CSS("#userfield")))
		if !strings.HasPrefix(b.Location(), idp.Base+"/") {
			t.Fatalf("not at the provider: %s", b.Location())
		}
		b.Do(
			chromedp.SendKeys(chromedp.CSS("#userfield"), who.Login),
			chromedp.SendKeys(chromedp.CSS("#passwordfield"), who.Password),
			chromedp.Submit(chromedp.CSS("#passwordfield")),
		)
		// Back at Sillage, past the provider's answer (/sso/…).
		at := waitLocation(t, b, func(l string) bool {
			return strings.HasPrefix(l, idp.SPBase+"/") && !strings.HasPrefix(l, idp.SPBase+"/sso/")
		})
		// A first sign-in shows the notice on personal data.
		if strings.HasPrefix(at, idp.SPBase+"/premiere-connexion") {
			b.Do(
				chromedp.WaitVisible(chromedp.CSS(`input[name="ack"]`)),
				chromedp.Click(chromedp.CSS(`input[name="ack"]`)),
				chromedp.Submit(chromedp.CSS(`input[name="ack"]`)),
			)
			at = waitLocation(t, b, func(l string) bool { return !strings.Contains(l, "/premiere-connexion") })
		}
		b.Do(chromedp.WaitReady(chromedp.CSS("body")))
		if got := b.Text("h1"); !strings.Contains(got, "Bonjour "+who.GivenName) {
			b.Screenshot("echec")
			t.Fatalf("after sign-in at %s: heading %q; page:\n%.600s", at, got, b.Text("main"))
		}
	}

	for _, provider := range ssoProviders {
		for _, who := range idptest.People {
			if provider == idptest.ProviderSAMLEncrypted && who.INE == "" && len(who.ChildrenINE) == 0 {
				continue // encryption matters for the INEs; the teacher is seen by lemon-saml
			}
			t.Run(provider+"/"+who.Login, func(t *testing.T) {
				b := browsertest.New(t)
				signIn(t, b, provider, who)
				b.Screenshot("accueil")

				// The identity is now linked to that person, for that provider.
				var links []sillage.SSOLink
				err := a.st.Read(ctx, func(tx *store.Tx) (err error) {
					links, err = tx.Accounts().ListSSOLinks(ctx, ssoUAI, people[who.Login])
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(links, func(l sillage.SSOLink) bool { return l.Provider == provider }) {
					t.Errorf("no %s link for %s: %+v", provider, who.Login, links)
				}
			})
		}
	}

	// Someone the provider knows and Sillage does not is refused, in French,
	// and told whom to ask; no session is opened.
	for _, provider := range []string{idptest.ProviderCAS, idptest.ProviderSAML, idptest.ProviderOIDC} {
		t.Run(provider+"/unknown", func(t *testing.T) {
			b := browsertest.New(t)
			b.Do(chromedp.Navigate(idp.SPBase+"/sso/"+provider+"/connexion?etablissement="+string(ssoUAI)),
				chromedp.WaitVisible(chromedp.CSS("#userfield")),
				chromedp.SendKeys(chromedp.CSS("#userfield"), idptest.Unknown.Login),
				chromedp.SendKeys(chromedp.CSS("#passwordfield"), idptest.Unknown.Password),
				chromedp.Submit(chromedp.CSS("#passwordfield")),
			)
			waitLocation(t, b, func(l string) bool { return strings.HasPrefix(l, idp.SPBase+"/") })
			b.Do(chromedp.WaitVisible(chromedp.CSS("main")))
			if text := b.Text("main"); !strings.Contains(text, "administrateur de Sillage") {
				t.Fatalf("refusal page at %s:\n%.600s", b.Location(), text)
			}
			b.Screenshot("refus")
			b.Do(chromedp.Navigate(idp.SPBase+"/"), chromedp.WaitReady(chromedp.CSS("body")))
			if at := b.Location(); !strings.HasPrefix(at, idp.SPBase+"/connexion") {
				t.Fatalf("a refused sign-in opened a session: at %s", at)
			}
		})
	}

	// Signing out at the CAS server ends the Sillage session it opened
	// (back-channel logoutRequest to the service).
	t.Run("lemon-cas/single-log-out", func(t *testing.T) {
		b := browsertest.New(t)
		signIn(t, b, idptest.ProviderCAS, idptest.Teacher)
		b.Do(chromedp.Navigate(idp.Base+"/?logout=1"), chromedp.WaitReady(chromedp.CSS("body")))
		b.Screenshot("deconnexion-fournisseur")
		b.Do(chromedp.Navigate(idp.SPBase+"/"), chromedp.WaitReady(chromedp.CSS("body")))
		if at := b.Location(); !strings.HasPrefix(at, idp.SPBase+"/connexion") {
			b.Screenshot("encore-connecte")
			t.Fatalf("the Sillage session outlived the CAS log-out: at %s, heading %q", at, b.Text("h1"))
		}
	})
}

// waitLocation waits until the browser's URL satisfies ok, and returns it.
func waitLocation(t *testing.T, b *browsertest.Browser, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		l := b.Location()
		if ok(l) {
			return l
		}
		if time.Now().After(deadline) {
			b.Screenshot("attente")
			t.Fatalf("still at %s", l)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeSSOFile writes Sillage's SILLAGE_SSO_FILE for the provider's three
// protocols, with the OIDC client secret.
func writeSSOFile(t *testing.T, dir string, idp *idptest.IdP) string {
	t.Helper()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The SAML key pair the provider knows: it checks the requests'
	// signatures.
	keyFile, certFile := idp.SAMLKeyFiles()
	secretFile := write("oidc-secret", []byte(idptest.OIDCClientSecret+"\n"))
	file := sso.File{Providers: []sso.Provider{
		{ID: idptest.ProviderCAS, Protocol: sso.CAS, Label: "l'ENT", CASURL: idp.CASBase()},
		{ID: idptest.ProviderSAML, Protocol: sso.SAML, Label: "ÉduConnect", SAMLIdPMetadataURL: idp.SAMLMetadataURL(),
			SAMLKeyFile: keyFile, SAMLCertFile: certFile},
		{ID: idptest.ProviderSAMLEncrypted, Protocol: sso.SAML, Label: "ÉduConnect (assertions chiffrées)", SAMLIdPMetadataURL: idp.SAMLMetadataURL(),
			SAMLKeyFile: keyFile, SAMLCertFile: certFile},
		{ID: idptest.ProviderOIDC, Protocol: sso.OIDC, Label: "le portail académique", OIDCIssuer: idp.OIDCIssuer(),
			OIDCClientID: idptest.OIDCClientID, OIDCClientSecretFile: secretFile,
			OIDCScopes: []string{"openid", "profile", "email", idptest.OIDCScopeSillage}},
	}}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return write("sso.json", data)
}

// seedSSOPeople creates the establishment and the provider's people in
// Sillage as imports would (AAF jointure ids, the students' INE hashes, the
// parent's legal guardianship), each with an account, and enables the three
// providers for the establishment. It returns the person ids by login.
func seedSSOPeople(t *testing.T, ctx context.Context, a *app) map[string]int64 {
	t.Helper()
	st, err := a.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := a.keyring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unqid := func(ine string) string {
		u, err := kr.Unqid(ident.RawINE(ine))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ids := map[string]int64{}
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: ssoUAI, Name: "Lycée de la connexion unique", Kind: sillage.KindLP}); err != nil {
			return err
		}
		account := func(login string) (int64, error) {
			acc := sillage.Account{Login: login, MustChangePassword: true}
			err := tx.Accounts().CreateAccount(ctx, &acc)
			return acc.ID, err
		}
		name := func(p idptest.Person) (string, string) {
			return p.SN[:1] + strings.ToLower(p.SN[1:]), p.GivenName
		}
		// The students: the parent's children, the first one signs in.
		var children []int64
		for i, ine := range idptest.Parent.ChildrenINE {
			s := sillage.Student{Person: sillage.Person{LastName: "Martin", FirstName: "Enfant", Source: sillage.SourceSIECLE,
				SIECLEID: "E" + string(rune('1'+i))}, Unqid: unqid(ine)}
			if ine == idptest.Student.INE {
				s.LastName, s.FirstName = name(idptest.Student)
				s.AAFID = idptest.Student.Jointure
				id, err := account("sso.eleve")
				if err != nil {
					return err
				}
				s.AccountID = id
			}
			if err := tx.People().CreateStudent(ctx, ssoUAI, &s); err != nil {
				return err
			}
			children = append(children, s.ID)
			if ine == idptest.Student.INE {
				ids[idptest.Student.Login] = s.ID
			}
		}
		for _, who := range []idptest.Person{idptest.Parent, idptest.Teacher} {
			p := sillage.Person{Role: sillage.RoleParent, Source: sillage.SourceSIECLE, SIECLEID: "R1", AAFID: who.Jointure}
			if who.Login == idptest.Teacher.Login {
				p.Role, p.Source, p.SIECLEID = sillage.RoleTeacher, sillage.SourceSTS, ""
			}
			p.LastName, p.FirstName = name(who)
			id, err := account("sso." + strings.SplitN(who.Login, ".", 2)[0])
			if err != nil {
				return err
			}
			p.AccountID = id
			if err := tx.People().CreatePerson(ctx, ssoUAI, &p); err != nil {
				return err
			}
			ids[who.Login] = p.ID
		}
		for _, c := range children {
			if err := tx.People().LinkGuardian(ctx, ssoUAI, sillage.Guardianship{ParentID: ids[idptest.Parent.Login], StudentID: c, Legal: true}); err != nil {
				return err
			}
		}
		return tx.Accounts().SetSSOProviders(ctx, ssoUAI, ssoProviders)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
