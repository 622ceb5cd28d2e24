package directory

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/sts"
)

// STS imports an STS-web export (sts_emp_<UAI>_<year>.xml, root STS_EDT),
// complete for the staff: the teachers (with their STS id, LSU's id-sts)
// and other staff, their services per division and group, the head
// teachers, the labels and MEFs of the divisions and the option groups.
// A division is never created from STS (imports.md rule 6): only the
// divisions the students created are updated; a group is created only
// when one of its divisions exists.
func (im *Importer) STS(ctx context.Context, r io.Reader, opts Options) (*Report, error) {
	if err := im.checkEstablishment(ctx, opts.UAI); err != nil {
		return nil, err
	}
	rep := newReport(SourceSTS, opts.UAI, opts.FileName, im.Store.Clock().Now())
	var f sts.File
	err := sts.Decode(r, sts.Handler{
		Header: func(h sts.Header) error {
			if h.UAJ != opts.UAI {
				return wrongUAI(h.UAJ, opts.UAI)
			}
			f.Header = h
			return nil
		},
		Subject:    func(s sts.Subject) error { f.Subjects = append(f.Subjects, s); return nil },
		Individual: func(i sts.Individual) error { f.Individuals = append(f.Individuals, i); return nil },
		Division:   func(d sts.Division) error { f.Divisions = append(f.Divisions, d); return nil },
		Group:      func(g sts.Group) error { f.Groups = append(f.Groups, g); return nil },
		Reject: func(rj sts.Reject) error {
			f.Rejects = append(f.Rejects, rj)
			rep.reject(siecleLoc(rj.Line, rj.Element), rj.Name, rj.Reason)
			if rj.Key != "" && (rj.Block == "INDIVIDUS" || rj.Block == "DIVISIONS" || rj.Block == "GROUPES") {
				// In the file, so left as it is (rule 1).
				rep.Rejects[len(rep.Rejects)-1].LeftAsIs = true
			}
			return nil
		},
		Warning: func(w sts.Reject) error {
			where := siecleLoc(w.Line, w.Element)
			if w.Key != "" {
				where += " " + w.Key
			}
			rep.warn("%s : %s", where, w.Reason)
			return nil
		},
	})
	if err != nil {
		if sillage.KindOf(err) == sillage.KindInvalid {
			rep.setStatus(StatusRefused, sillage.Message(err))
		}
		return rep, err
	}
	spec := txSpec{source: SourceSTS, src: sillage.SourceSTS, uai: opts.UAI, year: sillage.SchoolYear(f.Header.Year), complete: true,
		fileYear: sillage.SchoolYear(f.Header.Year),
		apply:    func(t *txn) error { return t.applySTS(&f) }}
	return rep, im.transact(ctx, spec, opts, rep)
}

// staffRole is the role of an STS function: ENS teaches, DIR directs,
// anything else (vie scolaire, documentation…) is staff. An individual
// without a function was added locally, to teach.
func staffRole(function string) sillage.Role {
	switch function {
	case "ENS", "":
		return sillage.RoleTeacher
	case "DIR":
		return sillage.RoleDirector
	}
	return sillage.RoleStaff
}

func (t *txn) applySTS(f *sts.File) error {
	// A file older than the establishment's year or than the last one
	// applied is held by checkAge (rule 4), like SIECLE's and ONDE's.
	subjects := make([]sillage.Subject, 0, len(f.Subjects))
	for _, s := range f.Subjects {
		subjects = append(subjects, sillage.Subject{Code: s.Code, ShortLabel: s.ShortLabel, LongLabel: s.LongLabel})
	}
	if err := t.applySubjects(subjects, false); err != nil {
		return err
	}
	// The records rejected but named: their person, division or group
	// stays as it is, services included (rule 1).
	keptDivs, keptGroups := map[string]bool{}, map[string]bool{}
	for _, rj := range f.Rejects {
		if rj.Key == "" {
			continue
		}
		switch rj.Block {
		case "INDIVIDUS":
			t.keep(keySTS(rj.Key))
		case "DIVISIONS":
			keptDivs[rj.Key] = true
		case "GROUPES":
			keptGroups[rj.Key] = true
		}
	}
	var ins []*personIn
	for _, i := range f.Individuals {
		ins = append(ins, &personIn{loc: siecleLoc(i.Line, "INDIVIDU"), op: opAdd, fields: fName | fBirth | fCivility,
			p: sillage.Person{Role: staffRole(i.Function), Civility: civility(i.Civility), LastName: i.LastName(), FirstName: i.FirstName,
				BirthDate: sillage.DateOf(i.BirthDate), STSID: i.ID, Source: sillage.SourceSTS}})
	}
	p, err := t.planPersons(ins, familyStaff, true)
	if err != nil {
		return err
	}
	if err := t.loadStructures(); err != nil {
		return err
	}
	if err := t.enforceGuards(); err != nil {
		return err
	}
	// Divisions: updated, never created.
	listed := map[string]bool{}
	dc := t.rep.counts(KindDivisions)
	for _, d := range f.Divisions {
		listed[d.Code] = true
		cur, ok := t.divisions[d.Code]
		if !ok {
			t.rep.warn("division %q du fichier STS absente des élèves de l'année %s : non créée (une division n'est créée que par les élèves qui la composent)", d.Code, t.year)
			continue
		}
		next := *cur
		next.Label, next.MEFs, next.FromSTS = d.LongLabel, slices.Clone(d.MEFs), true
		if next.Label == "" {
			next.Label = cur.Label
		}
		if next.Label == cur.Label && slices.Equal(next.MEFs, cur.MEFs) && cur.FromSTS {
			dc.Unchanged++
			continue
		}
		if err := t.tx.People().UpdateDivision(t.ctx, t.uai, next); err != nil {
			return err
		}
		*cur = next
		dc.Updated++
	}
	codes := make([]string, 0, len(t.divisions))
	for code := range t.divisions {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		if d := t.divisions[code]; d.FromSTS && !listed[code] && !keptDivs[code] {
			d.FromSTS = false
			if err := t.tx.People().UpdateDivision(t.ctx, t.uai, *d); err != nil {
				return err
			}
			dc.Updated++
		}
	}
	// Option groups: created or renamed when one of their divisions exists.
	gc := t.rep.counts(KindGroups)
	groups := map[string]*sillage.Group{}
	for _, g := range f.Groups {
		exists := false
		for _, d := range g.Divisions {
			if _, ok := t.divisions[d]; ok {
				exists = true
			}
		}
		if !exists {
			t.rep.warn("groupe %q du fichier STS sans division existante de l'année %s : non créé", g.Code, t.year)
			continue
		}
		label := g.LongLabel
		if label == "" {
			label = g.Code
		}
		cur, ok := t.groups[g.Code]
		switch {
		case !ok:
			ng, err := t.ensureGroup(g.Code, label)
			if err != nil {
				return err
			}
			groups[g.Code] = ng
			continue
		case cur.Label != label:
			if err := t.tx.Imports().UpdateGroupLabel(t.ctx, t.uai, cur.ID, label); err != nil {
				return err
			}
			cur.Label = label
			gc.Updated++
		default:
			gc.Unchanged++
		}
		groups[g.Code] = cur
	}
	if err := t.step("structures"); err != nil {
		return err
	}
	p.prepare(t)
	if err := t.allocateAccounts(); err != nil {
		return err
	}
	if err := t.step("accounts"); err != nil {
		return err
	}
	if err := p.insert(t); err != nil {
		return err
	}
	deact, err := p.finish(t)
	if err != nil {
		return err
	}
	// The STS type (epp, local) of each individual: LSU writes it beside
	// the id-sts.
	types := map[string]string{}
	for _, i := range f.Individuals {
		if i.ID != "" && i.Type != "" {
			types[i.ID] = i.Type
		}
	}
	if _, err := t.tx.Imports().SetSTSTypes(t.ctx, t.uai, types); err != nil {
		return err
	}
	// Services and head teachers of the persons of the file.
	bySTS := map[string]*sillage.Person{}
	for _, in := range p.ins {
		if !in.deactivate {
			bySTS[in.next.STSID] = &in.next
		}
	}
	want := map[int64][]sillage.Service{}
	addServices := func(loc string, divID, groupID int64, services []sts.Service) {
		for _, s := range services {
			for _, ref := range s.Teachers {
				teacher := bySTS[ref.ID]
				if teacher == nil {
					t.rep.reject(loc, "", fmt.Sprintf("service %s : enseignant %s absent des individus du fichier, ignoré", s.Subject, ref.ID))
					continue
				}
				want[teacher.ID] = append(want[teacher.ID], sillage.Service{TeacherID: teacher.ID, DivisionID: divID, GroupID: groupID,
					SubjectCode: s.Subject, Modality: s.CourseMode})
			}
		}
	}
	for _, d := range f.Divisions {
		if div, ok := t.divisions[d.Code]; ok {
			addServices(siecleLoc(d.Line, "DIVISION"), div.ID, 0, d.Services)
		}
	}
	for _, g := range f.Groups {
		if grp, ok := groups[g.Code]; ok {
			addServices(siecleLoc(g.Line, "GROUPE"), 0, grp.ID, g.Services)
		}
	}
	teachers := make([]int64, 0, len(p.ins)+len(deact))
	for _, in := range p.ins {
		teachers = append(teachers, in.next.ID)
	}
	if len(keptDivs)+len(keptGroups) > 0 {
		if err := t.keepServices(keptDivs, keptGroups, bySTS, want); err != nil {
			return err
		}
	}
	teachers = append(teachers, deact...)
	if err := t.replaceServices(teachers, want); err != nil {
		return err
	}
	heads := map[int64][]int64{}
	for _, i := range f.Individuals {
		teacher := bySTS[i.ID]
		if teacher == nil {
			continue
		}
		heads[teacher.ID] = []int64{}
		for _, code := range i.HeadOf {
			if d, ok := t.divisions[code]; ok {
				heads[teacher.ID] = append(heads[teacher.ID], d.ID)
			}
		}
	}
	return t.updateHeadTeachers(heads, deact)
}

// keepServices adds to want the services the teachers of the file have in
// the divisions and groups whose records were rejected: they stay.
func (t *txn) keepServices(divs, groups map[string]bool, bySTS map[string]*sillage.Person, want map[int64][]sillage.Service) error {
	have, err := t.tx.People().ListServices(t.ctx, t.uai, 0)
	if err != nil {
		return err
	}
	keptDiv, keptGroup := map[int64]bool{}, map[int64]bool{}
	for code := range divs {
		if d, ok := t.divisions[code]; ok {
			keptDiv[d.ID] = true
		}
	}
	for code := range groups {
		if g, ok := t.groups[code]; ok {
			keptGroup[g.ID] = true
		}
	}
	active := map[int64]bool{}
	for _, p := range bySTS {
		active[p.ID] = true
	}
	for _, s := range have {
		if active[s.TeacherID] && (s.DivisionID != 0 && keptDiv[s.DivisionID] || s.GroupID != 0 && keptGroup[s.GroupID]) {
			want[s.TeacherID] = append(want[s.TeacherID], s)
		}
	}
	return nil
}

// replaceServices sets the services of these teachers (want: by teacher;
// absent means none) and counts the changes.
func (t *txn) replaceServices(teachers []int64, want map[int64][]sillage.Service) error {
	have, err := t.tx.People().ListServices(t.ctx, t.uai, 0)
	if err != nil {
		return err
	}
	byTeacher := map[int64][]string{}
	for _, s := range have {
		byTeacher[s.TeacherID] = append(byTeacher[s.TeacherID], serviceKey(s))
	}
	c := t.rep.counts(KindServices)
	// The teachers whose services change, replaced in one batch.
	var changed []int64
	var replaced []sillage.Service
	done := map[int64]bool{}
	for _, id := range teachers {
		if done[id] {
			continue // named twice (a deactivated teacher also given)
		}
		done[id] = true
		var w []string
		seen := map[string]bool{}
		var services []sillage.Service
		for _, s := range want[id] {
			if k := serviceKey(s); !seen[k] {
				seen[k] = true
				w = append(w, k)
				services = append(services, s)
			}
		}
		h := byTeacher[id]
		hs := map[string]bool{}
		for _, k := range h {
			hs[k] = true
		}
		for _, k := range w {
			if hs[k] {
				c.Unchanged++
			} else {
				c.Created++
			}
		}
		for k := range hs {
			if !seen[k] {
				c.Deleted++
			}
		}
		sort.Strings(w)
		sort.Strings(h)
		if slices.Equal(w, h) {
			continue
		}
		changed = append(changed, id)
		replaced = append(replaced, services...)
	}
	if err := t.tx.Imports().ReplaceServices(t.ctx, t.uai, changed, replaced); err != nil {
		return err
	}
	return t.step("services")
}

func serviceKey(s sillage.Service) string {
	return fmt.Sprintf("%d/%d/%s/%s", s.DivisionID, s.GroupID, s.SubjectCode, s.Modality)
}

// updateHeadTeachers sets the head-teacher divisions of the teachers of
// given (teacher → divisions: the whole list, possibly empty) and removes the
// deactivated teachers; the other head teachers of a division stay.
func (t *txn) updateHeadTeachers(given map[int64][]int64, deactivated []int64) error {
	touched := map[int64]bool{}
	for _, id := range deactivated {
		touched[id] = true
	}
	wantDiv := map[int64][]int64{}
	for teacher, divs := range given {
		touched[teacher] = true
		for _, d := range divs {
			wantDiv[d] = append(wantDiv[d], teacher)
		}
	}
	if len(touched) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(t.divisions))
	for _, d := range t.divisions {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	all, err := t.tx.Imports().ListAllHeadTeachers(t.ctx, t.uai)
	if err != nil {
		return err
	}
	for _, id := range ids {
		cur := all[id]
		var want []int64
		for _, h := range cur {
			if !touched[h] {
				want = append(want, h)
			}
		}
		want = append(want, wantDiv[id]...)
		slices.Sort(want)
		want = slices.Compact(want)
		if slices.Equal(want, cur) {
			continue
		}
		if err := t.tx.People().SetHeadTeachers(t.ctx, t.uai, id, want); err != nil {
			return err
		}
	}
	return t.step("head_teachers")
}
