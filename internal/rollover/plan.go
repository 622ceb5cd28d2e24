package rollover

import (
	"context"
	"fmt"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// The plan is the dry run ("passage à blanc"): for each establishment and
// step, its state and what the step would do, with counts. It only reads.

// StepPlan is one step of one establishment: its state and what it would do.
type StepPlan struct {
	Step          Step     `json:"etape"`
	Label         string   `json:"libelle"`
	Window        Window   `json:"dates"`
	State         string   `json:"etat"`
	StateLabel    string   `json:"etat_libelle"`
	ProgressDone  int      `json:"avancement_fait,omitempty"`
	ProgressTotal int      `json:"avancement_total,omitempty"`
	Error         string   `json:"erreur,omitempty"`
	Counts        []Count  `json:"comptes"`
	Details       []string `json:"details,omitempty"`
	Warnings      []string `json:"avertissements,omitempty"`
	// Blocked says why the step cannot run now (its predecessor).
	Blocked string `json:"refus,omitempty"`
	// Report is the report of a step done.
	Report *StepReport `json:"rapport,omitempty"`
	// Simulation is what step 4's import would do (the importer's dry run:
	// the one kept when the file was uploaded, or the dry run's own).
	Simulation *Simulation `json:"simulation,omitempty"`
}

func (p *StepPlan) count(key, label string, n int) {
	p.Counts = append(p.Counts, Count{Key: key, Label: label, N: int64(n)})
}

// Get returns the figure of key (0 when absent).
func (p StepPlan) Get(key string) int64 {
	for _, c := range p.Counts {
		if c.Key == key {
			return c.N
		}
	}
	return 0
}

// EstablishmentPlan is one establishment's changeover.
type EstablishmentPlan struct {
	UAI   sillage.UAI         `json:"uai"`
	Name  string              `json:"nom"`
	Steps [StepCount]StepPlan `json:"etapes"`
	// Next is the first step not done (0: all done).
	Next Step `json:"etape_suivante"`
}

// Plan is the changeover of the instance (or of one establishment).
type Plan struct {
	Year           sillage.SchoolYear  `json:"annee"`
	Calendar       Calendar            `json:"calendrier"`
	Establishments []EstablishmentPlan `json:"etablissements"`
	// Totals are the counts of each step summed over the establishments.
	Totals [StepCount][]Count `json:"totaux"`
}

// YearSpan returns the instants bounding school year y: 1 August to 1 August.
func YearSpan(y sillage.SchoolYear) (time.Time, time.Time) {
	return time.Date(int(y), time.August, 1, 0, 0, 0, 0, time.UTC), time.Date(int(y)+1, time.August, 1, 0, 0, 0, 0, time.UTC)
}

// Plan computes the dry run of year for the given establishments (nil: all).
func (e *Engine) Plan(ctx context.Context, year sillage.SchoolYear, uais []sillage.UAI) (*Plan, error) {
	targets, err := e.targets(ctx, uais)
	if err != nil {
		return nil, err
	}
	p := &Plan{Year: year}
	if err := e.Store.Read(ctx, func(tx *store.Tx) (err error) { p.Calendar, err = LoadCalendar(ctx, tx, year); return err }); err != nil {
		return nil, err
	}
	for _, uai := range targets {
		ep, err := e.PlanOne(ctx, year, uai)
		if err != nil {
			return nil, err
		}
		p.Establishments = append(p.Establishments, *ep)
		for i, sp := range ep.Steps {
			for _, c := range sp.Counts {
				p.Totals[i] = addCount(p.Totals[i], c)
			}
		}
	}
	return p, nil
}

func addCount(list []Count, c Count) []Count {
	for i := range list {
		if list[i].Key == c.Key {
			list[i].N += c.N
			return list
		}
	}
	return append(list, c)
}

// PlanOne computes one establishment's dry run, in one read transaction.
func (e *Engine) PlanOne(ctx context.Context, year sillage.SchoolYear, uai sillage.UAI) (*EstablishmentPlan, error) {
	return e.planOne(ctx, year, uai, nil)
}

// planOne is PlanOne with the simulation of step 4's import just run (nil:
// the one kept when the file was uploaded, if any).
func (e *Engine) planOne(ctx context.Context, year sillage.SchoolYear, uai sillage.UAI, sim *Simulation) (*EstablishmentPlan, error) {
	ep := &EstablishmentPlan{UAI: uai}
	err := e.Store.Read(ctx, func(tx *store.Tx) error {
		est, err := tx.Establishments().GetEstablishment(ctx, uai)
		if err != nil {
			return err
		}
		ep.Name = est.Name
		cal, err := LoadCalendar(ctx, tx, year)
		if err != nil {
			return err
		}
		steps, err := tx.Rollover().ListRolloverStepsOf(ctx, uai, year)
		if err != nil {
			return err
		}
		for _, s := range Steps {
			sp := &ep.Steps[s-1]
			sp.Step, sp.Label, sp.Window, sp.StateLabel = s, s.Label(), cal.Step(s), StateLabel("")
			for _, st := range steps {
				if st.Step == int(s) {
					sp.State, sp.StateLabel, sp.Error = st.State, StateLabel(st.State), st.Error
					sp.ProgressDone, sp.ProgressTotal = st.ProgressDone, st.ProgressTotal
					if st.State == sillage.StepDone {
						sp.Report, _ = ParseReport(st.Report)
					}
				}
			}
			if sp.State != sillage.StepDone {
				if ep.Next == 0 {
					ep.Next = s
				}
				if sp.Blocked, err = Order(ctx, tx, year, s, uai); err != nil {
					return err
				}
			}
		}
		pl := planner{e: e, ctx: ctx, tx: tx, uai: uai, year: year, cal: cal, sim: sim}
		if err := pl.purge(&ep.Steps[0]); err != nil {
			return err
		}
		if err := pl.archive(&ep.Steps[1]); err != nil {
			return err
		}
		if err := pl.cleanup(&ep.Steps[2]); err != nil {
			return err
		}
		if err := pl.directory(&ep.Steps[3]); err != nil {
			return err
		}
		return pl.periods(&ep.Steps[4])
	})
	return ep, err
}

type planner struct {
	e    *Engine
	ctx  context.Context
	tx   *store.Tx
	uai  sillage.UAI
	year sillage.SchoolYear
	cal  Calendar
	sim  *Simulation // step 4's dry run (nil: the one kept at upload)
}

func (pl planner) purge(sp *StepPlan) error {
	c, err := pl.tx.Rollover().CountTrash(pl.ctx, pl.uai, time.Time{})
	if err != nil {
		return err
	}
	sp.count("evaluations", "Évaluations dans la corbeille", c.Evaluations)
	sp.count("sheets", "Fiches dans la corbeille", c.Sheets)
	sp.count("documents", "Documents dans la corbeille", c.Documents)
	sp.count("class_spaces", "Espaces de classe archivés l'an dernier", c.ClassSpaces)
	last := expiredArchiveYear(pl.year, pl.e.retention())
	expired, err := expiredArchives(pl.ctx, pl.tx, pl.uai, last)
	if err != nil {
		return err
	}
	sp.count("archives", fmt.Sprintf("Archives de classe dont la conservation (%d ans) est échue", pl.e.retention().ArchiveYears), len(expired))
	if len(expired) > 0 {
		years := map[sillage.SchoolYear]int{}
		var order []sillage.SchoolYear
		for _, a := range expired {
			if years[a.SchoolYear] == 0 {
				order = append(order, a.SchoolYear)
			}
			years[a.SchoolYear]++
		}
		for _, y := range order {
			sp.Details = append(sp.Details, fmt.Sprintf("Archives de classe de %s supprimées : %d", y, years[y]))
		}
	}
	admins, err := pl.tx.People().ListPersons(pl.ctx, pl.uai, sillage.PersonFilter{Role: sillage.RoleAdministrator, ActiveOnly: true})
	if err != nil {
		return err
	}
	sent, err := pl.tx.Rollover().ListRolloverNotices(pl.ctx, pl.uai, pl.year, NoticeTrash)
	if err != nil {
		return err
	}
	sp.Details = append(sp.Details, fmt.Sprintf("Avertissement aux %d administrateur(s) le %s (%d déjà envoyé(s)) : la corbeille sera vidée le %s.",
		len(admins), pl.cal.TrashWarning.French(), len(sent), pl.cal.Steps[0].From.French()))
	return nil
}

func (pl planner) archive(sp *StepPlan) error {
	divs, err := pl.tx.Rollover().ListDivisionArchiveCounts(pl.ctx, pl.uai, pl.year)
	if err != nil {
		return err
	}
	var results, reports int
	for _, d := range divs {
		results += d.Results
		reports += d.ReportPDFs
		sp.Details = append(sp.Details, fmt.Sprintf("%s : %d élève(s), %d évaluation(s), %d résultat(s), %d commentaire(s), %d bilan(s) du livret scolaire",
			ClassArchiveName(pl.year, d.Code), d.Students, d.Evaluations, d.Results, d.Comments, d.ReportPDFs))
	}
	exports, err := pl.tx.Livret().ListLSUExports(pl.ctx, pl.uai, pl.year)
	if err != nil {
		return err
	}
	nfiles := 0
	for _, x := range exports {
		if x.FileSHA256 != "" {
			nfiles++
		}
	}
	from, to := YearSpan(pl.year)
	students, err := pl.tx.Rollover().ListYearStudents(pl.ctx, pl.uai, pl.year, from, to)
	if err != nil {
		return err
	}
	natt, attSize, err := pl.tx.Rollover().CountYearAttachments(pl.ctx, pl.uai, from, to)
	if err != nil {
		return err
	}
	spaces, err := pl.tx.Rollover().ListClassSpaces(pl.ctx, pl.uai, sillage.ClassSpaceFilter{SchoolYear: pl.year})
	if err != nil {
		return err
	}
	sp.count("class_archives", "Archives de classe à écrire", len(divs))
	sp.count("results", "Résultats archivés", results)
	sp.count("report_pdfs", "Bilans du livret scolaire (PDF)", reports)
	sp.count("lsu_files", "Fichiers LSU exportés", nfiles)
	sp.count("student_archives", "Archives d'élève à écrire", len(students))
	sp.count("attachments", "Fichiers joints copiés", natt)
	sp.count("class_spaces", "Espaces de classe mis à la corbeille", len(spaces))
	sp.Details = append(sp.Details,
		"Contenu de chaque archive de classe : "+ClassArchiveContents,
		"Contenu de chaque archive d'élève : "+StudentArchiveContents,
		fmt.Sprintf("Fichiers joints des fiches de l'année : %d (%s)", natt, sillage.FormatSize(attSize)))
	if nfiles > 0 {
		sp.Details = append(sp.Details, fmt.Sprintf("%d fichier(s) LSU exporté(s) : dans l'archive de leur division, ou dans %s pour l'établissement entier",
			nfiles, EstablishmentArchiveName(pl.year)))
	}
	return nil
}

func (pl planner) cleanup(sp *StepPlan) error {
	c, err := pl.tx.Rollover().CountYearScoped(pl.ctx, pl.uai, pl.year)
	if err != nil {
		return err
	}
	groups, err := pl.tx.Rollover().ListYearLimitedGroups(pl.ctx, pl.uai)
	if err != nil {
		return err
	}
	managers := map[int64]bool{}
	for _, g := range groups {
		for _, m := range g.Managers {
			managers[m] = true
		}
	}
	sp.count("divisions", "Divisions supprimées", c.Divisions)
	sp.count("option_groups", "Groupes d'option supprimés", c.OptionGroups)
	sp.count("free_groups", "Groupes libres limités à l'année supprimés", c.FreeYearGroups)
	sp.count("timetable_groups", "Groupes issus de l'emploi du temps supprimés", c.TimetableGroups)
	sp.count("periods", "Périodes supprimées", c.Periods)
	sp.count("import_reports", "Bilans d'import supprimés", c.ImportReports)
	sp.count("credential_lists", "Fichiers d'identifiants supprimés", c.CredentialLists)
	sp.count("address_book", "Entrées du carnet d'adresses supprimées", 0)
	sp.count("managers", "Gestionnaires de groupes prévenus", len(managers))
	warned, err := pl.tx.Rollover().ListRolloverNotices(pl.ctx, pl.uai, pl.year, NoticeGroupWarning)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("Message aux gestionnaires le %s (%d déjà envoyé(s))", pl.cal.GroupWarning.French(), len(warned))
	if !pl.cal.GroupReminder.IsZero() {
		line += ", rappel le " + pl.cal.GroupReminder.French()
	}
	sp.Details = append(sp.Details, line+" ; bilan envoyé au passage de l'étape 3.",
		"Sillage n'a pas de carnet d'adresses : rien à supprimer.")
	if c.ClassSpaces > 0 {
		sp.Warnings = append(sp.Warnings, fmt.Sprintf("%d espace(s) de classe encore ouvert(s) : ils seront mis à la corbeille avant la suppression des divisions", c.ClassSpaces))
	}
	return nil
}

func (pl planner) directory(sp *StepPlan) error {
	f, err := pl.tx.Rollover().GetRolloverFile(pl.ctx, pl.uai, pl.year)
	switch {
	case err == nil:
		sp.Details = append(sp.Details, fmt.Sprintf("Fichier d'initialisation %s déposé : %s (%s), le %s", pl.year+1, f.Name, sillage.FormatSize(f.Size), sillage.FormatDate(f.UploadedAt)))
	case sillage.KindOf(err) == sillage.KindNotFound:
		if sp.State != sillage.StepDone {
			sp.Warnings = append(sp.Warnings, fmt.Sprintf("Aucun fichier d'initialisation %s déposé : à donner en ligne de commande (--file %s=CHEMIN) ou à déposer sur la page de l'établissement", pl.year+1, pl.uai))
		}
	default:
		return err
	}
	// What the import would do, and whether the mass-deactivation guard
	// would hold it: the dry run's simulation, else the one kept when the
	// file was uploaded (or when the guard held a run).
	sim := pl.sim
	if sim == nil && sp.State != sillage.StepDone {
		kept, err := LoadSimulation(pl.ctx, pl.tx, pl.uai, pl.year)
		if err != nil {
			return err
		}
		if kept != nil && (kept.Held || (f.SHA256 != "" && kept.SHA256 == f.SHA256)) {
			sim = kept
		}
	}
	if sim != nil {
		addSimulation(sp, sim, sim == pl.sim)
	}
	cutoff := pl.e.retention().OtherAccountCutoff(pl.tx.Now())
	old, err := pl.tx.Rollover().ListRetentionCandidates(pl.ctx, pl.uai, cutoff)
	if err != nil {
		return err
	}
	byRole := map[sillage.Role]int{}
	for _, p := range old {
		byRole[p.Role]++
	}
	sp.count("retention_accounts", fmt.Sprintf("Comptes désactivés depuis plus de %d ans supprimés", pl.e.retention().OtherAccountYears), len(old))
	for _, r := range []sillage.Role{sillage.RoleTeacher, sillage.RoleParent, sillage.RoleStaff, sillage.RoleDirector, sillage.RoleAdministrator} {
		if byRole[r] > 0 {
			sp.Details = append(sp.Details, fmt.Sprintf("dont %d %s", byRole[r], r.Label()))
		}
	}
	admins, err := pl.tx.People().ListPersons(pl.ctx, pl.uai, sillage.PersonFilter{Role: sillage.RoleAdministrator, ActiveOnly: true})
	if err != nil {
		return err
	}
	sp.count("admins_invited", "Administrateurs invités à vérifier l'annuaire", len(admins))
	w, err := EffectiveBlocking(pl.ctx, pl.tx, pl.uai, pl.cal)
	if err != nil {
		return err
	}
	sp.Details = append(sp.Details, fmt.Sprintf("Blocage des accès (%s) du %s au %s inclus", rolesLabel(pl.cal.Blocking.Roles), w.From.French(), w.Until.French()))
	return nil
}

func (pl planner) periods(sp *StepPlan) error {
	existing, err := pl.tx.Periods().ListPeriods(pl.ctx, pl.uai, pl.year+1)
	if err != nil {
		return err
	}
	sp.count("existing_periods", fmt.Sprintf("Périodes %s déjà définies", pl.year+1), len(existing))
	term := pl.cal.TermStart
	if t, err := pl.tx.Livret().GetTermStart(pl.ctx, pl.uai, pl.year+1); err == nil && !t.IsZero() {
		term = t
	}
	if len(existing) > 0 {
		sp.Details = append(sp.Details, "Les périodes déjà définies sont gardées telles quelles.")
		return nil
	}
	for _, p := range ProposePeriods(pl.year+1, sillage.Trimester, term) {
		sp.Details = append(sp.Details, fmt.Sprintf("Proposition : %s du %s au %s", p.Label(), p.Start.French(), p.End.French()))
	}
	sp.count("periods_created", "Périodes créées (trimestres proposés)", sillage.Trimester.Count())
	return nil
}

func rolesLabel(rs []sillage.Role) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += r.Label()
	}
	return s
}

// humanSize is "1,2 Mo".
