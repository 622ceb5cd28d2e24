package directory

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
)

// op is what a file record asks for.
type op int

const (
	opAdd    op = iota // the whole record (SIECLE, ONDE, AAF addRequest)
	opModify           // the fields it names (AAF modifyRequest)
	opDelete           // the person leaves (AAF deleteRequest)
)

// fields says which fields of a record carry values to apply: every field
// for a whole record, the named ones for an AAF modifyRequest.
type fields uint32

const (
	fLastName fields = 1 << iota
	fFirstName
	fBirth
	fCivility
	fEmail
	fINE
	fSIECLEID
	fMEF
	fDivision
	fGroups
	fPrevious
	fSchooling // entry date, exit date and reason
	fName      = fLastName | fFirstName
	fAll       = fName | fBirth | fCivility | fEmail | fINE | fSIECLEID | fMEF | fDivision | fGroups | fPrevious | fSchooling
)

// studentIn is a student as a file gives it.
type studentIn struct {
	loc       string          // where in the file, for rejects
	s         sillage.Student // the file's values (Unqid and INEStatus from setINE)
	unqids    []string        // the unqid under every key version, for matching
	fedHashes []string        // the federation hash under every federation key version
	division  string          // division code
	divLabel  string          // division label for a new division ("": the code)
	groups    []string        // option group codes
	exited    bool            // DATE_SORTIE is past: the student has left
	// ineReason says why the INE is not used, when more precise than the
	// status (a wrong check letter); never the INE itself.
	ineReason string
	fields    fields
	op        op

	cur  *sillage.Student // the student matched in the establishment
	next sillage.Student  // what the student becomes
	// created, deactivate, reactivate, update are the plan's decision.
	created, deactivate, reactivate, update bool
	groupsChanged                           bool
	// versionsChanged: the file's unqid versions differ from the stored
	// ones (person_unqids), replaced at write time.
	versionsChanged bool
	// fedChanged: the file's federation hashes differ from the stored ones.
	fedChanged bool
}

func (in *studentIn) name() string { return in.s.FullName() }

// setINE records the INE found in the file: its unqid under every key
// version, or why there is none. The INE itself goes no further.
func (t *txn) setINE(in *studentIn, ine ident.INE, err error) error {
	if err != nil || ine.IsZero() {
		in.s.INEStatus = sillage.INEInvalid
		if ine.IsZero() && (err == nil || errors.Is(err, ident.ErrNoINE)) {
			in.s.INEStatus = sillage.INEMissing
		}
		if errors.Is(err, ident.ErrINECheckLetter) {
			in.ineReason = "lettre de contrôle de l'INE fausse (l'INE est à corriger dans l'application nationale)"
		}
		return nil
	}
	unqids, err := t.im.Keyring.Unqids(ine)
	if err != nil {
		if sillage.KindOf(err) == sillage.KindUnavailable {
			return err // no key: the import stops
		}
		in.s.INEStatus = sillage.INEInvalid
		return nil
	}
	in.unqids, in.s.Unqid, in.s.INEStatus = unqids, unqids[0], sillage.INEValid
	if t.im.Federation.Version() > 0 {
		// The same INE, already checked: no error but a missing key.
		if in.fedHashes, err = t.im.Federation.FederationHashes(ine); err != nil {
			return err
		}
	}
	return nil
}

// checkKeyring stops an import when no unqid can be computed (transfer.md §2).
func (im *Importer) checkKeyring() error {
	if im.Keyring.Version() == 0 {
		return ident.ErrNoKey
	}
	return nil
}

// loadStructures reads this year's divisions and option groups.
func (t *txn) loadStructures() error {
	if t.divisions != nil {
		return nil
	}
	divs, err := t.tx.People().ListDivisions(t.ctx, t.uai, t.year)
	if err != nil {
		return err
	}
	t.divisions = make(map[string]*sillage.Division, len(divs))
	for i := range divs {
		t.divisions[divs[i].Code] = &divs[i]
	}
	groups, err := t.tx.People().ListGroups(t.ctx, t.uai, t.year)
	if err != nil {
		return err
	}
	t.groups = map[string]*sillage.Group{}
	for i := range groups {
		if groups[i].Kind == sillage.GroupOption && groups[i].Code != "" {
			t.groups[groups[i].Code] = &groups[i]
		}
	}
	return nil
}

// ensureDivisions creates the divisions of this year that the students
// present in them name (imports.md rule 6) and that do not exist yet, in
// one batch.
func (t *txn) ensureDivisions(codes []string, labels map[string]string) error {
	var ds []*sillage.Division
	for _, code := range codes {
		if _, ok := t.divisions[code]; ok {
			continue
		}
		label := labels[code]
		if label == "" {
			label = code
		}
		ds = append(ds, &sillage.Division{SchoolYear: t.year, Code: code, Label: label})
	}
	if err := t.tx.Imports().InsertDivisions(t.ctx, t.uai, ds); err != nil {
		return err
	}
	for _, d := range ds {
		t.divisions[d.Code] = d
		t.rep.DivisionsCreated = append(t.rep.DivisionsCreated, d.Code)
		t.rep.counts(KindDivisions).Created++
	}
	return nil
}

// ensureGroup creates an option group of this year.
func (t *txn) ensureGroup(code, label string) (*sillage.Group, error) {
	if g, ok := t.groups[code]; ok {
		return g, nil
	}
	if label == "" {
		label = code
	}
	g := &sillage.Group{SchoolYear: t.year, Code: code, Label: label, Kind: sillage.GroupOption, Lifetime: sillage.LifetimeYear}
	if err := t.tx.People().CreateGroup(t.ctx, t.uai, g); err != nil {
		return nil, err
	}
	t.groups[code] = g
	t.rep.counts(KindGroups).Created++
	return g, nil
}

// studentPlan is what an import does to the students of an establishment.
type studentPlan struct {
	ins      []*studentIn
	absent   []*sillage.Student // active, not in a complete file: deactivated
	newDivs  []string
	divLabel map[string]string
	members  map[int64][]int64 // existing option-group memberships, by student
	complete bool
}

// planStudents matches the file's students with the establishment's and
// decides, without writing, what happens to each (rules 2–5).
func (t *txn) planStudents(ins []*studentIn, complete bool) (*studentPlan, error) {
	if err := t.loadStructures(); err != nil {
		return nil, err
	}
	existing, err := t.tx.Imports().ListAllStudents(t.ctx, t.uai)
	if err != nil {
		return nil, err
	}
	versions, err := t.tx.Imports().ListPersonUnqids(t.ctx, t.uai)
	if err != nil {
		return nil, err
	}
	var fedStored map[int64][]string
	if t.im.Federation.Version() > 0 {
		if fedStored, err = t.tx.Imports().ListFederationHashes(t.ctx, t.uai); err != nil {
			return nil, err
		}
	}
	bySIECLE := make(map[string]*sillage.Student, len(existing))
	byAAF := map[string]*sillage.Student{}
	byUnqid := make(map[string]*sillage.Student, len(existing))
	byONDE := map[string][]*sillage.Student{} // by name key, without the suffix
	occupied := make(map[string]bool, len(existing))
	active := 0
	addUnqid := func(u string, s *sillage.Student) {
		if _, dup := byUnqid[u]; !dup && u != "" {
			byUnqid[u] = s
		}
	}
	for i := range existing {
		s := &existing[i]
		if s.SIECLEID != "" {
			bySIECLE[s.SIECLEID] = s
			occupied[s.SIECLEID] = true
			if strings.HasPrefix(s.SIECLEID, ondeKeyPrefix) {
				base := ondeBase(s.SIECLEID)
				byONDE[base] = append(byONDE[base], s)
			}
		}
		if s.AAFID != "" {
			byAAF[s.AAFID] = s
		}
		addUnqid(s.Unqid, s)
		if s.Active() {
			active++
		}
	}
	for i := range existing {
		for _, u := range versions[existing[i].ID] {
			addUnqid(u, &existing[i])
		}
	}
	p := &studentPlan{complete: complete, divLabel: map[string]string{}}
	taken := map[int64]bool{}
	seenSIECLE, seenAAF, seenUnqid := map[string]string{}, map[string]string{}, map[string]string{}
	newDivs := map[string]bool{}
	c := t.rep.counts(KindStudents)
	dup := func(seen map[string]string, key, what string, in *studentIn) bool {
		if key == "" {
			return false
		}
		if first, ok := seen[key]; ok {
			reason := fmt.Sprintf("%s que l'élève de la %s : enregistrement ignoré", what, first)
			t.rep.rejectRecord(in.loc, in.name(), reason)
			// The record still names its own student (an INE typed
			// twice must not make the second student absent).
			h := heldRecord{loc: in.loc, reason: reason}
			addHeld(t.presence().aaf, in.s.AAFID, h)
			if !strings.HasPrefix(in.s.SIECLEID, ondeKeyPrefix) || len(in.unqids) == 0 {
				addHeld(t.presence().siecle, in.s.SIECLEID, h)
			}
			for _, u := range in.unqids {
				addHeld(t.presence().unqid, u, h)
			}
			return true
		}
		seen[key] = in.loc
		return false
	}
	// Match: the file's own key, then the unqid under any key version;
	// never the name (rule 3). An ONDE pupil's only key is built from the
	// name and birth date: the unqid comes first, and that key finds only a
	// pupil without INE, or a stored pupil without one, in a second pass,
	// once every pupil with an INE has found theirs.
	losers := t.sharedINEs(ins, bySIECLE, byAAF, byONDE)
	var kept []*studentIn
	for _, in := range ins {
		isONDE := strings.HasPrefix(in.s.SIECLEID, ondeKeyPrefix)
		if owner, lost := losers[in]; lost {
			reason := fmt.Sprintf("même INE que l'élève de la %s, qui le porte déjà : INE saisi deux fois par erreur ? "+
				"Enregistrement ignoré ; corrigez l'INE dans l'application nationale", owner.loc)
			t.rep.rejectRecord(in.loc, in.name(), reason)
			h := heldRecord{loc: in.loc, reason: reason}
			addHeld(t.presence().aaf, in.s.AAFID, h)
			addHeld(t.presence().siecle, in.s.SIECLEID, h)
			continue
		}
		fileKey := in.s.SIECLEID
		if isONDE && len(in.unqids) > 0 {
			fileKey = "" // homonyms with an INE each are two pupils
		}
		sameKey := "même identifiant SIECLE (ELEVE_ID)"
		if isONDE {
			sameKey = "même nom, prénom et date de naissance, sans INE,"
		}
		if dup(seenAAF, in.s.AAFID, "même identifiant AAF", in) || dup(seenSIECLE, fileKey, sameKey, in) ||
			dup(seenUnqid, in.s.Unqid, "même INE", in) {
			continue
		}
		cands := []*sillage.Student{byAAF[in.s.AAFID]}
		if !isONDE {
			cands = append(cands, bySIECLE[in.s.SIECLEID])
		}
		own := cands
		if isONDE {
			own = append(own, byONDE[in.s.SIECLEID]...)
		}
		if a, b := contradiction(in, own, byUnqid); a != nil && in.op != opDelete {
			// Its file key names one student and its INE another: which
			// one the record is cannot be told. Both are left as they are.
			reason := fmt.Sprintf("identifiants contradictoires : l'identifiant de l'enregistrement désigne %s et son INE %s ; "+
				"enregistrement ignoré, les deux élèves sont laissés en l'état ; corrigez-le dans l'application nationale", a.FullName(), b.FullName())
			t.rep.rejectRecord(in.loc, in.name(), reason)
			h := heldRecord{loc: in.loc, reason: reason}
			addHeld(t.presence().aaf, in.s.AAFID, h)
			addHeld(t.presence().siecle, in.s.SIECLEID, h)
			for _, u := range in.unqids {
				addHeld(t.presence().unqid, u, h)
			}
			continue
		}
		kept = append(kept, in)
		for _, cand := range cands {
			if cand != nil && !taken[cand.ID] {
				in.cur = cand
				break
			}
		}
		if in.cur == nil {
			for _, u := range in.unqids {
				if cand := byUnqid[u]; cand != nil && !taken[cand.ID] {
					in.cur = cand
					break
				}
			}
		}
		if in.cur != nil {
			taken[in.cur.ID] = true
		}
	}
	// Every identifier of an accepted record names a present student too:
	// a record whose ELEVE_ID finds one student and whose INE is
	// another's (a typo) leaves that other student as they are. An ONDE
	// key with an INE beside it names no one: homonyms share it.
	for _, in := range kept {
		if in.op == opDelete {
			continue
		}
		h := heldRecord{loc: in.loc, reason: "identifiants contradictoires : cet enregistrement porte l'INE ou l'identifiant " +
			"de l'élève, mais il est rapproché d'un autre élève par ses autres identifiants ; corrigez-le dans l'application nationale"}
		addHeld(t.presence().aaf, in.s.AAFID, h)
		if !strings.HasPrefix(in.s.SIECLEID, ondeKeyPrefix) {
			addHeld(t.presence().siecle, in.s.SIECLEID, h)
		}
		for _, u := range in.unqids {
			addHeld(t.presence().unqid, u, h)
		}
	}
	var matched []*studentIn
	for _, in := range kept {
		if in.cur == nil && strings.HasPrefix(in.s.SIECLEID, ondeKeyPrefix) {
			var found []*sillage.Student
			for _, cand := range byONDE[in.s.SIECLEID] {
				if !taken[cand.ID] && (len(in.unqids) == 0 || cand.Unqid == "") {
					found = append(found, cand)
				}
			}
			switch {
			case len(found) == 1:
				in.cur = found[0]
				taken[in.cur.ID] = true
			case len(found) > 1 && len(in.unqids) == 0:
				reason := "plusieurs élèves de l'école ont ces nom, prénom et date de naissance : " +
					"sans INE, l'élève ne peut être rapproché d'aucun ; enregistrement ignoré"
				t.rep.rejectRecord(in.loc, in.name(), reason)
				addHeld(t.presence().siecle, in.s.SIECLEID, heldRecord{loc: in.loc, reason: reason})
				continue
			}
		}
		matched = append(matched, in)
	}
	for _, in := range matched {
		cur := in.cur
		switch {
		case cur == nil && in.op == opDelete:
			t.rep.reject(in.loc, "", "suppression d'un élève inconnu de l'établissement : ignorée")
			continue
		case cur == nil && in.op == opModify:
			t.rep.reject(in.loc, in.name(), "modification d'un élève inconnu de l'établissement (une modification ne porte pas "+
				"toute la fiche) : ignorée ; il sera importé ici par le prochain fichier Complet, ou par un addRequest qui le décrit en entier")
			continue
		case cur == nil && in.exited:
			t.rep.ExitedNotCreated++
			continue
		}
		p.ins = append(p.ins, in)
		if in.op == opDelete {
			in.next = *cur
			in.deactivate = cur.Active()
			continue
		}
		present := !in.exited
		in.next = mergeStudent(cur, in, t)
		if strings.HasPrefix(in.s.SIECLEID, ondeKeyPrefix) {
			in.next.SIECLEID = ondeStoredKey(cur, in.s.SIECLEID, occupied)
		}
		// Every unqid version of a file holding the INE replaces the stored
		// ones (a file without it keeps them, rule 3).
		if len(in.unqids) > 0 && in.fields&fINE != 0 {
			if cur == nil {
				in.versionsChanged = len(in.unqids) > 1 // InsertStudents stores the newest
			} else {
				in.versionsChanged = !sameSet(versions[cur.ID], in.unqids)
			}
		}
		if len(in.fedHashes) > 0 && in.fields&fINE != 0 {
			in.fedChanged = cur == nil || !sameSet(fedStored[cur.ID], in.fedHashes)
		}
		// Division: present students create theirs; a student who
		// left keeps a division only if it exists.
		if in.fields&fDivision != 0 {
			switch d, ok := t.divisions[in.division]; {
			case in.division == "":
				in.next.DivisionID = 0
			case ok:
				in.next.DivisionID = d.ID
			case present:
				in.next.DivisionID = -1 // created at write time
				if !newDivs[in.division] {
					newDivs[in.division] = true
					p.newDivs = append(p.newDivs, in.division)
					p.divLabel[in.division] = in.divLabel
				}
			}
		}
		switch {
		case cur == nil:
			in.created = true
			continue
		case !present && cur.Active():
			in.deactivate = true
		case present && !cur.Active():
			in.reactivate = true
		}
		in.update = studentChanged(*cur, in.next)
	}
	// Option groups: compare the memberships of the students whose groups
	// the file gives.
	if err := t.planMemberships(p); err != nil {
		return nil, err
	}
	for _, in := range p.ins {
		switch {
		case in.created:
			c.Created++
		case in.deactivate:
			c.Deactivated++
		case in.reactivate:
			c.Reactivated++
		case in.update:
			c.Updated++
		default:
			c.Unchanged++
		}
	}
	if complete {
		// Presence is decided by identity, never by acceptance: a
		// student a rejected record names is left as they are.
		for i := range existing {
			s := &existing[i]
			if taken[s.ID] {
				continue
			}
			if h, held := t.present.holds(s, versions[s.ID]); held {
				t.rep.LeftInPlace = append(t.rep.LeftInPlace, t.line(s, h.loc+" : "+h.reason))
				continue
			}
			if t.isKept(&s.Person) {
				continue
			}
			if s.Active() {
				p.absent = append(p.absent, s)
				c.Deactivated++
			}
		}
	}
	deact := len(p.absent)
	for _, in := range p.ins {
		if in.deactivate {
			deact++
		}
	}
	// Rule 2 protects from a truncated or wrong complete file, and from a
	// Delta deleting most of an establishment's students.
	t.guard(KindStudents, deact, active)
	sort.Strings(p.newDivs)
	return p, nil
}

// contradiction returns, when the record's own key (own: the students it
// finds) names other students than its INE does, one of each.
func contradiction(in *studentIn, own []*sillage.Student, byUnqid map[string]*sillage.Student) (byKey, byINE *sillage.Student) {
	for _, u := range in.unqids {
		if c := byUnqid[u]; c != nil {
			byINE = c
			break
		}
	}
	if byINE == nil {
		return nil, nil
	}
	for _, c := range own {
		if c == nil {
			continue
		}
		if c.ID == byINE.ID {
			return nil, nil
		}
		if byKey == nil {
			byKey = c
		}
	}
	if byKey == nil {
		return nil, nil
	}
	return byKey, byINE
}

// sharedINEs finds the records of a file that share an INE with another
// record naming another student (an INE typed twice). The record whose own
// key (ELEVE_ID, AAF id, ONDE identity key) finds the stored student that
// holds the INE keeps it; without one, the first in the file does. The
// others are returned with the record that keeps the INE: they are
// rejected, and their own student, present, is left as they are.
func (t *txn) sharedINEs(ins []*studentIn, bySIECLE, byAAF map[string]*sillage.Student, byONDE map[string][]*sillage.Student) map[*studentIn]*studentIn {
	groups := map[string][]*studentIn{}
	var order []string
	for _, in := range ins {
		if in.s.Unqid == "" || in.op == opDelete {
			continue
		}
		if _, ok := groups[in.s.Unqid]; !ok {
			order = append(order, in.s.Unqid)
		}
		groups[in.s.Unqid] = append(groups[in.s.Unqid], in)
	}
	losers := map[*studentIn]*studentIn{}
	for _, u := range order {
		g := groups[u]
		if len(g) < 2 {
			continue
		}
		// Records of the same student (the same own key) are the
		// duplicates planStudents rejects already.
		own := func(in *studentIn) []*sillage.Student {
			var out []*sillage.Student
			if s := byAAF[in.s.AAFID]; s != nil && in.s.AAFID != "" {
				out = append(out, s)
			}
			if strings.HasPrefix(in.s.SIECLEID, ondeKeyPrefix) {
				out = append(out, byONDE[in.s.SIECLEID]...)
			} else if s := bySIECLE[in.s.SIECLEID]; s != nil && in.s.SIECLEID != "" {
				out = append(out, s)
			}
			return out
		}
		key := func(in *studentIn) string { return in.s.AAFID + "\x00" + in.s.SIECLEID }
		distinct := map[string]bool{}
		for _, in := range g {
			distinct[key(in)] = true
		}
		if len(distinct) < 2 {
			continue
		}
		owner := g[0]
	find:
		for _, in := range g {
			for _, s := range own(in) {
				if s.Unqid == u || slices.Contains(in.unqids, s.Unqid) && s.Unqid != "" {
					owner = in
					break find
				}
			}
		}
		for _, in := range g {
			if key(in) != key(owner) {
				losers[in] = owner
			}
		}
	}
	return losers
}

// sameSet reports whether two lists hold the same strings.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

// planMemberships finds the students whose option groups change.
func (t *txn) planMemberships(p *studentPlan) error {
	members, err := t.tx.Imports().ListGroupMembersOfKind(t.ctx, t.uai, t.year, sillage.GroupOption)
	if err != nil {
		return err
	}
	p.members = map[int64][]int64{}
	for _, m := range members {
		p.members[m.PersonID] = append(p.members[m.PersonID], m.GroupID)
	}
	codeOf := map[int64]string{}
	for code, g := range t.groups {
		codeOf[g.ID] = code
	}
	for _, in := range p.ins {
		if in.fields&fGroups == 0 || in.cur == nil || in.op == opDelete || in.exited {
			continue
		}
		var have []string
		for _, gid := range p.members[in.cur.ID] {
			have = append(have, codeOf[gid])
		}
		want := append([]string(nil), in.groups...)
		sort.Strings(have)
		sort.Strings(want)
		want = slices.Compact(want)
		if strings.Join(have, "\x00") != strings.Join(want, "\x00") {
			in.groupsChanged, in.update = true, true
		}
	}
	return nil
}

// mergeStudent applies the file's fields to the stored student (or to a
// new one). A known INE is never erased because a file lacks it (rule 3),
// nor is the previous school.
func mergeStudent(cur *sillage.Student, in *studentIn, t *txn) sillage.Student {
	var n sillage.Student
	if cur != nil {
		n = *cur
	} else {
		n = sillage.Student{Person: sillage.Person{Role: sillage.RoleStudent, Source: t.src}}
	}
	f := in.fields
	if cur == nil {
		f = fAll // a new student takes every field the file has
	}
	s := in.s
	if f&fLastName != 0 {
		n.LastName = s.LastName
	}
	if f&fFirstName != 0 {
		n.FirstName = s.FirstName
	}
	if f&fBirth != 0 {
		n.BirthDate = s.BirthDate
	}
	if f&fCivility != 0 {
		n.Civility = s.Civility
	}
	if f&fEmail != 0 {
		n.Email = s.Email
	}
	if f&fSIECLEID != 0 && s.SIECLEID != "" {
		n.SIECLEID = s.SIECLEID
	}
	if s.AAFID != "" {
		n.AAFID = s.AAFID
	}
	if f&fINE != 0 {
		switch {
		case s.Unqid != "":
			n.Unqid, n.INEStatus = s.Unqid, sillage.INEValid
		case n.Unqid == "":
			n.INEStatus = s.INEStatus
		}
	}
	if f&fMEF != 0 {
		n.MEF = s.MEF
		if s.MEF != "" {
			n.Diploma = sillage.DiplomaOfMEF(s.MEF)
		}
	}
	if f&fPrevious != 0 && (s.PreviousUAI != "" || s.PreviousName != "") {
		n.PreviousUAI, n.PreviousName = s.PreviousUAI, s.PreviousName
	}
	if f&fSchooling != 0 {
		n.SchoolEntry, n.ExitDate, n.ExitReason = s.SchoolEntry, s.ExitDate, s.ExitReason
	}
	return n
}

// studentChanged compares what an import maintains.
func studentChanged(a, b sillage.Student) bool {
	return a.Civility != b.Civility || a.LastName != b.LastName || a.FirstName != b.FirstName || a.Email != b.Email ||
		a.BirthDate != b.BirthDate || a.SIECLEID != b.SIECLEID || a.AAFID != b.AAFID || a.Unqid != b.Unqid ||
		a.INEStatus != b.INEStatus || a.PreviousUAI != b.PreviousUAI || a.PreviousName != b.PreviousName ||
		a.SchoolEntry != b.SchoolEntry || a.ExitDate != b.ExitDate || a.ExitReason != b.ExitReason ||
		a.MEF != b.MEF || a.Diploma != b.Diploma || a.DivisionID != b.DivisionID
}

// prepare creates the new divisions and option groups and queues the new
// students' accounts.
func (p *studentPlan) prepare(t *txn) error {
	if err := t.ensureDivisions(p.newDivs, p.divLabel); err != nil {
		return err
	}
	if err := t.step("divisions"); err != nil {
		return err
	}
	for _, in := range p.ins {
		if in.next.DivisionID == -1 {
			in.next.DivisionID = t.divisions[in.division].ID
		}
		if in.created {
			t.newAccountFor(&in.next.Person)
		}
	}
	return nil
}

// insert writes the new students.
func (p *studentPlan) insert(t *txn) error {
	var created []*sillage.Student
	for _, in := range p.ins {
		if in.created {
			created = append(created, &in.next)
		}
	}
	if err := t.tx.Imports().InsertStudents(t.ctx, t.uai, created); err != nil {
		return err
	}
	if err := p.writeVersions(t, true); err != nil {
		return err
	}
	return t.step("students.created")
}

// writeVersions replaces the stored unqid versions of the new students
// (created) or of the others, where the file's differ.
func (p *studentPlan) writeVersions(t *txn, created bool) error {
	var sets []sillage.PersonUnqids
	var fed []sillage.PersonFederationHashes
	for _, in := range p.ins {
		if in.created != created || in.op == opDelete {
			continue
		}
		if in.versionsChanged {
			sets = append(sets, sillage.PersonUnqids{PersonID: in.next.ID, Unqids: in.unqids})
		}
		if in.fedChanged {
			fed = append(fed, sillage.PersonFederationHashes{PersonID: in.next.ID, Hashes: in.fedHashes})
		}
	}
	if err := t.tx.Imports().ReplacePersonUnqids(t.ctx, t.uai, sets); err != nil {
		return err
	}
	return t.tx.Imports().ReplaceFederationHashes(t.ctx, t.uai, fed)
}

// finish writes the updates, (de)activations with their index entries and
// sessions, and the option-group memberships.
func (p *studentPlan) finish(t *txn) error {
	ctx, tx := t.ctx, t.tx
	for _, in := range p.ins {
		if in.update && in.op != opDelete && studentChanged(*in.cur, in.next) {
			if err := tx.People().UpdateStudent(ctx, t.uai, in.next); err != nil {
				return err
			}
		}
	}
	if err := p.writeVersions(t, false); err != nil {
		return err
	}
	if err := t.step("students.updated"); err != nil {
		return err
	}
	var react, deact []int64
	var leaving, entering []sillage.Student
	for _, in := range p.ins {
		switch {
		case in.reactivate:
			react = append(react, in.cur.ID)
			leaving = append(leaving, in.next)
		case in.deactivate:
			deact = append(deact, in.cur.ID)
			entering = append(entering, in.next)
		}
	}
	for _, s := range p.absent {
		deact = append(deact, s.ID)
		entering = append(entering, *s)
	}
	// The store writes the transfer index in the transaction that
	// deactivates or reactivates (transfer.md §4).
	left, err := tx.People().ReactivateStudents(ctx, t.uai, react)
	if err != nil {
		return err
	}
	t.rep.Index.Leaving = append(t.rep.Index.Leaving, t.lines(leaving, left)...)
	if err := t.step("students.reactivated"); err != nil {
		return err
	}
	entered, err := tx.People().DeactivateStudents(ctx, t.uai, entering)
	if err != nil {
		return err
	}
	if _, err := tx.Imports().DeletePersonSessions(ctx, t.uai, deact); err != nil {
		return err
	}
	t.rep.Index.Entering = append(t.rep.Index.Entering, t.lines(entering, entered)...)
	if err := t.step("students.deactivated"); err != nil {
		return err
	}
	if err := p.writeMemberships(t); err != nil {
		return err
	}
	for _, in := range p.ins {
		s := &in.next
		if in.created && s.Unqid != "" {
			t.rep.Index.NewWaiting = append(t.rep.Index.NewWaiting, t.line(s, ""))
		}
		if !in.exited && in.op != opDelete && s.Unqid == "" {
			reason := s.INEStatus.Label()
			if in.ineReason != "" && s.INEStatus == sillage.INEInvalid {
				reason = in.ineReason
			}
			t.rep.WithoutINE = append(t.rep.WithoutINE, t.line(s, reason))
		}
	}
	return nil
}

// writeMemberships sets the option groups of the students whose groups the
// file gives: missing groups are created, memberships added and removed.
func (p *studentPlan) writeMemberships(t *txn) error {
	var add, del []sillage.GroupMember
	for _, in := range p.ins {
		if in.fields&fGroups == 0 || in.op == opDelete || in.exited {
			continue
		}
		if !in.created && !in.groupsChanged {
			continue
		}
		want := map[int64]bool{}
		for _, code := range in.groups {
			g, err := t.ensureGroup(code, "")
			if err != nil {
				return err
			}
			want[g.ID] = true
		}
		have := map[int64]bool{}
		if in.cur != nil {
			for _, gid := range p.members[in.cur.ID] {
				have[gid] = true
				if !want[gid] {
					del = append(del, sillage.GroupMember{GroupID: gid, PersonID: in.cur.ID})
				}
			}
		}
		for gid := range want {
			if !have[gid] {
				add = append(add, sillage.GroupMember{GroupID: gid, PersonID: in.next.ID})
			}
		}
	}
	sort.Slice(add, func(i, j int) bool {
		return add[i].GroupID < add[j].GroupID || add[i].GroupID == add[j].GroupID && add[i].PersonID < add[j].PersonID
	})
	if err := t.tx.Imports().AddGroupMembers(t.ctx, t.uai, add); err != nil {
		return err
	}
	if err := t.tx.Imports().DeleteGroupMembers(t.ctx, t.uai, del); err != nil {
		return err
	}
	return t.step("groups")
}

// lines are the report lines of those students whose IDs are in ids, in
// the order of students.
func (t *txn) lines(students []sillage.Student, ids []int64) []StudentLine {
	in := make(map[int64]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	var out []StudentLine
	for i := range students {
		if in[students[i].ID] {
			out = append(out, t.line(&students[i], ""))
		}
	}
	return out
}

// line names a student in the report: name and division.
func (t *txn) line(s *sillage.Student, reason string) StudentLine {
	l := StudentLine{Name: s.FullName(), Reason: reason, Division: s.DivisionCode}
	if s.DivisionID != 0 {
		if len(t.divByID) != len(t.divisions) {
			t.divByID = make(map[int64]string, len(t.divisions))
			for code, d := range t.divisions {
				t.divByID[d.ID] = code
			}
		}
		if code, ok := t.divByID[s.DivisionID]; ok {
			l.Division = code
		}
	}
	return l
}
