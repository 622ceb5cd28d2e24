package directory

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
)

// aafFields maps the fields an AAF record carries to the fields it changes
// (a modifyRequest names its own; an addRequest gives every field).
func aafFields(rec aaf.Record, pairs map[aaf.Field]fields) fields {
	if rec.Op == aaf.OpAdd {
		var all fields
		for _, f := range pairs {
			all |= f
		}
		return all
	}
	var out fields
	for af, f := range pairs {
		if rec.Updates(af) {
			out |= f
		}
	}
	return out
}

var studentFields = map[aaf.Field]fields{
	aaf.FieldLastName: fLastName, aaf.FieldFirstName: fFirstName, aaf.FieldBirthDate: fBirth, aaf.FieldCivility: fCivility,
	aaf.FieldINE: fINE, aaf.FieldSIECLEID: fSIECLEID, aaf.FieldMEF: fMEF, aaf.FieldClasses: fDivision, aaf.FieldGroups: fGroups,
}

var personFields = map[aaf.Field]fields{
	aaf.FieldLastName: fLastName, aaf.FieldFirstName: fFirstName, aaf.FieldBirthDate: fBirth, aaf.FieldCivility: fCivility,
	aaf.FieldEmail: fEmail,
}

func aafOp(o aaf.Op) op {
	switch o {
	case aaf.OpModify:
		return opModify
	case aaf.OpDelete:
		return opDelete
	}
	return opAdd
}

// inEst reports whether a structure join id is one of the establishment's.
func (e *aafEst) has(join string) bool { _, ok := e.joins[join]; return ok }

// apply imports an establishment's records: MEFs and subjects used,
// students, their legal guardians, staff with services and head teachers.
func (r *aafRun) apply(t *txn, e *aafEst, recs *estRecords) error {
	if err := r.checkOrder(t); err != nil {
		return err
	}
	loc := func(rec *aaf.Record) string { return fmt.Sprintf("%s, ligne %d", recs.files[rec], rec.Line) }
	// The persons named by a rejected record stay as they are (rule 1).
	for _, k := range e.kept {
		t.keep(keyAAF(k.id))
		if k.category == aaf.CategoryStudent && k.personID != 0 {
			// The record may have named their guardians: they stay too.
			gs, err := t.tx.People().ListGuardians(t.ctx, t.uai, k.personID)
			if err != nil {
				return err
			}
			for _, g := range gs {
				t.keep(keyPerson(g.ParentID))
			}
		}
		rj := k.reject
		rj.LeftAsIs = true
		t.rep.Rejects = append(t.rep.Rejects, rj)
	}
	if r.complete && !r.completeFor(e) {
		t.rep.warn("l'établissement %s n'est pas décrit par les fichiers EtabEducNat de ce Complet : seules les personnes qui y sont "+
			"rattachées sont importées, personne n'y est désactivé (importez le Complet de cet établissement pour le mettre à jour en entier)", t.uai)
	}
	studentsComplete := r.completeFor(e) && r.has[aaf.CategoryStudent]
	parentsComplete := studentsComplete && r.has[aaf.CategoryRelative]
	staffComplete := r.completeFor(e) && r.has[aaf.CategoryStaff]

	// MEFs and subjects this establishment's people use.
	mefs := map[string]string{}
	subjects := map[string]string{}
	for _, s := range recs.students {
		if s.MEF != "" {
			label := r.mefs[s.MEF]
			if label == "" {
				label = s.MEFLabel
			}
			mefs[s.MEF] = label
		}
		for i, code := range s.SubjectCodes {
			label := r.subjects[code]
			if label == "" && i < len(s.SubjectLabels) {
				label = s.SubjectLabels[i]
			}
			subjects[code] = label
		}
	}
	for _, s := range recs.staff {
		for _, tg := range append(append([]aaf.Teaching(nil), s.ClassTeachings...), s.GroupTeachings...) {
			if tg.SubjectCode != "" && e.has(tg.StructureID) {
				if _, ok := subjects[tg.SubjectCode]; !ok {
					subjects[tg.SubjectCode] = r.subjects[tg.SubjectCode]
				}
			}
		}
	}
	var mefList []sillage.MEF
	for code, label := range mefs {
		mefList = append(mefList, sillage.MEF{Code: code, Label: label})
	}
	sort.Slice(mefList, func(i, j int) bool { return mefList[i].Code < mefList[j].Code })
	if len(mefList) > 0 {
		if err := t.applyMEFs(mefList); err != nil {
			return err
		}
	}
	var subjectList []sillage.Subject
	for code, label := range subjects {
		subjectList = append(subjectList, sillage.Subject{Code: code, LongLabel: label, ShortLabel: label})
	}
	sort.Slice(subjectList, func(i, j int) bool { return subjectList[i].Code < subjectList[j].Code })
	if len(subjectList) > 0 {
		if err := t.applySubjects(subjectList, false); err != nil {
			return err
		}
	}

	// Students.
	var ins []*studentIn
	aafStudents := map[string]*aaf.Student{}
	for _, s := range recs.students {
		aafStudents[s.ID] = s
		in := &studentIn{loc: loc(&s.Record), op: aafOp(s.Op), fields: aafFields(s.Record, studentFields)}
		in.s = sillage.Student{Person: sillage.Person{LastName: s.LastName, FirstName: s.FirstName, Civility: civility(s.Civility),
			BirthDate: sillage.DateOf(s.BirthDate), AAFID: s.ID, SIECLEID: s.SIECLEID, Source: sillage.SourceAAF}, MEF: s.MEF}
		// A modification moving the student to other structures is a
		// departure from this establishment.
		if in.op == opModify && s.Updates(aaf.FieldStructures) {
			here := false
			for _, st := range s.Structures {
				here = here || e.has(st)
			}
			if !here {
				in.op = opDelete
			}
		}
		for _, c := range s.Classes {
			if e.has(c.StructureID) {
				in.division = c.Code
				break
			}
		}
		for _, g := range s.Groups {
			if e.has(g.StructureID) {
				in.groups = append(in.groups, g.Code)
			}
		}
		if in.op == opAdd || s.Updates(aaf.FieldINE) {
			var ierr error
			ine := s.INE
			if !ine.IsZero() {
				ine, _, ierr = ine.Check()
			}
			if err := t.setINE(in, ine, ierr); err != nil {
				return err
			}
		}
		ins = append(ins, in)
	}
	sp, err := t.planStudents(ins, studentsComplete)
	if err != nil {
		return err
	}

	// Legal guardians: the relatives a student of this establishment
	// names as responsable légal.
	rels := map[string]*aaf.Relative{}
	for _, p := range recs.relatives {
		rels[p.ID] = p
	}
	existingParents := map[string]bool{}
	persons, err := t.tx.People().ListPersons(t.ctx, t.uai, sillage.PersonFilter{Role: sillage.RoleParent})
	if err != nil {
		return err
	}
	for _, p := range persons {
		if p.AAFID != "" {
			existingParents[p.AAFID] = true
		}
	}
	var pins []*personIn
	pinByID := map[string]*personIn{}
	parentIn := func(id string) *personIn {
		if in, ok := pinByID[id]; ok {
			return in
		}
		var in *personIn
		if p := rels[id]; p != nil {
			in = &personIn{loc: loc(&p.Record), op: aafOp(p.Op), fields: aafFields(p.Record, personFields),
				p: sillage.Person{Role: sillage.RoleParent, Civility: civility(p.Civility), LastName: p.LastName, FirstName: p.FirstName,
					Email: p.Email, BirthDate: sillage.DateOf(p.BirthDate), AAFID: p.ID, Source: sillage.SourceAAF}}
		} else if existingParents[id] {
			// Named by a student of this import, already here: only the
			// link may change.
			in = &personIn{loc: "", op: opModify, p: sillage.Person{Role: sillage.RoleParent, AAFID: id}}
		}
		pinByID[id] = in
		if in != nil {
			pins = append(pins, in)
		}
		return in
	}
	relSum := &Relatives{}
	referenced, legal := map[string]bool{}, map[string]bool{}
	namedAt := map[string]string{}
	var links []wantLink
	var owner linkOwner
	for _, in := range sp.ins {
		if in.op == opDelete || in.exited {
			continue
		}
		s := aafStudents[in.s.AAFID]
		if s == nil || (s.Op != aaf.OpAdd && !s.Updates(aaf.FieldRelatives)) {
			continue
		}
		owner.students = append(owner.students, &in.next)
		for _, l := range s.Relatives {
			referenced[l.RelativeID] = true
			if l.Legal != aaf.RespLegal {
				continue
			}
			legal[l.RelativeID] = true
			if _, ok := namedAt[l.RelativeID]; !ok {
				namedAt[l.RelativeID] = in.loc
			}
			pin := parentIn(l.RelativeID)
			if pin == nil {
				continue
			}
			links = append(links, wantLink{parent: pin, student: &in.next, relation: l.LinkCode})
		}
	}
	legalIDs := make([]string, 0, len(legal))
	for id := range legal {
		legalIDs = append(legalIDs, id)
	}
	sort.Strings(legalIDs)
	for _, id := range legalIDs {
		if pinByID[id] == nil {
			relSum.Missing++
			t.rep.reject(namedAt[id], "", fmt.Sprintf("responsable légal %s absent des fichiers PersRelEleve : lien ignoré", id))
		}
	}
	// Relatives routed here by a modification or a deletion in a Delta.
	for _, p := range recs.relatives {
		if p.Op != aaf.OpAdd {
			parentIn(p.ID)
		}
	}
	relSum.Referenced, relSum.Legal = len(referenced), len(legal)-relSum.Missing
	relSum.NotLegal = len(referenced) - len(legal)
	if len(referenced) > 0 || len(pins) > 0 {
		t.rep.Relatives = relSum
	}
	pp, err := t.planParents(pins, links, parentsComplete, owner)
	if err != nil {
		return err
	}

	// Staff.
	var sins []*personIn
	for _, s := range recs.staff {
		in := &personIn{loc: loc(&s.Record), op: aafOp(s.Op), fields: aafFields(s.Record, personFields),
			p: sillage.Person{Civility: civility(s.Civility), LastName: s.LastName, FirstName: s.FirstName, Email: s.Email,
				BirthDate: sillage.DateOf(s.BirthDate), AAFID: s.ID, Source: sillage.SourceAAF}}
		if s.Op == aaf.OpAdd || s.Updates(aaf.FieldFunctions) || s.Updates(aaf.FieldClassTeachings) {
			in.p.Role = aafStaffRole(s, e)
		}
		// A modification moving the person to other structures ends
		// their role here (rule 9), as for a student.
		if in.op == opModify && s.Updates(aaf.FieldStructures) {
			here := false
			for _, st := range s.Structures {
				here = here || e.has(st)
			}
			for _, f := range s.Functions {
				here = here || e.has(f.StructureID)
			}
			if !here {
				in.op = opDelete
			}
		}
		sins = append(sins, in)
	}
	stp, err := t.planPersons(sins, familyStaff, staffComplete)
	if err != nil {
		return err
	}
	if err := t.enforceGuards(); err != nil {
		return err
	}

	// Writes.
	if err := sp.prepare(t); err != nil {
		return err
	}
	pp.p.prepare(t)
	stp.prepare(t)
	if err := t.allocateAccounts(); err != nil {
		return err
	}
	if err := t.step("accounts"); err != nil {
		return err
	}
	if err := sp.insert(t); err != nil {
		return err
	}
	if err := pp.p.insert(t); err != nil {
		return err
	}
	if err := stp.insert(t); err != nil {
		return err
	}
	if err := sp.finish(t); err != nil {
		return err
	}
	if err := pp.finish(t); err != nil {
		return err
	}
	deact, err := stp.finish(t)
	if err != nil {
		return err
	}
	if err := r.applyServices(t, e, recs, stp, deact); err != nil {
		return err
	}
	return r.recordOrder(t)
}

// The settings holding the dates of the last AAF files applied to an
// establishment (YYYYMMDD, from the file names).
const (
	AAFLastCompleteSetting = "import.aaf.last_complete"
	AAFLastDeltaSetting    = "import.aaf.last_delta"
)

const aafSettingDate = "20060102"

// checkOrder refuses a file older than what the establishment already had
// (rule 4): a Complet older than the last Complet or a Delta applied would
// undo them; a Delta older than the last Complet is already in it, or was
// undone by it. The dates come from the file names; a name without a date
// is not checked (a warning says so).
func (r *aafRun) checkOrder(t *txn) error {
	if r.date.IsZero() {
		t.rep.warn("le nom du fichier %s ne porte pas de date : l'ordre des fichiers AAF n'a pas pu être vérifié", r.fileLabel())
		return nil
	}
	read := func(key string) (time.Time, error) {
		v, err := t.tx.Periods().GetSetting(t.ctx, t.uai, key, "")
		if err != nil || v == "" {
			return time.Time{}, err
		}
		d, err := time.Parse(aafSettingDate, v)
		if err != nil {
			return time.Time{}, nil // unreadable: as if none
		}
		return d, nil
	}
	lastComplete, err := read(AAFLastCompleteSetting)
	if err != nil {
		return err
	}
	lastDelta, err := read(AAFLastDeltaSetting)
	if err != nil {
		return err
	}
	day := func(d time.Time) string { return d.Format("02/01/2006") }
	kind := "Delta"
	if r.complete {
		kind = "Complet"
	}
	refuse := func(what, todo string) error {
		return sillage.Errorf(sillage.KindConflict, "%s : ce %s du %s (date du nom des fichiers) est plus ancien que %s déjà appliqué à l'établissement %s : "+
			"import refusé, rien n'a été enregistré ; %s", r.fileNames(), kind, day(r.date), what, t.uai, todo)
	}
	switch {
	case r.complete && r.date.Before(lastComplete):
		return refuse("le Complet du "+day(lastComplete), "importez un Complet daté du "+day(lastComplete)+" ou après")
	case r.complete && r.date.Before(lastDelta):
		return refuse("le Delta du "+day(lastDelta), "il déferait ses changements : importez un Complet daté du "+day(lastDelta)+" ou après")
	case !r.complete && r.date.Before(lastComplete):
		return refuse("le Complet du "+day(lastComplete), "ses changements y sont déjà ou en ont été retirés : n'importez que les Deltas datés du "+
			day(lastComplete)+" ou après")
	}
	return nil
}

// fileNames names the run's files: all of them when they are few.
func (r *aafRun) fileNames() string {
	var names []string
	for _, f := range r.files {
		names = append(names, filepath.Base(f.Path))
	}
	if len(names) > 3 {
		return fmt.Sprintf("%s, %s et %d autres fichiers", names[0], names[1], len(names)-2)
	}
	return strings.Join(names, ", ")
}

// recordOrder stores the date of the file just applied.
func (r *aafRun) recordOrder(t *txn) error {
	if r.date.IsZero() {
		return nil
	}
	key := AAFLastDeltaSetting
	if r.complete {
		key = AAFLastCompleteSetting
	}
	cur, err := t.tx.Periods().GetSetting(t.ctx, t.uai, key, "")
	if err != nil {
		return err
	}
	if v := r.date.Format(aafSettingDate); v > cur {
		return t.tx.Periods().SetSetting(t.ctx, t.uai, key, v)
	}
	return nil
}

// aafStaffRole reads the role from the functions in this establishment:
// direction, teaching, or other staff.
func aafStaffRole(s *aaf.Staff, e *aafEst) sillage.Role {
	role := sillage.RoleStaff
	for _, f := range s.Functions {
		if f.StructureID != "" && !e.has(f.StructureID) {
			continue
		}
		switch f.Code {
		case "DIR":
			return sillage.RoleDirector
		case "ENS":
			role = sillage.RoleTeacher
		}
	}
	if role == sillage.RoleStaff {
		for _, tg := range append(append([]aaf.Teaching(nil), s.ClassTeachings...), s.GroupTeachings...) {
			if e.has(tg.StructureID) {
				return sillage.RoleTeacher
			}
		}
		if s.IsTeacher || s.Teaches {
			return sillage.RoleTeacher
		}
	}
	return role
}

// applyServices sets the services and head-teacher divisions of the staff
// whose records give them (classes and groups of this establishment that
// exist: a service never creates a division).
func (r *aafRun) applyServices(t *txn, e *aafEst, recs *estRecords, stp *personPlan, deact []int64) error {
	byAAF := map[string]*personIn{}
	for _, in := range stp.ins {
		byAAF[in.p.AAFID] = in
	}
	want := map[int64][]sillage.Service{}
	heads := map[int64][]int64{}
	var teachers []int64
	for _, s := range recs.staff {
		in := byAAF[s.ID]
		if in == nil || in.deactivate || in.op == opDelete {
			continue
		}
		id := in.next.ID
		if s.Op == aaf.OpAdd || s.Updates(aaf.FieldClassTeachings) || s.Updates(aaf.FieldGroupTeachings) {
			teachers = append(teachers, id)
			for _, tg := range s.ClassTeachings {
				if d, ok := t.divisions[tg.Code]; ok && e.has(tg.StructureID) {
					want[id] = append(want[id], sillage.Service{TeacherID: id, DivisionID: d.ID, SubjectCode: tg.SubjectCode})
				}
			}
			for _, tg := range s.GroupTeachings {
				if g, ok := t.groups[tg.Code]; ok && e.has(tg.StructureID) {
					want[id] = append(want[id], sillage.Service{TeacherID: id, GroupID: g.ID, SubjectCode: tg.SubjectCode})
				}
			}
		}
		if s.Op == aaf.OpAdd || s.Updates(aaf.FieldHeadTeacherOf) {
			heads[id] = []int64{}
			for _, m := range s.HeadTeacherOf {
				if d, ok := t.divisions[m.Code]; ok && e.has(m.StructureID) {
					heads[id] = append(heads[id], d.ID)
				}
			}
		}
	}
	if err := t.replaceServices(append(teachers, deact...), want); err != nil {
		return err
	}
	return t.updateHeadTeachers(heads, deact)
}
