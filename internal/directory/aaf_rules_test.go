package directory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// validUAI returns the UAI of seven digits with its check letter.
func validUAI(t testing.TB, digits string) sillage.UAI {
	t.Helper()
	l, err := sillage.UAICheckLetter(digits)
	if err != nil {
		t.Fatal(err)
	}
	return sillage.UAI(digits + string(l))
}

// Ways a generated AAF person record is made invalid: each makes the
// whole record undecodable while its identifier stays readable.
const (
	aafBadDate  = iota // ENTPersonDateNaissance in a form the AAF never uses
	aafTwoNames        // two values for the single-valued sn
	aafNoName          // no sn (nor givenName for a student)
	aafBadClass        // a class (or function) without its "$" parts
	aafBadKinds
)

// genAAF is a generated AAF académie of one structure: students in
// divisions 2A and 2B, each with a legal guardian, teachers with a service
// and a head-teacher class.
type genAAF struct {
	join     string // the structure's join id
	uai      sillage.UAI
	date     string // YYYYMMDD
	complete bool
	students int
	staff    int
	// moved: every student goes to the other division and every teacher
	// teaches the other one (what a valid record changes).
	moved bool
	// bad: the records made invalid, and how (index: students first,
	// then staff, then one relative per student).
	bad map[int]int
}

// records is the number of person records.
func (g genAAF) records() int { return 2*g.students + g.staff }

func (g genAAF) studentID(i int) string { return fmt.Sprintf("%s-e%d", g.join, i) }
func (g genAAF) staffID(i int) string   { return fmt.Sprintf("%s-p%d", g.join, i) }
func (g genAAF) relID(i int) string     { return fmt.Sprintf("%s-r%d", g.join, i) }

// recordID is the identifier of record i, and its kind.
func (g genAAF) recordID(i int) (string, string) {
	switch {
	case i < g.students:
		return g.studentID(i), "student"
	case i < g.students+g.staff:
		return g.staffID(i - g.students), "staff"
	}
	return g.relID(i - g.students - g.staff), "relative"
}

func (g genAAF) division(i int) string {
	if (i%2 == 0) != g.moved {
		return "2A"
	}
	return "2B"
}

func (g genAAF) kind() string {
	if g.complete {
		return "Complet"
	}
	return "Delta"
}

// spoil makes attrs invalid in the given way.
func spoil(attrs map[string][]string, how int, classAttr string) {
	switch how {
	case aafBadDate:
		attrs[aaf.AttrBirthDate] = []string{"2009.02.31"}
	case aafTwoNames:
		attrs[aaf.AttrLastName] = []string{"UN", "DEUX"}
	case aafNoName:
		delete(attrs, aaf.AttrLastName)
		delete(attrs, aaf.AttrFirstName)
	case aafBadClass:
		if classAttr == "" {
			attrs[aaf.AttrBirthDate] = []string{"1980"}
			return
		}
		attrs[classAttr] = []string{"sans-dollar"}
	}
}

// write writes the files of g in dir.
func (g genAAF) write(t testing.TB, dir string) {
	t.Helper()
	prefix := "GEN_" + g.kind() + "_" + g.date + "_"
	write := func(cat aaf.Category, fn func(w *aaf.Writer) error) {
		path := filepath.Join(dir, prefix+string(cat)+"_0000.xml")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := aaf.NewWriter(f, cat)
		if err := fn(w); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write(aaf.CategoryStructure, func(w *aaf.Writer) error {
		return w.Add(g.join, map[string][]string{aaf.AttrStructJoin: {g.join}, aaf.AttrUAI: {string(g.uai)}, aaf.AttrStructName: {"LYCEE " + g.join},
			aaf.AttrStructType: {"LYCEE PROFESSIONNEL"}})
	})
	write(aaf.CategoryStudent, func(w *aaf.Writer) error {
		for i := 0; i < g.students; i++ {
			id := g.studentID(i)
			a := map[string][]string{aaf.AttrJoin: {id}, aaf.AttrLastName: {fmt.Sprintf("ELEVE%d", i)}, aaf.AttrFirstName: {"Prénom"},
				aaf.AttrBirthDate: {"01/02/2009"}, aaf.AttrStructures: {g.join}, aaf.AttrClasses: {g.join + "$" + g.division(i)},
				aaf.AttrStudentMEF: {"24025510110"}, aaf.AttrRelatives: {g.relID(i) + "$2$1$1$0$0"}}
			if i%3 != 2 {
				a[aaf.AttrINE] = []string{beaINE(5000+i, true)}
			}
			if how, ok := g.bad[i]; ok {
				spoil(a, how, aaf.AttrClasses)
			}
			if err := w.Add(id, a); err != nil {
				return err
			}
		}
		return nil
	})
	write(aaf.CategoryRelative, func(w *aaf.Writer) error {
		for i := 0; i < g.students; i++ {
			id := g.relID(i)
			a := map[string][]string{aaf.AttrJoin: {id}, aaf.AttrLastName: {fmt.Sprintf("PARENT%d", i)}, aaf.AttrFirstName: {"Rose"},
				aaf.AttrBirthDate: {"03/04/1980"}}
			if how, ok := g.bad[g.students+g.staff+i]; ok {
				spoil(a, how, "")
			}
			if err := w.Add(id, a); err != nil {
				return err
			}
		}
		return nil
	})
	write(aaf.CategoryStaff, func(w *aaf.Writer) error {
		for i := 0; i < g.staff; i++ {
			id := g.staffID(i)
			a := map[string][]string{aaf.AttrJoin: {id}, aaf.AttrLastName: {fmt.Sprintf("PROF%d", i)}, aaf.AttrFirstName: {"Paule"},
				aaf.AttrStructures: {g.join}, aaf.AttrFunctions: {g.join + "$ENS$ENSEIGNEMENT$L0202$LETTRES"},
				aaf.AttrClassSubjects: {g.join + "$" + g.division(i) + "$020700"}, aaf.AttrHeadTeacher: {g.join + "$" + g.division(i)}}
			if how, ok := g.bad[g.students+i]; ok {
				spoil(a, how, aaf.AttrFunctions)
			}
			if err := w.Add(id, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// ownTempDir is a new folder removed at cleanup (fuzzing workers may be
// given the same t.TempDir name).
func ownTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sillage-aaf-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// aafPerson is what the property looks at for one person.
type aafPerson struct {
	student  bool
	active   bool
	division string
	services string
	indexed  bool
}

// aafState reads every person of uai by AAF join id.
func aafState(t testing.TB, st *store.Store, uai sillage.UAI) map[string]aafPerson {
	t.Helper()
	ctx := context.Background()
	out := map[string]aafPerson{}
	err := st.Read(ctx, func(tx *store.Tx) error {
		divs, err := tx.People().ListDivisions(ctx, uai, 2025)
		if err != nil {
			return err
		}
		code := map[int64]string{}
		for _, d := range divs {
			code[d.ID] = d.Code
		}
		ss, err := tx.Imports().ListAllStudents(ctx, uai)
		if err != nil {
			return err
		}
		for _, s := range ss {
			_, ierr := tx.CrossTenant().GetIndexEntry(ctx, uai, s.ID)
			out[s.AAFID] = aafPerson{student: true, active: s.Active(), division: code[s.DivisionID], indexed: ierr == nil}
		}
		ps, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{})
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Role == sillage.RoleStudent || p.AAFID == "" {
				continue
			}
			svc, err := tx.People().ListServices(ctx, uai, p.ID)
			if err != nil {
				return err
			}
			var keys []string
			for _, s := range svc {
				keys = append(keys, code[s.DivisionID]+"/"+s.SubjectCode)
			}
			sort.Strings(keys)
			out[p.AAFID] = aafPerson{active: p.Active(), services: strings.Join(keys, ",")}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkAAFKeepsPresent imports g as it is, then g moved, dated a day later
// and with the records of bad made invalid: no person the second file
// names is deactivated, indexed, moved or given other services; the others
// move; the report lists each invalid record as left as it is.
func checkAAFKeepsPresent(t testing.TB, e *env, g genAAF) {
	t.Helper()
	bad := g.bad
	g.bad, g.complete, g.date = nil, true, "20250901"
	dir := ownTempDir(t)
	g.write(t, dir)
	res, err := e.im.AAF(context.Background(), []string{dir}, directory.Options{})
	if err != nil || len(res.Reports) != 1 || res.Reports[0].Status != directory.StatusApplied {
		t.Fatalf("first import: %v %+v", err, res)
	}
	before := aafState(t, e.st, g.uai)

	g.bad, g.date, g.moved = bad, "20250902", true
	dir = ownTempDir(t)
	g.write(t, dir)
	res, err = e.im.AAF(context.Background(), []string{dir}, directory.Options{})
	if err != nil || len(res.Reports) != 1 {
		t.Fatalf("second import: %v %+v", err, res)
	}
	rep := res.Reports[0]
	if want := expectedStatus(len(rep.Rejects)); rep.Status != want {
		t.Fatalf("second import %s (want %s): %s", rep.Status, want, rep.Message)
	}
	after := aafState(t, e.st, g.uai)
	for i := 0; i < g.records(); i++ {
		id, kind := g.recordID(i)
		isStudent := kind == "student"
		b, a := before[id], after[id]
		if !a.active || a.indexed {
			t.Errorf("%s (invalid: %v) deactivated or indexed: %+v", id, bad[i], a)
		}
		_, invalid := bad[i]
		switch {
		case invalid && a != b:
			t.Errorf("%s rejected but changed: %+v → %+v", id, b, a)
		case !invalid && isStudent && a.division == b.division:
			t.Errorf("%s valid but not moved: %+v", id, a)
		case !invalid && kind == "staff" && a.services == b.services:
			t.Errorf("%s valid but services unchanged: %q", id, a.services)
		}
	}
	left := 0
	for _, rj := range rep.Rejects {
		if rj.LeftAsIs {
			left++
			if rj.Reason == "" || !strings.Contains(rj.Location, "ligne") {
				t.Errorf("reject %+v", rj)
			}
		}
	}
	if left != len(bad) {
		t.Errorf("%d records left as they are, want %d: %+v", left, len(bad), rep.Rejects)
	}
	var b strings.Builder
	rep.WriteText(&b)
	if len(bad) > 0 && !strings.Contains(b.String(), directory.LeftAsIsLabel) {
		t.Errorf("report text without %q:\n%s", directory.LeftAsIsLabel, b.String())
	}
}

// TestAAFRejectedKeepsPresentProperty: for complete AAF files and random
// subsets of their records made invalid in random ways, no person whose
// identifier is in the file is deactivated (rule 1).
func TestAAFRejectedKeepsPresentProperty(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		rng := rand.New(rand.NewPCG(11, 2))
		for iter := 0; iter < 8; iter++ {
			g := genAAF{join: fmt.Sprintf("8%02d", iter), uai: validUAI(t, fmt.Sprintf("08620%02d", iter)), students: 3 + rng.IntN(10), staff: 1 + rng.IntN(3),
				bad: map[int]int{}}
			n := g.records()
			k := rng.IntN(n + 1) // from none to all
			for _, i := range rng.Perm(n)[:k] {
				g.bad[i] = rng.IntN(aafBadKinds)
			}
			t.Run(fmt.Sprintf("%d-of-%d", k, n), func(t *testing.T) { checkAAFKeepsPresent(t, e, g) })
		}
	})
}

// TestAAFRejectedInDeltaLeftAsIs: a Delta's invalid modification changes
// nothing and deactivates no one.
func TestAAFRejectedInDeltaLeftAsIs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		dir := t.TempDir()
		writeSmallAAF(t, dir)
		must(t)(e.aaf(nil, dir))
		before := dump(t, st)
		ddir := t.TempDir()
		writeAAF(t, ddir, "ENT_Delta_20250903_Eleve_0000.xml", aaf.CategoryStudent, func(w *aaf.Writer) error {
			return w.Modify("a1", map[string][]string{aaf.AttrBirthDate: {"31-31-2009"}, aaf.AttrClasses: {"700$2B"}})
		})
		res := must(t)(e.aaf(nil, ddir))
		if len(res.Reports) != 1 || res.Reports[0].Status != directory.StatusAppliedWithRejects {
			t.Fatalf("reports %+v", res.Reports)
		}
		rep := res.Reports[0]
		if len(rep.Rejects) != 1 || !rep.Rejects[0].LeftAsIs || !strings.Contains(rep.Rejects[0].Reason, "31-31-2009") ||
			!strings.Contains(rep.Rejects[0].Location, "ENT_Delta_20250903_Eleve_0000.xml, ligne") {
			t.Errorf("rejects %+v", rep.Rejects)
		}
		if rep.Changed() {
			t.Errorf("an invalid modification changed something: %+v", rep.People)
		}
		for _, line := range strings.Split(dump(t, st), "\n") {
			if strings.HasPrefix(line, "persons ") && !strings.Contains(before, line) {
				t.Errorf("a person changed: %s", line)
			}
		}
	})
}

// aafFiles imports the files of one generated set.
func (e *env) aafGen(g genAAF, mod ...func(*directory.Options)) (*directory.AAFResult, error) {
	e.t.Helper()
	dir := e.t.TempDir()
	g.write(e.t, dir)
	return e.aaf(func(o *directory.Options) {
		for _, m := range mod {
			m(o)
		}
	}, dir)
}

// TestAAFFileOrder: the dates of the file names order the imports (rule
// 4). A Complet older than a Delta already applied, or than the last
// Complet, would undo them; a Delta older than the last Complet is
// stale: refused, with the file, the dates and what to do, nothing
// written.
func TestAAFFileOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		uai := validUAI(t, "0863000")
		g := genAAF{join: "900", uai: uai, date: "20250901", complete: true, students: 6, staff: 1}
		if rep := must(t)(e.aafGen(g)).Reports[0]; rep.Status != directory.StatusApplied {
			t.Fatalf("%s %s", rep.Status, rep.Message)
		}
		delta := g
		delta.complete, delta.date, delta.moved = false, "20250910", true
		if rep := must(t)(e.aafGen(delta)).Reports[0]; rep.Status != directory.StatusApplied {
			t.Fatalf("delta: %s %s", rep.Status, rep.Message)
		}
		tests := []struct {
			name     string
			complete bool
			date     string
			want     []string
		}{
			{"complet older than an applied delta", true, "20250905", []string{"Complet du 05/09/2025", "Delta du 10/09/2025", "déferait", "daté du 10/09/2025 ou après"}},
			{"complet older than the last complet", true, "20250801", []string{"Complet du 01/08/2025", "Complet du 01/09/2025"}},
			{"delta older than the last complet", false, "20250830", []string{"Delta du 30/08/2025", "Complet du 01/09/2025", "Deltas datés du 01/09/2025 ou après"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := dump(t, st)
				old := g
				old.complete, old.date = tt.complete, tt.date
				res := must(t)(e.aafGen(old))
				rep := res.Reports[0]
				if rep.Status != directory.StatusRefused || !res.Refused() {
					t.Fatalf("%s %s", rep.Status, rep.Message)
				}
				for _, w := range append(tt.want, "GEN_", "rien n'a été enregistré", string(uai)) {
					if !strings.Contains(rep.Message, w) {
						t.Errorf("message %q lacks %q", rep.Message, w)
					}
				}
				if dump(t, st) != before {
					t.Error("a refused AAF file wrote something")
				}
			})
		}
		// A Delta of the last Complet's day and a later Complet are applied.
		same := delta
		same.date = "20250910"
		if rep := must(t)(e.aafGen(same)).Reports[0]; rep.Status != directory.StatusApplied {
			t.Fatalf("delta of the same day: %s %s", rep.Status, rep.Message)
		}
		later := g
		later.date = "20250915"
		if rep := must(t)(e.aafGen(later)).Reports[0]; rep.Status != directory.StatusApplied {
			t.Fatalf("later complet: %s %s", rep.Status, rep.Message)
		}
	})
}

// TestAAFDeltaRules: a Delta moving a person to another establishment
// ends their role in the first (rule 9); a Delta deleting every pupil is
// held; a pupil attached to two establishments is in both.
func TestAAFDeltaRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		uaiA, uaiB := validUAI(t, "0864000"), validUAI(t, "0864001")
		dir := t.TempDir()
		writeAAF(t, dir, "ENT_Complet_20250901_EtabEducNat_0000.xml", aaf.CategoryStructure, func(w *aaf.Writer) error {
			for _, s := range []struct {
				join string
				uai  sillage.UAI
			}{{"A", uaiA}, {"B", uaiB}} {
				if err := w.Add(s.join, map[string][]string{aaf.AttrStructJoin: {s.join}, aaf.AttrUAI: {string(s.uai)}, aaf.AttrStructName: {"LYCEE " + s.join}}); err != nil {
					return err
				}
			}
			return nil
		})
		writeAAF(t, dir, "ENT_Complet_20250901_Eleve_0000.xml", aaf.CategoryStudent, func(w *aaf.Writer) error {
			for i, s := range []struct{ id, structs, classes string }{
				{"s1", "A", "A$2A"}, {"s2", "A", "A$2A"}, {"s3", "A", "A$2B"}, {"s4", "B", "B$1A"},
				{"both", "A,B", "A$2A,B$1A"}, // a pupil in two establishments
			} {
				a := map[string][]string{aaf.AttrJoin: {s.id}, aaf.AttrLastName: {strings.ToUpper(s.id)}, aaf.AttrFirstName: {"Élève"},
					aaf.AttrStructures: strings.Split(s.structs, ","), aaf.AttrClasses: strings.Split(s.classes, ","), aaf.AttrINE: {beaINE(7000+i, true)}}
				if err := w.Add(s.id, a); err != nil {
					return err
				}
			}
			return nil
		})
		writeAAF(t, dir, "ENT_Complet_20250901_PersEducNat_0000.xml", aaf.CategoryStaff, func(w *aaf.Writer) error {
			return w.Add("t1", map[string][]string{aaf.AttrJoin: {"t1"}, aaf.AttrLastName: {"PROF"}, aaf.AttrFirstName: {"Paul"}, aaf.AttrStructures: {"A"},
				aaf.AttrFunctions: {"A$ENS$ENSEIGNEMENT$L0202$LETTRES"}, aaf.AttrClassSubjects: {"A$2A$020700"}})
		})
		res := must(t)(e.aaf(nil, dir))
		if len(res.Reports) != 2 || res.Refused() {
			t.Fatalf("reports %+v", res.Reports)
		}
		stA, stB := aafState(t, st, uaiA), aafState(t, st, uaiB)
		if a, b := stA["both"], stB["both"]; !a.active || !b.active || a.division != "2A" || b.division != "1A" {
			t.Errorf("pupil of two establishments: A %+v, B %+v", a, b)
		}

		// A Delta moves s1 and the teacher from A to B.
		ddir := t.TempDir()
		writeAAF(t, ddir, "ENT_Delta_20250905_Eleve_0000.xml", aaf.CategoryStudent, func(w *aaf.Writer) error {
			return w.Modify("s1", map[string][]string{aaf.AttrStructures: {"B"}, aaf.AttrClasses: {"B$1A"}})
		})
		writeAAF(t, ddir, "ENT_Delta_20250905_PersEducNat_0000.xml", aaf.CategoryStaff, func(w *aaf.Writer) error {
			return w.Modify("t1", map[string][]string{aaf.AttrStructures: {"B"}, aaf.AttrFunctions: {"B$ENS$ENSEIGNEMENT$L0202$LETTRES"}})
		})
		res = must(t)(e.aaf(confirm, ddir))
		var repA *directory.Report
		for _, r := range res.Reports {
			if r.UAI == uaiA {
				repA = r
			}
		}
		if repA == nil || repA.Status != directory.StatusApplied {
			t.Fatalf("reports %+v", res.Reports)
		}
		stA = aafState(t, st, uaiA)
		if s := stA["s1"]; s.active || !s.indexed {
			t.Errorf("s1 moved to B still active in A: %+v", s)
		}
		if p := stA["t1"]; p.active || p.services != "" {
			t.Errorf("teacher moved to B still active in A: %+v", p)
		}
		want(t, repA, directory.KindStudents, 0, 0, 1, 0, 0)
		want(t, repA, directory.KindTeachers, 0, 0, 1, 0, 0)
		// B does not know them: a modification cannot create them, and
		// B's report says so and what will.
		for _, r := range res.Reports {
			if r.UAI != uaiB {
				continue
			}
			if len(r.Rejects) != 2 || !strings.Contains(r.Rejects[0].Reason, "prochain fichier Complet") {
				t.Errorf("B's rejects: %+v", r.Rejects)
			}
		}

		// A Delta deleting every pupil left in A is held; nothing is written.
		ddir = t.TempDir()
		writeAAF(t, ddir, "ENT_Delta_20250906_Eleve_0000.xml", aaf.CategoryStudent, func(w *aaf.Writer) error {
			for _, id := range []string{"s2", "s3"} {
				if err := w.Delete(id); err != nil {
					return err
				}
			}
			return w.Modify("both", map[string][]string{aaf.AttrStructures: {"B"}, aaf.AttrClasses: {"B$1A"}})
		})
		beforeA := dumpOf(t, st, uaiA)
		res = must(t)(e.aaf(nil, ddir))
		if len(res.Reports) == 0 || !res.Refused() {
			t.Fatalf("reports %+v", res.Reports)
		}
		for _, r := range res.Reports {
			if r.UAI == uaiA && (r.Status != directory.StatusHeld || len(r.Guards) != 1 || r.Guards[0].Share != 1) {
				t.Errorf("a Delta deleting all the pupils of A: %s %+v", r.Status, r.Guards)
			}
		}
		if !slices.ContainsFunc(res.Reports, func(r *directory.Report) bool { return r.UAI == uaiA }) {
			t.Error("no report for A")
		}
		if dumpOf(t, st, uaiA) != beforeA || stateActive(t, st, uaiA) != 3 {
			t.Error("a held Delta wrote something in A")
		}
		must(t)(e.aaf(confirm, ddir))
		if stateActive(t, st, uaiA) != 0 {
			t.Error("the confirmed Delta left pupils in A")
		}
		if b := aafState(t, st, uaiB)["both"]; !b.active {
			t.Error("the pupil who left A was deactivated in B")
		}
	})
}

// stateActive counts the active students of uai.
func stateActive(t *testing.T, st *store.Store, uai sillage.UAI) int {
	n := 0
	for _, p := range aafState(t, st, uai) {
		if p.student && p.active {
			n++
		}
	}
	return n
}

// rejectsAAF is a generated Complet, then (second) the next day's with
// students moved and two records invalid: the failpoint scenario of rule 1.
func rejectsAAF(second bool) genAAF {
	g := genAAF{join: "990", uai: "0869900U", date: "20250901", complete: true, students: 6, staff: 2}
	if second {
		g.date, g.moved, g.bad = "20250902", true, map[int]int{1: aafBadDate, 6: aafTwoNames}
	}
	return g
}

func aafGenStep(g genAAF) importStep {
	return importStep{"aaf " + g.date, func(e *env) error {
		res, err := e.aafGen(g)
		if err == nil && res.Refused() {
			err = fmt.Errorf("refused: %+v", res.Reports[0].Message)
		}
		return err
	}}
}

// TestAAFCompletOfOneEstablishment: a Complet packaged per establishment
// (Lyon's) names, through a pupil of two establishments, an establishment
// its EtabEducNat files do not describe. That one is not emptied: only
// the pupil is imported there, with a warning (rule 9).
func TestAAFCompletOfOneEstablishment(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		uaiA, uaiB := validUAI(t, "0864100"), validUAI(t, "0864101")
		write := func(date string, structs map[string]sillage.UAI, students [][3]string) string {
			dir := t.TempDir()
			writeAAF(t, dir, "ENT_Complet_"+date+"_EtabEducNat_0000.xml", aaf.CategoryStructure, func(w *aaf.Writer) error {
				for _, join := range []string{"A", "B"} {
					if uai, ok := structs[join]; ok {
						if err := w.Add(join, map[string][]string{aaf.AttrStructJoin: {join}, aaf.AttrUAI: {string(uai)}, aaf.AttrStructName: {"LYCEE " + join}}); err != nil {
							return err
						}
					}
				}
				return nil
			})
			writeAAF(t, dir, "ENT_Complet_"+date+"_Eleve_0000.xml", aaf.CategoryStudent, func(w *aaf.Writer) error {
				for _, s := range students {
					if err := w.Add(s[0], map[string][]string{aaf.AttrJoin: {s[0]}, aaf.AttrLastName: {strings.ToUpper(s[0])}, aaf.AttrFirstName: {"Élève"},
						aaf.AttrStructures: strings.Split(s[1], ","), aaf.AttrClasses: strings.Split(s[2], ",")}); err != nil {
						return err
					}
				}
				return nil
			})
			return dir
		}
		all := [][3]string{{"s1", "A", "A$2A"}, {"s4", "B", "B$1A"}, {"s5", "B", "B$1A"}, {"both", "A,B", "A$2A,B$1A"}}
		res := must(t)(e.aaf(nil, write("20250901", map[string]sillage.UAI{"A": uaiA, "B": uaiB}, all)))
		if len(res.Reports) != 2 || res.Refused() {
			t.Fatalf("reports %+v", res.Reports)
		}
		// A's own Complet: its EtabEducNat only, its pupils, "both" too.
		res = must(t)(e.aaf(nil, write("20250902", map[string]sillage.UAI{"A": uaiA}, [][3]string{all[0], all[3]})))
		if len(res.Reports) != 2 || res.Refused() {
			t.Fatalf("reports %+v", res.Reports)
		}
		for _, rep := range res.Reports {
			switch rep.UAI {
			case uaiA:
				if !rep.Complete || len(rep.Warnings) != 0 {
					t.Errorf("A: complete %v, warnings %q", rep.Complete, rep.Warnings)
				}
			case uaiB:
				if rep.Complete || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "n'est pas décrit par les fichiers EtabEducNat") {
					t.Errorf("B: complete %v, warnings %q", rep.Complete, rep.Warnings)
				}
				want(t, rep, directory.KindStudents, 0, 0, 0, 0, 1)
			}
		}
		stB := aafState(t, st, uaiB)
		for _, id := range []string{"s4", "s5", "both"} {
			if !stB[id].active {
				t.Errorf("%s deactivated in B by A's Complet", id)
			}
		}
		if s := aafState(t, st, uaiA)["both"]; !s.active || s.division != "2A" {
			t.Errorf("both in A: %+v", s)
		}
	})
}
