package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/store"
)

func init() {
	fixtureSetups = append(fixtureSetups, func(ctx context.Context, tx *store.Tx, f *fixture, tn *tenant) error {
		// The target of the account actions: a member of staff nobody in
		// the fixture signs in as.
		acc := sillage.Account{Login: "cible." + strings.ToLower(string(tn.UAI)), PasswordHash: fixtureHash}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return err
		}
		target := sillage.Person{Role: sillage.RoleStaff, FirstName: "Camille", LastName: "Cible", Source: sillage.SourceManual, AccountID: acc.ID}
		if err := tx.People().CreatePerson(ctx, tn.UAI, &target); err != nil {
			return err
		}
		tn.IDs["person"] = target.ID
		box, _ := fixtureBox(f.t)
		sealed, err := box.Seal([]byte("%PDF-1.4 liste"), accounts.Purpose)
		if err != nil {
			return err
		}
		pdf, err := f.blobs.Put(bytes.NewReader(sealed))
		if err != nil {
			return err
		}
		l := sillage.CredentialList{SchoolYear: sillage.SchoolYearOf(f.clock.T), Title: "Identifiants des personnels", Accounts: 1,
			PDFSHA256: pdf.SHA256, PDFSize: pdf.Size, CSVSHA256: pdf.SHA256, CSVSize: pdf.Size}
		if err := tx.Accounts().AddCredentialList(ctx, tn.UAI, &l); err != nil {
			return err
		}
		tn.IDs["list"] = l.ID
		t := sillage.APIToken{TokenHash: "fixture-" + string(tn.UAI), Label: "script", PersonID: tn.Persons[sillage.RoleAdministrator].ID}
		if err := tx.Accounts().CreateAPIToken(ctx, tn.UAI, &t); err != nil {
			return err
		}
		tn.IDs["token"] = t.ID
		return nil
	})
}

func TestCredentialListForADivision(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A student and a parent as an import creates them: accounts with a
	// login and no password yet.
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		login, err := accounts.UniqueLogin(ctx, tx, "Zoé", "Nouvelle")
		if err != nil {
			return err
		}
		acc := sillage.Account{Login: login, MustChangePassword: true}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return err
		}
		st := sillage.Student{Person: sillage.Person{FirstName: "Zoé", LastName: "Nouvelle", Source: sillage.SourceSIECLE, SIECLEID: "2002", AccountID: acc.ID},
			DivisionID: f.a.Division.ID}
		if err := tx.People().CreateStudent(ctx, uaiA, &st); err != nil {
			return err
		}
		parent := sillage.Person{Role: sillage.RoleParent, FirstName: "Marc", LastName: "Nouvelle", Source: sillage.SourceSIECLE}
		if err := tx.People().CreatePerson(ctx, uaiA, &parent); err != nil {
			return err
		}
		return tx.People().LinkGuardian(ctx, uaiA, sillage.Guardianship{ParentID: parent.ID, StudentID: st.ID, Legal: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := f.session(f.a, sillage.RoleAdministrator)
	status, body := f.do(admin, "POST", "/comptes/identifiants", url.Values{"division": {itoa(f.a.Division.ID)}})
	if status != http.StatusSeeOther {
		t.Fatalf("issue: %d %s", status, body)
	}
	var lists []sillage.CredentialList
	f.st.Read(ctx, func(tx *store.Tx) (err error) { lists, err = tx.Accounts().ListCredentialLists(ctx, uaiA); return err })
	var div *sillage.CredentialList
	for i := range lists {
		if lists[i].DivisionCode == "1SN" {
			div = &lists[i]
		}
	}
	if div == nil {
		t.Fatalf("no list for the division: %+v", lists)
	}
	// The fixture's student and parent chose their password: only the new
	// ones are listed (the parent without an account gets one).
	status, csv := f.do(admin, "GET", "/comptes/identifiants/"+itoa(div.ID)+"/csv", nil)
	if status != http.StatusOK || !strings.HasPrefix(csv, "\ufeffNom;Profil;Identifiant;Mot de passe provisoire") {
		t.Fatalf("csv: %d %q", status, csv)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 3 { // header, the student, the parent
		t.Fatalf("csv has %d lines: %q", len(lines), csv)
	}
	fields := strings.Split(strings.TrimSpace(lines[1]), ";")
	login, otp := fields[2], fields[3]
	// At rest, the list is sealed: neither file holds the password.
	var stored sillage.CredentialList
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		stored, err = tx.Accounts().GetCredentialList(ctx, uaiA, div.ID)
		return err
	})
	for _, sum := range []string{stored.PDFSHA256, stored.CSVSHA256} {
		var raw []byte
		rf, err := f.blobs.Open(sum)
		if err == nil {
			raw, err = io.ReadAll(rf)
			rf.Close()
		}
		if err != nil || !bytes.HasPrefix(raw, []byte("SLGSEAL1")) || bytes.Contains(raw, []byte(otp)) {
			t.Fatalf("credential list file %s at rest: sealed %v, err %v", sum, bytes.HasPrefix(raw, []byte("SLGSEAL1")), err)
		}
	}
	// The one-time password signs in and forces a change.
	c := f.anonymous()
	status, _ = f.do(c, "POST", "/connexion", url.Values{"login": {login}, "password": {otp}, "retour": {"/"}})
	if status != http.StatusSeeOther {
		t.Fatalf("sign-in with the one-time password: %d", status)
	}
	status, _ = f.do(c, "GET", "/", nil)
	if status != http.StatusSeeOther {
		t.Fatalf("home before changing the password: %d", status)
	}
	status, pdf := f.do(admin, "GET", "/comptes/identifiants/"+itoa(div.ID)+"/pdf", nil)
	if status != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("pdf: %d", status)
	}
	// One slip each, with the establishment, the class of the student and
	// the address this administrator reached Sillage at.
	for _, want := range []string{"Lycée A", "NOUVELLE Zoé", "NOUVELLE Marc", "Classe :", "1SN", login, otp, f.ts.URL + "/connexion", accounts.FirstSignIn} {
		if !pdfdoc.HasText([]byte(pdf), want) {
			t.Errorf("the slips lack %q", want)
		}
	}
	var entries []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		entries, err = tx.Audit().ListAudit(ctx, uaiA, sillage.AuditFilter{Action: audit.CredentialsIssued})
		return err
	})
	// The issue, then the two downloads of the division's list (CSV, PDF).
	downloads := 0
	for _, e := range entries {
		if strings.Contains(e.Details, "téléchargement de la liste n° "+itoa(div.ID)) {
			downloads++
		}
	}
	if len(entries) != 3 || downloads != 2 {
		t.Fatalf("audit entries: %+v", entries)
	}
	// The page says until when; past its days the list is neither
	// offered nor served.
	listURL := "/comptes/identifiants/" + itoa(div.ID) + "/pdf"
	if _, page := f.do(admin, "GET", "/comptes/identifiants", nil); parsePage(t, page).count(`#credential-lists td a[href="`+listURL+`"]`) != 1 || !parsePage(t, page).has("#credential-lists th", "Disponible jusqu") {
		t.Fatalf("the page does not offer the list with its end: %.500s", page)
	}
	f.clock.T = div.CreatedAt.AddDate(0, 0, f.cfg.CredentialListDays).Add(time.Minute)
	delete(f.tokens, string(uaiA)+"/"+string(sillage.RoleAdministrator)) // the old session expired meanwhile
	admin = f.session(f.a, sillage.RoleAdministrator)
	if status, page := f.do(admin, "GET", "/comptes/identifiants", nil); status != http.StatusOK || parsePage(t, page).count(`a[href="`+listURL+`"]`) != 0 {
		t.Errorf("an expired list is still offered: %d", status)
	}
	if status, body := f.do(admin, "GET", listURL, nil); status != http.StatusSeeOther {
		t.Errorf("expired list download: %d %.300s, want back to the page", status, body)
	}
	if _, page := f.do(admin, "GET", "/comptes/identifiants", nil); !parsePage(t, page).has("p.flash", "plus disponible") {
		t.Error("the page does not say why the list is gone")
	}
}

func TestAdministratorResetsAPassword(t *testing.T) {
	f := newFixture(t)
	admin := f.session(f.a, sillage.RoleAdministrator)
	teacher := f.a.Persons[sillage.RoleTeacher]
	status, body := f.do(admin, "POST", "/comptes/"+itoa(teacher.ID)+"/mot-de-passe", url.Values{})
	if status != http.StatusOK || !parsePage(t, body).has("dl dt", "Mot de passe provisoire") {
		t.Fatalf("reset: %d", status)
	}
	// The teacher's open session ended.
	status, _ = f.do(f.session(f.a, sillage.RoleTeacher), "GET", "/", nil)
	if status != http.StatusSeeOther {
		t.Fatalf("teacher's session after reset: %d, want a redirect to sign-in", status)
	}
	// Another establishment's administrator cannot reach this teacher.
	status, _ = f.do(f.session(f.b, sillage.RoleAdministrator), "POST", "/comptes/"+itoa(teacher.ID)+"/mot-de-passe", url.Values{})
	if status != http.StatusNotFound {
		t.Fatalf("reset from B: %d, want 404", status)
	}
}

func TestLoginsAreShownToAdministratorsOnly(t *testing.T) {
	f := newFixture(t)
	login := "teacher." + strings.ToLower(string(uaiA))
	_, body := f.do(f.session(f.a, sillage.RoleAdministrator), "GET", "/comptes?role=teacher", nil)
	if !parsePage(t, body).has("table.list td", login) {
		t.Fatal("the administrator must see logins")
	}
	status, body := f.do(f.session(f.a, sillage.RoleDirector), "GET", "/comptes?role=teacher", nil)
	if status != http.StatusForbidden || parsePage(t, body).has("main", login) {
		t.Fatalf("director: %d", status)
	}
}
