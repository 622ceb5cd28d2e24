package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// The JSON API of the learning record (/api/v1/…): the same policy and the
// same reach as the pages. Students' records are given in the records JSON
// format (docs/records-json.md); external ids only to administrators.

type apiReferential struct {
	ID          int64                `json:"id"`
	Diploma     string               `json:"diplome"`
	Kind        string               `json:"type"`
	Label       string               `json:"libelle"`
	Competences []records.Competence `json:"competences,omitempty"`
}

func (s *Server) apiReferentials(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var refs []sillage.Referential
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { refs, err = tx.Records().ListReferentials(ctx, req.P.UAI); return err }); err != nil {
		return err
	}
	out := []apiReferential{}
	for _, ref := range refs {
		out = append(out, apiReferential{ID: ref.ID, Diploma: ref.Diploma, Kind: string(ref.Kind), Label: ref.Label})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"referentiels": out})
}

func (s *Server) apiReferential(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "referential")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var ref sillage.Referential
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { ref, err = tx.Records().GetReferential(ctx, req.P.UAI, id); return err }); err != nil {
		return err
	}
	f := records.ReferentialToFile(ref)
	return writeJSON(w, http.StatusOK, apiReferential{ID: ref.ID, Diploma: ref.Diploma, Kind: string(ref.Kind), Label: ref.Label, Competences: f.Competences})
}

type apiStudent struct {
	ID        int64  `json:"id"`
	LastName  string `json:"nom"`
	FirstName string `json:"prenom"`
	BirthDate string `json:"date_naissance,omitempty"`
	Division  string `json:"division,omitempty"`
	Diploma   string `json:"diplome,omitempty"`
	Active    bool   `json:"actif"`
	LastSeen  string `json:"derniere_connexion,omitempty"`
	EleveID   string `json:"eleve_id,omitempty"`
}

func toAPIStudent(st sillage.Student, p auth.Principal) apiStudent {
	a := apiStudent{ID: st.ID, LastName: st.LastName, FirstName: st.FirstName, Division: st.DivisionCode, Diploma: st.Diploma, Active: st.Active()}
	if p.Allowed(auth.ViewLastSignIns) && !st.LastSignInAt.IsZero() {
		a.LastSeen = st.LastSignInAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	if p.Allowed(auth.ViewLogins) {
		a.EleveID, a.BirthDate = st.SIECLEID, st.BirthDate.String()
	}
	return a
}

func (s *Server) apiStudents(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	divisionID, err := formID(r, "division")
	if err != nil {
		return err
	}
	var sts []sillage.Student
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		sts, err = records.StudentsInReach(ctx, tx, whoOf(req.P), sillage.StudentFilter{DivisionID: divisionID})
		return err
	})
	if err != nil {
		return err
	}
	out := []apiStudent{}
	for _, st := range sts {
		out = append(out, toAPIStudent(st, req.P))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"eleves": out})
}

// apiStudentRecord answers a student's record in the records JSON format.
func (s *Server) apiStudentRecord(w http.ResponseWriter, r *http.Request, req *Request, studentID int64) error {
	ctx := r.Context()
	var f *records.File
	// The whole record leaves Sillage, as with the ZIP download: journaled
	// in the same transaction.
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		st, err := records.Reach(ctx, tx, whoOf(req.P), studentID)
		if err != nil {
			return err
		}
		recs, _, err := records.LoadStudent(ctx, tx, req.P.UAI, studentID)
		if err != nil {
			return err
		}
		f = records.ToFile(recs, records.ExportOptions{ExternalIDs: req.P.Allowed(auth.ViewLogins), Now: tx.Now()})
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.RecordDownloaded, st.FullName(), "livret (JSON, API)")
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return records.Encode(w, f)
}

func (s *Server) apiStudent(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "student")
	if err != nil {
		return err
	}
	return s.apiStudentRecord(w, r, req, id)
}

func (s *Server) apiMyRecord(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.apiStudentRecord(w, r, req, req.P.PersonID)
}

type apiEvaluation struct {
	ID          int64                `json:"id"`
	Title       string               `json:"titre"`
	Date        string               `json:"date"`
	Level       string               `json:"niveau,omitempty"`
	Diploma     string               `json:"diplome"`
	Referential int64                `json:"referentiel"`
	Division    int64                `json:"division,omitempty"`
	Author      string               `json:"auteur,omitempty"`
	Competences []records.Competence `json:"competences,omitempty"`
	Results     []apiResult          `json:"resultats,omitempty"`
	Comments    []apiComment         `json:"commentaires,omitempty"`
}

type apiResult struct {
	Student    int64  `json:"eleve"`
	Competence string `json:"competence"`
	Value      string `json:"valeur"`
}

type apiComment struct {
	Student int64  `json:"eleve"`
	Text    string `json:"texte"`
}

func toAPIEvaluation(e sillage.Evaluation) apiEvaluation {
	return apiEvaluation{ID: e.ID, Title: e.Title, Date: e.Date.String(), Level: e.Level, Diploma: e.Diploma, Referential: e.ReferentialID,
		Division: e.DivisionID, Author: e.AuthorName}
}

func (s *Server) apiEvaluations(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	divisionID, err := formID(r, "division")
	if err != nil {
		return err
	}
	out := []apiEvaluation{}
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		divs, err := records.DivisionsInReach(ctx, tx, whoOf(req.P))
		if err != nil {
			return err
		}
		for _, d := range divs {
			if divisionID != 0 && d.ID != divisionID {
				continue
			}
			evals, err := tx.Records().ListEvaluations(ctx, req.P.UAI, sillage.EvaluationFilter{DivisionID: d.ID})
			if err != nil {
				return err
			}
			for _, e := range evals {
				out = append(out, toAPIEvaluation(e))
			}
		}
		if divisionID == 0 {
			mine, err := records.EvaluationsWithoutDivision(ctx, tx, whoOf(req.P))
			if err != nil {
				return err
			}
			for _, e := range mine {
				out = append(out, toAPIEvaluation(e))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"evaluations": out})
}

func (s *Server) apiEvaluation(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var out apiEvaluation
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		e, err := records.EvaluationInReach(ctx, tx, whoOf(req.P), id)
		if err != nil {
			return err
		}
		out = toAPIEvaluation(e)
		return fillAPIEvaluation(r, tx, req, e, &out)
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// fillAPIEvaluation adds the grid of an evaluation within reach.
func fillAPIEvaluation(r *http.Request, tx *store.Tx, req *Request, e sillage.Evaluation, out *apiEvaluation) error {
	g, err := records.LoadGrid(r.Context(), tx, req.P.UAI, e)
	if err != nil {
		return err
	}
	codes := map[int64]string{}
	for _, c := range g.Columns {
		codes[c.ID] = c.Code
		out.Competences = append(out.Competences, records.Competence{Domain: c.Domain, Code: c.Code, Label: c.Label})
	}
	out.Results = []apiResult{}
	for _, x := range g.Results {
		out.Results = append(out.Results, apiResult{Student: x.StudentID, Competence: codes[x.CompetenceID], Value: x.Value})
	}
	out.Comments = []apiComment{}
	for _, c := range g.Comments {
		out.Comments = append(out.Comments, apiComment{Student: c.StudentID, Text: c.Text})
	}
	return nil
}

// apiSetResults sets results and comments of an evaluation in one
// transaction: {"resultats": [{"eleve": id, "competence": "C1", "valeur": "3"}],
// "commentaires": [{"eleve": id, "texte": "…"}]}. An empty value clears a
// result. Any bad item refuses the whole request.
func (s *Server) apiSetResults(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var body struct {
		Results  []apiResult  `json:"resultats"`
		Comments []apiComment `json:"commentaires"`
	}
	var out apiEvaluation
	// Reach first (another establishment's evaluation is "not found"
	// whatever the body), then the body, read outside any transaction.
	if err := s.store.Read(ctx, func(tx *store.Tx) error {
		_, err := records.EvaluationInReach(ctx, tx, whoOf(req.P), id)
		return err
	}); err != nil {
		return err
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20)).Decode(&body); err != nil {
		return sillage.Errorf(sillage.KindInvalid, "corps JSON illisible : {\"resultats\": [...], \"commentaires\": [...]} attendu")
	}
	if len(body.Results)+len(body.Comments) == 0 {
		return sillage.Errorf(sillage.KindInvalid, "aucun résultat ni commentaire dans la demande")
	}
	in := records.Entry{}
	for _, x := range body.Results {
		in.Results = append(in.Results, records.ResultInput{StudentID: x.Student, Code: x.Competence, Value: x.Value})
	}
	for _, c := range body.Comments {
		in.Comments = append(in.Comments, records.CommentInput{StudentID: c.Student, Text: c.Text})
	}
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		e, err := records.EnterResults(ctx, tx, whoOf(req.P), id, in)
		var item *records.ItemError
		if errors.As(err, &item) {
			return sillage.Errorf(sillage.KindOf(err), "%s[%d] : %s", item.List, item.Index, sillage.Message(err))
		}
		if err != nil {
			return err
		}
		out = toAPIEvaluation(e)
		return fillAPIEvaluation(r, tx, req, e, &out)
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

type apiSheet struct {
	ID      int64  `json:"id"`
	Student int64  `json:"eleve"`
	Author  string `json:"auteur,omitempty"`
	records.Sheet
}

func (s *Server) apiSheet(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "sheet")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var sh sillage.Sheet
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		sh, err = records.SheetInReach(ctx, tx, whoOf(req.P), id)
		return err
	}); err != nil {
		return err
	}
	out := apiSheet{ID: sh.ID, Student: sh.StudentID, Author: sh.AuthorName, Sheet: records.Sheet{Kind: string(sh.Kind), Title: sh.Title,
		Description: sh.Description, Context: contextJSON(sh.Context), Class: sh.Class, PFMPStart: sh.PFMPStart.String(), PFMPEnd: sh.PFMPEnd.String(),
		Host: sh.Host, Activities: sh.Activities, Origin: string(sh.OriginUAI)}}
	if sh.Result != "" || sh.Comment != "" {
		out.Evaluation = &records.SheetEvaluation{Author: &records.Author{Name: sh.AuthorName}, Result: sh.Result, Comment: sh.Comment}
	}
	for _, a := range sh.Attachments {
		out.Files = append(out.Files, records.Attachment{Name: a.Name, Type: a.ContentType, Size: a.Size, SHA256: a.SHA256,
			Path: fmt.Sprintf("/fichiers/%d", a.ID)})
	}
	return writeJSON(w, http.StatusOK, out)
}

func contextJSON(c sillage.SituationContext) string {
	if c == sillage.ContextPFMP {
		return "pfmp"
	}
	return "classe"
}

// Bulk records import and export (administrators).

func (s *Server) apiExportRecords(w http.ResponseWriter, r *http.Request, req *Request) error {
	eleve := strings.TrimSpace(r.URL.Query().Get("eleve_id"))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	lw := &lazyHeaders{w: w, set: func(http.Header) {}}
	err := records.Export(r.Context(), s.store, records.ExportRequest{UAI: req.P.UAI, EleveID: eleve, Actor: req.Actor(), ExternalIDs: true}, lw)
	if err != nil && lw.started {
		s.log.Error("records export failed", "uai", req.P.UAI, "err", err)
		return nil
	}
	return err
}

// importRecordsFrom spools the file to a temporary file first: the import
// transaction must not wait on a slow upload.
func (s *Server) importRecordsFrom(r *http.Request, req *Request, body io.Reader, dryRun bool) (*records.Report, error) {
	tmp, err := os.CreateTemp("", "sillage-livrets-*.json")
	if err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, "fichier temporaire")
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, sillage.Errorf(sillage.KindInvalid, "fichier trop volumineux : la limite est de %s (SILLAGE_MAX_IMPORT)", sillage.FormatSize(s.cfg.MaxImport))
		}
		return nil, sillage.Wrap(sillage.KindInvalid, err, "fichier non reçu en entier")
	}
	if _, err := tmp.Seek(0, 0); err != nil {
		return nil, err
	}
	return records.Import(r.Context(), s.store, records.ImportRequest{UAI: req.P.UAI, Actor: req.Actor(), DryRun: dryRun, Blobs: s.blobs,
		Limits: records.DefaultLimits(s.uploadLimit())}, bufio.NewReaderSize(tmp, 256<<10))
}

func (s *Server) apiImportRecords(w http.ResponseWriter, r *http.Request, req *Request) error {
	dry := r.URL.Query().Get("simulation") == "1" || r.URL.Query().Get("simulation") == "true"
	rep, err := s.importRecordsFrom(r, req, http.MaxBytesReader(w, r.Body, s.cfg.MaxImport), dry)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
