package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
)

// DefaultMassDeactivation is the share of an establishment's active persons
// of one kind a complete file may deactivate without confirmation.
const DefaultMassDeactivation = 0.30

// DefaultMaxRejectShare is the share of a file's person records that may
// be rejected: beyond it (and whenever every record is rejected) the file
// is refused and nothing is written — it is not the file it claims to be,
// or it is damaged (docs/imports.md, "Statut d'un import").
const DefaultMaxRejectShare = 0.20

// Importer applies the national directory files to the establishments
// through the store. It never parses XML itself: the readers of
// internal/siecle, internal/sts, internal/aaf and internal/onde do.
type Importer struct {
	Store   *store.Store
	Keyring ident.Keyring
	// Federation is the federation key (docs/federation.md): when it holds
	// a version, an import holding a student's INE also stores the
	// student's federation hash under every version. Zero: federation off.
	Federation ident.Keyring
	// MassDeactivation is the share of the active persons of one kind a
	// complete file may deactivate without confirmation (0: the default).
	MassDeactivation float64
	// MaxRejectShare is the share of a file's person records that may be
	// rejected before the import is refused (0: the default).
	MaxRejectShare float64
	// TempDir holds the AAF import's per-establishment spill files ("":
	// the system's temporary folder).
	TempDir string
	// MaxExpanded bounds a ZIP member's expanded size (0: xmlfile's default).
	MaxExpanded int64
	Log         *slog.Logger
	// QueueTransfer, when set, is called inside the transaction of an
	// applied import that created or deactivated students, before it
	// commits: the job queue queues the transfer run there (transfer.md
	// 5(a)), so the run is queued exactly when the import commits.
	QueueTransfer func(ctx context.Context, tx *store.Tx, uai sillage.UAI) error
	// writers, when above zero, is how many establishments an AAF import
	// writes at once on PostgreSQL (tests; 0: aafWriters).
	writers int
	// loginLockTimeout, when above zero, replaces loginLockTimeout (tests).
	loginLockTimeout time.Duration
	// aafLookups counts the AAF imports' lookups of where persons
	// already are (tests: they are batched).
	aafLookups atomic.Int64
	// Failpoint is called at each step of an establishment's transaction;
	// an error it returns fails the import at that step. Tests only.
	Failpoint func(step string) error
}

// Options are the choices of one import.
type Options struct {
	// UAI is the establishment the file is for (every source but AAF, whose
	// files name their establishments). The file's own UAI must match.
	UAI      sillage.UAI
	FileName string // shown in the report
	// DryRun computes the same report and writes nothing.
	DryRun bool
	// ConfirmMassDeactivation lets a complete file deactivate more than
	// the configured share of an establishment's active persons.
	ConfirmMassDeactivation bool
	// ConfirmOldFile applies a file of a school year older than the
	// establishment's current one, or older than the last applied file of
	// the same kind, which is otherwise held (see OldFileError).
	ConfirmOldFile bool
	// Actor is who imports, for the audit log and the report's author.
	Actor audit.Actor
	// UAIMap maps a structure's UAI as written in AAF files (or its
	// ENTStructureJointure) to an establishment: for structures whose
	// UAI in the files is wrong (a bad check letter).
	UAIMap map[string]sillage.UAI
	// Progress, when set, receives the number of bytes read so far from
	// the files (AAF; the other sources read from the caller's reader).
	Progress func(read int64)
	// OnReport, when set, receives each establishment's report of an AAF
	// import as soon as it is done; the result then keeps only their
	// counts (an académie's reports list hundreds of thousands of
	// students).
	OnReport func(*Report)
}

func (o Options) actor() audit.Actor {
	if o.Actor.Role == "" && o.Actor.Name == "" {
		return audit.Actor{Role: "operator", Name: "ligne de commande"}
	}
	return o.Actor
}

// MassDeactivationError holds an import whose complete file would deactivate
// too many persons: nothing was written, the report says what would happen,
// and confirming (ConfirmMassDeactivation) applies it.
type MassDeactivationError struct {
	UAI    sillage.UAI
	Guards []Guard
}

func (e *MassDeactivationError) Error() string {
	var parts []string
	for _, g := range e.Guards {
		parts = append(parts, fmt.Sprintf("%d %s sur %d actifs (%.0f %%)", g.Deactivated, strings.ToLower(kindLabel(g.Kind)), g.Active, 100*g.Share))
	}
	th := DefaultMassDeactivation
	if len(e.Guards) > 0 {
		th = e.Guards[0].Threshold
	}
	return fmt.Sprintf("%s : ce fichier désactiverait %s, plus que le seuil de %.0f %% ; vérifiez qu'il est complet et "+
		"qu'il concerne le bon établissement, puis confirmez la désactivation massive (en ligne de commande : --confirm-mass-deactivation)",
		e.UAI, strings.Join(parts, ", "), 100*th)
}

// Unwrap makes the error one of kind Conflict (sillage.KindOf).
func (e *MassDeactivationError) Unwrap() error {
	return sillage.Errorf(sillage.KindConflict, "%s", e.Error())
}

// OldFileError holds an import whose file is older than the
// establishment's current school year or than the last applied file of the
// same kind: applied, it would undo what the newer file did (move students
// back into last year's divisions). Nothing was written; confirming
// (ConfirmOldFile) applies it.
type OldFileError struct {
	UAI    sillage.UAI
	Reason string
}

func (e *OldFileError) Error() string {
	return fmt.Sprintf("%s : %s ; l'appliquer annulerait ce que des fichiers plus récents ont fait (élèves replacés dans les "+
		"divisions d'alors, services d'une autre année). Importez un export récent, ou, si c'est bien ce fichier que vous voulez appliquer, confirmez "+
		"(en ligne de commande : --confirm-old-file)", e.UAI, e.Reason)
}

// Unwrap makes the error one of kind Conflict (sillage.KindOf).
func (e *OldFileError) Unwrap() error {
	return sillage.Errorf(sillage.KindConflict, "%s", e.Error())
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

func (im *Importer) log() *slog.Logger {
	if im.Log != nil {
		return im.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (im *Importer) threshold() float64 {
	if im.MassDeactivation > 0 {
		return im.MassDeactivation
	}
	return DefaultMassDeactivation
}

// txn is one establishment's import transaction.
type txn struct {
	im    *Importer
	ctx   context.Context
	tx    *store.Tx
	uai   sillage.UAI
	year  sillage.SchoolYear
	today sillage.Date
	opts  Options
	rep   *Report
	src   sillage.Source

	guards []Guard

	// pending accounts: the persons created by this transaction, given
	// a login in one batch before they are written.
	pending []*sillage.Person
	// logins, when set, reserves the logins outside the transaction
	// (AAF's parallel writers, see loginReserver); nil: in it.
	logins *loginReserver

	// present holds the identities the file's rejected records name
	// (see presence); nil when none.
	present *presence
	// kept are the persons named by a record the file has but rejected:
	// present, so a complete file never deactivates them (rule 1). Keys
	// from keyAAF, keySTS, keyPerson.
	kept map[string]bool

	divisions map[string]*sillage.Division // this year's, by code
	groups    map[string]*sillage.Group    // this year's option groups, by code
	divByID   map[int64]string
}

// presence returns t.present, made on first use.
func (t *txn) presence() *presence {
	if t.present == nil {
		t.present = newPresence()
	}
	return t.present
}

// step calls the failpoint.
func (t *txn) step(name string) error {
	if t.im.Failpoint == nil {
		return nil
	}
	if err := t.im.Failpoint(name); err != nil {
		return fmt.Errorf("point d'échec %s : %w", name, err)
	}
	return nil
}

// txSpec describes one establishment's transaction.
type txSpec struct {
	source   Source
	src      sillage.Source
	uai      sillage.UAI
	year     sillage.SchoolYear // the file's school year; 0: the clock's
	complete bool
	// fileYear is the school year the file is of, for the check of its
	// age (0: unknown); estimated when the file does not say it (ONDE).
	fileYear      sillage.SchoolYear
	yearEstimated bool
	// exported is when the file was exported (SIECLE DATE_EXPORT and
	// HORODATAGE); zero when unknown.
	exported time.Time
	// create, when set, creates the establishment if it is unknown (AAF).
	create *sillage.Establishment
	// aafStructures are recorded for the establishment (AAF).
	aafStructures map[string]string
	// present are the identities the file's rejected records name.
	present *presence
	// logins, when set, reserves the transaction's logins (see txn.logins).
	logins *loginReserver
	apply  func(t *txn) error
}

// txAttempts is how many times an establishment's transaction runs when
// PostgreSQL aborts it on a deadlock or a serialization failure
// (store.Retryable): two imports of different establishments share rows
// (the login counters, the audit chain's head), and each re-run usually
// finds the other one gone.
const txAttempts = 3

// transact runs spec in one transaction: the establishment must exist (or be
// created), the year must not be closed; apply plans, checks the guard and
// writes; the report and the audit entry are written in the same
// transaction. A dry run rolls everything back. A transaction PostgreSQL
// aborted (store.Retryable) is run again, up to txAttempts times in all,
// from the report as the caller gave it: apply must start from the file's
// records each time (nothing of a failed attempt is kept, in the database
// or in the report).
func (im *Importer) transact(ctx context.Context, spec txSpec, opts Options, rep *Report) error {
	base, err := rep.clone()
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := im.transactOnce(ctx, spec, opts, rep)
		if err == nil || !store.Retryable(err) || attempt == txAttempts || ctx.Err() != nil {
			return err
		}
		// The source, the establishment and the attempt: no personal data.
		im.log().Warn("import transaction aborted by the database (deadlock or serialization failure): run again",
			"source", string(spec.source), "uai", spec.uai, "attempt", attempt)
		fresh, err := base.clone()
		if err != nil {
			return err
		}
		*rep = *fresh
	}
}

// transactOnce is one attempt of transact.
func (im *Importer) transactOnce(ctx context.Context, spec txSpec, opts Options, rep *Report) error {
	rep.Complete = spec.complete
	err := im.Store.Write(ctx, func(tx *store.Tx) error {
		t := &txn{im: im, ctx: ctx, tx: tx, uai: spec.uai, year: spec.year, opts: opts, rep: rep, src: spec.src,
			today: sillage.Today(tx.Now()), present: spec.present.clone(), logins: spec.logins}
		if t.year == 0 {
			t.year = sillage.SchoolYearOf(tx.Now())
		}
		rep.SchoolYear = t.year
		// The instance's audit chain records a creation at the end, just
		// before the commit: its head row, which every writer creating an
		// establishment updates, stays locked only while this one commits
		// (AAF's establishments are written two at a time).
		created := false
		est, err := tx.Establishments().GetEstablishment(ctx, spec.uai)
		switch {
		case sillage.KindOf(err) == sillage.KindNotFound && spec.create != nil:
			if err := tx.Establishments().CreateEstablishment(ctx, *spec.create); err != nil {
				return err
			}
			created = true
			rep.counts(KindStructures).Created++
			est = *spec.create
		case sillage.KindOf(err) == sillage.KindNotFound:
			return sillage.Errorf(sillage.KindNotFound, "établissement %s inconnu de Sillage : l'opérateur doit d'abord le créer (sillage establishment add --uai %s --name …)", spec.uai, spec.uai)
		case err != nil:
			return err
		case spec.create != nil:
			rep.counts(KindStructures).Unchanged++
		}
		rep.Establishment = est.Name
		// Between the changeover's steps 2 and 4 the year is closed
		// (imports.md rule 10).
		years, err := tx.Rollover().GetYearState(ctx, spec.uai)
		if err != nil {
			return err
		}
		if years.IsClosed(t.year) {
			return sillage.Errorf(sillage.KindUnavailable, "l'année %s est close pour %s (changement d'année en cours) : importez le fichier d'initialisation de l'année %s",
				t.year, spec.uai, t.year+1)
		}
		if err := t.checkAge(spec, years); err != nil {
			return err
		}
		for id, name := range spec.aafStructures {
			if err := tx.Imports().SetAAFStructure(ctx, spec.uai, id, name); err != nil {
				return err
			}
		}
		if err := t.step("start"); err != nil {
			return err
		}
		if err := spec.apply(t); err != nil {
			return err
		}
		if err := im.checkRejects(rep); err != nil {
			return err
		}
		if err := t.step("report"); err != nil {
			return err
		}
		if opts.DryRun {
			rep.setStatus(StatusDryRun, "")
			return errDryRun
		}
		rep.setStatus(StatusApplied, "")
		if len(rep.Rejects) > 0 {
			rep.setStatus(StatusAppliedWithRejects, "")
		}
		body, err := rep.JSON()
		if err != nil {
			return err
		}
		if created {
			if err := audit.Record(ctx, tx, "", opts.actor(), audit.EstablishmentCreated, string(spec.uai), spec.create.Name+" (import AAF)"); err != nil {
				return err
			}
		}
		ir := sillage.ImportReport{Source: string(spec.source), FileName: rep.FileName, SchoolYear: t.year, CreatedBy: opts.Actor.ID, Report: string(body)}
		if err := tx.Imports().CreateImportReport(ctx, spec.uai, &ir); err != nil {
			return err
		}
		rep.ID = ir.ID
		if err := audit.Record(ctx, tx, spec.uai, opts.actor(), audit.Import, spec.source.Label()+" "+rep.FileName, rep.summary()); err != nil {
			return err
		}
		if im.QueueTransfer != nil && rep.TouchesTransfer() {
			if err := im.QueueTransfer(ctx, tx, spec.uai); err != nil {
				return err
			}
			rep.TransferQueued = true
		}
		return t.step("commit")
	})
	if err != nil && spec.logins != nil {
		spec.logins.release(ctx)
	}
	switch {
	case errors.Is(err, errDryRun):
		return nil
	case err != nil:
		var held *MassDeactivationError
		var old *OldFileError
		if errors.As(err, &held) || errors.As(err, &old) {
			rep.setStatus(StatusHeld, err.Error())
		} else {
			rep.setStatus(StatusRefused, sillage.Message(err))
		}
		rep.ID, rep.TransferQueued = 0, false
		return err
	}
	// The import is committed; fresh statistics for the transfer run it
	// queued and for the pages (store.Optimize). A failure undoes nothing.
	if err := im.Store.Optimize(ctx); err != nil {
		im.log().Warn("statistics not refreshed after the import", "uai", spec.uai, "err", err)
	}
	return nil
}

func (im *Importer) maxRejectShare() float64 {
	if im.MaxRejectShare > 0 {
		return im.MaxRejectShare
	}
	return DefaultMaxRejectShare
}

// checkRejects refuses a file whose person records are all rejected, or
// more than the allowed share of them.
func (im *Importer) checkRejects(rep *Report) error {
	n, bad := rep.Records, rep.RejectedRecords
	if n == 0 || bad == 0 {
		return nil
	}
	share := float64(bad) / float64(n)
	if bad < n && share <= im.maxRejectShare() {
		return nil
	}
	what := "tous les enregistrements du fichier sont rejetés"
	if bad < n {
		what = fmt.Sprintf("%d enregistrements sur %d sont rejetés (%.0f %%, au-delà du seuil de %.0f %%)", bad, n, 100*share, 100*im.maxRejectShare())
	}
	return sillage.Errorf(sillage.KindInvalid, "%s : import refusé, rien n'a été enregistré ; le fichier est abîmé ou n'est pas celui attendu — "+
		"corrigez les enregistrements listés dans les rejets (ou exportez à nouveau le fichier) puis importez-le à nouveau", what)
}

// checkAge holds a file older than the establishment's current school
// year (the clock's, or the one after a closed year) or than the last
// applied file of the same source: its school year, then its export date.
func (t *txn) checkAge(spec txSpec, years sillage.YearState) error {
	rep := t.rep
	rep.FileYear, rep.YearEstimated, rep.Exported = spec.fileYear, spec.yearEstimated, spec.exported
	if spec.fileYear == 0 || t.opts.ConfirmOldFile {
		return nil
	}
	what := "le fichier est"
	if spec.yearEstimated {
		what = "d'après les dates de naissance et les niveaux de ses élèves, le fichier semble"
	}
	current := years.CurrentYear(t.tx.Now())
	if spec.fileYear < current {
		return &OldFileError{UAI: t.uai, Reason: fmt.Sprintf("%s de l'année scolaire %s, antérieure à l'année en cours de l'établissement (%s)",
			what, spec.fileYear, current)}
	}
	last, err := t.lastApplied(spec.source)
	if err != nil || last == nil {
		return err
	}
	switch {
	case last.FileYear != 0 && spec.fileYear < last.FileYear:
		return &OldFileError{UAI: t.uai, Reason: fmt.Sprintf("%s de l'année scolaire %s, alors que le dernier fichier appliqué (%s, le %s) est de l'année %s",
			what, spec.fileYear, last.FileName, frenchDate(last.At, true), last.FileYear)}
	case !spec.exported.IsZero() && !last.Exported.IsZero() && spec.fileYear == last.FileYear && spec.exported.Before(last.Exported):
		return &OldFileError{UAI: t.uai, Reason: fmt.Sprintf("le fichier a été exporté le %s, avant le dernier fichier appliqué (%s), exporté le %s",
			frenchDate(spec.exported, false), last.FileName, frenchDate(last.Exported, false))}
	}
	return nil
}

// frenchDate writes a date as "5 octobre 2025". Export dates are French
// wall-clock readings kept as they are; instants (when a report was
// written) are shown in the school zone.
func frenchDate(t time.Time, instant bool) string {
	months := [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	if instant {
		t = t.In(sillage.SchoolZone)
	}
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// lastApplied returns the report of the last applied import of source
// for the establishment, nil when there is none.
func (t *txn) lastApplied(source Source) (*Report, error) {
	list, err := t.tx.Imports().ListImportReports(t.ctx, t.uai)
	if err != nil {
		return nil, err
	}
	for _, ir := range list {
		if ir.Source != string(source) {
			continue
		}
		full, err := t.tx.Imports().GetImportReport(t.ctx, t.uai, ir.ID)
		if err != nil {
			return nil, err
		}
		return ParseReport([]byte(full.Report))
	}
	return nil, nil
}

// summary is the audit entry's details: the counts, no names.
func (r *Report) summary() string {
	var parts []string
	for _, list := range [][]Counts{r.People, r.Structures} {
		for _, c := range list {
			parts = append(parts, fmt.Sprintf("%s : %d créés, %d modifiés, %d désactivés, %d réactivés, %d inchangés",
				c.Label, c.Created, c.Updated, c.Deactivated, c.Reactivated, c.Unchanged))
		}
	}
	if len(r.Rejects) > 0 {
		parts = append(parts, fmt.Sprintf("%d rejets", len(r.Rejects)))
	}
	return strings.Join(parts, " ; ")
}

// Keys of t.kept.
func keyAAF(id string) string { return "aaf\x00" + id }
func keySTS(id string) string { return "sts\x00" + id }

// keyPerson names a stored person: the guardians of a kept student, whom
// the rejected record may have named.
func keyPerson(id int64) string { return "id\x00" + strconv.FormatInt(id, 10) }

// keep marks the person a rejected record names as present.
func (t *txn) keep(key string) {
	if t.kept == nil {
		t.kept = map[string]bool{}
	}
	t.kept[key] = true
}

// isKept reports whether p is named by a record the file rejected.
func (t *txn) isKept(p *sillage.Person) bool {
	if len(t.kept) == 0 {
		return false
	}
	return p.AAFID != "" && t.kept[keyAAF(p.AAFID)] || p.STSID != "" && t.kept[keySTS(p.STSID)] ||
		p.ID != 0 && t.kept[keyPerson(p.ID)]
}

// guard records a planned deactivation of kind and holds the import when
// it exceeds the threshold without confirmation.
func (t *txn) guard(kind string, deactivate, active int) {
	if deactivate == 0 || active == 0 {
		return
	}
	g := Guard{Kind: kind, Label: kindLabel(kind), Active: active, Deactivated: deactivate, Share: float64(deactivate) / float64(active),
		Threshold: t.im.threshold(), Confirmed: t.opts.ConfirmMassDeactivation}
	if g.Share > g.Threshold {
		t.guards = append(t.guards, g)
		t.rep.Guards = append(t.rep.Guards, g)
	}
}

// enforceGuards fails the transaction when a guard tripped unconfirmed.
func (t *txn) enforceGuards() error {
	if len(t.guards) == 0 || t.opts.ConfirmMassDeactivation {
		return nil
	}
	return &MassDeactivationError{UAI: t.uai, Guards: t.guards}
}
