package web_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// addStudents puts n students named Élève 001… into the tenant's division,
// plus one André ŒUVRAY, and returns nothing: the lists read them back.
func addStudents(t *testing.T, f *fixture, tn *tenant, n int) {
	t.Helper()
	ctx := context.Background()
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		for i := range n {
			s := sillage.Student{Person: sillage.Person{Role: sillage.RoleStudent, LastName: fmt.Sprintf("Élève %03d", i+1), FirstName: "Zoé"},
				DivisionID: tn.Division.ID}
			if err := tx.People().CreateStudent(ctx, tn.UAI, &s); err != nil {
				return err
			}
		}
		s := sillage.Student{Person: sillage.Person{Role: sillage.RoleStudent, LastName: "ŒUVRAY", FirstName: "André"}, DivisionID: tn.Division.ID}
		return tx.People().CreateStudent(ctx, tn.UAI, &s)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Staff find students the way they type: without accents, case or
// ligatures, words in any order.
func TestStudentSearchIgnoresAccentsAndLigatures(t *testing.T) {
	f := newFixture(t)
	addStudents(t, f, f.a, 3)
	c := f.session(f.a, sillage.RoleDirector)
	for _, q := range []string{"andre", "oeuvray", "OEUVRAY andré", "andre oeuv"} {
		code, body := f.do(c, "GET", "/eleves?q="+url.QueryEscape(q), nil)
		if code != 200 {
			t.Fatalf("%q: status %d", q, code)
		}
		p := parsePage(t, body)
		if !p.has("table.list td", "ŒUVRAY") {
			t.Errorf("%q does not find André ŒUVRAY", q)
		}
		if p.has("table.list td", "Élève 001") {
			t.Errorf("%q finds Élève 001", q)
		}
	}
}

// A long list shows one page at a time with its count and links that keep
// the filters; accents do not push names to the end (Élève with the E's).
func TestStudentListPages(t *testing.T) {
	f := newFixture(t)
	addStudents(t, f, f.a, 120)
	c := f.session(f.a, sillage.RoleDirector)
	division := fmt.Sprint(f.a.Division.ID)
	code, body := f.do(c, "GET", "/eleves?division="+division, nil)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	p := parsePage(t, body)
	if n := p.count("table.list tbody tr"); n != 50 {
		t.Errorf("first page: %d lines, want 50", n)
	}
	total := 0
	err := f.st.Read(context.Background(), func(tx *store.Tx) error {
		all, err := tx.People().ListStudents(context.Background(), f.a.UAI, sillage.StudentFilter{DivisionID: f.a.Division.ID, ActiveOnly: true})
		total = len(all)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("1 à 50 sur %d élèves — page 1 sur 3", total); !p.has("nav.pager", want) {
		t.Errorf("pager says %q, want %q", p.text("nav.pager"), want)
	}
	next := p.attr("nav.pager a[rel=next]", "href")
	u, err := url.Parse(next)
	if err != nil || u.Query().Get("page") != "2" || u.Query().Get("division") != division {
		t.Fatalf("next link %q: want page 2 of the same division", next)
	}
	_, body = f.do(c, "GET", next, nil)
	p = parsePage(t, body)
	if !p.has("nav.pager", fmt.Sprintf("51 à 100 sur %d élèves", total)) || p.attr("nav.pager a[rel=prev]", "href") == "" {
		t.Errorf("second page pager: %q", p.text("nav.pager"))
	}
	// French order: the 120 Élève NNN (É with the E's, not after Z) come
	// first, so page 2 starts at the 51st.
	if first := p.text("table.list tbody tr td:first-child"); first != "ÉLÈVE 051 Zoé" {
		t.Errorf("second page starts with %q, want Élève 051", first)
	}
	// Past the end: the last page, not an error.
	_, body = f.do(c, "GET", "/eleves?division="+division+"&page=99", nil)
	p = parsePage(t, body)
	if !p.has("nav.pager", "page 3 sur 3") || p.attr("nav.pager a[rel=next]", "href") != "" {
		t.Errorf("page 99: pager %q", p.text("nav.pager"))
	}
	if !p.has("table.list td", "ŒUVRAY") {
		t.Error("ŒUVRAY is not on the last page (French order puts Œ as OE, after the É's)")
	}
}

// The journal pages in the database, newest first, with its count.
func TestJournalPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		for i := range 75 {
			if err := tx.Audit().AppendAudit(ctx, f.a.UAI, &sillage.AuditEntry{Action: "import", Target: fmt.Sprintf("fichier %d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := f.session(f.a, sillage.RoleAdministrator)
	code, body := f.do(c, "GET", "/journal?action=import&page=2", nil)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	p := parsePage(t, body)
	if !p.has("nav.pager", "51 à 75 sur 75 entrées — page 2 sur 2") {
		t.Errorf("pager: %q", p.text("nav.pager"))
	}
	if !p.has("#journal td", "fichier 24") || p.has("#journal td", "fichier 25") {
		t.Error("page 2 does not hold the 25 oldest entries")
	}
	if prev := p.attr("nav.pager a[rel=prev]", "href"); prev != "/journal?action=import" {
		t.Errorf("previous page link %q", prev)
	}
}

// Each list of the transfer dashboard pages on its own; a page link keeps
// the filters and the other lists' pages.
func TestTransferDashboardPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var before []sillage.PendingTransfer
	err := f.st.Write(ctx, func(tx *store.Tx) (err error) {
		if before, err = tx.Transfer().ListPendingTransfers(ctx, f.a.UAI, sillage.PendingTransferFilter{}); err != nil {
			return err
		}
		for i := range 60 {
			s := sillage.Student{Person: sillage.Person{Role: sillage.RoleStudent, LastName: fmt.Sprintf("Nouveau %02d", i+1), FirstName: "Noé"},
				DivisionID: f.a.Division.ID, Unqid: fmt.Sprintf("%064x", i+1), TransferStatus: sillage.TransferNew, EnteredAt: f.clock.T}
			if err := tx.People().CreateStudent(ctx, f.a.UAI, &s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := f.session(f.a, sillage.RoleDirector)
	code, body := f.do(c, "GET", "/transferts", nil)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	p := parsePage(t, body)
	total := 60 + len(before)
	if !p.has("h2#en-attente", fmt.Sprintf("(%d)", total)) {
		t.Fatalf("pending heading: %q", p.text("h2#en-attente"))
	}
	next := p.attr("#en-attente ~ nav.pager a[rel=next]", "href")
	u, err := url.Parse(next)
	if err != nil || u.Query().Get("p-en-attente") != "2" || u.Query().Get("du") == "" || u.Fragment != "en-attente" {
		t.Fatalf("next page of the pending list: %q", next)
	}
	_, body = f.do(c, "GET", next, nil)
	p = parsePage(t, body)
	if !p.has("nav.pager", fmt.Sprintf("51 à %d sur %d élèves en attente — page 2 sur 2", total, total)) {
		t.Errorf("pending pager: %q", p.texts("nav.pager"))
	}
	if !p.has("td", "NOUVEAU 60") || p.has("td", "NOUVEAU 01") {
		t.Error("the second page of the pending list does not hold the last names")
	}
}
