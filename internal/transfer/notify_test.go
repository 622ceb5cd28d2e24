package transfer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// When a record arrives, the student and their legal guardians find a
// message in their box, in the transaction of the move; a guardian without
// legal responsibility, or one who left, does not; a second run sends
// nothing more.
func TestArrivalMessages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		b := newBasic(t, st, clock, true)
		w := b.w
		parents := map[string]sillage.Person{}
		w.write(func(tx *store.Tx) error {
			for _, p := range []struct {
				name   string
				legal  bool
				active bool
			}{{"Mère", true, true}, {"Oncle", false, true}, {"Père", true, false}} {
				person := sillage.Person{Role: sillage.RoleParent, LastName: "Parent", FirstName: p.name, Source: sillage.SourceManual}
				if err := tx.People().CreatePerson(ctx, uaiB, &person); err != nil {
					return err
				}
				if err := tx.People().LinkGuardian(ctx, uaiB, sillage.Guardianship{ParentID: person.ID, StudentID: b.newLea.ID, Legal: p.legal}); err != nil {
					return err
				}
				if !p.active {
					if err := tx.People().SetPersonActive(ctx, uaiB, person.ID, false); err != nil {
						return err
					}
				}
				parents[p.name] = person
			}
			return nil
		})
		if rep := w.run(transfer.Options{}); len(rep.Transferred) != 1 {
			t.Fatalf("transferred = %+v, want one", rep)
		}
		w.run(transfer.Options{})
		inbox := func(personID int64) []sillage.InboxMessage {
			var msgs []sillage.InboxMessage
			err := st.Read(ctx, func(tx *store.Tx) (err error) {
				msgs, err = tx.Accounts().ListMessages(ctx, uaiB, personID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return msgs
		}
		student := inbox(b.newLea.ID)
		if len(student) != 1 || !strings.Contains(student[0].Subject, "vous a suivi") || !strings.Contains(student[0].Body, "Lycée A") {
			t.Errorf("student's messages: %+v", student)
		}
		mother := inbox(parents["Mère"].ID)
		if len(mother) != 1 || !strings.Contains(mother[0].Subject, b.newLea.FirstName+" "+b.newLea.LastName) {
			t.Errorf("legal guardian's messages: %+v", mother)
		}
		if n := len(inbox(parents["Oncle"].ID)); n != 0 {
			t.Errorf("a guardian without legal responsibility got %d messages", n)
		}
		if n := len(inbox(parents["Père"].ID)); n != 0 {
			t.Errorf("a deactivated guardian got %d messages", n)
		}
	})
}
