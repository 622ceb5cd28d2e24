package store_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestAllocateLogins: the base first, then numbers; counted from the
// accounts the first time, from the counter afterwards; a login taken by
// an account created elsewhere (an administrator's) is skipped.
func TestAllocateLogins(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		alloc := func(bases ...string) []string {
			var out []string
			err := st.Write(ctx, func(tx *store.Tx) error {
				logins, err := tx.Imports().AllocateLogins(ctx, bases)
				if err != nil {
					return err
				}
				accs := make([]*sillage.Account, len(logins))
				for i, l := range logins {
					accs[i] = &sillage.Account{Login: l}
				}
				out = logins
				return tx.Imports().InsertAccounts(ctx, accs)
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		create := func(login string) {
			if err := st.Write(ctx, func(tx *store.Tx) error { return tx.Accounts().CreateAccount(ctx, &sillage.Account{Login: login}) }); err != nil {
				t.Fatal(err)
			}
		}
		create("lea.martin")
		create("lea.martin7")
		create("lea.martinez")
		if got := alloc("lea.martin", "paul.roux", "lea.martin", "paul.roux"); !slices.Equal(got, []string{"lea.martin8", "paul.roux", "lea.martin9", "paul.roux2"}) {
			t.Errorf("first allocation = %v", got)
		}
		create("paul.roux3") // outside the counters
		if got := alloc("paul.roux", "lea.martin"); !slices.Equal(got, []string{"paul.roux4", "lea.martin10"}) {
			t.Errorf("second allocation = %v", got)
		}
	})
}

// TestImportBatches: the batch writes of an import do what the one-row
// methods do, for several rows at once, and touch only the establishment
// given (a second establishment's rows stay).
func TestImportBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		uais := []sillage.UAI{"0860012W", "0860013X"}
		type fixture struct {
			teachers, students []int64
			divs               []*sillage.Division
		}
		fx := map[sillage.UAI]*fixture{}
		err := st.Write(ctx, func(tx *store.Tx) error {
			for _, uai := range uais {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée", Kind: sillage.KindLP}); err != nil {
					return err
				}
				f := &fixture{}
				fx[uai] = f
				for i := 0; i < 3; i++ {
					p := &sillage.Person{Role: sillage.RoleTeacher, LastName: "Prof", FirstName: "N" + string(rune('a'+i))}
					if err := tx.People().CreatePerson(ctx, uai, p); err != nil {
						return err
					}
					f.teachers = append(f.teachers, p.ID)
				}
				// 40 students with two guardians each: 80 links, a bulk
				// load (COPY) on PostgreSQL.
				for i := 0; i < 40; i++ {
					s := &sillage.Student{Person: sillage.Person{Role: sillage.RoleStudent, LastName: "Élève", FirstName: "N" + strconv.Itoa(i)}}
					if err := tx.People().CreateStudent(ctx, uai, s); err != nil {
						return err
					}
					f.students = append(f.students, s.ID)
				}
				f.divs = []*sillage.Division{{SchoolYear: 2025, Code: "2PRO1"}, {SchoolYear: 2025, Code: "2PRO2", Label: "Seconde 2"}}
				if err := tx.Imports().InsertDivisions(ctx, uai, f.divs); err != nil {
					return err
				}
				var services []sillage.Service
				for i, id := range f.teachers {
					services = append(services, sillage.Service{TeacherID: id, DivisionID: f.divs[i%2].ID, SubjectCode: "061300"})
				}
				if err := tx.Imports().ReplaceServices(ctx, uai, f.teachers, services); err != nil {
					return err
				}
				if err := tx.People().SetHeadTeachers(ctx, uai, f.divs[0].ID, f.teachers[:2]); err != nil {
					return err
				}
				var links []sillage.Guardianship
				for _, id := range f.students {
					links = append(links, sillage.Guardianship{ParentID: f.teachers[0], StudentID: id, Legal: true, Relation: "20"},
						sillage.Guardianship{ParentID: f.teachers[1], StudentID: id, Legal: false, Relation: "10"})
				}
				if err := tx.Imports().InsertNewGuardianships(ctx, uai, links); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		a, b := fx[uais[0]], fx[uais[1]]
		// Replace the services of the first two teachers of a: the first
		// gets two, the second none; the third keeps his.
		err = st.Write(ctx, func(tx *store.Tx) error {
			return tx.Imports().ReplaceServices(ctx, uais[0], a.teachers[:2], []sillage.Service{
				{TeacherID: a.teachers[0], DivisionID: a.divs[0].ID, SubjectCode: "061300"},
				{TeacherID: a.teachers[0], DivisionID: a.divs[1].ID, SubjectCode: "061300"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			divs, err := tx.People().ListDivisions(ctx, uais[0], 2025)
			if err != nil {
				return err
			}
			var labels []string
			for _, d := range divs {
				labels = append(labels, d.Code+"="+d.Label)
			}
			if !slices.Equal(labels, []string{"2PRO1=", "2PRO2=Seconde 2"}) || a.divs[0].ID == 0 || a.divs[0].UAI != uais[0] {
				t.Errorf("divisions = %v (ids %d, %d)", labels, a.divs[0].ID, a.divs[1].ID)
			}
			count := func(uai sillage.UAI, teacher int64) int {
				ss, err := tx.People().ListServices(ctx, uai, teacher)
				if err != nil {
					t.Fatal(err)
				}
				return len(ss)
			}
			if got := []int{count(uais[0], a.teachers[0]), count(uais[0], a.teachers[1]), count(uais[0], a.teachers[2])}; !slices.Equal(got, []int{2, 0, 1}) {
				t.Errorf("services of a's teachers = %v, want [2 0 1]", got)
			}
			if got := count(uais[1], 0); got != 3 {
				t.Errorf("services of b = %d, want 3 (untouched)", got)
			}
			heads, err := tx.Imports().ListAllHeadTeachers(ctx, uais[1])
			if err != nil {
				return err
			}
			if len(heads) != 1 || !slices.Equal(heads[b.divs[0].ID], b.teachers[:2]) {
				t.Errorf("head teachers of b = %v", heads)
			}
			gs, err := tx.Imports().ListAllGuardianships(ctx, uais[0])
			if err != nil {
				return err
			}
			if len(gs) != 80 || gs[0].Relation != "20" || !gs[0].Legal || gs[0].StudentID != a.students[0] || gs[0].ParentID != a.teachers[0] ||
				gs[79].Relation != "10" || gs[79].Legal || gs[79].ParentID != a.teachers[1] || gs[79].StudentID != a.students[39] {
				t.Errorf("%d guardianships of a, first %+v, last %+v", len(gs), gs[0], gs[len(gs)-1])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A link that exists is not "new": the bulk load refuses it.
		err = st.Write(ctx, func(tx *store.Tx) error {
			return tx.Imports().InsertNewGuardianships(ctx, uais[0], []sillage.Guardianship{{ParentID: a.teachers[0], StudentID: a.students[0], Legal: true}})
		})
		if err == nil {
			t.Error("an existing link bulk-loaded again: no error")
		}
	})
}
