package rollover

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// The messages of the changeover, in the internal message box. Each is
// sent at most once per recipient and changeover (rollover_notices).

// Kinds of notices.
const (
	NoticeTrash          = "trash_warning"   // before step 1, to administrators
	NoticeGroupWarning   = "group_warning"   // before step 3, to managers of year-limited free groups
	NoticeGroupReminder  = "group_reminder"  // the optional second warning
	NoticeGroupSummary   = "group_summary"   // when step 3 runs
	NoticeDirectoryCheck = "directory_check" // after step 4, to administrators
)

// Subjects of the messages (the group ones are the seed's, word for word).
const (
	SubjectGroupWarning = "[Changement d'année] Suppression des groupes libres limités à l'année scolaire"
	SubjectGroupSummary = "[Changement d'année] Bilan des suppressions de groupes libres limités à l'année scolaire"
	subjectTrashFormat  = "[Changement d'année] La corbeille sera vidée le %s"
	subjectDirectory    = "[Changement d'année] Vérifiez l'annuaire de la nouvelle année"
)

// Sender is the sender shown in the message box.
const Sender = "Sillage — changement d'année"

// GroupPath is the page where a manager changes a group's lifetime.
func GroupPath(id int64) string { return fmt.Sprintf("/groupes/%d", id) }

// GroupInReach returns a group whose lifetime the person changes: one of
// its managers, or an administrator; to anyone else it is "not found".
func GroupInReach(ctx context.Context, tx *store.Tx, uai sillage.UAI, personID int64, role sillage.Role, id int64) (sillage.Group, error) {
	g, err := tx.People().GetGroup(ctx, uai, id)
	if err != nil {
		return g, err
	}
	if role != sillage.RoleAdministrator && !slices.Contains(g.Managers, personID) {
		return g, sillage.Errorf(sillage.KindNotFound, "groupe introuvable")
	}
	return g, nil
}

// TrashPath is the establishment's trash page.
const TrashPath = "/corbeille"

var errNoticeSent = errors.New("notice already sent")

// send delivers a message and records the notice, in tx; it reports false
// (and writes nothing) when the notice was already sent.
func send(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear, kind string, to int64, subject, body string) (bool, error) {
	done, err := tx.Rollover().ListRolloverNotices(ctx, uai, year, kind)
	if err != nil {
		return false, err
	}
	for _, n := range done {
		if n.RecipientID == to {
			return false, nil
		}
	}
	m := sillage.InboxMessage{RecipientID: to, Sender: Sender, Subject: subject, Body: body}
	if err := tx.Accounts().SendMessage(ctx, uai, &m); err != nil {
		return false, err
	}
	ok, err := tx.Rollover().AddRolloverNotice(ctx, uai, sillage.RolloverNotice{SchoolYear: year, Kind: kind, RecipientID: to, MessageID: m.ID})
	if err == nil && !ok {
		return false, errNoticeSent
	}
	return ok, err
}

// NoticeReport says what SendDueNotices sent.
type NoticeReport struct {
	Sent map[string]int `json:"envoyes"` // by kind
}

// SendDueNotices sends the messages whose date has come (by the store's
// clock): the trash warning and the group warning and reminder of every
// changeover not past its step. It is safe to call often and from several
// processes: each message goes once.
func SendDueNotices(ctx context.Context, st *store.Store) (*NoticeReport, error) {
	rep := &NoticeReport{Sent: map[string]int{}}
	now := st.Clock().Now()
	today := sillage.Today(now)
	cur := sillage.SchoolYearOf(now)
	var uais []sillage.UAI
	cals := map[sillage.SchoolYear]Calendar{}
	err := st.Read(ctx, func(tx *store.Tx) error {
		es, err := tx.Establishments().ListEstablishments(ctx)
		for _, e := range es {
			uais = append(uais, e.UAI)
		}
		if err != nil {
			return err
		}
		for _, y := range []sillage.SchoolYear{cur - 1, cur} {
			if cals[y], err = LoadCalendar(ctx, tx, y); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, y := range []sillage.SchoolYear{cur - 1, cur} {
		cal := cals[y]
		// A changeover whose warnings are not due yet, or whose step 3 is
		// over, has nothing to send.
		first := cal.GroupWarning
		if !cal.TrashWarning.IsZero() && cal.TrashWarning.Before(first) {
			first = cal.TrashWarning
		}
		end := cal.Steps[2].To
		if end.IsZero() {
			end = cal.Steps[2].From
		}
		if today.Before(first) || today.After(end) {
			continue
		}
		for _, uai := range uais {
			if !cal.TrashWarning.IsZero() && !today.Before(cal.TrashWarning) {
				n, err := sendTrashWarnings(ctx, st, uai, cal)
				if err != nil {
					return rep, err
				}
				rep.Sent[NoticeTrash] += n
			}
			if !today.Before(cal.GroupWarning) {
				n, err := sendGroupWarnings(ctx, st, uai, cal, NoticeGroupWarning)
				if err != nil {
					return rep, err
				}
				rep.Sent[NoticeGroupWarning] += n
			}
			if !cal.GroupReminder.IsZero() && !today.Before(cal.GroupReminder) {
				n, err := sendGroupWarnings(ctx, st, uai, cal, NoticeGroupReminder)
				if err != nil {
					return rep, err
				}
				rep.Sent[NoticeGroupReminder] += n
			}
		}
	}
	return rep, nil
}

// stepDone reports whether step s of the changeover is done for uai.
func stepDone(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear, s Step) (bool, error) {
	st, err := getStep(ctx, tx, uai, year, int(s))
	return st.State == sillage.StepDone, err
}

// pending reports whether some of recipients have not received kind yet
// and the step it announces is not done (a read: most calls find nothing).
func pending(ctx context.Context, st *store.Store, uai sillage.UAI, year sillage.SchoolYear, s Step, kind string, recipients func(tx *store.Tx) ([]int64, error)) (bool, error) {
	var todo bool
	err := st.Read(ctx, func(tx *store.Tx) error {
		if done, err := stepDone(ctx, tx, uai, year, s); err != nil || done {
			return err
		}
		ids, err := recipients(tx)
		if err != nil || len(ids) == 0 {
			return err
		}
		sent, err := tx.Rollover().ListRolloverNotices(ctx, uai, year, kind)
		if err != nil {
			return err
		}
		got := map[int64]bool{}
		for _, n := range sent {
			got[n.RecipientID] = true
		}
		for _, id := range ids {
			if !got[id] {
				todo = true
			}
		}
		return nil
	})
	return todo, err
}

func adminIDs(ctx context.Context, uai sillage.UAI) func(tx *store.Tx) ([]int64, error) {
	return func(tx *store.Tx) ([]int64, error) {
		admins, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: sillage.RoleAdministrator, ActiveOnly: true})
		var ids []int64
		for _, a := range admins {
			ids = append(ids, a.ID)
		}
		return ids, err
	}
}

func managerIDs(ctx context.Context, uai sillage.UAI) func(tx *store.Tx) ([]int64, error) {
	return func(tx *store.Tx) ([]int64, error) {
		groups, err := tx.Rollover().ListYearLimitedGroups(ctx, uai)
		_, ids := managerGroups(groups)
		return ids, err
	}
}

func sendTrashWarnings(ctx context.Context, st *store.Store, uai sillage.UAI, cal Calendar) (int, error) {
	if todo, err := pending(ctx, st, uai, cal.Year, StepPurge, NoticeTrash, adminIDs(ctx, uai)); err != nil || !todo {
		return 0, err
	}
	sent := 0
	err := st.Write(ctx, func(tx *store.Tx) error {
		if done, err := stepDone(ctx, tx, uai, cal.Year, StepPurge); err != nil || done {
			return err
		}
		admins, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: sillage.RoleAdministrator, ActiveOnly: true})
		if err != nil || len(admins) == 0 {
			return err
		}
		c, err := tx.Rollover().CountTrash(ctx, uai, time.Time{})
		if err != nil {
			return err
		}
		subject := fmt.Sprintf(subjectTrashFormat, cal.Steps[0].From.French())
		body := TrashWarningBody(cal, c)
		for _, a := range admins {
			ok, err := send(ctx, tx, uai, cal.Year, NoticeTrash, a.ID, subject, body)
			if err != nil {
				return err
			}
			if ok {
				sent++
			}
		}
		return nil
	})
	if errors.Is(err, errNoticeSent) {
		return 0, nil // another process sent them meanwhile
	}
	return sent, err
}

// TrashWarningBody is the trash warning sent to administrators.
func TrashWarningBody(cal Calendar, c sillage.TrashCounts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Bonjour,\n\nDans le cadre de la procédure de changement d'année, la corbeille de l'établissement sera vidée définitivement le %s (étape 1).\n\n",
		LongDate(cal.Steps[0].From))
	fmt.Fprintf(&b, "Elle contient aujourd'hui :\n- %d évaluation(s)\n- %d fiche(s) de situation professionnelle\n- %d document(s)\n- %d espace(s) de classe archivé(s) au changement d'année précédent\n\n",
		c.Evaluations, c.Sheets, c.Documents, c.ClassSpaces)
	fmt.Fprintf(&b, "Vérifiez que tout ce qu'elle contient peut être supprimé, et restaurez avant cette date ce qui doit être gardé : %s\n\n", TrashPath)
	b.WriteString("Un élément mis à la corbeille quelques jours avant cette date sera lui aussi supprimé, sans possibilité de récupération.\n\nCordialement")
	return b.String()
}

// managerGroups groups the year-limited free groups by manager.
func managerGroups(groups []sillage.Group) (map[int64][]sillage.Group, []int64) {
	by := map[int64][]sillage.Group{}
	for _, g := range groups {
		for _, m := range g.Managers {
			by[m] = append(by[m], g)
		}
	}
	ids := make([]int64, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return by, ids
}

func sendGroupWarnings(ctx context.Context, st *store.Store, uai sillage.UAI, cal Calendar, kind string) (int, error) {
	if todo, err := pending(ctx, st, uai, cal.Year, StepCleanup, kind, managerIDs(ctx, uai)); err != nil || !todo {
		return 0, err
	}
	sent := 0
	err := st.Write(ctx, func(tx *store.Tx) error {
		if done, err := stepDone(ctx, tx, uai, cal.Year, StepCleanup); err != nil || done {
			return err
		}
		groups, err := tx.Rollover().ListYearLimitedGroups(ctx, uai)
		if err != nil || len(groups) == 0 {
			return err
		}
		by, ids := managerGroups(groups)
		for _, m := range ids {
			ok, err := send(ctx, tx, uai, cal.Year, kind, m, SubjectGroupWarning, GroupWarningBody(cal, by[m]))
			if err != nil {
				return err
			}
			if ok {
				sent++
			}
		}
		return nil
	})
	if errors.Is(err, errNoticeSent) {
		return 0, nil
	}
	return sent, err
}

// GroupWarningBody is the seed's warning to a manager of year-limited
// free groups, each with the link to change its lifetime.
func GroupWarningBody(cal Calendar, groups []sillage.Group) string {
	day := cal.Steps[2].From.French()
	var b strings.Builder
	fmt.Fprintf(&b, "Bonjour,\n\nDans le cadre de la procédure de changement d'année, les groupes libres à durée de vie limitée à l'année scolaire seront supprimés le %s.\n\n", day)
	b.WriteString("Vous trouverez ci-après la liste des groupes dont vous êtes le ou l'un des gestionnaires et qui seront supprimés :\n\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "- %s (modifier la durée de vie : %s)\n", g.Label, GroupPath(g.ID))
	}
	fmt.Fprintf(&b, "\nSi vous créez de nouveaux groupes libres à durée de vie limitée à l'année scolaire avant le %s, ils seront également supprimés.\n\nCordialement", day)
	return b.String()
}

// GroupSummaryBody is the seed's summary sent when step 3 deleted the groups.
func GroupSummaryBody(day sillage.Date, groups []sillage.Group) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Bonjour,\n\nDans le cadre de la procédure de changement d'année, les groupes libres à durée de vie limitée à l'année scolaire ont été supprimés le %s.\n\n", day.French())
	b.WriteString("Vous trouverez ci-après la liste des groupes supprimés dont vous étiez le ou l'un des gestionnaires :\n\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "- %s\n", g.Label)
	}
	b.WriteString("\nCordialement")
	return b.String()
}
