package rollover

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// Window is a span of days, both ends included.
type Window struct {
	From sillage.Date `json:"du"`
	To   sillage.Date `json:"au"`
}

// Contains reports whether d is in the window (an open end is unbounded).
func (w Window) Contains(d sillage.Date) bool {
	if !w.From.IsZero() && d.Before(w.From) {
		return false
	}
	return w.To.IsZero() || !d.After(w.To)
}

// French is "du 15/07/2026 au 31/07/2026".
func (w Window) French() string {
	switch {
	case w.From.IsZero() && w.To.IsZero():
		return "non fixée"
	case w.To.IsZero() || w.To == w.From:
		return "le " + w.From.French()
	}
	return "du " + w.From.French() + " au " + w.To.French()
}

// Blocking is the access-blocking window of rollover.md step 4: the
// profiles who sign in during it see only the message.
type Blocking struct {
	From  sillage.Date   `json:"du"`
	Until sillage.Date   `json:"au"` // last blocked day (access reopens the day after)
	Roles []sillage.Role `json:"profils"`
	// Message may hold {debut}, {fin} and {annee}: the window's first and
	// last days and the new school year, filled for each establishment.
	Message string `json:"message"`
	// AllowOverride lets an establishment's administrators shorten or
	// lengthen their window and edit the message, within EarliestFrom and
	// LatestUntil.
	AllowOverride bool         `json:"modifiable"`
	EarliestFrom  sillage.Date `json:"debut_au_plus_tot"`
	LatestUntil   sillage.Date `json:"fin_au_plus_tard"`
}

// Calendar is the operator's calendar of the changeover closing school
// year Year (the changeover happens in the summer of Year+1).
type Calendar struct {
	Year sillage.SchoolYear `json:"annee"`
	// Steps are the dates (or windows) of steps 1 to 5.
	Steps [StepCount]Window `json:"etapes"`
	// TrashWarning: administrators are told the trash will be emptied.
	TrashWarning sillage.Date `json:"avertissement_corbeille"`
	// GroupWarning and GroupReminder (optional): managers of free groups
	// limited to the school year are told their groups will be deleted.
	GroupWarning  sillage.Date `json:"avertissement_groupes"`
	GroupReminder sillage.Date `json:"rappel_groupes,omitempty"`
	// TermStart is the first day of term of Year+1.
	TermStart sillage.Date `json:"rentree"`
	Blocking  Blocking     `json:"blocage"`
	// Saved: the operator stored it (else these are the defaults).
	Saved     bool      `json:"-"`
	UpdatedAt time.Time `json:"-"`
	UpdatedBy string    `json:"-"`
}

// DefaultMessage is the blocking message of the seed.
const DefaultMessage = "Madame, Monsieur, bonjour,\n\nVotre espace Sillage est indisponible du {debut} au {fin} inclus, pour permettre le paramétrage des services et des comptes pour l'année {annee}.\n\nCordialement,\nL'équipe Sillage"

// DefaultCalendar is rollover.md's calendar for the changeover closing
// year: steps 1 to 3 from mid-July, step 4 in the last fortnight of
// August, step 5 before term; the trash warning two weeks before step 1,
// the group warning on 30 June; students and parents blocked from step 4
// until the first day of term.
func DefaultCalendar(year sillage.SchoolYear) Calendar {
	y := int(year) + 1
	d := func(m time.Month, day int) sillage.Date { return sillage.NewDate(y, m, day) }
	term := FirstWeekday(d(time.September, 1))
	c := Calendar{Year: year,
		TrashWarning: d(time.July, 1),
		GroupWarning: d(time.June, 30),
		TermStart:    term,
	}
	c.Steps[0] = Window{d(time.July, 15), d(time.July, 31)}
	c.Steps[1] = Window{d(time.July, 15), d(time.July, 31)}
	c.Steps[2] = Window{d(time.July, 17), d(time.July, 31)}
	c.Steps[3] = Window{d(time.August, 17), d(time.August, 31)}
	c.Steps[4] = Window{d(time.August, 24), addDays(term, -1)}
	c.Blocking = Blocking{From: c.Steps[3].From, Until: addDays(term, -1), Roles: []sillage.Role{sillage.RoleStudent, sillage.RoleParent},
		Message: DefaultMessage, AllowOverride: true, EarliestFrom: c.Steps[3].From, LatestUntil: addDays(term, 13)}
	return c
}

// FirstWeekday returns d, or the Monday after when d falls on a weekend.
func FirstWeekday(d sillage.Date) sillage.Date {
	for d.Time().Weekday() == time.Saturday || d.Time().Weekday() == time.Sunday {
		d = addDays(d, 1)
	}
	return d
}

func addDays(d sillage.Date, n int) sillage.Date { return sillage.DateOf(d.Time().AddDate(0, 0, n)) }

// Step returns the window of step s.
func (c Calendar) Step(s Step) Window { return c.Steps[s-1] }

// Validate checks the calendar's order: each step starts no earlier than
// the one before, warnings come before the steps they announce, the term
// starts after step 4, the blocking window is in order and within its limits.
func (c Calendar) Validate() error {
	for i, w := range c.Steps {
		if w.From.IsZero() {
			return sillage.Errorf(sillage.KindInvalid, "la date de l'étape %d est obligatoire", i+1)
		}
		if !w.To.IsZero() && w.To.Before(w.From) {
			return sillage.Errorf(sillage.KindInvalid, "l'étape %d finit avant de commencer", i+1)
		}
		if i > 0 && w.From.Before(c.Steps[i-1].From) {
			return sillage.Errorf(sillage.KindInvalid, "l'étape %d ne peut pas commencer avant l'étape %d", i+1, i)
		}
	}
	if sillage.SchoolYearOf(c.Steps[0].From.Time()) < c.Year {
		return sillage.Errorf(sillage.KindInvalid, "l'étape 1 doit avoir lieu après le début de l'année %s", c.Year)
	}
	if !c.TrashWarning.IsZero() && c.TrashWarning.After(c.Steps[0].From) {
		return sillage.Errorf(sillage.KindInvalid, "l'avertissement de la corbeille doit précéder l'étape 1")
	}
	if c.GroupWarning.IsZero() {
		return sillage.Errorf(sillage.KindInvalid, "la date du message aux gestionnaires de groupes est obligatoire")
	}
	if !c.GroupWarning.Before(c.Steps[2].From) {
		return sillage.Errorf(sillage.KindInvalid, "le message aux gestionnaires de groupes doit précéder l'étape 3")
	}
	if !c.GroupReminder.IsZero() && (c.GroupReminder.Before(c.GroupWarning) || !c.GroupReminder.Before(c.Steps[2].From)) {
		return sillage.Errorf(sillage.KindInvalid, "le rappel aux gestionnaires de groupes doit suivre le premier message et précéder l'étape 3")
	}
	if c.TermStart.IsZero() || !c.TermStart.After(c.Steps[3].From) {
		return sillage.Errorf(sillage.KindInvalid, "la rentrée doit suivre le début de l'étape 4")
	}
	if sillage.SchoolYearOf(c.TermStart.Time()) != c.Year+1 {
		return sillage.Errorf(sillage.KindInvalid, "la rentrée doit appartenir à l'année scolaire %s", c.Year+1)
	}
	b := c.Blocking
	if b.From.IsZero() || b.Until.IsZero() || b.Until.Before(b.From) {
		return sillage.Errorf(sillage.KindInvalid, "la fenêtre de blocage des accès est invalide")
	}
	if len(b.Roles) == 0 {
		return sillage.Errorf(sillage.KindInvalid, "choisissez au moins un profil à bloquer")
	}
	for _, r := range b.Roles {
		if r == sillage.RoleAdministrator {
			return sillage.Errorf(sillage.KindInvalid, "les administrateurs ne peuvent pas être bloqués : ils vérifient l'annuaire pendant le blocage")
		}
	}
	if strings.TrimSpace(b.Message) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le message de blocage est obligatoire")
	}
	if b.AllowOverride {
		if b.EarliestFrom.IsZero() || b.LatestUntil.IsZero() || b.From.Before(b.EarliestFrom) || b.Until.After(b.LatestUntil) {
			return sillage.Errorf(sillage.KindInvalid, "la fenêtre de blocage doit tenir dans les limites laissées aux établissements")
		}
	}
	return nil
}

// Blocks reports whether the calendar's blocking concerns role.
func (b Blocking) Blocks(role sillage.Role) bool { return slices.Contains(b.Roles, role) }

// LoadCalendar returns the stored calendar of year, or the default one.
func LoadCalendar(ctx context.Context, tx *store.Tx, year sillage.SchoolYear) (Calendar, error) {
	rc, err := tx.Rollover().GetRolloverCalendar(ctx, year)
	if sillage.KindOf(err) == sillage.KindNotFound {
		return DefaultCalendar(year), nil
	}
	if err != nil {
		return Calendar{}, err
	}
	c := DefaultCalendar(year)
	if err := json.Unmarshal([]byte(rc.Calendar), &c); err != nil {
		return Calendar{}, fmt.Errorf("calendrier %s illisible : %w", year, err)
	}
	c.Year, c.Saved, c.UpdatedAt, c.UpdatedBy = year, true, rc.UpdatedAt, rc.UpdatedBy
	return c, nil
}

// SaveCalendar validates and stores the calendar of its year.
func SaveCalendar(ctx context.Context, tx *store.Tx, c Calendar, by string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.Rollover().SetRolloverCalendar(ctx, c.Year, string(b), by)
}

// frenchDay is "17 août" or "1er septembre 2026" (withYear).
func frenchDay(d sillage.Date, withYear bool) string {
	if d.IsZero() {
		return ""
	}
	day := fmt.Sprint(d.Day)
	if d.Day == 1 {
		day = "1er"
	}
	s := day + " " + months[d.Month-1]
	if withYear {
		s += fmt.Sprintf(" %d", d.Year)
	}
	return s
}

var months = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// LongDate is "mercredi 15 juillet 2026".
func LongDate(d sillage.Date) string {
	if d.IsZero() {
		return ""
	}
	days := [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	return days[d.Time().Weekday()] + " " + frenchDay(d, true)
}

// ParseWindow reads "AAAA-MM-JJ..AAAA-MM-JJ" (or one date: a single day).
func ParseWindow(s string) (Window, error) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "..")
	from, err := sillage.ParseDate(a)
	if err != nil {
		return Window{}, err
	}
	to := from
	if found {
		if to, err = sillage.ParseDate(b); err != nil {
			return Window{}, err
		}
	}
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return Window{}, sillage.Errorf(sillage.KindInvalid, "période %q invalide : DEBUT..FIN attendu (AAAA-MM-JJ..AAAA-MM-JJ)", s)
	}
	return Window{From: from, To: to}, nil
}

// AuditCalendar records a calendar change in the instance's log.
func AuditCalendar(ctx context.Context, tx *store.Tx, who audit.Actor, c Calendar) error {
	var steps []string
	for i, w := range c.Steps {
		steps = append(steps, fmt.Sprintf("étape %d %s", i+1, w.French()))
	}
	return audit.Record(ctx, tx, "", who, AuditCalendarAction, fmt.Sprintf("Calendrier du changement d'année %s", c.Year),
		strings.Join(steps, " ; ")+fmt.Sprintf(" ; blocage du %s au %s", c.Blocking.From.French(), c.Blocking.Until.French()))
}

// Audit actions of the changeover besides audit.RolloverStep.
const (
	AuditCalendarAction = "rollover.calendar"
	AuditBlockingAction = "rollover.blocking"
)
