package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/french"
	"github.com/sillage/sillage/internal/passport"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// recordView is a student's record as the pages show it, the same for the
// student, their parents and the staff (each reaches it by their own path).
type recordView struct {
	Student     sillage.Student
	Evaluations []evalView
	Sheets      []sheetView
	Documents   []sillage.Document
	Scale       sillage.Scale
	// Base is the path the record's links start from: /mon-livret,
	// /mes-enfants/{id} or /eleves/{id}.
	Base     string
	Download string // the full-record download, "" when not allowed
	Files    string // prefix of attachment downloads
	Docs     string // prefix of document downloads
	Sheet    string // prefix of sheet pages, "" when sheets open no page
}

type evalView struct {
	records.EvaluationRecord
	Domains []domainView
	Author  string
}

type domainView struct {
	Name string
	Rows []resultView
}

type resultView struct {
	Code, Label, Value, ValueLabel, Class string
}

type sheetView struct {
	sillage.Sheet
	ResultLabel string
	ResultClass string
	Competences []sheetCompetence // the per-competence evaluation
}

// sheetCompetence is one competence evaluated on a sheet.
type sheetCompetence struct {
	sillage.SheetResult
	ValueLabel string
	Class      string
}

// newSheetView shows a sheet with its results on the scale.
func newSheetView(sc sillage.Scale, sh sillage.Sheet) sheetView {
	v := sheetView{Sheet: sh, ResultLabel: records.ValueLabel(sc, sh.Result), ResultClass: levelClass(sc, sh.Result)}
	for _, x := range sh.Results {
		v.Competences = append(v.Competences, sheetCompetence{SheetResult: x, ValueLabel: records.ValueLabel(sc, x.Value), Class: levelClass(sc, x.Value)})
	}
	return v
}

// levelClass is the CSS class of a value: its place on the scale.
func levelClass(sc sillage.Scale, v string) string {
	l, ok := sc.Level(v)
	switch {
	case !ok:
		return "lvl-unknown"
	case l.Points < 0:
		return "lvl-na"
	}
	return fmt.Sprintf("lvl-%d", l.Points)
}

func buildRecordView(recs *records.Records, sr *records.StudentRecord) recordView {
	v := recordView{Student: sr.Student, Scale: recs.Scale, Documents: sr.Documents}
	for _, e := range sr.Evaluations {
		ev := evalView{EvaluationRecord: e, Author: e.AuthorName}
		if p, ok := recs.Authors[e.AuthorID]; ok {
			ev.Author = p.FullName()
		}
		for _, d := range e.Domains() {
			dv := domainView{Name: d.Name}
			for _, r := range d.Results {
				dv.Rows = append(dv.Rows, resultView{Code: r.Competence.Code, Label: r.Competence.Label, Value: r.Value,
					ValueLabel: records.ValueLabel(recs.Scale, r.Value), Class: levelClass(recs.Scale, r.Value)})
			}
			ev.Domains = append(ev.Domains, dv)
		}
		v.Evaluations = append(v.Evaluations, ev)
	}
	for _, sh := range sr.Sheets {
		if p, ok := recs.Authors[sh.AuthorID]; ok {
			sh.AuthorName = p.FullName()
		}
		v.Sheets = append(v.Sheets, newSheetView(recs.Scale, sh))
	}
	return v
}

// loadRecordView reads the record of a student within reach.
func (s *Server) loadRecordView(ctx context.Context, p auth.Principal, studentID int64) (recordView, error) {
	var v recordView
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		if _, err := records.Reach(ctx, tx, whoOf(p), studentID); err != nil {
			return err
		}
		recs, sr, err := records.LoadStudent(ctx, tx, p.UAI, studentID)
		if err != nil {
			return err
		}
		v = buildRecordView(recs, sr)
		return nil
	})
	return v, err
}

// myRecordPage is the student's own record.
func (s *Server) myRecordPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	v, err := s.loadRecordView(r.Context(), req.P, req.P.PersonID)
	if err != nil {
		return err
	}
	v.Base, v.Files, v.Docs, v.Sheet = "/mon-livret", "/mon-livret/fichiers/", "/mes-documents/", "/mon-livret/fiches/"
	if req.P.Allowed(auth.DownloadOwnRecord) {
		v.Download = "/mon-livret/telecharger"
	}
	return s.render(w, r, req, http.StatusOK, "my_record.html", "Mon livret", v)
}

func (s *Server) childrenPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var children []sillage.Student
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		children, err = tx.People().ListChildren(ctx, req.P.UAI, req.P.PersonID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "children.html", "Mes enfants", map[string]any{"Children": children})
}

func (s *Server) childPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "student")
	if err != nil {
		return err
	}
	v, err := s.loadRecordView(r.Context(), req.P, id)
	if err != nil {
		return err
	}
	v.Base = fmt.Sprintf("/mes-enfants/%d", id)
	v.Files, v.Docs = v.Base+"/fichiers/", v.Base+"/documents/"
	if req.P.Allowed(auth.DownloadChildRecord) {
		v.Download = v.Base + "/telecharger"
	}
	return s.render(w, r, req, http.StatusOK, "child.html", "Livret de "+v.Student.FirstName+" "+v.Student.LastName, v)
}

// studentRow is a line of the staff's list of students.
type studentRow struct {
	sillage.Student
	Login string
}

func (s *Server) studentsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	divisionID, err := formID(r, "division")
	if err != nil {
		return err
	}
	q := french.ParseQuery(r.URL.Query().Get("q"))
	former := r.URL.Query().Get("anciens") == "1"
	var rows []studentRow
	var page pager
	var divisions []sillage.Division
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		f := sillage.StudentFilter{DivisionID: divisionID, ActiveOnly: !former, InactiveOnly: former}
		students, err := records.StudentsInReach(ctx, tx, whoOf(req.P), f)
		if err != nil {
			return err
		}
		students = slices.DeleteFunc(students, func(st sillage.Student) bool { return !q.Match(st.FullName()) })
		students, page = paginate(r, students, "élève", "élèves")
		for _, st := range students {
			row := studentRow{Student: st}
			if req.P.Allowed(auth.ViewLogins) && st.AccountID != 0 {
				if acc, err := tx.Accounts().GetAccount(ctx, st.AccountID); err == nil {
					row.Login = acc.Login
				}
			}
			rows = append(rows, row)
		}
		divisions, err = records.DivisionsInReach(ctx, tx, whoOf(req.P))
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "students.html", "Élèves", map[string]any{
		"Rows": rows, "Page": page, "Divisions": divisions, "Division": divisionID, "Q": r.URL.Query().Get("q"), "Former": former,
		"Logins": req.P.Allowed(auth.ViewLogins), "SignIns": req.P.Allowed(auth.ViewLastSignIns), "Bulk": req.P.Allowed(auth.RecordsBulk),
	})
}

// guardianView is a parent as the student's page shows them.
type guardianView struct {
	sillage.Person
	Legal        bool
	Rank         int    // 1, 2: legal guardian 1 or 2; 0 not known
	Denomination string // a legal person's
	Relation     string
	Login        string
}

// Quality says what the guardian is to the student: "Responsable légal 1",
// "Responsable légal 2", "Responsable légal", "autre responsable"; a legal
// person is said so.
func (g guardianView) Quality() string {
	if !g.Legal {
		return "autre responsable"
	}
	q := sillage.LegalRankLabel(g.Rank)
	if g.Denomination != "" {
		q += " (personne morale)"
	}
	return q
}

// order ranks legal guardian 1, 2, the other legal guardians, then the
// others.
func (g guardianView) order() int {
	switch {
	case g.Legal && g.Rank > 0:
		return g.Rank
	case g.Legal:
		return 3
	}
	return 4
}

func (s *Server) studentPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "student")
	if err != nil {
		return err
	}
	ctx := r.Context()
	v, err := s.loadRecordView(ctx, req.P, id)
	if err != nil {
		return err
	}
	v.Base = fmt.Sprintf("/eleves/%d", id)
	v.Files, v.Docs, v.Sheet = "/fichiers/", v.Base+"/documents/", "/fiches/"
	if req.P.Allowed(auth.DownloadAnyRecord) {
		v.Download = v.Base + "/telecharger"
	}
	var guardians []guardianView
	var login string
	logins := req.P.Allowed(auth.ViewLogins)
	var diplomas records.Diplomas
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		if diplomas, err = records.LoadDiplomas(ctx, tx, req.P.UAI); err != nil {
			return err
		}
		links, err := tx.People().ListGuardians(ctx, req.P.UAI, id)
		if err != nil {
			return err
		}
		// The denominations of the legal persons among the legal guardians.
		contacts, err := tx.People().ListGuardianContacts(ctx, req.P.UAI, []int64{id})
		if err != nil {
			return err
		}
		denomination := map[int64]string{}
		for _, c := range contacts {
			denomination[c.ParentID] = c.Denomination
		}
		for _, l := range links {
			p, err := tx.People().GetPerson(ctx, req.P.UAI, l.ParentID)
			if err != nil {
				return err
			}
			g := guardianView{Person: p, Legal: l.Legal, Rank: l.Rank, Denomination: denomination[l.ParentID], Relation: l.Relation}
			if logins && p.AccountID != 0 {
				if acc, err := tx.Accounts().GetAccount(ctx, p.AccountID); err == nil {
					g.Login = acc.Login
				}
			}
			guardians = append(guardians, g)
		}
		if logins && v.Student.AccountID != 0 {
			if acc, err := tx.Accounts().GetAccount(ctx, v.Student.AccountID); err == nil {
				login = acc.Login
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.SliceStable(guardians, func(i, j int) bool { return guardians[i].order() < guardians[j].order() })
	return s.render(w, r, req, http.StatusOK, "student.html", v.Student.FirstName+" "+v.Student.LastName, map[string]any{
		"Record": v, "DiplomaName": diplomas.Name(v.Student.Diploma), "Guardians": guardians, "Login": login, "Logins": logins, "SignIns": req.P.Allowed(auth.ViewLastSignIns),
		"NewSheet": req.P.Allowed(auth.EvaluateSheets),
	})
}

// downloadRecord streams a student's full record (passport ZIP) after
// writing the audit entry: the download is recorded even if the
// connection drops half way.
func (s *Server) downloadRecord(w http.ResponseWriter, r *http.Request, req *Request, studentID int64) error {
	ctx := r.Context()
	signer, issuer, err := s.identity(ctx) // the passport is signed by the instance
	if err != nil {
		return err
	}
	var st sillage.Student
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if st, err = records.Reach(ctx, tx, whoOf(req.P), studentID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.RecordDownloaded, st.FullName(), "dossier complet (ZIP)")
	})
	if err != nil {
		return err
	}
	name := "livret-" + passport.Clean(strings.ToLower(st.LastName+"-"+st.FirstName), "eleve") + ".zip"
	name = strings.ReplaceAll(name, " ", "-")
	lw := &lazyHeaders{w: w, set: func(h http.Header) {
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", contentDisposition(name))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "private, no-store")
	}}
	err = passport.Write(ctx, s.store, s.blobs, req.P.UAI, studentID, lw, passport.Options{BirthDate: req.P.Allowed(auth.ViewBirthDate), Signer: signer, Issuer: issuer})
	if err != nil && lw.started {
		// The headers are gone: the truncated archive tells the browser.
		s.log.Error("full record download failed", "uai", req.P.UAI, "student", studentID, "err", err)
		return nil
	}
	return err
}

// lazyHeaders sets a download's headers with its first byte, so that a
// failure before any byte is still answered as an error page.
type lazyHeaders struct {
	w       http.ResponseWriter
	set     func(http.Header)
	started bool
}

func (l *lazyHeaders) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.set(l.w.Header())
	}
	return l.w.Write(p)
}

func (s *Server) downloadMyRecord(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.downloadRecord(w, r, req, req.P.PersonID)
}

func (s *Server) downloadChildRecord(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "student")
	if err != nil {
		return err
	}
	return s.downloadRecord(w, r, req, id)
}

func (s *Server) downloadStudentRecord(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "student")
	if err != nil {
		return err
	}
	return s.downloadRecord(w, r, req, id)
}
