package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
)

// Groups: teachers (and directors, administrators) create free groups,
// limited to the school year (deleted at the changeover's step 3) or
// permanent, add and remove students within their reach, evaluate them
// and delete them; administrators see every group. The changeover's
// warning links each group to its page here.

type groupsPageData struct {
	Groups   []sillage.Group
	Step3    sillage.Date
	Managers map[int64]string
}

// groupPageData is one group's page.
type groupPageData struct {
	Group       sillage.Group
	Managers    []string
	Step3       sillage.Date
	MayChange   bool
	MayEvaluate bool
	Members     []sillage.Student
	Divisions   []sillage.Division
	Division    sillage.Division // the division whose students may be added
	Candidates  []sillage.Student
	Evaluations []sillage.Evaluation
}

func (s *Server) step3(ctx context.Context, tx *store.Tx) (sillage.Date, error) {
	cal, err := rollover.LoadCalendar(ctx, tx, sillage.SchoolYearOf(s.clock.Now()))
	return cal.Step(rollover.StepCleanup).From, err
}

func (s *Server) groupsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	d := &groupsPageData{Managers: map[int64]string{}}
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if d.Groups, err = records.GroupsInReach(ctx, tx, whoOf(req.P)); err != nil {
			return err
		}
		var ids []int64
		for _, g := range d.Groups {
			ids = append(ids, g.Managers...)
		}
		if len(ids) > 0 {
			ps, err := tx.People().ListPersons(ctx, req.P.UAI, sillage.PersonFilter{IDs: ids})
			if err != nil {
				return err
			}
			for _, p := range ps {
				d.Managers[p.ID] = p.FullName()
			}
		}
		d.Step3, err = s.step3(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	title := "Mes groupes"
	if req.P.Role == sillage.RoleAdministrator {
		title = "Groupes de l'établissement"
	}
	return s.render(w, r, req, http.StatusOK, "rollover_groups.html", title, d)
}

func (s *Server) groupPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	divID, err := formID(r, "division")
	if err != nil {
		return err
	}
	ctx := r.Context()
	who := whoOf(req.P)
	d := &groupPageData{}
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if d.Group, err = records.GroupInReach(ctx, tx, who, id); err != nil {
			return err
		}
		d.MayChange = records.MayChangeGroup(who, d.Group)
		d.MayEvaluate = req.P.Allowed(auth.EditEvaluations)
		if len(d.Group.Managers) > 0 {
			ps, err := tx.People().ListPersons(ctx, req.P.UAI, sillage.PersonFilter{IDs: d.Group.Managers})
			if err != nil {
				return err
			}
			for _, p := range ps {
				d.Managers = append(d.Managers, p.FullName())
			}
		}
		if d.Members, err = records.GroupStudents(ctx, tx, req.P.UAI, d.Group.ID); err != nil {
			return err
		}
		if d.MayEvaluate {
			if d.Evaluations, err = tx.Records().ListEvaluations(ctx, req.P.UAI, sillage.EvaluationFilter{GroupID: d.Group.ID}); err != nil {
				return err
			}
		}
		if d.MayChange {
			if err := groupCandidates(ctx, tx, who, d, divID); err != nil {
				return err
			}
		}
		d.Step3, err = s.step3(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "group.html", "Groupe "+d.Group.Label, d)
}

// groupCandidates lists the students of one division (the chosen one, else
// the first) within who's reach that are not in the group yet.
func groupCandidates(ctx context.Context, tx *store.Tx, who sillage.Who, d *groupPageData, divID int64) error {
	reach, err := records.StudentsInReach(ctx, tx, who, sillage.StudentFilter{ActiveOnly: true})
	if err != nil {
		return err
	}
	divs := map[int64]bool{}
	for _, st := range reach {
		divs[st.DivisionID] = true
	}
	all, err := tx.People().ListDivisions(ctx, who.UAI, 0)
	if err != nil {
		return err
	}
	for _, dv := range all {
		if divs[dv.ID] {
			d.Divisions = append(d.Divisions, dv)
			if dv.ID == divID || divID == 0 && d.Division.ID == 0 {
				d.Division = dv
			}
		}
	}
	in := map[int64]bool{}
	for _, m := range d.Members {
		in[m.ID] = true
	}
	for _, st := range reach {
		if st.DivisionID == d.Division.ID && !in[st.ID] {
			d.Candidates = append(d.Candidates, st)
		}
	}
	return nil
}

// createGroup creates a free group managed by the person.
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var g sillage.Group
	err := s.store.Write(ctx, func(tx *store.Tx) (err error) {
		g, err = records.CreateGroup(ctx, tx, whoOf(req.P), r.PostFormValue("nom"), sillage.GroupLifetime(r.PostFormValue("duree")))
		return err
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/groupes/%d", g.ID), fmt.Sprintf("Groupe « %s » créé : ajoutez-y des élèves.", g.Label))
}

// addGroupStudents adds the checked students to a group.
func (s *Server) addGroupStudents(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	var ids []int64
	for _, v := range r.PostForm["eleves"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return sillage.Errorf(sillage.KindNotFound, "élève introuvable")
		}
		ids = append(ids, n)
	}
	ctx := r.Context()
	var n int
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		n, err = records.AddGroupStudents(ctx, tx, whoOf(req.P), id, ids)
		return err
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%d élève(s) ajouté(s) au groupe.", n)
	if n == 0 {
		msg = "Ces élèves étaient déjà dans le groupe."
	}
	return s.redirect(w, r, req, fmt.Sprintf("/groupes/%d", id), msg)
}

// removeGroupStudent takes one student out of a group.
func (s *Server) removeGroupStudent(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	studentID, err := pathID(r, "student")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var name string
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if _, err := records.RemoveGroupStudent(ctx, tx, whoOf(req.P), id, studentID); err != nil {
			return err
		}
		if st, err := tx.People().GetStudent(ctx, req.P.UAI, studentID); err == nil {
			name = st.FullName()
		}
		return nil
	})
	if err != nil {
		return err
	}
	msg := "L'élève n'est plus dans le groupe ; ses résultats restent dans les évaluations du groupe."
	if name != "" {
		msg = name + " n'est plus dans le groupe ; ses résultats restent dans les évaluations du groupe."
	}
	return s.redirect(w, r, req, fmt.Sprintf("/groupes/%d", id), msg)
}

// deleteGroup deletes a group after confirmation (logged). Its evaluations
// stay.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	who := whoOf(req.P)
	if r.PostFormValue("confirmer") == "" {
		var g sillage.Group
		var members, evals int
		if err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
			if g, err = records.GroupInReach(ctx, tx, who, id); err != nil {
				return err
			}
			if _, err := records.ChangeableGroup(ctx, tx, who, id); err != nil {
				return err
			}
			ms, err := records.GroupStudents(ctx, tx, req.P.UAI, id)
			members = len(ms)
			if err != nil {
				return err
			}
			es, err := tx.Records().ListEvaluations(ctx, req.P.UAI, sillage.EvaluationFilter{GroupID: id})
			evals = len(es)
			return err
		}); err != nil {
			return err
		}
		return s.render(w, r, req, http.StatusOK, "confirm.html", "Supprimer le groupe", confirmData{
			Question: fmt.Sprintf("Supprimer le groupe « %s » (%d élève(s)) ?", g.Label, members),
			Details:  []string{fmt.Sprintf("Ses %d évaluation(s), leurs résultats et commentaires restent dans le livret des élèves.", evals)},
			Action:   r.URL.Path, Cancel: fmt.Sprintf("/groupes/%d", id), Button: "Supprimer le groupe"})
	}
	var g sillage.Group
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if g, err = records.DeleteGroup(ctx, tx, who, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), records.AuditGroupDeleted, g.Label, fmt.Sprintf("groupe n° %d", g.ID))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/groupes", fmt.Sprintf("Groupe « %s » supprimé ; ses évaluations restent.", g.Label))
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
