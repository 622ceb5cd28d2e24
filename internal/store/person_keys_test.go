package store_test

import (
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestPersonKeysWithoutForeignKeys: persons.account_id, person_unqids and
// guardianships have no foreign key on PostgreSQL since migration 0036, so
// what their cascades did is done by the statements: deleting a person
// deletes their links, deleting an account unlinks its persons, and the
// unqid versions or links of a person deleted before they are written are
// not written (the writers lock the persons first).
func TestPersonKeysWithoutForeignKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		const uai = sillage.UAI("0750001U")
		acc := &sillage.Account{Login: "lea.martin"}
		s := &sillage.Student{Person: sillage.Person{LastName: "Martin", FirstName: "Léa", Source: sillage.SourceSIECLE}, Unqid: "v1:LEA"}
		parent := &sillage.Person{Role: sillage.RoleParent, LastName: "Roux", FirstName: "Anne", Source: sillage.SourceSIECLE}
		gone := &sillage.Student{Person: sillage.Person{LastName: "Roux", FirstName: "Paul", Source: sillage.SourceSIECLE}, Unqid: "v1:PAUL"}
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "LP", Kind: sillage.KindLP}); err != nil {
				return err
			}
			if err := tx.Accounts().CreateAccount(ctx, acc); err != nil {
				return err
			}
			s.AccountID = acc.ID
			if err := tx.Imports().InsertStudents(ctx, uai, []*sillage.Student{s, gone}); err != nil {
				return err
			}
			if err := tx.Imports().InsertPersons(ctx, uai, []*sillage.Person{parent}); err != nil {
				return err
			}
			return tx.Imports().InsertNewGuardianships(ctx, uai, []sillage.Guardianship{{ParentID: parent.ID, StudentID: gone.ID, Legal: true}})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.People().DeletePerson(ctx, uai, gone.ID); err != nil {
				return err
			}
			if err := tx.Accounts().DeleteAccount(ctx, acc.ID); err != nil {
				return err
			}
			// The versions of a student deleted meanwhile: skipped on
			// PostgreSQL, refused by SQLite's key (either way no orphan).
			// So are the links to them (SQLite's keys refuse them: a failed
			// statement does not end a SQLite transaction).
			_ = tx.Imports().ReplacePersonUnqids(ctx, uai, []sillage.PersonUnqids{{PersonID: gone.ID, Unqids: []string{"v1:PAUL", "v2:PAUL"}}})
			_ = tx.Imports().InsertNewGuardianships(ctx, uai, []sillage.Guardianship{{ParentID: parent.ID, StudentID: gone.ID, Legal: true, Rank: 1}})
			_ = tx.Imports().InsertGuardianships(ctx, uai, []sillage.Guardianship{{ParentID: parent.ID, StudentID: gone.ID, Legal: true, Rank: 2}})
			if err := tx.People().LinkGuardian(ctx, uai, sillage.Guardianship{ParentID: parent.ID, StudentID: gone.ID}); err == nil {
				t.Error("a link to a deleted student was accepted")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			gs, err := tx.Imports().ListAllGuardianships(ctx, uai)
			if err != nil {
				return err
			}
			if len(gs) != 0 {
				t.Errorf("links left: %+v", gs)
			}
			got, err := tx.People().GetStudent(ctx, uai, s.ID)
			if err != nil {
				return err
			}
			if got.AccountID != 0 {
				t.Errorf("the student still has the deleted account %d", got.AccountID)
			}
			o, err := tx.CrossTenant().PersonOrphans(ctx)
			if err != nil {
				return err
			}
			for rel, n := range o {
				if n != 0 {
					t.Errorf("%d orphan rows in %s", n, rel)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
