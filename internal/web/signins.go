package web

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/sillage/sillage"
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
	role := sillage.Role(r.URL.Query().Get("role"))
	if _, err := sillage.ParseRole(string(role)); err != nil {
		role = sillage.RoleTeacher
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	var rows []signInRow
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		persons, err := tx.ListPersons(ctx, req.P.UAI, store.PersonFilter{Role: role})
		if err != nil {
			return err
		}
		divisions := map[int64]string{}
		if role == sillage.RoleStudent {
			students, err := tx.ListStudents(ctx, req.P.UAI, store.StudentFilter{})
			if err != nil {
				return err
			}
			for _, st := range students {
				divisions[st.ID] = st.DivisionCode
			}
		}
		for _, p := range persons {
			if q != "" && !strings.Contains(strings.ToLower(p.FullName()), q) {
				continue
			}
			row := signInRow{Name: p.FullName(), Division: divisions[p.ID], Active: p.Active(), HasAccount: p.AccountID != 0}
			if row.HasAccount {
				acc, err := tx.GetAccount(ctx, p.AccountID)
				if err != nil {
					return err
				}
				row.LastSignIn = acc.LastSignInAt
			}
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].LastSignIn.After(rows[j].LastSignIn) })
	return s.render(w, r, req, http.StatusOK, "signins.html", "Dernières connexions",
		map[string]any{"Rows": rows, "Role": role, "Roles": signInRoles, "Q": q})
}
