package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// Evaluations, per division or per group: teachers for the divisions they
// teach or head and the groups they manage or teach, administrators for
// every division and group. The author and the
// administrators change an evaluation; the other teachers of the division
// read it.

func (s *Server) evaluationsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	sel := r.URL.Query().Get("division")
	selGroup := r.URL.Query().Get("groupe")
	var divisions []sillage.Division
	var groups []sillage.Group
	var evals []sillage.Evaluation
	var current sillage.Division
	var currentGroup sillage.Group
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if divisions, err = records.DivisionsInReach(ctx, tx, whoOf(req.P)); err != nil {
			return err
		}
		if groups, err = records.GroupsInReach(ctx, tx, whoOf(req.P)); err != nil {
			return err
		}
		switch {
		case selGroup != "":
			id, err := strconv.ParseInt(selGroup, 10, 64)
			if err != nil {
				return sillage.Errorf(sillage.KindNotFound, "groupe introuvable")
			}
			if currentGroup, err = records.GroupInReach(ctx, tx, whoOf(req.P), id); err != nil {
				return err
			}
			evals, err = tx.Records().ListEvaluations(ctx, req.P.UAI, sillage.EvaluationFilter{GroupID: id})
			return err
		case sel == "sans":
			evals, err = records.EvaluationsWithoutDivision(ctx, tx, whoOf(req.P))
			return err
		case sel != "":
			id, err := strconv.ParseInt(sel, 10, 64)
			if err != nil {
				return sillage.Errorf(sillage.KindNotFound, "division introuvable")
			}
			for _, d := range divisions {
				if d.ID == id {
					current = d
				}
			}
			if current.ID == 0 {
				return sillage.Errorf(sillage.KindNotFound, "division introuvable")
			}
		case len(divisions) > 0:
			current = divisions[len(divisions)-1]
			for _, d := range divisions {
				if d.SchoolYear == sillage.SchoolYearOf(tx.Now()) {
					current = d
					break
				}
			}
		}
		if current.ID != 0 {
			evals, err = tx.Records().ListEvaluations(ctx, req.P.UAI, sillage.EvaluationFilter{DivisionID: current.ID})
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "evaluations.html", "Évaluations", map[string]any{
		"Divisions": divisions, "Current": current, "Without": sel == "sans", "Evaluations": evals, "Me": req.P.PersonID,
		"Groups": groups, "CurrentGroup": currentGroup,
		"Admin": req.P.Role == sillage.RoleAdministrator,
	})
}

// evaluationForm is the data of the evaluation form.
type evaluationForm struct {
	Evaluation   sillage.Evaluation
	Division     sillage.Division
	Group        sillage.Group // set instead of Division for a group's evaluation
	Referentials []sillage.Referential
	Referential  sillage.Referential
	Groups       []domainGroup
	Checked      map[int64]bool
	WithResults  map[int64]bool
	Errors       []string
	Action       string
	Cancel       string
	New          bool
}

// fillEvaluationForm loads the referentials, the chosen one and its
// competences grouped by domain.
func fillEvaluationForm(ctx context.Context, tx *store.Tx, uai sillage.UAI, f *evaluationForm, refID int64) error {
	refs, err := tx.Records().ListReferentials(ctx, uai)
	if err != nil {
		return err
	}
	f.Referentials = refs
	if refID == 0 {
		// The division's diploma, else the first referential.
		for _, m := range f.Division.MEFs {
			for _, ref := range refs {
				if ref.Diploma == sillage.DiplomaOfMEF(m) && refID == 0 {
					refID = ref.ID
				}
			}
		}
		if refID == 0 && len(refs) > 0 {
			refID = refs[0].ID
		}
	}
	if refID == 0 {
		return nil
	}
	if f.Referential, err = tx.Records().GetReferential(ctx, uai, refID); err != nil {
		return err
	}
	f.Groups = nil
	for _, c := range f.Referential.Competences {
		if len(f.Groups) == 0 || f.Groups[len(f.Groups)-1].Name != c.Domain {
			f.Groups = append(f.Groups, domainGroup{Name: c.Domain})
		}
		g := &f.Groups[len(f.Groups)-1]
		g.Competences = append(g.Competences, competenceRow{Competence: c})
	}
	return nil
}

// defaultLevel proposes the level of a new evaluation: the label of the
// division's MEF.
func defaultLevel(ctx context.Context, tx *store.Tx, uai sillage.UAI, d sillage.Division) string {
	if len(d.MEFs) == 0 {
		return ""
	}
	mefs, err := tx.People().ListMEFs(ctx, uai)
	if err != nil {
		return ""
	}
	for _, m := range mefs {
		if m.Code == d.MEFs[0] {
			return m.Label
		}
	}
	return ""
}

func (s *Server) newEvaluationPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	divID, err := formID(r, "division")
	if err != nil {
		return err
	}
	refID, err := formID(r, "referentiel")
	if err != nil {
		return err
	}
	groupID, err := formID(r, "groupe")
	if err != nil {
		return err
	}
	ctx := r.Context()
	f := evaluationForm{Action: "/evaluations", Checked: map[int64]bool{}, New: true}
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if groupID != 0 {
			if f.Group, err = records.GroupInReach(ctx, tx, whoOf(req.P), groupID); err != nil {
				return err
			}
			f.Evaluation = sillage.Evaluation{Date: sillage.Today(tx.Now())}
			return fillEvaluationForm(ctx, tx, req.P.UAI, &f, refID)
		}
		if divID == 0 {
			divs, err := records.DivisionsInReach(ctx, tx, whoOf(req.P))
			if err != nil {
				return err
			}
			if len(divs) == 0 {
				return sillage.Errorf(sillage.KindNotFound, "aucune division : vous n'enseignez dans aucune classe")
			}
			divID = divs[len(divs)-1].ID
		}
		if f.Division, err = records.DivisionInReach(ctx, tx, whoOf(req.P), divID); err != nil {
			return err
		}
		f.Evaluation = sillage.Evaluation{Date: sillage.Today(tx.Now()), Level: defaultLevel(ctx, tx, req.P.UAI, f.Division)}
		return fillEvaluationForm(ctx, tx, req.P.UAI, &f, refID)
	})
	if err != nil {
		return err
	}
	f.Cancel = evaluationsBack(f.Division.ID, f.Group.ID)
	if r.Header.Get("HX-Request") == "true" {
		return s.renderFragment(w, r, req, "evaluation_form.html", "competences-fragment", f)
	}
	title := "Nouvelle évaluation — " + f.Division.Code
	if f.Group.ID != 0 {
		title = "Nouvelle évaluation — groupe " + f.Group.Label
	}
	return s.render(w, r, req, http.StatusOK, "evaluation_form.html", title, f)
}

// evaluationsBack is the list of evaluations of a division or a group.
func evaluationsBack(divisionID, groupID int64) string {
	switch {
	case groupID != 0:
		return fmt.Sprintf("/evaluations?groupe=%d", groupID)
	case divisionID != 0:
		return fmt.Sprintf("/evaluations?division=%d", divisionID)
	}
	return "/evaluations"
}

// parseEvaluation reads the evaluation form's own fields and the chosen
// competences.
func parseEvaluation(r *http.Request, e *sillage.Evaluation) ([]int64, []string) {
	var errs []string
	e.Title = strings.TrimSpace(r.FormValue("titre"))
	e.Level = strings.TrimSpace(r.FormValue("niveau"))
	d, err := sillage.ParseDate(r.FormValue("date"))
	if err != nil {
		errs = append(errs, sillage.Message(err))
	}
	e.Date = d
	if err := e.Validate(); err != nil && len(errs) == 0 {
		errs = append(errs, sillage.Message(err))
	}
	var comps []int64
	for _, v := range r.Form["competences"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err == nil && id > 0 {
			comps = append(comps, id)
		}
	}
	if len(comps) == 0 {
		errs = append(errs, "Cochez au moins une compétence évaluée.")
	}
	return comps, errs
}

func (s *Server) createEvaluation(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	divID, err := formID(r, "division")
	if err != nil {
		return err
	}
	refID, err := formID(r, "referentiel")
	if err != nil {
		return err
	}
	groupID, err := formID(r, "groupe")
	if err != nil {
		return err
	}
	ctx := r.Context()
	f := evaluationForm{Action: "/evaluations", Checked: map[int64]bool{}, New: true}
	var e sillage.Evaluation
	comps, errs := parseEvaluation(r, &e)
	for _, c := range comps {
		f.Checked[c] = true
	}
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		switch {
		case groupID != 0:
			if f.Group, err = records.GroupInReach(ctx, tx, whoOf(req.P), groupID); err != nil {
				return err
			}
		case divID == 0:
			return sillage.Errorf(sillage.KindInvalid, "choisissez la division ou le groupe de l'évaluation")
		default:
			if f.Division, err = records.DivisionInReach(ctx, tx, whoOf(req.P), divID); err != nil {
				return err
			}
		}
		if err := fillEvaluationForm(ctx, tx, req.P.UAI, &f, refID); err != nil {
			return err
		}
		if f.Referential.ID == 0 {
			errs = append(errs, "Aucun référentiel : un administrateur doit d'abord créer celui du diplôme.")
		}
		if len(errs) > 0 {
			return nil
		}
		e.ReferentialID, e.Diploma, e.DivisionID, e.AuthorID = f.Referential.ID, f.Referential.Diploma, f.Division.ID, req.P.PersonID
		e.SchoolYear = f.Division.SchoolYear
		if f.Group.ID != 0 {
			// A permanent group outlives its first year: the evaluation
			// belongs to the current one.
			e.GroupID, e.SchoolYear = f.Group.ID, sillage.SchoolYearOf(tx.Now())
		}
		return records.SaveEvaluation(ctx, tx, req.P.UAI, &e, comps)
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		f.Evaluation, f.Errors, f.Cancel = e, errs, evaluationsBack(f.Division.ID, f.Group.ID)
		return s.render(w, r, req, http.StatusBadRequest, "evaluation_form.html", "Nouvelle évaluation", f)
	}
	return s.redirect(w, r, req, fmt.Sprintf("/evaluations/%d", e.ID), "Évaluation créée : saisissez les résultats.")
}

func (s *Server) editEvaluationPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return err
	}
	ctx := r.Context()
	f := evaluationForm{Checked: map[int64]bool{}, WithResults: map[int64]bool{}}
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		e, err := records.EvaluationInReach(ctx, tx, whoOf(req.P), id)
		if err != nil {
			return err
		}
		if !whoOf(req.P).MayEdit(e) {
			return sillage.Errorf(sillage.KindForbidden, "seuls l'auteur de l'évaluation et les administrateurs la modifient")
		}
		f.Evaluation = e
		if e.DivisionID != 0 {
			if f.Division, err = tx.People().GetDivision(ctx, req.P.UAI, e.DivisionID); err != nil {
				return err
			}
		}
		f.Group = groupOf(ctx, tx, req.P.UAI, e)
		return s.fillEditForm(ctx, tx, req.P.UAI, &f)
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "evaluation_form.html", "Modifier l'évaluation", f)
}

func (s *Server) fillEditForm(ctx context.Context, tx *store.Tx, uai sillage.UAI, f *evaluationForm) error {
	e := f.Evaluation
	f.Action, f.Cancel = fmt.Sprintf("/evaluations/%d/modifier", e.ID), fmt.Sprintf("/evaluations/%d", e.ID)
	if err := fillEvaluationForm(ctx, tx, uai, f, e.ReferentialID); err != nil {
		return err
	}
	f.Referentials = []sillage.Referential{f.Referential}
	grid, err := records.LoadGrid(ctx, tx, uai, e)
	if err != nil {
		return err
	}
	if len(f.Checked) == 0 {
		for _, c := range grid.Columns {
			f.Checked[c.ID] = true
		}
	}
	for _, r := range grid.Results {
		f.WithResults[r.CompetenceID] = true
	}
	return nil
}

func (s *Server) updateEvaluation(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := evaluationForm{Checked: map[int64]bool{}, WithResults: map[int64]bool{}}
	var errs []string
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		e, err := records.EvaluationInReach(ctx, tx, whoOf(req.P), id)
		if err != nil {
			return err
		}
		if !whoOf(req.P).MayEdit(e) {
			return sillage.Errorf(sillage.KindForbidden, "seuls l'auteur de l'évaluation et les administrateurs la modifient")
		}
		var comps []int64
		comps, errs = parseEvaluation(r, &e)
		if len(errs) > 0 {
			f.Evaluation = e
			for _, c := range comps {
				f.Checked[c] = true
			}
			if e.DivisionID != 0 {
				f.Division, _ = tx.People().GetDivision(ctx, req.P.UAI, e.DivisionID)
			}
			f.Group = groupOf(ctx, tx, req.P.UAI, e)
			return s.fillEditForm(ctx, tx, req.P.UAI, &f)
		}
		return records.SaveEvaluation(ctx, tx, req.P.UAI, &e, comps)
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		f.Errors = errs
		return s.render(w, r, req, http.StatusBadRequest, "evaluation_form.html", "Modifier l'évaluation", f)
	}
	return s.redirect(w, r, req, fmt.Sprintf("/evaluations/%d", id), "Évaluation enregistrée.")
}

// gridData is the entry grid of an evaluation.
type gridData struct {
	Evaluation  sillage.Evaluation
	DiplomaName string
	Division    sillage.Division
	Group       sillage.Group
	Domains     []domainGroup
	Columns     []sillage.Competence
	Rows        []gridRow
	Scale       sillage.Scale
	Editable    bool
}

type gridRow struct {
	Student sillage.Student
	Cells   []gridCell
	Comment commentCell
	Left    bool // no longer in the division
}

// gridCell is one student × competence cell (also the htmx fragment).
type gridCell struct {
	EvaluationID int64
	StudentID    int64
	CompetenceID int64
	Name         string // for the label read by screen readers
	Value        string
	Row, Col     int
	Editable     bool
	State        string // "", "saved", "failed"
	Message      string
	Level        string // the value's label on the scale
	Code         bool   // a code off the scale (ABS, DISP...): not a level
	Points       int    // the level's points (colour), when not a code
}

// withLevel marks a cell with what its value means on the scale: a level
// (its colour) or a code such as ABS or DISP, shown apart.
func (c gridCell) withLevel(sc sillage.Scale) gridCell {
	c.Level, c.Code, c.Points = "", false, 0
	if l, ok := sc.Level(c.Value); ok && c.Value != "" {
		c.Level, c.Code, c.Points = l.Label, l.Points < 0, l.Points
	}
	return c
}

type commentCell struct {
	EvaluationID int64
	StudentID    int64
	Name         string
	Text         string
	Lines        int // the text area's height: the whole comment shows
	Row, Col     int
	Editable     bool
	State        string
	Message      string
}

func (s *Server) evaluationPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var g gridData
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		e, err := records.EvaluationInReach(ctx, tx, whoOf(req.P), id)
		if err != nil {
			return err
		}
		g.Evaluation, g.Editable = e, whoOf(req.P).MayEdit(e)
		diplomas, err := records.LoadDiplomas(ctx, tx, req.P.UAI)
		if err != nil {
			return err
		}
		g.DiplomaName = diplomas.Name(e.Diploma)
		if e.DivisionID != 0 {
			if g.Division, err = tx.People().GetDivision(ctx, req.P.UAI, e.DivisionID); err != nil {
				return err
			}
		}
		g.Group = groupOf(ctx, tx, req.P.UAI, e)
		if g.Scale, err = scaleOf(ctx, tx, req.P.UAI); err != nil {
			return err
		}
		grid, err := records.LoadGrid(ctx, tx, req.P.UAI, e)
		if err != nil {
			return err
		}
		g.Columns = grid.Columns
		for _, c := range g.Columns {
			if len(g.Domains) == 0 || g.Domains[len(g.Domains)-1].Name != c.Domain {
				g.Domains = append(g.Domains, domainGroup{Name: c.Domain})
			}
			d := &g.Domains[len(g.Domains)-1]
			d.Competences = append(d.Competences, competenceRow{Competence: c})
		}
		values := map[[2]int64]string{}
		for _, r := range grid.Results {
			values[[2]int64{r.StudentID, r.CompetenceID}] = r.Value
		}
		comments := map[int64]string{}
		for _, c := range grid.Comments {
			comments[c.StudentID] = c.Text
		}
		for i, st := range grid.Students {
			row := gridRow{Student: st, Left: !grid.InDivision[st.ID]}
			for j, c := range g.Columns {
				row.Cells = append(row.Cells, gridCell{EvaluationID: e.ID, StudentID: st.ID, CompetenceID: c.ID, Name: st.FullName() + " — " + c.Code,
					Value: values[[2]int64{st.ID, c.ID}], Row: i, Col: j, Editable: g.Editable}.withLevel(g.Scale))
			}
			row.Comment = commentCell{EvaluationID: e.ID, StudentID: st.ID, Name: st.FullName(), Text: comments[st.ID], Row: i, Col: len(g.Columns),
				Editable: g.Editable, Lines: commentLines(comments[st.ID])}
			g.Rows = append(g.Rows, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "evaluation.html", g.Evaluation.Title, g)
}

// setResultCell saves one cell of the grid and answers the cell, marked
// saved or failed (htmx swaps it in place).
func (s *Server) setResultCell(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	studentID, err1 := formID(r, "eleve")
	compID, err2 := formID(r, "competence")
	value := records.NormalizeValue(r.FormValue("valeur"))
	cell := gridCell{EvaluationID: id, StudentID: studentID, CompetenceID: compID, Value: value, Editable: true,
		Row: atoiOr(r.FormValue("ligne")), Col: atoiOr(r.FormValue("colonne")), Name: r.FormValue("nom")}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err1 != nil || err2 != nil || compID == 0 {
			// Reach first: an evaluation out of reach is not found
			// whatever the form says.
			if _, err := records.EvaluationInReach(ctx, tx, whoOf(req.P), id); err != nil {
				return err
			}
			return sillage.Errorf(sillage.KindInvalid, "cellule inconnue : élève ou compétence manquant")
		}
		_, err := records.EnterResults(ctx, tx, whoOf(req.P), id, records.Entry{
			Results: []records.ResultInput{{StudentID: studentID, CompetenceID: compID, Value: value}}})
		if err != nil {
			return err
		}
		sc, err := scaleOf(ctx, tx, req.P.UAI)
		cell = cell.withLevel(sc)
		return err
	})
	status := http.StatusOK
	switch k := sillage.KindOf(err); {
	case err == nil:
		cell.State, cell.Message = "saved", "enregistré"
	case k == sillage.KindInvalid || k == sillage.KindForbidden || k == sillage.KindConflict:
		status, cell.State, cell.Message = statusOf(err), "failed", sillage.Message(err)
	default:
		return err
	}
	return s.renderTemplate(w, r, req, status, "evaluation.html", "cell-fragment", "", cell)
}

func (s *Server) setCommentCell(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	studentID, err1 := formID(r, "eleve")
	text := strings.TrimSpace(r.FormValue("commentaire"))
	cell := commentCell{EvaluationID: id, StudentID: studentID, Text: text, Editable: true, Lines: commentLines(text),
		Row: atoiOr(r.FormValue("ligne")), Col: atoiOr(r.FormValue("colonne")), Name: r.FormValue("nom")}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err1 != nil || studentID == 0 {
			if _, err := records.EvaluationInReach(ctx, tx, whoOf(req.P), id); err != nil {
				return err
			}
			return sillage.Errorf(sillage.KindInvalid, "élève manquant")
		}
		_, err := records.EnterResults(ctx, tx, whoOf(req.P), id, records.Entry{
			Comments: []records.CommentInput{{StudentID: studentID, Text: text}}})
		return err
	})
	status := http.StatusOK
	switch k := sillage.KindOf(err); {
	case err == nil:
		cell.State, cell.Message = "saved", "enregistré"
	case k == sillage.KindInvalid || k == sillage.KindForbidden || k == sillage.KindConflict:
		status, cell.State, cell.Message = statusOf(err), "failed", sillage.Message(err)
	default:
		return err
	}
	return s.renderTemplate(w, r, req, status, "evaluation.html", "comment-fragment", "", cell)
}

func atoiOr(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// trashEvaluation moves an evaluation to the trash after confirmation; its
// author or an administrator restores it until the changeover purges it.
func (s *Server) trashEvaluation(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	confirmed := r.FormValue("confirmer") == "1"
	var e sillage.Evaluation
	var results int
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if e, err = records.EvaluationInReach(ctx, tx, whoOf(req.P), id); err != nil {
			return err
		}
		if !whoOf(req.P).MayEdit(e) {
			return sillage.Errorf(sillage.KindForbidden, "seuls l'auteur de l'évaluation et les administrateurs la suppriment")
		}
		grid, err := records.LoadGrid(ctx, tx, req.P.UAI, e)
		if err != nil {
			return err
		}
		results = len(grid.Results)
		if !confirmed {
			return nil
		}
		if err := tx.Records().TrashEvaluation(ctx, req.P.UAI, id, req.P.PersonID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.EvaluationTrashed, e.Title,
			fmt.Sprintf("évaluation du %s, %d résultat(s)", e.Date.French(), results))
	})
	if err != nil {
		return err
	}
	if !confirmed {
		return s.render(w, r, req, http.StatusOK, "confirm.html", "Supprimer l'évaluation", confirmData{
			Question: fmt.Sprintf("Mettre l'évaluation « %s » du %s à la corbeille ?", e.Title, e.Date.French()),
			Details:  []string{fmt.Sprintf("Ses %d résultat(s) et ses commentaires la suivent. Vous (ou un administrateur) pourrez la restaurer depuis la corbeille jusqu'au changement d'année.", results)},
			Action:   r.URL.Path, Cancel: fmt.Sprintf("/evaluations/%d", id), Button: "Mettre à la corbeille"})
	}
	back := evaluationsBack(e.DivisionID, e.GroupID)
	return s.redirect(w, r, req, back, "Évaluation « "+e.Title+" » mise à la corbeille.")
}

// groupOf returns the group an evaluation was given to, if it still
// exists (a group deleted by hand or at the changeover leaves its
// evaluations).
func groupOf(ctx context.Context, tx *store.Tx, uai sillage.UAI, e sillage.Evaluation) sillage.Group {
	if e.GroupID == 0 {
		return sillage.Group{}
	}
	g, err := tx.People().GetGroup(ctx, uai, e.GroupID)
	if err != nil {
		return sillage.Group{}
	}
	return g
}

// commentLines is the height, in lines, of a comment's text area in the
// grid: enough for the whole text at about 40 characters a line, so that
// nothing is hidden, from 2 to 30 lines.
func commentLines(text string) int {
	n := 0
	for _, line := range strings.Split(text, "\n") {
		n += 1 + utf8.RuneCountInString(line)/40
	}
	return min(max(n, 2), 30)
}
