package lsu

import (
	"time"

	"github.com/sillage/sillage/internal/ident"
)

// Degree is the school level of an export: collège (second degree) or école
// (first degree). The two use different schemas and cannot be mixed in one
// file.
type Degree string

const (
	SecondDegree Degree = "2D" // collège: SIECLE/STS identifiers
	FirstDegree  Degree = "1D" // école: ONDE class ids and INE
)

// Schema versions this package writes. The version is a setting: it must
// follow the XSD really deployed in LSU (formats-notes.md §1.3).
const (
	Version10  = "10.0" // 2nd degree, default (August 2025)
	Version7   = "7.0"  // 2nd degree, previous (December 2023)
	Version1b  = "1.0b" // 1st degree, default (LSU 17.2, April 2017)
	Version1_0 = "1.0"  // 1st degree, first version (February 2017)
)

// Target says which file to write. An empty Version means the default of the
// degree (10.0 or 1.0b).
type Target struct {
	Degree  Degree `json:"degree"`
	Version string `json:"version"`
}

// Input is everything an export needs, already read from the store. Dates
// are written as calendar dates in their own location: the caller gives them
// in the establishment's time zone. Slices need no particular order: the
// output is sorted.
type Input struct {
	Target Target

	// Header of the file (entete). Empty values default to "Sillage".
	Editor, Application, AppVersion string

	Establishment Establishment
	Students      []Student
	Periods       []Period
	Subjects      []Subject
	Teachers      []Teacher
	Elements      []ProgrammeElement
	Periodic      []PeriodicReport
	Cycles        []CycleReport
	Projects      Projects // EPI, AP and class parcours (2nd degree, epi.go)

	// ClassSchoolLife holds the class-level school-life comments (2D).
	ClassSchoolLife []ClassSchoolLife

	// DigitalCommons holds the class-level appreciations of the digital
	// skills of cycle 3 (2D, numerique.go).
	DigitalCommons []DigitalCommon

	// Directory is what the latest national directory imports know; LSU
	// rejects divisions and classes it does not find in SIECLE or ONDE.
	Directory Directory

	// YearRolledOver is set once the end-of-year changeover has started:
	// LSU no longer accepts the previous year's reports.
	YearRolledOver bool

	Config Config
}

// Establishment is the exporting school and its head(s): responsables-etab
// in the 2nd degree, directeurs in the 1st.
type Establishment struct {
	UAI   string
	Heads []Head
}

// Head is a head of establishment (principal, adjoint) or a school director.
type Head struct {
	ID        string // local id, referenced by reports
	Civility  string // "M" or "MME" (required in the 1st degree)
	LastName  string
	FirstName string
}

// Student is a pupil as the national applications know them.
type Student struct {
	ID        string // local id (never the INE)
	LastName  string
	FirstName string
	EntryDate time.Time // SIECLE DATE_ENTREE; zero when unknown
	Level     string    // level used to split exports ("6", "3", "CM1"…); optional

	// 2nd degree.
	EleveID  string // SIECLE ELEVE_ID, written as id-be
	Division string // SIECLE division code, must exist in the latest STS import

	// 1st degree.
	INE        ident.INE // supplied at export time from ONDE; written into the file, masked everywhere else
	ClassID    string    // ONDE class identifier
	ClassLabel string    // ONDE class label

	// Guardians are the legal guardians written in the student's reports.
	Guardians []Guardian
}

// Period is a term or semester of the school year.
type Period struct {
	ID         string
	Year       int // millésime: year of the rentrée (2025 for 2025-2026)
	Index      int // 1-based
	Count      int // number of periods in the year
	Start, End time.Time
	TermStart  time.Time // first day of term of that year; zero when unknown
}

// Subject is a taught subject as SIECLE names it (2nd degree) or an LSU
// domain (1st degree).
type Subject struct {
	ID           string
	Code         string // SIECLE CODE_MATIERE, 6 characters (2nd degree)
	NationalCode string // CODE_MATIERE_NATIONALE, 6 characters; optional
	Modality     string // SIECLE CODE_MODALITE_ELECT: S, O, F, L, R, X, D (N is mapped per Config)
	Label        string
	DomainCode   string // 1st degree: LSU domain code of 7 characters, e.g. "FRA-RAC"
}

// Teacher is a teacher from STS-web (2nd degree) or ONDE (1st degree).
type Teacher struct {
	ID        string
	STSID     string // STS INDIVIDU/@ID (digits; a leading "P" as Gepi writes it is accepted)
	STSType   string // STS INDIVIDU/@TYPE: epp or local (dir, autre also accepted)
	Civility  string // "M" or "MME" ("MLLE" is read as "MME")
	LastName  string
	FirstName string
}

// ProgrammeElement is a "élément de programme travaillé".
type ProgrammeElement struct {
	ID    string
	Label string
}

// ReportState is where a report stands in its life cycle.
type ReportState string

const (
	Draft  ReportState = "draft"
	Closed ReportState = "closed"
)

// EvaluationStatus says why a subject carries no mark.
type EvaluationStatus int

const (
	NoStatus  EvaluationStatus = 0
	NotGraded EvaluationStatus = 1 // non noté
	Pending   EvaluationStatus = 2 // en attente
	Exempt    EvaluationStatus = 3 // dispensé (student only)
)

// PeriodicReport is one student's report for one period.
type PeriodicReport struct {
	StudentID   string
	PeriodID    string
	State       ReportState
	ClosedAt    time.Time // when the report was last closed
	CouncilDate time.Time // class council (2D), date-creation (1D); zero means "use ClosedAt"

	Subjects            []SubjectResult
	GeneralAppreciation string
	SchoolLife          *SchoolLife // nil when nothing was recorded (written as zeros)
	Support             []SupportMeasure
	Projects            []ProjectResult   // EPI and AP groups followed (epi.go)
	Parcours            []StudentParcours // the student's parcours commentaries
	HomeworkDone        string            // devoirs faits (2D): what the student did in it
	Socle               map[string]int    // optional socle positioning of the term: domain code → 0–4
	Digital             *DigitalSkills    // digital skills of cycle 3 (2D, numerique.go); nil when none

	HeadID         string   // head of establishment signing; empty means the first one
	HeadTeacherIDs []string // professeurs principaux (2D) / class teachers (1D)
}

// SubjectResult is a subject's line in a periodic report.
type SubjectResult struct {
	SubjectID  string
	TeacherIDs []string
	ElementIDs []string

	Average          *float64 // 0–20, two decimals
	Positioning      int      // 1–4; 0 when not positioned
	Status           EvaluationStatus
	StructureAverage *float64
	StructureStatus  EvaluationStatus // NotGraded or Pending only
	Appreciation     string

	// 1st degree only.
	NotEvaluated bool // non-evalue (1.0b)
	SubDomains   []SubDomainResult
}

// SubDomainResult is a sub-domain line of a 1st-degree domain.
type SubDomainResult struct {
	Code         string // 7 characters, e.g. "FRA-LEC"
	ElementIDs   []string
	Positioning  int
	NotEvaluated bool
}

// SchoolLife holds the attendance counters of a period. A nil counter was
// not recorded.
type SchoolLife struct {
	Late        *int
	Absences    *int // all absences (half-days); LSU's "justified" is Absences − Unjustified
	Unjustified *int
	MissedHours *int
	Comment     string
}

// SupportMeasure is a "modalité d'accompagnement": PAP, PPS, UPE2A, SEGPA
// (2D), ULIS, PAI, PPRE, RASED (1D).
type SupportMeasure struct {
	Code           string
	PPREComplement string
}

// Socle domain codes of the end-of-cycle report, in the order LSU lists them.
var SocleDomains = []string{"CPD_FRA", "CPD_ETR", "CPD_SCI", "CPD_ART", "MET_APP", "FRM_CIT", "SYS_NAT", "REP_MND"}

// CycleReport is one student's end-of-cycle report.
type CycleReport struct {
	StudentID string
	Cycle     int // 3 or 4 (2D), 2 (1D)
	Year      int // millésime
	State     ReportState
	ClosedAt  time.Time
	CreatedAt time.Time // date-creation; zero means ClosedAt

	// Socle maps each of the 8 domain codes to 0–4 (0 = exempt). A missing
	// domain blocks the report.
	Socle     map[string]int
	Synthesis string

	Complement       *Option // enseignement de complément (2D)
	RegionalLanguage *Option // langue et culture régionale (2D)

	HeadID         string
	HeadTeacherIDs []string
}

// Option is an optional teaching of the end of cycle 4 and its level: 1 =
// objectif atteint, 2 = objectif dépassé (none for AUC).
type Option struct {
	Code  string
	Level int
}

// Directory lists what the latest national directory imports contain.
type Directory struct {
	STSDivisions []string // division codes of the latest STS-web import (2D)
	ONDEClassIDs []string // class ids of the latest ONDE import (1D)
}

// PositioningMode is how the establishment declared its subjects are
// assessed in LSU (LSU defaults to marks out of 20 every year).
type PositioningMode string

const (
	ModeAverages    PositioningMode = "moyennes"
	ModePositioning PositioningMode = "positionnements"
)

// Config holds the export settings of the establishment.
type Config struct {
	// ModalityN is the modality written for SIECLE's "N" (obligatoire ou
	// facultative), which LSU refuses. Empty refuses those subjects.
	ModalityN string
	// Positioning is the mode declared in LSU; empty means ModeAverages.
	Positioning PositioningMode
}
