package web

import (
	"fmt"
	"net/http"

	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
)

// Editing a declared EPI or AP and its groups on /livret/projets (the
// director and the administrators, like the declaration).

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "project")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := livret.ProjectInput{Title: r.PostFormValue("intitule"), Theme: r.PostFormValue("thematique"),
		Description: r.PostFormValue("description"), Subjects: r.PostForm["disciplines"]}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.UpdateProject(ctx, tx, req.P.UAI, whoOf(req.P), req.Actor(), id, in)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/livret/projets#projet-%d", id), "Le projet est modifié.")
}

func (s *Server) updateProjectGroup(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "projectgroup")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := livret.GroupInput{Title: r.PostFormValue("intitule"), Teachers: r.PostForm["enseignants"]}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.UpdateGroup(ctx, tx, req.P.UAI, whoOf(req.P), req.Actor(), id, in)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/livret/projets", "Le groupe est modifié.")
}
