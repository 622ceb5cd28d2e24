package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/acquisition"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// The acquisition pages (issue 15, item 1): a student's states per domain
// and competence, reached by the student (/mon-livret/acquis), a parent
// (/mes-enfants/{id}/acquis) and the staff (/eleves/{id}/acquis); a
// class's synthesis with its CSV; the bilans in PDF. The rules, the reach
// and the charts are in internal/acquisition.

// scoreClass is the CSS class of a state: its level's place on the scale.
func scoreClass(s acquisition.Score) string {
	if !s.Valid() {
		return "lvl-na"
	}
	return fmt.Sprintf("lvl-%d", s.Level.Points)
}

type studentAcquisitionView struct {
	*acquisition.StudentView
	Base  string // the student's acquisition page
	Back  string // where the page came from
	Chart template.HTML
}

// studentBase is where a student's acquisition lives for who asks.
func studentBase(p auth.Principal, id int64) (base, back string) {
	switch p.Role {
	case sillage.RoleStudent:
		return "/mon-livret/acquis", "/mon-livret"
	case sillage.RoleParent:
		b := fmt.Sprintf("/mes-enfants/%d", id)
		return b + "/acquis", b
	}
	b := fmt.Sprintf("/eleves/%d", id)
	return b + "/acquis", b
}

// acquisitionStudentID is the student of the request: oneself for a
// student, the path's {student} otherwise.
func acquisitionStudentID(r *http.Request, p auth.Principal) (int64, error) {
	if p.Role == sillage.RoleStudent {
		return p.PersonID, nil
	}
	return pathID(r, "student")
}

func (s *Server) loadStudentAcquisition(r *http.Request, req *Request) (*acquisition.StudentView, error) {
	id, err := acquisitionStudentID(r, req.P)
	if err != nil {
		return nil, err
	}
	var v *acquisition.StudentView
	err = s.store.Read(r.Context(), func(tx *store.Tx) (err error) {
		v, err = acquisition.ForStudent(r.Context(), tx, whoOf(req.P), id, r.URL.Query().Get("periode"))
		return err
	})
	return v, err
}

// studentAcquisitionPage is a student's acquisition, for every role that
// reaches the student.
func (s *Server) studentAcquisitionPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	v, err := s.loadStudentAcquisition(r, req)
	if err != nil {
		return err
	}
	base, back := studentBase(req.P, v.Student.Student.ID)
	data := studentAcquisitionView{StudentView: v, Base: base, Back: back,
		Chart: template.HTML(acquisition.ProgressSVG(v.Progress, v.Scale, "progression", v.Student.Student.FullName()))}
	return s.render(w, r, req, http.StatusOK, "acquisition.html", "Acquis de "+v.Student.Student.FullName(), data)
}

func (s *Server) studentAcquisitionPDF(w http.ResponseWriter, r *http.Request, req *Request) error {
	v, err := s.loadStudentAcquisition(r, req)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := acquisition.StudentPDF(&buf, v, s.clock.Now()); err != nil {
		return err
	}
	return sendPDF(w, fmt.Sprintf("bilan-acquis-%d-%s.pdf", v.Student.Student.ID, v.Span.Key), buf.Bytes())
}

// acquisitionHome lists the classes within reach and states the method;
// the administrators change it there.
func (s *Server) acquisitionHome(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.renderAcquisitionHome(w, r, req, http.StatusOK, nil)
}

func (s *Server) renderAcquisitionHome(w http.ResponseWriter, r *http.Request, req *Request, status int, problems []string) error {
	ctx := r.Context()
	var divisions []sillage.Division
	var m acquisition.Method
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if m, err = acquisition.LoadMethod(ctx, tx, req.P.UAI); err != nil {
			return err
		}
		divisions, err = records.DivisionsInReach(ctx, tx, whoOf(req.P))
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, status, "acquisition_home.html", "Acquis des élèves", map[string]any{
		"Divisions": divisions, "Method": m, "Manage": req.P.Allowed(auth.ManageReferentials), "Problems": problems, "MaxN": acquisition.MaxN,
	})
}

// saveAcquisitionMethod records the establishment's method.
func (s *Server) saveAcquisitionMethod(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	m, err := acquisition.NewMethod(r.PostForm.Get("methode"), r.PostForm.Get("nombre"))
	if err != nil {
		return s.renderAcquisitionHome(w, r, req, http.StatusBadRequest, []string{sillage.Message(err)})
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		old, err := acquisition.LoadMethod(ctx, tx, req.P.UAI)
		if err != nil {
			return err
		}
		if err := acquisition.SaveMethod(ctx, tx, req.P.UAI, m); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), acquisition.AuditMethodChanged, "calcul des acquis",
			"avant : "+old.Label()+" ; après : "+m.Label())
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/acquis", "Méthode de calcul enregistrée : "+m.Label()+".")
}

func (s *Server) loadClassAcquisition(r *http.Request, req *Request, withStudents bool) (*acquisition.ClassView, error) {
	id, err := pathID(r, "division")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var v *acquisition.ClassView
	err = s.store.Read(r.Context(), func(tx *store.Tx) (err error) {
		v, err = acquisition.ForClass(r.Context(), tx, whoOf(req.P), id, q.Get("periode"), q.Get("tri"), withStudents)
		return err
	})
	return v, err
}

type classAcquisitionView struct {
	*acquisition.ClassView
	Base  string
	Chart template.HTML
}

// classAcquisitionPage is a class's students × competences table.
func (s *Server) classAcquisitionPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	v, err := s.loadClassAcquisition(r, req, false)
	if err != nil {
		return err
	}
	data := classAcquisitionView{ClassView: v, Base: "/acquis/classes/" + strconv.FormatInt(v.Division.ID, 10),
		Chart: template.HTML(acquisition.DistributionSVG(v.Columns, v.Scale, "repartition", v.Division.Code))}
	return s.render(w, r, req, http.StatusOK, "acquisition_class.html", "Acquis de la classe "+v.Division.Code, data)
}

func (s *Server) classAcquisitionCSV(w http.ResponseWriter, r *http.Request, req *Request) error {
	v, err := s.loadClassAcquisition(r, req, false)
	if err != nil {
		return err
	}
	serveDownload(w, "text/csv; charset=utf-8", "acquis-"+v.Division.Code+"-"+v.Span.Key+".csv")
	return acquisition.ClassCSV(w, v)
}

func (s *Server) classAcquisitionPDF(w http.ResponseWriter, r *http.Request, req *Request) error {
	v, err := s.loadClassAcquisition(r, req, true)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := acquisition.ClassPDF(&buf, v, s.clock.Now()); err != nil {
		return err
	}
	return sendPDF(w, "bilan-acquis-"+v.Division.Code+"-"+v.Span.Key+".pdf", buf.Bytes())
}
