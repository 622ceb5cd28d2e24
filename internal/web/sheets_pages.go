package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// sheetForm is the sheet form's data: the values typed and the errors.
type sheetForm struct {
	Sheet   sillage.Sheet
	Student sillage.Student
	Action  string // where the form posts
	Cancel  string
	Errors  []string
	New     bool
}

// parseSheet reads the descriptive fields of a sheet from a form.
func parseSheet(r *http.Request, sh *sillage.Sheet) []string {
	var errs []string
	sh.Kind = sillage.SheetKind(strings.TrimSpace(r.FormValue("type")))
	sh.Title = strings.TrimSpace(r.FormValue("intitule"))
	sh.Description = strings.TrimSpace(r.FormValue("description"))
	sh.Context = sillage.ContextClass
	if r.FormValue("contexte") == string(sillage.ContextPFMP) {
		sh.Context = sillage.ContextPFMP
	}
	sh.Class = strings.TrimSpace(r.FormValue("classe"))
	sh.Host = strings.TrimSpace(r.FormValue("organisme"))
	sh.Activities = strings.TrimSpace(r.FormValue("activites"))
	var err error
	if sh.PFMPStart, err = sillage.ParseDate(r.FormValue("pfmp_debut")); err != nil {
		errs = append(errs, "Début de la PFMP : "+sillage.Message(err))
	}
	if sh.PFMPEnd, err = sillage.ParseDate(r.FormValue("pfmp_fin")); err != nil {
		errs = append(errs, "Fin de la PFMP : "+sillage.Message(err))
	}
	if sh.Context == sillage.ContextClass {
		sh.PFMPStart, sh.PFMPEnd, sh.Host = sillage.Date{}, sillage.Date{}, ""
	} else {
		sh.Class = ""
	}
	if len(errs) == 0 {
		if err := sh.Validate(); err != nil {
			errs = append(errs, sillage.Message(err))
		}
	}
	return errs
}

func (s *Server) renderSheetForm(w http.ResponseWriter, r *http.Request, req *Request, status int, f sheetForm) error {
	title := "Nouvelle fiche de situation professionnelle"
	if !f.New {
		title = "Modifier la fiche « " + f.Sheet.Title + " »"
	}
	return s.render(w, r, req, status, "sheet_form.html", title, f)
}

// Student: their own sheets.

func (s *Server) newOwnSheetPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.renderSheetForm(w, r, req, http.StatusOK, sheetForm{Sheet: sillage.Sheet{Kind: sillage.SheetBacPro, Context: sillage.ContextClass},
		Action: "/mon-livret/fiches", Cancel: "/mon-livret", New: true})
}

func (s *Server) createOwnSheet(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.createSheetFor(w, r, req, req.P.PersonID, "/mon-livret/fiches", "/mon-livret", "/mon-livret/fiches/")
}

func (s *Server) createSheetFor(w http.ResponseWriter, r *http.Request, req *Request, studentID int64, action, cancel, next string) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	sh := sillage.Sheet{StudentID: studentID}
	errs := parseSheet(r, &sh)
	var student sillage.Student
	err := s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if student, err = records.Reach(ctx, tx, whoOf(req.P), studentID); err != nil {
			return err
		}
		if len(errs) > 0 {
			return nil
		}
		return tx.Records().CreateSheet(ctx, req.P.UAI, &sh)
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderSheetForm(w, r, req, http.StatusBadRequest, sheetForm{Sheet: sh, Student: student, Action: action, Cancel: cancel, Errors: errs, New: true})
	}
	return s.redirect(w, r, req, fmt.Sprint(next, sh.ID), "Fiche enregistrée.")
}

// sheetPageData is what the sheet page shows.
type sheetPageData struct {
	Sheet       sheetView
	Student     sillage.Student
	Scale       sillage.Scale
	Own         bool   // the student's own page: upload, edit, delete
	Files       string // prefix of attachment downloads
	Back        string
	Evaluate    bool // a teacher or administrator may evaluate
	MaxUpload   string
	Errors      []string
	CanDelete   bool
	CanEditDesc bool
	Locked      bool                   // the student's own sheet, evaluated: read only
	Referential string                 // the label of the student's referential
	Form        []sheetCompetenceInput // its competences, for the evaluation form
}

// sheetCompetenceInput is one line of the sheet's evaluation form.
type sheetCompetenceInput struct {
	Competence     sillage.Competence
	Value, Comment string
}

func (s *Server) sheetPageData(r *http.Request, req *Request, id int64) (sheetPageData, error) {
	ctx := r.Context()
	var d sheetPageData
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		sh, err := records.SheetInReach(ctx, tx, whoOf(req.P), id)
		if err != nil {
			return err
		}
		if d.Student, err = tx.People().GetStudent(ctx, req.P.UAI, sh.StudentID); err != nil {
			return err
		}
		if d.Scale, err = scaleOf(ctx, tx, req.P.UAI); err != nil {
			return err
		}
		if sh.Results, err = tx.Records().ListResultsOfSheet(ctx, req.P.UAI, sh.ID); err != nil {
			return err
		}
		d.Sheet = newSheetView(d.Scale, sh)
		ref, ok, err := records.SheetReferential(ctx, tx, req.P.UAI, d.Student)
		if err != nil || !ok {
			return err
		}
		d.Referential = ref.Label
		entered := map[int64]sillage.SheetResult{}
		for _, x := range sh.Results {
			entered[x.CompetenceID] = x
		}
		for _, c := range ref.Competences {
			x := entered[c.ID]
			d.Form = append(d.Form, sheetCompetenceInput{Competence: c, Value: x.Value, Comment: x.Comment})
		}
		return nil
	})
	d.MaxUpload = sillage.FormatSize(s.uploadLimit())
	return d, err
}

// evaluated reports whether a teacher has evaluated a sheet: from then on
// its student reads it but no longer changes it (what was evaluated stays
// what the teacher saw).
func evaluated(sh sillage.Sheet) bool { return sh.AuthorID != 0 || sh.Result != "" }

// errEvaluated refuses a student's change to an evaluated sheet.
func errEvaluated(what string) error {
	return sillage.Errorf(sillage.KindConflict, "cette fiche a été évaluée : %s", what)
}

func (s *Server) ownSheetPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "sheet")
	if err != nil {
		return err
	}
	d, err := s.sheetPageData(r, req, id)
	if err != nil {
		return err
	}
	d.Own, d.Files, d.Back = true, "/mon-livret/fichiers/", "/mon-livret"
	d.Locked = evaluated(d.Sheet.Sheet)
	d.CanEditDesc = req.P.Allowed(auth.EditOwnSheets) && !d.Locked
	d.CanDelete = d.CanEditDesc
	return s.render(w, r, req, http.StatusOK, "sheet.html", d.Sheet.Title, d)
}

func (s *Server) staffSheetPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "sheet")
	if err != nil {
		return err
	}
	d, err := s.sheetPageData(r, req, id)
	if err != nil {
		return err
	}
	d.Files, d.Back = "/fichiers/", fmt.Sprintf("/eleves/%d", d.Student.ID)
	d.Evaluate = req.P.Allowed(auth.EvaluateSheets)
	d.CanEditDesc, d.CanDelete = d.Evaluate, d.Evaluate
	return s.render(w, r, req, http.StatusOK, "sheet.html", d.Sheet.Title, d)
}

func (s *Server) editSheetPage(own bool) handler {
	return func(w http.ResponseWriter, r *http.Request, req *Request) error {
		id, err := pathID(r, "sheet")
		if err != nil {
			return err
		}
		d, err := s.sheetPageData(r, req, id)
		if err != nil {
			return err
		}
		if own && evaluated(d.Sheet.Sheet) {
			return errEvaluated("seul un enseignant peut encore la modifier")
		}
		f := sheetForm{Sheet: d.Sheet.Sheet, Student: d.Student}
		if own {
			f.Action, f.Cancel = fmt.Sprintf("/mon-livret/fiches/%d/modifier", id), fmt.Sprintf("/mon-livret/fiches/%d", id)
		} else {
			f.Action, f.Cancel = fmt.Sprintf("/fiches/%d/modifier", id), fmt.Sprintf("/fiches/%d", id)
		}
		return s.renderSheetForm(w, r, req, http.StatusOK, f)
	}
}

func (s *Server) updateSheet(own bool) handler {
	return func(w http.ResponseWriter, r *http.Request, req *Request) error {
		id, err := pathID(r, "sheet")
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		ctx := r.Context()
		var errs []string
		var sh sillage.Sheet
		var student sillage.Student
		err = s.store.Write(ctx, func(tx *store.Tx) error {
			old, err := records.SheetInReach(ctx, tx, whoOf(req.P), id)
			if err != nil {
				return err
			}
			if own && evaluated(old) {
				return errEvaluated("seul un enseignant peut encore la modifier")
			}
			sh = old
			if errs = parseSheet(r, &sh); len(errs) > 0 {
				student, err = tx.People().GetStudent(ctx, req.P.UAI, old.StudentID)
				return err
			}
			return tx.Records().UpdateSheet(ctx, req.P.UAI, sh)
		})
		if err != nil {
			return err
		}
		action, cancel := fmt.Sprintf("/fiches/%d/modifier", id), fmt.Sprintf("/fiches/%d", id)
		if own {
			action, cancel = fmt.Sprintf("/mon-livret/fiches/%d/modifier", id), fmt.Sprintf("/mon-livret/fiches/%d", id)
		}
		if len(errs) > 0 {
			return s.renderSheetForm(w, r, req, http.StatusBadRequest, sheetForm{Sheet: sh, Student: student, Action: action, Cancel: cancel, Errors: errs})
		}
		return s.redirect(w, r, req, cancel, "Fiche enregistrée.")
	}
}

// evaluateSheet records a teacher's evaluation of a sheet: the author is
// who evaluates.
func (s *Server) evaluateSheet(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "sheet")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	in := records.SheetEntry{Result: r.PostFormValue("resultat"), Comment: r.PostFormValue("commentaire")}
	for key, vs := range r.PostForm {
		// One value ("competence-ID") and one comment ("commentaire-ID")
		// per competence of the form.
		if !strings.HasPrefix(key, "competence-") || len(vs) != 1 {
			continue
		}
		cid, err := strconv.ParseInt(strings.TrimPrefix(key, "competence-"), 10, 64)
		if err != nil || cid <= 0 {
			return sillage.Errorf(sillage.KindInvalid, "compétence inconnue")
		}
		in.Competences = append(in.Competences, sillage.SheetResult{CompetenceID: cid, Value: vs[0], Comment: r.PostFormValue(fmt.Sprintf("commentaire-%d", cid))})
	}
	slices.SortFunc(in.Competences, func(a, b sillage.SheetResult) int { return cmp.Compare(a.CompetenceID, b.CompetenceID) })
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		_, err := records.EvaluateSheet(ctx, tx, whoOf(req.P), id, in)
		return err
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/fiches/%d", id), "Évaluation de la fiche enregistrée.")
}

// trashSheet moves a sheet to the trash: a teacher of the student or an
// administrator at any time, the student while it is not evaluated.
func (s *Server) trashSheet(own bool) handler {
	return func(w http.ResponseWriter, r *http.Request, req *Request) error {
		id, err := pathID(r, "sheet")
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		ctx := r.Context()
		var sh sillage.Sheet
		err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
			if sh, err = records.SheetInReach(ctx, tx, whoOf(req.P), id); err != nil {
				return err
			}
			if own && evaluated(sh) {
				return errEvaluated("seul un enseignant peut la supprimer")
			}
			if r.FormValue("confirmer") != "1" {
				return nil
			}
			if err := tx.Records().TrashSheet(ctx, req.P.UAI, id, req.P.PersonID); err != nil {
				return err
			}
			st, err := tx.People().GetStudent(ctx, req.P.UAI, sh.StudentID)
			if err != nil {
				return err
			}
			return audit.Record(ctx, tx, req.P.UAI, req.Actor(), records.AuditSheetTrashed, sh.Title, "fiche de "+st.FullName())
		})
		if err != nil {
			return err
		}
		back := fmt.Sprintf("/eleves/%d", sh.StudentID)
		if own {
			back = "/mon-livret"
		}
		if r.FormValue("confirmer") != "1" {
			return s.render(w, r, req, http.StatusOK, "confirm.html", "Supprimer la fiche", confirmData{
				Question: fmt.Sprintf("Mettre la fiche « %s » à la corbeille ?", sh.Title),
				Details:  []string{"Ses fichiers joints la suivent. Elle reste restaurable jusqu'au changement d'année (par un administrateur)."},
				Action:   r.URL.Path, Cancel: back, Button: "Mettre à la corbeille"})
		}
		return s.redirect(w, r, req, back, "Fiche mise à la corbeille.")
	}
}

// confirmData is a confirmation page: a question, what follows, a button.
type confirmData struct {
	Question string
	Details  []string
	Action   string
	Cancel   string
	Button   string
	Fields   map[string]string
}

// uploadLimit is the largest file a student may attach.
func (s *Server) uploadLimit() int64 {
	return min(s.cfg.MaxUpload, s.blobs.MaxSize())
}

// uploadAttachment attaches a file to the student's own sheet. The file is
// checked (name, size, type from content, ZIP directory) before anything
// is stored: a refused file leaves no blob and no row.
func (s *Server) uploadAttachment(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "sheet")
	if err != nil {
		return err
	}
	ctx := r.Context()
	refuse := func(sh sillage.Sheet) error {
		if evaluated(sh) {
			return errEvaluated("aucun fichier ne peut plus y être joint")
		}
		return nil
	}
	if err := s.store.Read(ctx, func(tx *store.Tx) error {
		sh, err := records.SheetInReach(ctx, tx, whoOf(req.P), id)
		if err != nil {
			return err
		}
		return refuse(sh)
	}); err != nil {
		return err
	}
	f, err := s.receiveFile(w, r)
	if err != nil {
		return err
	}
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		sh, err := records.SheetInReach(ctx, tx, whoOf(req.P), id)
		if err != nil {
			return err
		}
		if err := refuse(sh); err != nil {
			return err // evaluated while the file was arriving
		}
		a := sillage.Attachment{SheetID: sh.ID, Name: f.Name, SHA256: f.Ref.SHA256, Size: f.Ref.Size, ContentType: f.ContentType, UploadedBy: req.P.PersonID}
		return tx.Records().AddAttachment(ctx, req.P.UAI, &a)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/mon-livret/fiches/%d", id), "Fichier « "+f.Name+" » joint à la fiche.")
}

func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "attachment")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var a sillage.Attachment
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		a, _, err = records.AttachmentInReach(ctx, tx, whoOf(req.P), id)
		return err
	}); err != nil {
		return err
	}
	return s.serveBlob(w, a.SHA256, a.Name, a.ContentType, a.Size)
}

func (s *Server) downloadChildAttachment(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, err := pathID(r, "student")
	if err != nil {
		return err
	}
	id, err := pathID(r, "attachment")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var a sillage.Attachment
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		var sh sillage.Sheet
		if a, sh, err = records.AttachmentInReach(ctx, tx, whoOf(req.P), id); err != nil {
			return err
		}
		if sh.StudentID != studentID {
			return sillage.Errorf(sillage.KindNotFound, "fichier introuvable")
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.serveBlob(w, a.SHA256, a.Name, a.ContentType, a.Size)
}

// deleteOwnAttachment removes a file from the student's sheet while it is
// not evaluated. The bytes are collected later, outside any transaction.
func (s *Server) deleteOwnAttachment(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "attachment")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var a sillage.Attachment
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		var sh sillage.Sheet
		if a, sh, err = records.AttachmentInReach(ctx, tx, whoOf(req.P), id); err != nil {
			return err
		}
		if evaluated(sh) {
			return errEvaluated("ses fichiers ne peuvent plus être retirés")
		}
		if err := tx.Records().DeleteAttachment(ctx, req.P.UAI, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), records.AuditAttachmentDeleted, a.Name, fmt.Sprintf("fiche n° %d", sh.ID))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/mon-livret/fiches/%d", a.SheetID), "Fichier « "+a.Name+" » retiré de la fiche.")
}

// Staff: a teacher of the student (or an administrator) creates a sheet.

func (s *Server) newStudentSheetPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "student")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var st sillage.Student
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { st, err = records.Reach(ctx, tx, whoOf(req.P), id); return err }); err != nil {
		return err
	}
	return s.renderSheetForm(w, r, req, http.StatusOK, sheetForm{Sheet: sillage.Sheet{Kind: sillage.SheetBacPro, Context: sillage.ContextClass},
		Student: st, Action: fmt.Sprintf("/eleves/%d/fiches", id), Cancel: fmt.Sprintf("/eleves/%d", id), New: true})
}

func (s *Server) createStudentSheet(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "student")
	if err != nil {
		return err
	}
	return s.createSheetFor(w, r, req, id, fmt.Sprintf("/eleves/%d/fiches", id), fmt.Sprintf("/eleves/%d", id), "/fiches/")
}
