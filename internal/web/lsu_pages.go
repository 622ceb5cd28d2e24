package web

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/onde"
	"github.com/sillage/sillage/internal/store"
)

// The export to LSU (lsu.md "The export"), for the director and the
// administrators: choose what to export, run it, read the report, download
// the file and the report again later.

// lsuPrereq is one prerequisite of the export, checked on the page; one
// still to do links to the page where it is done.
type lsuPrereq struct {
	Label, Detail, Link string
	OK                  bool
}

type lsuPageData struct {
	Degree     lsu.Degree
	Year       sillage.SchoolYear
	Settings   livret.Settings
	Thresholds string
	Versions   []string
	Periods    []sillage.Period
	Divisions  []sillage.Division
	Levels     []string
	Students   []sillage.Student
	Exports    []sillage.LSUExport
	Prereqs    []lsuPrereq
	SchemaErr  string
	RolledOver bool
}

func (s *Server) lsuPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	year := sillage.SchoolYearOf(s.clock.Now())
	degree, err := livret.DegreeOf(req.Establish)
	if err != nil {
		return err
	}
	d := lsuPageData{Year: year, Degree: degree}
	d.Versions = lsu.Versions(d.Degree)
	if _, err := livret.SchemaDir(s.cfg.LSUSchemaDir); err != nil {
		d.SchemaErr = sillage.Message(err)
	}
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if d.Settings, err = livret.LoadSettings(ctx, tx, req.P.UAI, d.Degree); err != nil {
			return err
		}
		d.Thresholds = livret.FormatThresholds(d.Settings.Thresholds)
		if d.Periods, err = tx.Periods().ListPeriods(ctx, req.P.UAI, year); err != nil {
			return err
		}
		if d.Divisions, err = tx.People().ListDivisions(ctx, req.P.UAI, year); err != nil {
			return err
		}
		inYear := map[int64]bool{}
		for _, div := range d.Divisions {
			inYear[div.ID] = true
		}
		students, err := tx.People().ListStudents(ctx, req.P.UAI, sillage.StudentFilter{}) // departed students too: export before they leave LSU
		if err != nil {
			return err
		}
		mefs, err := tx.People().ListMEFs(ctx, req.P.UAI)
		if err != nil {
			return err
		}
		mefMap := map[string]sillage.MEF{}
		for _, m := range mefs {
			mefMap[m.Code] = m
		}
		for _, st := range students {
			if !inYear[st.DivisionID] {
				continue
			}
			d.Students = append(d.Students, st)
			if l := livret.LevelOf(mefMap, st.MEF); l != "" && !slices.Contains(d.Levels, l) {
				d.Levels = append(d.Levels, l)
			}
		}
		slices.Sort(d.Levels)
		if d.Exports, err = tx.Livret().ListLSUExports(ctx, req.P.UAI, year); err != nil {
			return err
		}
		if d.RolledOver, err = livret.RolledOver(ctx, tx, req.P.UAI, year); err != nil {
			return err
		}
		d.Prereqs, err = s.lsuPrereqs(r, tx, req, d)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "lsu.html", "Export LSU", d)
}

// lsuPrereqs checks what the export needs (lsu.md, SACoche's prerequisites).
func (s *Server) lsuPrereqs(r *http.Request, tx *store.Tx, req *Request, d lsuPageData) ([]lsuPrereq, error) {
	ctx := r.Context()
	var out []lsuPrereq
	add := func(ok bool, label, detail, link string) {
		out = append(out, lsuPrereq{Label: label, Detail: detail, Link: link, OK: ok})
	}
	directors, err := tx.People().ListPersons(ctx, req.P.UAI, sillage.PersonFilter{Role: sillage.RoleDirector, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	head := "chef d'établissement"
	if d.Degree == lsu.FirstDegree {
		head = "directeur d'école"
	}
	add(len(directors) > 0, "Un "+head+" qui signe les bilans", fmt.Sprintf("%d compte(s) de direction actif(s)", len(directors)), "/comptes")
	if d.Degree == lsu.SecondDegree {
		sts := 0
		for _, div := range d.Divisions {
			if div.FromSTS {
				sts++
			}
		}
		add(sts > 0, "Divisions issues du dernier import STS-web", fmt.Sprintf("%d division(s) sur %d", sts, len(d.Divisions)), "/imports")
		subjects, err := tx.People().ListSubjects(ctx, req.P.UAI)
		if err != nil {
			return nil, err
		}
		progs, err := tx.People().ListProgrammes(ctx, req.P.UAI)
		if err != nil {
			return nil, err
		}
		add(len(subjects) > 0 && len(progs) > 0, "Nomenclature SIECLE importée (matières et modalités d'élection)",
			fmt.Sprintf("%d matière(s), %d programme(s)", len(subjects), len(progs)), "/imports")
		without := 0
		for _, st := range d.Students {
			if st.SIECLEID == "" {
				without++
			}
		}
		add(without == 0, "Élèves importés de SIECLE (identifiant ELEVE_ID)", fmt.Sprintf("%d élève(s) sans ELEVE_ID", without), "/imports")
	} else {
		add(true, "Dernier fichier ONDE de l'école", "à déposer avec chaque export : les INE ne sont pas conservés par Sillage", "#export-form")
	}
	term, err := tx.Livret().GetTermStart(ctx, req.P.UAI, d.Year)
	if err != nil {
		return nil, err
	}
	add(len(d.Periods) > 0 && !term.IsZero(), "Périodes et date de rentrée", fmt.Sprintf("%d période(s) ; rentrée %s", len(d.Periods), orDash(term.French())), "/periodes")
	for _, p := range d.Periods {
		reports, err := tx.Livret().ListPeriodicReports(ctx, req.P.UAI, sillage.ReportFilter{PeriodIDs: []int64{p.ID}})
		if err != nil {
			return nil, err
		}
		closed := 0
		for _, rp := range reports {
			if rp.Closed() {
				closed++
			}
		}
		add(closed > 0 && closed == len(reports), "Bilans fermés — "+p.Label(), fmt.Sprintf("%d fermé(s) sur %d saisi(s)", closed, len(reports)), fmt.Sprintf("/livret?periode=%d", p.ID))
	}
	return out, nil
}

func orDash(s string) string {
	if s == "" {
		return "non renseignée"
	}
	return s
}

// parseExportForm reads the export form, multipart (with the ONDE file)
// or not.
func (s *Server) parseExportForm(w http.ResponseWriter, r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+1<<20)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return sillage.Errorf(sillage.KindInvalid, "formulaire illisible ou fichier trop volumineux (%s au plus)", sillage.FormatSize(s.cfg.MaxUpload))
		}
		return nil
	}
	return parseForm(w, r)
}

// exportSelection reads what to export from the form.
func exportSelection(r *http.Request) (livret.Selection, string, error) {
	var sel livret.Selection
	for _, v := range r.Form["periode"] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			return sel, "", sillage.Errorf(sillage.KindInvalid, "période %q invalide", v)
		}
		sel.PeriodIDs = append(sel.PeriodIDs, id)
	}
	sel.Cycle = r.FormValue("cycle") != ""
	switch r.FormValue("portee") {
	case "division":
		if sel.DivisionCode = r.FormValue("division"); sel.DivisionCode == "" {
			return sel, "", sillage.Errorf(sillage.KindInvalid, "choisissez la division")
		}
	case "niveau":
		if sel.Level = r.FormValue("niveau"); sel.Level == "" {
			return sel, "", sillage.Errorf(sillage.KindInvalid, "choisissez le niveau")
		}
	case "eleve":
		id, _ := strconv.ParseInt(r.FormValue("eleve"), 10, 64)
		if id <= 0 {
			return sel, "", sillage.Errorf(sillage.KindInvalid, "choisissez l'élève")
		}
		sel.StudentID = id
	}
	if len(sel.PeriodIDs) == 0 && !sel.Cycle {
		return sel, "", sillage.Errorf(sillage.KindInvalid, "choisissez au moins une période ou les bilans de fin de cycle")
	}
	split := r.FormValue("decoupage")
	if split != livret.SplitNone && split != livret.SplitDivision && split != livret.SplitLevel {
		return sel, "", sillage.Errorf(sillage.KindInvalid, "découpage %q inconnu", split)
	}
	return sel, split, nil
}

// readONDEUpload reads the ONDE extraction given with a 1st-degree
// export. It stays in memory for the request: its INEs go to the file
// and nowhere else.
func readONDEUpload(r *http.Request) (*onde.PupilsFile, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	f, _, err := r.FormFile("onde")
	if err == http.ErrMissingFile {
		return nil, nil
	}
	if err != nil {
		return nil, sillage.Errorf(sillage.KindInvalid, "fichier ONDE illisible")
	}
	defer f.Close()
	pf, err := onde.ReadPupils(f)
	if err != nil {
		return nil, err
	}
	return pf, nil
}

func (s *Server) runLSUExport(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := s.parseExportForm(w, r); err != nil {
		return err
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	sel, split, err := exportSelection(r)
	if err != nil {
		return err
	}
	pupils, err := readONDEUpload(r)
	if err != nil {
		return err
	}
	dir, err := livret.SchemaDir(s.cfg.LSUSchemaDir)
	if err != nil {
		return err
	}
	out, err := livret.Run(r.Context(), s.store, s.blobs, req.P.UAI, livret.Request{Selection: sel, Split: split, ONDE: pupils,
		SchemaDir: dir, AppVersion: appVersion, Actor: req.Actor()})
	if err != nil {
		return err
	}
	defer out.Cleanup()
	to := fmt.Sprintf("/lsu/exports/%d", out.Export.ID)
	switch {
	case out.Refused():
		return s.redirect(w, r, req, to, "Aucun fichier n'a été produit : voir le rapport.")
	case out.Export.FileSHA256 == "":
		// A 1st-degree file holds the INEs: handed over now, never kept.
		f, err := os.Open(out.File)
		if err != nil {
			return err
		}
		defer f.Close()
		w.Header().Set("Content-Type", contentTypeOf(out.Export.FileName))
		w.Header().Set("Content-Disposition", `attachment; filename="`+out.Export.FileName+`"`)
		w.Header().Set("Cache-Control", "no-store")
		_, err = io.Copy(w, f)
		return err
	}
	return s.redirect(w, r, req, to, fmt.Sprintf("Fichier LSU produit et validé : %d élève(s).", out.Export.Students))
}

// appVersion is written in the 2nd-degree files' header.
const appVersion = "1"

func contentTypeOf(name string) string {
	if strings.HasSuffix(name, ".zip") {
		return "application/zip"
	}
	return "application/xml"
}

func (s *Server) lsuExportOf(r *http.Request, req *Request) (sillage.LSUExport, error) {
	id, err := pathID(r, "export")
	if err != nil {
		return sillage.LSUExport{}, err
	}
	ctx := r.Context()
	var e sillage.LSUExport
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) { e, err = tx.Livret().GetLSUExport(ctx, req.P.UAI, id); return err })
	return e, err
}

type lsuExportData struct {
	Export sillage.LSUExport
	Report *lsu.Report
	Kinds  []lsu.Kind
	Kind   lsu.Kind
	Lines  []lsu.Line
}

func (s *Server) lsuExportPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	e, err := s.lsuExportOf(r, req)
	if err != nil {
		return err
	}
	rep, err := livret.ReadReport(s.blobs, e)
	if err != nil {
		return err
	}
	d := lsuExportData{Export: e, Report: rep, Kinds: []lsu.Kind{lsu.Blocking, lsu.Fixed, lsu.Ignored, lsu.Warning}, Kind: lsu.Kind(r.URL.Query().Get("type"))}
	d.Lines = rep.Lines
	if d.Kind != "" {
		d.Lines = rep.Filter(d.Kind)
	}
	return s.render(w, r, req, http.StatusOK, "lsu_export.html", "Export LSU du "+sillage.FormatDateTime(e.CreatedAt), d)
}

func (s *Server) lsuExportFile(w http.ResponseWriter, r *http.Request, req *Request) error {
	e, err := s.lsuExportOf(r, req)
	if err != nil {
		return err
	}
	if e.FileSHA256 == "" {
		return sillage.Errorf(sillage.KindNotFound, "aucun fichier conservé pour cet export")
	}
	f, err := s.blobs.Open(e.FileSHA256)
	if err != nil {
		return sillage.Wrap(sillage.KindNotFound, err, "fichier de l'export introuvable")
	}
	defer f.Close()
	// The file holds every report of the export: each download is
	// journaled, not only its making.
	ctx := r.Context()
	if err := s.store.Write(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.ExportLSU, e.FileName, fmt.Sprintf("téléchargement de l'export n° %d", e.ID))
	}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentTypeOf(e.FileName))
	w.Header().Set("Content-Disposition", `attachment; filename="`+e.FileName+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = io.Copy(w, f)
	return err
}

func (s *Server) lsuExportCSV(w http.ResponseWriter, r *http.Request, req *Request) error {
	e, err := s.lsuExportOf(r, req)
	if err != nil {
		return err
	}
	rep, err := livret.ReadReport(s.blobs, e)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="rapport_export_LSU_%d.csv"`, e.ID))
	w.Header().Set("Cache-Control", "no-store")
	return rep.WriteCSV(w)
}

func (s *Server) saveLSUSettings(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	degree, err := livret.DegreeOf(req.Establish)
	if err != nil {
		return err
	}
	set := livret.Settings{Version: r.PostFormValue("version"), ModalityN: r.PostFormValue("modalite_n"),
		Mode: lsu.PositioningMode(r.PostFormValue("mode"))}
	th, err := livret.ParseThresholds(r.PostFormValue("seuils"))
	if err != nil {
		return err
	}
	set.Thresholds = th
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return livret.SaveSettings(ctx, tx, req.P.UAI, degree, req.Actor(), set)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/lsu", "Paramètres du livret scolaire enregistrés.")
}

// Modalities are the modalities of election LSU accepts, for the form.
func (d lsuPageData) Modalities() []string { return []string{"S", "O", "F", "L", "R", "X", "D"} }
