package sillage

import "time"

// ClassSpace is a division's shared space.
type ClassSpace struct {
	UAI          UAI
	ID           int64
	SchoolYear   SchoolYear
	DivisionID   int64 // 0 once the division is deleted
	DivisionCode string
	Label        string
	CreatedAt    time.Time
	TrashedAt    time.Time // in the trash when set
	Files        int       // read-only: number of documents
}

// ClassSpaceRight is an explicit right of a person on a class space.
type ClassSpaceRight struct {
	SpaceID  int64
	PersonID int64
	Role     string // SpaceManager or SpaceReader
}

// ClassSpaceFile is a document posted in a class space.
type ClassSpaceFile struct {
	UAI         UAI
	ID          int64
	SpaceID     int64
	Name        string
	SHA256      string
	Size        int64
	ContentType string
	PostedBy    int64
	PostedName  string // read-only, joined
	PostedAt    time.Time
}

// ClassSpaceFilter selects class spaces.
type ClassSpaceFilter struct {
	Trashed    bool       // the trash instead of the live ones
	SchoolYear SchoolYear // 0 = any
}
