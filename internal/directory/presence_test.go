package directory_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

const (
	genLycee = sillage.UAI("0860012W")
	genEcole = sillage.UAI("0860001J")
)

// stored is a student as the property checks see them.
type stored struct {
	id       int64
	active   bool
	division int64
	indexed  bool
}

// snapshot returns the establishment's students by ELEVE_ID (SIECLE) or
// by unqid (ONDE, whose key is not the file's), with their index entry.
func snapshot(t *testing.T, st *store.Store, uai sillage.UAI) map[string]stored {
	t.Helper()
	ctx := context.Background()
	out := map[string]stored{}
	err := st.Read(ctx, func(tx *store.Tx) error {
		ss, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{})
		if err != nil {
			return err
		}
		for _, s := range ss {
			_, ierr := tx.CrossTenant().GetIndexEntry(ctx, uai, s.ID)
			if ierr != nil && sillage.KindOf(ierr) != sillage.KindNotFound {
				return ierr
			}
			key := s.SIECLEID
			if strings.HasPrefix(key, "onde:") {
				key = s.Unqid
			}
			out[key] = stored{id: s.ID, active: s.Active(), division: s.DivisionID, indexed: ierr == nil}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ondeKeyOf is how snapshot names an ONDE pupil: the unqid of their INE.
func ondeKeyOf(t *testing.T, ine string) string {
	t.Helper()
	u, err := testKeyring.Unqid(mustINE(t, ine))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// checkPresence is the property of issue 11 point 1: after importing a
// complete file, every student the file names (valid record or not) is
// as active as before, out of the transfer index, and a student whose
// record was rejected keeps their division.
func checkPresence(t *testing.T, before, after map[string]stored, keys []string, faults map[int]fault, rep *directory.Report, err error) {
	t.Helper()
	if err != nil && sillage.KindOf(err) != sillage.KindInvalid {
		t.Fatalf("import: %v", err)
	}
	for i, k := range keys {
		b, a := before[k], after[k]
		if !a.active || a.indexed {
			t.Errorf("record %d (fault %s) of the file: student deactivated=%v indexed=%v (status %s)", i, faults[i], !a.active, a.indexed, rep.Status)
		}
		if faults[i] != faultNone && a.division != b.division {
			t.Errorf("record %d (fault %s) rejected, yet its student moved from division %d to %d", i, faults[i], b.division, a.division)
		}
	}
	if err != nil {
		if rep.Status != directory.StatusRefused || fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("refused import (%v): status %s, database changed: %v", err, rep.Status, fmt.Sprint(before) != fmt.Sprint(after))
		}
		return
	}
	if len(rep.Rejects) > 0 && rep.Status != directory.StatusAppliedWithRejects {
		t.Errorf("status %s with %d rejects", rep.Status, len(rep.Rejects))
	}
}

// TestPresenceByIdentitySIECLE: the property of point 1 on random complete
// SIECLE files in which a random subset of records is made invalid, both
// engines.
func TestPresenceByIdentitySIECLE(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(genLycee, sillage.KindLP)
		ctx := context.Background()
		r := rand.New(rand.NewPCG(11, 1))
		runs := 25
		if testing.Short() {
			runs = 8
		}
		for run := range runs {
			n := 3 + r.IntN(25)
			g := genFile{uai: genLycee, year: 2025, students: genStudents(r, n)}
			// Everyone moves division in the new file: a rejected
			// record must not move its student.
			base := g
			base.students = append([]genStudent(nil), g.students...)
			for i := range g.students {
				g.students[i].division = "N " + g.students[i].division
			}
			if _, err := e.im.SIECLE(ctx, bytes.NewReader(base.siecleXML()), directory.Options{UAI: genLycee, ConfirmMassDeactivation: true}); err != nil {
				t.Fatalf("run %d, base file: %v", run, err)
			}
			g.faults = randomFaults(r, n, false)
			g.structuresFirst = r.IntN(2) == 0
			before := snapshot(t, st, genLycee)
			rep, err := e.im.SIECLE(ctx, bytes.NewReader(g.siecleXML()), directory.Options{UAI: genLycee})
			keys := make([]string, n)
			for i, s := range g.students {
				keys[i] = s.id
			}
			checkPresence(t, before, snapshot(t, st, genLycee), keys, g.faults, rep, err)
			if t.Failed() {
				t.Fatalf("run %d: %d students, faults %v", run, n, g.faults)
			}
		}
	})
}

// TestPresenceByIdentityONDE: the same property for ONDE extractions.
func TestPresenceByIdentityONDE(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(genEcole, sillage.KindEcole)
		ctx := context.Background()
		r := rand.New(rand.NewPCG(11, 2))
		runs := 25
		if testing.Short() {
			runs = 8
		}
		for run := range runs {
			n := 3 + r.IntN(25)
			g := genFile{uai: genEcole, year: 2025, students: genStudents(r, n)}
			base := g
			base.students = append([]genStudent(nil), g.students...)
			for i := range g.students {
				g.students[i].division = "N" + g.students[i].division
			}
			if _, err := e.im.ONDE(ctx, bytes.NewReader(base.ondeCSVOf()), directory.Options{UAI: genEcole, ConfirmMassDeactivation: true}); err != nil {
				t.Fatalf("run %d, base file: %v", run, err)
			}
			g.faults = randomFaults(r, n, true)
			before := snapshot(t, st, genEcole)
			rep, err := e.im.ONDE(ctx, bytes.NewReader(g.ondeCSVOf()), directory.Options{UAI: genEcole})
			keys := make([]string, n)
			for i, s := range g.students {
				keys[i] = ondeKeyOf(t, s.ine)
			}
			checkPresence(t, before, snapshot(t, st, genEcole), keys, g.faults, rep, err)
			if t.Failed() {
				t.Fatalf("run %d: %d pupils, faults %v", run, n, g.faults)
			}
		}
	})
}

// TestRejectedRecordLeftInPlace: one bad record in a complete file leaves
// its student as they are, listed under "rejeté — laissé en l'état" with
// the reason; the import is "appliqué avec rejets".
func TestRejectedRecordLeftInPlace(t *testing.T) {
	tests := []struct {
		fault  fault
		reason string
	}{
		{faultBirth, "date de naissance"},
		{faultFirstName, "prénom absent"},
		{faultSex, "CODE_SEXE"},
		{faultEntry, "date d'entrée"},
		{faultDupINE, "même INE"},
		{faultDupELEVEID, "ELEVE_ID"},
	}
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(genLycee, sillage.KindLP)
		ctx := context.Background()
		r := rand.New(rand.NewPCG(3, 4))
		base := genFile{uai: genLycee, year: 2025, students: genStudents(r, 12)}
		ok(t)(e.im.SIECLE(ctx, bytes.NewReader(base.siecleXML()), directory.Options{UAI: genLycee}))
		for _, tt := range tests {
			t.Run(tt.fault.String(), func(t *testing.T) {
				g := base
				g.faults = map[int]fault{5: tt.fault}
				before := snapshot(t, st, genLycee)
				rep := ok(t)(e.im.SIECLE(ctx, bytes.NewReader(g.siecleXML()), directory.Options{UAI: genLycee}))
				after := snapshot(t, st, genLycee)
				if fmt.Sprint(before) != fmt.Sprint(after) {
					t.Errorf("the import changed students:\nbefore %v\nafter  %v", before, after)
				}
				if rep.Status != directory.StatusAppliedWithRejects || rep.StatusLabel == directory.StatusApplied.Label() {
					t.Errorf("status %s (%s), want applied with rejects", rep.Status, rep.StatusLabel)
				}
				if c := rep.Count(directory.KindStudents); c.Deactivated != 0 || len(rep.Index.Entering) != 0 {
					t.Errorf("counts %+v, index %+v", c, rep.Index)
				}
				if len(rep.LeftInPlace) != 1 || !strings.Contains(rep.LeftInPlace[0].Reason, tt.reason) ||
					!strings.HasPrefix(rep.LeftInPlace[0].Name, base.students[5].last) {
					t.Errorf("left in place %+v, want %s with %q", rep.LeftInPlace, base.students[5].last, tt.reason)
				}
				var text strings.Builder
				rep.WriteText(&text)
				if !strings.Contains(text.String(), "Rejetés — laissés en l'état") {
					t.Errorf("the text report does not list the student left in place:\n%s", text.String())
				}
				for _, ine := range []string{base.students[5].ine, base.students[6].ine} {
					if strings.Contains(text.String(), ine) {
						t.Errorf("the report prints an INE")
					}
				}
			})
		}
	})
}

// TestStructuresBeforeStudents: a SIECLE file whose STRUCTURES block
// comes before ELEVES imports the divisions, the same as the usual order.
func TestStructuresBeforeStudents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(genLycee, sillage.KindLP)
		ctx := context.Background()
		g := genFile{uai: genLycee, year: 2025, students: genStudents(rand.New(rand.NewPCG(5, 5)), 6), structuresFirst: true}
		rep := ok(t)(e.im.SIECLE(ctx, bytes.NewReader(g.siecleXML()), directory.Options{UAI: genLycee}))
		if rep.Status != directory.StatusApplied || len(rep.Rejects) != 0 {
			t.Fatalf("status %s, rejects %+v", rep.Status, rep.Rejects)
		}
		if got := strings.Join(rep.DivisionsCreated, ","); got != "1 MELEC,2 MRC A,T MELEC" {
			t.Errorf("divisions created %q", got)
		}
		got := students(t, st, genLycee)
		for _, s := range g.students {
			if got[s.id].DivisionID == 0 {
				t.Errorf("student %s has no division", s.id)
			}
		}
		// The usual order of the same file changes nothing.
		g.structuresFirst = false
		allUnchanged(t, ok(t)(e.im.SIECLE(ctx, bytes.NewReader(g.siecleXML()), directory.Options{UAI: genLycee})))
	})
}

// TestRejectShareRefuses: every record rejected, or more than the
// threshold, is "refusé" with nothing written; at the threshold, the file
// is applied with rejects.
func TestRejectShareRefuses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(genLycee, sillage.KindLP)
		ctx := context.Background()
		students := genStudents(rand.New(rand.NewPCG(6, 6)), 10)
		ok(t)(e.im.SIECLE(ctx, bytes.NewReader(genFile{uai: genLycee, year: 2025, students: students}.siecleXML()), directory.Options{UAI: genLycee}))
		faulty := func(k int) map[int]fault {
			m := map[int]fault{}
			for i := range k {
				m[i] = faultBirth
			}
			return m
		}
		tests := []struct {
			name    string
			faults  map[int]fault
			dry     bool
			refused bool
			msg     string
		}{
			{"all rejected", faulty(10), false, true, "tous les enregistrements du fichier sont rejetés"},
			{"all rejected, dry run", faulty(10), true, true, "tous les enregistrements"},
			{"over the threshold", faulty(3), false, true, "3 enregistrements sur 10 sont rejetés (30 %, au-delà du seuil de 20 %)"},
			{"at the threshold", faulty(2), false, false, ""},
			{"none", nil, false, false, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := dump(t, st)
				g := genFile{uai: genLycee, year: 2025, students: students, faults: tt.faults}
				rep, err := e.im.SIECLE(ctx, bytes.NewReader(g.siecleXML()), directory.Options{UAI: genLycee, DryRun: tt.dry})
				if tt.refused {
					if sillage.KindOf(err) != sillage.KindInvalid || rep.Status != directory.StatusRefused || !strings.Contains(rep.Message, tt.msg) {
						t.Fatalf("err %v, status %s, message %q: want refused with %q", err, rep.Status, rep.Message, tt.msg)
					}
					if dump(t, st) != before {
						t.Error("a refused import changed the database")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := directory.StatusApplied
				if len(tt.faults) > 0 {
					want = directory.StatusAppliedWithRejects
				}
				if rep.Status != want {
					t.Errorf("status %s, want %s", rep.Status, want)
				}
			})
		}
	})
}

// TestINECheckLetterReported: a wrong check letter is reported as such in
// the students without INE, and the INE is printed nowhere.
func TestINECheckLetterReported(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		rep := ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		reasons := map[string]string{}
		for _, l := range rep.WithoutINE {
			reasons[l.Name] = l.Reason
		}
		if r := reasons["ROUX Hugo"]; !strings.Contains(r, "lettre de contrôle de l'INE fausse") {
			t.Errorf("ROUX Hugo (wrong check letter): reason %q", r)
		}
		if r := reasons["PETIT Zoé"]; r != sillage.INEMissing.Label() {
			t.Errorf("PETIT Zoé (no INE): reason %q", r)
		}
		body, _ := rep.JSON()
		var text strings.Builder
		rep.WriteText(&text)
		for _, ine := range scenarioINEs {
			if strings.Contains(string(body), ine) || strings.Contains(text.String(), ine) {
				t.Errorf("the report prints an INE")
			}
		}
	})
}

// TestHeaderAfterData: a students export whose PARAMETRES block follows
// DONNEES is read; its UAJ is still checked before anything is written.
func TestHeaderAfterData(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(genLycee, sillage.KindLP)
		e.establishment("0010856A", sillage.KindLP)
		ctx := context.Background()
		g := genFile{uai: genLycee, year: 2025, students: genStudents(rand.New(rand.NewPCG(4, 4)), 5)}
		data := decodeLatin9(t, g.siecleXML())
		start, end := strings.Index(data, "<PARAMETRES>"), strings.Index(data, "</PARAMETRES>")+len("</PARAMETRES>")
		params := data[start:end]
		moved := strings.Replace(data[:start]+data[end:], "</BEE_ELEVES>", params+"\n</BEE_ELEVES>", 1)
		latin, err := charmap.ISO8859_15.NewEncoder().String(moved)
		if err != nil {
			t.Fatal(err)
		}
		before := dump(t, st)
		if _, err := e.im.SIECLE(ctx, strings.NewReader(latin), directory.Options{UAI: "0010856A"}); sillage.KindOf(err) != sillage.KindInvalid || dump(t, st) != before {
			t.Fatalf("wrong establishment with the header last: %v", err)
		}
		rep := ok(t)(e.im.SIECLE(ctx, strings.NewReader(latin), directory.Options{UAI: genLycee}))
		if c := rep.Count(directory.KindStudents); c.Created != 5 || len(rep.DivisionsCreated) != 3 {
			t.Errorf("counts %+v, divisions %v", c, rep.DivisionsCreated)
		}
	})
}
