package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
)

// The Livret Scolaire entry pages (lsu.md "What Sillage holds"): teachers
// enter their subjects per period, the head teacher the general
// appreciation, school life and support measures, then closes the reports;
// the director and the administrators see everything and reopen.

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

func (s *Server) livretHome(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	periodID, _ := strconv.ParseInt(r.URL.Query().Get("periode"), 10, 64)
	var h *livret.Home
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		h, err = livret.LoadHome(ctx, tx, req.P.UAI, whoOf(req.P), s.clock.Now(), periodID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "reports_home.html", "Livret scolaire", h)
}

// gridView is the grid page's data; rows carry what their fragment needs.
type gridView struct {
	*livret.Grid
	Base string // the grid's URL
	Rows []gridRowView
}

type gridRowView struct {
	Base, Subject string
	Degree        lsu.Degree
	Mode          lsu.PositioningMode
	Row           livret.GridRow
	// Typed values shown back when they were refused.
	Average, Positioning, Status, Appreciation string
	State, Message                             string // "saved" / "failed", and why
}

func newRowView(g *livret.Grid, base string, row livret.GridRow) gridRowView {
	v := gridRowView{Base: base, Subject: g.Subject.Code, Degree: g.Degree, Mode: g.Mode, Row: row, Average: row.AverageText(),
		Appreciation: row.Result.Appreciation}
	if row.Result.Positioning > 0 {
		v.Positioning = strconv.Itoa(row.Result.Positioning)
	}
	if row.Result.Status > 0 {
		v.Status = strconv.Itoa(row.Result.Status)
	}
	return v
}

func gridBase(divisionID, periodID int64) string {
	return fmt.Sprintf("/livret/saisie/%d/%d", divisionID, periodID)
}

func gridIDs(r *http.Request) (int64, int64, error) {
	d, err := pathID(r, "division")
	if err != nil {
		return 0, 0, err
	}
	p, err := pathID(r, "period")
	return d, p, err
}

func (s *Server) gridPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var g *livret.Grid
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		g, err = livret.LoadGrid(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, r.URL.Query().Get("matiere"))
		return err
	})
	if err != nil {
		return err
	}
	v := gridView{Grid: g, Base: gridBase(divisionID, periodID)}
	for _, row := range g.Rows {
		v.Rows = append(v.Rows, newRowView(g, v.Base, row))
	}
	return s.render(w, r, req, http.StatusOK, "reports_grid.html", "Saisie — "+g.Division.Code+" — "+g.Subject.Label, v)
}

func (s *Server) saveGridRow(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	studentID, _ := formID(r, "eleve")
	subject := strings.TrimSpace(r.PostFormValue("matiere"))
	in := livret.ResultInput{Average: r.PostFormValue("moyenne"), Positioning: r.PostFormValue("positionnement"),
		Status: r.PostFormValue("statut"), Appreciation: r.PostFormValue("appreciation")}
	if v := r.PostFormValue("retenir"); v != "" {
		in.Positioning = v // the teacher confirms the proposal
	}
	ctx := r.Context()
	var g *livret.Grid
	var row livret.GridRow
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if row, err = livret.SaveResult(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, studentID, subject, in); err != nil {
			return err
		}
		g, err = livret.LoadGrid(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, subject)
		if err == nil {
			for _, gr := range g.Rows {
				if gr.Student.ID == studentID {
					row.Proposal = gr.Proposal
				}
			}
		}
		return err
	})
	base := gridBase(divisionID, periodID)
	if !isHTMX(r) {
		if err != nil {
			return err
		}
		return s.redirect(w, r, req, base+"?matiere="+subject+"#eleve-"+strconv.FormatInt(studentID, 10), "Saisie enregistrée.")
	}
	switch k := sillage.KindOf(err); {
	case err == nil:
		v := newRowView(g, base, row)
		v.State, v.Message = "saved", "enregistré"
		return s.renderTemplate(w, r, req, http.StatusOK, "reports_grid.html", "grid-row-fragment", "", v)
	case k == sillage.KindInvalid || k == sillage.KindConflict || k == sillage.KindForbidden:
		// Show the line back as typed, with the reason, nothing saved.
		var shown livret.Grid
		var current livret.GridRow
		if rerr := s.store.Read(ctx, func(tx *store.Tx) error {
			g, err := livret.LoadGrid(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, subject)
			if err != nil {
				return err
			}
			shown = *g
			for _, gr := range g.Rows {
				if gr.Student.ID == studentID {
					current = gr
					return nil
				}
			}
			return sillage.Errorf(sillage.KindInvalid, "élève manquant")
		}); rerr != nil {
			return err
		}
		v := newRowView(&shown, base, current)
		v.Average, v.Positioning, v.Status, v.Appreciation = in.Average, in.Positioning, in.Status, in.Appreciation
		v.State, v.Message = "failed", sillage.Message(err)
		return s.renderTemplate(w, r, req, statusOf(err), "reports_grid.html", "grid-row-fragment", "", v)
	default:
		return err
	}
}

func (s *Server) addGridElement(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	subject := strings.TrimSpace(r.PostFormValue("matiere"))
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.AddElement(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, subject, r.PostFormValue("libelle"))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, gridBase(divisionID, periodID)+"?matiere="+subject+"#elements", "Élément de programme ajouté.")
}

func (s *Server) removeGridElement(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	subject := strings.TrimSpace(r.PostFormValue("matiere"))
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		// Reach first: another establishment's grid is "not found".
		if _, err := livret.LoadGrid(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, ""); err != nil {
			return err
		}
		id, err := formID(r, "element")
		if err != nil {
			return err
		}
		if id == 0 {
			return sillage.Errorf(sillage.KindInvalid, "élément de programme manquant")
		}
		return livret.RemoveElement(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID, subject, id)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, gridBase(divisionID, periodID)+"?matiere="+subject+"#elements", "Élément de programme retiré.")
}

func (s *Server) classPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var v *livret.ClassView
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = livret.LoadClass(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, periodID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "reports_class.html", "Bilans — "+v.Division.Code+" — "+v.Period.Label(), v)
}

func (s *Server) closeClassReports(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, periodID, err := gridIDs(r)
	if err != nil {
		return err
	}
	n, err := livret.CloseClass(r.Context(), s.store, s.blobs, req.P.UAI, whoOf(req.P), req.Actor(), divisionID, periodID)
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/livret/classe/%d/%d", divisionID, periodID),
		fmt.Sprintf("%d %s : le PDF de chacun est archivé.", n, plural(n, "bilan fermé", "bilans fermés")))
}

func plural(n int, one, many string) string {
	if n <= 1 {
		return one
	}
	return many
}

func reportIDs(r *http.Request) (int64, int64, error) {
	st, err := pathID(r, "student")
	if err != nil {
		return 0, 0, err
	}
	p, err := pathID(r, "period")
	return st, p, err
}

func reportURL(studentID, periodID int64) string {
	return fmt.Sprintf("/livret/eleve/%d/%d", studentID, periodID)
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, periodID, err := reportIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var v *livret.ReportView
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = livret.LoadReport(ctx, tx, req.P.UAI, whoOf(req.P), studentID, periodID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "reports_report.html", "Bilan — "+v.Student.FullName()+" — "+v.Period.Label(), v)
}

func (s *Server) saveReportHead(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, periodID, err := reportIDs(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := livret.HeadInput{GeneralAppreciation: r.PostFormValue("appreciation"), Late: r.PostFormValue("retards"),
		Absences: r.PostFormValue("absences"), Unjustified: r.PostFormValue("injustifiees"), MissedHours: r.PostFormValue("heures"),
		SchoolLifeComment: r.PostFormValue("commentaire"), Support: r.PostForm["accompagnement"], PPREComplement: r.PostFormValue("ppre"),
		CouncilDate: r.PostFormValue("conseil")}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.SaveHead(ctx, tx, req.P.UAI, whoOf(req.P), studentID, periodID, in)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, reportURL(studentID, periodID), "Bilan enregistré.")
}

func (s *Server) closeStudentReport(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, periodID, err := reportIDs(r)
	if err != nil {
		return err
	}
	if err := livret.CloseReport(r.Context(), s.store, s.blobs, req.P.UAI, whoOf(req.P), req.Actor(), studentID, periodID); err != nil {
		return err
	}
	return s.redirect(w, r, req, reportURL(studentID, periodID), "Bilan fermé : il ne peut plus être modifié, son PDF est archivé.")
}

func (s *Server) reopenStudentReport(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, periodID, err := reportIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.ReopenReport(ctx, tx, req.P.UAI, whoOf(req.P), req.Actor(), studentID, periodID)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, reportURL(studentID, periodID), "Bilan rouvert : il peut de nouveau être modifié.")
}

func sendPDF(w http.ResponseWriter, name string, data []byte) error {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(data)
	return err
}

func (s *Server) reportPDF(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, periodID, err := reportIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var buf bytes.Buffer
	var name string
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		v, err := livret.LoadReport(ctx, tx, req.P.UAI, whoOf(req.P), studentID, periodID)
		if err != nil {
			return err
		}
		name = fmt.Sprintf("bilan_%s_%s.pdf", strings.ReplaceAll(strings.ToLower(v.Period.Label()), " ", "-"), strconv.FormatInt(studentID, 10))
		return livret.PeriodicPDF(&buf, v)
	})
	if err != nil {
		return err
	}
	return sendPDF(w, name, buf.Bytes())
}

// archivedPDF downloads a PDF archived when a report was closed.
func (s *Server) archivedPDF(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "pdf")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var p sillage.ReportPDF
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		p, err = livret.PDFOfStudent(ctx, tx, req.P.UAI, whoOf(req.P), id)
		return err
	})
	if err != nil {
		return err
	}
	f, err := s.blobs.Open(p.SHA256)
	if err != nil {
		return sillage.Wrap(sillage.KindNotFound, err, "PDF introuvable")
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+p.Name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = io.Copy(w, f)
	return err
}

func cycleParam(r *http.Request) int {
	v := r.FormValue("cycle")
	n, _ := strconv.Atoi(strings.TrimSpace(v))
	return n
}

func (s *Server) cycleClassPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	divisionID, err := pathID(r, "division")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var c *livret.CycleClass
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		c, err = livret.LoadCycleClass(ctx, tx, req.P.UAI, whoOf(req.P), divisionID, cycleParam(r))
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "reports_cycle_class.html", fmt.Sprintf("Fin de cycle %d — %s", c.Cycle, c.Division.Code), c)
}

func cycleURL(studentID int64, cycle int) string {
	return fmt.Sprintf("/livret/cycle/eleve/%d?cycle=%d", studentID, cycle)
}

func (s *Server) cyclePage(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, err := pathID(r, "student")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var v *livret.CycleView
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = livret.LoadCycle(ctx, tx, req.P.UAI, whoOf(req.P), studentID, cycleParam(r))
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "reports_cycle.html", fmt.Sprintf("Fin de cycle %d — %s", v.Cycle, v.Student.FullName()), v)
}

func (s *Server) saveCycleReport(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, err := pathID(r, "student")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := livret.CycleInput{Socle: map[string]string{}, Synthesis: r.PostFormValue("synthese"),
		ComplementCode: r.PostFormValue("complement"), ComplementLevel: r.PostFormValue("complement_niveau"),
		RegionalCode: r.PostFormValue("langue"), RegionalLevel: r.PostFormValue("langue_niveau")}
	for _, d := range store.SocleDomains {
		in.Socle[d] = r.PostFormValue(d)
	}
	cycle := cycleParam(r)
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		v, err := livret.LoadCycle(ctx, tx, req.P.UAI, whoOf(req.P), studentID, cycle)
		if err != nil {
			return err
		}
		cycle = v.Cycle
		return livret.SaveCycle(ctx, tx, req.P.UAI, whoOf(req.P), studentID, cycle, in)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, cycleURL(studentID, cycle), "Bilan de fin de cycle enregistré.")
}

func (s *Server) closeCycleReport(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, err := pathID(r, "student")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	cycle := cycleParam(r)
	if err := livret.CloseCycle(r.Context(), s.store, s.blobs, req.P.UAI, whoOf(req.P), req.Actor(), studentID, cycle); err != nil {
		return err
	}
	return s.redirect(w, r, req, cycleURL(studentID, cycle), "Bilan de fin de cycle fermé : son PDF est archivé.")
}

func (s *Server) reopenCycleReport(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, err := pathID(r, "student")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	cycle := cycleParam(r)
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.ReopenCycle(ctx, tx, req.P.UAI, whoOf(req.P), req.Actor(), studentID, cycle)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, cycleURL(studentID, cycle), "Bilan de fin de cycle rouvert.")
}

func (s *Server) cyclePDF(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, err := pathID(r, "student")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var buf bytes.Buffer
	var cycle int
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		v, err := livret.LoadCycle(ctx, tx, req.P.UAI, whoOf(req.P), studentID, cycleParam(r))
		if err != nil {
			return err
		}
		cycle = v.Cycle
		return livret.CyclePDF(&buf, v)
	})
	if err != nil {
		return err
	}
	return sendPDF(w, fmt.Sprintf("bilan_fin_de_cycle_%d_%d.pdf", cycle, studentID), buf.Bytes())
}
