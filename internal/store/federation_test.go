package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestFederationHashesStorage: the federation hashes of a student are
// stored beside (not among) the unqids, replaced as a set, read only
// through their establishment, and find the student's transfer index
// entry once deactivated — and nothing else.
func TestFederationHashesStorage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a, b := sillage.UAI("0860012W"), sillage.UAI("0010856A")
		var s1, s2 sillage.Student
		write := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := st.Write(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		write(func(tx *store.Tx) error {
			for _, u := range []sillage.UAI{a, b} {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP}); err != nil {
					return err
				}
			}
			s1 = sillage.Student{Person: sillage.Person{LastName: "Durand", FirstName: "Léa", Source: sillage.SourceSIECLE, SIECLEID: "E1"}, Unqid: "v1:AAA", Diploma: "24732000"}
			s2 = sillage.Student{Person: sillage.Person{LastName: "Petit", FirstName: "Noé", Source: sillage.SourceSIECLE, SIECLEID: "E2"}, Unqid: "v1:BBB", Diploma: "24732000"}
			for _, s := range []*sillage.Student{&s1, &s2} {
				if err := tx.People().CreateStudent(ctx, a, s); err != nil {
					return err
				}
			}
			return tx.Imports().ReplaceFederationHashes(ctx, a, []sillage.PersonFederationHashes{
				{PersonID: s1.ID, Hashes: []string{"f2:ONE", "f1:ONE", "f1:ONE"}},
				{PersonID: s2.ID, Hashes: []string{"f1:TWO"}},
			})
		})
		write(func(tx *store.Tx) error {
			all, err := tx.Imports().ListFederationHashes(ctx, a)
			if err != nil {
				return err
			}
			if !slices.Equal(all[s1.ID], []string{"f1:ONE", "f2:ONE"}) || !slices.Equal(all[s2.ID], []string{"f1:TWO"}) {
				t.Errorf("hashes of A: %v", all)
			}
			if other, _ := tx.Imports().ListFederationHashes(ctx, b); len(other) != 0 {
				t.Errorf("B lists A's hashes: %v", other)
			}
			if h, _ := tx.People().GetFederationHashes(ctx, b, s1.ID); len(h) != 0 {
				t.Errorf("B reads A's student's hashes: %v", h)
			}
			// The unqid versions are untouched: no match in the instance
			// ever meets a federation hash.
			unqids, err := tx.Imports().ListPersonUnqids(ctx, a)
			if err != nil {
				return err
			}
			for _, us := range unqids {
				for _, u := range us {
					if u[0] != 'v' {
						t.Errorf("a federation hash among the unqids: %s", u)
					}
				}
			}
			// Replaced as a set (a rotation retired nothing here, but the
			// set is exact).
			if err := tx.Imports().ReplaceFederationHashes(ctx, a, []sillage.PersonFederationHashes{{PersonID: s2.ID, Hashes: []string{"f2:TWO", "f1:TWO"}}}); err != nil {
				return err
			}
			h, err := tx.People().GetFederationHashes(ctx, a, s2.ID)
			if err != nil || !slices.Equal(h, []string{"f1:TWO", "f2:TWO"}) {
				t.Errorf("after replacement: %v %v", h, err)
			}
			// Not deactivated yet: not in the index.
			if e, err := tx.CrossTenant().FindIndexByFederationHashes(ctx, []string{"f1:ONE"}); err != nil || len(e) != 0 {
				t.Errorf("an active student is found: %v %v", e, err)
			}
			_, err = tx.People().DeactivateStudents(ctx, a, []sillage.Student{s1})
			return err
		})
		_ = st.Read(ctx, func(tx *store.Tx) error {
			for _, c := range []struct {
				hashes []string
				want   int
			}{{[]string{"f2:ONE"}, 1}, {[]string{"f9:ZZZ", "f1:ONE", "f2:ONE"}, 1}, {[]string{"f1:TWO"}, 0}, {[]string{"v1:AAA"}, 0}, {nil, 0}} {
				got, err := tx.CrossTenant().FindIndexByFederationHashes(ctx, c.hashes)
				if err != nil || len(got) != c.want {
					t.Errorf("%v: %+v %v", c.hashes, got, err)
					continue
				}
				if c.want == 1 && (got[0].OriginUAI != a || got[0].OriginStudentID != s1.ID || got[0].Unqid != "v1:AAA" || !got[0].DeactivatedAt.Equal(clock.T)) {
					t.Errorf("%v: entry %+v", c.hashes, got[0])
				}
			}
			return nil
		})
	})
}

// TestFederationPeersStorage: peers are declared once per URL, listed,
// described, and forgotten; an undeclared URL is refused.
func TestFederationPeersStorage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		var id1, id2 string
		var p sillage.FederationPeer
		err := st.Write(ctx, func(tx *store.Tx) (err error) {
			if id1, err = tx.Federation().InstanceID(ctx); err != nil {
				return err
			}
			if id2, err = tx.Federation().InstanceID(ctx); err != nil {
				return err
			}
			p, err = tx.Federation().AddPeer(ctx, sillage.FederationPeer{Name: "Académie B", BaseURL: "https://b.example", Fingerprint: "ABCDEF"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if id1 == "" || id1 != id2 {
			t.Fatalf("the instance id is drawn once: %q %q", id1, id2)
		}
		if p.ID == 0 || p.Fingerprint != "abcdef" || !p.AddedAt.Equal(clock.T) {
			t.Fatalf("peer %+v", p)
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Federation().AddPeer(ctx, sillage.FederationPeer{Name: "Doublon", BaseURL: "https://b.example", Fingerprint: "00"})
			return err
		})
		if sillage.KindOf(err) != sillage.KindConflict {
			t.Fatalf("a URL declared twice: %v", err)
		}
		clock.Advance(time.Minute)
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Federation().SetPeerError(ctx, p.ID, "injoignable"); err != nil {
				return err
			}
			return tx.Federation().SetPeerDescription(ctx, p.ID, []byte(`{"purpose":"federation-description"}`))
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = st.Read(ctx, func(tx *store.Tx) error {
			got, err := tx.Federation().PeerByURL(ctx, "https://b.example")
			if err != nil || string(got.Description) != `{"purpose":"federation-description"}` || !got.FetchedAt.Equal(clock.T) || got.LastError != "" || !got.ErrorAt.IsZero() {
				t.Errorf("described peer %+v %v", got, err)
			}
			if _, err := tx.Federation().PeerByURL(ctx, "https://c.example"); sillage.KindOf(err) != sillage.KindForbidden {
				t.Errorf("an undeclared instance: %v", err)
			}
			return nil
		})
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Federation().SetPeerError(ctx, p.ID, "signature invalide"); err != nil {
				return err
			}
			got, _ := tx.Federation().GetPeer(ctx, p.ID)
			if got.LastError != "signature invalide" || got.Description == nil {
				t.Errorf("an error keeps the last description: %+v", got)
			}
			if err := tx.Federation().RemovePeer(ctx, p.ID); err != nil {
				return err
			}
			if l, _ := tx.Federation().ListPeers(ctx); len(l) != 0 {
				t.Errorf("after removal: %v", l)
			}
			if err := tx.Federation().RemovePeer(ctx, p.ID); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("removing twice: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
