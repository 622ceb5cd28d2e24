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

// ComputeHash returns the entry's unkeyed hash (SHA-256) over its previous
// hash and fields: the entries written before the chain was sealed under
// the audit key (see AuditKey).
func (e AuditEntry) ComputeHash() string {
	sum := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(sum[:])
}

// Canonical is the entry's previous hash and fields, length-prefixed so no
// two entries encode alike: what its hash, keyed or not, covers.
func (e AuditEntry) Canonical() []byte {
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
	return []byte(b.String())
}

// AuditKey seals audit entries with a key kept outside the database: the
// hash of a sealed entry is "v<N>:" + a keyed MAC, so whoever can write the
// database but lacks the key cannot recompute the chain after an edit.
type AuditKey interface {
	// Seal returns the keyed hash of e under the newest key version.
	Seal(e AuditEntry) string
}

// KeyedHash reports whether hash is a keyed one ("v<N>:…") and its version.
func KeyedHash(hash string) (version int, ok bool) {
	prefix, _, found := strings.Cut(hash, ":")
	if !found || len(prefix) < 2 || prefix[0] != 'v' {
		return 0, false
	}
	v, err := strconv.Atoi(prefix[1:])
	if err != nil || v < 1 {
		return 0, false
	}
	return v, true
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	From, To time.Time // [From, To); zero = unbounded
	ActorID  int64
	Action   string // prefix, e.g. "transfer"
	Limit    int    // 0 = no limit
	Offset   int    // with Limit: entries skipped before the first returned (a page)
}

// AuditHead is the state of a chain: its last entry and where retention cut it.
type AuditHead struct {
	UAI        UAI
	Seq        int64
	Hash       string
	PurgedSeq  int64
	PurgedHash string
}
