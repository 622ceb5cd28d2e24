package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
)

// The establishment's side of the changeover: the state of its steps and
// their reports, the year N+1 initialisation file it uploads for step 4,
// and step 5, the periods of N+1 by the assistant or by hand.

type establishmentRollover struct {
	Year     sillage.SchoolYear
	Next     sillage.SchoolYear
	Calendar rollover.Calendar
	Plan     *rollover.EstablishmentPlan
	File     *sillage.RolloverFile
	Blocking rollover.BlockingWindow
}

func (s *Server) establishmentRolloverData(r *http.Request, uai sillage.UAI) (*establishmentRollover, error) {
	year, err := s.rolloverYear(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	d := &establishmentRollover{Year: year, Next: year + 1}
	if d.Plan, err = s.rolloverEngine().PlanOne(ctx, year, uai); err != nil {
		return nil, err
	}
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		if d.Calendar, err = rollover.LoadCalendar(ctx, tx, year); err != nil {
			return err
		}
		if f, err := tx.Rollover().GetRolloverFile(ctx, uai, year); err == nil {
			d.File = &f
		} else if sillage.KindOf(err) != sillage.KindNotFound {
			return err
		}
		d.Blocking, err = rollover.EffectiveBlocking(ctx, tx, uai, d.Calendar)
		return err
	})
	return d, err
}

func (s *Server) rolloverEstablishmentPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	d, err := s.establishmentRolloverData(r, req.P.UAI)
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "rollover_establishment.html", "Changement d'année "+d.Year.String(), d)
}

func (s *Server) rolloverEstablishmentReport(w http.ResponseWriter, r *http.Request, req *Request) error {
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(r.FormValue("etape"))
	step, err := rollover.ParseStep(n)
	if err != nil {
		return err
	}
	return s.renderStepReport(w, r, req, year, step, req.P.UAI, "/changement-annee")
}

// rolloverUploadEstablishment stores the establishment's own file.
func (s *Server) rolloverUploadEstablishment(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.rolloverUpload(w, r, req, req.P.UAI, "/changement-annee")
}

// rolloverUpload stores a SIECLE students export of N+1 for step 4 (uai ""
// takes the establishment from the form: the operator's page).
func (s *Server) rolloverUpload(w http.ResponseWriter, r *http.Request, req *Request, uai sillage.UAI, back string) error {
	limit := s.blobs.MaxSize()
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return sillage.Errorf(sillage.KindInvalid, "fichier trop volumineux : la limite est de %s ; déposez l'export au format ZIP", sillage.FormatSize(limit))
		}
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez l'export SIECLE des élèves de la nouvelle année (XML ou ZIP)")
	}
	defer r.MultipartForm.RemoveAll()
	if uai == "" {
		u, err := sillage.ParseUAI(r.FormValue("uai"))
		if err != nil {
			return err
		}
		uai = u
	}
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	file, hdr, err := r.FormFile("fichier")
	if err != nil {
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez l'export SIECLE des élèves de la nouvelle année (XML ou ZIP)")
	}
	defer file.Close()
	ctx := r.Context()
	if err := s.store.Read(ctx, func(tx *store.Tx) error { _, err := tx.Establishments().GetEstablishment(ctx, uai); return err }); err != nil {
		return err
	}
	box, err := s.secrets()
	if err != nil {
		return err
	}
	// Sealed: the file waits weeks for step 4 with every student's INE.
	put := rollover.SealedPut(s.blobs, box)
	name := strings.TrimSpace(hdr.Filename)
	if name == "" {
		name = "fichier"
	}
	f, err := rollover.UploadInitFile(ctx, s.store, put, uai, year, name, file, hdr.Size, req.P.PersonID, req.Actor())
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Fichier d'initialisation %s « %s » (%s) déposé pour %s : l'étape 4 l'importera.", year+1, f.Name, sillage.FormatSize(f.Size), uai)
	if sim := s.simulateInitFile(r, year, uai); sim != nil {
		msg += fmt.Sprintf(" Simulation de l'import : %d élève(s) créé(s), %d mis à jour, %d désactivé(s), %d division(s) créée(s).",
			sim.Created, sim.Updated, sim.Deactivated, len(sim.Divisions))
		if sim.Trips() {
			msg += " Désactivation massive (" + sim.GuardText() + ") : l'opérateur devra la confirmer au lancement de l'étape 4."
		}
	}
	return s.redirect(w, r, req, back, msg)
}

// simulateInitFile runs the importer's dry run on the file just uploaded
// and keeps the result for the plan and the operator's page (nil when it
// cannot: no INE key, a file the import refuses — step 4 will say why).
func (s *Server) simulateInitFile(r *http.Request, year sillage.SchoolYear, uai sillage.UAI) *rollover.Simulation {
	e := s.rolloverEngine()
	if e.Importer == nil {
		s.log.Warn("rollover: the uploaded file cannot be simulated without the INE key", "uai", uai)
		return nil
	}
	sim, err := e.RecordSimulation(r.Context(), year, uai)
	if err != nil {
		s.log.Warn("rollover: simulation of the uploaded file", "uai", uai, "err", err)
		return nil
	}
	return sim
}

type periodsPageData struct {
	Year      sillage.SchoolYear
	Next      sillage.SchoolYear
	Kind      sillage.PeriodKind
	TermStart sillage.Date
	Proposal  []sillage.Period
	Existing  []sillage.Period
	Step      rollover.StepPlan
	Blocked   string
}

// rolloverPeriodsPage is step 5's assistant: it proposes the periods of
// N+1 from the first day of term; the dates can be changed before they
// are created.
func (s *Server) rolloverPeriodsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	d, err := s.periodsData(r, req)
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "rollover_periods.html", "Périodes de l'année "+d.Next.String(), d)
}

func (s *Server) periodsData(r *http.Request, req *Request) (*periodsPageData, error) {
	year, err := s.rolloverYear(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	d := &periodsPageData{Year: year, Next: year + 1, Kind: sillage.Trimester}
	if r.FormValue("type") == string(sillage.Semester) {
		d.Kind = sillage.Semester
	}
	ep, err := s.rolloverEngine().PlanOne(ctx, year, req.P.UAI)
	if err != nil {
		return nil, err
	}
	d.Step, d.Blocked = ep.Steps[rollover.StepPeriods-1], ep.Steps[rollover.StepPeriods-1].Blocked
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		cal, err := rollover.LoadCalendar(ctx, tx, year)
		if err != nil {
			return err
		}
		d.TermStart = cal.TermStart
		if t, err := tx.Livret().GetTermStart(ctx, req.P.UAI, d.Next); err == nil && !t.IsZero() {
			d.TermStart = t
		}
		if v := r.FormValue("rentree"); v != "" {
			if t, err := sillage.ParseDate(v); err == nil && !t.IsZero() {
				d.TermStart = t
			}
		}
		d.Existing, err = tx.Periods().ListPeriods(ctx, req.P.UAI, d.Next)
		return err
	})
	d.Proposal = rollover.ProposePeriods(d.Next, d.Kind, d.TermStart)
	return d, err
}

// rolloverPeriodsCreate runs step 5 with the dates of the form.
func (s *Server) rolloverPeriodsCreate(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	kind := sillage.PeriodKind(r.PostFormValue("type"))
	if kind != sillage.Trimester && kind != sillage.Semester {
		return sillage.Errorf(sillage.KindInvalid, "choisissez des trimestres ou des semestres")
	}
	term, err := sillage.ParseDate(r.PostFormValue("rentree"))
	if err != nil {
		return err
	}
	if term.IsZero() {
		return sillage.Errorf(sillage.KindInvalid, "la date de la rentrée est obligatoire")
	}
	choice := &rollover.PeriodsChoice{Kind: kind, TermStart: term}
	for i := 1; i <= kind.Count(); i++ {
		from, err := sillage.ParseDate(r.PostFormValue(fmt.Sprintf("p%d_du", i)))
		if err != nil {
			return err
		}
		to, err := sillage.ParseDate(r.PostFormValue(fmt.Sprintf("p%d_au", i)))
		if err != nil {
			return err
		}
		if from.IsZero() || to.IsZero() {
			return sillage.Errorf(sillage.KindInvalid, "les dates de la période %d sont obligatoires", i)
		}
		choice.Dates = append(choice.Dates, rollover.Window{From: from, To: to})
	}
	o := s.rolloverEngine().RunOne(r.Context(), rollover.Request{Year: year, Step: rollover.StepPeriods, Actor: req.Actor(), Periods: choice}, req.P.UAI)
	switch o.Status {
	case rollover.OutcomeDone:
		return s.redirect(w, r, req, "/changement-annee", fmt.Sprintf("Périodes de l'année %s créées : l'étape 5 est terminée.", year+1))
	case rollover.OutcomeAlready:
		return s.redirect(w, r, req, "/changement-annee", "L'étape 5 était déjà faite : rien n'a changé.")
	case rollover.OutcomeRefused:
		return sillage.Errorf(sillage.KindConflict, "%s", o.Message)
	}
	if sillage.KindOf(o.Err) == sillage.KindInvalid {
		return o.Err
	}
	return sillage.Errorf(sillage.KindUnavailable, "l'étape 5 a échoué : %s", o.Message)
}
