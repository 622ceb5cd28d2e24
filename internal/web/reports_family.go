package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
)

// The Livret's complements of a report (devoirs faits, socle of the term,
// legal guardians) and the class-level school-life comments.

func (s *Server) extrasPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, periodID, err := reportIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var v *livret.ExtrasView
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = livret.LoadExtras(ctx, tx, req.P.UAI, whoOf(req.P), studentID, periodID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "reports_extras.html", "Compléments du bilan — "+v.Student.FullName()+" — "+v.Period.Label(), v)
}

func (s *Server) saveExtras(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, periodID, err := reportIDs(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := livret.ExtrasInput{HomeworkDone: r.PostFormValue("devoirs"), Socle: map[string]string{}}
	for _, d := range sillage.SocleDomains {
		in.Socle[d] = r.PostFormValue("socle_" + d)
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.SaveExtras(ctx, tx, req.P.UAI, whoOf(req.P), studentID, periodID, in)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, reportURL(studentID, periodID)+"/complements", "Compléments du bilan enregistrés.")
}

func (s *Server) classSchoolLifePage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	periodID, _ := strconv.ParseInt(r.URL.Query().Get("periode"), 10, 64)
	var v *livret.ClassSchoolLifeView
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = livret.LoadClassSchoolLife(ctx, tx, req.P.UAI, sillage.SchoolYearOf(s.clock.Now()), periodID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "reports_class_school_life.html", "Vie scolaire des classes", v)
}

func (s *Server) saveClassSchoolLife(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.SaveClassSchoolLife(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, r.PostFormValue("commentaire"))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/livret/vie-scolaire?periode=%d#division-%d", periodID, divisionID), "Commentaire de vie scolaire enregistré.")
}
