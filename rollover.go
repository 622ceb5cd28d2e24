package sillage

import "time"

// RolloverCalendar is the stored calendar of the changeover closing a
// school year: Calendar is internal/rollover's JSON document.
type RolloverCalendar struct {
	SchoolYear SchoolYear
	Calendar   string
	UpdatedAt  time.Time
	UpdatedBy  string
}

// RolloverStep is one step of one establishment's changeover.
type RolloverStep struct {
	UAI        UAI
	SchoolYear SchoolYear
	Step       int
	State      string // "" (not started), queued, running, done, failed
	Attempts   int
	QueuedAt   time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	LeaseUntil time.Time
	// HeartbeatAt is the last sign of life of the process running the
	// step, LeaseOwner that process (host and pid).
	HeartbeatAt   time.Time
	LeaseOwner    string
	ProgressDone  int
	ProgressTotal int
	Error         string
	Report        string // JSON (internal/rollover StepReport)
	Actor         string
}

// Rollover step states.
const (
	StepQueued  = "queued"
	StepRunning = "running"
	StepDone    = "done"
	StepFailed  = "failed"
)

// Stuck reports whether the step is "running" under a lease that expired
// at now: the process that held it stopped renewing it (it died).
func (s RolloverStep) Stuck(now time.Time) bool {
	return s.State == StepRunning && !s.LeaseUntil.IsZero() && s.LeaseUntil.Before(now)
}

// StuckSince is the last sign of life of a stuck step's process.
func (s RolloverStep) StuckSince() time.Time {
	if !s.HeartbeatAt.IsZero() {
		return s.HeartbeatAt
	}
	return s.StartedAt
}

// RolloverNotice is a message the changeover sent.
type RolloverNotice struct {
	UAI         UAI
	SchoolYear  SchoolYear
	Kind        string
	RecipientID int64
	MessageID   int64
	SentAt      time.Time
}

// RolloverFile is an uploaded initialisation file of year N+1 (step 4).
type RolloverFile struct {
	UAI        UAI
	ID         int64
	SchoolYear SchoolYear // N: the changeover's year
	Name       string
	SHA256     string
	Size       int64
	UploadedAt time.Time
	UploadedBy int64
}

// RolloverPack is one establishment's undo pack of one step.
type RolloverPack struct {
	UAI        UAI
	ID         int64
	SchoolYear SchoolYear
	Step       int
	CreatedAt  time.Time
	CreatedBy  string
	ExpiresAt  time.Time
	Rows       int
	RestoredAt time.Time
	RestoredBy string
}

// Restored reports whether the pack was restored.
func (p RolloverPack) Restored() bool { return !p.RestoredAt.IsZero() }

// RolloverPackStats are the instance's live packs (the privacy register
// and the retention page show them).
type RolloverPackStats struct {
	Packs    int
	Rows     int
	Earliest time.Time // first expiry
}

// TrashCounts are the items of an establishment's trash.
type TrashCounts struct {
	Evaluations int
	Sheets      int
	Documents   int
	ClassSpaces int
}

// Total is the number of items.
func (c TrashCounts) Total() int { return c.Evaluations + c.Sheets + c.Documents + c.ClassSpaces }

// YearCounts are the year-scoped data of a school year (and earlier).
type YearCounts struct {
	Divisions       int
	OptionGroups    int
	FreeYearGroups  int // free groups limited to the school year
	TimetableGroups int
	Periods         int
	ImportReports   int
	CredentialLists int
	ClassSpaces     int // live ones
}

// DivisionArchiveCounts are what a division's year archive will hold.
type DivisionArchiveCounts struct {
	DivisionID  int64
	Code        string
	Students    int
	Evaluations int
	Results     int
	Comments    int
	ReportPDFs  int
}
