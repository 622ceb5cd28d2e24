package sillage

import "time"

// InboxMessage is a message of the internal message box.
type InboxMessage struct {
	UAI         UAI
	ID          int64
	RecipientID int64
	Sender      string
	Subject     string
	Body        string
	CreatedAt   time.Time
	ReadAt      time.Time
}
