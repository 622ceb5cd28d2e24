package livret

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/onde"
	"github.com/sillage/sillage/internal/scratch"
	"github.com/sillage/sillage/internal/store"
)

// SchemaDir returns the folder of the official LSU schemas, used to run
// xmllint on top of the built-in rules: the configured one (an error when it
// holds no schemas), else ../shared/reference/lsu next to the working
// directory or the executable when xmllint is installed, else "" — the
// built-in rules alone then validate every file, and exports still work.
func SchemaDir(configured string) (string, error) {
	if c := strings.TrimSpace(configured); c != "" {
		if isSchemaDir(c) {
			return c, nil
		}
		return "", sillage.Errorf(sillage.KindUnavailable, "SILLAGE_LSU_SCHEMA_DIR (%s) ne contient pas les schémas LSU (dossiers 2d/ et 1d/) : "+
			"corrigez ce réglage, ou videz-le pour valider avec les seules règles intégrées", c)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		return "", nil
	}
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		candidates = append(candidates, filepath.Join(wd, "..", "shared", "reference", "lsu"))
	}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", "shared", "reference", "lsu"))
	}
	for _, c := range candidates {
		if isSchemaDir(c) {
			return filepath.Clean(c), nil
		}
	}
	return "", nil
}

func isSchemaDir(dir string) bool {
	for _, sub := range []string{"2d", "1d"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Split modes of an export.
const (
	SplitNone     = ""
	SplitDivision = "division"
	SplitLevel    = "niveau"
)

// Request is one export.
type Request struct {
	Selection  Selection
	Version    string           // "" : the establishment's setting
	Split      string           // SplitNone, SplitDivision or SplitLevel
	ONDE       *onde.PupilsFile // 1st degree: the latest ONDE extraction
	SchemaDir  string           // see SchemaDir; "" for the built-in rules only
	AppVersion string
	Actor      audit.Actor
}

// Outcome is what an export produced. File is a temporary copy of the
// file (empty when refused) that Cleanup removes: the web page hands it
// over, the command line copies it to --out.
type Outcome struct {
	Export  sillage.LSUExport
	Report  *lsu.Report
	File    string
	Cleanup func()
}

// Refused reports whether no file was produced.
func (o *Outcome) Refused() bool { return o.Export.Outcome != store.ExportFile }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func slug(s string) string {
	s = strings.Trim(unsafeName.ReplaceAllString(fold(s), "_"), "_")
	if s == "" {
		return "export"
	}
	return s
}

func addLine(r *lsu.Report, l lsu.Line) {
	r.Lines = append(r.Lines, l)
	switch l.Kind {
	case lsu.Blocking:
		r.Counts.Blocking++
	case lsu.Fixed:
		r.Counts.Fixed++
	case lsu.Ignored:
		r.Counts.Ignored++
	case lsu.Warning:
		r.Counts.Warnings++
	}
}

// Run exports the Livret Scolaire to LSU: reads the store, collects (checks
// and fixes), generates one file or one per part, validates each (built-in
// rules, and xmllint with the official XSD when req.SchemaDir is set), and records the export with its report (and, in the 2nd
// degree, the file) as blobs, with an audit entry when a file was produced.
// A refused export is recorded too, so its report can be read. Errors are
// what prevents an export from running at all (bad selection, configured
// schemas but no xmllint); the outcome carries the report otherwise.
func Run(ctx context.Context, st *store.Store, blobs blob.Store, uai sillage.UAI, req Request) (out *Outcome, err error) {
	var loaded *Loaded
	err = st.Read(ctx, func(tx *store.Tx) (err error) {
		loaded, err = Load(ctx, tx, uai, req.Selection, LoadOptions{Version: req.Version, ONDE: req.ONDE, AppVersion: req.AppVersion, Now: st.Clock().Now()})
		return err
	})
	if err != nil {
		return nil, err
	}
	// An export killed in the middle leaves files of students' results:
	// the next export removes them (internal/scratch).
	scratch.Sweep(os.TempDir(), "sillage-lsu-")
	sd, err := scratch.New(os.TempDir(), "sillage-lsu-")
	if err != nil {
		return nil, fmt.Errorf("dossier temporaire de l'export LSU : %w", err)
	}
	dir := sd.Path
	out = &Outcome{Cleanup: func() { sd.Close() }}
	defer func() {
		if err != nil {
			out.Cleanup()
			out = nil
		}
	}()

	plan, rep := lsu.Collect(loaded.Input)
	for _, n := range loaded.Notes {
		addLine(rep, n)
	}
	linkReport(rep)
	out.Report = rep
	// The report is final once collected: it is kept while the file is
	// generated and validated (the blob store syncs to disk).
	type stored struct {
		ref blob.Ref
		err error
	}
	reportDone := make(chan stored, 1)
	go func() {
		var rj bytes.Buffer
		enc := json.NewEncoder(&rj)
		enc.SetIndent("", " ")
		if err := enc.Encode(rep); err != nil {
			reportDone <- stored{err: err}
			return
		}
		ref, err := blobs.Put(&rj)
		reportDone <- stored{ref, err}
	}()
	defer func() {
		if reportDone != nil {
			<-reportDone
		}
	}()
	now := st.Clock().Now()
	base := fmt.Sprintf("LSU_%s_%d_%s", uai, int(loaded.Year), slug(loaded.Selection))
	exp := sillage.LSUExport{SchoolYear: loaded.Year, Degree: string(loaded.Degree), Version: rep.Target.Version, Selection: loaded.Selection,
		Outcome: store.ExportRefused, Students: rep.Counts.StudentsExported, Blocked: rep.Counts.StudentsBlocked, Fixed: rep.Counts.Fixed,
		Ignored: rep.Counts.Ignored, Warnings: rep.Counts.Warnings, CreatedBy: req.Actor.ID, CreatedName: req.Actor.Name}
	if req.Split != SplitNone {
		exp.Selection += " (découpé par " + req.Split + ")"
	}
	if plan == nil {
		exp.Refusal = "aucun fichier LSU généré : voir le rapport"
		for _, l := range rep.Lines {
			if l.Kind == lsu.Blocking && l.Student == "" {
				exp.Refusal = "aucun fichier LSU généré : " + l.Message
				break
			}
		}
	} else {
		file, name, err := produce(ctx, plan, req, dir, base, now)
		switch {
		case err == nil:
			out.File, exp.FileName, exp.Outcome = file, name, store.ExportFile
		case sillage.KindOf(err) == sillage.KindInternal:
			// The validator refused the generated file: it is not offered.
			exp.Refusal = sillage.Message(err)
			var verr *lsu.ValidationError
			if errors.As(err, &verr) {
				exp.Refusal += " : " + strings.Join(verr.Messages, " ; ")
			}
		default:
			return nil, err
		}
	}

	kept := <-reportDone
	reportDone = nil
	if kept.err != nil {
		return nil, kept.err
	}
	exp.ReportSHA256, exp.ReportSize = kept.ref.SHA256, kept.ref.Size
	// A 1st-degree file holds INEs: handed over once, never kept.
	if out.File != "" && loaded.Degree == lsu.SecondDegree {
		f, err := os.Open(out.File)
		if err != nil {
			return nil, err
		}
		ref, err := blobs.Put(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		exp.FileSHA256, exp.FileSize = ref.SHA256, ref.Size
	} else if out.File != "" {
		if fi, err := os.Stat(out.File); err == nil {
			exp.FileSize = fi.Size()
		}
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Livret().CreateLSUExport(ctx, uai, &exp); err != nil {
			return err
		}
		if exp.Outcome != store.ExportFile {
			// Nothing left Sillage, but the attempt and its report are
			// part of the export's history.
			details := fmt.Sprintf("%s ; aucun fichier remis (%s) ; %d élèves bloqués ; rapport sha256 %s", exp.Selection, exp.Refusal, exp.Blocked, exp.ReportSHA256)
			return audit.Record(ctx, tx, uai, req.Actor, audit.ExportLSU, fmt.Sprintf("export LSU n° %d (refusé)", exp.ID), details)
		}
		kept := "fichier conservé (sha256 " + exp.FileSHA256 + ")"
		if exp.FileSHA256 == "" {
			kept = "fichier du 1er degré remis sans être conservé (il contient les INE)"
		}
		details := fmt.Sprintf("%s ; schéma %s %s ; %d élèves exportés, %d bloqués ; %d lignes bloquantes, %d corrections, %d ignorées, %d avertissements ; rapport sha256 %s ; %s",
			exp.Selection, exp.Degree, exp.Version, exp.Students, exp.Blocked, rep.Counts.Blocking, exp.Fixed, exp.Ignored, exp.Warnings, exp.ReportSHA256, kept)
		return audit.Record(ctx, tx, uai, req.Actor, audit.ExportLSU, fmt.Sprintf("export LSU n° %d", exp.ID), details)
	})
	if err != nil {
		return nil, err
	}
	out.Export = exp
	return out, nil
}

// linkReport gives each blocking line the address of the page where it is
// fixed: the student's report of the period, their end-of-cycle report,
// the periods, the imports, the people of the establishment, the export
// form, the changeover. The lines carry the local ids Load gave ("S12",
// "P3"), which are Sillage's ids.
func linkReport(rep *lsu.Report) {
	for i := range rep.Lines {
		if l := &rep.Lines[i]; l.Kind == lsu.Blocking || l.Place != "" {
			l.Link = pageOf(*l)
		}
	}
}

func pageOf(l lsu.Line) string {
	student, studentOK := localID(l.StudentRef, "S")
	switch l.Place {
	case lsu.PlaceReport:
		if period, ok := localID(l.PeriodRef, "P"); ok && studentOK {
			return fmt.Sprintf("/livret/eleve/%d/%d", student, period)
		}
		return "/livret"
	case lsu.PlaceCycle:
		if studentOK {
			return fmt.Sprintf("/livret/cycle/eleve/%d", student)
		}
		return "/livret"
	case lsu.PlacePeriods:
		return "/periodes"
	case lsu.PlaceImports:
		return "/imports"
	case lsu.PlaceAccounts:
		return "/comptes"
	case lsu.PlaceExport:
		return "/lsu#export-form"
	case lsu.PlaceSettings:
		return "/lsu#lsu-settings"
	case lsu.PlaceRollover:
		return "/changement-annee"
	case lsu.PlaceProjects:
		return "/livret/projets"
	case lsu.PlaceProjectEntry:
		if group, ok := localID(l.GroupRef, "G"); ok {
			return fmt.Sprintf("/livret/groupe/%d", group)
		}
		return "/livret/projets"
	case lsu.PlaceDigitalSkills:
		// The page is the division's: this address finds the student's
		// division and leads to their line (DigitalEntryOf).
		if period, ok := localID(l.PeriodRef, "P"); ok && studentOK {
			return fmt.Sprintf("/livret/numerique/eleve/%d/%d", student, period)
		}
		return "/livret"
	}
	return ""
}

// localID reads back an id of idStr.
func localID(s, prefix string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n > 0
}

// produce writes the validated file of a plan, or a ZIP of its validated
// parts, in dir.
func produce(ctx context.Context, plan *lsu.Plan, req Request, dir, base string, now time.Time) (path, name string, err error) {
	if req.Split == SplitNone {
		name = base + ".xml"
		path = filepath.Join(dir, name)
		return path, name, lsu.ExportPlan(ctx, plan, req.SchemaDir, path)
	}
	by := lsu.ByDivision
	if req.Split == SplitLevel {
		by = lsu.ByLevel
	}
	parts := lsu.Split(plan, by)
	name = base + ".zip"
	path = filepath.Join(dir, name)
	zf, err := os.Create(path)
	if err != nil {
		return "", "", err
	}
	defer zf.Close()
	zw := zip.NewWriter(zf)
	for _, part := range parts {
		partName := base + "_" + slug(part.Part) + ".xml"
		partPath := filepath.Join(dir, partName)
		if err := lsu.ExportPlan(ctx, part, req.SchemaDir, partPath); err != nil {
			return "", "", err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: partName, Method: zip.Deflate, Modified: now})
		if err != nil {
			return "", "", err
		}
		f, err := os.Open(partPath)
		if err != nil {
			return "", "", err
		}
		_, err = io.Copy(w, f)
		f.Close()
		os.Remove(partPath)
		if err != nil {
			return "", "", err
		}
	}
	if err := zw.Close(); err != nil {
		return "", "", err
	}
	return path, name, zf.Sync()
}

// ReadReport reads the report kept with an export.
func ReadReport(blobs blob.Store, e sillage.LSUExport) (*lsu.Report, error) {
	f, err := blobs.Open(e.ReportSHA256)
	if err != nil {
		return nil, sillage.Wrap(sillage.KindNotFound, err, "rapport de l'export introuvable")
	}
	defer f.Close()
	var r lsu.Report
	if err := json.NewDecoder(f).Decode(&r); err != nil {
		return nil, fmt.Errorf("rapport de l'export %d illisible : %w", e.ID, err)
	}
	return &r, nil
}
