package sillage

import "time"

// KeyVersion is one version of a secret key of the instance, as the
// database knows it: its fingerprint only, never the key.
type KeyVersion struct {
	Name        string // "id-key", …
	Version     int
	Fingerprint string
	RecordedAt  time.Time
	Retired     bool // replaced deliberately: no longer required
}
