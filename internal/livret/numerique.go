package livret

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
)

// The digital skills of cycle 3 (compétences numériques, lsu.md): the
// teachers and the head teacher of a 6e division (and the staff) position
// each student of a period on the 16 skills of the CRCN (level 1 to 3),
// with an optional appreciation, and write the appreciation common to the
// class. Only the collège's LSU schemas (7.0, 10.0) carry them: the 1st
// degree's have no such block, so CM2 classes are not offered the page.

// DigitalDomain is a domain of the CRCN and its skills, as the page heads
// its columns.
type DigitalDomain struct {
	Num    string // "1" to "5", the CRCN's numbering
	Label  string
	Skills []DigitalSkillHead
}

// DigitalSkillHead is a skill as a column head: "1.1", its code and label.
type DigitalSkillHead struct {
	Num, Code, Label string
}

// DigitalCell is a student's level on one skill.
type DigitalCell struct {
	Code, Label string
	Value       string // "" when not positioned, else "1"–"3"
}

// DigitalRow is a student's line of the page.
type DigitalRow struct {
	Student      sillage.Student
	ReportID     int64
	Closed       bool
	Cells        []DigitalCell // in the order of lsu.DigitalSkillCodes
	Appreciation string
	Positioned   int
}

// DigitalEntry is the page of the digital skills of a division for a
// period.
type DigitalEntry struct {
	Division sillage.Division
	Period   sillage.Period
	Periods  []sillage.Period
	Domains  []DigitalDomain
	Levels   []string // "1", "2", "3"
	Common   string
	Rows     []DigitalRow
	MaxChars int
}

// DigitalDomains are the CRCN's domains with their skills numbered "1.1"
// to "5.2", as the entry page and the report show them.
func DigitalDomains() []DigitalDomain {
	var out []DigitalDomain
	for i, dom := range lsu.DigitalSkillDomains {
		dd := DigitalDomain{Num: strconv.Itoa(i + 1), Label: dom.Label}
		for _, s := range lsu.DigitalSkillCodes {
			if strings.HasPrefix(s.Code, dom.Code+"_") {
				dd.Skills = append(dd.Skills, DigitalSkillHead{Num: dd.Num + "." + strconv.Itoa(len(dd.Skills)+1), Code: s.Code, Label: s.Label})
			}
		}
		out = append(out, dd)
	}
	return out
}

// errNoDigitalSkills refuses the page to an école: the 1st degree's LSU
// schema has no digital skills.
func errNoDigitalSkills() error {
	return sillage.Errorf(sillage.KindInvalid, "les compétences numériques ne sont transmises à LSU que pour la 6e du collège : le schéma LSU du 1er degré ne les prévoit pas")
}

// digitalDivision returns a division whose digital skills who enters: the
// staff, its head teachers and the teachers of the division; the division
// must be a 6e (cycle 3).
func (e *entry) digitalDivision(id int64) (sillage.Division, error) {
	if e.degree != lsu.SecondDegree {
		return sillage.Division{}, errNoDigitalSkills()
	}
	head, err := e.isHead(id)
	if err != nil {
		return sillage.Division{}, err
	}
	var d sillage.Division
	if head {
		d, err = e.tx.People().GetDivision(e.ctx, e.uai, id)
	} else {
		d, err = e.division(id)
	}
	if err != nil {
		return d, err
	}
	ok, err := e.hasDigitalSkills(d)
	if err != nil {
		return d, err
	}
	if !ok {
		return d, sillage.Errorf(sillage.KindInvalid, "la classe %s n'est pas une classe de 6e : les compétences numériques du Livret ne concernent que le cycle 3", d.Code)
	}
	return d, nil
}

// hasDigitalSkills says whether a division's reports carry the digital
// skills: a collège division whose level ends cycle 3 (6e).
func (e *entry) hasDigitalSkills(d sillage.Division) (bool, error) {
	if e.degree != lsu.SecondDegree {
		return false, nil
	}
	mefs, err := e.tx.People().ListMEFs(e.ctx, e.uai)
	if err != nil {
		return false, err
	}
	m := make(map[string]sillage.MEF, len(mefs))
	for _, x := range mefs {
		m[x.Code] = x
	}
	return e.divisionCycle(d, m) == 3, nil
}

// LoadDigitalEntry reads the page of the digital skills of a division for
// a period.
func LoadDigitalEntry(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64) (*DigitalEntry, error) {
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return nil, err
	}
	d, err := e.digitalDivision(divisionID)
	if err != nil {
		return nil, err
	}
	p, err := e.period(periodID)
	if err != nil {
		return nil, err
	}
	if p.SchoolYear != d.SchoolYear {
		return nil, notFound()
	}
	v := &DigitalEntry{Division: d, Period: p, Levels: []string{"1", "2", "3"}, Domains: DigitalDomains(), MaxChars: maxComment}
	if v.Periods, err = tx.Periods().ListPeriods(ctx, uai, p.SchoolYear); err != nil {
		return nil, err
	}
	commons, err := tx.Livret().ListClassDigitalSkills(ctx, uai, []int64{periodID})
	if err != nil {
		return nil, err
	}
	for _, c := range commons {
		if c.DivisionID == divisionID {
			v.Common = c.Comment
		}
	}
	students, err := e.gridStudents(divisionID, periodID, &serviceScope{whole: true})
	if err != nil {
		return nil, err
	}
	byStudent, err := reportsByStudent(ctx, tx, uai, divisionID, periodID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range byStudent {
		ids = append(ids, r.ID)
	}
	skills := map[int64]sillage.DigitalSkills{}
	if len(ids) > 0 {
		if skills, err = tx.Livret().ListDigitalSkills(ctx, uai, ids); err != nil {
			return nil, err
		}
	}
	for _, s := range students {
		row := DigitalRow{Student: s}
		var ds sillage.DigitalSkills
		if r, ok := byStudent[s.ID]; ok {
			row.ReportID, row.Closed = r.ID, r.Closed()
			ds = skills[r.ID]
		}
		row.Appreciation = ds.Appreciation
		for _, sk := range lsu.DigitalSkillCodes {
			c := DigitalCell{Code: sk.Code, Label: sk.Label}
			if n, ok := ds.Levels[sk.Code]; ok {
				c.Value = strconv.Itoa(n)
				row.Positioned++
			}
			row.Cells = append(row.Cells, c)
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// DigitalInput is the page's form: the common appreciation, and per
// student the appreciation and, per skill code, "" or "1"–"3". A student
// absent from the form is left as is.
type DigitalInput struct {
	Common        string
	Appreciations map[int64]string
	Levels        map[int64]map[string]string
}

// SaveDigitalEntry records the page: every value is checked before
// anything is written; a student without a report gets a draft when
// something is entered; a closed report cannot change.
func SaveDigitalEntry(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64, in DigitalInput) error {
	v, err := LoadDigitalEntry(ctx, tx, uai, who, divisionID, periodID)
	if err != nil {
		return err
	}
	common := strings.TrimSpace(in.Common)
	if n := utf8.RuneCountInString(common); n > maxComment {
		return sillage.Errorf(sillage.KindInvalid, "appréciation commune de la classe : %d caractères, LSU en accepte %d au plus", n, maxComment)
	}
	rows := map[int64]DigitalRow{}
	for _, r := range v.Rows {
		rows[r.Student.ID] = r
	}
	for id := range in.Appreciations {
		if _, ok := rows[id]; !ok {
			return notFound()
		}
	}
	for id := range in.Levels {
		if _, ok := rows[id]; !ok {
			return notFound()
		}
	}
	type change struct {
		row    DigitalRow
		skills sillage.DigitalSkills
	}
	var changes []change
	for _, row := range v.Rows {
		app, hasApp := in.Appreciations[row.Student.ID]
		levels, hasLevels := in.Levels[row.Student.ID]
		if !hasApp && !hasLevels {
			continue
		}
		name := row.Student.FullName()
		ds := sillage.DigitalSkills{Appreciation: row.Appreciation}
		if hasApp {
			ds.Appreciation = strings.TrimSpace(app)
		}
		if n := utf8.RuneCountInString(ds.Appreciation); n > maxComment {
			return sillage.Errorf(sillage.KindInvalid, "%s : appréciation des compétences numériques de %d caractères, LSU en accepte %d au plus", name, n, maxComment)
		}
		for _, c := range row.Cells {
			s := c.Value
			if hasLevels {
				s = strings.TrimSpace(levels[c.Code])
			}
			if s == "" {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > lsu.MaxDigitalLevel {
				return sillage.Errorf(sillage.KindInvalid, "%s, « %s » : niveau « %s » invalide (1, 2 ou 3, ou aucun)", name, c.Label, s)
			}
			if ds.Levels == nil {
				ds.Levels = map[string]int{}
			}
			ds.Levels[c.Code] = n
		}
		for code := range levels {
			if !slices.ContainsFunc(row.Cells, func(c DigitalCell) bool { return c.Code == code }) {
				return sillage.Errorf(sillage.KindInvalid, "compétence numérique « %s » inconnue", code)
			}
		}
		if sillage.EncodeDigitalLevels(ds.Levels) == encodeCells(row.Cells) && ds.Appreciation == row.Appreciation {
			continue // unchanged
		}
		if row.Closed {
			return sillage.Errorf(sillage.KindConflict, "%s : le bilan de la période est fermé, ses compétences numériques ne changent plus ; le chef d'établissement ou un administrateur peut le rouvrir", name)
		}
		if row.ReportID == 0 && ds.IsZero() {
			continue
		}
		changes = append(changes, change{row, ds})
	}
	for _, c := range changes {
		if c.row.ReportID == 0 {
			r, err := tx.Livret().UpsertPeriodicReport(ctx, uai, c.row.Student.ID, periodID, who.PersonID)
			if err != nil {
				return err
			}
			c.row.ReportID = r.ID
		}
		c.skills.ReportID = c.row.ReportID
		if err := tx.Livret().SetDigitalSkills(ctx, uai, c.skills, who.PersonID); err != nil {
			return err
		}
	}
	if common != v.Common {
		return tx.Livret().SetClassDigitalSkills(ctx, uai, sillage.ClassDigitalSkills{PeriodID: periodID, DivisionID: divisionID, Comment: common, UpdatedBy: who.PersonID})
	}
	return nil
}

// encodeCells is the stored form of a row's levels, to spot a change.
func encodeCells(cells []DigitalCell) string {
	m := map[string]int{}
	for _, c := range cells {
		if n, err := strconv.Atoi(c.Value); err == nil {
			m[c.Code] = n
		}
	}
	return sillage.EncodeDigitalLevels(m)
}

// DigitalEntryOf returns the division whose page holds a student's digital
// skills, for the links of the export's report lines.
func DigitalEntryOf(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, studentID int64) (int64, error) {
	s, err := tx.People().GetStudent(ctx, uai, studentID)
	if err != nil {
		return 0, err
	}
	if s.DivisionID == 0 {
		return 0, sillage.Errorf(sillage.KindNotFound, "l'élève n'a pas de division")
	}
	e, err := newEntry(ctx, tx, uai, who)
	if err != nil {
		return 0, err
	}
	if _, err := e.digitalDivision(s.DivisionID); err != nil {
		return 0, err
	}
	return s.DivisionID, nil
}
