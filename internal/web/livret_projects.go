package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
)

// The EPI, AP and parcours pages of the Livret Scolaire (collège): the
// declarations (director, administrators), a group's appreciations (its
// teachers), a division's parcours (its head teacher).

func (s *Server) projectsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var pg *livret.ProjectsPage
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		pg, err = livret.LoadProjects(ctx, tx, req.P.UAI, whoOf(req.P), s.clock.Now())
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "livret_projects.html", "EPI et accompagnement personnalisé", pg)
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := livret.ProjectInput{Kind: r.PostFormValue("nature"), Title: r.PostFormValue("intitule"), Theme: r.PostFormValue("thematique"),
		Description: r.PostFormValue("description"), Subjects: r.PostForm["disciplines"]}
	ctx := r.Context()
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		p, err := livret.CreateProject(ctx, tx, req.P.UAI, whoOf(req.P), s.clock.Now(), in)
		if err != nil {
			return err
		}
		return livret.AuditDeclared(ctx, tx, req.P.UAI, req.Actor(), p, nil)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/livret/projets", "« "+strings.TrimSpace(in.Title)+" » est déclaré.")
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "project")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	confirmed := r.PostFormValue("confirmer") == "1"
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := livret.DeleteProject(ctx, tx, req.P.UAI, whoOf(req.P), id, false); err != nil || !confirmed {
			return err
		}
		if err := livret.AuditDeleting(ctx, tx, req.P.UAI, req.Actor(), id, 0); err != nil {
			return err
		}
		return livret.DeleteProject(ctx, tx, req.P.UAI, whoOf(req.P), id, true)
	})
	if err != nil {
		return err
	}
	if !confirmed {
		return s.redirect(w, r, req, "/livret/projets", "Cochez la case de confirmation pour supprimer le projet.")
	}
	return s.redirect(w, r, req, "/livret/projets", "Le projet et ses groupes sont supprimés.")
}

func (s *Server) createProjectGroup(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "project")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := livret.GroupInput{ProjectID: id, Title: r.PostFormValue("intitule"), Teachers: r.PostForm["enseignants"]}
	in.DivisionID, _ = formID(r, "division")
	in.PeriodID, _ = formID(r, "periode")
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		g, err := livret.CreateGroup(ctx, tx, req.P.UAI, whoOf(req.P), in)
		if err != nil {
			return err
		}
		p, err := tx.Livret().GetProject(ctx, req.P.UAI, g.ProjectID)
		if err != nil {
			return err
		}
		return livret.AuditDeclared(ctx, tx, req.P.UAI, req.Actor(), p, &g)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/livret/projets", "Le groupe est ajouté.")
}

func (s *Server) deleteProjectGroup(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "projectgroup")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	confirmed := r.PostFormValue("confirmer") == "1"
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := livret.DeleteGroup(ctx, tx, req.P.UAI, whoOf(req.P), id, false); err != nil || !confirmed {
			return err
		}
		if err := livret.AuditDeleting(ctx, tx, req.P.UAI, req.Actor(), 0, id); err != nil {
			return err
		}
		return livret.DeleteGroup(ctx, tx, req.P.UAI, whoOf(req.P), id, true)
	})
	if err != nil {
		return err
	}
	if !confirmed {
		return s.redirect(w, r, req, "/livret/projets", "Cochez la case de confirmation pour supprimer le groupe.")
	}
	return s.redirect(w, r, req, "/livret/projets", "Le groupe est supprimé.")
}

func (s *Server) saveEPITheme(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	code := r.PostFormValue("code")
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		if r.PostFormValue("supprimer") != "" {
			return livret.DeleteTheme(ctx, tx, req.P.UAI, whoOf(req.P), code)
		}
		return livret.SetTheme(ctx, tx, req.P.UAI, whoOf(req.P), code, r.PostFormValue("libelle"))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/livret/projets#themes", "Les thématiques locales sont enregistrées.")
}

// texts reads the students' texts of an entry form: fields "texte-<id>".
func texts(r *http.Request) map[int64]string {
	out := map[int64]string{}
	for k, v := range r.PostForm {
		if rest, ok := strings.CutPrefix(k, "texte-"); ok && len(v) > 0 {
			if id, err := strconv.ParseInt(rest, 10, 64); err == nil && id > 0 {
				out[id] = v[0]
			}
		}
	}
	return out
}

func (s *Server) projectGroupPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "projectgroup")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var g *livret.GroupEntry
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		g, err = livret.LoadGroupEntry(ctx, tx, req.P.UAI, whoOf(req.P), id)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "livret_project_group.html", g.Group.Group.Title+" — "+g.Group.Period.Label(), g)
}

func (s *Server) saveProjectGroup(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "projectgroup")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.SaveGroupEntry(ctx, tx, req.P.UAI, whoOf(req.P), id, r.PostFormValue("commentaire"), texts(r))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/livret/groupe/%d", id), "Les appréciations sont enregistrées.")
}

func (s *Server) parcoursPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var v *livret.ParcoursEntry
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = livret.LoadParcoursEntry(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, r.URL.Query().Get("parcours"))
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "livret_parcours.html", v.Label+" — "+v.Division.Code+" — "+v.Period.Label(), v)
}

func (s *Server) saveParcours(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	code := r.PostFormValue("parcours")
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.SaveParcoursEntry(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, code, r.PostFormValue("projet"), texts(r))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/livret/parcours/%d/%d?parcours=%s", divisionID, periodID, url.QueryEscape(code)), "Le parcours est enregistré.")
}
