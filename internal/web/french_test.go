package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/store"
)

// nightOfChange is 23:30 UTC on 28 March 2026: in Paris it is already 00:30
// on the 29th (the clocks go forward an hour later), so a time written in
// UTC shows the wrong day.
var nightOfChange = time.Date(2026, time.March, 28, 23, 30, 0, 0, time.UTC)

// TestTimesInSchoolZone: the journal page, its CSV and a PDF handed out
// show the schools' wall clock, and the journal names roles in French.
func TestTimesInSchoolZone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.T = nightOfChange
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		if err := audit.Record(ctx, tx, f.a.UAI, audit.Actor{ID: 1, Role: string(sillage.RoleAdministrator), Name: "Mme PROVISEURE"},
			audit.RecordDownloaded, "Dossier de ZÉPHYRIN Léonie", "dossier-zephyrin.zip"); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, f.a.UAI, audit.System, audit.Purge, "élèves partis", ""); err != nil {
			return err
		}
		// A new student without a password, for a credential list.
		acc := sillage.Account{Login: "zoe.nouvelle", MustChangePassword: true}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return err
		}
		st := sillage.Student{Person: sillage.Person{FirstName: "Zoé", LastName: "Nouvelle", Source: sillage.SourceSIECLE, SIECLEID: "2002", AccountID: acc.ID},
			DivisionID: f.a.Division.ID}
		return tx.People().CreateStudent(ctx, uaiA, &st)
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := f.session(f.a, sillage.RoleAdministrator)
	status, body := f.do(admin, "GET", "/journal", nil)
	if status != http.StatusOK {
		t.Fatalf("journal: %d", status)
	}
	pg := parsePage(t, body)
	for _, want := range []string{"29/03/2026 à 00h30", "(administrateur)", "(système)", audit.ActionLabel(audit.RecordDownloaded)} {
		if !pg.has("#journal td", want) {
			t.Errorf("the journal does not show %q: %s", want, pg.text("#journal"))
		}
	}
	for _, english := range []string{"(administrator)", "(system)", "28/03/2026"} {
		if pg.has("#journal td", english) {
			t.Errorf("the journal shows %q", english)
		}
	}

	status, csv := f.do(admin, "GET", "/journal.csv", nil)
	if status != http.StatusOK {
		t.Fatalf("journal CSV: %d", status)
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(csv, "\ufeff")), "\n")
	header := strings.Split(strings.TrimSpace(lines[0]), ";")
	if header[1] != "date (heure de Paris)" || header[5] != "action" || header[6] != "libellé de l'action" {
		t.Fatalf("CSV header: %q", header)
	}
	found := false
	for _, l := range lines[1:] {
		fields := strings.Split(strings.TrimSpace(l), ";")
		if len(fields) > 6 && fields[5] == audit.RecordDownloaded {
			found = true
			if fields[1] != "2026-03-29 00:30:00" || fields[4] != "administrateur" || fields[6] != audit.ActionLabel(audit.RecordDownloaded) {
				t.Errorf("CSV line: %q", fields)
			}
		}
	}
	if !found {
		t.Fatalf("the CSV lacks the entry: %s", csv)
	}

	// A PDF handed out that night is stamped with the day in Paris.
	if status, body := f.do(admin, "POST", "/comptes/identifiants", url.Values{"division": {itoa(f.a.Division.ID)}}); status != http.StatusSeeOther {
		t.Fatalf("issue credentials: %d %.300s", status, body)
	}
	var lists []sillage.CredentialList
	if err := f.st.Read(ctx, func(tx *store.Tx) (err error) { lists, err = tx.Accounts().ListCredentialLists(ctx, uaiA); return err }); err != nil || len(lists) == 0 {
		t.Fatalf("credential lists: %v %v", lists, err)
	}
	status, pdf := f.do(admin, "GET", "/comptes/identifiants/"+itoa(lists[0].ID)+"/pdf", nil)
	if status != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("pdf: %d", status)
	}
	if !pdfdoc.HasText([]byte(pdf), "Édité le 29/03/2026") {
		t.Error("the credential PDF is not stamped 29/03/2026, the day in Paris")
	}
}

// TestSettingsInWords: the retention page shows the settings as words, not
// as Go values.
func TestSettingsInWords(t *testing.T) {
	f := newFixture(t)
	op := f.session(f.a, "operator")
	status, body := f.do(op, "GET", "/operateur/conservation", nil)
	if status != http.StatusOK {
		t.Fatalf("retention page: %d", status)
	}
	pg := parsePage(t, body)
	value := func(env string) string {
		v := ""
		pg.doc.Find("tr").Each(func(_ int, s *goquery.Selection) {
			if squash(s.Find("code").Text()) == env {
				v = squash(s.Find("td").Last().Text())
			}
		})
		return v
	}
	for env, want := range map[string]string{"SILLAGE_MAX_UPLOAD": sillage.FormatSize(f.cfg.MaxUpload), "SILLAGE_MASS_DEACTIVATION": sillage.FormatPercent(f.cfg.MassDeactivation),
		"SILLAGE_SECURE_COOKIES": sillage.FormatBool(f.cfg.SecureCookies), "SILLAGE_SESSION_IDLE": sillage.FormatDuration(f.cfg.SessionIdle)} {
		if got := value(env); got != want {
			t.Errorf("%s shows %q, want %q", env, got, want)
		}
	}
	if got := value("SILLAGE_MAX_UPLOAD"); !strings.HasSuffix(got, " Mo") && !strings.HasSuffix(got, " ko") {
		t.Errorf("upload size %q is not in words", got)
	}
	if got := value("SILLAGE_SECURE_COOKIES"); got != "oui" && got != "non" {
		t.Errorf("secure cookies %q", got)
	}
}

// TestDiplomaNames: the student, evaluation and referential pages name the
// diploma from the nomenclature; a code no import named says so.
func TestDiplomaNames(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	teacher := f.session(f.a, sillage.RoleTeacher)
	admin := f.session(f.a, sillage.RoleAdministrator)
	student := "/eleves/" + itoa(f.a.IDs["student"])
	if _, body := f.do(admin, "GET", student, nil); !parsePage(t, body).has("#diplome", "intitulé absent de la nomenclature") {
		t.Errorf("an unnamed diploma: %q", parsePage(t, body).text("#diplome"))
	}
	if err := f.st.Write(ctx, func(tx *store.Tx) error {
		return tx.People().UpsertMEF(ctx, uaiA, sillage.MEF{Code: "24732205310", Formation: "1PRO", Label: "SYSTEMES NUMERIQUES"})
	}); err != nil {
		t.Fatal(err)
	}
	const name = "1PRO SYSTEMES NUMERIQUES"
	for _, c := range []struct {
		who       *http.Client
		path, sel string
	}{
		{admin, student, "#diplome"},
		{teacher, "/evaluations/" + itoa(f.a.IDs["evaluation"]), "p.meta"},
		{admin, "/referentiels/" + itoa(f.a.IDs["referential"]), "#referentiel-meta"},
		{admin, "/referentiels", "table.list td"},
	} {
		status, body := f.do(c.who, "GET", c.path, nil)
		pg := parsePage(t, body)
		if status != http.StatusOK || !pg.has(c.sel, name) || pg.has(c.sel, "24732205") {
			t.Errorf("%s: %d, %q does not name the diploma %q", c.path, status, pg.text(c.sel), name)
		}
	}
}
