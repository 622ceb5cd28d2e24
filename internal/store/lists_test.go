package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// Lists of people come in French order, not in the bytes' order of SQL
// (where Élodie comes after Zoé and ŒUVRAY after every O).
func TestPeopleInFrenchOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		const uai = sillage.UAI("0860012W")
		names := [][2]string{{"Zola", "Émile"}, {"ŒUVRAY", "Léa"}, {"Élie", "Anne"}, {"OEUVRARD", "Paul"}, {"Odin", "Marc"}, {"ebert", "Luc"}}
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Collège", Kind: sillage.KindCollege}); err != nil {
				return err
			}
			for _, n := range names {
				if err := tx.People().CreateStudent(ctx, uai, &sillage.Student{Person: sillage.Person{Role: sillage.RoleStudent, LastName: n[0], FirstName: n[1]}}); err != nil {
					return err
				}
				if err := tx.People().CreatePerson(ctx, uai, &sillage.Person{Role: sillage.RoleTeacher, LastName: n[0], FirstName: n[1]}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"ebert", "Élie", "Odin", "OEUVRARD", "ŒUVRAY", "Zola"}
		err = st.Read(ctx, func(tx *store.Tx) error {
			students, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{})
			if err != nil {
				return err
			}
			var got []string
			for _, s := range students {
				got = append(got, s.LastName)
			}
			if !slices.Equal(got, want) {
				t.Errorf("students: %v, want %v", got, want)
			}
			teachers, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: sillage.RoleTeacher})
			if err != nil {
				return err
			}
			got = got[:0]
			for _, p := range teachers {
				got = append(got, p.LastName)
			}
			if !slices.Equal(got, want) {
				t.Errorf("teachers: %v, want %v", got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The journal pages in SQL: a page is LIMIT and OFFSET of the filtered
// entries, newest first, and the count ignores them.
func TestAuditPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		const uai = sillage.UAI("0860012W")
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Collège", Kind: sillage.KindCollege}); err != nil {
				return err
			}
			for i := range 7 {
				action := "import"
				if i%2 == 1 {
					action = "account.created"
				}
				if err := tx.Audit().AppendAudit(ctx, uai, &sillage.AuditEntry{Action: action, Target: fmt.Sprint(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			f := sillage.AuditFilter{Action: "import", Limit: 2, Offset: 2}
			n, err := tx.Audit().CountAudit(ctx, uai, f)
			if err != nil {
				return err
			}
			if n != 4 {
				t.Errorf("count = %d, want 4", n)
			}
			page, err := tx.Audit().ListAudit(ctx, uai, f)
			if err != nil {
				return err
			}
			var targets []string
			for _, e := range page {
				targets = append(targets, e.Target)
			}
			if !slices.Equal(targets, []string{"2", "0"}) {
				t.Errorf("second page: %v, want [2 0]", targets)
			}
			all, err := tx.Audit().CountInstanceAudit(ctx, sillage.AuditFilter{})
			if err != nil {
				return err
			}
			if all < 7 {
				t.Errorf("instance count = %d, want at least 7", all)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
