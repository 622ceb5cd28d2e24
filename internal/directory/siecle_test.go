package directory_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// The real-shaped fixture: one student, a division, an option group, the
// previous school equal to the establishment (so no previous_uai).
func TestSIECLEReferenceDoubleStructure(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment("0660864F", sillage.KindCollege)
		path := ref(t, "siecle", "fixtures_dossiersco", "eleves_avec_adresse_avec_double_structure.xml")
		rep := ok(t)(e.siecle(path, "0660864F", oldFile))
		want(t, rep, directory.KindStudents, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindDivisions, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindGroups, 1, 0, 0, 0, 0)
		if len(rep.WithoutINE) != 0 || len(rep.Index.NewWaiting) != 1 || rep.SchoolYear != 2019 {
			t.Errorf("report = %+v", rep)
		}
		s := students(t, st, "0660864F")["1541944"]
		if s.Unqid == "" || s.DivisionCode != "301" || s.PreviousUAI != "" || s.MEF != "10310019110" || s.Diploma != "10310019" ||
			s.TransferStatus != sillage.TransferNew || s.EnteredAt.IsZero() || s.AccountID == 0 {
			t.Errorf("student = %+v", s)
		}
		allUnchanged(t, ok(t)(e.siecle(path, "0660864F", oldFile)))
	})
}

// TestSIECLEScenario runs the synthetic exports of testdata one after the
// other: first import, the same file again, a second export with a division
// change, an INE found, an early exit, a student missing and a new one
// (held by the mass-deactivation guard, then confirmed), and a return.
func TestSIECLEScenario(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		f1, f2, f3 := testdata("siecle_0860012W_1.xml"), testdata("siecle_0860012W_2.xml"), testdata("siecle_0860012W_3.xml")

		rep := ok(t)(e.siecle(f1, scenarioUAI))
		want(t, rep, directory.KindStudents, 6, 0, 0, 0, 0)
		want(t, rep, directory.KindDivisions, 3, 0, 0, 0, 0)
		want(t, rep, directory.KindGroups, 1, 0, 0, 0, 0)
		if rep.ExitedNotCreated != 1 || len(rep.Index.NewWaiting) != 4 || len(rep.Index.Entering) != 0 {
			t.Errorf("exited %d, new waiting %v, entering %v", rep.ExitedNotCreated, rep.Index.NewWaiting, rep.Index.Entering)
		}
		noINE := map[string]string{}
		for _, l := range rep.WithoutINE {
			noINE[l.Name] = l.Reason + "/" + l.Division
		}
		if len(noINE) != 2 || noINE["PETIT Zoé"] != "INE absent/T MELEC" || noINE["ROUX Hugo"] != "lettre de contrôle de l'INE fausse (l'INE est à corriger dans l'application nationale)/T MELEC" {
			t.Errorf("without INE = %v", rep.WithoutINE)
		}
		ss := students(t, st, scenarioUAI)
		if s := ss["1001"]; s.PreviousUAI != "0010856A" || s.PreviousName != "JEAN MOULIN" || s.Unqid == "" || s.DivisionCode != "2 MRC A" {
			t.Errorf("Léa = %+v", s)
		}
		if s := ss["1002"]; s.PreviousUAI != "" || s.PreviousName != "" || s.Unqid == "" {
			t.Errorf("Paul (previous school = this one) = %+v", s)
		}
		if s := ss["1004"]; s.INEStatus != sillage.INEInvalid || s.Unqid != "" {
			t.Errorf("Hugo (bad check letter) = %+v", s)
		}
		if s := ss["1003"]; s.INEStatus != sillage.INEMissing || s.Unqid != "" {
			t.Errorf("Zoé (no INE) = %+v", s)
		}
		if _, ok := ss["1005"]; ok {
			t.Error("Inès left before the first import: she must not be created")
		}
		if s := ss["1006"]; !s.Active() || s.ExitDate != sillage.NewDate(2026, 6, 30) {
			t.Errorf("Noé (exit in the future) = %+v", s)
		}
		lea := ss["1001"]

		allUnchanged(t, ok(t)(e.siecle(f1, scenarioUAI)))

		before := dump(t, st)
		rep, err := e.siecle(f2, scenarioUAI)
		if sillage.KindOf(err) != sillage.KindConflict || rep.Status != directory.StatusHeld || len(rep.Guards) != 1 || rep.Guards[0].Deactivated != 2 || rep.Guards[0].Active != 6 {
			t.Fatalf("2 of 6 students deactivated: err %v, report %+v", err, rep)
		}
		if dump(t, st) != before {
			t.Fatal("a held import wrote something")
		}
		rep = ok(t)(e.siecle(f2, scenarioUAI, confirm))
		want(t, rep, directory.KindStudents, 1, 2, 2, 0, 2)
		if len(rep.Index.Entering) != 2 || len(rep.Index.NewWaiting) != 1 || rep.Index.NewWaiting[0].Name != "MOREAU Jade" {
			t.Errorf("index = %+v", rep.Index)
		}
		ss = students(t, st, scenarioUAI)
		if s := ss["1001"]; s.Unqid != lea.Unqid || s.INEStatus != sillage.INEValid {
			t.Errorf("Léa's INE was erased by a file without it: %+v", s)
		}
		if s := ss["1002"]; s.DivisionCode != "1 MELEC" {
			t.Errorf("Paul's division = %q", s.DivisionCode)
		}
		if s := ss["1003"]; s.Unqid == "" || s.INEStatus != sillage.INEValid {
			t.Errorf("Zoé's INE = %+v", s)
		}
		for _, id := range []string{"1006", "1007"} {
			s := ss[id]
			if s.Active() {
				t.Errorf("%s still active", id)
			}
			if !hasIndexEntry(t, st, scenarioUAI, s.ID) {
				t.Errorf("%s deactivated without an index entry", id)
			}
		}
		if s := ss["1008"]; s.PreviousUAI != "0010856A" || s.TransferStatus != sillage.TransferNew {
			t.Errorf("Jade = %+v", s)
		}
		allUnchanged(t, ok(t)(e.siecle(f2, scenarioUAI)))

		rep = ok(t)(e.siecle(f3, scenarioUAI))
		want(t, rep, directory.KindStudents, 0, 0, 0, 1, 6)
		if len(rep.Index.Leaving) != 1 || rep.Index.Leaving[0].Name != "BERNARD Chloé" {
			t.Errorf("leaving = %+v", rep.Index.Leaving)
		}
		if s := students(t, st, scenarioUAI)["1007"]; !s.Active() || hasIndexEntry(t, st, scenarioUAI, s.ID) {
			t.Errorf("Chloé reactivated: %+v", s)
		}
	})
}

func hasIndexEntry(t *testing.T, st *store.Store, uai sillage.UAI, id int64) bool {
	t.Helper()
	ctx := context.Background()
	found := false
	err := st.Read(ctx, func(tx *store.Tx) error {
		_, err := tx.CrossTenant().GetIndexEntry(ctx, uai, id)
		if err == nil {
			found = true
		}
		if sillage.KindOf(err) == sillage.KindNotFound {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// The SIECLE import decodes in a goroutine while its transaction runs: a
// file cut anywhere after its header (in ELEVES, in STRUCTURES, a few bytes
// before its end) is refused with nothing written, the transaction rolled
// back, and the next import of the whole file goes through. 600 students
// make several batches of the decoding goroutine.
func TestSIECLECutFileWritesNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		data, uai := siecleFile(t, 600)
		e := newEnv(t, st, clock)
		e.establishment(uai, sillage.KindLP)
		ctx := context.Background()
		im := &directory.Importer{Store: st, Keyring: testKeyring}
		structures := bytes.Index(data, []byte("<STRUCTURES>"))
		if structures < 0 {
			t.Fatal("no STRUCTURES block")
		}
		before := dump(t, st)
		for _, cut := range []int{len(data) / 10, len(data) / 2, structures + 200, len(data) - 20} {
			rep, err := im.SIECLE(ctx, bytes.NewReader(data[:cut]), directory.Options{UAI: uai})
			if err == nil {
				t.Fatalf("cut at %d of %d: imported", cut, len(data))
			}
			if rep == nil || rep.Status != directory.StatusRefused {
				t.Errorf("cut at %d: report %+v", cut, rep)
			}
			if after := dump(t, st); after != before {
				t.Fatalf("cut at %d: the database changed", cut)
			}
		}
		rep := ok(t)(im.SIECLE(ctx, bytes.NewReader(data), directory.Options{UAI: uai}))
		want(t, rep, directory.KindStudents, 600, 0, 0, 0, 0)
	})
}

// studentStream is a SIECLE file whose PARAMETRES header comes last (the
// format sets no order), written as it is read: total students, then the
// header. given counts the students handed to the reader so far.
type studentStream struct {
	uai          sillage.UAI
	total, given int
	buf          []byte
	ended        bool
}

func (s *studentStream) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		switch {
		case s.ended:
			return 0, io.EOF
		case s.given == 0 && s.buf == nil:
			s.buf = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<BEE_ELEVES VERSION=\"3.0\"><DONNEES><ELEVES>\n")
		case s.given < s.total:
			s.given++
			s.buf = fmt.Appendf(s.buf[:0], `<ELEVE ELEVE_ID="%d"><NOM_DE_FAMILLE>NOM</NOM_DE_FAMILLE><PRENOM>Prénom</PRENOM>`+
				`<DATE_NAISS>01/02/2010</DATE_NAISS><CODE_MEF>24024002210</CODE_MEF></ELEVE>`+"\n", s.given)
		default:
			s.ended = true
			s.buf = fmt.Appendf(s.buf[:0], `</ELEVES></DONNEES><PARAMETRES><UAJ>%s</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>`+
				`<DATE_EXPORT>01/10/2025</DATE_EXPORT></PARAMETRES></BEE_ELEVES>`+"\n", s.uai)
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// A file over the per-file student limit is refused as it is read, also
// when its header comes last and its records must be kept until the header
// names the establishment: not once the whole file is held in memory.
func TestSIECLEHeaderLastOverLimitRefusedEarly(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		const uai = sillage.UAI("0860012W")
		e := newEnv(t, st, clock)
		e.establishment(uai, sillage.KindLP)
		before := dump(t, st)
		file := &studentStream{uai: uai, total: 3 * directory.MaxStudentsPerFile}
		rep, err := e.im.SIECLE(context.Background(), file, directory.Options{UAI: uai})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("plus de %d élèves", directory.MaxStudentsPerFile)) {
			t.Fatalf("err = %v, want the per-file limit's refusal", err)
		}
		if rep == nil || rep.Status != directory.StatusRefused {
			t.Errorf("report %+v, want refused", rep)
		}
		// The decoding runs a few batches ahead of the count (8 of 64 queued).
		if limit := directory.MaxStudentsPerFile + 1000; file.given > limit {
			t.Errorf("%d students read before the refusal, want at most %d", file.given, limit)
		}
		if dump(t, st) != before {
			t.Fatal("the database changed")
		}
	})
}
