package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
)

// Groups' lifetime: the managers of a free group choose whether it lasts
// the school year (deleted at the changeover's step 3) or is permanent.
// The changeover's warning links each group to its page here.

type groupsPageData struct {
	Groups   []sillage.Group
	Step3    sillage.Date
	Managers map[int64]string
}

func (s *Server) groupsData(ctx context.Context, req *Request, only int64) (*groupsPageData, error) {
	d := &groupsPageData{Managers: map[int64]string{}}
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		if only != 0 {
			g, err := rollover.GroupInReach(ctx, tx, req.P.UAI, req.P.PersonID, req.P.Role, only)
			if err != nil {
				return err
			}
			d.Groups = []sillage.Group{g}
		} else {
			who := req.P.PersonID
			if req.P.Role == sillage.RoleAdministrator {
				who = 0
			}
			var err error
			if d.Groups, err = tx.Rollover().ListManagedGroups(ctx, req.P.UAI, who); err != nil {
				return err
			}
		}
		var ids []int64
		for _, g := range d.Groups {
			ids = append(ids, g.Managers...)
		}
		ps, err := tx.People().ListPersons(ctx, req.P.UAI, sillage.PersonFilter{IDs: ids})
		if err != nil {
			return err
		}
		for _, p := range ps {
			d.Managers[p.ID] = p.FullName()
		}
		cal, err := rollover.LoadCalendar(ctx, tx, sillage.SchoolYearOf(s.clock.Now()))
		d.Step3 = cal.Step(rollover.StepCleanup).From
		return err
	})
	return d, err
}

func (s *Server) groupsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	d, err := s.groupsData(r.Context(), req, 0)
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "rollover_groups.html", "Mes groupes", d)
}

func (s *Server) groupPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	d, err := s.groupsData(r.Context(), req, id)
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "rollover_groups.html", "Groupe "+d.Groups[0].Label, d)
}

// setGroupLifetime makes a free group permanent or limited to the year.
func (s *Server) setGroupLifetime(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.store.Read(ctx, func(tx *store.Tx) error {
		_, err := rollover.GroupInReach(ctx, tx, req.P.UAI, req.P.PersonID, req.P.Role, id)
		return err
	}); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	l := sillage.GroupLifetime(r.PostFormValue("duree"))
	if l != sillage.LifetimeYear && l != sillage.LifetimePermanent {
		return sillage.Errorf(sillage.KindInvalid, "choisissez la durée de vie du groupe : l'année scolaire ou permanente")
	}
	var g sillage.Group
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if g, err = rollover.GroupInReach(ctx, tx, req.P.UAI, req.P.PersonID, req.P.Role, id); err != nil {
			return err
		}
		if g.Kind != sillage.GroupFree {
			return sillage.Errorf(sillage.KindConflict, "seule la durée de vie d'un groupe libre se choisit : les groupes d'option et d'emploi du temps suivent l'année")
		}
		return tx.People().SetGroupLifetime(ctx, req.P.UAI, g.ID, l)
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Le groupe « %s » est maintenant permanent : le changement d'année le gardera.", g.Label)
	if l == sillage.LifetimeYear {
		msg = fmt.Sprintf("Le groupe « %s » est maintenant limité à l'année scolaire : il sera supprimé au changement d'année.", g.Label)
	}
	return s.redirect(w, r, req, fmt.Sprintf("/groupes/%d", g.ID), msg)
}
