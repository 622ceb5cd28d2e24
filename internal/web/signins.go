package web

import (
	"net/http"
	"sort"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/french"
	"github.com/sillage/sillage/internal/store"
)

// signInRow is one user on the last sign-ins page: name and dates only,
// never a login or a directory id (the director may not see them).
type signInRow struct {
	Name       string
	Division   string
	Active     bool
	LastSignIn time.Time
	HasAccount bool
}

// signInRoles are the profiles the page lists, in its order.
var signInRoles = []sillage.Role{sillage.RoleTeacher, sillage.RoleDirector, sillage.RoleAdministrator, sillage.RoleStaff,
	sillage.RoleStudent, sillage.RoleParent}

// signInsPage lists the last sign-in of every user of one profile
// (privacy.md: the director sees the last sign-in dates of all users),
// most recent first, those who never signed in last.
func (s *Server) signInsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	role, q := peopleQuery(r)
	var rows []signInRow
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		people, err := listPeople(ctx, tx, req.P.UAI, role, french.ParseQuery(q))
		for _, lp := range people {
			rows = append(rows, signInRow{Name: lp.FullName(), Division: lp.Division, Active: lp.Active(),
				HasAccount: lp.AccountID != 0, LastSignIn: lp.Account.LastSignInAt})
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].LastSignIn.After(rows[j].LastSignIn) })
	rows, page := paginate(r, rows, "personne", "personnes")
	return s.render(w, r, req, http.StatusOK, "signins.html", "Dernières connexions",
		map[string]any{"Rows": rows, "Page": page, "Role": role, "Roles": signInRoles, "Q": q})
}
