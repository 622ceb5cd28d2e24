package sillage

import "time"

// Retention holds every duration rule of privacy.md and transfer.md, in one
// place: the purge, the transfer run, sign-in and the changeover read it.
type Retention struct {
	// StudentMonths: a student deactivated by an import is deleted with all
	// their data after this many months (weekly purge) unless transferred
	// or reactivated; the index entry expires with it.
	StudentMonths int
	// NewStudentMonths: a new student can receive a transfer for this many
	// months after their establishment's import created them; then settled.
	NewStudentMonths int
	// DepartedAccessMonths: a deactivated student may sign in to download
	// their record for this many months after deactivation.
	DepartedAccessMonths int
	// OtherAccountYears: other deactivated accounts (teachers, parents,
	// staff) are deleted at the annual initialisation after this many years.
	OtherAccountYears int
	// ArchiveYears: year-N class archives are kept this many years.
	ArchiveYears int
	// AuditMonths: audit entries older than this are deleted (rolling).
	AuditMonths int
	// RolloverUndoDays: what a changeover step deletes is kept this many
	// days in a restorable pack, then purged by the weekly housekeeping.
	RolloverUndoDays int
}

// DefaultRetention is privacy.md's table.
func DefaultRetention() Retention {
	return Retention{
		StudentMonths:        6,
		NewStudentMonths:     6,
		DepartedAccessMonths: 3,
		OtherAccountYears:    3,
		ArchiveYears:         10,
		AuditMonths:          12,
		RolloverUndoDays:     30,
	}
}

// Validate refuses nonsensical durations.
func (r Retention) Validate() error {
	switch {
	case r.StudentMonths < 1, r.NewStudentMonths < 1, r.AuditMonths < 1:
		return Errorf(KindInvalid, "les durées de conservation doivent être d'au moins un mois")
	case r.DepartedAccessMonths < 0 || r.DepartedAccessMonths > r.StudentMonths:
		return Errorf(KindInvalid, "l'accès d'un élève parti (%d mois) ne peut dépasser la conservation de ses données (%d mois)", r.DepartedAccessMonths, r.StudentMonths)
	case r.OtherAccountYears < 1, r.ArchiveYears < 1:
		return Errorf(KindInvalid, "les durées de conservation en années doivent être d'au moins un an")
	case r.RolloverUndoDays < 1:
		return Errorf(KindInvalid, "le délai d'annulation du changement d'année doit être d'au moins un jour")
	}
	return nil
}

// StudentPurgeCutoff: students deactivated before it are purged, and index
// entries deactivated before it are expired ("origin data expired").
func (r Retention) StudentPurgeCutoff(now time.Time) time.Time {
	return MonthsBefore(now, r.StudentMonths)
}

// SettledCutoff: new students entered before it become settled.
func (r Retention) SettledCutoff(now time.Time) time.Time {
	return MonthsBefore(now, r.NewStudentMonths)
}

// DepartedAccessEnds returns when a student deactivated at t loses sign-in.
func (r Retention) DepartedAccessEnds(deactivatedAt time.Time) time.Time {
	return deactivatedAt.AddDate(0, r.DepartedAccessMonths, 0)
}

// OtherAccountCutoff: other accounts deactivated before it are deleted.
func (r Retention) OtherAccountCutoff(now time.Time) time.Time {
	return now.AddDate(-r.OtherAccountYears, 0, 0)
}

// AuditCutoff: audit entries before it are deleted.
func (r Retention) AuditCutoff(now time.Time) time.Time {
	return MonthsBefore(now, r.AuditMonths)
}

// RolloverUndoEnds returns when a changeover pack made at t expires.
func (r Retention) RolloverUndoEnds(t time.Time) time.Time {
	return t.AddDate(0, 0, r.RolloverUndoDays)
}
