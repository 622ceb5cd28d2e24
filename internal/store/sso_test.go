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

func TestSSOStorage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		b := struct{ uai sillage.UAI }{"0010856A"}
		write := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := st.Write(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}

		write(func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: b.uai, Name: "Lycée B", Kind: sillage.KindLP})
		})

		// Providers enabled per establishment.
		write(func(tx *store.Tx) error {
			return tx.Accounts().SetSSOProviders(ctx, a.uai, []string{"ent", "educonnect"})
		})
		write(func(tx *store.Tx) error {
			return tx.Accounts().SetSSOProviders(ctx, a.uai, []string{"educonnect", "oidc"})
		})
		var gotA, gotB []string
		_ = st.Read(ctx, func(tx *store.Tx) (err error) {
			if gotA, err = tx.Accounts().ListSSOProviders(ctx, a.uai); err != nil {
				return err
			}
			gotB, err = tx.Accounts().ListSSOProviders(ctx, b.uai)
			return err
		})
		if !slices.Equal(gotA, []string{"educonnect", "oidc"}) || len(gotB) != 0 {
			t.Errorf("providers: A %v, B %v", gotA, gotB)
		}

		// Matching by AAF id, unqid and guardianship stays in its establishment.
		teacher := a.teacher
		teacher.AAFID = "AAF-77"
		write(func(tx *store.Tx) error { return tx.People().UpdatePerson(ctx, a.uai, teacher) })
		_ = st.Read(ctx, func(tx *store.Tx) error {
			ps, err := tx.Accounts().FindPersonsByAAFID(ctx, a.uai, "AAF-77")
			if err != nil || len(ps) != 1 || ps[0].ID != a.teacher.ID {
				t.Errorf("by AAF id in A: %v %v", ps, err)
			}
			if ps, _ := tx.Accounts().FindPersonsByAAFID(ctx, b.uai, "AAF-77"); len(ps) != 0 {
				t.Errorf("by AAF id in B found %v", ps)
			}
			if ps, _ := tx.Accounts().FindPersonsByAAFID(ctx, a.uai, ""); len(ps) != 0 {
				t.Errorf("an empty AAF id matched %v", ps)
			}
			ps, err = tx.Accounts().FindStudentsByUnqids(ctx, a.uai, []string{"v9:NONE", "v1:ABC"})
			if err != nil || len(ps) != 1 || ps[0].ID != a.student.ID {
				t.Errorf("by unqid: %v %v", ps, err)
			}
			ps, err = tx.Accounts().FindLegalGuardiansOf(ctx, a.uai, []int64{a.student.ID})
			if err != nil || len(ps) != 1 || ps[0].ID != a.parent.ID {
				t.Errorf("guardians: %v %v", ps, err)
			}
			ps, _ = tx.Accounts().FindLegalGuardiansOf(ctx, a.uai, []int64{a.student.ID, a.teacher.ID})
			if len(ps) != 0 {
				t.Errorf("guardian of every child: %v", ps)
			}
			return nil
		})

		// Links: made, found by subject, touched, listed, unlinked.
		write(func(tx *store.Tx) error {
			return tx.Accounts().LinkSSO(ctx, a.uai, sillage.SSOLink{Provider: "ent", Subject: "sub-1", PersonID: a.parent.ID})
		})
		clock.Advance(time.Hour)
		write(func(tx *store.Tx) error { return tx.Accounts().TouchSSOLink(ctx, a.uai, "ent", "sub-1") })
		_ = st.Read(ctx, func(tx *store.Tx) error {
			p, err := tx.Accounts().FindSSOLinkedPerson(ctx, a.uai, "ent", "sub-1")
			if err != nil || p.ID != a.parent.ID {
				t.Errorf("by link: %v %v", p.ID, err)
			}
			if _, err := tx.Accounts().FindSSOLinkedPerson(ctx, b.uai, "ent", "sub-1"); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("link seen from B: %v", err)
			}
			ls, err := tx.Accounts().ListSSOLinks(ctx, a.uai, a.parent.ID)
			if err != nil || len(ls) != 1 || !ls[0].LastUsedAt.Equal(clock.T) || !ls[0].CreatedAt.Equal(clock.T.Add(-time.Hour)) {
				t.Errorf("links: %+v %v", ls, err)
			}
			return nil
		})
		var n int
		write(func(tx *store.Tx) (err error) {
			n, err = tx.Accounts().UnlinkSSO(ctx, b.uai, a.parent.ID, "")
			return err
		})
		if n != 0 {
			t.Errorf("unlinked from another establishment: %d", n)
		}
		write(func(tx *store.Tx) (err error) {
			n, err = tx.Accounts().UnlinkSSO(ctx, a.uai, a.parent.ID, "")
			return err
		})
		if n != 1 {
			t.Errorf("unlinked %d", n)
		}

		// A pending sign-in serves once, and not after its time.
		for _, h := range []string{"s1", "s2"} {
			write(func(tx *store.Tx) error {
				return tx.Accounts().CreateSSOPending(ctx, sillage.SSOPending{StateHash: h, Provider: "oidc", UAI: a.uai, Nonce: "n",
					Verifier: "v", ReturnTo: "/eleves", ExpiresAt: clock.T.Add(10 * time.Minute)})
			})
		}
		take := func(h string) (sillage.SSOPending, error) {
			var p sillage.SSOPending
			err := st.Write(ctx, func(tx *store.Tx) (err error) { p, err = tx.Accounts().TakeSSOPending(ctx, h, clock.T); return err })
			return p, err
		}
		if p, err := take("s1"); err != nil || p.Nonce != "n" || p.ReturnTo != "/eleves" || p.UAI != a.uai {
			t.Errorf("take: %+v %v", p, err)
		}
		if _, err := take("s1"); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("second take: %v", err)
		}
		clock.Advance(11 * time.Minute)
		if _, err := take("s2"); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("expired take: %v", err)
		}

		// A ticket is used once; its session ends with the single log-out.
		var sess string
		write(func(tx *store.Tx) error {
			sess = "tok-hash"
			return tx.Accounts().CreateSession(ctx, sillage.Session{TokenHash: sess, AccountID: a.teacher.AccountID,
				CreatedAt: clock.T, LastSeenAt: clock.T, ExpiresAt: clock.T.Add(time.Hour)})
		})
		mark := func() bool {
			var fresh bool
			write(func(tx *store.Tx) (err error) {
				fresh, err = tx.Accounts().MarkSSOSeen(ctx, "ent", "ticket", "t1", sess, clock.T.Add(24*time.Hour))
				return err
			})
			return fresh
		}
		if !mark() || mark() {
			t.Error("a ticket must be fresh once, then a replay")
		}
		var ended bool
		write(func(tx *store.Tx) (err error) {
			ended, err = tx.Accounts().EndSSOSession(ctx, "ent", "ticket", "t1")
			return err
		})
		if !ended {
			t.Error("single log-out ended no session")
		}
		_ = st.Read(ctx, func(tx *store.Tx) error {
			if _, err := tx.Accounts().GetSession(ctx, sess, clock.T); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("session after log-out: %v", err)
			}
			return nil
		})
	})
}
