package rollover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/xmlfile"
)

// importSummary is what step 4 keeps of the import (its checkpoint).
type importSummary struct {
	ReportID    int64    `json:"rapport"`
	File        string   `json:"fichier"`
	Source      string   `json:"source"`
	Created     int      `json:"eleves_crees"`
	Updated     int      `json:"eleves_modifies"`
	Deactivated int      `json:"eleves_desactives"`
	Reactivated int      `json:"eleves_reactives"`
	Unchanged   int      `json:"eleves_inchanges"`
	Divisions   []string `json:"divisions_creees"`
	Rejects     int      `json:"rejets"`
	RejectLines []string `json:"rejets_detail,omitempty"`
	IndexIn     int      `json:"index_entrees"`
	// Transfer: the import created or deactivated students, so the
	// transfer run follows it (transfer.md 5(a)).
	Transfer bool `json:"transfert,omitempty"`
	// TransferQueued: the importer queued the run in the import's own
	// transaction (directory.Importer.QueueTransfer).
	TransferQueued bool `json:"transfert_programme,omitempty"`
	// InitFiles are the hashes of the uploaded initialisation files whose
	// rows went with the import's checkpoint: their blobs are removed.
	InitFiles []string `json:"fichiers_initialisation,omitempty"`
}

// retentionBatch is how many accounts one transaction of the retention deletes.
const retentionBatch = 100

// directory is step 4: the year N+1 initialisation file is imported with
// the import rules (students placed in their new divisions, divisions
// created only from the students present, those absent deactivated and so
// entered in the transfer index); then the annual retention deletes the
// accounts other than students deactivated for more than the configured
// years, with their data; year N is reopened to imports (it is over) and
// each administrator is invited to check the result.
//
// The uploaded initialisation files carry every student's INE: their rows
// are deleted with the import's checkpoint and their blobs at once (a
// resumed run does not need them again). The transfer run is asked for
// when the import created or deactivated students.
func (r *run) directory() (func(*store.Tx) error, error) {
	ctx, uai, year := r.ctx, r.uai, r.year
	cps, err := r.checkpoints()
	if err != nil {
		return nil, err
	}
	var sum importSummary
	if cp, ok := cps["import"]; ok {
		if err := json.Unmarshal([]byte(cp.Detail), &sum); err != nil {
			return nil, err
		}
	} else {
		rep, name, sha, err := r.importFile(false)
		if err != nil {
			var held *HeldError
			if errors.As(err, &held) {
				r.recordHeld(held, sha)
			}
			return nil, err
		}
		sum = summarize(rep, name)
		sum.Transfer = rep.TouchesTransfer()
		sum.TransferQueued = rep.TransferQueued
		err = r.e.Store.Write(ctx, func(tx *store.Tx) error {
			files, err := tx.Rollover().ListRolloverFiles(ctx, uai, year)
			if err != nil {
				return err
			}
			sum.InitFiles = nil
			for _, f := range files {
				if !slices.Contains(sum.InitFiles, f.SHA256) {
					sum.InitFiles = append(sum.InitFiles, f.SHA256)
				}
			}
			if _, err := tx.Rollover().DeleteRolloverFiles(ctx, uai, year); err != nil {
				return err
			}
			b, err := json.Marshal(sum)
			if err != nil {
				return err
			}
			return r.checkpoint(tx, "import", rep.ID, 0, string(b))
		})
		if err != nil {
			return nil, err
		}
	}
	// Again on a resumed run: a blob already removed is not an error.
	r.removeInitFiles(sum.InitFiles)
	if err := r.fail("import"); err != nil {
		return nil, err
	}
	r.progress(1, 3)
	transfer := r.afterImport(sum, cps)

	deleted := cps["retention"].RefID
	if cps["retention:done"].Item == "" {
		cutoff := r.e.retention().OtherAccountCutoff(r.started)
		for {
			var batch int
			err := r.e.Store.Write(ctx, func(tx *store.Tx) error {
				old, err := tx.Rollover().ListRetentionCandidates(ctx, uai, cutoff)
				if err != nil {
					return err
				}
				if len(old) > retentionBatch {
					old = old[:retentionBatch]
				}
				reason := fmt.Sprintf("compte désactivé depuis plus de %d ans : supprimé à l'initialisation annuelle", r.e.retention().OtherAccountYears)
				if err := r.packPersons(tx, old); err != nil {
					return err
				}
				for _, p := range old {
					if err := accounts.Delete(ctx, tx, uai, audit.System, p.ID, reason); err != nil {
						return err
					}
				}
				batch = len(old)
				if batch == 0 {
					if err := audit.Record(ctx, tx, uai, audit.System, audit.RetentionDeletion,
						fmt.Sprintf("Initialisation annuelle %s", year+1),
						fmt.Sprintf("%d compte(s) désactivé(s) depuis plus de %d ans supprimé(s) avec leurs données", deleted, r.e.retention().OtherAccountYears)); err != nil {
						return err
					}
					return r.checkpoint(tx, "retention:done", deleted, 0, "")
				}
				deleted += int64(batch)
				if err := tx.Rollover().SetRolloverCheckpoint(ctx, uai, store.RolloverCheckpoint{SchoolYear: year, Step: int(r.step), Item: "retention", RefID: deleted}); err != nil {
					return err
				}
				return r.fail("retention")
			})
			if err != nil {
				return nil, err
			}
			if batch == 0 {
				break
			}
		}
	}
	r.progress(2, 3)

	if cps["invite"].Item == "" {
		err := r.e.Store.Write(ctx, func(tx *store.Tx) error {
			admins, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: sillage.RoleAdministrator, ActiveOnly: true})
			if err != nil {
				return err
			}
			body := DirectoryCheckBody(year, sum)
			n := 0
			for _, a := range admins {
				ok, err := send(ctx, tx, uai, year, NoticeDirectoryCheck, a.ID, subjectDirectory, body)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			if err := r.checkpoint(tx, "invite", int64(len(admins)), 0, ""); err != nil {
				return err
			}
			return r.fail("invite")
		})
		if err != nil {
			return nil, err
		}
	}
	cps, err = r.checkpoints()
	if err != nil {
		return nil, err
	}
	r.rep.count("students_created", "Élèves créés", int64(sum.Created))
	r.rep.count("students_updated", "Élèves mis à jour (nouvelle division)", int64(sum.Updated))
	r.rep.count("students_deactivated", "Élèves désactivés (entrés dans l'index des transferts)", int64(sum.Deactivated))
	r.rep.count("students_reactivated", "Élèves réactivés", int64(sum.Reactivated))
	r.rep.count("divisions_created", "Divisions créées (d'après les élèves)", int64(len(sum.Divisions)))
	r.rep.count("index_entries", "Élèves entrés dans l'index des transferts", int64(sum.IndexIn))
	r.rep.count("init_files_deleted", "Fichiers d'initialisation supprimés après l'import", int64(len(sum.InitFiles)))
	r.rep.count("rejects", "Rejets de l'import", int64(sum.Rejects))
	r.rep.count("retention_accounts", fmt.Sprintf("Comptes désactivés depuis plus de %d ans supprimés", r.e.retention().OtherAccountYears), deleted)
	r.rep.count("admins_invited", "Administrateurs invités à vérifier l'annuaire", cps["invite"].RefID)
	r.rep.Details = append(r.rep.Details, fmt.Sprintf("Fichier importé : %s (%s), rapport d'import n° %d", sum.File, sum.Source, sum.ReportID))
	if len(sum.Divisions) > 0 {
		r.rep.Details = append(r.rep.Details, "Divisions créées : "+strings.Join(sum.Divisions, ", "))
	}
	if len(sum.InitFiles) > 0 {
		r.rep.Details = append(r.rep.Details, "Le fichier d'initialisation déposé (il contient les INE des élèves) a été supprimé dès son import.")
	}
	if transfer {
		r.rep.Details = append(r.rep.Details, "Transfert des dossiers programmé : l'import a créé ou désactivé des élèves.")
	}
	if sum.Rejects > 0 {
		r.rep.warn("%d enregistrement(s) rejeté(s) par l'import : les administrateurs les voient dans le rapport d'import", sum.Rejects)
	}
	return func(tx *store.Tx) error {
		// Year N is over: its imports are no longer refused as "closed".
		state, err := tx.Rollover().GetYearState(ctx, uai)
		if err != nil {
			return err
		}
		if err := tx.Rollover().SetYearState(ctx, uai, state.Reopen()); err != nil {
			return err
		}
		// The simulation of the file imported is of no more use.
		if v, err := tx.Periods().GetSetting(ctx, uai, SimulationSetting, ""); err != nil || v == "" {
			return err
		}
		return tx.Periods().SetSetting(ctx, uai, SimulationSetting, "")
	}, nil
}

// confirmed reports whether the operator confirmed the mass deactivation
// of this establishment's step 4.
func (r *run) confirmed() bool { return r.e.ConfirmMassDeactivation || r.req.Confirm.Has(r.uai) }

// recordHeld keeps the figures of a guard that held step 4, for the plan
// and the operator's page.
func (r *run) recordHeld(held *HeldError, sha string) {
	err := r.e.Store.Write(r.ctx, func(tx *store.Tx) error {
		return saveSimulation(r.ctx, tx, r.uai, &Simulation{Year: r.year, File: held.File, SHA256: sha, At: tx.Now(), Guards: held.Guards, Held: true})
	})
	if err != nil {
		r.e.log().Warn("rollover: record the held import", "uai", r.uai, "err", err)
	}
}

// removeInitFiles removes the blobs of the initialisation files imported,
// unless a row still refers to one (the same file uploaded elsewhere).
func (r *run) removeInitFiles(sums []string) {
	if r.e.Blobs == nil {
		return
	}
	referenced := func(sum string) (used bool, err error) {
		err = r.e.Store.Read(r.ctx, func(tx *store.Tx) (err error) { used, err = tx.CrossTenant().IsBlobReferenced(r.ctx, sum); return err })
		return used, err
	}
	for _, sum := range sums {
		if _, err := r.e.Blobs.RemoveIfUnreferenced(sum, referenced); err != nil {
			r.rep.warn("fichier d'initialisation importé non supprimé (%s) : le nettoyage des fichiers le supprimera", sillage.Message(err))
			r.e.log().Warn("rollover: remove an initialisation file", "uai", r.uai, "err", err)
		}
	}
}

// afterImport asks for the transfer run when the import created or
// deactivated students (once: a checkpoint records it). It reports whether
// the run is asked for; a failure is a warning, since the daily sweep
// runs the transfers anyway.
func (r *run) afterImport(sum importSummary, cps map[string]store.RolloverCheckpoint) bool {
	if !sum.Transfer {
		return false
	}
	if sum.TransferQueued || cps["transfer"].Item != "" {
		return true
	}
	if r.e.AfterImport == nil {
		return false
	}
	if err := r.e.AfterImport(r.ctx, []sillage.UAI{r.uai}); err != nil {
		r.rep.warn("le transfert des dossiers n'a pas pu être programmé après l'import (%s) : il se fera au plus tard au passage quotidien", sillage.Message(err))
		r.e.log().Warn("rollover: transfer run not queued after step 4's import", "uai", r.uai, "err", err)
		return false
	}
	if err := r.e.Store.Write(r.ctx, func(tx *store.Tx) error { return r.checkpoint(tx, "transfer", 0, 0, "") }); err != nil {
		r.e.log().Warn("rollover: record the transfer run asked for", "uai", r.uai, "err", err)
	}
	return true
}

func summarize(rep *directory.Report, name string) importSummary {
	s := importSummary{ReportID: rep.ID, File: name, Source: rep.SourceLabel, Divisions: rep.DivisionsCreated, Rejects: len(rep.Rejects),
		IndexIn: len(rep.Index.Entering)}
	c := rep.Count(directory.KindStudents)
	s.Created, s.Updated, s.Deactivated, s.Reactivated, s.Unchanged = c.Created, c.Updated, c.Deactivated, c.Reactivated, c.Unchanged
	for i, rj := range rep.Rejects {
		if i == 50 {
			s.RejectLines = append(s.RejectLines, fmt.Sprintf("… et %d autre(s)", len(rep.Rejects)-50))
			break
		}
		line := rj.Location + " : " + rj.Reason
		if rj.Name != "" {
			line = rj.Location + " — " + rj.Name + " : " + rj.Reason
		}
		s.RejectLines = append(s.RejectLines, line)
	}
	return s
}

// DirectoryCheckBody invites an administrator to check the new directory.
func DirectoryCheckBody(year sillage.SchoolYear, s importSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Bonjour,\n\nL'annuaire de l'année %s a été initialisé à partir du fichier %s.\n\n", year+1, s.File)
	fmt.Fprintf(&b, "- %d élève(s) créé(s), %d placé(s) dans leur nouvelle division, %d désactivé(s) (partis : leur livret attend leur nouvel établissement)\n",
		s.Created, s.Updated+s.Unchanged, s.Deactivated)
	fmt.Fprintf(&b, "- %d division(s) créée(s) d'après les élèves présents", len(s.Divisions))
	if len(s.Divisions) > 0 {
		fmt.Fprintf(&b, " : %s", strings.Join(s.Divisions, ", "))
	}
	fmt.Fprintf(&b, "\n- %d enregistrement(s) rejeté(s)\n\n", s.Rejects)
	b.WriteString("Vérifiez dès maintenant les données importées : présence des élèves dans les bonnes classes, noms et prénoms. " +
		"En cas d'erreur, corrigez-la dans SIECLE : la correction remontera par le prochain import.\n\n")
	if len(s.RejectLines) > 0 {
		b.WriteString("Rejets de l'import :\n")
		for _, l := range s.RejectLines {
			b.WriteString("- " + l + "\n")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Le rapport complet de l'import est sur la page des imports : /imports\n\nCordialement")
	return b.String()
}

// importFile imports the establishment's initialisation file: the one given
// to the run, else the one uploaded on its page (sha is its blob), else
// the AAF files given. A dry run writes nothing and reports the guard's
// figures without holding.
func (r *run) importFile(dry bool) (rep *directory.Report, name, sha string, err error) {
	ctx, uai := r.ctx, r.uai
	im := r.e.Importer
	if im == nil {
		return nil, "", "", sillage.Errorf(sillage.KindUnavailable, "l'import de l'annuaire n'est pas configuré (clé de hachage des INE)")
	}
	opts := directory.Options{UAI: uai, DryRun: dry, ConfirmMassDeactivation: dry || r.confirmed(), Actor: auditActor(r.req.Actor)}
	if p := r.req.Files[uai]; p != "" {
		if isAAF(p) {
			rep, name, err := r.importAAF([]string{p}, dry)
			return rep, name, "", err
		}
		opts.FileName = filepath.Base(p)
		if err := checkSIECLEYear(p, uai, r.year+1); err != nil {
			return nil, "", "", err
		}
		f, err := xmlfile.OpenFile(p, im.MaxExpanded)
		if err != nil {
			return nil, "", "", sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("fichier %s illisible", p))
		}
		defer f.Close()
		rep, err := im.SIECLE(ctx, f, opts)
		return rep, opts.FileName, "", r.importErr(rep, opts.FileName, err)
	}
	var up sillage.RolloverFile
	err = r.e.Store.Read(ctx, func(tx *store.Tx) (err error) { up, err = tx.Rollover().GetRolloverFile(ctx, uai, r.year); return err })
	switch {
	case err == nil:
		src, size, done, err := r.e.openInitFile(up.SHA256, im.TempDir)
		if err != nil {
			return nil, "", up.SHA256, err
		}
		defer done()
		xr, err := xmlfile.Open(src, size, im.MaxExpanded)
		if err != nil {
			return nil, "", up.SHA256, err
		}
		defer xr.Close()
		opts.FileName = up.Name
		rep, err := im.SIECLE(ctx, xr, opts)
		return rep, up.Name, up.SHA256, r.importErr(rep, up.Name, err)
	case sillage.KindOf(err) != sillage.KindNotFound:
		return nil, "", "", err
	}
	if len(r.req.AAF) > 0 {
		rep, name, err := r.importAAF(r.req.AAF, dry)
		return rep, name, "", err
	}
	return nil, "", "", sillage.Errorf(sillage.KindInvalid, "aucun fichier d'initialisation %s pour %s : donnez-le (--file %s=CHEMIN ou --dir DOSSIER) ou déposez-le sur la page de l'établissement",
		r.year+1, uai, uai)
}

// importErr turns an import's outcome into the step's error: a hold of
// the mass-deactivation guard becomes a HeldError (with its figures).
func (r *run) importErr(rep *directory.Report, file string, err error) error {
	var md *directory.MassDeactivationError
	switch {
	case errors.As(err, &md):
		return &HeldError{UAI: r.uai, File: file, Guards: md.Guards}
	case err == nil && rep != nil && rep.Status == directory.StatusHeld:
		return &HeldError{UAI: r.uai, File: file, Guards: rep.Guards}
	case err == nil && rep != nil && !rep.Status.Applied() && rep.Status != directory.StatusDryRun:
		return sillage.Errorf(sillage.KindInvalid, "import %s : %s", rep.StatusLabel, rep.Message)
	}
	return err
}

// importAAF imports the AAF files once per run of the engine (they cover
// many establishments) and returns this establishment's report. The
// mass-deactivation confirmation of one establishment imports it again,
// alone, when the shared import held it.
func (r *run) importAAF(paths []string, dry bool) (*directory.Report, string, error) {
	all := dry || r.e.ConfirmMassDeactivation || r.req.Confirm.All
	opts := directory.Options{DryRun: dry, ConfirmMassDeactivation: all, Actor: auditActor(r.req.Actor)}
	res, err := r.e.aafOnce(r.ctx, paths, opts)
	if err != nil {
		return nil, "", err
	}
	rep := aafReport(res, r.uai)
	if rep != nil && rep.Status == directory.StatusHeld && r.confirmed() && !all {
		opts.UAI, opts.ConfirmMassDeactivation = r.uai, true
		one, err := r.e.Importer.AAF(r.ctx, paths, opts)
		if err != nil {
			return nil, "", err
		}
		rep = aafReport(one, r.uai)
	}
	if rep == nil {
		return nil, "", sillage.Errorf(sillage.KindInvalid, "l'établissement %s n'est pas dans les fichiers AAF donnés", r.uai)
	}
	return rep, rep.FileName, r.importErr(rep, rep.FileName, nil)
}

func aafReport(res *directory.AAFResult, uai sillage.UAI) *directory.Report {
	for _, rep := range res.Reports {
		if rep.UAI == uai {
			return rep
		}
	}
	return nil
}

// isAAF reports whether a file's name is an AAF file's.
func isAAF(p string) bool {
	_, err := aaf.ParseFileName(p)
	return err == nil
}

var errHeader = errors.New("header read")

// siecleHeader reads the PARAMETRES of a SIECLE students export (XML or ZIP).
func siecleHeader(p string) (siecle.Header, error) {
	var h siecle.Header
	f, err := xmlfile.OpenFile(p, 0)
	if err != nil {
		return h, err
	}
	defer f.Close()
	err = siecle.DecodeStudents(f, siecle.StudentsHandler{Header: func(x siecle.Header) error { h = x; return errHeader }})
	if errors.Is(err, errHeader) {
		return h, nil
	}
	if err == nil {
		err = sillage.Errorf(sillage.KindInvalid, "%s : en-tête SIECLE introuvable", filepath.Base(p))
	}
	return h, err
}

// checkSIECLEYear refuses a file of another establishment or another year
// before anything is imported.
func checkSIECLEYear(p string, uai sillage.UAI, want sillage.SchoolYear) error {
	h, err := siecleHeader(p)
	if err != nil {
		return sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("%s n'est pas un export SIECLE des élèves lisible", filepath.Base(p)))
	}
	if h.UAJ != uai {
		return sillage.Errorf(sillage.KindInvalid, "%s concerne l'établissement %s, pas %s", filepath.Base(p), h.UAJ, uai)
	}
	if sillage.SchoolYear(h.Year) != want {
		return sillage.Errorf(sillage.KindInvalid, "%s est un fichier de l'année %s : l'initialisation attend l'année %s", filepath.Base(p), sillage.SchoolYear(h.Year), want)
	}
	return nil
}

// InitFiles are the initialisation files found in a folder.
type InitFiles struct {
	SIECLE map[sillage.UAI]string // by establishment
	AAF    []string
	Others []string // unreadable or of another year: not used
}

// FindInitFiles looks for the initialisation files of year in dir: the
// SIECLE students exports (XML or ZIP; their establishment and year are read
// from their header) and the AAF files (by name).
func FindInitFiles(dir string, year sillage.SchoolYear) (*InitFiles, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("dossier %s illisible", dir))
	}
	out := &InitFiles{SIECLE: map[sillage.UAI]string{}}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if isAAF(p) {
			out.AAF = append(out.AAF, p)
			continue
		}
		ext := strings.ToLower(filepath.Ext(p))
		if ext != ".xml" && ext != ".zip" {
			continue
		}
		h, err := siecleHeader(p)
		if err != nil || sillage.SchoolYear(h.Year) != year {
			out.Others = append(out.Others, e.Name())
			continue
		}
		if prev, dup := out.SIECLE[h.UAJ]; dup {
			return nil, sillage.Errorf(sillage.KindInvalid, "deux fichiers SIECLE pour %s : %s et %s", h.UAJ, filepath.Base(prev), e.Name())
		}
		out.SIECLE[h.UAJ] = p
	}
	sort.Strings(out.AAF)
	return out, nil
}

// aafOnce runs the AAF import of paths once for the engine's lifetime.
func (e *Engine) aafOnce(ctx context.Context, paths []string, opts directory.Options) (*directory.AAFResult, error) {
	e.aafMu.Lock()
	defer e.aafMu.Unlock()
	key := fmt.Sprintf("%s\x00%v\x00%v", strings.Join(paths, "\x00"), opts.DryRun, opts.ConfirmMassDeactivation)
	if e.aafDone != nil && e.aafKey == key {
		return e.aafDone, nil
	}
	res, err := e.Importer.AAF(ctx, paths, opts)
	if err != nil {
		return nil, err
	}
	e.aafKey, e.aafDone = key, res
	return res, nil
}

// InitFilePurpose is the sealbox purpose of the uploaded initialisation files.
const InitFilePurpose = sealbox.PurposeInitFile

// SealedPut returns the put function of UploadInitFile that stores the file
// sealed by box: the blob store never holds the INEs in clear while the
// file waits for step 4 (weeks). The size returned is the file's own.
func SealedPut(blobs blob.Store, box *sealbox.Box) func(io.Reader) (string, int64, error) {
	return func(r io.Reader) (string, int64, error) {
		if box == nil {
			return "", 0, sillage.Errorf(sillage.KindUnavailable, "clé de chiffrement absente (SILLAGE_SECRETS_KEY_FILE) : le fichier d'initialisation ne peut pas être conservé")
		}
		cr := &countingReader{r: r}
		pr, pw := io.Pipe()
		go func() {
			_, err := box.Encrypt(pw, cr, InitFilePurpose)
			pw.CloseWithError(err)
		}()
		ref, err := blobs.Put(pr)
		pr.CloseWithError(io.ErrClosedPipe) // stops the encryption if Put gave up
		return ref.SHA256, cr.n, err
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// openInitFile opens an uploaded initialisation file for the import: a
// sealed one is opened into a temporary file of dir, unlinked at once
// where the system allows it (a crash leaves nothing in clear) and closed
// by done when the import is over: the step's run is the only time it is
// in clear.
func (e *Engine) openInitFile(sum, dir string) (io.ReaderAt, int64, func(), error) {
	src, err := e.Blobs.Open(sum)
	if err != nil {
		return nil, 0, nil, sillage.Wrap(sillage.KindUnavailable, err, "fichier d'initialisation déposé introuvable")
	}
	var head [len(sealbox.Magic)]byte
	n, _ := src.ReadAt(head[:], 0)
	if !sealbox.IsSealed(head[:n]) {
		// Deposited before the files were sealed: read as it is.
		st, err := src.Stat()
		if err != nil {
			src.Close()
			return nil, 0, nil, err
		}
		return src, st.Size(), func() { src.Close() }, nil
	}
	defer src.Close()
	if e.Box == nil {
		return nil, 0, nil, sillage.Errorf(sillage.KindUnavailable, "clé de chiffrement absente (SILLAGE_SECRETS_KEY_FILE) : le fichier d'initialisation déposé ne peut pas être relu")
	}
	tmp, err := os.CreateTemp(dir, "sillage-init-*")
	if err != nil {
		return nil, 0, nil, err
	}
	unlinked := os.Remove(tmp.Name()) == nil
	done := func() {
		tmp.Close()
		if !unlinked {
			os.Remove(tmp.Name())
		}
	}
	size, err := e.Box.Decrypt(tmp, src, InitFilePurpose)
	if err != nil {
		done()
		return nil, 0, nil, sillage.Wrap(sillage.KindInvalid, err, "fichier d'initialisation déposé illisible : déposez-le à nouveau")
	}
	return tmp, size, done, nil
}

// UploadInitFile stores an establishment's initialisation file of year+1
// (checked: a SIECLE students export of the establishment and of that
// year) for step 4.
func UploadInitFile(ctx context.Context, st *store.Store, put func(io.Reader) (string, int64, error), uai sillage.UAI, year sillage.SchoolYear,
	name string, content io.ReaderAt, size int64, by int64, who audit.Actor) (sillage.RolloverFile, error) {
	xr, err := xmlfile.Open(content, size, 0)
	if err != nil {
		return sillage.RolloverFile{}, err
	}
	var h siecle.Header
	err = siecle.DecodeStudents(xr, siecle.StudentsHandler{Header: func(x siecle.Header) error { h = x; return errHeader }})
	xr.Close()
	if err != nil && !errors.Is(err, errHeader) {
		return sillage.RolloverFile{}, sillage.Wrap(sillage.KindInvalid, err, "ce fichier n'est pas un export SIECLE des élèves (ElevesSansAdresses.xml) lisible")
	}
	if h.UAJ != uai {
		return sillage.RolloverFile{}, sillage.Errorf(sillage.KindInvalid, "ce fichier concerne l'établissement %s, pas %s", h.UAJ, uai)
	}
	if sillage.SchoolYear(h.Year) != year+1 {
		return sillage.RolloverFile{}, sillage.Errorf(sillage.KindInvalid, "ce fichier est de l'année %s : l'initialisation attend un fichier de l'année %s", sillage.SchoolYear(h.Year), year+1)
	}
	sha, n, err := put(io.NewSectionReader(content, 0, size))
	if err != nil {
		return sillage.RolloverFile{}, err
	}
	f := sillage.RolloverFile{SchoolYear: year, Name: name, SHA256: sha, Size: n, UploadedBy: by}
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Rollover().AddRolloverFile(ctx, uai, &f); err != nil {
			return err
		}
		return audit.Record(ctx, tx, uai, who, audit.Import, "Fichier d'initialisation "+(year+1).String()+" déposé", name)
	})
	return f, err
}
