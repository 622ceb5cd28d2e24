package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
)

// The operator's changeover page (rollover.md): the calendar, the dry run,
// each step's state per establishment (with its progress, its report or
// its error) and the button that hands the next step to the background
// jobs. The operator sees counts, never a record's content.

// rolloverYear reads ?annee= (default: the school year being closed).
func (s *Server) rolloverYear(r *http.Request) (sillage.SchoolYear, error) {
	v := strings.TrimSpace(r.FormValue("annee"))
	if v == "" {
		return sillage.SchoolYearOf(s.clock.Now()), nil
	}
	// "2025" or "2025-2026" (how the pages print a school year).
	first, _, _ := strings.Cut(v, "-")
	n, err := strconv.Atoi(first)
	if err != nil || n < 2000 || n > 2100 {
		return 0, sillage.Errorf(sillage.KindInvalid, "année %q invalide", v)
	}
	return sillage.SchoolYear(n), nil
}

// rolloverEngine is the changeover's engine (Deps.Rollover).
func (s *Server) rolloverEngine() *rollover.Engine { return s.rollover }

// stepCell is one step of one establishment on the page.
type stepCell struct {
	Step          rollover.Step
	State         string
	Label         string
	ProgressDone  int
	ProgressTotal int
	Percent       int
	Error         string
	// Stuck: running under an expired lease (its process died) since
	// Since (the schools' time), last held by Owner; it can be relaunched.
	Stuck bool
	Since string
	Owner string
}

type rolloverRow struct {
	UAI   sillage.UAI
	Name  string
	Steps []stepCell
	Next  rollover.Step // 0: all done
	Why   string        // why Next cannot run now (its predecessor, or it is queued or running)
	File  string        // step 4's uploaded file
	// Guard is step 4's mass-deactivation guard when the file would trip
	// it (simulated at upload) or a run was held by it: its figures.
	Guard *rollover.Simulation
	// Story is what was done, when, by whom, and what can be undone until when.
	Story []storyLine
}

// storyLine is one step of an establishment's changeover as it happened.
type storyLine struct {
	Step rollover.Step
	Text string
	// UndoUntil is when the step's undo pack expires (zero: no undo).
	UndoUntil time.Time
	// UndoBlocked says why the undo is not possible now.
	UndoBlocked string
}

type rolloverPageData struct {
	Year     sillage.SchoolYear
	Prev     sillage.SchoolYear
	Next     sillage.SchoolYear
	Calendar rollover.Calendar
	Steps    []rollover.Step
	Rows     []rolloverRow
	// Ready counts, per step, the establishments whose previous step is
	// done and this one not: what the button would enqueue.
	Ready  map[rollover.Step]int
	Active bool // a step is queued or running: the table refreshes itself
	Queue  bool
	Plan   *rollover.Plan
	Roles  []sillage.Role
	// CalSteps and PlanSteps are the calendar's and the plan's steps, for the template.
	CalSteps  []calStep
	PlanSteps []planStep
	// Guarded are the rows whose step 4 would trip (or tripped) the
	// mass-deactivation guard.
	Guarded []rolloverRow
	// Stuck counts the steps whose process died (relaunch them).
	Stuck int
}

type calStep struct {
	Step   rollover.Step
	Window rollover.Window
}

type planStep struct {
	Step   rollover.Step
	Totals []rollover.Count
	// One establishment's plan: its details.
	One *rollover.StepPlan
}

func (s *Server) rolloverStates(r *http.Request, year sillage.SchoolYear) (*rolloverPageData, error) {
	ctx := r.Context()
	d := &rolloverPageData{Year: year, Prev: year - 1, Next: year + 1, Steps: rollover.Steps, Ready: map[rollover.Step]int{}, Queue: s.hooks.Jobs != nil,
		Roles: []sillage.Role{sillage.RoleStudent, sillage.RoleParent, sillage.RoleTeacher, sillage.RoleDirector, sillage.RoleStaff}}
	now := s.clock.Now()
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		var err error
		if d.Calendar, err = rollover.LoadCalendar(ctx, tx, year); err != nil {
			return err
		}
		es, err := tx.Establishments().ListEstablishments(ctx)
		if err != nil {
			return err
		}
		steps, err := tx.Rollover().ListRolloverSteps(ctx, year)
		if err != nil {
			return err
		}
		by := map[sillage.UAI]map[int]sillage.RolloverStep{}
		for _, st := range steps {
			if by[st.UAI] == nil {
				by[st.UAI] = map[int]sillage.RolloverStep{}
			}
			by[st.UAI][st.Step] = st
		}
		for _, e := range es {
			row := rolloverRow{UAI: e.UAI, Name: e.Name}
			prevDone := true
			for _, step := range rollover.Steps {
				st := by[e.UAI][int(step)]
				c := stepCell{Step: step, State: st.State, Label: rollover.StateLabel(st.State), ProgressDone: st.ProgressDone,
					ProgressTotal: st.ProgressTotal, Error: st.Error}
				if st.ProgressTotal > 0 {
					c.Percent = 100 * st.ProgressDone / st.ProgressTotal
				}
				if st.Stuck(now) {
					c.Stuck, c.Since, c.Owner = true, sillage.FormatDateTime(st.StuckSince()), st.LeaseOwner
					d.Stuck++
				}
				if st.State == sillage.StepRunning || st.State == sillage.StepQueued {
					d.Active = true
				}
				if st.State != sillage.StepDone && row.Next == 0 {
					row.Next = step
					switch {
					case !prevDone:
						row.Why = "étape précédente non terminée"
					case c.Stuck:
						row.Why = "étape " + strconv.Itoa(int(step)) + " bloquée depuis le " + c.Since
					case st.State == sillage.StepRunning || st.State == sillage.StepQueued:
						row.Why = "étape " + strconv.Itoa(int(step)) + " " + rollover.StateLabel(st.State)
					default:
						d.Ready[step]++
					}
				}
				prevDone = st.State == sillage.StepDone
				row.Steps = append(row.Steps, c)
			}
			f, err := tx.Rollover().GetRolloverFile(ctx, e.UAI, year)
			if err == nil {
				row.File = f.Name
			}
			packs, err := tx.Rollover().ListRolloverPacks(ctx, e.UAI)
			if err != nil {
				return err
			}
			row.Story = rolloverStory(year, by[e.UAI], packs, tx.Now())
			if by[e.UAI][int(rollover.StepDirectory)].State != sillage.StepDone {
				sim, err := rollover.LoadSimulation(ctx, tx, e.UAI, year)
				if err != nil {
					return err
				}
				if sim.Trips() && (sim.Held || (f.SHA256 != "" && sim.SHA256 == f.SHA256)) {
					row.Guard = sim
					d.Guarded = append(d.Guarded, row)
				}
			}
			d.Rows = append(d.Rows, row)
		}
		return nil
	})
	sort.Slice(d.Rows, func(i, j int) bool { return d.Rows[i].UAI < d.Rows[j].UAI })
	sort.Slice(d.Guarded, func(i, j int) bool { return d.Guarded[i].UAI < d.Guarded[j].UAI })
	for _, st := range rollover.Steps {
		d.CalSteps = append(d.CalSteps, calStep{st, d.Calendar.Step(st)})
	}
	return d, err
}

func (s *Server) rolloverOperatorPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	d, err := s.rolloverStates(r, year)
	if err != nil {
		return err
	}
	if r.FormValue("plan") != "" {
		var only []sillage.UAI
		if u := strings.TrimSpace(r.FormValue("uai")); u != "" {
			uai, err := sillage.ParseUAI(u)
			if err != nil {
				return err
			}
			only = []sillage.UAI{uai}
		}
		if d.Plan, err = s.rolloverEngine().Plan(r.Context(), year, only); err != nil {
			return err
		}
		for i, st := range rollover.Steps {
			ps := planStep{Step: st, Totals: d.Plan.Totals[i]}
			if len(d.Plan.Establishments) == 1 {
				ps.One = &d.Plan.Establishments[0].Steps[i]
			}
			d.PlanSteps = append(d.PlanSteps, ps)
		}
	}
	return s.render(w, r, req, http.StatusOK, "rollover_operator.html", "Changement d'année "+year.String(), d)
}

// rolloverProgress is the table of states alone (htmx refresh).
func (s *Server) rolloverProgress(w http.ResponseWriter, r *http.Request, req *Request) error {
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	d, err := s.rolloverStates(r, year)
	if err != nil {
		return err
	}
	return s.renderFragment(w, r, req, "rollover_operator.html", "rollover-states", d)
}

// stepForm is what the operator's step forms carry: the step, the year and
// at most one establishment (none: every one).
type stepForm struct {
	step rollover.Step
	year sillage.SchoolYear
	uais []sillage.UAI
}

// parseStepForm reads a step form; verb completes "choisissez l'étape à …"
// when the step is missing.
func (s *Server) parseStepForm(w http.ResponseWriter, r *http.Request, verb string) (stepForm, error) {
	var f stepForm
	if err := parseForm(w, r); err != nil {
		return f, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("etape")))
	if err != nil {
		return f, sillage.Errorf(sillage.KindInvalid, "choisissez l'étape à %s", verb)
	}
	if f.step, err = rollover.ParseStep(n); err != nil {
		return f, err
	}
	if f.year, err = s.rolloverYear(r); err != nil {
		return f, err
	}
	if u := strings.TrimSpace(r.PostFormValue("uai")); u != "" {
		uai, err := sillage.ParseUAI(u)
		if err != nil {
			return f, err
		}
		f.uais = []sillage.UAI{uai}
	}
	return f, nil
}

// rolloverEnqueue hands a step to the background jobs, for every ready
// establishment or one of them; for step 4, "confirmer" confirms the mass
// deactivation of the establishments enqueued.
func (s *Server) rolloverEnqueue(w http.ResponseWriter, r *http.Request, req *Request) error {
	f, err := s.parseStepForm(w, r, "lancer (1 à 5)")
	if err != nil {
		return err
	}
	step, year, uais := f.step, f.year, f.uais
	var confirm rollover.Confirmations
	if r.PostFormValue("confirmer") != "" {
		if uais == nil {
			confirm.All = true
		} else {
			confirm.UAIs = uais
		}
	}
	// The guards: the calendar, and the preview for a step that deletes.
	g := rollover.Guards{OffCalendar: strings.TrimSpace(r.PostFormValue("hors_calendrier")), Preview: strings.TrimSpace(r.PostFormValue("apercu"))}
	preview, err := s.rolloverEngine().Guard(r.Context(), year, step, uais, g)
	if err != nil {
		var ge *rollover.GuardError
		if !errors.As(err, &ge) {
			return err
		}
		status := http.StatusOK
		if g.OffCalendar != "" || g.Preview != "" {
			status = http.StatusConflict
		}
		uai := ""
		if uais != nil {
			uai = string(uais[0])
		}
		return s.render(w, r, req, status, "rollover_preview.html", fmt.Sprintf("Aperçu de l'étape %d", step), map[string]any{
			"Preview": ge.Preview, "Msg": ge.Msg, "Refused": status != http.StatusOK, "UAI": uai, "Confirm": r.PostFormValue("confirmer") != "",
			"Deletes": rollover.Deletes(step), "UndoDays": s.cfg.Retention.RolloverUndoDays})
	}
	confirm.Previews = preview.Digests()
	q, _ := s.hooks.Jobs.(rollover.Inserter)
	queued, refused, err := rollover.Enqueue(r.Context(), s.store, q, year, step, uais, req.P.Login, confirm)
	if err != nil {
		return err
	}
	to := fmt.Sprintf("/operateur/changement-annee?annee=%d", int(year))
	if len(refused) > 0 && len(queued) == 0 {
		var why []string
		for _, m := range refused {
			why = append(why, m)
		}
		sort.Strings(why)
		return sillage.Errorf(sillage.KindConflict, "%s", strings.Join(why, " ; "))
	}
	msg := fmt.Sprintf("Étape %d (%s) confiée aux tâches de fond pour %d établissement(s).", step, strings.ToLower(step.Label()), len(queued))
	if step == rollover.StepDirectory && (confirm.All || len(confirm.UAIs) > 0) {
		msg += " Désactivation massive confirmée."
	}
	return s.redirect(w, r, req, to, msg)
}

// rolloverRelaunch hands a stuck step of one establishment back to the
// background jobs (its process died: the step is running under an expired
// lease).
func (s *Server) rolloverRelaunch(w http.ResponseWriter, r *http.Request, req *Request) error {
	f, err := s.parseStepForm(w, r, "relancer (1 à 5)")
	if err != nil {
		return err
	}
	if len(f.uais) != 1 {
		return sillage.Errorf(sillage.KindInvalid, "choisissez l'établissement dont l'étape est à relancer")
	}
	step, year, uai := f.step, f.year, f.uais[0]
	q, _ := s.hooks.Jobs.(rollover.Inserter)
	if err := rollover.Relaunch(r.Context(), s.store, q, year, step, uai, req.P.Login); err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/operateur/changement-annee?annee=%d", int(year)),
		fmt.Sprintf("Étape %d relancée pour %s : une tâche de fond la reprend à ses points de reprise.", step, uai))
}

// rolloverUndo undoes a step for one establishment (or every one with a
// pack of the step): what it deleted comes back exactly.
func (s *Server) rolloverUndo(w http.ResponseWriter, r *http.Request, req *Request) error {
	f, err := s.parseStepForm(w, r, "annuler (1 à 4)")
	if err != nil {
		return err
	}
	step, year, uais := f.step, f.year, f.uais
	res, err := s.rolloverEngine().Undo(r.Context(), rollover.UndoRequest{Year: year, Step: step, UAIs: uais, Actor: req.Actor()})
	if err != nil {
		return err
	}
	var msgs []string
	for _, o := range res.Outcomes {
		if o.Status == rollover.UndoFailed || o.Status == rollover.UndoRefused {
			return sillage.Errorf(sillage.KindConflict, "%s", o.Message)
		}
		msgs = append(msgs, o.Message+".")
	}
	if len(msgs) == 0 {
		return sillage.Errorf(sillage.KindNotFound, "aucun établissement n'a de sauvegarde d'annulation de l'étape %d", step)
	}
	if s.hooks.Jobs != nil {
		if q, ok := s.hooks.Jobs.(interface {
			EnqueueCollect(ctx context.Context, trigger string) (int64, error)
		}); ok {
			_, _ = q.EnqueueCollect(r.Context(), "after")
		}
	}
	return s.redirect(w, r, req, fmt.Sprintf("/operateur/changement-annee?annee=%d", int(year)), strings.Join(msgs, " "))
}

// rolloverReportPage shows one step's report for one establishment.
func (s *Server) rolloverReportPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	uai, err := sillage.ParseUAI(r.FormValue("uai"))
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(r.FormValue("etape"))
	step, err := rollover.ParseStep(n)
	if err != nil {
		return err
	}
	return s.renderStepReport(w, r, req, year, step, uai, "/operateur/changement-annee?annee="+strconv.Itoa(int(year)))
}

func (s *Server) renderStepReport(w http.ResponseWriter, r *http.Request, req *Request, year sillage.SchoolYear, step rollover.Step, uai sillage.UAI, back string) error {
	ctx := r.Context()
	var st sillage.RolloverStep
	var est sillage.Establishment
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if est, err = tx.Establishments().GetEstablishment(ctx, uai); err != nil {
			return err
		}
		st, err = tx.Rollover().GetRolloverStep(ctx, uai, year, int(step))
		if sillage.KindOf(err) == sillage.KindNotFound {
			st, err = sillage.RolloverStep{UAI: uai, SchoolYear: year, Step: int(step)}, nil
		}
		return err
	})
	if err != nil {
		return err
	}
	rep, err := rollover.ParseReport(st.Report)
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "rollover_report.html", fmt.Sprintf("Étape %d — %s", step, est.Name), map[string]any{
		"Year": year, "Step": step, "Est": est, "State": st, "StateLabel": rollover.StateLabel(st.State), "Report": rep, "Back": back})
}

// rolloverCalendarSave stores the operator's calendar.
func (s *Server) rolloverCalendarSave(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	c := rollover.DefaultCalendar(year)
	var problems []string
	date := func(name string) sillage.Date {
		d, err := sillage.ParseDate(r.PostFormValue(name))
		if err != nil {
			problems = append(problems, sillage.Message(err))
		}
		return d
	}
	for i := range c.Steps {
		c.Steps[i] = rollover.Window{From: date(fmt.Sprintf("etape%d_du", i+1)), To: date(fmt.Sprintf("etape%d_au", i+1))}
	}
	c.TrashWarning, c.GroupWarning, c.GroupReminder = date("corbeille"), date("groupes"), date("rappel")
	c.TermStart = date("rentree")
	c.Blocking.From, c.Blocking.Until = date("blocage_du"), date("blocage_au")
	c.Blocking.EarliestFrom, c.Blocking.LatestUntil = date("blocage_min"), date("blocage_max")
	c.Blocking.Message = strings.TrimSpace(r.PostFormValue("blocage_message"))
	c.Blocking.AllowOverride = r.PostFormValue("blocage_modifiable") != ""
	c.Blocking.Roles = nil
	for _, v := range r.PostForm["blocage_profils"] {
		role, err := sillage.ParseRole(v)
		if err != nil {
			return err
		}
		c.Blocking.Roles = append(c.Blocking.Roles, role)
	}
	if len(problems) > 0 {
		return sillage.Errorf(sillage.KindInvalid, "%s", strings.Join(problems, " ; "))
	}
	err = s.store.Write(r.Context(), func(tx *store.Tx) error {
		if err := rollover.SaveCalendar(r.Context(), tx, c, req.P.Login); err != nil {
			return err
		}
		return rollover.AuditCalendar(r.Context(), tx, req.Actor(), c)
	})
	if err != nil {
		return err
	}
	s.blockingChanged("")
	return s.redirect(w, r, req, fmt.Sprintf("/operateur/changement-annee?annee=%d", int(year)), "Calendrier du changement d'année enregistré.")
}

// rolloverNoticesNow sends the messages whose date has come.
func (s *Server) rolloverNoticesNow(w http.ResponseWriter, r *http.Request, req *Request) error {
	rep, err := rollover.SendDueNotices(r.Context(), s.store)
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/operateur/changement-annee", fmt.Sprintf("Messages envoyés : %d avertissement(s) de la corbeille, %d message(s) aux gestionnaires de groupes, %d rappel(s).",
		rep.Sent[rollover.NoticeTrash], rep.Sent[rollover.NoticeGroupWarning], rep.Sent[rollover.NoticeGroupReminder]))
}

// rolloverUploadOperator stores an establishment's initialisation file.
func (s *Server) rolloverUploadOperator(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.rolloverUpload(w, r, req, "", "/operateur/changement-annee")
}

// rolloverStory tells an establishment's changeover: each step done or
// failed (when, by whom), each undo (when, by whom), and until when what
// a step deleted can still be restored.
func rolloverStory(year sillage.SchoolYear, steps map[int]sillage.RolloverStep, packs []sillage.RolloverPack, now time.Time) []storyLine {
	var out []storyLine
	for _, step := range rollover.Steps {
		st := steps[int(step)]
		line := storyLine{Step: step}
		switch st.State {
		case sillage.StepDone:
			line.Text = fmt.Sprintf("terminée le %s par %s", frenchDateTime(st.FinishedAt), actorOrDash(st.Actor))
		case sillage.StepFailed:
			line.Text = fmt.Sprintf("en échec le %s : %s", frenchDateTime(st.FinishedAt), st.Error)
		case sillage.StepRunning, sillage.StepQueued:
			line.Text = rollover.StateLabel(st.State)
		}
		for _, p := range packs {
			if p.SchoolYear != year || p.Step != int(step) {
				continue
			}
			switch {
			case p.Restored():
				undone := fmt.Sprintf("annulée le %s par %s", frenchDateTime(p.RestoredAt), actorOrDash(p.RestoredBy))
				if line.Text == "" {
					line.Text = undone
				} else {
					line.Text += " ; " + undone
				}
			case now.Before(p.ExpiresAt) && st.State != sillage.StepRunning && st.State != sillage.StepQueued && st.State != "":
				line.UndoUntil = p.ExpiresAt
				if next := steps[int(step)+1]; (step == rollover.StepArchive || step == rollover.StepCleanup) && next.State != "" {
					line.UndoBlocked = fmt.Sprintf("l'étape %d a été lancée", step+1)
				}
			}
		}
		if line.Text != "" {
			out = append(out, line)
		}
	}
	return out
}

func actorOrDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// frenchDateTime is "15/07/2026 à 08h00" in the schools' time zone.
func frenchDateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return sillage.FormatDateTime(t)
}
