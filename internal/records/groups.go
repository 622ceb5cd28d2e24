package records

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Teachers' groups: a teacher (or a director, an administrator) creates a
// free group, limited to the school year or permanent, fills it with
// students within their reach, evaluates it, and deletes it. Its managers
// change it; the teachers of an option group (STS service) see and
// evaluate it; administrators see every group. Out of reach is "not
// found".

// AuditGroupDeleted is the audit action of a group deleted by hand.
const AuditGroupDeleted = "group.deleted"

// MaxGroupLabelRunes bounds a group's name.
const MaxGroupLabelRunes = 100

// GroupsInReach lists the groups who sees: every group of the
// establishment for an administrator, the groups they manage or teach for
// anyone else.
func GroupsInReach(ctx context.Context, tx *store.Tx, who sillage.Who) ([]sillage.Group, error) {
	var gs []sillage.Group
	var err error
	if who.Role == sillage.RoleAdministrator {
		gs, err = tx.People().ListGroups(ctx, who.UAI, 0)
	} else {
		gs, err = tx.People().ListTeacherGroups(ctx, who.UAI, who.PersonID)
	}
	if err != nil {
		return nil, err
	}
	for i := range gs {
		g, err := tx.People().GetGroup(ctx, who.UAI, gs[i].ID)
		if err != nil {
			return nil, err
		}
		gs[i].Managers = g.Managers
	}
	return gs, nil
}

// GroupInReach returns a group who sees (see GroupsInReach).
func GroupInReach(ctx context.Context, tx *store.Tx, who sillage.Who, id int64) (sillage.Group, error) {
	g, err := tx.People().GetGroup(ctx, who.UAI, id)
	if err != nil {
		return g, err
	}
	if who.Role == sillage.RoleAdministrator || slices.Contains(g.Managers, who.PersonID) {
		return g, nil
	}
	ok, err := tx.People().TeachesGroup(ctx, who.UAI, who.PersonID, id)
	if err != nil {
		return g, err
	}
	if !ok {
		return sillage.Group{}, sillage.Errorf(sillage.KindNotFound, "groupe introuvable")
	}
	return g, nil
}

// MayChangeGroup reports whether who changes a group's students or
// deletes it: a free group they manage, or any free group for an
// administrator.
func MayChangeGroup(who sillage.Who, g sillage.Group) bool {
	return g.Kind == sillage.GroupFree && (who.Role == sillage.RoleAdministrator || slices.Contains(g.Managers, who.PersonID))
}

// changeableGroup returns a group who may change, or why not.
func ChangeableGroup(ctx context.Context, tx *store.Tx, who sillage.Who, id int64) (sillage.Group, error) {
	g, err := GroupInReach(ctx, tx, who, id)
	if err != nil {
		return g, err
	}
	if g.Kind != sillage.GroupFree {
		return g, sillage.Errorf(sillage.KindConflict, "le groupe « %s » vient des imports (option ou emploi du temps) : ses élèves se changent dans SIECLE ou STS-web, pas ici", g.Label)
	}
	if !MayChangeGroup(who, g) {
		return g, sillage.Errorf(sillage.KindForbidden, "seuls les gestionnaires du groupe « %s » et les administrateurs le modifient", g.Label)
	}
	return g, nil
}

// CreateGroup creates a free group of the current school year managed by
// who.
func CreateGroup(ctx context.Context, tx *store.Tx, who sillage.Who, label string, lifetime sillage.GroupLifetime) (sillage.Group, error) {
	label = strings.Join(strings.Fields(label), " ")
	switch {
	case label == "":
		return sillage.Group{}, sillage.Errorf(sillage.KindInvalid, "donnez un nom au groupe")
	case utf8.RuneCountInString(label) > MaxGroupLabelRunes:
		return sillage.Group{}, sillage.Errorf(sillage.KindInvalid, "le nom du groupe dépasse %d caractères", MaxGroupLabelRunes)
	case lifetime != sillage.LifetimeYear && lifetime != sillage.LifetimePermanent:
		return sillage.Group{}, sillage.Errorf(sillage.KindInvalid, "choisissez la durée de vie du groupe : l'année scolaire ou permanente")
	}
	g := sillage.Group{SchoolYear: sillage.SchoolYearOf(tx.Now()), Label: label, Kind: sillage.GroupFree, Lifetime: lifetime, Managers: []int64{who.PersonID}}
	err := tx.People().CreateGroup(ctx, who.UAI, &g)
	return g, err
}

// AddGroupStudents adds students to a group who may change, all or
// nothing: each an active student within who's reach. It returns how many
// were not yet in the group.
func AddGroupStudents(ctx context.Context, tx *store.Tx, who sillage.Who, groupID int64, studentIDs []int64) (int, error) {
	g, err := ChangeableGroup(ctx, tx, who, groupID)
	if err != nil {
		return 0, err
	}
	if len(studentIDs) == 0 {
		return 0, sillage.Errorf(sillage.KindInvalid, "cochez au moins un élève à ajouter")
	}
	members, err := tx.People().ListGroupMembers(ctx, who.UAI, g.ID)
	if err != nil {
		return 0, err
	}
	reach, err := StudentsInReach(ctx, tx, who, sillage.StudentFilter{ActiveOnly: true})
	if err != nil {
		return 0, err
	}
	ok := map[int64]bool{}
	for _, st := range reach {
		ok[st.ID] = true
	}
	added := 0
	for _, id := range studentIDs {
		if !ok[id] {
			return 0, sillage.Errorf(sillage.KindNotFound, "élève introuvable : seuls les élèves inscrits et à votre portée s'ajoutent à un groupe")
		}
		if slices.Contains(members, id) {
			continue
		}
		if err := tx.People().AddGroupMember(ctx, who.UAI, g.ID, id); err != nil {
			return 0, err
		}
		members = append(members, id)
		added++
	}
	return added, nil
}

// RemoveGroupStudent takes a student out of a group who may change
// (idempotent: a student already out stays out). The student's results
// stay in the group's evaluations.
func RemoveGroupStudent(ctx context.Context, tx *store.Tx, who sillage.Who, groupID, studentID int64) (sillage.Group, error) {
	g, err := ChangeableGroup(ctx, tx, who, groupID)
	if err != nil {
		return g, err
	}
	return g, tx.People().RemoveGroupMember(ctx, who.UAI, g.ID, studentID)
}

// DeleteGroup deletes a group who may change. Its evaluations, results
// and comments stay: they are the students' learning record.
func DeleteGroup(ctx context.Context, tx *store.Tx, who sillage.Who, groupID int64) (sillage.Group, error) {
	g, err := ChangeableGroup(ctx, tx, who, groupID)
	if err != nil {
		return g, err
	}
	return g, tx.People().DeleteGroup(ctx, who.UAI, g.ID)
}

// GroupStudents lists a group's students, active ones only.
func GroupStudents(ctx context.Context, tx *store.Tx, uai sillage.UAI, groupID int64) ([]sillage.Student, error) {
	ids, err := tx.People().ListGroupMembers(ctx, uai, groupID)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return tx.People().ListStudents(ctx, uai, sillage.StudentFilter{IDs: ids, ActiveOnly: true})
}
