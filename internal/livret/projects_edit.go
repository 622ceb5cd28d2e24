package livret

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// Editing the EPI and AP declared for the year, instead of deleting and
// declaring them again (which would lose the students' appreciations).
// The same rules as the declaration apply (fillProject, fillGroup and the
// store's checks); the kind and the year of a project, the division and the
// period of a group stay: the students' appreciations belong to them.

// AuditProjectChanged is the audit action of an edited EPI, AP or group.
const AuditProjectChanged = "lsu.project.changed"

// UpdateProject rewrites a project's title, theme, description and
// disciplines. A discipline a group's teacher brings cannot be removed
// while the group names it.
func UpdateProject(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, actor audit.Actor, id int64, in ProjectInput) error {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return err
	}
	if err := e.mayDeclare(); err != nil {
		return err
	}
	cur, err := tx.Livret().GetProject(ctx, uai, id)
	if err != nil {
		return err
	}
	p := cur
	p.UpdatedBy = who.PersonID
	if err := e.fillProject(&p, in); err != nil {
		return err
	}
	groups, err := tx.Livret().ListProjectGroups(ctx, uai, sillage.ProjectGroupFilter{ProjectID: id})
	if err != nil {
		return err
	}
	labels, err := e.subjectLabels()
	if err != nil {
		return err
	}
	for _, g := range groups {
		for _, t := range g.Teachers {
			if !slices.Contains(p.Subjects, t.SubjectCode) {
				return sillage.Errorf(sillage.KindInvalid, "la discipline « %s » est celle d'un enseignant du groupe « %s » : retirez-la d'abord du groupe",
					firstNonEmpty(labels[t.SubjectCode], t.SubjectCode), g.Title)
			}
		}
	}
	if err := tx.Livret().UpdateProject(ctx, uai, p); err != nil {
		return err
	}
	return audit.Record(ctx, tx, uai, actor, AuditProjectChanged, projectTarget(p), projectChanges(cur, p))
}

// UpdateGroup rewrites a group's title and teachers with their discipline.
func UpdateGroup(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, actor audit.Actor, id int64, in GroupInput) error {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return err
	}
	if err := e.mayDeclare(); err != nil {
		return err
	}
	cur, err := tx.Livret().GetProjectGroup(ctx, uai, id)
	if err != nil {
		return err
	}
	p, err := tx.Livret().GetProject(ctx, uai, cur.ProjectID)
	if err != nil {
		return err
	}
	d, err := tx.People().GetDivision(ctx, uai, cur.DivisionID)
	if err != nil {
		return err
	}
	g := cur
	g.UpdatedBy = who.PersonID
	if err := fillGroup(&g, p, d, in); err != nil {
		return err
	}
	if err := tx.Livret().UpdateProjectGroup(ctx, uai, g); err != nil {
		return err
	}
	var changed []string
	if g.Title != cur.Title {
		changed = append(changed, "intitulé")
	}
	if !slices.Equal(g.Teachers, cur.Teachers) {
		changed = append(changed, "enseignants")
	}
	return audit.Record(ctx, tx, uai, actor, AuditProjectChanged, fmt.Sprintf("groupe « %s » de %s", g.Title, projectTarget(p)),
		changedText(changed))
}

func projectTarget(p sillage.LSUProject) string {
	kind := "EPI"
	if p.Kind == "ap" {
		kind = "AP"
	}
	return fmt.Sprintf("%s « %s » (n° %d)", kind, strings.TrimSpace(p.Title), p.ID)
}

// projectChanges names what an edit changed, for the audit log.
func projectChanges(before, after sillage.LSUProject) string {
	var changed []string
	if strings.TrimSpace(before.Title) != strings.TrimSpace(after.Title) {
		changed = append(changed, "intitulé")
	}
	if before.Theme != after.Theme {
		changed = append(changed, "thématique")
	}
	if strings.TrimSpace(before.Description) != strings.TrimSpace(after.Description) {
		changed = append(changed, "description")
	}
	if !slices.Equal(before.Subjects, after.Subjects) {
		changed = append(changed, "disciplines")
	}
	return changedText(changed)
}

func changedText(changed []string) string {
	if len(changed) == 0 {
		return "enregistré sans changement"
	}
	return "modifié : " + strings.Join(changed, ", ")
}

// Has says whether the group has this teacher with this discipline (the
// edit form's selection).
func (g GroupView) Has(teacherID int64, subject string) bool {
	return slices.Contains(g.Group.Teachers, sillage.TeacherSubject{TeacherID: teacherID, SubjectCode: subject})
}

// HasSubject says whether the project has this discipline (the edit
// form's selection).
func (v ProjectView) HasSubject(code string) bool { return slices.Contains(v.Project.Subjects, code) }

// The audit actions of a project or group declared or deleted.
const (
	AuditProjectDeclared = "lsu.project.declared"
	AuditProjectDeleted  = "lsu.project.deleted"
)

// AuditDeclared records a project, or a group of it (g not nil), just
// declared, in the transaction that declared it.
func AuditDeclared(ctx context.Context, tx *store.Tx, uai sillage.UAI, actor audit.Actor, p sillage.LSUProject, g *sillage.LSUProjectGroup) error {
	if g == nil {
		return audit.Record(ctx, tx, uai, actor, AuditProjectDeclared, projectTarget(p), "")
	}
	return audit.Record(ctx, tx, uai, actor, AuditProjectDeclared, fmt.Sprintf("groupe « %s » de %s", g.Title, projectTarget(p)), "")
}

// AuditDeleting records a project (groupID 0) or a group about to be
// deleted, in the transaction that deletes it: its name is read before it
// is gone. Its groups go with a project, its appreciations with either.
func AuditDeleting(ctx context.Context, tx *store.Tx, uai sillage.UAI, actor audit.Actor, projectID, groupID int64) error {
	if groupID != 0 {
		g, err := tx.Livret().GetProjectGroup(ctx, uai, groupID)
		if err != nil {
			return err
		}
		projectID = g.ProjectID
		p, err := tx.Livret().GetProject(ctx, uai, projectID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, uai, actor, AuditProjectDeleted, fmt.Sprintf("groupe « %s » de %s", g.Title, projectTarget(p)),
			"appréciations du groupe supprimées")
	}
	p, err := tx.Livret().GetProject(ctx, uai, projectID)
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, uai, actor, AuditProjectDeleted, projectTarget(p), "groupes et appréciations supprimés")
}
