package directory

import (
	"fmt"

	"github.com/sillage/sillage"
)

// personIn is a parent or a member of staff as a file gives them.
type personIn struct {
	loc    string
	p      sillage.Person // the file's values, Role set
	fields fields         // fName, fBirth, fCivility, fEmail
	op     op

	cur                                     *sillage.Person
	next                                    sillage.Person
	created, deactivate, reactivate, update bool
	roleChanged                             bool
}

// family is a group of roles matched together.
type family int

const (
	familyParents family = iota // role parent
	familyStaff                 // teacher, director, staff
)

func (f family) has(r sillage.Role) bool {
	if f == familyParents {
		return r == sillage.RoleParent
	}
	return r == sillage.RoleTeacher || r == sillage.RoleDirector || r == sillage.RoleStaff || r == sillage.RoleAdministrator
}

func kindOfRole(r sillage.Role) string {
	switch r {
	case sillage.RoleParent:
		return KindParents
	case sillage.RoleTeacher:
		return KindTeachers
	case sillage.RoleStudent:
		return KindStudents
	}
	return KindStaff
}

// personPlan is what an import does to the parents or the staff.
type personPlan struct {
	fam    family
	ins    []*personIn
	absent []*sillage.Person
	byID   map[int64]*personIn
}

// planPersons matches the file's persons with the establishment's (by the
// file's own key: SIECLE PERSONNE_ID, STS INDIVIDU ID, AAF join id) and
// decides what happens to each. A complete file deactivates the active
// persons of the family that came from the same source and are absent.
func (t *txn) planPersons(ins []*personIn, fam family, complete bool) (*personPlan, error) {
	existing, err := t.tx.People().ListPersons(t.ctx, t.uai, sillage.PersonFilter{})
	if err != nil {
		return nil, err
	}
	bySIECLE, byAAF, bySTS := map[string]*sillage.Person{}, map[string]*sillage.Person{}, map[string]*sillage.Person{}
	active := map[string]int{}
	var mine []*sillage.Person
	for i := range existing {
		e := &existing[i]
		if e.Active() {
			active[kindOfRole(e.Role)]++
		}
		if !fam.has(e.Role) {
			continue
		}
		mine = append(mine, e)
		if e.SIECLEID != "" {
			bySIECLE[e.SIECLEID] = e
		}
		if e.AAFID != "" {
			byAAF[e.AAFID] = e
		}
		if e.STSID != "" {
			bySTS[e.STSID] = e
		}
	}
	p := &personPlan{fam: fam, byID: map[int64]*personIn{}}
	taken := map[int64]bool{}
	seen := map[string]string{}
	for _, in := range ins {
		key := in.p.AAFID + "\x00" + in.p.SIECLEID + "\x00" + in.p.STSID
		if first, ok := seen[key]; ok {
			t.rep.reject(in.loc, in.p.FullName(), "même identifiant que la personne de la "+first+" : enregistrement ignoré")
			continue
		}
		seen[key] = in.loc
		var cur *sillage.Person
		for _, cand := range []*sillage.Person{byAAF[in.p.AAFID], bySTS[in.p.STSID], bySIECLE[in.p.SIECLEID]} {
			if cand != nil && !taken[cand.ID] {
				cur = cand
				break
			}
		}
		switch {
		case cur == nil && in.op == opDelete:
			t.rep.reject(in.loc, "", "suppression d'une personne inconnue de l'établissement : ignorée")
			continue
		case cur == nil && in.op == opModify:
			t.rep.reject(in.loc, in.p.FullName(), "modification d'une personne inconnue de l'établissement (une modification ne porte pas "+
				"toute la fiche) : ignorée ; elle sera importée ici par le prochain fichier Complet, ou par un addRequest qui la décrit en entier")
			continue
		}
		in.cur = cur
		p.ins = append(p.ins, in)
		if cur == nil {
			in.created = true
			in.next = in.p
			in.next.Source = t.src
			continue
		}
		taken[cur.ID] = true
		p.byID[cur.ID] = in
		if in.op == opDelete {
			in.next = *cur
			in.deactivate = cur.Active()
			continue
		}
		in.next = mergePerson(*cur, in)
		in.reactivate = !cur.Active()
		in.roleChanged = in.next.Role != cur.Role
		in.update = personChanged(*cur, in.next)
	}
	deact := map[string]int{}
	for _, in := range p.ins {
		c := t.rep.counts(kindOfRole(in.next.Role))
		switch {
		case in.created:
			c.Created++
		case in.deactivate:
			c.Deactivated++
			deact[kindOfRole(in.next.Role)]++
		case in.reactivate:
			c.Reactivated++
		case in.update:
			c.Updated++
		default:
			c.Unchanged++
		}
	}
	if complete {
		for _, e := range mine {
			if taken[e.ID] || e.Source != t.src || e.Role == sillage.RoleAdministrator {
				continue
			}
			if h, held := t.present.holdsPerson(e); held {
				t.rep.LeftInPlace = append(t.rep.LeftInPlace, StudentLine{Name: e.FullName(), Reason: h.loc + " : " + h.reason})
				continue
			}
			if t.isKept(e) {
				continue
			}
			if e.Active() {
				p.absent = append(p.absent, e)
				t.rep.counts(kindOfRole(e.Role)).Deactivated++
				deact[kindOfRole(e.Role)]++
			}
		}
	}
	// The guard holds a Delta too (rule 9).
	for _, k := range []string{KindParents, KindTeachers, KindStaff} {
		t.guard(k, deact[k], active[k])
	}
	return p, nil
}

// mergePerson applies the fields a record carries. The role follows the
// file, except an administrator's, which only an administrator changes.
func mergePerson(cur sillage.Person, in *personIn) sillage.Person {
	n := cur
	f := in.fields
	if f&fLastName != 0 {
		n.LastName = in.p.LastName
	}
	if f&fFirstName != 0 {
		n.FirstName = in.p.FirstName
	}
	if f&fBirth != 0 {
		n.BirthDate = in.p.BirthDate
	}
	if f&fCivility != 0 {
		n.Civility = in.p.Civility
	}
	if f&fEmail != 0 {
		n.Email = in.p.Email
	}
	for _, id := range []struct {
		dst *string
		v   string
	}{{&n.SIECLEID, in.p.SIECLEID}, {&n.AAFID, in.p.AAFID}, {&n.STSID, in.p.STSID}} {
		if id.v != "" {
			*id.dst = id.v
		}
	}
	if in.p.Role != "" && cur.Role != sillage.RoleAdministrator {
		n.Role = in.p.Role
	}
	return n
}

func personChanged(a, b sillage.Person) bool {
	return a.Civility != b.Civility || a.LastName != b.LastName || a.FirstName != b.FirstName || a.Email != b.Email ||
		a.BirthDate != b.BirthDate || a.SIECLEID != b.SIECLEID || a.AAFID != b.AAFID || a.STSID != b.STSID || a.Role != b.Role
}

// person returns the person a file record became (after insert: with its ID).
func (p *personPlan) prepare(t *txn) {
	for _, in := range p.ins {
		if in.created {
			t.newAccountFor(&in.next)
		}
	}
}

func (p *personPlan) insert(t *txn) error {
	var created []*sillage.Person
	for _, in := range p.ins {
		if in.created {
			created = append(created, &in.next)
		}
	}
	if err := t.tx.Imports().InsertPersons(t.ctx, t.uai, created); err != nil {
		return err
	}
	return t.step(fmt.Sprintf("persons.%d.created", p.fam))
}

// finish writes the updates, role changes and (de)activations; a
// deactivated person's sessions end. It returns the ids deactivated.
func (p *personPlan) finish(t *txn) ([]int64, error) {
	ctx, tx := t.ctx, t.tx
	var react, deact []int64
	for _, in := range p.ins {
		if in.created {
			continue
		}
		if in.op != opDelete && personChanged(*in.cur, in.next) {
			if err := tx.People().UpdatePerson(ctx, t.uai, in.next); err != nil {
				return nil, err
			}
			if in.roleChanged {
				if err := tx.People().SetPersonRole(ctx, t.uai, in.next.ID, in.next.Role); err != nil {
					return nil, err
				}
			}
		}
		switch {
		case in.deactivate:
			deact = append(deact, in.cur.ID)
		case in.reactivate:
			react = append(react, in.cur.ID)
		}
	}
	for _, e := range p.absent {
		deact = append(deact, e.ID)
	}
	if err := tx.Imports().SetPersonsActive(ctx, t.uai, react, true); err != nil {
		return nil, err
	}
	if err := tx.Imports().SetPersonsActive(ctx, t.uai, deact, false); err != nil {
		return nil, err
	}
	if _, err := tx.Imports().DeletePersonSessions(ctx, t.uai, deact); err != nil {
		return nil, err
	}
	return deact, t.step(fmt.Sprintf("persons.%d.finished", p.fam))
}
