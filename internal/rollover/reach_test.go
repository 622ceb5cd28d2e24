package rollover_test

import (
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestSpaceAndGroupReach: a class space out of a person's reach and a
// group they do not manage are "not found"; a space within reach but
// beyond their right is "forbidden".
func TestSpaceAndGroupReach(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		const uai = sillage.UAI("0860012W")
		var manager, other, admin, director, student sillage.Person
		var space sillage.ClassSpace
		var group sillage.Group
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée", Kind: sillage.KindLP}); err != nil {
				return err
			}
			div := sillage.Division{SchoolYear: N, Code: "1SN"}
			if err := tx.People().CreateDivision(ctx, uai, &div); err != nil {
				return err
			}
			for _, p := range []struct {
				p    *sillage.Person
				role sillage.Role
			}{{&manager, sillage.RoleTeacher}, {&other, sillage.RoleTeacher}, {&admin, sillage.RoleAdministrator}, {&director, sillage.RoleDirector}} {
				*p.p = sillage.Person{Role: p.role, LastName: "Personne", FirstName: string(p.role), Source: sillage.SourceManual}
				if err := tx.People().CreatePerson(ctx, uai, p.p); err != nil {
					return err
				}
			}
			s := sillage.Student{Person: sillage.Person{LastName: "Élève", FirstName: "Un", SIECLEID: "E1", Source: sillage.SourceSIECLE}, DivisionID: div.ID}
			if err := tx.People().CreateStudent(ctx, uai, &s); err != nil {
				return err
			}
			student = s.Person
			group = sillage.Group{SchoolYear: N, Label: "Club théâtre", Kind: sillage.GroupFree, Lifetime: sillage.LifetimeYear, Managers: []int64{manager.ID}}
			if err := tx.People().CreateGroup(ctx, uai, &group); err != nil {
				return err
			}
			var err error
			space, err = tx.Rollover().CreateClassSpace(ctx, uai, div.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			person int64
			id     int64
			need   rollover.Right
			want   sillage.Kind // KindInternal: no error
			right  rollover.Right
		}{
			{"an administrator manages", admin.ID, space.ID, rollover.RightManager, sillage.KindInternal, rollover.RightManager},
			{"the director reads", director.ID, space.ID, rollover.RightReader, sillage.KindInternal, rollover.RightReader},
			{"a student of the division reads", student.ID, space.ID, rollover.RightReader, sillage.KindInternal, rollover.RightReader},
			{"a student does not post", student.ID, space.ID, rollover.RightWriter, sillage.KindForbidden, rollover.RightReader},
			{"a teacher of another division", other.ID, space.ID, rollover.RightReader, sillage.KindNotFound, rollover.RightNone},
			{"no such space", admin.ID, space.ID + 1000, rollover.RightReader, sillage.KindNotFound, rollover.RightNone},
		} {
			err := st.Read(ctx, func(tx *store.Tx) error {
				_, right, err := rollover.SpaceInReach(ctx, tx, uai, c.person, c.id, c.need)
				if c.want == sillage.KindInternal && err != nil || c.want != sillage.KindInternal && sillage.KindOf(err) != c.want || right != c.right {
					t.Errorf("%s: %s %v, want %s and kind %v", c.name, right.Label(), err, c.right.Label(), c.want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name    string
			who     sillage.Person
			id      int64
			reached bool
		}{
			{"its manager", manager, group.ID, true},
			{"an administrator", admin, group.ID, true},
			{"another teacher", other, group.ID, false},
			{"the director", director, group.ID, false},
			{"no such group", admin, group.ID + 1000, false},
		} {
			err := st.Read(ctx, func(tx *store.Tx) error {
				g, err := rollover.GroupInReach(ctx, tx, uai, c.who.ID, c.who.Role, c.id)
				if c.reached && (err != nil || g.ID != c.id) || !c.reached && sillage.KindOf(err) != sillage.KindNotFound {
					t.Errorf("group for %s: %+v %v", c.name, g, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
