package sillage

import (
	"strings"
	"time"
)

// ReportState is where a Livret Scolaire report stands: a draft is being
// entered; a closed report is frozen (only a director or an administrator
// reopens it) and is what LSU receives.
type ReportState string

const (
	ReportDraft  ReportState = "draft"
	ReportClosed ReportState = "closed"
)

// Label is the French name of the state.
func (s ReportState) Label() string {
	if s == ReportClosed {
		return "fermé"
	}
	return "brouillon"
}

// PeriodicReport is a student's report for one period (bilan périodique),
// without its subject lines (ListSubjectResults).
type PeriodicReport struct {
	UAI                 UAI
	ID                  int64
	StudentID           int64
	PeriodID            int64
	State               ReportState
	ClosedAt            time.Time // the last closing; kept when reopened
	ClosedBy            int64
	CouncilDate         Date // class council; zero: the closing date is used
	GeneralAppreciation string
	// School-life counters of the period (half-days for absences); nil:
	// not recorded.
	Late, Absences, Unjustified, MissedHours *int
	SchoolLifeComment                        string
	Support                                  []string // PAP, PPS, UPE2A, SEGPA, ULIS, PAI, PPRE, RASED
	PPREComplement                           string
	UpdatedAt                                time.Time
	UpdatedBy                                int64
}

// Closed reports whether the report is closed.
func (r PeriodicReport) Closed() bool { return r.State == ReportClosed }

// SubjectResult is one subject line of a periodic report.
type SubjectResult struct {
	UAI          UAI
	ReportID     int64
	SubjectCode  string // SIECLE CODE_MATIERE (2D) or LSU domain code (1D)
	Average      *int   // hundredths of a point: 1550 is 15,50/20; nil: none
	Positioning  int    // 1–4; 0: none
	Status       int    // 1 non noté, 2 en attente, 3 dispensé; 0: none
	Appreciation string
	TeacherID    int64 // who entered it last (0: director or administrator)
	UpdatedAt    time.Time
}

// Empty reports whether the line holds nothing.
func (r SubjectResult) Empty() bool {
	return r.Average == nil && r.Positioning == 0 && r.Status == 0 && strings.TrimSpace(r.Appreciation) == ""
}

// ProgrammeElement is a programme element a division worked on in a
// subject during a period (élément de programme travaillé).
type ProgrammeElement struct {
	UAI         UAI
	ID          int64
	DivisionID  int64
	PeriodID    int64
	SubjectCode string
	Label       string
	CreatedAt   time.Time
}

// ReportFilter selects periodic reports.
type ReportFilter struct {
	PeriodIDs  []int64 // nil: every period
	StudentIDs []int64 // nil: every student
	DivisionID int64   // students currently in this division; 0: any
}

// CompetenceValue is one competence result of a student, for the proposal
// of a positioning.
type CompetenceValue struct {
	StudentID int64
	Value     string
}

// CycleReport is a student's end-of-cycle report (bilan de fin de cycle).
type CycleReport struct {
	UAI        UAI
	ID         int64
	StudentID  int64
	Cycle      int // 2 (CE2), 3 (6e) or 4 (3e)
	SchoolYear SchoolYear
	State      ReportState
	ClosedAt   time.Time
	ClosedBy   int64
	// Socle maps a domain code to its positioning 0–4 (0 = exempt); a
	// missing domain is not positioned yet.
	Socle           map[string]int
	Synthesis       string
	ComplementCode  string // enseignement de complément (AUC, LCA…); "" none
	ComplementLevel int    // 1 objectif atteint, 2 dépassé
	RegionalCode    string // langue et culture régionale (BRE, OCI…)
	RegionalLevel   int
	UpdatedAt       time.Time
	UpdatedBy       int64
}

// Closed reports whether the report is closed.
func (r CycleReport) Closed() bool { return r.State == ReportClosed }

// ReportPDF is the PDF of a Livret Scolaire report, archived when the
// report was closed (one row per closing: a report closed, reopened and
// closed again has two).
type ReportPDF struct {
	UAI          UAI
	ID           int64
	Kind         string // "periodic" or "cycle"
	ReportID     int64
	StudentID    int64
	SchoolYear   SchoolYear
	DivisionCode string
	StudentName  string
	Title        string // "Bilan périodique — Trimestre 1"
	Name         string // file name
	SHA256       string
	Size         int64
	CreatedAt    time.Time
	CreatedBy    int64
}

// LSUExport is an export to LSU with its report: kept so the file and the
// report can be downloaded again and archived by the changeover.
type LSUExport struct {
	UAI        UAI
	ID         int64
	SchoolYear SchoolYear
	Degree     string // "2D" or "1D"
	Version    string // schema version
	Selection  string // what was exported, in French
	Outcome    string // "file" (a validated file) or "refused"
	Refusal    string // why no file was produced
	Students   int    // students in the file
	Blocked    int    // students with a blocked report
	Fixed      int
	Ignored    int
	Warnings   int
	// The report as JSON (lsu.Report), and the file (XML or ZIP of parts).
	// A 1st-degree file holds INEs: it is handed over once and never kept.
	ReportSHA256 string
	ReportSize   int64
	FileName     string
	FileSHA256   string
	FileSize     int64
	CreatedAt    time.Time
	CreatedBy    int64
	CreatedName  string
}
