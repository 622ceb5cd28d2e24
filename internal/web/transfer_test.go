package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// moveStudent makes A's fixture student leave (deactivated, in the index)
// and arrive at B as a new student, both establishments with transfer on,
// runs the transfer and returns the student at B.
func moveStudent(t *testing.T, f *fixture, run bool) sillage.Student {
	t.Helper()
	ctx := context.Background()
	var arrived sillage.Student
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		for _, u := range []sillage.UAI{uaiA, uaiB} {
			if err := tx.Establishments().SetTransferSettings(ctx, u, sillage.TransferSettings{Enabled: true, Reference: "CNIL-" + string(u)}); err != nil {
				return err
			}
		}
		s := f.a.Student
		if err := tx.People().SetPersonActive(ctx, uaiA, s.ID, false); err != nil {
			return err
		}
		if err := tx.CrossTenant().PutIndexEntry(ctx, sillage.TransferIndexEntry{Unqid: s.Unqid, OriginUAI: uaiA, OriginStudentID: s.ID, Diploma: s.Diploma, DeactivatedAt: tx.Now()}); err != nil {
			return err
		}
		arrived = sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "Durand", Source: sillage.SourceSIECLE, SIECLEID: "9001"},
			Unqid: s.Unqid, MEF: s.MEF, Diploma: s.Diploma, DivisionID: f.b.Division.ID, PreviousUAI: uaiA}
		if err := tx.People().CreateStudent(ctx, uaiB, &arrived); err != nil {
			return err
		}
		// A student of B without INE, and one still waiting.
		noINE := sillage.Student{Person: sillage.Person{FirstName: "Stéphanie", LastName: "Carrie", Source: sillage.SourceSIECLE, SIECLEID: "9002"},
			INEStatus: sillage.INEMissing, DivisionID: f.b.Division.ID}
		if err := tx.People().CreateStudent(ctx, uaiB, &noINE); err != nil {
			return err
		}
		waiting := sillage.Student{Person: sillage.Person{FirstName: "Hugo", LastName: "Attente", Source: sillage.SourceSIECLE, SIECLEID: "9003"},
			Unqid: "v1:ATTENTE", Diploma: s.Diploma, DivisionID: f.b.Division.ID, PreviousUAI: "0170001A"}
		return tx.People().CreateStudent(ctx, uaiB, &waiting)
	})
	if err != nil {
		t.Fatal(err)
	}
	if run {
		rep, err := transfer.Run(ctx, f.st, transfer.Options{})
		if err != nil || len(rep.Transferred) != 1 {
			t.Fatalf("transfer: %+v %v", rep, err)
		}
	}
	return arrived
}

func TestTransferSettingsPage(t *testing.T) {
	f := newFixture(t)
	moveStudent(t, f, false)
	ctx := context.Background()
	f.st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().SetTransferSettings(ctx, uaiB, sillage.TransferSettings{})
	})
	admin := f.session(f.b, sillage.RoleAdministrator)
	status, body := f.do(admin, "GET", "/transferts/parametres", nil)
	pg := parsePage(t, body)
	if status != http.StatusOK || !pg.has("ul.without-ine li", "CARRIE Stéphanie (1SN)") || !pg.has("#transfer-state .badge", "transfert désactivé") {
		t.Fatalf("settings page: %d %s", status, body)
	}
	if pg.has("main", "DURAND Léa") {
		t.Error("a student with an INE is listed without INE")
	}
	// Turning on without a number is refused with a clear message.
	status, body = f.do(admin, "POST", "/transferts/parametres", url.Values{"transfert": {"oui"}, "reference": {"   "}})
	if status != http.StatusBadRequest || !parsePage(t, body).has(".errors li", "numéro de déclaration CNIL") {
		t.Fatalf("enable without reference: %d %s", status, body)
	}
	long := strings.Repeat("x", 65)
	status, _ = f.do(admin, "POST", "/transferts/parametres", url.Values{"transfert": {"oui"}, "reference": {long}})
	if status != http.StatusBadRequest {
		t.Errorf("65-character reference: %d", status)
	}
	status, _ = f.do(admin, "POST", "/transferts/parametres", url.Values{"transfert": {"oui"}, "reference": {"  1234567 "}})
	if status != http.StatusSeeOther {
		t.Fatalf("enable: %d", status)
	}
	director := f.session(f.b, sillage.RoleDirector)
	status, _ = f.do(director, "POST", "/transferts/parametres", url.Values{"transfert": {"oui"}, "reference": {"REG-2026-07"}})
	if status != http.StatusSeeOther {
		t.Fatalf("director changes the number: %d", status)
	}
	status, _ = f.do(admin, "POST", "/transferts/parametres", url.Values{"transfert": {"non"}})
	if status != http.StatusSeeOther {
		t.Fatalf("disable: %d", status)
	}
	var est sillage.Establishment
	var entries []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		if est, err = tx.Establishments().GetEstablishment(ctx, uaiB); err != nil {
			return err
		}
		entries, err = tx.Audit().ListAudit(ctx, uaiB, sillage.AuditFilter{Action: audit.TransferSettings})
		return err
	})
	if est.Transfer.Enabled || est.Transfer.Reference != "REG-2026-07" {
		t.Errorf("settings %+v", est.Transfer)
	}
	if len(entries) != 3 {
		t.Fatalf("audit entries %+v, want on, number changed, off", entries)
	}
	want := []string{"transfert activé", "numéro de déclaration modifié", "transfert désactivé"}
	roles := []string{"administrator", "director", "administrator"}
	for i, e := range entries {
		// ListAudit is newest first.
		k := len(entries) - 1 - i
		if !strings.Contains(e.Details, want[k]) || e.ActorRole != roles[k] {
			t.Errorf("audit %d: %+v, want %q by %s", k, e, want[k], roles[k])
		}
	}
	// A teacher may not change them.
	status, _ = f.do(f.session(f.b, sillage.RoleTeacher), "POST", "/transferts/parametres", url.Values{"transfert": {"oui"}, "reference": {"X"}})
	if status != http.StatusForbidden {
		t.Errorf("teacher: %d", status)
	}
}

func TestTransferDashboard(t *testing.T) {
	f := newFixture(t)
	moveStudent(t, f, true)
	// B receives: the name as B knows it.
	adminB := f.session(f.b, sillage.RoleAdministrator)
	status, body := f.do(adminB, "GET", "/transferts", nil)
	pg := parsePage(t, body)
	if status != http.StatusOK || !pg.has("#incoming td", "DURAND Léa") || !pg.has("#incoming td", string(uaiA)) || !pg.has("#incoming td .meta", "Lycée A") {
		t.Fatalf("incoming: %d %s", status, body)
	}
	if !pg.has("#pending td", "ATTENTE Hugo") || !pg.has("#pending td", "0170001A") {
		t.Errorf("pending student missing: %s", body)
	}
	// A sent: initials only.
	status, body = f.do(f.session(f.a, sillage.RoleDirector), "GET", "/transferts", nil)
	if pg := parsePage(t, body); status != http.StatusOK || !pg.has("#outgoing td", "L. É.") || pg.has("main", "Élève Lycée A") {
		t.Fatalf("outgoing: %d %s", status, body)
	}
	// Filters: nothing "not done", nothing before.
	_, body = f.do(adminB, "GET", "/transferts?effectue=non", nil)
	if parsePage(t, body).has("main", "DURAND Léa") {
		t.Error("filter effectue=non shows a done transfer")
	}
	_, body = f.do(adminB, "GET", "/transferts?du=2020-01-01&au=2020-12-31", nil)
	if parsePage(t, body).has("main", "DURAND Léa") {
		t.Error("date filter ignored")
	}
	status, _ = f.do(adminB, "GET", "/transferts?du=hier", nil)
	if status != http.StatusBadRequest {
		t.Errorf("bad date: %d", status)
	}
	// CSV: BOM, semicolons, the same lines.
	for _, list := range transfer.Lists {
		req, _ := http.NewRequest("GET", f.ts.URL+"/transferts/"+list+".csv", nil)
		resp, err := adminB.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("\ufeff")) || !strings.Contains(string(b), ";") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s.csv: %d %q", list, resp.StatusCode, b)
		}
		if list == "recus" && !strings.Contains(string(b), "DURAND Léa;"+string(uaiA)+";Lycée A;oui;") {
			t.Errorf("recus.csv: %q", b)
		}
	}
	// Teachers do not see it.
	if status, _ := f.do(f.session(f.b, sillage.RoleTeacher), "GET", "/transferts", nil); status != http.StatusForbidden {
		t.Errorf("teacher: %d", status)
	}
}

// transferSignIn posts the sign-in form and returns the status, the redirect and
// the body.
func transferSignIn(t *testing.T, f *fixture, c *http.Client, login string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.ts.URL+"/connexion", strings.NewReader(url.Values{"login": {login}, "password": {fixturePassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func TestDepartedStudent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	login := "student." + strings.ToLower(string(uaiA))
	f.st.Write(ctx, func(tx *store.Tx) error { return tx.People().SetPersonActive(ctx, uaiA, f.a.Student.ID, false) })

	c := f.anonymous()
	status, loc, body := transferSignIn(t, f, c, login)
	if status != http.StatusSeeOther {
		t.Fatalf("departed sign-in: %d %s", status, body)
	}
	status, _ = f.do(c, "GET", loc, nil)
	if status != http.StatusSeeOther {
		t.Fatalf("first page: %d", status)
	}
	status, body = f.do(c, "GET", "/depart", nil)
	if pg := parsePage(t, body); status != http.StatusOK || !pg.has("a#download", "Télécharger mon livret") || pg.attr("a#download", "href") != "/depart/livret.zip" {
		t.Fatalf("departed page: %d %s", status, body)
	}
	// One page: everything else leads back to it.
	for _, p := range []string{"/", "/messages", "/transferts", "/compte", "/compte/mot-de-passe"} {
		req, _ := http.NewRequest("GET", f.ts.URL+p, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/depart" {
			t.Errorf("%s: %d → %s, want /depart", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	req, _ := http.NewRequest("GET", f.ts.URL+"/depart/livret.zip", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s", resp.StatusCode, zb)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, zf := range zr.File {
		names[zf.Name] = true
	}
	if !names["livret.pdf"] || !names["livret.json"] {
		t.Errorf("archive entries %v", names)
	}
	var downloads []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		downloads, err = tx.Audit().ListAudit(ctx, uaiA, sillage.AuditFilter{Action: audit.RecordDownloaded})
		return err
	})
	if len(downloads) != 1 {
		t.Errorf("download audit %+v", downloads)
	}

	// Three months after leaving: sign-in refused, the open session ends.
	f.clock.T = f.clock.T.AddDate(0, 3, 1)
	status, _, body = transferSignIn(t, f, f.anonymous(), login)
	if status != http.StatusUnauthorized || !parsePage(t, body).has("p.errors", "a pris fin") {
		t.Errorf("after 3 months: %d %s", status, body)
	}
	status, _ = f.do(c, "GET", "/depart", nil)
	if status != http.StatusSeeOther {
		t.Errorf("old session after 3 months: %d", status)
	}
}

// TestSignInAfterTransferAndPurge: once the data is deleted at the origin,
// the former credentials say why they no longer work.
func TestSignInAfterTransferAndPurge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	loginA := "student." + strings.ToLower(string(uaiA))
	c := f.anonymous()
	moveStudent(t, f, false)
	if status, _, _ := transferSignIn(t, f, c, loginA); status != http.StatusSeeOther {
		t.Fatalf("departed sign-in before the transfer: %d", status)
	}
	if _, err := transfer.Run(ctx, f.st, transfer.Options{}); err != nil {
		t.Fatal(err)
	}
	// The right password learns where the record went, and when.
	status, _, body := transferSignIn(t, f, f.anonymous(), loginA)
	want := "Votre livret a été transféré le " + sillage.FormatDate(f.clock.T) + " vers Collège B (" + string(uaiB) + ")"
	if status != http.StatusUnauthorized || !parsePage(t, body).has("p.errors", want) {
		t.Errorf("after the transfer: %d, want %q in %s", status, want, parsePage(t, body).text("p.errors"))
	}
	if status, _ := f.do(c, "GET", "/depart", nil); status != http.StatusSeeOther {
		t.Errorf("the session survived the transfer: %d", status)
	}

	// B's student leaves; seven months later the purge deletes them.
	loginB := "student." + strings.ToLower(string(uaiB))
	f.st.Write(ctx, func(tx *store.Tx) error { return tx.People().SetPersonActive(ctx, uaiB, f.b.Student.ID, false) })
	f.clock.T = f.clock.T.AddDate(0, 7, 0)
	rep, err := transfer.Purge(ctx, f.st, transfer.Options{})
	if err != nil || rep.Students != 1 {
		t.Fatalf("purge %+v %v", rep, err)
	}
	status, _, body = transferSignIn(t, f, f.anonymous(), loginB)
	if status != http.StatusUnauthorized || !parsePage(t, body).has("p.errors", "supprimé au terme de sa durée de conservation") {
		t.Errorf("after the purge: %d %s", status, body)
	}
}

func TestOperatorJobsPageWithoutQueue(t *testing.T) {
	f := newFixture(t)
	moveStudent(t, f, false)
	op := f.session(f.a, "operator")
	status, body := f.do(op, "GET", "/operateur/taches", nil)
	if status != http.StatusOK || !parsePage(t, body).has("button#run-transfer", "Lancer le transfert maintenant") {
		t.Fatalf("jobs page: %d %s", status, body)
	}
	status, _ = f.do(op, "POST", "/operateur/taches/transfert", url.Values{})
	if status != http.StatusSeeOther {
		t.Fatalf("run now: %d", status)
	}
	_, body = f.do(op, "GET", "/operateur/taches", nil)
	if !parsePage(t, body).has("p.flash", "1 transféré(s)") {
		t.Errorf("flash after the run: %s", body)
	}
	if status, _ = f.do(op, "POST", "/operateur/taches/purge", url.Values{}); status != http.StatusSeeOther {
		t.Errorf("purge now: %d", status)
	}
}

// TestTransferDashboardSchoolDays: the dashboard shows days of the schools'
// zone (a transfer at 22:30 UTC happened the next day in Paris), its "du"
// filter starts at midnight in that zone, and the content of a transfer
// counts its comments.
func TestTransferDashboardSchoolDays(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			ctx := context.Background()
			f.clock.T = time.Date(2025, time.October, 6, 22, 30, 0, 0, time.UTC) // 07/10 at 00:30 in Paris
			s := f.a.Student
			err := f.st.Write(ctx, func(tx *store.Tx) error {
				ref, err := tx.Records().GetReferentialByDiploma(ctx, uaiA, s.Diploma)
				if sillage.KindOf(err) == sillage.KindNotFound {
					ref = sillage.Referential{Diploma: s.Diploma, Kind: sillage.ReferentialBacPro, Label: "Bac pro MELEC",
						Competences: []sillage.Competence{{Domain: "C1", Code: "C1.1", Label: "Analyser"}}}
					err = tx.Records().CreateReferential(ctx, uaiA, &ref)
				}
				if err != nil {
					return err
				}
				ev := sillage.Evaluation{Title: "Câblage", Date: sillage.NewDate(2025, 10, 1), Diploma: s.Diploma, ReferentialID: ref.ID,
					AuthorID: f.a.Persons[sillage.RoleTeacher].ID}
				if err := tx.Records().CreateEvaluation(ctx, uaiA, &ev); err != nil {
					return err
				}
				if err := tx.Records().SetResult(ctx, uaiA, sillage.Result{EvaluationID: ev.ID, StudentID: s.ID, CompetenceID: ref.Competences[0].ID, Value: "3"}); err != nil {
					return err
				}
				return tx.Records().SetComment(ctx, uaiA, sillage.Comment{EvaluationID: ev.ID, StudentID: s.ID, Text: "Soigné"})
			})
			if err != nil {
				t.Fatal(err)
			}
			moveStudent(t, f, false)
			rep, err := transfer.Run(ctx, f.st, transfer.Options{})
			if err != nil || len(rep.Transferred) != 1 {
				t.Fatalf("transfer: %+v %v", rep, err)
			}
			c := rep.Transferred[0].Counts
			if c.Comments == 0 {
				t.Fatalf("counts %+v: the record has a comment", c)
			}
			adminB := f.session(f.b, sillage.RoleAdministrator)
			status, body := f.do(adminB, "GET", "/transferts?du=2025-10-07", nil)
			if status != http.StatusOK {
				t.Fatalf("dashboard: %d %s", status, body)
			}
			content := fmt.Sprintf("%d évaluation(s), %d résultat(s), %d commentaire(s), %d fiche(s), %d fichier(s)", c.Evaluations, c.Results, c.Comments, c.Sheets, c.Files)
			pg := parsePage(t, body)
			for _, want := range [][2]string{{"#incoming td", "DURAND Léa"}, {"#incoming td", "07/10/2025"}, {"#incoming td", content}, {"#pending td", "ATTENTE Hugo"}} {
				if !pg.has(want[0], want[1]) {
					t.Errorf("dashboard from the 7th (Paris) lacks %q in %s", want[1], want[0])
				}
			}
			if pg.has("main", "06/10/2025") {
				t.Error("a date shown in UTC, not in the schools' zone")
			}
			_, body = f.do(adminB, "GET", "/transferts?du=2025-10-08", nil)
			if pg := parsePage(t, body); pg.has("main", "DURAND Léa") || pg.has("main", "ATTENTE Hugo") {
				t.Error("the dashboard from the 8th shows the transfer or the pending student of the 7th")
			}
			req, _ := http.NewRequest("GET", f.ts.URL+"/transferts/recus.csv?du=2025-10-07", nil)
			resp, err := adminB.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), "07/10/2025;DURAND Léa;") {
				t.Errorf("recus.csv: %q", b)
			}
		})
	}
}
