package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/web"
)

// A director whose establishment has enabled the transfer runs a pass from
// the dashboard and sees its outcome at once; without the transfer enabled,
// the button is absent and the request refused.
func TestDashboardRunsAPass(t *testing.T) {
	f := newFixture(t)
	moveStudent(t, f, false)
	c := f.session(f.b, sillage.RoleDirector)
	_, body := f.do(c, "GET", "/transferts", nil)
	if !parsePage(t, body).has("button#run-pass", "Lancer un passage du transfert maintenant") {
		t.Fatalf("no pass button on the dashboard of an establishment that enabled the transfer")
	}
	if status, _ := f.do(c, "POST", "/transferts/passage", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("run a pass: %d", status)
	}
	_, body = f.do(c, "GET", "/transferts", nil)
	p := parsePage(t, body)
	if !p.has("p.flash", "Passage du transfert effectué") || !p.has("h2#recus", "(1)") {
		t.Errorf("after the pass: flash %q, received %q", p.text("p.flash"), p.text("h2#recus"))
	}

	// A teacher may not run a pass.
	teacher := f.session(f.b, sillage.RoleTeacher)
	if status, _ := f.do(teacher, "POST", "/transferts/passage", url.Values{}); status != http.StatusForbidden && status != http.StatusNotFound {
		t.Errorf("a teacher ran a pass: %d", status)
	}

	// Disabled: no button, the request refused with the reason.
	if status, _ := f.do(c, "POST", "/transferts/parametres", url.Values{"transfert": {"non"}}); status != http.StatusSeeOther {
		t.Fatalf("disable: %d", status)
	}
	_, body = f.do(c, "GET", "/transferts", nil)
	if parsePage(t, body).count("button#run-pass") != 0 {
		t.Error("pass button shown while the transfer is disabled")
	}
	status, body := f.do(c, "POST", "/transferts/passage", url.Values{})
	if status != http.StatusConflict || !parsePage(t, body).has("main", "activez d'abord le transfert") {
		t.Errorf("pass while disabled: %d %s", status, parsePage(t, body).text("main"))
	}
}

// Changing the transfer setting queues a pass in the same transaction, so
// the reasons shown on both sides follow; saving the same setting does not.
func TestTransferSettingQueuesAPass(t *testing.T) {
	f := newFixture(t)
	q := &fakeQueue{}
	f.serveWith(web.Hooks{Jobs: q})
	c := f.session(f.a, sillage.RoleAdministrator)
	form := url.Values{"transfert": {"oui"}, "reference": {"CNIL-2026-0042"}}
	if status, _ := f.do(c, "POST", "/transferts/parametres", form); status != http.StatusSeeOther {
		t.Fatalf("enable: %d", status)
	}
	if len(q.inserted) != 1 {
		t.Fatalf("jobs queued by the change: %d, want 1", len(q.inserted))
	}
	if a, ok := q.inserted[0].(jobs.TransferArgs); !ok || a.Trigger != jobs.TriggerSettings {
		t.Errorf("queued %+v, want a transfer pass after a settings change", q.inserted[0])
	}
	if status, _ := f.do(c, "POST", "/transferts/parametres", form); status != http.StatusSeeOther || len(q.inserted) != 1 {
		t.Errorf("the same setting again queued a pass: %d jobs", len(q.inserted))
	}
}
