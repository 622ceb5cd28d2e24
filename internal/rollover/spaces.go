package rollover

import (
	"context"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Rights on a class space, from the weakest.
type Right int

const (
	RightNone    Right = iota
	RightReader        // reads and downloads the documents
	RightWriter        // also posts documents (the division's teachers)
	RightManager       // also removes documents and gives rights
)

// SpaceInReach returns a class space of the establishment and the right
// the person has on it, when it is at least need; a space the person has
// no right on is "not found".
func SpaceInReach(ctx context.Context, tx *store.Tx, uai sillage.UAI, personID, id int64, need Right) (sillage.ClassSpace, Right, error) {
	sp, err := tx.Rollover().GetClassSpace(ctx, uai, id)
	if err != nil {
		return sp, RightNone, err
	}
	person, err := tx.People().GetPerson(ctx, uai, personID)
	if err != nil {
		return sp, RightNone, err
	}
	right, err := SpaceAccess(ctx, tx, uai, sp, person)
	if err != nil {
		return sp, right, err
	}
	if right == RightNone {
		return sp, right, sillage.Errorf(sillage.KindNotFound, "espace de classe introuvable")
	}
	if right < need {
		return sp, right, sillage.Errorf(sillage.KindForbidden, "votre droit sur cet espace (%s) ne permet pas cette action", right.Label())
	}
	return sp, right, nil
}

// Label is the right's French name.
func (r Right) Label() string {
	switch r {
	case RightReader:
		return "lecteur"
	case RightWriter:
		return "rédacteur"
	case RightManager:
		return "gestionnaire"
	}
	return "aucun accès"
}

func rightOf(role string) Right {
	switch role {
	case store.SpaceManager:
		return RightManager
	case store.SpaceReader:
		return RightReader
	}
	return RightNone
}

// SpaceAccess returns what a person may do in a class space.
//
// While the year runs: administrators, the division's head teachers and
// the space's explicit managers manage it; the teachers of the division
// post in it; the director, the explicit readers and the division's
// students read it.
//
// In the trash (rollover.md step 2): administrators manage it; every
// teacher of the establishment reads it; so do its former managers (their
// rights were rewritten to reader); nobody else has access.
func SpaceAccess(ctx context.Context, tx *store.Tx, uai sillage.UAI, sp sillage.ClassSpace, p sillage.Person) (Right, error) {
	if p.UAI != uai || !p.Active() {
		return RightNone, nil
	}
	if p.Role == sillage.RoleAdministrator {
		return RightManager, nil
	}
	explicit, err := tx.Rollover().GetClassSpaceRight(ctx, uai, sp.ID, p.ID)
	if err != nil {
		return RightNone, err
	}
	if !sp.TrashedAt.IsZero() {
		if p.Role == sillage.RoleTeacher {
			return max(RightReader, rightOf(explicit)), nil
		}
		return rightOf(explicit), nil
	}
	best := rightOf(explicit)
	if sp.DivisionID == 0 {
		return best, nil
	}
	switch p.Role {
	case sillage.RoleTeacher:
		heads, err := tx.People().ListHeadTeachers(ctx, uai, sp.DivisionID)
		if err != nil {
			return RightNone, err
		}
		for _, h := range heads {
			if h == p.ID {
				return RightManager, nil
			}
		}
		teaches, err := tx.People().TeachesDivision(ctx, uai, p.ID, sp.DivisionID)
		if err != nil {
			return RightNone, err
		}
		if teaches {
			best = max(best, RightWriter)
		}
	case sillage.RoleDirector:
		best = max(best, RightReader)
	case sillage.RoleStudent:
		s, err := tx.People().GetStudent(ctx, uai, p.ID)
		if err != nil {
			return RightNone, err
		}
		if s.DivisionID == sp.DivisionID {
			best = max(best, RightReader)
		}
	}
	return best, nil
}

// SpaceManagers returns a live space's managers other than the
// administrators: its explicit managers and its division's head teachers.
func SpaceManagers(ctx context.Context, tx *store.Tx, uai sillage.UAI, sp sillage.ClassSpace) ([]int64, error) {
	rights, err := tx.Rollover().ListClassSpaceRights(ctx, uai, sp.ID)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []int64
	for _, r := range rights {
		if r.Role == store.SpaceManager && !seen[r.PersonID] {
			seen[r.PersonID] = true
			out = append(out, r.PersonID)
		}
	}
	if sp.DivisionID != 0 {
		heads, err := tx.People().ListHeadTeachers(ctx, uai, sp.DivisionID)
		if err != nil {
			return nil, err
		}
		for _, h := range heads {
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out, nil
}
