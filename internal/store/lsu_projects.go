package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
)

// The EPI, AP and parcours of the Livret Scolaire (migration 0026).

// ListEPIThemes returns the local EPI themes of an establishment, by code.
func (tx Livret) ListEPIThemes(ctx context.Context, uai sillage.UAI) ([]sillage.EPITheme, error) {
	return collect(ctx, tx.txn, `SELECT uai, code, label, updated_at FROM lsu_epi_themes WHERE uai = $1 ORDER BY code`, []any{uai},
		func(r *sql.Rows) (sillage.EPITheme, error) {
			var t sillage.EPITheme
			var u string
			err := r.Scan(&u, &t.Code, &t.Label, ts{&t.UpdatedAt})
			t.UAI = sillage.UAI(u)
			return t, err
		})
}

// SetEPITheme records a local EPI theme (its label when it exists).
func (tx Livret) SetEPITheme(ctx context.Context, uai sillage.UAI, t sillage.EPITheme) error {
	t.Code, t.Label = strings.TrimSpace(t.Code), strings.TrimSpace(t.Label)
	if t.Code == "" || t.Label == "" {
		return sillage.Errorf(sillage.KindInvalid, "le code et le libellé de la thématique sont obligatoires")
	}
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM establishments WHERE uai = $1`, uai)
	if err != nil {
		return err
	}
	if n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "établissement introuvable")
	}
	_, err = tx.exec(ctx, `INSERT INTO lsu_epi_themes (uai, code, label, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (uai, code) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at`, uai, t.Code, t.Label, tx.now)
	return err
}

// DeleteEPITheme removes a local EPI theme; one an EPI uses is kept.
func (tx Livret) DeleteEPITheme(ctx context.Context, uai sillage.UAI, code string) error {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM lsu_projects WHERE uai = $1 AND kind = 'epi' AND theme = $2`, uai, code)
	if err != nil {
		return err
	}
	if n > 0 {
		return sillage.Errorf(sillage.KindConflict, "cette thématique est celle d'un EPI : changez d'abord la thématique de l'EPI")
	}
	m, err := tx.execN(ctx, `DELETE FROM lsu_epi_themes WHERE uai = $1 AND code = $2`, uai, code)
	return notFoundIfNone(m, err, "thématique")
}

const projectCols = `uai, id, school_year, kind, title, theme, description, subjects, updated_at, updated_by`

func scanProject(r scanner) (sillage.LSUProject, error) {
	var p sillage.LSUProject
	var u, subjects string
	var y int64
	err := r.Scan(&u, &p.ID, &y, &p.Kind, &p.Title, &p.Theme, &p.Description, &subjects, ts{&p.UpdatedAt}, &p.UpdatedBy)
	p.UAI, p.SchoolYear, p.Subjects = sillage.UAI(u), sillage.SchoolYear(y), splitList(subjects)
	return p, err
}

func checkProject(p sillage.LSUProject) error {
	switch {
	case p.Kind != "epi" && p.Kind != "ap":
		return sillage.Errorf(sillage.KindInvalid, "nature de projet inconnue : EPI ou accompagnement personnalisé")
	case strings.TrimSpace(p.Title) == "":
		return sillage.Errorf(sillage.KindInvalid, "l'intitulé est obligatoire")
	case p.Kind == "epi" && strings.TrimSpace(p.Theme) == "":
		return sillage.Errorf(sillage.KindInvalid, "choisissez la thématique de l'EPI")
	case p.Kind == "epi" && len(p.Subjects) < 2:
		return sillage.Errorf(sillage.KindInvalid, "un EPI associe au moins deux disciplines")
	case p.Kind == "ap" && len(p.Subjects) == 0:
		return sillage.Errorf(sillage.KindInvalid, "choisissez au moins une discipline")
	}
	for _, s := range p.Subjects {
		if strings.TrimSpace(s) == "" || strings.Contains(s, ",") {
			return sillage.Errorf(sillage.KindInvalid, "code matière « %s » invalide", s)
		}
	}
	return nil
}

// CreateProject declares an EPI or an AP and sets its ID.
func (tx Livret) CreateProject(ctx context.Context, uai sillage.UAI, p *sillage.LSUProject) error {
	if err := checkProject(*p); err != nil {
		return err
	}
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM establishments WHERE uai = $1`, uai)
	if err != nil {
		return err
	}
	if n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "établissement introuvable")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	p.UAI, p.ID, p.UpdatedAt = uai, id, tx.now
	_, err = tx.exec(ctx, `INSERT INTO lsu_projects (`+projectCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		uai, p.ID, int64(p.SchoolYear), p.Kind, strings.TrimSpace(p.Title), strings.TrimSpace(p.Theme), strings.TrimSpace(p.Description),
		strings.Join(p.Subjects, ","), p.UpdatedAt, p.UpdatedBy)
	return err
}

// UpdateProject rewrites a project's title, theme, description and
// disciplines (its kind and year stay).
func (tx Livret) UpdateProject(ctx context.Context, uai sillage.UAI, p sillage.LSUProject) error {
	cur, err := tx.GetProject(ctx, uai, p.ID)
	if err != nil {
		return err
	}
	p.Kind = cur.Kind
	if err := checkProject(p); err != nil {
		return err
	}
	// Closed reports show the project as it was when they closed (and LSU
	// receives it so): it cannot change under them.
	if strings.TrimSpace(p.Title) != cur.Title || strings.TrimSpace(p.Theme) != cur.Theme || strings.TrimSpace(p.Description) != cur.Description ||
		strings.Join(p.Subjects, ",") != strings.Join(cur.Subjects, ",") {
		if err := tx.closedBlocks(ctx, uai, `SELECT id FROM lsu_project_groups WHERE uai = $1 AND project_id = $2`, p.ID); err != nil {
			return err
		}
	}
	_, err = tx.exec(ctx, `UPDATE lsu_projects SET title = $3, theme = $4, description = $5, subjects = $6, updated_at = $7, updated_by = $8
		WHERE uai = $1 AND id = $2`, uai, p.ID, strings.TrimSpace(p.Title), strings.TrimSpace(p.Theme), strings.TrimSpace(p.Description),
		strings.Join(p.Subjects, ","), tx.now, p.UpdatedBy)
	return err
}

// GetProject returns a project.
func (tx Livret) GetProject(ctx context.Context, uai sillage.UAI, id int64) (sillage.LSUProject, error) {
	p, err := scanProject(tx.queryRow(ctx, `SELECT `+projectCols+` FROM lsu_projects WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return p, sillage.Errorf(sillage.KindNotFound, "projet introuvable")
	}
	return p, mapErr(err)
}

// ListProjects returns the projects of a school year, EPI first, by title.
func (tx Livret) ListProjects(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.LSUProject, error) {
	return collect(ctx, tx.txn, `SELECT `+projectCols+` FROM lsu_projects WHERE uai = $1 AND school_year = $2 ORDER BY kind DESC, title, id`,
		[]any{uai, int64(year)}, func(r *sql.Rows) (sillage.LSUProject, error) { return scanProject(r) })
}

// closedBlocks refuses to remove or change what a closed report holds:
// the lines of the groups the subquery where selects.
func (tx *Tx) closedBlocks(ctx context.Context, uai sillage.UAI, where string, arg int64) error {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM lsu_report_blocks b JOIN lsu_periodic_reports r ON r.uai = b.uai AND r.id = b.report_id
		WHERE b.uai = $1 AND r.state = 'closed' AND b.group_id IN (`+where+`)`, uai, arg)
	if err != nil {
		return err
	}
	if n > 0 {
		return sillage.Errorf(sillage.KindConflict, "des bilans fermés portent les appréciations de ce groupe : rouvrez-les d'abord")
	}
	return nil
}

// DeleteProject removes a project, its groups and the students'
// appreciations of them; refused while a closed report holds one.
func (tx Livret) DeleteProject(ctx context.Context, uai sillage.UAI, id int64) error {
	if _, err := tx.GetProject(ctx, uai, id); err != nil {
		return err
	}
	groups := `SELECT id FROM lsu_project_groups WHERE uai = $1 AND project_id = $2`
	if err := tx.closedBlocks(ctx, uai, groups, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM lsu_report_blocks WHERE uai = $1 AND group_id IN (`+groups+`)`, uai, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `DELETE FROM lsu_projects WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "projet")
}

const projectGroupCols = `uai, id, project_id, division_id, period_id, title, comment, teachers, updated_at, updated_by`

func scanProjectGroup(r scanner) (sillage.LSUProjectGroup, error) {
	var g sillage.LSUProjectGroup
	var u, teachers string
	err := r.Scan(&u, &g.ID, &g.ProjectID, &g.DivisionID, &g.PeriodID, &g.Title, &g.Comment, &teachers, ts{&g.UpdatedAt}, &g.UpdatedBy)
	g.UAI = sillage.UAI(u)
	for _, pair := range splitList(teachers) {
		id, code, _ := strings.Cut(pair, ":")
		n, perr := strconv.ParseInt(id, 10, 64)
		if perr != nil && err == nil {
			err = fmt.Errorf("store: project group %d: teacher %q: %w", g.ID, pair, perr)
		}
		g.Teachers = append(g.Teachers, sillage.TeacherSubject{TeacherID: n, SubjectCode: code})
	}
	return g, err
}

func joinPairs(ts []sillage.TeacherSubject) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = strconv.FormatInt(t.TeacherID, 10) + ":" + t.SubjectCode
	}
	return strings.Join(out, ",")
}

// checkGroup checks a group's teachers: persons of the establishment, with
// a discipline of the project.
func (tx *Tx) checkGroup(ctx context.Context, uai sillage.UAI, g sillage.LSUProjectGroup, p sillage.LSUProject) error {
	if strings.TrimSpace(g.Title) == "" {
		return sillage.Errorf(sillage.KindInvalid, "l'intitulé du groupe est obligatoire")
	}
	if len(g.Teachers) == 0 {
		return sillage.Errorf(sillage.KindInvalid, "choisissez au moins un enseignant avec sa discipline")
	}
	for _, t := range g.Teachers {
		if !containsStr(p.Subjects, t.SubjectCode) {
			return sillage.Errorf(sillage.KindInvalid, "la discipline « %s » n'est pas une discipline de ce projet", t.SubjectCode)
		}
		n, err := tx.count(ctx, `SELECT COUNT(*) FROM persons WHERE uai = $1 AND id = $2 AND role = 'teacher'`, uai, t.TeacherID)
		if err != nil {
			return err
		}
		if n == 0 {
			return sillage.Errorf(sillage.KindNotFound, "enseignant introuvable")
		}
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CreateProjectGroup adds a division and period to a project and sets the
// group's ID.
func (tx Livret) CreateProjectGroup(ctx context.Context, uai sillage.UAI, g *sillage.LSUProjectGroup) error {
	p, err := tx.GetProject(ctx, uai, g.ProjectID)
	if err != nil {
		return err
	}
	if err := tx.checkGroup(ctx, uai, *g, p); err != nil {
		return err
	}
	n, err := tx.count(ctx, `SELECT (SELECT COUNT(*) FROM divisions WHERE uai = $1 AND id = $2)
		* (SELECT COUNT(*) FROM periods WHERE uai = $1 AND id = $3)`, uai, g.DivisionID, g.PeriodID)
	if err != nil {
		return err
	}
	if n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "division ou période introuvable")
	}
	n, err = tx.count(ctx, `SELECT COUNT(*) FROM lsu_project_groups WHERE uai = $1 AND project_id = $2 AND division_id = $3 AND period_id = $4`,
		uai, g.ProjectID, g.DivisionID, g.PeriodID)
	if err != nil {
		return err
	}
	if n > 0 {
		return sillage.Errorf(sillage.KindConflict, "cette division suit déjà ce projet pendant cette période")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	g.UAI, g.ID, g.UpdatedAt = uai, id, tx.now
	_, err = tx.exec(ctx, `INSERT INTO lsu_project_groups (`+projectGroupCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		uai, g.ID, g.ProjectID, g.DivisionID, g.PeriodID, strings.TrimSpace(g.Title), strings.TrimSpace(g.Comment), joinPairs(g.Teachers), g.UpdatedAt, g.UpdatedBy)
	return err
}

// UpdateProjectGroup rewrites a group's title, teachers and class
// commentary (its project, division and period stay).
func (tx Livret) UpdateProjectGroup(ctx context.Context, uai sillage.UAI, g sillage.LSUProjectGroup) error {
	cur, err := tx.GetProjectGroup(ctx, uai, g.ID)
	if err != nil {
		return err
	}
	p, err := tx.GetProject(ctx, uai, cur.ProjectID)
	if err != nil {
		return err
	}
	if err := tx.checkGroup(ctx, uai, g, p); err != nil {
		return err
	}
	if strings.TrimSpace(g.Title) != cur.Title || strings.TrimSpace(g.Comment) != cur.Comment || joinPairs(g.Teachers) != joinPairs(cur.Teachers) {
		if err := tx.closedBlocks(ctx, uai, `$2`, g.ID); err != nil {
			return err
		}
	}
	_, err = tx.exec(ctx, `UPDATE lsu_project_groups SET title = $3, comment = $4, teachers = $5, updated_at = $6, updated_by = $7
		WHERE uai = $1 AND id = $2`, uai, g.ID, strings.TrimSpace(g.Title), strings.TrimSpace(g.Comment), joinPairs(g.Teachers), tx.now, g.UpdatedBy)
	return err
}

// GetProjectGroup returns a project group.
func (tx Livret) GetProjectGroup(ctx context.Context, uai sillage.UAI, id int64) (sillage.LSUProjectGroup, error) {
	g, err := scanProjectGroup(tx.queryRow(ctx, `SELECT `+projectGroupCols+` FROM lsu_project_groups WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return g, sillage.Errorf(sillage.KindNotFound, "groupe introuvable")
	}
	return g, mapErr(err)
}

// ListProjectGroups returns project groups, by division, period and title.
func (tx Livret) ListProjectGroups(ctx context.Context, uai sillage.UAI, f sillage.ProjectGroupFilter) ([]sillage.LSUProjectGroup, error) {
	q, args := `SELECT `+projectGroupCols+` FROM lsu_project_groups WHERE uai = $1`, []any{uai}
	for _, c := range []struct {
		col string
		v   int64
	}{{"project_id", f.ProjectID}, {"division_id", f.DivisionID}, {"period_id", f.PeriodID}} {
		if c.v != 0 {
			args = append(args, c.v)
			q += fmt.Sprintf(` AND %s = $%d`, c.col, len(args))
		}
	}
	out, err := collect(ctx, tx.txn, q+` ORDER BY division_id, period_id, title, id`, args, func(r *sql.Rows) (sillage.LSUProjectGroup, error) { return scanProjectGroup(r) })
	if err != nil || f.TeacherID == 0 {
		return out, err
	}
	kept := out[:0]
	for _, g := range out {
		for _, t := range g.Teachers {
			if t.TeacherID == f.TeacherID {
				kept = append(kept, g)
				break
			}
		}
	}
	return kept, nil
}

// DeleteProjectGroup removes a group and the students' appreciations of
// it; refused while a closed report holds one.
func (tx Livret) DeleteProjectGroup(ctx context.Context, uai sillage.UAI, id int64) error {
	if _, err := tx.GetProjectGroup(ctx, uai, id); err != nil {
		return err
	}
	if err := tx.closedBlocks(ctx, uai, `$2`, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM lsu_report_blocks WHERE uai = $1 AND group_id = $2`, uai, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `DELETE FROM lsu_project_groups WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "groupe")
}

// SetClassParcours records a division's project for a parcours in a
// period; an empty text removes it.
func (tx Livret) SetClassParcours(ctx context.Context, uai sillage.UAI, c sillage.ClassParcours) error {
	c.Code, c.Text = strings.TrimSpace(c.Code), strings.TrimSpace(c.Text)
	if c.Code == "" {
		return sillage.Errorf(sillage.KindInvalid, "parcours manquant")
	}
	n, err := tx.count(ctx, `SELECT (SELECT COUNT(*) FROM divisions WHERE uai = $1 AND id = $2)
		* (SELECT COUNT(*) FROM periods WHERE uai = $1 AND id = $3)`, uai, c.DivisionID, c.PeriodID)
	if err != nil {
		return err
	}
	if n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "division ou période introuvable")
	}
	if c.Text == "" {
		_, err := tx.exec(ctx, `DELETE FROM lsu_class_parcours WHERE uai = $1 AND division_id = $2 AND period_id = $3 AND code = $4`,
			uai, c.DivisionID, c.PeriodID, c.Code)
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO lsu_class_parcours (uai, division_id, period_id, code, text, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (uai, division_id, period_id, code) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		uai, c.DivisionID, c.PeriodID, c.Code, c.Text, tx.now, c.UpdatedBy)
	return err
}

// ListClassParcours returns the class projects of a division and a period
// (0: every one), by division, period and code.
func (tx Livret) ListClassParcours(ctx context.Context, uai sillage.UAI, divisionID, periodID int64) ([]sillage.ClassParcours, error) {
	q, args := `SELECT uai, division_id, period_id, code, text, updated_at, updated_by FROM lsu_class_parcours WHERE uai = $1`, []any{uai}
	if divisionID != 0 {
		args = append(args, divisionID)
		q += fmt.Sprintf(` AND division_id = $%d`, len(args))
	}
	if periodID != 0 {
		args = append(args, periodID)
		q += fmt.Sprintf(` AND period_id = $%d`, len(args))
	}
	return collect(ctx, tx.txn, q+` ORDER BY division_id, period_id, code`, args, func(r *sql.Rows) (sillage.ClassParcours, error) {
		var c sillage.ClassParcours
		var u string
		err := r.Scan(&u, &c.DivisionID, &c.PeriodID, &c.Code, &c.Text, ts{&c.UpdatedAt}, &c.UpdatedBy)
		c.UAI = sillage.UAI(u)
		return c, err
	})
}

// SetReportBlock writes a student's appreciation of a group or commentary
// of a parcours in a draft report; an empty text removes it.
func (tx Livret) SetReportBlock(ctx context.Context, uai sillage.UAI, b sillage.ReportBlock) error {
	b.Parcours, b.Text = strings.TrimSpace(b.Parcours), strings.TrimSpace(b.Text)
	if (b.GroupID == 0) == (b.Parcours == "") {
		return sillage.Errorf(sillage.KindInvalid, "un groupe d'EPI ou d'accompagnement personnalisé, ou un parcours, est attendu")
	}
	if err := tx.lockDraft(ctx, uai, "lsu_periodic_reports", b.ReportID); err != nil {
		return err
	}
	if b.GroupID != 0 {
		if _, err := tx.GetProjectGroup(ctx, uai, b.GroupID); err != nil {
			return err
		}
	}
	if b.Text == "" {
		_, err := tx.exec(ctx, `DELETE FROM lsu_report_blocks WHERE uai = $1 AND report_id = $2 AND group_id = $3 AND parcours = $4`,
			uai, b.ReportID, b.GroupID, b.Parcours)
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO lsu_report_blocks (uai, report_id, group_id, parcours, text, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (uai, report_id, group_id, parcours) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		uai, b.ReportID, b.GroupID, b.Parcours, b.Text, tx.now, b.UpdatedBy)
	return err
}

// ListReportBlocks returns the block lines of reports, by report, group
// and parcours.
func (tx Livret) ListReportBlocks(ctx context.Context, uai sillage.UAI, reportIDs []int64) ([]sillage.ReportBlock, error) {
	q, args := `SELECT uai, report_id, group_id, parcours, text, updated_at, updated_by FROM lsu_report_blocks WHERE uai = $1`, []any{uai}
	q, args = inIDs(q, args, "report_id", reportIDs)
	return collect(ctx, tx.txn, q+` ORDER BY report_id, group_id, parcours`, args, func(r *sql.Rows) (sillage.ReportBlock, error) {
		var b sillage.ReportBlock
		var u string
		err := r.Scan(&u, &b.ReportID, &b.GroupID, &b.Parcours, &b.Text, ts{&b.UpdatedAt}, &b.UpdatedBy)
		b.UAI = sillage.UAI(u)
		return b, err
	})
}
