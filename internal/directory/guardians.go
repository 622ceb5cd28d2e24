package directory

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/siecle"
)

// Responsables imports a SIECLE guardians export (ResponsablesAvecAdresses,
// root BEE_RESPONSABLES), a complete file. Only legal guardians are
// imported (RESP_LEGAL 1 or 2, NIVEAU_RESPONSABILITE 1): each gets a parent
// person with an account, linked to the students of the establishment the
// file names; persons in charge and contacts are counted, not stored. The
// students must have been imported first (they are found by ELEVE_ID).
func (im *Importer) Responsables(ctx context.Context, r io.Reader, opts Options) (*Report, error) {
	if err := im.checkEstablishment(ctx, opts.UAI); err != nil {
		return nil, err
	}
	rep := newReport(SourceResponsables, opts.UAI, opts.FileName, im.Store.Clock().Now())
	var hdr siecle.Header
	persons := map[string]siecle.Person{}
	var links []siecle.Link
	addresses := map[string]siecle.Address{}
	present := newPresence()
	err := siecle.DecodeGuardians(r, siecle.GuardiansHandler{
		Header: func(h siecle.Header) error {
			if h.UAJ != opts.UAI {
				return wrongUAI(h.UAJ, opts.UAI)
			}
			hdr = h
			return nil
		},
		Person: func(p siecle.Person) error {
			if len(persons) >= 4*MaxStudentsPerFile {
				return sillage.Errorf(sillage.KindInvalid, "trop de responsables : ce fichier ne peut pas être celui d'un seul établissement")
			}
			if _, dup := persons[p.PersonID]; dup {
				rep.reject(siecleLoc(p.Line, "PERSONNE"), p.Name(), "PERSONNE_ID en double : enregistrement ignoré")
				return nil
			}
			persons[p.PersonID] = p
			return nil
		},
		Link: func(l siecle.Link) error {
			links = append(links, l)
			return nil
		},
		Address: func(a siecle.Address) error {
			if len(addresses) >= 4*MaxStudentsPerFile {
				return sillage.Errorf(sillage.KindInvalid, "trop d'adresses : ce fichier ne peut pas être celui d'un seul établissement")
			}
			addresses[a.AddressID] = a
			return nil
		},
		Reject: func(rj siecle.Reject) error {
			loc := siecleLoc(rj.Line, rj.Element)
			rep.reject(loc, rj.Name, rj.Reason)
			// The guardian a rejected record names is present.
			addHeld(present.siecle, rj.PersonID, heldRecord{loc: loc, reason: rj.Reason})
			return nil
		},
	})
	if err != nil {
		if sillage.KindOf(err) == sillage.KindInvalid {
			rep.setStatus(StatusRefused, sillage.Message(err))
		}
		return rep, err
	}
	spec := txSpec{source: SourceResponsables, src: sillage.SourceSIECLE, uai: opts.UAI, year: sillage.SchoolYear(hdr.Year), complete: true,
		present: present, fileYear: sillage.SchoolYear(hdr.Year), exported: exportedAt(hdr),
		apply: func(t *txn) error {
			studs, err := t.tx.People().ListStudents(t.ctx, t.uai, sillage.StudentFilter{})
			if err != nil {
				return err
			}
			bySIECLE := map[string]int64{}
			for _, s := range studs {
				if s.SIECLEID != "" {
					bySIECLE[s.SIECLEID] = s.ID
				}
			}
			var ins []*personIn
			inByID := map[string]*personIn{}
			var wanted []wantLink
			notLegal := map[string]bool{}
			type pairKey struct {
				person  string
				student int64
			}
			linked := map[pairKey]bool{} // a link the file repeats counts once (it would take the second rank)
			for _, l := range links {
				loc := siecleLoc(l.Line, "RESPONSABLE_ELEVE")
				if !l.LegalGuardian {
					notLegal[l.PersonID] = true
					continue
				}
				sid, ok := bySIECLE[l.EleveID]
				if !ok {
					rep.reject(loc, "", fmt.Sprintf("élève %s inconnu de l'établissement (importez d'abord le fichier des élèves) : lien ignoré", l.EleveID))
					continue
				}
				p, ok := persons[l.PersonID]
				if !ok {
					rep.reject(loc, "", fmt.Sprintf("responsable %s absent du fichier : lien ignoré", l.PersonID))
					continue
				}
				in := inByID[l.PersonID]
				if in == nil {
					last := p.UsageName
					if strings.TrimSpace(last) == "" {
						last = p.LastName
					}
					in = &personIn{loc: siecleLoc(p.Line, "PERSONNE"), op: opAdd, fields: fName | fCivility | fEmail,
						p: sillage.Person{Role: sillage.RoleParent, Civility: civility(p.Civility), LastName: last, FirstName: p.FirstName,
							Email: p.Email, SIECLEID: p.PersonID, Source: sillage.SourceSIECLE}}
					inByID[l.PersonID] = in
					ins = append(ins, in)
				}
				if linked[pairKey{l.PersonID, sid}] {
					continue
				}
				linked[pairKey{l.PersonID, sid}] = true
				wanted = append(wanted, wantLink{parent: in, studentID: sid, relation: l.Relationship, rank: l.LegalRank, ranked: true})
			}
			rankLinks(wanted)
			rep.counts(KindParents) // the line shows even when no legal guardian remains
			others := 0
			for id := range notLegal {
				if inByID[id] == nil {
					others++
				}
			}
			if others > 0 {
				rep.warn("%d personnes qui ne sont pas responsables légales (personnes en charge, contacts) : non importées", others)
			}
			if err := t.applyParents(ins, wanted, true, linkOwner{all: true}); err != nil {
				return err
			}
			return t.writeAddresses(ins, persons, addresses)
		}}
	return rep, im.transact(ctx, spec, opts, rep)
}

// wantLink is a legal guardianship a file asks for.
type wantLink struct {
	parent    *personIn
	studentID int64            // an existing student (SIECLE)
	student   *sillage.Student // or the student as the import leaves it (AAF; ID set once written)
	relation  string
	// rank is 1 or 2 for the student's first or second legal guardian, 0
	// beyond; ranked says the file ranks its guardians (SIECLE). AAF does
	// not: an existing link keeps the rank it has.
	rank   int
	ranked bool
}

// rankLinks gives each student's legal guardians their rank: the one
// RESP_LEGAL states, then, for those the file does not rank
// (NIVEAU_RESPONSABILITE) or whose rank another guardian of the student
// already holds, the first free rank in the order of the file. A third
// legal guardian gets 0: LSU knows only two.
func rankLinks(links []wantLink) {
	taken := map[int64]*[3]bool{}
	for i := range links {
		l := &links[i]
		t := taken[l.studentID]
		if t == nil {
			t = &[3]bool{}
			taken[l.studentID] = t
		}
		if l.rank == 1 || l.rank == 2 {
			if t[l.rank] {
				l.rank = 0
			} else {
				t[l.rank] = true
			}
		} else {
			l.rank = 0
		}
	}
	for i := range links {
		l := &links[i]
		if l.rank != 0 {
			continue
		}
		t := taken[l.studentID]
		for r := 1; r <= 2; r++ {
			if !t[r] {
				l.rank, t[r] = r, true
				break
			}
		}
	}
}

func (l wantLink) sid() int64 {
	if l.student != nil {
		return l.student.ID
	}
	return l.studentID
}

// linkOwner says whose links a file defines: every student's (SIECLE
// Responsables, a complete file) or those of the students it lists with
// their relatives (AAF). A link of a student the file does not own is
// never removed.
type linkOwner struct {
	all      bool
	students []*sillage.Student // AAF: the students whose relatives the file gives
}

func (o linkOwner) owns() map[int64]bool {
	m := map[int64]bool{}
	for _, s := range o.students {
		if s.ID != 0 {
			m[s.ID] = true
		}
	}
	return m
}

// parentsPlan is what an import does to the parents and their links.
type parentsPlan struct {
	p     *personPlan
	gs    []sillage.Guardianship
	links []wantLink
	owner linkOwner
}

// planParents plans the parents of a file and their legal links.
func (t *txn) planParents(ins []*personIn, links []wantLink, complete bool, owner linkOwner) (*parentsPlan, error) {
	p, err := t.planPersons(ins, familyParents, complete)
	if err != nil {
		return nil, err
	}
	gs, err := t.tx.Imports().ListAllGuardianships(t.ctx, t.uai)
	if err != nil {
		return nil, err
	}
	t.markLinkChanges(p, gs, links, owner)
	return &parentsPlan{p: p, gs: gs, links: links, owner: owner}, nil
}

// finish writes the parents' updates and (de)activations, then the links.
func (pp *parentsPlan) finish(t *txn) error {
	if _, err := pp.p.finish(t); err != nil {
		return err
	}
	return t.writeLinks(pp.gs, pp.links, pp.owner)
}

// applyParents plans and writes the parents of a SIECLE Responsables file.
func (t *txn) applyParents(ins []*personIn, links []wantLink, complete bool, owner linkOwner) error {
	pp, err := t.planParents(ins, links, complete, owner)
	if err != nil {
		return err
	}
	if err := t.enforceGuards(); err != nil {
		return err
	}
	pp.p.prepare(t)
	if err := t.allocateAccounts(); err != nil {
		return err
	}
	if err := t.step("accounts"); err != nil {
		return err
	}
	if err := pp.p.insert(t); err != nil {
		return err
	}
	return pp.finish(t)
}

// markLinkChanges counts a parent whose legal links change as updated.
func (t *txn) markLinkChanges(p *personPlan, gs []sillage.Guardianship, links []wantLink, owner linkOwner) {
	owned := owner.owns()
	have := map[int64]map[int64]linkState{}
	for _, g := range gs {
		if !g.Legal || !owner.all && !owned[g.StudentID] {
			continue
		}
		if have[g.ParentID] == nil {
			have[g.ParentID] = map[int64]linkState{}
		}
		have[g.ParentID][g.StudentID] = linkState{g.Relation, g.Rank}
	}
	want := map[*personIn]map[int64]wantLink{}
	newStudent := map[*personIn]bool{}
	for _, l := range links {
		if want[l.parent] == nil {
			want[l.parent] = map[int64]wantLink{}
		}
		if id := l.sid(); id != 0 {
			want[l.parent][id] = l
		} else {
			newStudent[l.parent] = true // a student this import creates
		}
	}
	for _, in := range p.ins {
		if in.cur == nil || in.created || in.update || in.deactivate || in.reactivate {
			continue
		}
		h, w := have[in.cur.ID], want[in]
		same := len(h) == len(w) && !newStudent[in]
		for sid, l := range w {
			if st, ok := h[sid]; !ok || st.relation != l.relation || l.ranked && st.rank != l.rank {
				same = false
			}
		}
		if !same {
			in.update = true
			c := t.rep.counts(kindOfRole(in.next.Role))
			c.Unchanged--
			c.Updated++
		}
	}
}

// linkState is what a stored legal link says: relation and rank.
type linkState struct {
	relation string
	rank     int
}

// writeLinks adds the wanted legal links and removes the legal links of the
// owned students that the file no longer gives.
func (t *txn) writeLinks(gs []sillage.Guardianship, links []wantLink, owner linkOwner) error {
	owned := owner.owns()
	want := map[[2]int64]wantLink{}
	for _, l := range links {
		if l.parent.next.ID == 0 || l.sid() == 0 {
			continue
		}
		want[[2]int64{l.parent.next.ID, l.sid()}] = l
	}
	have := map[[2]int64]sillage.Guardianship{}
	var del []sillage.Guardianship
	for _, g := range gs {
		k := [2]int64{g.ParentID, g.StudentID}
		have[k] = g
		if _, ok := want[k]; !ok && g.Legal && (owner.all || owned[g.StudentID]) {
			del = append(del, g)
		}
	}
	// fresh are the links the establishment does not have (most of them
	// on a first import, bulk-loaded); add, those it has otherwise.
	var add, fresh []sillage.Guardianship
	for k, l := range want {
		g, ok := have[k]
		rank := l.rank
		if !l.ranked {
			rank = g.Rank // the file does not rank: the link keeps its rank (0 when new)
		}
		if ok && g.Legal && g.Relation == l.relation && g.Rank == rank {
			continue
		}
		link := sillage.Guardianship{ParentID: k[0], StudentID: k[1], Legal: true, Relation: l.relation, Rank: rank}
		if ok {
			add = append(add, link)
		} else {
			fresh = append(fresh, link)
		}
	}
	sortLinks(add)
	sortLinks(fresh)
	sortLinks(del)
	if err := t.tx.Imports().InsertNewGuardianships(t.ctx, t.uai, fresh); err != nil {
		return err
	}
	if err := t.tx.Imports().InsertGuardianships(t.ctx, t.uai, add); err != nil {
		return err
	}
	if err := t.tx.Imports().DeleteGuardianships(t.ctx, t.uai, del); err != nil {
		return err
	}
	return t.step("guardians")
}

func sortLinks(gs []sillage.Guardianship) {
	sort.Slice(gs, func(i, j int) bool {
		return gs[i].ParentID < gs[j].ParentID || gs[i].ParentID == gs[j].ParentID && gs[i].StudentID < gs[j].StudentID
	})
}

// civility normalises the civility of the national files: "M", "M." → "M.";
// "MME", "Mme" → "Mme"; "MLLE" → "Mlle".
func civility(s string) string {
	switch strings.ToUpper(strings.TrimSuffix(strings.TrimSpace(s), ".")) {
	case "":
		return ""
	case "M", "MR", "MONSIEUR":
		return "M."
	case "MME", "MADAME":
		return "Mme"
	case "MLLE", "MADEMOISELLE":
		return "Mlle"
	}
	return strings.TrimSpace(s)
}

// writeAddresses stores the postal address of each legal guardian of the
// file and, for a legal person, its denomination (the Livret sends both to
// LSU); a guardian whose address the file no longer gives loses the stored
// one, one that has become a natural person its denomination.
func (t *txn) writeAddresses(ins []*personIn, persons map[string]siecle.Person, addresses map[string]siecle.Address) error {
	for _, in := range ins {
		if in.next.ID == 0 {
			continue
		}
		var d sillage.GuardianDetails
		p := persons[in.p.SIECLEID]
		if a, ok := addresses[p.AddressID]; ok {
			d.Address = postalAddress(a)
		}
		if p.LegalEntity() {
			d.Denomination = strings.TrimSpace(in.p.LastName)
		}
		if err := t.tx.People().SetGuardianDetails(t.ctx, t.uai, in.next.ID, d); err != nil {
			return err
		}
	}
	return t.step("addresses")
}

// postalAddress keeps the non-empty lines of a SIECLE address; a foreign
// address has its town in COMMUNE_ETRANGERE and its country on a last line.
func postalAddress(a siecle.Address) sillage.PostalAddress {
	var pa sillage.PostalAddress
	for _, l := range a.Lines {
		if l = strings.TrimSpace(l); l != "" {
			pa.Lines = append(pa.Lines, l)
		}
	}
	pa.PostalCode = strings.TrimSpace(a.PostalCode)
	pa.Town = strings.TrimSpace(a.Town)
	if pa.Town == "" {
		pa.Town = strings.TrimSpace(a.ForeignTown)
	}
	if c := strings.TrimSpace(a.Country); c != "" && strings.TrimSpace(a.CountryCode) != "100" && len(pa.Lines) < 4 {
		pa.Lines = append(pa.Lines, c)
	}
	return pa
}
