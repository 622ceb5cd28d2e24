package sillage

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// AuditEntry is one line of the audit log. Entries of an establishment are
// chained: each holds the hash of the previous one, so an altered or removed
// entry breaks the chain (privacy.md).
type AuditEntry struct {
	UAI       UAI // "" for the instance's own chain (operator actions)
	Seq       int64
	At        time.Time
	ActorID   int64  // 0: the system
	ActorRole string // a Role, "operator", "system" or "api"
	ActorName string
	Action    string // e.g. "transfer.settings"
	Target    string // what the action was on (never an INE)
	Details   string
	PrevHash  string
	Hash      string
}

// GenesisHash is the previous hash of a chain's first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the entry's hash over its previous hash and fields.
// Fields are length-prefixed so no two entries encode alike.
func (e AuditEntry) ComputeHash() string {
	var b strings.Builder
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	field(e.PrevHash)
	field(string(e.UAI))
	field(strconv.FormatInt(e.Seq, 10))
	field(e.At.UTC().Format(time.RFC3339Nano))
	field(strconv.FormatInt(e.ActorID, 10))
	field(e.ActorRole)
	field(e.ActorName)
	field(e.Action)
	field(e.Target)
	field(e.Details)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
