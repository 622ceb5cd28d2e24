package sillage

import "time"

// LSUProject is an EPI (enseignement pratique interdisciplinaire) or an AP
// (accompagnement personnalisé) an establishment declares for a school
// year, for the Livret Scolaire.
type LSUProject struct {
	UAI         UAI
	ID          int64
	SchoolYear  SchoolYear
	Kind        string // "epi" or "ap"
	Title       string
	Theme       string // EPI: national code (EPI_SAN…) or a local theme's code
	Description string
	Subjects    []string // SIECLE subject codes (an EPI needs two)
	UpdatedAt   time.Time
	UpdatedBy   int64
}

// LSUProjectGroup is what one division follows of a project in one
// period: its teachers with their discipline and the class commentary.
type LSUProjectGroup struct {
	UAI        UAI
	ID         int64
	ProjectID  int64
	DivisionID int64
	PeriodID   int64
	Title      string
	Comment    string
	Teachers   []TeacherSubject
	UpdatedAt  time.Time
	UpdatedBy  int64
}

// TeacherSubject is a teacher of a project group and the discipline
// (SIECLE subject code) they bring.
type TeacherSubject struct {
	TeacherID   int64
	SubjectCode string
}

// ProjectGroupFilter selects project groups; zero fields select all.
type ProjectGroupFilter struct {
	ProjectID  int64
	DivisionID int64
	PeriodID   int64
	TeacherID  int64 // groups this teacher is in
}

// EPITheme is a local EPI theme of an establishment (LSU accepts themes
// declared in the file besides the national ones).
type EPITheme struct {
	UAI       UAI
	Code      string
	Label     string
	UpdatedAt time.Time
}

// ClassParcours is a division's project for a parcours éducatif (PAR_AVN,
// PAR_CIT, PAR_ART, PAR_SAN) in a period.
type ClassParcours struct {
	UAI        UAI
	DivisionID int64
	PeriodID   int64
	Code       string
	Text       string
	UpdatedAt  time.Time
	UpdatedBy  int64
}

// ReportBlock is a student's line of a periodic report for a project group
// (GroupID set: the appreciation) or a parcours (Parcours set: the
// student's commentary).
type ReportBlock struct {
	UAI       UAI
	ReportID  int64
	GroupID   int64
	Parcours  string
	Text      string
	UpdatedAt time.Time
	UpdatedBy int64
}
