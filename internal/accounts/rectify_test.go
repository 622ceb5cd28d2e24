package accounts_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestRectify: an administrator corrects a person's civility, names and
// e-mail; exactly one journal entry says what changed (never the address),
// and a refused or empty correction changes and journals nothing.
func TestRectify(t *testing.T) {
	const a, b = sillage.UAI("0860012W"), sillage.UAI("0860001J")
	const email = "jean.durand@example.fr"
	cases := []struct {
		name     string
		civility string // the person's civility before
		other    bool   // the person belongs to the other establishment
		in       accounts.Identity
		changed  bool
		kind     sillage.Kind // the error's kind, 0: none
		target   string
		details  string
		want     sillage.Person // the names after (when kind is 0)
	}{
		{name: "surname", civility: "M.", in: accounts.Identity{Civility: "M.", LastName: "DURANT", FirstName: "Jean", Email: email},
			changed: true, target: "DURANT Jean", details: "nom : DURAND → DURANT",
			want: sillage.Person{Civility: "M.", LastName: "DURANT", FirstName: "Jean", Email: email}},
		{name: "several fields", civility: "M.", in: accounts.Identity{Civility: "Mme", LastName: "DURAND", FirstName: " Jeanne ", Email: "jeanne.durand@example.fr"},
			changed: true, target: "DURAND Jeanne", details: "civilité : M. → Mme ; prénom : Jean → Jeanne ; courriel modifié",
			want: sillage.Person{Civility: "Mme", LastName: "DURAND", FirstName: "Jeanne", Email: "jeanne.durand@example.fr"}},
		{name: "e-mail removed", civility: "M.", in: accounts.Identity{Civility: "M.", LastName: "DURAND", FirstName: "Jean"},
			changed: true, target: "DURAND Jean", details: "courriel retiré",
			want: sillage.Person{Civility: "M.", LastName: "DURAND", FirstName: "Jean"}},
		{name: "imported civility kept", civility: "MME", in: accounts.Identity{Civility: "MME", LastName: "Durand", FirstName: "Jean", Email: email},
			changed: true, target: "DURAND Jean", details: "nom : DURAND → Durand",
			want: sillage.Person{Civility: "MME", LastName: "Durand", FirstName: "Jean", Email: email}},
		{name: "no change", civility: "M.", in: accounts.Identity{Civility: "M.", LastName: " DURAND", FirstName: "Jean ", Email: " " + email},
			want: sillage.Person{Civility: "M.", LastName: "DURAND", FirstName: "Jean", Email: email}},
		{name: "invalid e-mail", civility: "M.", in: accounts.Identity{Civility: "M.", LastName: "DURANT", FirstName: "Jean", Email: "jean.durand"},
			kind: sillage.KindInvalid},
		{name: "e-mail with a display name", civility: "M.", in: accounts.Identity{Civility: "M.", LastName: "DURANT", FirstName: "Jean", Email: "Jean <" + email + ">"},
			kind: sillage.KindInvalid},
		{name: "empty surname", civility: "M.", in: accounts.Identity{Civility: "M.", LastName: "  ", FirstName: "Jean", Email: email},
			kind: sillage.KindInvalid},
		{name: "first name too long", civility: "M.", in: accounts.Identity{Civility: "M.", LastName: "DURAND", FirstName: strings.Repeat("é", 101), Email: email},
			kind: sillage.KindInvalid},
		{name: "unknown civility", civility: "M.", in: accounts.Identity{Civility: "Dr", LastName: "DURAND", FirstName: "Jean", Email: email},
			kind: sillage.KindInvalid},
		{name: "other establishment", civility: "M.", other: true, in: accounts.Identity{Civility: "M.", LastName: "DURANT", FirstName: "Jean", Email: email},
			kind: sillage.KindNotFound},
	}
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		err := st.Write(ctx, func(tx *store.Tx) error {
			for _, u := range []sillage.UAI{a, b} {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Établissement " + string(u), Kind: sillage.KindLP}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		admin := audit.Actor{ID: 1, Role: string(sillage.RoleAdministrator), Name: "Admin"}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				home := a
				if c.other {
					home = b
				}
				before := sillage.Person{Role: sillage.RoleTeacher, Civility: c.civility, LastName: "DURAND", FirstName: "Jean", Email: email,
					Source: sillage.SourceSTS, STSID: "sts-" + strings.ReplaceAll(c.name, " ", "-")}
				var entries int
				err := st.Write(ctx, func(tx *store.Tx) error {
					if err := tx.People().CreatePerson(ctx, home, &before); err != nil {
						return err
					}
					entries = countRectifications(ctx, t, tx, a)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				var changed bool
				err = st.Write(ctx, func(tx *store.Tx) (err error) {
					changed, err = accounts.Rectify(ctx, tx, a, admin, before.ID, c.in)
					return err
				})
				if sillage.KindOf(err) != c.kind || (c.kind == 0) != (err == nil) {
					t.Fatalf("error %v (kind %v), want kind %v", err, sillage.KindOf(err), c.kind)
				}
				if err != nil && !c.other && sillage.Message(err) == "" {
					t.Fatalf("no message for the user: %v", err)
				}
				if changed != c.changed {
					t.Fatalf("changed = %v, want %v", changed, c.changed)
				}
				want := c.want
				if c.kind != 0 {
					want = before
				}
				var after sillage.Person
				var list []sillage.AuditEntry
				err = st.Read(ctx, func(tx *store.Tx) (err error) {
					if after, err = tx.People().GetPerson(ctx, home, before.ID); err != nil {
						return err
					}
					list, err = tx.Audit().ListAudit(ctx, a, sillage.AuditFilter{Action: audit.Rectification})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if after.Civility != want.Civility || after.LastName != want.LastName || after.FirstName != want.FirstName || after.Email != want.Email {
					t.Fatalf("after: %q %q %q %q, want %q %q %q %q", after.Civility, after.LastName, after.FirstName, after.Email,
						want.Civility, want.LastName, want.FirstName, want.Email)
				}
				if after.STSID != before.STSID || after.Source != before.Source {
					t.Fatalf("the external id or the source changed: %+v", after)
				}
				added := list[:len(list)-entries]
				if !c.changed {
					if len(added) != 0 {
						t.Fatalf("journaled without a change: %+v", added)
					}
					return
				}
				if len(added) != 1 {
					t.Fatalf("%d entries, want 1: %+v", len(added), added)
				}
				e := added[0]
				if e.Target != c.target || e.Details != c.details || e.ActorName != "Admin" {
					t.Fatalf("entry: target %q details %q, want %q %q", e.Target, e.Details, c.target, c.details)
				}
				if strings.Contains(e.Details, "@") {
					t.Fatalf("the journal names an address: %q", e.Details)
				}
			})
		}
	})
}

func countRectifications(ctx context.Context, t *testing.T, tx *store.Tx, uai sillage.UAI) int {
	t.Helper()
	list, err := tx.Audit().ListAudit(ctx, uai, sillage.AuditFilter{Action: audit.Rectification})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestCreateChecksTheIdentity: an account created by hand follows the
// rectification's rules; a refused creation leaves no account behind.
func TestCreateChecksTheIdentity(t *testing.T) {
	const uai = sillage.UAI("0860012W")
	cases := []struct {
		name string
		in   accounts.NewPerson
		ok   bool
	}{
		{"valid", accounts.NewPerson{Role: sillage.RoleTeacher, Civility: "Mme", LastName: " Martin ", FirstName: "Anne", Email: "anne.martin@example.fr"}, true},
		{"invalid e-mail", accounts.NewPerson{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: "Anne", Email: "anne.martin"}, false},
		{"unknown civility", accounts.NewPerson{Role: sillage.RoleTeacher, Civility: "Dr", LastName: "Martin", FirstName: "Anne"}, false},
		{"surname too long", accounts.NewPerson{Role: sillage.RoleTeacher, LastName: strings.Repeat("a", 101), FirstName: "Anne"}, false},
		{"no first name", accounts.NewPerson{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: " "}, false},
	}
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée", Kind: sillage.KindLP})
		}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			var created accounts.Created
			err := st.Write(ctx, func(tx *store.Tx) (err error) {
				created, err = accounts.Create(ctx, tx, uai, audit.System, tc.in)
				return err
			})
			switch {
			case tc.ok && err != nil:
				t.Errorf("%s: %v", tc.name, err)
			case tc.ok && (created.Person.LastName != "Martin" || created.Person.Email != tc.in.Email):
				t.Errorf("%s: created %+v", tc.name, created.Person)
			case !tc.ok && sillage.KindOf(err) != sillage.KindInvalid:
				t.Errorf("%s: error %v, want invalid", tc.name, err)
			}
		}
		var persons []sillage.Person
		st.Read(ctx, func(tx *store.Tx) (err error) {
			persons, err = tx.People().ListPersons(ctx, uai, sillage.PersonFilter{})
			return err
		})
		if len(persons) != 1 {
			t.Errorf("%d persons after one valid creation and four refused", len(persons))
		}
	})
}
