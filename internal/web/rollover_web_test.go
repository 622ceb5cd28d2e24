package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/web"
)

// The changeover's entities in every tenant of the fixture: a class space
// of the division with a document, an archive, a free group managed by
// every role that manages groups.
func init() {
	fixtureSetups = append(fixtureSetups, func(ctx context.Context, tx *store.Tx, f *fixture, tn *tenant) error {
		sp, err := tx.Rollover().CreateClassSpace(ctx, tn.UAI, tn.Division.ID)
		if err != nil {
			return err
		}
		tn.IDs["space"] = sp.ID
		ref, err := f.blobs.Put(strings.NewReader("%PDF-1.4 cours " + string(tn.UAI)))
		if err != nil {
			return err
		}
		file := sillage.ClassSpaceFile{SpaceID: sp.ID, Name: "cours.pdf", SHA256: ref.SHA256, Size: ref.Size, ContentType: "application/pdf",
			PostedBy: tn.Persons[sillage.RoleTeacher].ID}
		if err := tx.Rollover().AddClassSpaceFile(ctx, tn.UAI, &file); err != nil {
			return err
		}
		tn.IDs["spacefile"] = file.ID
		zipRef, err := f.blobs.Put(strings.NewReader("PK\x05\x06" + strings.Repeat("\x00", 18)))
		if err != nil {
			return err
		}
		a := sillage.Archive{SchoolYear: tn.Division.SchoolYear - 1, DivisionCode: "1SN", Name: "Archive 2024-2025 — 1SN.zip", SHA256: zipRef.SHA256, Size: zipRef.Size}
		if err := tx.Records().AddArchive(ctx, tn.UAI, &a); err != nil {
			return err
		}
		tn.IDs["archive"] = a.ID
		g := sillage.Group{SchoolYear: tn.Division.SchoolYear, Label: "Club théâtre", Kind: sillage.GroupFree, Lifetime: sillage.LifetimeYear,
			Managers: []int64{tn.Persons[sillage.RoleTeacher].ID, tn.Persons[sillage.RoleDirector].ID, tn.Persons[sillage.RoleStaff].ID}}
		if err := tx.People().CreateGroup(ctx, tn.UAI, &g); err != nil {
			return err
		}
		tn.IDs["group"] = g.ID
		// The fixture's student is in it (a member to take out).
		return tx.People().AddGroupMember(ctx, tn.UAI, g.ID, tn.IDs["student"])
	})
}

// fakeQueue records the jobs the operator's button enqueues.
type fakeQueue struct{ inserted []river.JobArgs }

func (q *fakeQueue) List(ctx context.Context, limit int) ([]jobs.Job, error) { return nil, nil }
func (q *fakeQueue) EnqueueTransfer(ctx context.Context, trigger string, uais []sillage.UAI) (int64, error) {
	return 0, nil
}
func (q *fakeQueue) EnqueueTransferTx(ctx context.Context, tx *store.Tx, trigger string, uais []sillage.UAI) (int64, error) {
	q.inserted = append(q.inserted, jobs.TransferArgs{Trigger: trigger})
	return int64(len(q.inserted)), nil
}
func (q *fakeQueue) EnqueuePurge(ctx context.Context, trigger string) (int64, error) { return 0, nil }
func (q *fakeQueue) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	q.inserted = append(q.inserted, args)
	return int64(len(q.inserted)), nil
}

// serveWith starts another server over the fixture's store with hooks.
func (f *fixture) serveWith(h web.Hooks) {
	f.t.Helper()
	srv, err := web.NewServer(web.Deps{Config: f.cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Rollover: f.rolloverEngine(), Hooks: h})
	if err != nil {
		f.t.Fatal(err)
	}
	f.srv = srv
	f.ts = httptest.NewServer(srv)
	f.t.Cleanup(f.ts.Close)
}

func TestRolloverOperatorPageAndQueue(t *testing.T) {
	f := newFixture(t)
	q := &fakeQueue{}
	f.serveWith(web.Hooks{Jobs: q})
	op := f.session(f.a, "operator")
	year := sillage.SchoolYearOf(f.clock.T)
	status, body := f.do(op, "GET", "/operateur/changement-annee", nil)
	pg := parsePage(t, body)
	if status != http.StatusOK || !pg.has("h1", "Changement d'année "+year.String()) || pg.count("table#rollover-table") != 1 {
		t.Fatalf("operator page: %d %.300s", status, body)
	}
	for _, uai := range []sillage.UAI{uaiA, uaiB} {
		if !pg.has("#rollover-table td", string(uai)) {
			t.Fatalf("establishment %s missing", uai)
		}
	}
	// The dry run of one establishment: counts, never a name.
	status, body = f.do(op, "GET", "/operateur/changement-annee?plan=1&uai="+string(uaiA), nil)
	pg = parsePage(t, body)
	if status != http.StatusOK || !pg.has("h2#plan", "Passage à blanc") || !pg.has("table.plan-step td", "Archives de classe à écrire") {
		t.Fatalf("plan: %d %.300s", status, body)
	}
	if pg.has("main", f.a.Student.LastName) {
		t.Fatal("the operator's plan names a student")
	}
	token := fmt.Sprintf("%d/%d", 2, int(year))
	// Out of its window, without the confirmation naming step and year:
	// the preview and the off-calendar form, nothing queued.
	status, body = f.do(op, "POST", "/operateur/changement-annee/etape", url.Values{"etape": {"2"}, "uai": {string(uaiA)}})
	if status != http.StatusOK || parsePage(t, body).count("form#off-calendar-form") != 1 || len(q.inserted) != 0 {
		t.Fatalf("step 2 out of its window: %d %.300s", status, body)
	}
	// Step 2 before step 1, confirmed off calendar: refused with the reason.
	status, body = f.do(op, "POST", "/operateur/changement-annee/etape", url.Values{"etape": {"2"}, "uai": {string(uaiA)}, "hors_calendrier": {token}})
	if status != http.StatusConflict || !parsePage(t, body).has(".error-message", "l'étape 1") {
		t.Fatalf("step 2 first: %d %.300s", status, body)
	}
	// Step 1 deletes: the preview first, with its digest.
	status, body = f.do(op, "POST", "/operateur/changement-annee/etape", url.Values{"etape": {"1"}})
	digest := parsePage(t, body).text("#preview-digest")
	if status != http.StatusOK || !regexp.MustCompile(`^[0-9a-f]+$`).MatchString(digest) || len(q.inserted) != 0 {
		t.Fatalf("step 1 preview: %d %.300s", status, body)
	}
	token = fmt.Sprintf("1/%d", int(year))
	// A stale digest: refused, the new preview shown.
	status, body = f.do(op, "POST", "/operateur/changement-annee/etape", url.Values{"etape": {"1"}, "apercu": {"0000000000000000"}, "hors_calendrier": {token}})
	if status != http.StatusConflict || parsePage(t, body).text("#preview-digest") != digest || len(q.inserted) != 0 {
		t.Fatalf("stale preview: %d %.300s", status, body)
	}
	// Step 1 for every establishment: two jobs, states "queued".
	status, _ = f.do(op, "POST", "/operateur/changement-annee/etape", url.Values{"etape": {"1"}, "apercu": {digest}, "hors_calendrier": {token}})
	if status != http.StatusSeeOther || len(q.inserted) != 2 {
		t.Fatalf("enqueue: %d, %d jobs", status, len(q.inserted))
	}
	if a := q.inserted[0].(rollover.JobArgs); a.Step != 1 || a.Year != int(year) {
		t.Fatalf("job args %+v", a)
	}
	_, body = f.do(op, "GET", "/operateur/changement-annee/avancement", nil)
	if pg := parsePage(t, body); !pg.has("#rollover-table td .badge", "en attente") || pg.attr("#rollover-states", "hx-trigger") != "every 2s" {
		t.Fatalf("progress fragment: %.500s", body)
	}
	// Enqueued twice: nothing more.
	f.do(op, "POST", "/operateur/changement-annee/etape", url.Values{"etape": {"1"}, "apercu": {digest}, "hors_calendrier": {token}})
	if len(q.inserted) != 2 {
		t.Fatalf("%d jobs after a second click", len(q.inserted))
	}
	// A worker takes A's step 1, then its process dies: 30 seconds
	// later the step is shown stuck since its last sign of life, with a
	// button that relaunches it.
	ctx := context.Background()
	died := f.clock.T
	if err := f.st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Rollover().UpdateRolloverStepClaim(ctx, uaiA, year, 1, tx.Now().Add(rollover.DefaultLease), "operateur", "serveur-2, processus 77")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, body = f.do(op, "GET", "/operateur/changement-annee", nil)
	if parsePage(t, body).has("#rollover-table", "bloquée depuis") {
		t.Fatal("a step shown stuck while its lease runs")
	}
	status, body = f.do(op, "POST", "/operateur/changement-annee/relancer", url.Values{"etape": {"1"}, "uai": {string(uaiA)}})
	if status != http.StatusConflict || !parsePage(t, body).has(".error-message", "pas bloquée") {
		t.Fatalf("relaunch of a live step: %d %.300s", status, body)
	}
	f.clock.T = f.clock.T.Add(rollover.DefaultLease + time.Second)
	_, body = f.do(op, "GET", "/operateur/changement-annee", nil)
	pg = parsePage(t, body)
	if !pg.has("#rollover-table .badge.stuck", "bloquée depuis le "+sillage.FormatDateTime(died)) || !pg.has("#rollover-table .meta", "serveur-2, processus 77") ||
		pg.count(`#rollover-table form[action="/operateur/changement-annee/relancer"]`) != 1 || !pg.has("#rollover-stuck", "1 étape(s) bloquée(s)") {
		t.Fatalf("stuck step not shown: %.2000s", body)
	}
	status, _ = f.do(op, "POST", "/operateur/changement-annee/relancer", url.Values{"etape": {"1"}, "uai": {string(uaiA)}})
	if status != http.StatusSeeOther || len(q.inserted) != 3 {
		t.Fatalf("relaunch: %d, %d jobs", status, len(q.inserted))
	}
	if a := q.inserted[2].(rollover.JobArgs); a.UAI != string(uaiA) || a.Step != 1 || a.Relaunch != 1 {
		t.Fatalf("relaunch job %+v", a)
	}
	_, body = f.do(op, "GET", "/operateur/changement-annee", nil)
	if parsePage(t, body).has("#rollover-table", "bloquée depuis") {
		t.Fatal("the relaunched step is still shown stuck")
	}
}

func TestRolloverCalendarForm(t *testing.T) {
	f := newFixture(t)
	op := f.session(f.a, "operator")
	year := sillage.SchoolYearOf(f.clock.T)
	c := rollover.DefaultCalendar(year)
	form := url.Values{"annee": {fmt.Sprint(int(year))}}
	for i, w := range c.Steps {
		form.Set(fmt.Sprintf("etape%d_du", i+1), w.From.String())
		form.Set(fmt.Sprintf("etape%d_au", i+1), w.To.String())
	}
	form.Set("corbeille", c.TrashWarning.String())
	form.Set("groupes", c.GroupWarning.String())
	form.Set("rappel", sillage.NewDate(int(year)+1, time.July, 8).String())
	form.Set("rentree", c.TermStart.String())
	form.Set("blocage_du", c.Blocking.From.String())
	form.Set("blocage_au", c.Blocking.Until.String())
	form.Set("blocage_min", c.Blocking.EarliestFrom.String())
	form.Set("blocage_max", c.Blocking.LatestUntil.String())
	form.Set("blocage_message", "Fermé du {debut} au {fin}.")
	form.Set("blocage_modifiable", "1")
	form["blocage_profils"] = []string{"student", "parent"}
	if status, body := f.do(op, "POST", "/operateur/changement-annee/calendrier", form); status != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", status, body)
	}
	var got rollover.Calendar
	if err := f.st.Read(context.Background(), func(tx *store.Tx) (err error) {
		got, err = rollover.LoadCalendar(context.Background(), tx, year)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !got.Saved || got.GroupReminder != sillage.NewDate(int(year)+1, time.July, 8) || got.Blocking.Message != "Fermé du {debut} au {fin}." {
		t.Fatalf("calendar %+v", got)
	}
	// A reminder after step 3 is refused, with the reason.
	form.Set("rappel", sillage.NewDate(int(year)+1, time.July, 30).String())
	if status, body := f.do(op, "POST", "/operateur/changement-annee/calendrier", form); status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "rappel") {
		t.Fatalf("bad reminder: %d %.300s", status, body)
	}
}

// TestBlockedStudent: during the window, a student and a parent see only
// the message; a teacher works; the administrator changes the window.
func TestBlockedStudent(t *testing.T) {
	f := newFixture(t)
	blocker := rollover.NewBlocker(f.st)
	f.serveWith(web.Hooks{AccessBlocked: blocker.Blocked, BlockingChanged: blocker.Invalidate})
	year := sillage.SchoolYearOf(f.clock.T)
	f.clock.T = time.Date(int(year)+1, time.August, 20, 10, 0, 0, 0, time.UTC)
	student := f.session(f.a, sillage.RoleStudent)
	for _, path := range []string{"/", "/mon-livret", "/messages"} {
		status, body := f.do(student, "GET", path, nil)
		if status != http.StatusServiceUnavailable || !parsePage(t, body).has("#blocked-message", "Votre espace Sillage est indisponible du 17 août au 31 août") {
			t.Fatalf("student on %s: %d %.300s", path, status, body)
		}
	}
	if status, _ := f.do(f.session(f.a, sillage.RoleParent), "GET", "/mes-enfants", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("parent: %d", status)
	}
	if status, _ := f.do(f.session(f.a, sillage.RoleTeacher), "GET", "/", nil); status != http.StatusOK {
		t.Fatalf("teacher: %d", status)
	}
	// The administrator ends the blocking earlier, with its own message.
	admin := f.session(f.a, sillage.RoleAdministrator)
	status, body := f.do(admin, "POST", "/changement-annee/blocage", url.Values{"annee": {fmt.Sprint(int(year))}, "du": {fmt.Sprintf("%d-08-17", int(year)+1)},
		"au": {fmt.Sprintf("%d-08-19", int(year)+1)}, "message": {"Retour le {fin}"}})
	if status != http.StatusSeeOther {
		t.Fatalf("override: %d %.300s", status, body)
	}
	if status, _ := f.do(student, "GET", "/", nil); status == http.StatusServiceUnavailable {
		t.Fatal("still blocked after the administrator shortened the window")
	}
	// Beyond the operator's limits: refused.
	status, body = f.do(admin, "POST", "/changement-annee/blocage", url.Values{"annee": {fmt.Sprint(int(year))}, "du": {fmt.Sprintf("%d-08-01", int(year)+1)},
		"au": {fmt.Sprintf("%d-08-19", int(year)+1)}})
	if status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "limites") {
		t.Fatalf("beyond the limits: %d %.300s", status, body)
	}
	// B's students are still blocked: the override is A's.
	if status, _ := f.do(f.session(f.b, sillage.RoleStudent), "GET", "/", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("B's student: %d", status)
	}
	// A student of B who left (deactivated by step 4) still reaches their
	// one page and its download: the blocking would eat their window.
	ctx := context.Background()
	if err := f.st.Write(ctx, func(tx *store.Tx) error { return tx.People().SetPersonActive(ctx, uaiB, f.b.Student.ID, false) }); err != nil {
		t.Fatal(err)
	}
	c := f.anonymous()
	if status, _, body := transferSignIn(t, f, c, "student."+strings.ToLower(string(uaiB))); status != http.StatusSeeOther {
		t.Fatalf("departed sign-in during the blocking: %d %.300s", status, body)
	}
	for _, path := range []string{"/depart", "/depart/livret.zip"} {
		if status, body := f.do(c, "GET", path, nil); status != http.StatusOK {
			t.Fatalf("departed student on %s during the blocking: %d %.300s", path, status, body)
		}
	}
}

// TestGroupLifetimeFromMessage: the manager follows the link of the
// warning and makes the group permanent.
func TestGroupLifetimeFromMessage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	year := sillage.SchoolYearOf(f.clock.T)
	f.clock.T = time.Date(int(year)+1, time.June, 30, 9, 0, 0, 0, time.UTC)
	if _, err := rollover.SendDueNotices(ctx, f.st); err != nil {
		t.Fatal(err)
	}
	teacher := f.session(f.a, sillage.RoleTeacher)
	_, body := f.do(teacher, "GET", "/messages", nil)
	if pg := parsePage(t, body); !strings.HasPrefix(pg.attr("table.list td a", "href"), "/messages/") ||
		!pg.has("table.list td a", "Suppression des groupes libres limités à l'année scolaire") {
		t.Fatalf("no warning in the box: %.500s", body)
	}
	var msgID int64
	var msgs []sillage.InboxMessage
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		msgs, err = tx.Accounts().ListMessages(ctx, uaiA, f.a.Persons[sillage.RoleTeacher].ID)
		return err
	})
	for _, m := range msgs {
		if m.Subject == rollover.SubjectGroupWarning {
			msgID = m.ID
		}
	}
	_, body = f.do(teacher, "GET", fmt.Sprintf("/messages/%d", msgID), nil)
	link := fmt.Sprintf("/groupes/%d", f.a.IDs["group"])
	if parsePage(t, body).text(fmt.Sprintf(`.message-body a[href="%s"]`, link)) != link {
		t.Fatalf("the message's link is not clickable: %.800s", body)
	}
	status, body := f.do(teacher, "POST", fmt.Sprintf("/groupes/%d/duree", f.a.IDs["group"]), url.Values{"duree": {"permanent"}})
	if status != http.StatusSeeOther {
		t.Fatalf("lifetime: %d %.300s", status, body)
	}
	f.st.Read(ctx, func(tx *store.Tx) error {
		g, err := tx.People().GetGroup(ctx, uaiA, f.a.IDs["group"])
		if err != nil || g.Lifetime != sillage.LifetimePermanent {
			t.Fatalf("group %+v %v", g, err)
		}
		return nil
	})
	// A teacher of B cannot reach A's group.
	if status, _ := f.do(f.session(f.b, sillage.RoleTeacher), "GET", fmt.Sprintf("/groupes/%d", f.a.IDs["group"]), nil); status != http.StatusNotFound {
		t.Fatalf("B's teacher: %d", status)
	}
}

func TestLinkifyKeepsTextSafe(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	body := "Voir /corbeille.\n<script>alert(1)</script> //evil.example /groupes/12?x=1&y=2 et javascript:alert(1)"
	var id int64
	if err := f.st.Write(ctx, func(tx *store.Tx) error {
		m := sillage.InboxMessage{RecipientID: f.a.Persons[sillage.RoleTeacher].ID, Sender: "Test", Subject: "Liens", Body: body}
		err := tx.Accounts().SendMessage(ctx, uaiA, &m)
		id = m.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, page := f.do(f.session(f.a, sillage.RoleTeacher), "GET", fmt.Sprintf("/messages/%d", id), nil)
	pg := parsePage(t, page)
	if pg.text(`.message-body a[href="/corbeille"]`) != "/corbeille" || pg.count(".message-body br") != 1 || !pg.has(".message-body", "Voir /corbeille.") {
		t.Error("missing the link to /corbeille, its period outside, then the line break")
	}
	if !pg.has(".message-body", "<script>alert(1)</script>") {
		t.Error("missing the escaped script tag as text")
	}
	if pg.count(`.message-body a[href="/groupes/12?x=1&y=2"]`) != 1 {
		t.Error("missing the link to /groupes/12 with its query")
	}
	for _, bad := range []string{`a[href^="//evil"]`, `a[href^="javascript"]`, ".message-body script"} {
		if pg.count(bad) != 0 {
			t.Errorf("unsafe %s", bad)
		}
	}
	if pg.has("script", "alert") {
		t.Error("unsafe script element")
	}
}

// TestClassSpaceReach: the division's student reads, its teacher posts,
// the parent has no access; in the trash, teachers read and the student
// does not.
func TestClassSpaceReach(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	space := fmt.Sprintf("/classes/%d", f.a.IDs["space"])
	if status, body := f.do(f.session(f.a, sillage.RoleStudent), "GET", space, nil); status != http.StatusOK || !parsePage(t, body).has("#space-right", "lecteur") {
		t.Fatalf("student: %d", status)
	}
	teacher := f.session(f.a, sillage.RoleTeacher)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("fichier", "exercices.pdf")
	w.Write([]byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
	mw.Close()
	req, _ := http.NewRequest("POST", f.ts.URL+space+"/documents", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := teacher.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("teacher's upload: %d", resp.StatusCode)
	}
	if _, body := f.do(teacher, "GET", space, nil); !parsePage(t, body).has("#space-files td a", "exercices.pdf") {
		t.Fatal("document not listed")
	}
	// The space goes to the trash.
	if err := f.st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Rollover().TrashClassSpace(ctx, uaiA, f.a.IDs["space"], nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if status, _ := f.do(f.session(f.a, sillage.RoleStudent), "GET", space, nil); status != http.StatusNotFound {
		t.Fatalf("student on a trashed space: %d", status)
	}
	if status, body := f.do(teacher, "GET", space, nil); status != http.StatusOK || !parsePage(t, body).has("#space-trashed", "corbeille") {
		t.Fatalf("teacher on a trashed space: %d", status)
	}
}

// TestEstablishmentUpload: the administrator uploads the N+1 file; a file
// of another year or establishment is refused.
func TestEstablishmentUpload(t *testing.T) {
	f := newFixture(t)
	year := sillage.SchoolYearOf(f.clock.T)
	admin := f.session(f.a, sillage.RoleAdministrator)
	post := func(uai sillage.UAI, y int) (int, string) {
		sf := &siecle.StudentsFile{Header: siecle.Header{UAJ: uai, Year: y, ExportDate: time.Date(y, 8, 1, 0, 0, 0, 0, time.UTC)},
			Students: []siecle.JoinedStudent{{Student: siecle.Student{EleveID: "1", LastName: "Dupont", FirstName: "Léa", Sex: "F",
				BirthDate: time.Date(2010, 1, 2, 0, 0, 0, 0, time.UTC), MEF: "24732205310", Status: "ST"}, Division: "1SN"}}}
		var x bytes.Buffer
		if err := siecle.WriteStudents(&x, sf); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("annee", fmt.Sprint(int(year)))
		w, _ := mw.CreateFormFile("fichier", "ElevesSansAdresses.xml")
		w.Write(x.Bytes())
		mw.Close()
		req, _ := http.NewRequest("POST", f.ts.URL+"/changement-annee/fichier", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := post(uaiA, int(year)); status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "attend un fichier de l'année") {
		t.Fatalf("year-N file: %d %.300s", status, body)
	}
	if status, body := post(uaiB, int(year)+1); status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", string(uaiB)) {
		t.Fatalf("other establishment's file: %d %.300s", status, body)
	}
	if status, body := post(uaiA, int(year)+1); status != http.StatusSeeOther {
		t.Fatalf("upload: %d %.300s", status, body)
	}
	if _, body := f.do(admin, "GET", "/changement-annee", nil); !parsePage(t, body).has("#init-file strong", "ElevesSansAdresses.xml") {
		t.Fatal("uploaded file not shown")
	}
}
