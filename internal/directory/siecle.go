package directory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
)

// MaxStudentsPerFile bounds the students of a SIECLE or ONDE file: one
// establishment's, which the import holds while it joins the students with
// their divisions (the STRUCTURES block comes after the students). The
// largest lycées have a few thousand.
const MaxStudentsPerFile = 50_000

// checkEstablishment fails fast, before reading a file, when the
// establishment is unknown.
func (im *Importer) checkEstablishment(ctx context.Context, uai sillage.UAI) error {
	if uai == "" {
		return sillage.Errorf(sillage.KindInvalid, "l'établissement (--uai) est obligatoire")
	}
	return im.Store.Read(ctx, func(tx *store.Tx) error {
		_, err := tx.Establishments().GetEstablishment(ctx, uai)
		if sillage.KindOf(err) == sillage.KindNotFound {
			return sillage.Errorf(sillage.KindNotFound, "établissement %s inconnu de Sillage : l'opérateur doit d'abord le créer (sillage establishment add --uai %s --name …)", uai, uai)
		}
		return err
	})
}

// wrongUAI is rule 1's refusal.
func wrongUAI(file, want sillage.UAI) error {
	return sillage.Errorf(sillage.KindInvalid, "le fichier concerne l'établissement %s, pas %s : import refusé, rien n'a été enregistré", file, want)
}

func siecleLoc(line int, element string) string {
	if element == "" {
		return fmt.Sprintf("ligne %d", line)
	}
	return fmt.Sprintf("ligne %d (%s)", line, element)
}

// SIECLE imports a SIECLE students export (ElevesSansAdresses.xml or
// ElevesAvecAdresses.xml, root BEE_ELEVES), a complete file: r is the XML
// content (see OpenFile for a ZIP). The file's PARAMETRES/UAJ must be
// opts.UAI.
//
// Reading and writing overlap on two cores: a goroutine decodes the file
// and hands its records over in batches through a bounded channel; as soon
// as the header is known (it names the establishment and the year), the
// transaction opens and makes its checks while the decoding goes on, then
// takes the records as they come (their INE hashed here) before it plans
// and writes. A file that fails to decode rolls the transaction back:
// nothing is written.
func (im *Importer) SIECLE(ctx context.Context, r io.Reader, opts Options) (*Report, error) {
	if err := im.checkKeyring(); err != nil {
		return nil, err
	}
	if err := im.checkEstablishment(ctx, opts.UAI); err != nil {
		return nil, err
	}
	rep := newReport(SourceSIECLE, opts.UAI, opts.FileName, im.Store.Clock().Now())
	sr := &siecleRead{im: im, uai: opts.UAI, rep: rep}
	sr.t0.im = im // setINE needs the keyring only
	dec := decodeSIECLE(r, opts.UAI)
	defer dec.stop()
	// The records that come before the header (the format guarantees no
	// order) are kept before the transaction, and taken in it.
	if err := dec.take(sr, true); err != nil {
		return sr.refused(err)
	}
	hdr := sr.hdr
	spec := txSpec{source: SourceSIECLE, src: sillage.SourceSIECLE, uai: opts.UAI, year: sillage.SchoolYear(hdr.Year), complete: true,
		fileYear: sillage.SchoolYear(hdr.Year), exported: exportedAt(hdr),
		apply: func(t *txn) error {
			// Each attempt of the transaction (Importer.transact)
			// takes the records read so far again, from scratch, into
			// its own report, then reads on.
			if err := sr.restart(t.rep); err != nil {
				return err
			}
			t.present = sr.present
			if err := dec.take(sr, false); err != nil {
				return err
			}
			ins := sr.joinStructures()
			for _, in := range ins {
				in.exited = !in.s.ExitDate.IsZero() && in.s.ExitDate.Before(t.today)
			}
			p, err := t.planStudents(ins, true)
			if err != nil {
				return err
			}
			if err := t.enforceGuards(); err != nil {
				return err
			}
			return t.writeStudents(p)
		}}
	return rep, im.transact(ctx, spec, opts, rep)
}

// siecleBatch is the number of records handed over at once by the
// decoding goroutine, and siecleQueue the batches it may have ahead.
const siecleBatch, siecleQueue = 64, 8

// siecleEvent is one element of the file, in the file's order.
type siecleEvent struct {
	header     *siecle.Header
	student    *siecle.Student
	structures *siecle.StudentStructures
	reject     *siecle.Reject
}

// siecleDecoder is the decoding goroutine seen from the import.
type siecleDecoder struct {
	batches chan []siecleEvent
	quit    chan struct{}
	err     error // set before batches is closed
	stopped bool
}

var errDecodeStopped = errors.New("decoding stopped")

// decodeSIECLE starts decoding r; the file's UAJ is checked against uai
// in the goroutine, so that a wrong file stops at its header.
func decodeSIECLE(r io.Reader, uai sillage.UAI) *siecleDecoder {
	d := &siecleDecoder{batches: make(chan []siecleEvent, siecleQueue), quit: make(chan struct{})}
	go func() {
		defer close(d.batches)
		batch := make([]siecleEvent, 0, siecleBatch)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			select {
			case d.batches <- batch:
				batch = make([]siecleEvent, 0, siecleBatch)
				return nil
			case <-d.quit:
				return errDecodeStopped
			}
		}
		add := func(e siecleEvent) error {
			batch = append(batch, e)
			if len(batch) == cap(batch) {
				return flush()
			}
			return nil
		}
		err := siecle.DecodeStudents(r, siecle.StudentsHandler{
			Header: func(h siecle.Header) error {
				if h.UAJ != uai {
					return wrongUAI(h.UAJ, uai)
				}
				batch = append(batch, siecleEvent{header: &h})
				return flush() // the transaction waits for it
			},
			Student:    func(s siecle.Student) error { return add(siecleEvent{student: &s}) },
			Structures: func(ss siecle.StudentStructures) error { return add(siecleEvent{structures: &ss}) },
			Reject:     func(rj siecle.Reject) error { return add(siecleEvent{reject: &rj}) },
		})
		if err == nil {
			err = flush()
		}
		d.err = err
	}()
	return d
}

// take hands the decoded records to sr, in order: until the header when
// untilHeader (kept for restart, the header alone handled), else to the end
// of the file. It returns the decoding's error, or sr's.
//
// Waiting for the header, the records are counted as they are kept: a file
// over the per-file limit is refused there, not once held whole.
func (d *siecleDecoder) take(sr *siecleRead, untilHeader bool) error {
	var students, structures int
	for batch := range d.batches {
		for _, e := range batch {
			sr.events = append(sr.events, e)
			if untilHeader {
				switch {
				case e.header != nil:
					sr.hdr, sr.haveHeader = *e.header, true
				case e.student != nil:
					students++
				case e.structures != nil:
					structures++
				}
				if err := overLimit(students, structures); err != nil {
					d.stop()
					return err
				}
				continue
			}
			if err := sr.handle(e); err != nil {
				d.stop()
				return err
			}
		}
		if untilHeader && sr.haveHeader {
			return nil
		}
	}
	return d.err
}

// stop ends the decoding early (the import failed) and waits for the
// goroutine to let go of the file.
func (d *siecleDecoder) stop() {
	if d.stopped {
		return
	}
	d.stopped = true
	close(d.quit)
	for range d.batches {
	}
}

// siecleRead gathers a SIECLE file's records for the import.
type siecleRead struct {
	im         *Importer
	uai        sillage.UAI
	rep        *Report
	t0         txn
	hdr        siecle.Header
	haveHeader bool
	ins        []*studentIn
	byID       map[string]*studentIn
	present    *presence
	// The STRUCTURES block may come before or after ELEVES (the format
	// guarantees no order): structures are joined once the file is read.
	structures []siecle.StudentStructures
	// events are the file's records taken so far, in order: a re-run of
	// the transaction takes them again (restart).
	events []siecleEvent
}

// restart empties what sr gathered from the records and takes the records
// read so far again, into rep: each attempt of the import's transaction
// starts from the file, not from what a failed attempt planned.
func (sr *siecleRead) restart(rep *Report) error {
	sr.rep, sr.ins, sr.byID, sr.structures, sr.present = rep, nil, map[string]*studentIn{}, nil, newPresence()
	for _, e := range sr.events {
		if err := sr.handle(e); err != nil {
			return err
		}
	}
	return nil
}

// overLimit refuses a SIECLE file past MaxStudentsPerFile students or
// student structures.
func overLimit(students, structures int) error {
	if students > MaxStudentsPerFile {
		return sillage.Errorf(sillage.KindInvalid, "plus de %d élèves : ce fichier ne peut pas être celui d'un seul établissement", MaxStudentsPerFile)
	}
	if structures > MaxStudentsPerFile {
		return sillage.Errorf(sillage.KindInvalid, "plus de %d structures d'élèves : ce fichier ne peut pas être celui d'un seul établissement", MaxStudentsPerFile)
	}
	return nil
}

// refused is the report of a file refused before its transaction.
func (sr *siecleRead) refused(err error) (*Report, error) {
	if sillage.KindOf(err) == sillage.KindInvalid {
		sr.rep.setStatus(StatusRefused, sillage.Message(err))
	}
	return sr.rep, err
}

func (sr *siecleRead) handle(e siecleEvent) error {
	switch {
	case e.header != nil:
		sr.hdr, sr.haveHeader = *e.header, true
	case e.student != nil:
		return sr.student(*e.student)
	case e.structures != nil:
		if err := overLimit(0, len(sr.structures)+1); err != nil {
			return err
		}
		sr.structures = append(sr.structures, *e.structures)
	case e.reject != nil:
		sr.reject(*e.reject)
	}
	return nil
}

func (sr *siecleRead) student(s siecle.Student) error {
	if err := overLimit(len(sr.ins)+1, 0); err != nil {
		return err
	}
	in := &studentIn{loc: siecleLoc(s.Line, "ELEVE"), op: opAdd,
		fields: fAll &^ (fCivility | fEmail | fDivision | fGroups)}
	last := s.UsageName
	if strings.TrimSpace(last) == "" {
		last = s.LastName
	}
	in.s = sillage.Student{Person: sillage.Person{LastName: last, FirstName: s.FirstName, BirthDate: sillage.DateOf(s.BirthDate),
		SIECLEID: s.EleveID, Source: sillage.SourceSIECLE},
		MEF: s.MEF, SchoolEntry: sillage.DateOf(s.EntryDate), ExitDate: sillage.DateOf(s.ExitDate), ExitReason: s.ExitReason}
	if s.ExitDate.IsZero() {
		in.s.ExitReason = ""
	}
	if p := s.Previous; p != nil && strings.TrimSpace(p.UAI) != "" {
		rne := strings.ToUpper(strings.TrimSpace(p.UAI))
		if rne != string(sr.uai) {
			if u, err := sillage.ParseUAI(rne); err == nil {
				in.s.PreviousUAI = u
			}
			in.s.PreviousName = strings.TrimSpace(p.Name)
			if in.s.PreviousName == "" {
				in.s.PreviousName = strings.TrimSpace(p.Denomination)
			}
		}
	}
	ine, _, ierr := ident.ChooseINE(s.IDNational.Value(), s.INERNIE.Value(), s.INEBEA.Value())
	if err := sr.t0.setINE(in, ine, ierr); err != nil {
		return err
	}
	if _, dup := sr.byID[s.EleveID]; !dup {
		sr.byID[s.EleveID] = in
	}
	sr.ins = append(sr.ins, in)
	return nil
}

func (sr *siecleRead) reject(rj siecle.Reject) {
	loc := siecleLoc(rj.Line, rj.Element)
	if rj.Element == "ELEVE" {
		sr.rep.rejectRecord(loc, rj.Name, rj.Reason)
		sr.rep.Records++
	} else {
		sr.rep.reject(loc, rj.Name, rj.Reason)
	}
	if rj.Element != "STRUCTURES_ELEVE" && rj.Element != "OPTION" {
		// The record still names its student: by ELEVE_ID and by INE,
		// they are present (see presence). A student whose
		// STRUCTURES_ELEVE is rejected gets no fDivision: they keep the
		// division they have.
		h := heldRecord{loc: loc, reason: rj.Reason}
		addHeld(sr.present.siecle, rj.EleveID, h)
		sr.present.addINE(sr.im.Keyring, h, rj.IDNational, rj.INERNIE, rj.INEBEA)
	}
}

// joinStructures gives each student the division and groups of their
// STRUCTURES_ELEVE, once the whole file is read, and returns the students.
func (sr *siecleRead) joinStructures() []*studentIn {
	rep := sr.rep
	rep.Records += len(sr.ins)
	rejectedIDs := map[string]bool{}
	for id := range sr.present.siecle {
		rejectedIDs[id] = true
	}
	for _, ss := range sr.structures {
		in := sr.byID[ss.EleveID]
		if in == nil {
			if !rejectedIDs[ss.EleveID] {
				rep.reject(siecleLoc(ss.Line, "STRUCTURES_ELEVE"), "", fmt.Sprintf("structures de l'élève %s, absent du bloc <ELEVES> : ignorées", ss.EleveID))
			}
			continue
		}
		if in.fields&fDivision != 0 {
			rep.reject(siecleLoc(ss.Line, "STRUCTURES_ELEVE"), in.name(), "structures en double pour cet élève : les premières sont gardées")
			continue
		}
		in.division, in.groups = ss.Division, ss.Groups
		in.fields |= fDivision | fGroups
	}
	return sr.ins
}

// writeStudents writes a student plan alone (SIECLE, ONDE).
func (t *txn) writeStudents(p *studentPlan) error {
	if err := p.prepare(t); err != nil {
		return err
	}
	if err := t.allocateAccounts(); err != nil {
		return err
	}
	if err := t.step("accounts"); err != nil {
		return err
	}
	if err := p.insert(t); err != nil {
		return err
	}
	return p.finish(t)
}

// exportedAt is when a BEE export was made: HORODATAGE, else DATE_EXPORT.
func exportedAt(h siecle.Header) time.Time {
	if !h.Timestamp.IsZero() {
		return h.Timestamp
	}
	return h.ExportDate
}
