package sso

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// casFinish is the browser coming back from the CAS server with a ticket
// (at the service URL it was issued for, as a CAS server redirects) and
// its state cookie.
func (w *world) casFinish(ticket, cookieState string) (Outcome, error) {
	w.cas.mu.Lock()
	service := w.cas.service[ticket]
	w.cas.mu.Unlock()
	sep := "?"
	if strings.Contains(service, "?") {
		sep = "&"
	}
	r := httptest.NewRequest(http.MethodGet, service+sep+"ticket="+url.QueryEscape(ticket), nil)
	return w.svc.Finish(context.Background(), r, "ent", cookieState)
}

// refusal asserts err is a refusal whose message and reason contain the
// given words.
func refusal(t *testing.T, err error, message, reason string) {
	t.Helper()
	var ref *Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("want a refusal (%s), got %v", reason, err)
	}
	t.Logf("refusal: %s", ref.Reason)
	if !strings.Contains(ref.Message, message) || !strings.Contains(ref.Reason, reason) {
		t.Fatalf("refusal %q / %q, want %q / %q", ref.Message, ref.Reason, message, reason)
	}
}

// journal returns the establishment's audit entries of an action.
func (w *world) journal(uai sillage.UAI, action string) []sillage.AuditEntry {
	w.t.Helper()
	var out []sillage.AuditEntry
	err := w.st.Read(context.Background(), func(tx *store.Tx) error {
		es, err := tx.Audit().ListAudit(context.Background(), uai, sillage.AuditFilter{})
		for _, e := range es {
			if e.Action == action {
				out = append(out, e)
			}
		}
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *world) session(token string) sillage.Session {
	w.t.Helper()
	var s sillage.Session
	err := w.st.Read(context.Background(), func(tx *store.Tx) (err error) {
		s, err = w.svc.o.Sessions.Find(context.Background(), tx, token)
		return err
	})
	if err != nil {
		w.t.Fatalf("session: %v", err)
	}
	return s
}

func TestCAS(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		ctx := context.Background()
		teacher := casUser{user: "amartin", attrs: map[string][]string{"ENTPersonJointure": {"AAF-T1"}}}

		// The service URL is exact: the same at the login and the
		// validation; it carries the sign-in's state.
		login, state := w.begin("ent")
		if got := login.Query().Get("service"); got != baseURL+"/sso/cas/ent/callback?state="+state {
			t.Fatalf("service %q", got)
		}
		ticket := w.cas.login(t, login, teacher)
		out, err := w.casFinish(ticket, state)
		if err != nil {
			t.Fatal(err)
		}
		s := w.session(out.Token)
		if s.AccountID != w.teacher.AccountID || s.UAI != uaiA || s.PersonID != w.teacher.ID || s.SSOProvider != "ent" || out.ReturnTo != "/mon-livret" {
			t.Fatalf("session %+v, outcome %+v", s, out)
		}
		if es := w.journal(uaiA, ActionSignIn); len(es) != 1 || !strings.Contains(es[0].Details, "l'ENT (CAS)") || es[0].ActorID != w.teacher.ID {
			t.Errorf("journal of the sign-in: %+v", es)
		}

		// The same ticket again under its state, made pending again (as a
		// second server of the same base might hold it): a replay.
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Accounts().CreateSSOPending(ctx, sillage.SSOPending{StateHash: hashOf(state), Provider: "ent",
				UAI: uaiA, ReturnTo: "/", ExpiresAt: clock.Now().Add(time.Minute)})
		}); err != nil {
			t.Fatal(err)
		}
		_, err = w.casFinish(ticket, state)
		refusal(t, err, "déjà été utilisée", "rejeu")

		// The state cookie serves once, and only from its browser.
		_, err = w.casFinish(w.cas.login(t, login, teacher), state)
		refusal(t, err, "expiré", "état de connexion")
		_, err = w.casFinish(w.cas.login(t, login, teacher), "autre")
		refusal(t, err, "pas été commencée dans ce navigateur", "navigateur")

		// Login CSRF: an attacker's ticket (for the attacker's own
		// sign-in) delivered to a victim's browser is refused, whether
		// the victim has no state cookie or one of their own sign-in.
		attackerLogin, _ := w.begin("ent")
		attackerTicket := w.cas.login(t, attackerLogin, teacher)
		_, err = w.casFinish(attackerTicket, "")
		refusal(t, err, "pas été commencée dans ce navigateur", "navigateur")
		_, victimState := w.begin("ent")
		_, err = w.casFinish(attackerTicket, victimState)
		refusal(t, err, "pas été commencée dans ce navigateur", "navigateur")
		// Even with the state swapped into the callback URL, the ticket
		// was issued for the attacker's service URL: the server refuses it.
		r := httptest.NewRequest(http.MethodGet, baseURL+"/sso/cas/ent/callback?state="+url.QueryEscape(victimState)+"&ticket="+url.QueryEscape(attackerTicket), nil)
		_, err = w.svc.Finish(ctx, r, "ent", victimState)
		refusal(t, err, "n'a pas confirmé", "INVALID_SERVICE")

		// Single log-out: the CAS server names the ticket; its session ends.
		ended, err := w.svc.CASLogout(ctx, "ent", `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="L1" Version="2.0" IssueInstant="2025-01-01T00:00:00Z"><saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">amartin</saml:NameID><samlp:SessionIndex>`+ticket+`</samlp:SessionIndex></samlp:LogoutRequest>`)
		if err != nil || !ended {
			t.Fatalf("single log-out: %v %v", ended, err)
		}
		_ = st.Read(ctx, func(tx *store.Tx) error {
			if _, err := w.svc.o.Sessions.Find(ctx, tx, out.Token); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("session alive after the single log-out: %v", err)
			}
			return nil
		})

		// The link made at the first sign-in finds the teacher by subject,
		// even once the directory's join id changed.
		teacherNoID := w.teacher
		teacherNoID.AAFID = ""
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.People().UpdatePerson(ctx, uaiA, teacherNoID) }); err != nil {
			t.Fatal(err)
		}
		login, state = w.begin("ent")
		out, err = w.casFinish(w.cas.login(t, login, casUser{user: "amartin"}), state)
		if err != nil || out.PersonID != w.teacher.ID {
			t.Fatalf("by link: %+v %v", out, err)
		}

		// Unlinked: the subject alone matches nobody any more.
		if n, err := w.svc.Unlink(ctx, auditOperator, uaiA, w.teacher.ID, ""); err != nil || n != 1 {
			t.Fatalf("unlink: %d %v", n, err)
		}
		login, state = w.begin("ent")
		_, err = w.casFinish(w.cas.login(t, login, casUser{user: "amartin"}), state)
		refusal(t, err, "n'a pas transmis d'identifiant", "aucun identifiant")

		// Unknown join id; a service URL the server does not recognise.
		login, state = w.begin("ent")
		_, err = w.casFinish(w.cas.login(t, login, casUser{user: "x", attrs: map[string][]string{"ENTPersonJointure": {"AAF-NOBODY"}}}), state)
		refusal(t, err, "Adressez-vous à l'administrateur", "identité inconnue")
		login, state = w.begin("ent")
		wrong := *login
		q := wrong.Query()
		q.Set("service", baseURL+"/sso/cas/ent/callback?state="+url.QueryEscape(state)+"&x=1")
		wrong.RawQuery = q.Encode()
		_, err = w.casFinish(w.cas.login(t, &wrong, teacher), state)
		refusal(t, err, "n'a pas confirmé", "INVALID_SERVICE")

		// Refusals are audited: in the establishment's journal when the
		// sign-in is known, in the instance's when its state is not.
		if a, inst := len(w.journal(uaiA, ActionRefused)), len(w.journal("", ActionRefused)); a != 5 || inst != 4 {
			t.Errorf("refusals in the journals: %d of A, %d of the instance; want 5 and 4", a, inst)
		}
		if es := w.journal("", ActionRefused); len(es) == 0 || !strings.Contains(es[0].Details+es[len(es)-1].Details, "navigateur") {
			t.Errorf("the browser refusal is not in the instance's journal: %+v", es)
		}
	})
}

func TestSAML(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		student := educonnectSession("ec-lea", map[string][]string{"FrEduCtEleveINE": {ineLea}, "FrEduCtPersonAffiliation": {"eleve2d"}})
		finish := func(s *saml.Session, edit func(resp string) string) (Outcome, error) {
			sso, state := w.begin("educonnect")
			resp, relay := w.idp.answer(t, sso, s)
			if edit != nil {
				resp = edit(resp)
			}
			return w.svc.Finish(context.Background(), acsRequest(resp, relay), "educonnect", state)
		}

		// A student: the INE is hashed on the spot and matched on the unqid.
		out, err := finish(student, nil)
		if err != nil || out.PersonID != w.student.ID {
			t.Fatalf("student: %+v %v", out, err)
		}
		// A parent: the children's INEs and the parent's name.
		parent := educonnectSession("ec-pere", map[string][]string{"FrEduCtEleveINE": {ineLea}, "FrEduCtPersonAffiliation": {"resp2d"},
			"sn": {"LEFEVRE DURAND"}, "givenName": {"paul"}})
		out, err = finish(parent, nil)
		if err != nil || out.PersonID != w.father.ID {
			t.Fatalf("parent: %+v %v", out, err)
		}

		cases := []struct {
			name            string
			session         *saml.Session
			edit            func(string) string
			before, after   func()
			message, reason string
		}{
			{name: "assertion non signée", session: student, edit: stripSignatures,
				before: func() { w.idp.plain = true }, after: func() { w.idp.plain = false },
				message: "n'a pas confirmé", reason: "signature element not present"},
			{name: "assertion expirée", session: student, after: func() { clock.Advance(9 * time.Minute) },
				message: "n'a pas confirmé", reason: "expired"},
			{name: "mauvaise audience", session: student, before: func() { w.idp.audience = "https://autre.example/sp" },
				message: "n'a pas confirmé", reason: "AudienceRestriction"},
			{name: "identité inconnue", session: educonnectSession("ec-x", map[string][]string{"FrEduCtEleveINE": {ineNobody}, "FrEduCtPersonAffiliation": {"eleve2d"}}),
				message: "aucune personne", reason: "identité inconnue"},
			{name: "deux élèves pour un INE", session: educonnectSession("ec-twin", map[string][]string{"FrEduCtEleveINE": {ineTwin}, "FrEduCtPersonAffiliation": {"eleve2d"}}),
				message: "plusieurs personnes", reason: "ambiguë"},
			{name: "parent sans nom", session: educonnectSession("ec-resp", map[string][]string{"FrEduCtEleveINE": {ineLea}, "FrEduCtPersonAffiliation": {"resp2d"}}),
				message: "pas transmis votre nom", reason: "responsable sans nom"},
			{name: "INE sans profil", session: educonnectSession("ec-noaff", map[string][]string{"FrEduCtEleveINE": {ineLea}}),
				message: "élève ou responsable légal", reason: "profil"},
			{name: "parent d'un autre nom", session: educonnectSession("ec-resp3", map[string][]string{"FrEduCtEleveINE": {ineLea}, "FrEduCtPersonAffiliation": {"resp2d"}, "sn": {"Dupont"}}),
				message: "aucune personne", reason: "identité inconnue"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w.idp.audience = ""
				edit := tc.edit
				sso, state := w.begin("educonnect")
				if tc.before != nil {
					tc.before()
				}
				resp, relay := w.idp.answer(t, sso, tc.session)
				if tc.after != nil {
					tc.after() // e.g. past the issue delay and the skew, within the state's 10 minutes
				}
				if edit != nil {
					resp = edit(resp)
				}
				_, err := w.svc.Finish(context.Background(), acsRequest(resp, relay), "educonnect", state)
				refusal(t, err, tc.message, tc.reason)
			})
		}

		// Login CSRF: a response to the attacker's own sign-in, posted by
		// the attacker's page from the victim's browser, is refused: the
		// victim has no state cookie, or one of their own sign-in.
		sso, _ := w.begin("educonnect")
		resp, relay := w.idp.answer(t, sso, student)
		_, err = w.svc.Finish(context.Background(), acsRequest(resp, relay), "educonnect", "")
		refusal(t, err, "pas été commencée dans ce navigateur", "navigateur")
		_, victimState := w.begin("educonnect")
		_, err = w.svc.Finish(context.Background(), acsRequest(resp, relay), "educonnect", victimState)
		refusal(t, err, "pas été commencée dans ce navigateur", "navigateur")
		_, err = w.svc.Finish(context.Background(), acsRequest(resp, victimState), "educonnect", victimState)
		refusal(t, err, "n'a pas confirmé", "InResponseTo")

		// The same response posted twice: the RelayState served once.
		sso, state := w.begin("educonnect")
		resp, relay = w.idp.answer(t, sso, student)
		if _, err := w.svc.Finish(context.Background(), acsRequest(resp, relay), "educonnect", state); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Finish(context.Background(), acsRequest(resp, relay), "educonnect", state)
		refusal(t, err, "expiré", "état de connexion")
		// And an assertion already used, even under a sign-in that
		// expects its request id: refused by its id, on every server.
		var requestID string
		if raw, err := base64.StdEncoding.DecodeString(resp); err == nil {
			doc := etree.NewDocument()
			if doc.ReadFromBytes(raw) == nil {
				requestID = doc.Root().SelectAttrValue("InResponseTo", "")
			}
		}
		if err := st.Write(context.Background(), func(tx *store.Tx) error {
			return tx.Accounts().CreateSSOPending(context.Background(), sillage.SSOPending{StateHash: hashOf("rejeu"), Provider: "educonnect",
				UAI: uaiA, RequestID: requestID, ReturnTo: "/", ExpiresAt: clock.Now().Add(time.Minute)})
		}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Finish(context.Background(), acsRequest(resp, "rejeu"), "educonnect", "rejeu")
		refusal(t, err, "déjà été utilisée", "rejeu")

		// The journal never holds an INE.
		for _, action := range []string{ActionSignIn, ActionRefused} {
			for _, e := range w.journal(uaiA, action) {
				for _, ine := range []string{ineLea, ineTwin, ineNobody} {
					if strings.Contains(e.Target+e.Details, ine) {
						t.Errorf("INE in the journal: %+v", e)
					}
				}
			}
		}
		storetest.NoINEAtRest(t, st, []string{ineLea, ineTwin, ineNobody})
	})
}

// stripSignatures removes every XML signature of a SAML response.
func stripSignatures(resp string) string {
	raw, _ := base64.StdEncoding.DecodeString(resp)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		panic(err)
	}
	sigs := doc.FindElements("//Signature")
	if len(sigs) == 0 {
		panic("no signature to strip")
	}
	for _, sig := range sigs {
		sig.Parent().RemoveChild(sig)
	}
	out, _ := doc.WriteToBytes()
	return base64.StdEncoding.EncodeToString(out)
}

func TestOIDC(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		claims := map[string]any{"sub": "acad-42", "ENTPersonJointure": "AAF-T1"}
		ok := func() (Outcome, error) {
			auth, state := w.begin("portail")
			return w.svc.Finish(context.Background(), w.op.authorize(t, auth, claims), "portail", state)
		}
		out, err := ok()
		if err != nil || out.PersonID != w.teacher.ID {
			t.Fatalf("teacher: %+v %v", out, err)
		}
		other, _ := keyPair(t, "intrus")
		cases := []struct {
			name            string
			tamper          func(map[string]any)
			signer          bool
			cookie          string
			message, reason string
		}{
			{name: "mauvais état", cookie: "autre", message: "pas été commencée dans ce navigateur", reason: "navigateur"},
			{name: "mauvais nonce", tamper: func(c map[string]any) { c["nonce"] = "autre" }, message: "n'a pas confirmé", reason: "nonce"},
			{name: "jeton expiré", tamper: func(c map[string]any) { c["exp"] = clock.Now().Add(-time.Minute).Unix() }, message: "n'a pas confirmé", reason: "expired"},
			{name: "mauvaise audience", tamper: func(c map[string]any) { c["aud"] = "autre-client" }, message: "n'a pas confirmé", reason: "audience"},
			{name: "signature d'une autre clé", signer: true, message: "n'a pas confirmé", reason: "signature"},
			{name: "identité inconnue", tamper: func(c map[string]any) { c["sub"], c["ENTPersonJointure"] = "acad-99", "AAF-NOBODY" }, message: "aucune personne", reason: "identité inconnue"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w.op.tamper, w.op.signer = tc.tamper, nil
				if tc.signer {
					w.op.signer = other
				}
				defer func() { w.op.tamper, w.op.signer = nil, nil }()
				auth, state := w.begin("portail")
				if tc.cookie != "" {
					state = tc.cookie
				}
				_, err := w.svc.Finish(context.Background(), w.op.authorize(t, auth, claims), "portail", state)
				refusal(t, err, tc.message, tc.reason)
			})
		}
		// Login CSRF: the attacker's code and state, delivered to a
		// victim's browser that holds no state cookie.
		auth, _ := w.begin("portail")
		_, err = w.svc.Finish(context.Background(), w.op.authorize(t, auth, claims), "portail", "")
		refusal(t, err, "pas été commencée dans ce navigateur", "navigateur")
		// A provider not enabled for the establishment cannot be started.
		if _, _, err := w.svc.Begin(context.Background(), "portail", uaiB, "/"); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("begin at a provider B does not use: %v", err)
		}
		if a, inst := len(w.journal(uaiA, ActionRefused)), len(w.journal("", ActionRefused)); a != len(cases)-1 || inst != 2 {
			t.Errorf("refusals audited: %d of A, %d of the instance; want %d and 2", a, inst, len(cases)-1)
		}
	})
}

func TestActionsHaveFrenchLabels(t *testing.T) {
	for _, a := range []string{ActionSignIn, ActionRefused, ActionUnlinked, ActionSettings} {
		if l := audit.ActionLabel(a); l == a || l == "" {
			t.Errorf("action %s has no French label", a)
		}
	}
}

func TestSAMLMetadata(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		md, err := w.svc.Metadata("educonnect")
		if err != nil {
			t.Fatal(err)
		}
		var ed saml.EntityDescriptor
		if err := xml.Unmarshal(md, &ed); err != nil {
			t.Fatal(err)
		}
		d := ed.SPSSODescriptors[0]
		if ed.EntityID != baseURL+"/sso/saml/educonnect/metadata" || d.WantAssertionsSigned == nil || !*d.WantAssertionsSigned ||
			d.AuthnRequestsSigned == nil || !*d.AuthnRequestsSigned || len(d.AssertionConsumerServices) != 1 ||
			d.AssertionConsumerServices[0].Location != baseURL+"/sso/saml/educonnect/acs" || d.AssertionConsumerServices[0].Binding != saml.HTTPPostBinding {
			t.Fatalf("metadata: %s", md)
		}
		if len(d.SingleLogoutServices) != 2 || d.SingleLogoutServices[0].Location != baseURL+"/sso/saml/educonnect/slo" ||
			d.SingleLogoutServices[0].Binding != saml.HTTPRedirectBinding || d.SingleLogoutServices[1].Binding != saml.HTTPPostBinding {
			t.Errorf("single log-out services: %+v", d.SingleLogoutServices)
		}
		if _, err := w.svc.Metadata("ent"); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("metadata of a CAS provider: %v", err)
		}
	})
}
