package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestDeactivateStudentsIndex: deactivating enters the students with an
// unqid in the transfer index in the same transaction, and only those of
// the establishment; reactivating removes their entries.
func TestDeactivateStudentsIndex(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a, b := sillage.UAI("0860012W"), sillage.UAI("0010856A")
		var withINE, without sillage.Student
		err := st.Write(ctx, func(tx *store.Tx) error {
			for _, u := range []sillage.UAI{a, b} {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP}); err != nil {
					return err
				}
			}
			withINE = sillage.Student{Person: sillage.Person{LastName: "Durand", FirstName: "Léa", Source: sillage.SourceSIECLE, SIECLEID: "E1"},
				Unqid: "v1:ABC", Diploma: "24732000"}
			without = sillage.Student{Person: sillage.Person{LastName: "Petit", FirstName: "Noé", Source: sillage.SourceSIECLE, SIECLEID: "E2"}}
			for _, s := range []*sillage.Student{&withINE, &without} {
				if err := tx.People().CreateStudent(ctx, a, s); err != nil {
					return err
				}
			}
			// Through B, A's students are neither deactivated nor entered.
			if entered, err := tx.People().DeactivateStudents(ctx, b, []sillage.Student{withINE, without}); err != nil || len(entered) != 0 {
				t.Fatalf("through B: entered %v, %v", entered, err)
			}
			entered, err := tx.People().DeactivateStudents(ctx, a, []sillage.Student{withINE, without})
			if err != nil {
				return err
			}
			if !slices.Equal(entered, []int64{withINE.ID}) {
				t.Fatalf("entered %v, want only the student with an unqid (%d)", entered, withINE.ID)
			}
			e, err := tx.CrossTenant().GetIndexEntry(ctx, a, withINE.ID)
			if err != nil || e.Unqid != "v1:ABC" || e.Diploma != "24732000" || !e.DeactivatedAt.Equal(clock.T) {
				t.Fatalf("entry %+v, %v", e, err)
			}
			for _, s := range []sillage.Student{withINE, without} {
				p, err := tx.People().GetPerson(ctx, a, s.ID)
				if err != nil || p.Active() {
					t.Fatalf("%s still active (%v)", p.LastName, err)
				}
			}
			left, err := tx.People().ReactivateStudents(ctx, a, []int64{withINE.ID, without.ID})
			if err != nil {
				return err
			}
			if !slices.Equal(left, []int64{withINE.ID}) {
				t.Fatalf("left the index %v", left)
			}
			if n, err := tx.Transfer().CountIndexEntries(ctx, a); err != nil || n != 0 {
				t.Fatalf("%d entries after reactivation, %v", n, err)
			}
			p, err := tx.People().GetPerson(ctx, a, withINE.ID)
			if err != nil || !p.Active() {
				t.Fatalf("not reactivated (%v)", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
