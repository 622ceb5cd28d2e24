package rollover

import (
	"encoding/json"
	"fmt"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// cleanupCounts are what step 3 deleted (kept in its checkpoint, so a run
// resumed after the transaction committed reports them).
type cleanupCounts struct {
	ClassSpaces     int `json:"class_spaces"`
	FreeGroups      int `json:"free_groups"`
	Managers        int `json:"managers"`
	TimetableGroups int `json:"timetable_groups"`
	OptionGroups    int `json:"option_groups"`
	Divisions       int `json:"divisions"`
	Periods         int `json:"periods"`
	ImportReports   int `json:"import_reports"`
	CredentialLists int `json:"credential_lists"`
	InitFiles       int `json:"init_files"`
}

// cleanup is step 3: year N's divisions and option groups, the free groups
// limited to the school year (each manager receives the summary), the
// timetable groups (silently), the periods with their Livret Scolaire
// period reports, the import reports, the generated credential lists. The
// learning record is not touched: students and evaluations only lose
// their link to the deleted division. Everything happens in one
// transaction, the summary messages with it.
func (r *run) cleanup() (func(*store.Tx) error, error) {
	ctx, uai, year := r.ctx, r.uai, r.year
	cps, err := r.checkpoints()
	if err != nil {
		return nil, err
	}
	var c cleanupCounts
	if cp, ok := cps["cleanup"]; ok {
		if err := json.Unmarshal([]byte(cp.Detail), &c); err != nil {
			return nil, err
		}
	} else {
		var cal Calendar
		err := r.e.Store.Write(ctx, func(tx *store.Tx) (err error) {
			c = cleanupCounts{}
			if cal, err = LoadCalendar(ctx, tx, year); err != nil {
				return err
			}
			// What the step deletes is kept in the undo pack first.
			scoped, err := tx.Rollover().ListYearScopedIDs(ctx, uai, year)
			if err != nil {
				return err
			}
			if err := r.packSpaces(tx, scoped["class_spaces"]); err != nil {
				return err
			}
			for _, table := range []string{"groups", "periods", "divisions", "import_reports", "credential_lists", "rollover_files"} {
				if err := r.packRows(tx, table, scoped[table]); err != nil {
					return err
				}
			}
			if err := r.fail("pack"); err != nil {
				return err
			}
			// Spaces opened after step 2 go to the trash before their division goes.
			if c.ClassSpaces, err = trashSpaces(ctx, tx, uai, year); err != nil {
				return err
			}
			groups, err := tx.Rollover().ListYearLimitedGroups(ctx, uai)
			if err != nil {
				return err
			}
			by, managers := managerGroups(groups)
			today := sillage.Today(tx.Now())
			for _, m := range managers {
				if _, err := send(ctx, tx, uai, year, NoticeGroupSummary, m, SubjectGroupSummary, GroupSummaryBody(today, by[m])); err != nil {
					return err
				}
			}
			c.Managers = len(managers)
			if c.FreeGroups, err = tx.Rollover().DeleteGroupsOfKind(ctx, uai, year, sillage.GroupFree); err != nil {
				return err
			}
			if err := r.fail("groups"); err != nil {
				return err
			}
			if c.TimetableGroups, err = tx.Rollover().DeleteGroupsOfKind(ctx, uai, year, sillage.GroupTimetable); err != nil {
				return err
			}
			if c.OptionGroups, err = tx.Rollover().DeleteGroupsOfKind(ctx, uai, year, sillage.GroupOption); err != nil {
				return err
			}
			divs, err := tx.People().ListDivisions(ctx, uai, 0)
			if err != nil {
				return err
			}
			for _, d := range divs {
				if d.SchoolYear > year {
					continue
				}
				if err := tx.People().DeleteDivision(ctx, uai, d.ID); err != nil {
					return err
				}
				c.Divisions++
			}
			if c.Periods, err = tx.Rollover().DeletePeriods(ctx, uai, year); err != nil {
				return err
			}
			if c.ImportReports, err = tx.Imports().DeleteImportReports(ctx, uai, year); err != nil {
				return err
			}
			if c.CredentialLists, err = tx.Accounts().DeleteCredentialLists(ctx, uai, year); err != nil {
				return err
			}
			if c.InitFiles, err = tx.Rollover().DeleteRolloverFiles(ctx, uai, year-1); err != nil {
				return err
			}
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			if err := r.checkpoint(tx, "cleanup", 0, 0, string(b)); err != nil {
				return err
			}
			return r.fail("delete")
		})
		if err != nil {
			return nil, err
		}
		if today := sillage.DateOf(r.started); !cal.Step(StepCleanup).Contains(today) {
			r.rep.warn("étape lancée le %s, hors de ses dates au calendrier (%s)", today.French(), cal.Step(StepCleanup).French())
		}
	}
	r.rep.count("divisions", "Divisions supprimées", int64(c.Divisions))
	r.rep.count("option_groups", "Groupes d'option supprimés", int64(c.OptionGroups))
	r.rep.count("free_groups", "Groupes libres limités à l'année supprimés", int64(c.FreeGroups))
	r.rep.count("timetable_groups", "Groupes issus de l'emploi du temps supprimés", int64(c.TimetableGroups))
	r.rep.count("periods", "Périodes supprimées", int64(c.Periods))
	r.rep.count("import_reports", "Bilans d'import supprimés", int64(c.ImportReports))
	r.rep.count("credential_lists", "Fichiers d'identifiants supprimés", int64(c.CredentialLists))
	r.rep.count("address_book", "Entrées du carnet d'adresses supprimées", 0)
	r.rep.count("managers", "Gestionnaires destinataires du bilan", int64(c.Managers))
	if c.ClassSpaces > 0 {
		r.rep.count("class_spaces", "Espaces de classe ouverts après l'étape 2 mis à la corbeille", int64(c.ClassSpaces))
	}
	r.rep.Details = append(r.rep.Details, fmt.Sprintf("Message « %s » envoyé à %d gestionnaire(s).", SubjectGroupSummary, c.Managers),
		"Sillage n'a pas de carnet d'adresses : rien à supprimer.",
		"Le livret d'apprentissage (évaluations, résultats, commentaires, fiches, documents) n'est pas touché.")
	return nil, nil
}
