package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
)

// DefaultMassDeactivation is the share of an establishment's active persons
// of one kind a complete file may deactivate without confirmation.
const DefaultMassDeactivation = 0.30

// ClosedYearSetting is the per-establishment setting the changeover sets
// between its steps 2 and 4: the school year whose ordinary imports are
// refused (imports.md rule 10).
const ClosedYearSetting = "rollover.closed_year"

// Importer applies the national directory files to the establishments
// through the store. It never parses XML itself: the readers of
// internal/siecle, internal/sts, internal/aaf and internal/onde do.
type Importer struct {
	Store   *store.Store
	Keyring ident.Keyring
	// MassDeactivation is the share of the active persons of one kind a
	// complete file may deactivate without confirmation (0: the default).
	MassDeactivation float64
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

	divisions map[string]*sillage.Division // this year's, by code
	groups    map[string]*sillage.Group    // this year's option groups, by code
	divByID   map[int64]string
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
	// create, when set, creates the establishment if it is unknown (AAF).
	create *sillage.Establishment
	// aafStructures are recorded for the establishment (AAF).
	aafStructures map[string]string
	apply         func(t *txn) error
}

// transact runs spec in one transaction: the establishment must exist (or be
// created), the year must not be closed; apply plans, checks the guard and
// writes; the report and the audit entry are written in the same
// transaction. A dry run rolls everything back.
func (im *Importer) transact(ctx context.Context, spec txSpec, opts Options, rep *Report) error {
	rep.Complete = spec.complete
	err := im.Store.Write(ctx, func(tx *store.Tx) error {
		t := &txn{im: im, ctx: ctx, tx: tx, uai: spec.uai, year: spec.year, opts: opts, rep: rep, src: spec.src,
			today: sillage.Today(tx.Now())}
		if t.year == 0 {
			t.year = sillage.SchoolYearOf(tx.Now())
		}
		rep.SchoolYear = t.year
		est, err := tx.GetEstablishment(ctx, spec.uai)
		switch {
		case sillage.KindOf(err) == sillage.KindNotFound && spec.create != nil:
			if err := tx.CreateEstablishment(ctx, *spec.create); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, "", opts.actor(), audit.EstablishmentCreated, string(spec.uai), spec.create.Name+" (import AAF)"); err != nil {
				return err
			}
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
		closed, err := tx.GetSetting(ctx, spec.uai, ClosedYearSetting, "")
		if err != nil {
			return err
		}
		if closed != "" && closed == strconv.Itoa(int(t.year)) {
			return sillage.Errorf(sillage.KindUnavailable, "l'année %s est close pour %s (changement d'année en cours) : importez le fichier d'initialisation de l'année %s",
				t.year, spec.uai, t.year+1)
		}
		for id, name := range spec.aafStructures {
			if err := tx.SetAAFStructure(ctx, spec.uai, id, name); err != nil {
				return err
			}
		}
		if err := t.step("start"); err != nil {
			return err
		}
		if err := spec.apply(t); err != nil {
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
		body, err := rep.JSON()
		if err != nil {
			return err
		}
		ir := store.ImportReport{Source: string(spec.source), FileName: rep.FileName, SchoolYear: t.year, CreatedBy: opts.Actor.ID, Report: string(body)}
		if err := tx.CreateImportReport(ctx, spec.uai, &ir); err != nil {
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
	switch {
	case errors.Is(err, errDryRun):
		return nil
	case err != nil:
		var held *MassDeactivationError
		if errors.As(err, &held) {
			rep.setStatus(StatusHeld, err.Error())
		} else {
			rep.setStatus(StatusRefused, sillage.Message(err))
		}
		rep.ID, rep.TransferQueued = 0, false
		return err
	}
	return nil
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
