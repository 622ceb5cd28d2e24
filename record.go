package sillage

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ReferentialKind is the family of a diploma referential.
type ReferentialKind string

const (
	ReferentialBacPro ReferentialKind = "bacpro"
	ReferentialBEP    ReferentialKind = "bep"
	ReferentialOther  ReferentialKind = "other"
)

// Label is the French name of the family.
func (k ReferentialKind) Label() string {
	switch k {
	case ReferentialBacPro:
		return "Baccalauréat professionnel"
	case ReferentialBEP:
		return "BEP"
	}
	return "Autre diplôme"
}

// Referential is a diploma with its competences.
type Referential struct {
	UAI         UAI
	ID          int64
	Diploma     string // the diploma part of the MEF code (DiplomaOfMEF)
	Kind        ReferentialKind
	Label       string
	CreatedAt   time.Time
	Competences []Competence
}

// Competence is one competence of a referential, grouped in domains.
type Competence struct {
	UAI           UAI
	ID            int64
	ReferentialID int64
	Domain        string // e.g. "C1 - S'informer"
	Code          string // e.g. "C1.2"; unique within the referential
	Label         string
	Position      int
}

// Validate checks a competence before it is stored.
func (c Competence) Validate() error {
	switch {
	case strings.TrimSpace(c.Code) == "":
		return Errorf(KindInvalid, "le code de la compétence est obligatoire")
	case strings.TrimSpace(c.Label) == "":
		return Errorf(KindInvalid, "le libellé de la compétence %s est obligatoire", c.Code)
	case utf8.RuneCountInString(c.Code) > 32:
		return Errorf(KindInvalid, "le code de compétence %q dépasse 32 caractères", c.Code)
	}
	return nil
}

// ScaleLevel is one value of the result scale.
type ScaleLevel struct {
	Code  string // stored value, e.g. "3" or "ABS"
	Label string
	// Points places the level on a 0–4 line for proposals (LSU
	// positioning); a negative value means "not evaluated" (absent, exempt).
	Points int
}

// Scale is an establishment's result scale.
type Scale []ScaleLevel

// DefaultScale is four levels of mastery plus absent and exempt.
func DefaultScale() Scale {
	return Scale{
		{Code: "1", Label: "Non maîtrisé", Points: 1},
		{Code: "2", Label: "Insuffisamment maîtrisé", Points: 2},
		{Code: "3", Label: "Maîtrisé", Points: 3},
		{Code: "4", Label: "Très bien maîtrisé", Points: 4},
		{Code: "ABS", Label: "Absent", Points: -1},
		{Code: "DISP", Label: "Dispensé", Points: -1},
	}
}

// Level returns the level with code c.
func (s Scale) Level(c string) (ScaleLevel, bool) {
	for _, l := range s {
		if l.Code == c {
			return l, true
		}
	}
	return ScaleLevel{}, false
}

// Check refuses a value outside the scale ("" clears a result).
func (s Scale) Check(v string) error {
	if v == "" {
		return nil
	}
	if _, ok := s.Level(v); ok {
		return nil
	}
	codes := make([]string, len(s))
	for i, l := range s {
		codes[i] = l.Code
	}
	return Errorf(KindInvalid, "valeur %q hors de l'échelle (%s)", v, strings.Join(codes, ", "))
}

// Evaluation is an assessment a teacher gives: its results are per student
// and competence.
type Evaluation struct {
	UAI           UAI
	ID            int64
	Title         string
	Date          Date
	Level         string // e.g. "Première professionnelle"
	Diploma       string
	ReferentialID int64
	AuthorID      int64
	AuthorName    string // read-only, joined
	DivisionID    int64  // 0 when not tied to a division (transferred, or given to a group)
	GroupID       int64  // the group whose students it evaluates (0: none)
	SchoolYear    SchoolYear
	OriginUAI     UAI // set on evaluations brought by a transfer
	CreatedAt     time.Time
	DeletedAt     time.Time // in the trash when set
	DeletedBy     int64
}

// Validate checks an evaluation's own fields.
func (e Evaluation) Validate() error {
	switch {
	case strings.TrimSpace(e.Title) == "":
		return Errorf(KindInvalid, "le titre de l'évaluation est obligatoire")
	case utf8.RuneCountInString(e.Title) > 200:
		return Errorf(KindInvalid, "le titre de l'évaluation dépasse 200 caractères")
	case e.Date.IsZero():
		return Errorf(KindInvalid, "la date de l'évaluation est obligatoire")
	}
	return nil
}

// Result is one student's level on one competence in one evaluation.
type Result struct {
	UAI          UAI
	EvaluationID int64
	StudentID    int64
	CompetenceID int64
	Value        string // a Scale code
}

// Comment is the teacher's comment for one student in one evaluation.
type Comment struct {
	UAI          UAI
	EvaluationID int64
	StudentID    int64
	Text         string
}

// SheetKind is the family of a professional-situation sheet.
type SheetKind string

const (
	SheetBacPro SheetKind = "bacpro"
	SheetBEP    SheetKind = "bep"
)

// ParseSheetKind checks a sheet kind.
func ParseSheetKind(s string) (SheetKind, error) {
	switch k := SheetKind(strings.TrimSpace(s)); k {
	case SheetBacPro, SheetBEP:
		return k, nil
	}
	return "", Errorf(KindInvalid, "type de fiche %q inconnu : bacpro ou bep", s)
}

// Label is the French name of the kind.
func (k SheetKind) Label() string {
	if k == SheetBEP {
		return "Fiche de situation professionnelle BEP"
	}
	return "Fiche de situation professionnelle baccalauréat professionnel"
}

// SituationContext says where the situation happened.
type SituationContext string

const (
	ContextClass SituationContext = "class" // in class, workshop
	ContextPFMP  SituationContext = "pfmp"  // work placement period
)

// Label is the French name of the context.
func (c SituationContext) Label() string {
	if c == ContextPFMP {
		return "PFMP"
	}
	return "En établissement"
}

// Sheet is a professional-situation sheet of a student (bac pro or BEP),
// evaluated by a teacher. Files the student attaches hang from it.
type Sheet struct {
	UAI         UAI
	ID          int64
	StudentID   int64
	Kind        SheetKind
	Title       string
	Description string // the situation: what the student did, with what, for whom
	Context     SituationContext
	Class       string // the class, workshop or subject when Context is class
	PFMPStart   Date
	PFMPEnd     Date
	Host        string // host organisation of the PFMP
	Activities  string // activities and competences concerned
	AuthorID    int64  // the evaluating teacher, 0 before evaluation
	AuthorName  string // read-only, joined
	Result      string // a Scale code
	Comment     string
	OriginUAI   UAI
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeletedAt   time.Time
	DeletedBy   int64
	Attachments []Attachment
	Results     []SheetResult // per competence, in the referential's order
}

// SheetResult is the evaluation of one competence on a sheet: a scale
// value and an optional comment.
type SheetResult struct {
	SheetID      int64
	CompetenceID int64
	Code, Label  string // read-only, joined from the competence
	Value        string
	Comment      string
}

// Validate checks the sheet's descriptive fields.
func (s Sheet) Validate() error {
	if _, err := ParseSheetKind(string(s.Kind)); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(s.Title) == "":
		return Errorf(KindInvalid, "l'intitulé de la situation est obligatoire")
	case s.Context != ContextClass && s.Context != ContextPFMP:
		return Errorf(KindInvalid, "le contexte doit être « classe » ou « PFMP »")
	case s.Context == ContextPFMP && (s.PFMPStart.IsZero() || s.PFMPEnd.IsZero()):
		return Errorf(KindInvalid, "les dates de début et de fin de la PFMP sont obligatoires")
	case s.Context == ContextPFMP && s.PFMPEnd.Before(s.PFMPStart):
		return Errorf(KindInvalid, "la fin de la PFMP précède son début")
	case s.Context == ContextPFMP && strings.TrimSpace(s.Host) == "":
		return Errorf(KindInvalid, "l'organisme d'accueil de la PFMP est obligatoire")
	}
	return nil
}

// Attachment is a file a student attached to a sheet; its bytes live in
// the blob store under their SHA-256.
type Attachment struct {
	UAI         UAI
	ID          int64
	SheetID     int64
	Name        string
	SHA256      string
	Size        int64
	ContentType string // application/pdf or application/zip
	UploadedAt  time.Time
	UploadedBy  int64
}

// DocumentKind says what a document of the student's space is.
type DocumentKind string

const (
	DocumentArchive DocumentKind = "archive" // the yearly archive the changeover writes
	DocumentFile    DocumentKind = "file"
)

// Document is a file of a student's document space ("porte-documents").
type Document struct {
	UAI         UAI
	ID          int64
	StudentID   int64
	Kind        DocumentKind
	Name        string
	SHA256      string
	Size        int64
	ContentType string
	SchoolYear  SchoolYear
	CreatedAt   time.Time
	DeletedAt   time.Time
	DeletedBy   int64
}

// Archive is a file of the establishment's "Archives" space: a class's
// year archive, a legal record kept for the archive retention.
type Archive struct {
	UAI          UAI
	ID           int64
	SchoolYear   SchoolYear
	DivisionCode string
	Name         string
	SHA256       string
	Size         int64
	CreatedAt    time.Time
}

// TrashKind names what a trash item is.
type TrashKind string

const (
	TrashEvaluation TrashKind = "evaluation"
	TrashSheet      TrashKind = "sheet"
	TrashDocument   TrashKind = "document"
	TrashClassSpace TrashKind = "class_space"
)

// Label is the French name of the kind.
func (k TrashKind) Label() string {
	switch k {
	case TrashEvaluation:
		return "Évaluation"
	case TrashSheet:
		return "Fiche de situation"
	case TrashDocument:
		return "Document"
	case TrashClassSpace:
		return "Espace de classe"
	}
	return string(k)
}

// TrashItem is a soft-deleted item, restorable until the changeover's step 1.
type TrashItem struct {
	UAI       UAI
	Kind      TrashKind
	ID        int64
	Label     string
	OwnerID   int64 // the author (evaluations) or student (sheets, documents)
	DeletedAt time.Time
	DeletedBy int64
}

// PeriodKind is how a school year is cut.
type PeriodKind string

const (
	Trimester PeriodKind = "trimestre"
	Semester  PeriodKind = "semestre"
)

// Count is the number of periods of the kind in a year.
func (k PeriodKind) Count() int {
	if k == Semester {
		return 2
	}
	return 3
}

// Period is a trimester or semester of a school year.
type Period struct {
	UAI        UAI
	ID         int64
	SchoolYear SchoolYear
	Kind       PeriodKind
	Index      int // 1-based
	Start      Date
	End        Date
}

// Label is "Trimestre 2" or "Semestre 1".
func (p Period) Label() string {
	if p.Kind == Semester {
		return "Semestre " + strconv.Itoa(p.Index)
	}
	return "Trimestre " + strconv.Itoa(p.Index)
}

// EvaluationFilter selects evaluations.
type EvaluationFilter struct {
	DivisionID int64 // 0 = any
	GroupID    int64 // 0 = any
	AuthorID   int64 // 0 = any
	StudentID  int64 // evaluations where this student has a result or a comment
	Trashed    bool  // the trash instead of the live ones
}

// ResultFilter selects results.
type ResultFilter struct {
	EvaluationID int64
	StudentID    int64
}

// DatedResult is a result with what places it in time: its evaluation's
// date and, for a result brought by a transfer, the establishment it was
// given in. The acquisition summaries read it.
type DatedResult struct {
	StudentID    int64
	CompetenceID int64
	EvaluationID int64
	Date         Date
	OriginUAI    UAI // "" when given here
	Value        string
}

// EvaluationRef is what the records import needs to find an evaluation
// again: its id, whether it is in the trash.
type EvaluationRef struct {
	ID      int64
	Trashed bool
}

// SheetFilter selects sheets.
type SheetFilter struct {
	StudentID  int64
	DivisionID int64 // sheets of the students of a division
	Trashed    bool
}
