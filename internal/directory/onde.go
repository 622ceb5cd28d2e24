package directory

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/onde"
)

// ondeKeyPrefix marks the identity key of a first-degree pupil, stored in
// the SIECLE id column: ONDE gives pupils no id of their own.
const ondeKeyPrefix = "onde:"

// ondeKey is a pupil's identity key: a digest of the birth name, first name
// and birth date. ONDE files carry no pupil id; the INE (when present) is
// matched first, and this key finds again, from one extraction to the
// next, a pupil without INE (or a stored pupil without one). It is not a
// match "by name alone" (imports.md rule 3): the birth date is part of it.
// Two pupils of a school may share it (homonyms born the same day, each
// with their INE): the stored key then takes a suffix ("-2", "-3"…), see
// ondeStoredKey.
func ondeKey(p onde.Pupil) string {
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToUpper(s)), " ") }
	h := sha256.Sum256([]byte(norm(p.LastName) + "\x00" + norm(p.FirstName) + "\x00" + sillage.DateOf(p.BirthDate).String()))
	return ondeKeyPrefix + hex.EncodeToString(h[:10])
}

// ondeBase is the name key of a stored ONDE key, without its suffix.
func ondeBase(stored string) string {
	if i := strings.LastIndexByte(stored, '-'); i > len(ondeKeyPrefix) {
		return stored[:i]
	}
	return stored
}

// ondeStoredKey is the key a pupil is stored with: the one they have when
// it is of the same name key, else the name key itself when no other
// student of the school holds it, else the name key with the first free
// suffix. occupied holds the keys stored or already given (it is updated):
// a key another student still holds is never taken, so the writes never
// collide on the unique index, whatever their order.
func ondeStoredKey(cur *sillage.Student, key string, occupied map[string]bool) string {
	if cur != nil && ondeBase(cur.SIECLEID) == key {
		return cur.SIECLEID
	}
	stored := key
	for n := 2; occupied[stored]; n++ {
		stored = fmt.Sprintf("%s-%d", key, n)
	}
	occupied[stored] = true
	return stored
}

// ONDE imports a first-degree pupils extraction (ONDE CSVExtraction.csv
// with the INE and the class id, or its predecessor BE1D, without them),
// a complete file for the school given by opts.UAI (the file names no
// establishment). The teachers' and guardians' extractions are refused:
// they carry no identifier, and matching persons by their names is what
// the import rules forbid.
func (im *Importer) ONDE(ctx context.Context, r io.Reader, opts Options) (*Report, error) {
	if err := im.checkKeyring(); err != nil {
		return nil, err
	}
	if err := im.checkEstablishment(ctx, opts.UAI); err != nil {
		return nil, err
	}
	rep := newReport(SourceONDE, opts.UAI, opts.FileName, im.Store.Clock().Now())
	br := bufio.NewReaderSize(r, 64<<10)
	if err := ondeKind(br); err != nil {
		rep.setStatus(StatusRefused, sillage.Message(err))
		return rep, err
	}
	var ins []*studentIn
	t0 := txn{im: im}
	present := newPresence()
	var years ondeYears
	err := onde.DecodePupils(br, onde.PupilsHandler{
		Pupil: func(p onde.Pupil) error {
			if len(ins) >= MaxStudentsPerFile {
				return sillage.Errorf(sillage.KindInvalid, "plus de %d élèves : ce fichier ne peut pas être celui d'une seule école", MaxStudentsPerFile)
			}
			in := &studentIn{loc: fmt.Sprintf("ligne %d", p.Row), op: opAdd, fields: fName | fBirth | fINE | fSIECLEID | fDivision}
			last := p.UsageName
			if strings.TrimSpace(last) == "" {
				last = p.LastName
			}
			in.s = sillage.Student{Person: sillage.Person{LastName: last, FirstName: p.FirstName, BirthDate: sillage.DateOf(p.BirthDate),
				SIECLEID: ondeKey(p), Source: sillage.SourceONDE}}
			in.division, in.divLabel = p.ClassID, p.ClassLabel
			if in.division == "" {
				in.division = p.ClassLabel
			}
			var ierr error
			ine := p.INE
			if !ine.IsZero() {
				ine, _, ierr = ine.Check()
			}
			if err := t0.setINE(in, ine, ierr); err != nil {
				return err
			}
			ins = append(ins, in)
			years.add(p)
			return nil
		},
		Reject: func(rj onde.Reject) error {
			loc := fmt.Sprintf("ligne %d", rj.Row)
			rep.rejectRecord(loc, rj.Name, rj.Reason)
			rep.Records++
			// The row still names its pupil: by INE, by the identity
			// key when the birth date is readable, else by the name
			// alone — which only ever keeps a pupil, never matches one.
			h, p := heldRecord{loc: loc, reason: rj.Reason}, rj.Pupil
			present.addINE(im.Keyring, h, p.INE)
			switch {
			case p.LastName == "" || p.FirstName == "":
			case !p.BirthDate.IsZero():
				addHeld(present.siecle, ondeKey(p), h)
			default:
				addHeld(present.names, nameKey(p.LastName, p.FirstName), h)
				if p.UsageName != "" {
					addHeld(present.names, nameKey(p.UsageName, p.FirstName), h)
				}
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
	spec := txSpec{source: SourceONDE, src: sillage.SourceONDE, uai: opts.UAI, complete: true, present: present,
		fileYear: years.estimate(), yearEstimated: true,
		apply: func(t *txn) error {
			// Each attempt of the transaction (Importer.transact)
			// plans from the file's values, not from a failed
			// attempt's plan.
			fresh := make([]*studentIn, len(ins))
			for i, in := range ins {
				c := *in
				fresh[i] = &c
			}
			p, err := t.planStudents(fresh, true)
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

// ondeKind refuses the teachers' and guardians' extractions with a message
// that says what they are, by their header line.
func ondeKind(br *bufio.Reader) error {
	head, _ := br.Peek(br.Size())
	if i := strings.IndexAny(string(head), "\r\n"); i >= 0 {
		head = head[:i]
	}
	line := strings.TrimPrefix(string(head), "\ufeff")
	if dec, err := charmap.ISO8859_1.NewDecoder().String(line); err == nil && !isUTF8(line) {
		line = dec
	}
	line = strings.ToLower(line)
	switch {
	case strings.Contains(line, "nom responsable") || strings.Contains(line, "civilité responsable"):
		return sillage.Errorf(sillage.KindInvalid, "ce fichier est l'extraction des responsables : elle ne porte aucun identifiant, "+
			"et rapprocher des personnes par leur nom est exclu ; importez l'extraction des élèves (CSVExtraction.csv)")
	case strings.Contains(line, "directeur") && !strings.Contains(line, "naissance"):
		return sillage.Errorf(sillage.KindInvalid, "ce fichier est l'extraction des enseignants : elle ne porte aucun identifiant, "+
			"et rapprocher des personnes par leur nom est exclu ; importez l'extraction des élèves (CSVExtraction.csv)")
	}
	return nil
}

func isUTF8(s string) bool {
	return strings.ToValidUTF8(s, "\uFFFD") == s && !strings.Contains(s, "\uFFFD")
}

// ondeLevelAge is the age, in the calendar year of the rentrée, of a
// pupil of each level who follows the usual course: a pupil born in 2018
// enters CP at the rentrée 2024.
var ondeLevelAge = map[string]int{"TPS": 2, "PS": 3, "MS": 4, "GS": 5, "CP": 6, "CE1": 7, "CE2": 8, "CM1": 9, "CM2": 10}

// minEstimate is the number of pupils with a level and a birth date an
// estimate of the school year needs.
const minEstimate = 5

// ondeYears estimates the school year of an ONDE extraction, which does not
// say it: for each pupil of a known level, the birth year plus the usual
// age of the level is the rentrée of a pupil on time; the median over the
// school is the year of the file (a few pupils ahead or behind do not move
// it). An extraction of last year gives last year.
type ondeYears []int

func (y *ondeYears) add(p onde.Pupil) {
	level := strings.ToUpper(strings.Join(strings.Fields(p.Level), ""))
	if age, ok := ondeLevelAge[level]; ok && !p.BirthDate.IsZero() {
		*y = append(*y, p.BirthDate.Year()+age)
	}
}

// estimate returns the median, 0 with too few pupils to tell.
func (y ondeYears) estimate() sillage.SchoolYear {
	if len(y) < minEstimate {
		return 0
	}
	s := slices.Clone([]int(y))
	slices.Sort(s)
	return sillage.SchoolYear(s[len(s)/2])
}
