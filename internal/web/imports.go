package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/scratch"
	"github.com/sillage/sillage/internal/store"
)

// The administrators' import page: upload a national file, read the
// report, confirm a mass deactivation, read the reports kept until the
// changeover. The import itself is internal/directory's, as on the command
// line.

// importSource describes a file type of the upload form.
type importSource struct {
	Source   directory.Source
	Label    string
	Help     string
	Accept   string
	Multiple bool
}

var importSources = []importSource{
	{directory.SourceSIECLE, "Élèves (SIECLE)", "SIECLE › Exploitation › Exports standard › Exports XML génériques › Élèves sans adresses (ou avec adresses) : le fichier ExportXML_ElevesSansAdresses.zip, tel quel ou décompressé. Fichier complet : les élèves absents sont désactivés.", ".xml,.zip", false},
	{directory.SourceResponsables, "Responsables (SIECLE)", "SIECLE › Exploitation › Exports standard › Exports XML génériques › Responsables avec adresses. Seuls les responsables légaux sont importés ; importez d'abord les élèves.", ".xml,.zip", false},
	{directory.SourceNomenclature, "Nomenclature (SIECLE)", "SIECLE › Exploitation › Exports standard › Exports XML génériques › Nomenclatures : MEF, matières et programmes.", ".xml,.zip", false},
	{directory.SourceSTS, "Services (STS-web)", "STS-web › Mise à jour › Exports › Emplois du temps : le fichier sts_emp_UAI_année.xml. Les divisions ne sont jamais créées par ce fichier, seulement mises à jour.", ".xml,.zip", false},
	{directory.SourceAAF, "Annuaire académique (AAF)", "Les fichiers AAF de l'académie (…_Complet_AAAAMMJJ_Eleve_0000.xml, PersRelEleve, PersEducNat, EtabEducNat…), sous leur nom d'origine : seuls les enregistrements de votre établissement sont importés.", ".xml,.zip", true},
	{directory.SourceONDE, "Élèves du premier degré (ONDE)", "ONDE › Élèves › Extractions : le fichier CSVExtraction.csv (élèves).", ".csv", false},
}

func (s *Server) importsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	s.dropExpiredPending()
	return s.renderImports(w, r, req, http.StatusOK, nil, "", nil)
}

// importListItem is a line of the kept reports.
type importListItem struct {
	sillage.ImportReport
	Label string
}

func (s *Server) renderImports(w http.ResponseWriter, r *http.Request, req *Request, status int, reports []*directory.Report, token string, extra *directory.AAFResult) error {
	ctx := r.Context()
	var kept []sillage.ImportReport
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { kept, err = tx.Imports().ListImportReports(ctx, req.P.UAI); return err }); err != nil {
		return err
	}
	kept, page := paginate(r, kept, "rapport", "rapports")
	items := make([]importListItem, len(kept))
	for i, k := range kept {
		label := k.Source
		if src, err := directory.ParseSource(k.Source); err == nil {
			label = src.Label()
		}
		items[i] = importListItem{k, label}
	}
	return s.render(w, r, req, status, "imports.html", "Imports de l'annuaire", map[string]any{
		"View": "list", "Sources": importSources, "MaxImport": sillage.FormatSize(s.cfg.MaxImport), "Reports": reports, "Token": token,
		"AAF": extra, "Kept": items, "KeptPage": page, "Threshold": int(100*s.cfg.MassDeactivation + 0.5)})
}

// upload is what the import form sent.
type upload struct {
	source  directory.Source
	dryRun  bool
	confirm string // token of a held import being confirmed
	fileUAI string // AAF: the UAI of the establishment as written in the files
	files   []uploadFile
	dir     string // the temporary folder of the files
}

type uploadFile struct {
	path string // where the upload is kept, under a name of Sillage's
	orig string // the browser's name: shown in the report, parsed for AAF, never a path
}

// readUpload stores the uploaded files in a temporary folder, never under
// the name the browser gave.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, dir string) (*upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxImport+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez le type de fichier et le fichier à importer")
	}
	u := &upload{dir: dir}
	var total int64
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, sillage.Errorf(sillage.KindInvalid, "fichier trop volumineux : la limite est de %s", sillage.FormatSize(s.cfg.MaxImport))
			}
			return nil, sillage.Errorf(sillage.KindInvalid, "envoi du fichier interrompu ou illisible")
		}
		switch part.FormName() {
		case "type":
			v, _ := io.ReadAll(io.LimitReader(part, 64))
			if u.source, err = directory.ParseSource(string(v)); err != nil {
				return nil, err
			}
		case "simulation":
			u.dryRun = true
		case "jeton":
			v, _ := io.ReadAll(io.LimitReader(part, 128))
			u.confirm = strings.TrimSpace(string(v))
		case "uai_fichier":
			v, _ := io.ReadAll(io.LimitReader(part, 64))
			u.fileUAI = strings.ToUpper(strings.TrimSpace(string(v)))
		case "fichier":
			if part.FileName() == "" {
				continue
			}
			f, err := os.CreateTemp(dir, "import-*")
			if err != nil {
				return nil, err
			}
			n, err := io.Copy(f, io.LimitReader(part, s.cfg.MaxImport+1-total))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			total += n
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, sillage.Errorf(sillage.KindInvalid, "fichier trop volumineux : la limite est de %s", sillage.FormatSize(s.cfg.MaxImport))
				}
				return nil, sillage.Errorf(sillage.KindInvalid, "envoi du fichier interrompu ou illisible")
			}
			if total > s.cfg.MaxImport {
				return nil, sillage.Errorf(sillage.KindInvalid, "fichier trop volumineux : la limite est de %s", sillage.FormatSize(s.cfg.MaxImport))
			}
			u.files = append(u.files, uploadFile{path: f.Name(), orig: filepath.Base(part.FileName())})
		}
		part.Close()
	}
	return u, nil
}

func (s *Server) importUpload(w http.ResponseWriter, r *http.Request, req *Request) error {
	s.dropExpiredPending()
	// Uploads are written to this server's disk while the request lasts.
	if err := os.MkdirAll(s.pendingDir(), 0o700); err != nil {
		return err
	}
	// The upload's folder is this process's until the request ends: if
	// the server dies meanwhile, the next start removes it
	// (dropExpiredPending).
	sd, err := scratch.New(s.pendingDir(), uploadPrefix)
	if err != nil {
		return err
	}
	defer sd.Close()
	dir := sd.Path
	u, err := s.readUpload(w, r, dir)
	if err != nil {
		return err
	}
	confirmed := false
	if u.confirm != "" {
		// A held import confirmed: its files were kept sealed; they are
		// opened into this request's folder, removed when it ends.
		held, err := s.heldImports()
		if err != nil {
			return err
		}
		m, err := held.Take(r.Context(), req.P.UAI, u.confirm, s.clock.Now(), dir)
		if err != nil {
			return err
		}
		u = &upload{source: m.Source, fileUAI: m.FileUAI, dir: dir}
		for _, f := range m.Files {
			u.files = append(u.files, uploadFile{path: f.Path, orig: f.Orig})
		}
		confirmed = true
	}
	if u.source == "" {
		return sillage.Errorf(sillage.KindInvalid, "choisissez le type de fichier à importer")
	}
	if len(u.files) == 0 {
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez le fichier à importer")
	}
	if len(u.files) > 1 && u.source != directory.SourceAAF {
		return sillage.Errorf(sillage.KindInvalid, "un seul fichier à la fois pour ce type d'import")
	}
	im, err := s.importer(r.Context())
	if err != nil {
		return err
	}
	ctx := r.Context()
	// The confirmation of a held import confirms what held it: a mass
	// deactivation or a file older than the last one.
	opts := directory.Options{UAI: req.P.UAI, DryRun: u.dryRun, ConfirmMassDeactivation: confirmed, ConfirmOldFile: confirmed, Actor: req.Actor()}
	var reports []*directory.Report
	var aafRes *directory.AAFResult
	var runErr error
	if u.source == directory.SourceAAF {
		var files []aaf.File
		for _, f := range u.files {
			name, err := aaf.ParseFileName(f.orig)
			if err != nil {
				return err
			}
			files = append(files, aaf.File{Path: f.path, Name: name})
		}
		if u.fileUAI != "" {
			// Only a wrong UAI may be mapped: a valid one is another
			// establishment's.
			if v, err := sillage.ParseUAI(u.fileUAI); err == nil && v != req.P.UAI {
				return sillage.Errorf(sillage.KindInvalid, "%s est l'UAI valide d'un autre établissement : seul un UAI erroné peut être associé au vôtre", v)
			}
			opts.UAIMap = map[string]sillage.UAI{u.fileUAI: req.P.UAI}
		}
		aafRes, runErr = im.ImportAAF(ctx, files, opts)
		if aafRes != nil {
			reports = aafRes.Reports
		}
	} else {
		f := u.files[0]
		opts.FileName = f.orig
		in, err := directory.OpenInput(f.path, s.cfg.MaxImport, nil)
		if err != nil {
			return err
		}
		var rep *directory.Report
		switch u.source {
		case directory.SourceSIECLE:
			rep, runErr = im.SIECLE(ctx, in, opts)
		case directory.SourceResponsables:
			rep, runErr = im.Responsables(ctx, in, opts)
		case directory.SourceNomenclature:
			rep, runErr = im.Nomenclature(ctx, in, opts)
		case directory.SourceSTS:
			rep, runErr = im.STS(ctx, in, opts)
		case directory.SourceONDE:
			rep, runErr = im.ONDE(ctx, in, opts)
		}
		in.Close()
		if rep != nil {
			reports = append(reports, rep)
		}
	}
	token := ""
	var held *directory.MassDeactivationError
	var old *directory.OldFileError
	isHeld := errors.As(runErr, &held) || errors.As(runErr, &old)
	for _, rep := range reports {
		if rep.Status == directory.StatusHeld && runErr == nil {
			isHeld, runErr = true, sillage.Errorf(sillage.KindConflict, "%s", rep.Message)
		}
	}
	if isHeld && !u.dryRun {
		// Keep the files, sealed, for the confirmation, under the
		// session's establishment; the clear upload goes with the request.
		held, err := s.heldImports()
		if err != nil {
			return err
		}
		m := directory.HeldMeta{UAI: req.P.UAI, Source: u.source, FileUAI: u.fileUAI, Created: s.clock.Now()}
		for _, f := range u.files {
			m.Files = append(m.Files, directory.HeldFile{Path: f.path, Orig: f.orig})
		}
		if token, err = held.Keep(r.Context(), m); err != nil {
			return err
		}
	} else if runErr != nil && len(reports) == 0 {
		return runErr
	}
	status := http.StatusOK
	if runErr != nil {
		status = statusOf(runErr)
	}
	return s.renderImports(w, r, req, status, reports, token, aafRes)
}

// importer builds the importer of a request: the store, the INE key and
// the federation key (zero: federation off).
func (s *Server) importer(ctx context.Context) (*directory.Importer, error) {
	kr, err := keyreg.LoadIDKey(ctx, s.store, s.cfg.IDKeyFile, s.cfg.DefaultIDKeyCreate)
	if err != nil {
		return nil, err
	}
	fed, err := keyreg.LoadFederationKey(ctx, s.store, s.cfg.FederationKeyFile)
	if err != nil {
		return nil, err
	}
	return &directory.Importer{Store: s.store, Keyring: kr, Federation: fed, MassDeactivation: s.cfg.MassDeactivation, MaxExpanded: s.cfg.MaxImport, Log: s.log,
		QueueTransfer: s.hooks.QueueTransfer}, nil
}

func (s *Server) pendingDir() string { return s.cfg.UploadsDir() }

// uploadPrefix names the folders of uploads in progress.
const uploadPrefix = "envoi-"

// heldImports returns the sealed store of the held uploads.
func (s *Server) heldImports() (*directory.HeldImports, error) {
	box, err := s.secrets()
	if err != nil {
		return nil, err
	}
	return &directory.HeldImports{Store: s.store, Box: box}, nil
}

// legacyHeld names the folders where an older version kept held uploads
// on disk (a random token): unreachable now that they are kept in the
// database, they are removed like interrupted uploads.
var legacyHeld = regexp.MustCompile(`^[0-9a-f]{32}$`)

// dropExpiredPending removes the uploads a crash interrupted (and the
// held uploads an older version left on disk); the held uploads in the
// database expire by the hourly job, and Take refuses them past their time
// meanwhile. The server does it at start and at every visit of the imports
// page and upload.
func (s *Server) dropExpiredPending() {
	scratch.Sweep(s.pendingDir(), uploadPrefix)
	entries, _ := os.ReadDir(s.pendingDir())
	for _, e := range entries {
		if e.IsDir() && legacyHeld.MatchString(e.Name()) {
			if err := os.RemoveAll(filepath.Join(s.pendingDir(), e.Name())); err != nil {
				s.log.Warn("remove a held upload of an older version", "err", err)
			}
		}
	}
}

func (s *Server) loadImportReport(ctx context.Context, req *Request, r *http.Request) (sillage.ImportReport, *directory.Report, error) {
	id, err := pathID(r, "report")
	if err != nil {
		return sillage.ImportReport{}, nil, err
	}
	var ir sillage.ImportReport
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { ir, err = tx.Imports().GetImportReport(ctx, req.P.UAI, id); return err }); err != nil {
		return ir, nil, err
	}
	rep, err := directory.ParseReport([]byte(ir.Report))
	if err != nil {
		return ir, nil, err
	}
	rep.ID = ir.ID
	return ir, rep, nil
}

func (s *Server) importReportPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	_, rep, err := s.loadImportReport(r.Context(), req, r)
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "imports.html", "Rapport d'import", map[string]any{"View": "report", "Reports": []*directory.Report{rep}})
}

func (s *Server) importReportJSON(w http.ResponseWriter, r *http.Request, req *Request) error {
	ir, rep, err := s.loadImportReport(r.Context(), req, r)
	if err != nil {
		return err
	}
	body, err := rep.JSON()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", contentDisposition("rapport-import-"+ir.Source+"-"+sillage.Today(ir.CreatedAt).String()+".json"))
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(append(body, '\n'))
	return err
}
