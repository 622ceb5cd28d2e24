package livret

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
)

// The Livret's blocks around the subjects (lsu.md): per student and period
// the "devoirs faits" and the socle positioning of the term, entered with
// the general appreciation; per division and period the school-life
// comment of the class, entered by the vie scolaire; the legal guardians,
// read from the SIECLE import.

// maxComment is LSU's limit for devoirs faits and the class comment.
const maxComment = 600

// SocleChoice is a socle domain of the term as the page shows it.
type SocleChoice struct {
	Code, Label string
	Value       string // "" when not positioned, else "0"–"4"
}

// ExtrasView is the page of a report's devoirs faits, socle of the term and
// legal guardians (its Extras and Guardians are the ReportView's).
type ExtrasView struct {
	*ReportView
	Socle  []SocleChoice
	Levels []string // SocleLevels
}

// HasHomework says whether the degree's LSU file carries devoirs faits.
func (v *ExtrasView) HasHomework() bool { return v.Degree == lsu.SecondDegree }

// RanksSent says whether the degree's LSU file carries the guardians'
// rank (legal1/legal2) and legal persons: the 2nd degree's does.
func (v *ExtrasView) RanksSent() bool { return v.Degree == lsu.SecondDegree }

// LoadExtras reads the page of a report's complements.
func LoadExtras(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, studentID, periodID int64) (*ExtrasView, error) {
	rv, err := LoadReport(ctx, tx, uai, who, studentID, periodID)
	if err != nil {
		return nil, err
	}
	v := &ExtrasView{ReportView: rv, Levels: SocleLevels}
	for _, d := range sillage.SocleDomains {
		c := SocleChoice{Code: d, Label: SocleLabels[d]}
		if n, ok := v.Extras.Socle[d]; ok {
			c.Value = strconv.Itoa(n)
		}
		v.Socle = append(v.Socle, c)
	}
	return v, nil
}

// ExtrasInput is the form of the complements: the devoirs faits text and,
// per domain code, "" or "0"–"4".
type ExtrasInput struct {
	HomeworkDone string
	Socle        map[string]string
}

// SaveExtras writes a report's complements: the head teacher, the director
// and the administrators, while the report is a draft.
func SaveExtras(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, studentID, periodID int64, in ExtrasInput) error {
	v, err := LoadReport(ctx, tx, uai, who, studentID, periodID)
	if err != nil {
		return err
	}
	if !v.CanEdit {
		if v.Report.Closed() {
			return errClosed()
		}
		return sillage.Errorf(sillage.KindForbidden, "seuls le professeur principal, le chef d'établissement et les administrateurs renseignent cette partie du bilan")
	}
	e := sillage.PeriodicExtras{HomeworkDone: strings.TrimSpace(in.HomeworkDone)}
	if v.Degree != lsu.SecondDegree {
		e.HomeworkDone = "" // the 1st degree's LSU file has no devoirs faits
	}
	if n := utf8.RuneCountInString(e.HomeworkDone); n > maxComment {
		return sillage.Errorf(sillage.KindInvalid, "devoirs faits : %d caractères, LSU en accepte %d au plus", n, maxComment)
	}
	for code, s := range in.Socle {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		label, ok := SocleLabels[code]
		if !ok {
			return sillage.Errorf(sillage.KindInvalid, "domaine du socle « %s » inconnu", code)
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 4 {
			return sillage.Errorf(sillage.KindInvalid, "%s : positionnement « %s » invalide (0 = dispensé, 1 à 4)", label, s)
		}
		if e.Socle == nil {
			e.Socle = map[string]int{}
		}
		e.Socle[code] = n
	}
	if v.Report.ID == 0 {
		created, err := tx.Livret().UpsertPeriodicReport(ctx, uai, studentID, periodID, who.PersonID)
		if err != nil {
			return err
		}
		v.Report.ID = created.ID
	}
	e.ReportID = v.Report.ID
	return tx.Livret().SetPeriodicExtras(ctx, uai, e, who.PersonID)
}

// ClassSchoolLifeView is the page of the class-level school-life comments
// of a period: one per division of the year.
type ClassSchoolLifeView struct {
	Degree  lsu.Degree
	Periods []sillage.Period
	Period  sillage.Period // the period shown; ID 0 when the year has none
	Rows    []ClassSchoolLifeRow
}

// ClassSchoolLifeRow is a division and its comment.
type ClassSchoolLifeRow struct {
	Division  sillage.Division
	Comment   string
	UpdatedAt string // "" when never written
}

// Applies says whether the LSU file of the degree has class comments.
func (v *ClassSchoolLifeView) Applies() bool { return v.Degree == lsu.SecondDegree }

// LoadClassSchoolLife reads the class comments of a period (the current
// one when periodID is 0) of the school year of now.
func LoadClassSchoolLife(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear, periodID int64) (*ClassSchoolLifeView, error) {
	est, err := tx.Establishments().GetEstablishment(ctx, uai)
	if err != nil {
		return nil, err
	}
	degree, err := DegreeOf(est)
	if err != nil {
		return nil, err
	}
	v := &ClassSchoolLifeView{Degree: degree}
	if v.Periods, err = tx.Periods().ListPeriods(ctx, uai, year); err != nil {
		return nil, err
	}
	if len(v.Periods) == 0 {
		return v, nil
	}
	v.Period = v.Periods[0]
	found := periodID == 0
	for _, p := range v.Periods {
		if p.ID == periodID {
			v.Period, found = p, true
		}
	}
	if !found {
		return nil, sillage.Errorf(sillage.KindNotFound, "période introuvable")
	}
	divisions, err := tx.People().ListDivisions(ctx, uai, year)
	if err != nil {
		return nil, err
	}
	comments, err := tx.Livret().ListClassSchoolLife(ctx, uai, []int64{v.Period.ID})
	if err != nil {
		return nil, err
	}
	byDivision := map[int64]sillage.ClassSchoolLife{}
	for _, c := range comments {
		byDivision[c.DivisionID] = c
	}
	for _, d := range divisions {
		row := ClassSchoolLifeRow{Division: d}
		if c, ok := byDivision[d.ID]; ok {
			row.Comment = c.Comment
			row.UpdatedAt = sillage.FormatDateTime(c.UpdatedAt)
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// SaveClassSchoolLife writes the comment of a division for a period (an
// empty one removes it). The period and the division must be of the same
// school year.
func SaveClassSchoolLife(ctx context.Context, tx *store.Tx, uai sillage.UAI, who sillage.Who, divisionID, periodID int64, comment string) error {
	d, err := tx.People().GetDivision(ctx, uai, divisionID)
	if err != nil {
		return err
	}
	p, err := tx.Periods().GetPeriod(ctx, uai, periodID)
	if err != nil {
		return err
	}
	if p.SchoolYear != d.SchoolYear {
		return sillage.Errorf(sillage.KindInvalid, "la période et la division ne sont pas de la même année scolaire")
	}
	comment = strings.TrimSpace(comment)
	if n := utf8.RuneCountInString(comment); n > maxComment {
		return sillage.Errorf(sillage.KindInvalid, "commentaire de vie scolaire : %d caractères, LSU en accepte %d au plus", n, maxComment)
	}
	return tx.Livret().SetClassSchoolLife(ctx, uai, sillage.ClassSchoolLife{PeriodID: periodID, DivisionID: divisionID, Comment: comment, UpdatedBy: who.PersonID})
}
