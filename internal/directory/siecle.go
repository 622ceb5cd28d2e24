package directory

import (
	"context"
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
func (im *Importer) SIECLE(ctx context.Context, r io.Reader, opts Options) (*Report, error) {
	if err := im.checkKeyring(); err != nil {
		return nil, err
	}
	if err := im.checkEstablishment(ctx, opts.UAI); err != nil {
		return nil, err
	}
	rep := newReport(SourceSIECLE, opts.UAI, opts.FileName, im.Store.Clock().Now())
	var hdr siecle.Header
	var ins []*studentIn
	byID := map[string]*studentIn{}
	var t0 txn // setINE needs the keyring only
	t0.im = im
	present := newPresence()
	// The STRUCTURES block may come before or after ELEVES (the format
	// guarantees no order): structures are joined once the file is read.
	var structures []siecle.StudentStructures
	err := siecle.DecodeStudents(r, siecle.StudentsHandler{
		Header: func(h siecle.Header) error {
			if h.UAJ != opts.UAI {
				return wrongUAI(h.UAJ, opts.UAI)
			}
			hdr = h
			return nil
		},
		Student: func(s siecle.Student) error {
			if len(ins) >= MaxStudentsPerFile {
				return sillage.Errorf(sillage.KindInvalid, "plus de %d élèves : ce fichier ne peut pas être celui d'un seul établissement", MaxStudentsPerFile)
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
				if rne != string(opts.UAI) {
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
			if err := t0.setINE(in, ine, ierr); err != nil {
				return err
			}
			if _, dup := byID[s.EleveID]; !dup {
				byID[s.EleveID] = in
			}
			ins = append(ins, in)
			return nil
		},
		Structures: func(ss siecle.StudentStructures) error {
			if len(structures) >= MaxStudentsPerFile {
				return sillage.Errorf(sillage.KindInvalid, "plus de %d structures d'élèves : ce fichier ne peut pas être celui d'un seul établissement", MaxStudentsPerFile)
			}
			structures = append(structures, ss)
			return nil
		},
		Reject: func(rj siecle.Reject) error {
			loc := siecleLoc(rj.Line, rj.Element)
			if rj.Element == "ELEVE" {
				rep.rejectRecord(loc, rj.Name, rj.Reason)
				rep.Records++
			} else {
				rep.reject(loc, rj.Name, rj.Reason)
			}
			if rj.Element != "STRUCTURES_ELEVE" && rj.Element != "OPTION" {
				// The record still names its student: by ELEVE_ID
				// and by INE, they are present (see presence). A
				// student whose STRUCTURES_ELEVE is rejected gets no
				// fDivision: they keep the division they have.
				h := heldRecord{loc: loc, reason: rj.Reason}
				addHeld(present.siecle, rj.EleveID, h)
				present.addINE(im.Keyring, h, rj.IDNational, rj.INERNIE, rj.INEBEA)
			}
			return nil
		},
	})
	if err != nil {
		if sillage.KindOf(err) == sillage.KindInvalid {
			rep.setStatus(StatusRefused, sillage.Message(err))
		}
		return rep, err
	}
	rep.Records += len(ins)
	rejectedIDs := map[string]bool{}
	for id := range present.siecle {
		rejectedIDs[id] = true
	}
	for _, ss := range structures {
		in := byID[ss.EleveID]
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
	spec := txSpec{source: SourceSIECLE, src: sillage.SourceSIECLE, uai: opts.UAI, year: sillage.SchoolYear(hdr.Year), complete: true, present: present,
		fileYear: sillage.SchoolYear(hdr.Year), exported: exportedAt(hdr),
		apply: func(t *txn) error {
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
