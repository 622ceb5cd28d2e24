package livret

import (
	"slices"
	"strconv"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
)

// The parts of a periodic report a family reads besides the subjects, in
// the order of the paper livret (and of the LSU file): the digital skills
// of cycle 3, the projects (EPI, AP, parcours), the support measures, the general appreciation with the
// socle of the term, devoirs faits, school life (the student's and the
// class's) and the legal guardians. The report page and its PDF show what
// the export sends, so a parent reads what LSU receives.

// ReportProject is an EPI or an AP the student's division follows in the
// report's period: LSU receives each of them for every student of the
// division, with the student's appreciation when there is one.
type ReportProject struct {
	GroupID      int64
	Kind         string // "epi" or "ap"
	Title        string // the project's
	GroupTitle   string
	ThemeLabel   string // EPI
	Description  string
	Subjects     []string // discipline labels
	Teachers     []string // "M. Paul DURAND (Français)"
	ClassComment string   // the group's commentary for the class
	Appreciation string   // the student's
	// CanEnter: the viewer enters the group's appreciations (its
	// teachers, the director, the administrators) and the report is a draft.
	CanEnter bool
}

// ReportParcours is a parcours éducatif of the period: the division's
// project and the student's commentary (either may be empty, not both).
type ReportParcours struct {
	Code, Label string
	ClassText   string
	Text        string
}

// SocleLine is a socle domain positioned for the term.
type SocleLine struct {
	Code, Label string
	Level       int
}

// LevelLabel shows the positioning ("3 — Maîtrise satisfaisante").
func (l SocleLine) LevelLabel() string { return strconv.Itoa(l.Level) + " — " + SocleLevels[l.Level] }

// DigitalLine is a digital skill positioned in the report.
type DigitalLine struct {
	Num   string // "1.1", the CRCN's numbering, as on the entry page
	Label string
	Level int // 1–3
}

// LevelLabel names the level ("Niveau 2 — novice").
func (l DigitalLine) LevelLabel() string { return lsu.DigitalLevelLabels[l.Level] }

// HasDigital says whether the report has a digital-skills section: LSU
// receives the block as soon as the student has a level or an
// appreciation, or the class a common appreciation.
func (v *ReportView) HasDigital() bool {
	return len(v.Digital) > 0 || v.DigitalAppreciation != "" || v.ClassDigital != ""
}

// HasProjects says whether the report has a projects section.
func (v *ReportView) HasProjects() bool { return len(v.EPI)+len(v.AP)+len(v.Parcours) > 0 }

// HasSchoolLife says whether the degree's livret has a school-life section.
func (v *ReportView) HasSchoolLife() bool { return v.Degree == lsu.SecondDegree }

// RelationLabel names a guardian's link to the student.
func (v *ReportView) RelationLabel(code string) string { return lsu.RelationLabel(code) }

// RankLabel names a legal guardian's rank: "Responsable légal 1", "2", or
// without a number when SIECLE did not give it.
func (v *ReportView) RankLabel(rank int) string { return sillage.LegalRankLabel(rank) }

// loadSections adds to a report its projects, devoirs faits, socle of the
// term, the class's school-life comment and the legal guardians. labels
// and persons are LoadReport's (subject labels, persons by ID).
func (e *entry) loadSections(v *ReportView, labels map[string]string, persons map[int64]sillage.Person) error {
	if v.Report.ID != 0 {
		ex, err := e.tx.Livret().ListPeriodicExtras(e.ctx, e.uai, []int64{v.Report.ID})
		if err != nil {
			return err
		}
		v.Extras = ex[v.Report.ID]
		if v.Degree != lsu.SecondDegree {
			v.Extras.HomeworkDone = "" // the 1st degree's LSU file has no devoirs faits
		}
		for _, d := range sillage.SocleDomains {
			if n, ok := v.Extras.Socle[d]; ok && n >= 0 && n < len(SocleLevels) {
				v.SocleTerm = append(v.SocleTerm, SocleLine{Code: d, Label: SocleLabels[d], Level: n})
			}
		}
	}
	var err error
	if v.Guardians, err = e.tx.People().ListGuardianContacts(e.ctx, e.uai, []int64{v.Student.ID}); err != nil {
		return err
	}
	if v.Degree != lsu.SecondDegree || v.Division.ID == 0 {
		return nil
	}
	if err := e.loadReportDigital(v); err != nil {
		return err
	}
	comments, err := e.tx.Livret().ListClassSchoolLife(e.ctx, e.uai, []int64{v.Period.ID})
	if err != nil {
		return err
	}
	for _, c := range comments {
		if c.DivisionID == v.Division.ID {
			v.ClassSchoolLife = c.Comment
		}
	}
	texts := map[int64]string{}         // by group
	parcoursText := map[string]string{} // by code
	if v.Report.ID != 0 {
		blocks, err := e.tx.Livret().ListReportBlocks(e.ctx, e.uai, []int64{v.Report.ID})
		if err != nil {
			return err
		}
		for _, b := range blocks {
			if b.GroupID != 0 {
				texts[b.GroupID] = b.Text
			} else {
				parcoursText[b.Parcours] = b.Text
			}
		}
	}
	if err := e.loadReportProjects(v, labels, persons, texts); err != nil {
		return err
	}
	classParcours, err := e.tx.Livret().ListClassParcours(e.ctx, e.uai, v.Division.ID, v.Period.ID)
	if err != nil {
		return err
	}
	classText := map[string]string{}
	for _, c := range classParcours {
		classText[c.Code] = c.Text
	}
	for _, c := range lsu.ParcoursCodes {
		if classText[c.Code] != "" || parcoursText[c.Code] != "" {
			v.Parcours = append(v.Parcours, ReportParcours{Code: c.Code, Label: c.Label, ClassText: classText[c.Code], Text: parcoursText[c.Code]})
		}
	}
	return nil
}

// loadReportProjects reads the EPI and AP groups of the student's division
// for the period, with the student's appreciations (texts, by group).
func (e *entry) loadReportProjects(v *ReportView, labels map[string]string, persons map[int64]sillage.Person, texts map[int64]string) error {
	groups, err := e.tx.Livret().ListProjectGroups(e.ctx, e.uai, sillage.ProjectGroupFilter{DivisionID: v.Division.ID, PeriodID: v.Period.ID})
	if err != nil || len(groups) == 0 {
		return err
	}
	themes := slices.Clone(lsu.EPIThemes)
	local, err := e.tx.Livret().ListEPIThemes(e.ctx, e.uai)
	if err != nil {
		return err
	}
	for _, t := range local {
		themes = append(themes, lsu.CodeLabel{Code: t.Code, Label: t.Label})
	}
	for _, g := range groups {
		p, err := e.tx.Livret().GetProject(e.ctx, e.uai, g.ProjectID)
		if err != nil {
			return err
		}
		rp := ReportProject{GroupID: g.ID, Kind: p.Kind, Title: p.Title, GroupTitle: g.Title, Description: p.Description,
			ClassComment: g.Comment, Appreciation: texts[g.ID]}
		if p.Kind == string(lsu.KindEPI) {
			rp.ThemeLabel = lsu.LabelOf(themes, p.Theme)
		}
		for _, s := range p.Subjects {
			rp.Subjects = append(rp.Subjects, firstNonEmpty(labels[s], s))
		}
		mine := false
		for _, t := range g.Teachers {
			rp.Teachers = append(rp.Teachers, personName(persons[t.TeacherID])+" ("+firstNonEmpty(labels[t.SubjectCode], t.SubjectCode)+")")
			mine = mine || t.TeacherID == e.who.PersonID && e.who.Role == sillage.RoleTeacher
		}
		rp.CanEnter = (e.who.Staff() || mine) && !v.Report.Closed()
		if p.Kind == string(lsu.KindAP) {
			v.AP = append(v.AP, rp)
		} else {
			v.EPI = append(v.EPI, rp)
		}
	}
	return nil
}

// loadReportDigital reads the student's digital skills for the period and
// the class's common appreciation (one query each), and whether the viewer
// may enter them: the entry page's own check on the division (its teachers,
// its head teachers, the staff; a 6e), while the report is a draft.
func (e *entry) loadReportDigital(v *ReportView) error {
	if v.Report.ID != 0 {
		skills, err := e.tx.Livret().ListDigitalSkills(e.ctx, e.uai, []int64{v.Report.ID})
		if err != nil {
			return err
		}
		ds := skills[v.Report.ID]
		v.DigitalAppreciation = ds.Appreciation
		for _, dom := range DigitalDomains() {
			for _, s := range dom.Skills {
				if n, ok := ds.Levels[s.Code]; ok && n >= 1 && n <= lsu.MaxDigitalLevel {
					v.Digital = append(v.Digital, DigitalLine{Num: s.Num, Label: s.Label, Level: n})
				}
			}
		}
	}
	commons, err := e.tx.Livret().ListClassDigitalSkills(e.ctx, e.uai, []int64{v.Period.ID})
	if err != nil {
		return err
	}
	for _, c := range commons {
		if c.DivisionID == v.Division.ID {
			v.ClassDigital = c.Comment
		}
	}
	if v.Report.Closed() {
		return nil
	}
	_, err = e.digitalDivision(v.Division.ID)
	switch k := sillage.KindOf(err); {
	case err == nil:
		v.CanEnterDigital = true
	case k == sillage.KindInvalid || k == sillage.KindNotFound:
		// not a 6e, or not a division the viewer enters for: no link
	default:
		return err
	}
	return nil
}
