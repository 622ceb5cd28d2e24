package directory_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// fixUAI maps a UAI with a wrong check letter to the same number with the
// right letter: the public AAF samples all carry wrong letters.
func fixUAI(t *testing.T, wrong string) sillage.UAI {
	t.Helper()
	l, err := sillage.UAICheckLetter(wrong[:7])
	if err != nil {
		t.Fatal(err)
	}
	return sillage.UAI(wrong[:7] + string(l))
}

// the 10 structures of the 2013 set and their UAIs as written.
var uais2013 = []string{"1004001V", "1004002D", "0049951V", "0049952W", "1005001R", "1005002Z", "0059951P", "0059952R", "1013001F", "1013002Z"}

func map2013(t *testing.T) map[string]sillage.UAI {
	m := map[string]sillage.UAI{}
	for _, u := range uais2013 {
		m[u] = fixUAI(t, u)
	}
	return m
}

func (e *env) aaf(mod func(*directory.Options), paths ...string) (*directory.AAFResult, error) {
	e.t.Helper()
	var opts directory.Options
	if mod != nil {
		mod(&opts)
	}
	return e.im.AAF(context.Background(), paths, opts)
}

// TestAAFReference2013 imports the anonymised Complet set of 2013: 642
// students naming 1,029 relatives (603 of them legal guardians of at
// least one student, the only ones stored) in 10 establishments, 6 of
// whose UAIs have a wrong check letter: ignored as they are, imported
// through the operator's mapping.
func TestAAFReference2013(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		dir := ref(t, "aaf", "entcore-feeder-aaf-test")

		// As they are: the 6 structures whose UAI has a wrong check letter
		// are ignored with their people; the 4 others are imported.
		res, err := e.aaf(nil, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Ignored) != 6 || len(res.Reports) != 4 || !res.Refused() {
			t.Fatalf("ignored %d structures, %d reports", len(res.Ignored), len(res.Reports))
		}
		ignoredRecords, created := 0, 0
		for _, ig := range res.Ignored {
			ignoredRecords += ig.Records
			if _, err := sillage.ParseUAI(ig.UAI); err == nil || ig.Records == 0 {
				t.Errorf("ignored structure %+v", ig)
			}
		}
		for _, rep := range res.Reports {
			created += rep.Count(directory.KindStudents).Created
		}
		if created == 0 || ignoredRecords == 0 {
			t.Errorf("%d students created, %d records ignored", created, ignoredRecords)
		}

		// With the operator's mapping of the 6 wrong UAIs to valid ones.
		res, err = e.aaf(func(o *directory.Options) { o.UAIMap = map2013(t) }, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Reports) != 10 || len(res.Ignored) != 0 || res.Files != 46 || res.Refused() {
			t.Fatalf("%d reports, %d ignored, %d files", len(res.Reports), len(res.Ignored), res.Files)
		}
		if res.Relatives != (directory.RunRelatives{Referenced: 1029, Legal: 603, Found: 1029}) {
			t.Errorf("relatives = %+v", res.Relatives)
		}
		var withoutINE, estCreated, unchanged int
		for _, rep := range res.Reports {
			if rep.Status != directory.StatusApplied {
				t.Fatalf("%s: %s %s", rep.UAI, rep.Status, rep.Message)
			}
			c := rep.Count(directory.KindStudents)
			created += c.Created
			unchanged += c.Unchanged
			estCreated += rep.Count(directory.KindStructures).Created
			withoutINE += len(rep.WithoutINE)
		}
		if created != 642 || withoutINE != 642 || estCreated != 6 || unchanged != 642-(created-unchanged) {
			t.Errorf("students created %d (without INE %d, unchanged %d), establishments created %d", created, withoutINE, unchanged, estCreated)
		}
		ctx := context.Background()
		distinct := map[string]bool{}
		err = st.Read(ctx, func(tx *store.Tx) error {
			for _, u := range uais2013 {
				ps, err := tx.People().ListPersons(ctx, fixUAI(t, u), sillage.PersonFilter{Role: sillage.RoleParent})
				if err != nil {
					return err
				}
				for _, p := range ps {
					distinct[p.AAFID] = true
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(distinct) != 603 {
			t.Errorf("%d distinct legal guardians stored, want 603", len(distinct))
		}

		// The same files again change nothing.
		res, err = e.aaf(func(o *directory.Options) { o.UAIMap = map2013(t) }, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, rep := range res.Reports {
			allUnchanged(t, rep)
		}
	})
}

// writeAAF writes one AAF file of a category with fn.
func writeAAF(t *testing.T, dir, name string, c aaf.Category, fn func(w *aaf.Writer) error) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := aaf.NewWriter(f, c)
	if err := fn(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// deltaINE is the INE of the student the Delta adds.
const deltaINE = "997000001AB"

// writeDelta writes a Delta of 20 January 2013 on top of the 2013 set, for
// structure 52000: a student added with a new legal guardian, a student
// renamed and moved to another division (modify, replace), a student
// deleted; a parent's e-mail replaced, another parent deleted.
func writeDelta(t *testing.T, dir string) {
	writeAAF(t, dir, "ENT_Delta_20130120_Eleve_0000.xml", aaf.CategoryStudent, func(w *aaf.Writer) error {
		if err := w.Add("9000001", map[string][]string{
			aaf.AttrJoin: {"9000001"}, aaf.AttrSIECLEID: {"999001"}, aaf.AttrINE: {deltaINE}, aaf.AttrLastName: {"Nouveau"},
			aaf.AttrFirstName: {"Élise"}, aaf.AttrBirthDate: {"01/02/1998"}, aaf.AttrCivility: {"Mlle"}, aaf.AttrStructures: {"52000"},
			aaf.AttrClasses: {"52000$1E"}, aaf.AttrStudentMEF: {"20110019110"}, aaf.AttrRelatives: {"9100001$2$1$1$0$0"},
		}); err != nil {
			return err
		}
		if err := w.Modify("2605728", map[string][]string{aaf.AttrLastName: {"Alvarez-Martin"}, aaf.AttrClasses: {"52000$1E"}}); err != nil {
			return err
		}
		return w.Delete("2605746")
	})
	writeAAF(t, dir, "ENT_Delta_20130120_PersRelEleve_0000.xml", aaf.CategoryRelative, func(w *aaf.Writer) error {
		if err := w.Add("9100001", map[string][]string{aaf.AttrJoin: {"9100001"}, aaf.AttrLastName: {"Nouveau"}, aaf.AttrFirstName: {"Marc"},
			aaf.AttrCivility: {"M."}, aaf.AttrEmail: {"marc.nouveau@example.org"}}); err != nil {
			return err
		}
		if err := w.Modify("2866748", map[string][]string{aaf.AttrEmail: {"parent.alvarez@example.org"}}); err != nil {
			return err
		}
		return w.Delete("2866782")
	})
}

func TestAAFDelta(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		for _, rep := range must(t)(e.aaf(func(o *directory.Options) { o.UAIMap = map2013(t) }, ref(t, "aaf", "entcore-feeder-aaf-test"))).Reports {
			if rep.Status != directory.StatusApplied {
				t.Fatalf("%s: %s", rep.UAI, rep.Message)
			}
		}
		uai := fixUAI(t, "1004001V")
		dir := t.TempDir()
		writeDelta(t, dir)
		others := map[sillage.UAI]string{}
		for _, u := range uais2013[1:] {
			others[fixUAI(t, u)] = dumpOf(t, st, fixUAI(t, u))
		}

		res := must(t)(e.aaf(nil, dir))
		if len(res.Reports) != 1 || res.Reports[0].UAI != uai || res.Reports[0].Status != directory.StatusApplied {
			t.Fatalf("reports = %+v", res.Reports)
		}
		rep := res.Reports[0]
		want(t, rep, directory.KindStudents, 1, 1, 1, 0, 0)
		want(t, rep, directory.KindParents, 1, 1, 1, 0, 0)
		if len(rep.Index.NewWaiting) != 1 || rep.Index.NewWaiting[0].Name != "NOUVEAU Élise" || rep.Index.NewWaiting[0].Division != "1E" {
			t.Errorf("new waiting = %+v", rep.Index.NewWaiting)
		}
		ctx := context.Background()
		err := st.Read(ctx, func(tx *store.Tx) error {
			ss, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{})
			if err != nil {
				return err
			}
			byAAF := map[string]sillage.Student{}
			for _, s := range ss {
				byAAF[s.AAFID] = s
			}
			if s := byAAF["9000001"]; s.Unqid == "" || s.SIECLEID != "999001" || s.DivisionCode != "1E" || s.MEF != "20110019110" {
				t.Errorf("added student = %+v", s)
			}
			if s := byAAF["2605728"]; s.LastName != "Alvarez-Martin" || s.DivisionCode != "1E" || s.FirstName == "" || s.BirthDate.IsZero() {
				t.Errorf("modified student (replace of two attributes only) = %+v", s)
			}
			if s := byAAF["2605746"]; s.Active() {
				t.Error("deleted student still active")
			}
			ps, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: sillage.RoleParent})
			if err != nil {
				return err
			}
			for _, p := range ps {
				switch p.AAFID {
				case "9100001":
					kids, err := tx.People().ListChildren(ctx, uai, p.ID)
					if err != nil {
						return err
					}
					if len(kids) != 1 || kids[0].AAFID != "9000001" || p.AccountID == 0 {
						t.Errorf("new parent %+v, children %v", p, kids)
					}
				case "2866748":
					if p.Email != "parent.alvarez@example.org" || p.LastName == "" {
						t.Errorf("modified parent = %+v", p)
					}
				case "2866782":
					if p.Active() {
						t.Error("deleted parent still active")
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for u, d := range others {
			if dumpOf(t, st, u) != d {
				t.Errorf("the Delta of structure 52000 changed %s", u)
			}
		}
		// Applied twice, the Delta changes nothing more.
		for _, rep := range must(t)(e.aaf(nil, dir)).Reports {
			allUnchanged(t, rep)
		}
	})
}

// An unknown attribute is a hard error (aaf-notes §1.2, as entcore): the
// import is refused and nothing is written.
func TestAAFUnknownAttributeRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		cdir := t.TempDir()
		writeSmallAAF(t, cdir)
		must(t)(e.aaf(nil, cdir))
		dir := t.TempDir()
		writeSmallDelta(t, dir)
		path := filepath.Join(dir, "ENT_Delta_20250902_Eleve_0000.xml")
		data := strings.Replace(string(readFile(t, path)), `<attr name="sn">`, `<attr name="ENTEleveCouleurPreferee"><value>bleu</value></attr><attr name="sn">`, 1)
		if data == string(readFile(t, path)) {
			t.Fatal("the attribute was not inserted")
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		before := dump(t, st)
		_, err := e.aaf(nil, dir)
		if sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(err.Error(), "ENTEleveCouleurPreferee") || !strings.Contains(sillage.Message(err), "rien n'a été enregistré") {
			t.Fatalf("err = %v", err)
		}
		if dump(t, st) != before {
			t.Fatal("a refused AAF import wrote something")
		}
	})
}

// must fails the test on an AAF import error.
func must(t *testing.T) func(*directory.AAFResult, error) *directory.AAFResult {
	return func(res *directory.AAFResult, err error) *directory.AAFResult {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
}
