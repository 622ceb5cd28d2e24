package rollover

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
)

// Step 4 imports a complete file of N+1: the students who left (a third of
// a lycée's every year) are deactivated, often more than the importer's
// mass-deactivation share. The guard then holds the import until the
// operator confirms it for the establishment. The importer's dry run tells
// beforehand what the import would do and whether the guard would hold:
// when a file is uploaded (kept in the establishment's settings for the
// plan) and in the dry run of step 4.

// SimulationSetting is the per-establishment setting holding the last
// simulation of step 4 (JSON Simulation): written when the initialisation
// file is uploaded and when the guard holds the step, cleared when step 4
// is done.
const SimulationSetting = "rollover.step4_simulation"

// Confirmations are the establishments whose step 4 may deactivate more
// than the mass-deactivation share (the operator's choice), and the
// previews the operator confirmed.
type Confirmations struct {
	All  bool          `json:"tous,omitempty"`
	UAIs []sillage.UAI `json:"uai,omitempty"`
	// Previews are the digests of the preview the operator confirmed, by
	// establishment (Preview.Digests): each step job checks its own
	// before starting.
	Previews map[sillage.UAI]string `json:"-"`
}

// Has reports whether uai's mass deactivation is confirmed.
func (c Confirmations) Has(uai sillage.UAI) bool { return c.All || slices.Contains(c.UAIs, uai) }

// Simulation is what step 4's import would do (or, Held, what the guard
// held) for one establishment. Counts and division codes only: no name.
type Simulation struct {
	Year        sillage.SchoolYear `json:"annee"`
	File        string             `json:"fichier"`
	SHA256      string             `json:"sha256,omitempty"` // the uploaded file simulated ("" for a file given to the command)
	Source      string             `json:"source,omitempty"`
	At          time.Time          `json:"date"`
	Created     int                `json:"eleves_crees"`
	Updated     int                `json:"eleves_modifies"`
	Deactivated int                `json:"eleves_desactives"`
	Reactivated int                `json:"eleves_reactives"`
	Unchanged   int                `json:"eleves_inchanges"`
	Divisions   []string           `json:"divisions_creees"`
	IndexIn     int                `json:"index_entrees"`
	Rejects     int                `json:"rejets"`
	// Guards are the kinds of persons the file would deactivate beyond
	// the share (the figures of the guard).
	Guards []directory.Guard `json:"garde_desactivation,omitempty"`
	// Confirmed: the operator confirmed the mass deactivation (dry run).
	Confirmed bool `json:"confirmee,omitempty"`
	// Held: a run of step 4 was held by the guard (not a dry run).
	Held bool `json:"bloquee,omitempty"`
	// Error: the file could not be simulated (why).
	Error string `json:"erreur,omitempty"`
}

// Trips reports whether the file deactivates more than the share.
func (s *Simulation) Trips() bool { return s != nil && len(s.Guards) > 0 }

// WouldHold reports whether the guard would hold the import.
func (s *Simulation) WouldHold() bool { return s.Trips() && !s.Confirmed }

// GuardText is the guard's figures: "élèves : 120 désactivé(s) sur 360 actif(s) (33 %, seuil 30 %)".
func (s *Simulation) GuardText() string { return GuardText(s.Guards) }

// GuardText writes the figures of the guards.
func GuardText(guards []directory.Guard) string {
	var parts []string
	for _, g := range guards {
		parts = append(parts, fmt.Sprintf("%s : %d désactivé(s) sur %d actif(s) (%.0f %%, seuil %.0f %%)",
			strings.ToLower(g.Label), g.Deactivated, g.Active, 100*g.Share, 100*g.Threshold))
	}
	return strings.Join(parts, ", ")
}

func simulationOf(rep *directory.Report, year sillage.SchoolYear, file, sha string) *Simulation {
	s := summarize(rep, file)
	return &Simulation{Year: year, File: file, SHA256: sha, Source: rep.SourceLabel, At: rep.At, Created: s.Created,
		Updated: s.Updated, Deactivated: s.Deactivated, Reactivated: s.Reactivated, Unchanged: s.Unchanged, Divisions: s.Divisions,
		IndexIn: s.IndexIn, Rejects: s.Rejects, Guards: rep.Guards}
}

// HeldError is step 4 held by the mass-deactivation guard: nothing was
// imported; confirming the deactivation for the establishment lets the
// next run import the file.
type HeldError struct {
	UAI    sillage.UAI
	File   string
	Guards []directory.Guard
}

func (e *HeldError) Error() string {
	th := directory.DefaultMassDeactivation
	if len(e.Guards) > 0 {
		th = e.Guards[0].Threshold
	}
	return fmt.Sprintf("désactivation massive à confirmer pour %s : le fichier %s désactiverait des comptes au-delà du seuil de %.0f %% (%s) ; rien n'a été importé. "+
		"Si le fichier est complet et concerne bien cet établissement (en fin d'année, les élèves partis sont désactivés), "+
		"cochez « confirmer la désactivation massive » sur la page du changement d'année et relancez l'étape 4 "+
		"(en ligne de commande : --confirm-mass-deactivation)", e.UAI, e.File, 100*th, GuardText(e.Guards))
}

// Unwrap makes the error one of kind Conflict.
func (e *HeldError) Unwrap() error { return sillage.Errorf(sillage.KindConflict, "%s", e.Error()) }

// LoadSimulation returns the stored simulation of year's step 4 for uai
// (nil when there is none, or it is of another year).
func LoadSimulation(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear) (*Simulation, error) {
	v, err := tx.Periods().GetSetting(ctx, uai, SimulationSetting, "")
	if err != nil || v == "" {
		return nil, err
	}
	var s Simulation
	if json.Unmarshal([]byte(v), &s) != nil || s.Year != year {
		return nil, nil
	}
	return &s, nil
}

func saveSimulation(ctx context.Context, tx *store.Tx, uai sillage.UAI, s *Simulation) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return tx.Periods().SetSetting(ctx, uai, SimulationSetting, string(b))
}

// Simulate runs the importer's dry run on the file step 4 would import for
// uai (the one given to the request, else the uploaded one, else the AAF
// files given): nothing is written. The guard's figures are reported
// whether or not it would hold (Confirmed says whether it is confirmed).
func (e *Engine) Simulate(ctx context.Context, req Request, uai sillage.UAI) (*Simulation, error) {
	r := &run{e: e, ctx: ctx, req: req, uai: uai, year: req.Year, step: StepDirectory}
	rep, file, sha, err := r.importFile(true)
	if err != nil {
		return nil, err
	}
	s := simulationOf(rep, req.Year, file, sha)
	s.Confirmed = r.confirmed()
	for i := range s.Guards {
		s.Guards[i].Confirmed = s.Confirmed
	}
	return s, nil
}

// RecordSimulation simulates the uploaded file of uai and keeps the result
// for the plan and the operator's page (the establishments whose file
// would trip the guard, with the figures).
func (e *Engine) RecordSimulation(ctx context.Context, year sillage.SchoolYear, uai sillage.UAI) (*Simulation, error) {
	s, err := e.Simulate(ctx, Request{Year: year, Step: StepDirectory}, uai)
	if err != nil {
		return nil, err
	}
	s.Confirmed = false
	err = e.Store.Write(ctx, func(tx *store.Tx) error { return saveSimulation(ctx, tx, uai, s) })
	return s, err
}

// addSimulation writes a simulation into step 4's plan.
func addSimulation(sp *StepPlan, s *Simulation, live bool) {
	sp.Simulation = s
	when := "simulation de l'import"
	if !live {
		when = "simulation du " + sillage.FormatDate(s.At)
		if s.Held {
			when = "import retenu le " + sillage.FormatDate(s.At)
		}
	}
	if s.Error != "" {
		sp.Warnings = append(sp.Warnings, fmt.Sprintf("Simulation de l'import impossible : %s", s.Error))
		return
	}
	if s.Held {
		sp.count("mass_deactivation_hold", "Désactivation massive à confirmer (au-delà du seuil)", 1)
		sp.Warnings = append(sp.Warnings, fmt.Sprintf("Import de %s retenu le %s par la garde de désactivation massive : %s. Confirmez la désactivation massive pour cet établissement, puis relancez l'étape 4.",
			s.File, sillage.FormatDate(s.At), s.GuardText()))
		return
	}
	sp.count("students_created", "Élèves créés ("+when+")", s.Created)
	sp.count("students_updated", "Élèves mis à jour, dans leur nouvelle division ("+when+")", s.Updated)
	sp.count("students_deactivated", "Élèves désactivés ("+when+")", s.Deactivated)
	sp.count("divisions_created", "Divisions créées d'après les élèves ("+when+")", len(s.Divisions))
	sp.count("index_entries", "Élèves entrant dans l'index des transferts ("+when+")", s.IndexIn)
	hold := 0
	if s.WouldHold() {
		hold = 1
	}
	sp.count("mass_deactivation_hold", "Désactivation massive à confirmer (au-delà du seuil)", hold)
	line := fmt.Sprintf("Import de %s (%s) : %d élève(s) créé(s), %d mis à jour, %d désactivé(s), %d réactivé(s), %d inchangé(s) ; %d rejet(s)",
		s.File, when, s.Created, s.Updated, s.Deactivated, s.Reactivated, s.Unchanged, s.Rejects)
	sp.Details = append(sp.Details, line)
	if len(s.Divisions) > 0 {
		sp.Details = append(sp.Details, "Divisions créées : "+strings.Join(s.Divisions, ", "))
	}
	switch {
	case s.WouldHold():
		sp.Warnings = append(sp.Warnings, fmt.Sprintf("Désactivation massive : %s. L'import sera retenu tant que l'opérateur ne l'a pas confirmée pour cet établissement.", s.GuardText()))
	case s.Trips():
		sp.Details = append(sp.Details, fmt.Sprintf("Désactivation massive confirmée : %s.", s.GuardText()))
	default:
		sp.Details = append(sp.Details, "Désactivations sous le seuil de désactivation massive : pas de confirmation nécessaire.")
	}
}

// dryRunImport simulates step 4's import for its dry run: nil when step 4
// is done (nothing more to import); a Simulation saying why when the file
// cannot be simulated.
func (e *Engine) dryRunImport(ctx context.Context, req Request, uai sillage.UAI) *Simulation {
	var cur sillage.RolloverStep
	err := e.Store.Read(ctx, func(tx *store.Tx) (err error) {
		cur, err = getStep(ctx, tx, uai, req.Year, int(StepDirectory))
		return err
	})
	if err == nil && cur.State == sillage.StepDone {
		return nil
	}
	if err == nil {
		var s *Simulation
		if s, err = e.Simulate(ctx, req, uai); err == nil {
			return s
		}
	}
	msg := sillage.Message(err)
	if sillage.KindOf(err) == sillage.KindInternal {
		msg = err.Error()
	}
	return &Simulation{Year: req.Year, At: e.Store.Clock().Now(), Error: msg}
}
