package store_test

import (
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestPersonKeysWithoutForeignKeys: persons.account_id and person_unqids
// have no foreign key on PostgreSQL since migration 0036, so what their
// cascades did is done by the statements: deleting an account unlinks its
// persons, and the unqid versions of a person deleted before they are
// written are not written (the import locks the persons first).
func TestPersonKeysWithoutForeignKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		const uai = sillage.UAI("0750001U")
		acc := &sillage.Account{Login: "lea.martin"}
		s := &sillage.Student{Person: sillage.Person{LastName: "Martin", FirstName: "Léa", Source: sillage.SourceSIECLE}, Unqid: "v1:LEA"}
		gone := &sillage.Student{Person: sillage.Person{LastName: "Roux", FirstName: "Paul", Source: sillage.SourceSIECLE}, Unqid: "v1:PAUL"}
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "LP", Kind: sillage.KindLP}); err != nil {
				return err
			}
			if err := tx.Accounts().CreateAccount(ctx, acc); err != nil {
				return err
			}
			s.AccountID = acc.ID
			return tx.Imports().InsertStudents(ctx, uai, []*sillage.Student{s, gone})
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
			_ = tx.Imports().ReplacePersonUnqids(ctx, uai, []sillage.PersonUnqids{{PersonID: gone.ID, Unqids: []string{"v1:PAUL", "v2:PAUL"}}})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
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
