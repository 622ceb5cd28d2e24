package directory

import (
	"maps"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
)

// presence holds the identities a complete file names in records it
// rejects. Presence is decided by identity, never by acceptance: a student
// such a record names is present in the file, and is left as they are —
// neither deactivated, nor put in the transfer index, nor moved to another
// division — and the report lists them under "rejeté — laissé en l'état".
type presence struct {
	siecle map[string]heldRecord // ELEVE_ID, or an ONDE identity key
	aaf    map[string]heldRecord // AAF join id
	unqid  map[string]heldRecord // the unqid of the record's INE, under every key version
	names  map[string]heldRecord // nameKey: an ONDE row with neither a valid INE nor a birth date
	// STS-web and AAF rejects that name staff are kept through txn.keep
	// (keySTS, keyAAF), which also keeps their services.
}

// heldRecord is the rejected record that names a student.
type heldRecord struct {
	loc, reason string
}

func newPresence() *presence {
	return &presence{siecle: map[string]heldRecord{}, aaf: map[string]heldRecord{}, unqid: map[string]heldRecord{}, names: map[string]heldRecord{}}
}

// clone is a copy of p, for one attempt of an import's transaction:
// planning adds to the sets (students.go), and a re-run must start from
// what the file named, not from what a failed attempt added. nil stays nil.
func (p *presence) clone() *presence {
	if p == nil {
		return nil
	}
	return &presence{siecle: maps.Clone(p.siecle), aaf: maps.Clone(p.aaf), unqid: maps.Clone(p.unqid), names: maps.Clone(p.names)}
}

func addHeld(m map[string]heldRecord, key string, h heldRecord) {
	if key == "" {
		return
	}
	if _, ok := m[key]; !ok {
		m[key] = h
	}
}

// addINE records the unqids of the first valid INE among raws.
func (p *presence) addINE(kr ident.Keyring, h heldRecord, raws ...ident.INE) {
	vals := make([]string, 3)
	for i, r := range raws {
		if i < len(vals) {
			vals[i] = r.Value()
		}
	}
	ine, _, err := ident.ChooseINE(vals[0], vals[1], vals[2])
	if err != nil || ine.IsZero() {
		return
	}
	unqids, err := kr.Unqids(ine)
	if err != nil {
		return
	}
	for _, u := range unqids {
		addHeld(p.unqid, u, h)
	}
}

// nameKey folds a name for the last-resort match of a rejected ONDE row:
// it only ever keeps a student, never gives anyone an identity.
func nameKey(last, first string) string {
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToUpper(s)), " ") }
	if norm(last) == "" || norm(first) == "" {
		return ""
	}
	return norm(last) + "\x00" + norm(first)
}

// holds returns the rejected record that names s, if any.
func (p *presence) holds(s *sillage.Student, versions []string) (heldRecord, bool) {
	if p == nil {
		return heldRecord{}, false
	}
	if h, ok := p.siecle[s.SIECLEID]; ok && s.SIECLEID != "" {
		return h, true
	}
	if s.SIECLEID != "" && strings.HasPrefix(s.SIECLEID, ondeKeyPrefix) {
		if h, ok := p.siecle[ondeBase(s.SIECLEID)]; ok {
			return h, true
		}
	}
	if h, ok := p.aaf[s.AAFID]; ok && s.AAFID != "" {
		return h, true
	}
	for _, u := range append([]string{s.Unqid}, versions...) {
		if h, ok := p.unqid[u]; ok && u != "" {
			return h, true
		}
	}
	if len(p.names) > 0 && strings.HasPrefix(s.SIECLEID, ondeKeyPrefix) {
		if h, ok := p.names[nameKey(s.LastName, s.FirstName)]; ok {
			return h, true
		}
	}
	return heldRecord{}, false
}

// holdsPerson returns the rejected record that names a guardian or a
// member of staff, if any: by PERSONNE_ID, AAF join id or STS-web id.
func (p *presence) holdsPerson(e *sillage.Person) (heldRecord, bool) {
	if p == nil {
		return heldRecord{}, false
	}
	for _, c := range []struct {
		m   map[string]heldRecord
		key string
	}{{p.siecle, e.SIECLEID}, {p.aaf, e.AAFID}} {
		if h, ok := c.m[c.key]; ok && c.key != "" {
			return h, true
		}
	}
	return heldRecord{}, false
}
