package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
)

// The digital skills of cycle 3 of a 6e division for a period (collège):
// its teachers, its head teacher and the direction enter each student's
// levels and appreciation and the class's common appreciation.

func (s *Server) digitalPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var v *livret.DigitalEntry
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = livret.LoadDigitalEntry(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "livret_numerique.html", "Compétences numériques — "+v.Division.Code+" — "+v.Period.Label(), v)
}

func (s *Server) saveDigital(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := digitalInput(r)
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.SaveDigitalEntry(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, in)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/livret/numerique/%d/%d", divisionID, periodID), "Les compétences numériques sont enregistrées.")
}

// digitalInput reads the form: "commune", "appreciation-<student>" and
// "niveau-<student>-<skill code>".
func digitalInput(r *http.Request) livret.DigitalInput {
	in := livret.DigitalInput{Common: r.PostFormValue("commune"), Appreciations: map[int64]string{}, Levels: map[int64]map[string]string{}}
	for k, v := range r.PostForm {
		if len(v) == 0 {
			continue
		}
		if rest, ok := strings.CutPrefix(k, "appreciation-"); ok {
			if id, err := strconv.ParseInt(rest, 10, 64); err == nil && id > 0 {
				in.Appreciations[id] = v[0]
			}
		}
		if rest, ok := strings.CutPrefix(k, "niveau-"); ok {
			sid, code, _ := strings.Cut(rest, "-")
			if id, err := strconv.ParseInt(sid, 10, 64); err == nil && id > 0 && code != "" {
				if in.Levels[id] == nil {
					in.Levels[id] = map[string]string{}
				}
				in.Levels[id][code] = v[0]
			}
		}
	}
	return in
}

// digitalOfStudent leads a line of the export's report to the page of the
// student's division, at their line.
func (s *Server) digitalOfStudent(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, periodID, err := reportIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var divisionID int64
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		divisionID, err = livret.DigitalEntryOf(ctx, tx, req.P.UAI, whoOf(req.P), studentID)
		return err
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/livret/numerique/%d/%d#eleve-%d", divisionID, periodID, studentID), "")
}
