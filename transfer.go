package sillage

import "time"

// TransferIndexEntry is a deactivated student in the instance-wide index the
// transfer engine searches (transfer.md 4). It holds no name and no INE:
// the unqid, where the data is, and the diploma.
type TransferIndexEntry struct {
	Unqid           string
	OriginUAI       UAI
	OriginStudentID int64
	Diploma         string
	DeactivatedAt   time.Time
}

// TransferCandidate is a new, active student with an unqid, and one index
// entry of another establishment that matches them (Entry nil: none).
type TransferCandidate struct {
	UAI          UAI
	StudentID    int64
	Unqid        string // the newest version
	EnteredAt    time.Time
	Diploma      string
	PreviousUAI  UAI
	PreviousName string
	Entry        *TransferIndexEntry
}

// StudentRef names a student of an establishment.
type StudentRef struct {
	UAI       UAI   `json:"uai"`
	StudentID int64 `json:"eleve"`
}

// TransferRecord is what a transfer moves of one student: the live
// evaluations where they have a result or a comment (with their results and
// comment only), and their live sheets with the files.
type TransferRecord struct {
	Evaluations []TransferEvaluation
	Sheets      []Sheet // AuthorName resolved, Attachments filled
}

// TransferEvaluation is an origin evaluation with the student's part.
type TransferEvaluation struct {
	ID                 int64
	Title              string
	Date               Date
	Level              string
	Diploma            string
	SchoolYear         SchoolYear
	ReferentialID      int64
	ReferentialDiploma string
	Results            []TransferResult // by competence code
	Comment            string
	HasComment         bool
}

// TransferResult is one result with its competence. The competence's
// referential is usually the evaluation's; when it is another one, the
// result goes to the destination's referential of that one's diploma.
type TransferResult struct {
	CompetenceID       int64
	ReferentialID      int64
	ReferentialDiploma string
	Code               string
	Value              string
}

// TransferLogEntry is one line of the transfer log, the record both
// establishments read (transfer.md 5 step 4 and 7): one line per pair
// (destination student, origin student), rewritten as the attempts go.
type TransferLogEntry struct {
	ID              int64
	At              time.Time // when the line last changed state
	OriginUAI       UAI
	DestUAI         UAI
	OriginStudentID int64
	DestStudentID   int64
	Done            bool
	Final           bool   // an impossible transfer that will not be retried
	Reason          string // a reason code of the transfer engine ("" when done)
	DestName        string // the student's name as the destination knows them
	OriginInitials  string // the departed student, masked
	Counts          string // JSON of what moved
	Manifest        string // SHA-256 of the canonical list of what moved

	// Joined on read: the establishments' names ("" when not in the instance).
	OriginName string
	DestEstab  string

	// Peer is the other instance of a federated transfer (its name as
	// declared by the operator; "" inside the instance): the other side's
	// establishment is then not in this instance.
	Peer string
}

// TransferSide selects the lines of an establishment as destination
// (incoming) or origin (outgoing).
type TransferSide int

const (
	TransferIncoming TransferSide = iota
	TransferOutgoing
)

// TransferLogFilter selects lines of the log.
type TransferLogFilter struct {
	Side   TransferSide
	Since  time.Time // inclusive; zero = unbounded
	Until  time.Time // exclusive; zero = unbounded
	Done   int       // 0 = any, 1 = done only, 2 = not done only
	Limit  int       // 0 = no limit
	Reason string    // "" = any
}

// PendingTransfer is a new student of an establishment still waiting for
// a record, with what the dashboard says about why (transfer.md 5 step 2).
type PendingTransfer struct {
	StudentID     int64
	LastName      string
	FirstName     string
	DivisionCode  string
	EnteredAt     time.Time
	PreviousUAI   UAI
	PreviousName  string
	ActiveIn      UAI  // still active in another establishment ("" if not): the previous one of the file when it is one of them
	EntryWaiting  bool // an index entry matches: the next run will act on it
	ImpossibleLog bool // a line of the log, in the window, says it is impossible for now
	ServedAway    bool // the matching record was sent to another instance of the federation, which has not confirmed it yet
}

// PendingTransferFilter is the window of the pending list: students entered in
// it, and the impossible lines of the log in it.
type PendingTransferFilter struct {
	Since time.Time // inclusive; zero = unbounded
	Until time.Time // exclusive; zero = unbounded
}
