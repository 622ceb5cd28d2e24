package instance_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/instance"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func uai(n int) sillage.UAI {
	digits := fmt.Sprintf("0%06d", n)
	l, _ := sillage.UAICheckLetter(digits)
	return sillage.UAI(digits + string(l))
}

// TestEstablishments: every establishment has its own figures, one without
// any data shows zeros, and the total sums them.
func TestEstablishments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		shapes := []struct {
			uai                        sillage.UAI
			students, teachers, parent int
			divisions                  int
		}{
			{uai(860012), 3, 2, 1, 2},
			{uai(860013), 1, 0, 0, 1},
			{uai(860014), 0, 0, 0, 0},
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			for i, s := range shapes {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: s.uai, Name: fmt.Sprintf("Lycée %d", i), Kind: sillage.KindLP}); err != nil {
					return err
				}
				var div sillage.Division
				for d := 0; d < s.divisions; d++ {
					div = sillage.Division{SchoolYear: 2025, Code: fmt.Sprintf("D%d", d)}
					if err := tx.People().CreateDivision(ctx, s.uai, &div); err != nil {
						return err
					}
				}
				for n := 0; n < s.students; n++ {
					p := sillage.Student{Person: sillage.Person{LastName: "Élève", FirstName: fmt.Sprint(n), SIECLEID: fmt.Sprintf("E%d", n), Source: sillage.SourceSIECLE},
						DivisionID: div.ID}
					if err := tx.People().CreateStudent(ctx, s.uai, &p); err != nil {
						return err
					}
				}
				for n := 0; n < s.teachers; n++ {
					p := sillage.Person{Role: sillage.RoleTeacher, LastName: "Prof", FirstName: fmt.Sprint(n), STSID: fmt.Sprint(100 + n), Source: sillage.SourceSTS}
					if err := tx.People().CreatePerson(ctx, s.uai, &p); err != nil {
						return err
					}
				}
				for n := 0; n < s.parent; n++ {
					p := sillage.Person{Role: sillage.RoleParent, LastName: "Parent", FirstName: fmt.Sprint(n), Source: sillage.SourceSIECLE}
					if err := tx.People().CreatePerson(ctx, s.uai, &p); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var o instance.Overview
		if err := st.Read(ctx, func(tx *store.Tx) (err error) { o, err = instance.Establishments(ctx, tx); return err }); err != nil {
			t.Fatal(err)
		}
		if len(o.Rows) != len(shapes) {
			t.Fatalf("rows %+v", o.Rows)
		}
		var total sillage.EstablishmentCounts
		for _, s := range shapes {
			var row instance.Row
			for _, r := range o.Rows {
				if r.UAI == s.uai {
					row = r
				}
			}
			want := sillage.EstablishmentCounts{Students: s.students, ActiveStudents: s.students, Teachers: s.teachers, Parents: s.parent, Divisions: s.divisions}
			if row.UAI != s.uai || row.Counts != want {
				t.Errorf("%s: %+v, want %+v", s.uai, row, want)
			}
			total.Students += want.Students
			total.ActiveStudents += want.ActiveStudents
			total.Teachers += want.Teachers
			total.Parents += want.Parents
			total.Divisions += want.Divisions
		}
		if o.Total != total {
			t.Errorf("total %+v, want %+v", o.Total, total)
		}
	})
}
