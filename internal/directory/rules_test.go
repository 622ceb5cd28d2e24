package directory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// The small AAF académie of the rule tests: one structure, three students,
// three relatives, a teacher; then a Delta.
const smallUAI = sillage.UAI("0861234Z")

var smallINEs = []string{"996000001AA", beaINE(30, true), "996000004DD"}

func writeSmallAAF(t *testing.T, dir string) {
	t.Helper()
	writeAAF(t, dir, "ENT_Complet_20250901_EtabEducNat_0000.xml", aaf.CategoryStructure, func(w *aaf.Writer) error {
		return w.Add("700", map[string][]string{aaf.AttrStructJoin: {"700"}, aaf.AttrUAI: {string(smallUAI)}, aaf.AttrStructName: {"LYCEE DU PORT"},
			aaf.AttrStructType: {"LYCEE PROFESSIONNEL"}})
	})
	student := func(id, last, first, ine, class string, rels ...string) map[string][]string {
		a := map[string][]string{aaf.AttrJoin: {id}, aaf.AttrLastName: {last}, aaf.AttrFirstName: {first}, aaf.AttrBirthDate: {"01/02/2009"},
			aaf.AttrStructures: {"700"}, aaf.AttrClasses: {"700$" + class}, aaf.AttrStudentMEF: {"24025510110"}, aaf.AttrRelatives: rels}
		if ine != "" {
			a[aaf.AttrINE] = []string{ine}
		}
		return a
	}
	writeAAF(t, dir, "ENT_Complet_20250901_Eleve_0000.xml", aaf.CategoryStudent, func(w *aaf.Writer) error {
		if err := w.Add("a1", student("a1", "Alpha", "Aline", smallINEs[0], "2A", "r1$2$1$1$0$0", "r2$1$0$2$0$0")); err != nil {
			return err
		}
		b := student("a2", "Beta", "Bruno", "", "2A", "r3$1$1$1$0$0")
		b[aaf.AttrGroups] = []string{"700$LV2 ESP"}
		if err := w.Add("a2", b); err != nil {
			return err
		}
		return w.Add("a3", student("a3", "Gamma", "Chloé", smallINEs[1], "2B"))
	})
	writeAAF(t, dir, "ENT_Complet_20250901_PersRelEleve_0000.xml", aaf.CategoryRelative, func(w *aaf.Writer) error {
		for _, r := range [][3]string{{"r1", "Alpha", "Rose"}, {"r2", "Alpha", "Marc"}, {"r3", "Beta", "Inès"}} {
			if err := w.Add(r[0], map[string][]string{aaf.AttrJoin: {r[0]}, aaf.AttrLastName: {r[1]}, aaf.AttrFirstName: {r[2]}}); err != nil {
				return err
			}
		}
		return nil
	})
	writeAAF(t, dir, "ENT_Complet_20250901_PersEducNat_0000.xml", aaf.CategoryStaff, func(w *aaf.Writer) error {
		return w.Add("p1", map[string][]string{aaf.AttrJoin: {"p1"}, aaf.AttrLastName: {"Prof"}, aaf.AttrFirstName: {"Paule"}, aaf.AttrStructures: {"700"},
			aaf.AttrFunctions: {"700$ENS$ENSEIGNEMENT$L0202$LETTRES"}, aaf.AttrClassSubjects: {"700$2A$020700"}, aaf.AttrHeadTeacher: {"700$2A"}})
	})
}

func writeSmallDelta(t *testing.T, dir string) {
	t.Helper()
	writeAAF(t, dir, "ENT_Delta_20250902_Eleve_0000.xml", aaf.CategoryStudent, func(w *aaf.Writer) error {
		if err := w.Modify("a1", map[string][]string{aaf.AttrClasses: {"700$2B"}}); err != nil {
			return err
		}
		if err := w.Delete("a2"); err != nil {
			return err
		}
		return w.Add("a4", map[string][]string{aaf.AttrJoin: {"a4"}, aaf.AttrLastName: {"Delta"}, aaf.AttrFirstName: {"Dora"}, aaf.AttrINE: {smallINEs[2]},
			aaf.AttrStructures: {"700"}, aaf.AttrClasses: {"700$2A"}, aaf.AttrRelatives: {"r1$2$1$1$0$0"}})
	})
	writeAAF(t, dir, "ENT_Delta_20250902_PersRelEleve_0000.xml", aaf.CategoryRelative, func(w *aaf.Writer) error {
		return w.Delete("r3")
	})
}

func TestAAFSmallComplet(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		dir := t.TempDir()
		writeSmallAAF(t, dir)
		res := must(t)(e.aaf(nil, dir))
		if len(res.Reports) != 1 || res.Reports[0].UAI != smallUAI {
			t.Fatalf("reports %+v", res.Reports)
		}
		rep := res.Reports[0]
		if rep.Status != directory.StatusApplied {
			t.Fatalf("%s %s", rep.Status, rep.Message)
		}
		want(t, rep, directory.KindStudents, 3, 0, 0, 0, 0)
		want(t, rep, directory.KindParents, 2, 0, 0, 0, 0)
		want(t, rep, directory.KindTeachers, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindServices, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindStructures, 1, 0, 0, 0, 0)
		if rep.Relatives == nil || *rep.Relatives != (directory.Relatives{Referenced: 3, Legal: 2, NotLegal: 1}) {
			t.Errorf("relatives %+v", rep.Relatives)
		}
		ctx := context.Background()
		st.Read(ctx, func(tx *store.Tx) error {
			est, err := tx.Establishments().GetEstablishment(ctx, smallUAI)
			if err != nil || est.Kind != sillage.KindLP || est.Name != "LYCEE DU PORT" {
				t.Errorf("establishment %+v, %v", est, err)
			}
			structs, _ := tx.Imports().ListAAFStructures(ctx, smallUAI)
			if len(structs) != 1 || structs[0].JoinID != "700" {
				t.Errorf("structures %+v", structs)
			}
			return nil
		})
		allUnchanged(t, must(t)(e.aaf(nil, dir)).Reports[0])

		// The Delta deletes 1 of 3 students and 1 of 2 legal guardians:
		// over the threshold, it is held as a complete file would be
		// (rule 9), then applied once confirmed.
		ddir := t.TempDir()
		writeSmallDelta(t, ddir)
		before := dump(t, st)
		res = must(t)(e.aaf(nil, ddir))
		if rep = res.Reports[0]; rep.Status != directory.StatusHeld || len(rep.Guards) != 2 || !res.Refused() {
			t.Fatalf("a Delta deleting a third of the students: %s %s", rep.Status, rep.Message)
		}
		if dump(t, st) != before {
			t.Fatal("a held Delta wrote something")
		}
		rep = must(t)(e.aaf(confirm, ddir)).Reports[0]
		if rep.Status != directory.StatusApplied {
			t.Fatalf("confirmed Delta: %s %s", rep.Status, rep.Message)
		}
		want(t, rep, directory.KindStudents, 1, 1, 1, 0, 0)
		want(t, rep, directory.KindParents, 0, 1, 1, 0, 0) // r1 gains a child; r3 deleted
	})
}

// TestClosedYear: between the changeover's steps 2 and 4, an import of the
// closed year is refused (rule 10); the next year's file is accepted.
func TestClosedYear(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		ctx := context.Background()
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Rollover().SetYearState(ctx, scenarioUAI, sillage.YearState{Closed: 2025})
		}); err != nil {
			t.Fatal(err)
		}
		before := dump(t, st)
		rep, err := e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI)
		if sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(sillage.Message(err), "l'année 2025-2026 est close") ||
			!strings.Contains(sillage.Message(err), "2026-2027") || rep.Status != directory.StatusRefused {
			t.Fatalf("err = %v, status %s", err, rep.Status)
		}
		if dump(t, st) != before {
			t.Fatal("an import of a closed year wrote something")
		}
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Rollover().SetYearState(ctx, scenarioUAI, sillage.YearState{Closed: 2024})
		}); err != nil {
			t.Fatal(err)
		}
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
	})
}

// TestDryRun: the same report, nothing written.
func TestDryRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		before := dump(t, st)
		dry := ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI, dryRun))
		if dump(t, st) != before || dry.Status != directory.StatusDryRun || dry.ID != 0 {
			t.Fatalf("a dry run wrote something (status %s)", dry.Status)
		}
		real := ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		if real.ID == 0 {
			t.Error("the applied report has no id")
		}
		dry.Status, dry.StatusLabel, real.Status, real.StatusLabel, real.ID = "", "", "", "", 0
		a, _ := dry.JSON()
		b, _ := real.JSON()
		if !bytes.Equal(a, b) {
			t.Errorf("dry run and real run differ:\n%s\n%s", a, b)
		}
	})
}

// TestWrongEstablishment: rule 1, and an unknown UAI.
func TestWrongEstablishment(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment("0010856A", sillage.KindLP)
		before := dump(t, st)
		_, err := e.siecle(testdata("siecle_0860012W_1.xml"), "0010856A")
		refused(t, st, before, err, "concerne l'établissement 0860012W, pas 0010856A")
		_, err = e.sts(testdata("sts_emp_0860012W_2025.xml"), func(o *directory.Options) { o.UAI = "0010856A" })
		refused(t, st, before, err, "pas 0010856A")
		_, err = e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI)
		if sillage.KindOf(err) != sillage.KindNotFound || !strings.Contains(sillage.Message(err), "établissement 0860012W inconnu") {
			t.Errorf("unknown establishment: %v", err)
		}
	})
}

// TestAccountsAndSessions: a new person's login is unique in the instance,
// without a password; a deactivated person's sessions end.
func TestAccountsAndSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		ctx := context.Background()
		if err := st.Write(ctx, func(tx *store.Tx) error {
			for _, l := range []string{"lea.martin", "lea.martin2", "lea.martinez"} {
				if err := tx.Accounts().CreateAccount(ctx, &sillage.Account{Login: l}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		ss := students(t, st, scenarioUAI)
		var chloe sillage.Account
		st.Read(ctx, func(tx *store.Tx) error {
			acc, err := tx.Accounts().GetAccount(ctx, ss["1001"].AccountID)
			if err != nil || acc.Login != "lea.martin3" || acc.PasswordHash != "" || !acc.MustChangePassword {
				t.Errorf("Léa's account %+v, %v", acc, err)
			}
			chloe, _ = tx.Accounts().GetAccount(ctx, ss["1007"].AccountID)
			return nil
		})
		if chloe.Login != "chloe.bernard" {
			t.Errorf("Chloé's login %q", chloe.Login)
		}
		sess := sillage.Session{TokenHash: "t-chloe", AccountID: chloe.ID, UAI: scenarioUAI, PersonID: ss["1007"].ID,
			CreatedAt: clock.T, LastSeenAt: clock.T, ExpiresAt: clock.T.AddDate(0, 0, 1)}
		other := sess
		other.TokenHash, other.PersonID = "t-lea", ss["1001"].ID
		if err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Accounts().CreateSession(ctx, sess); err != nil {
				return err
			}
			return tx.Accounts().CreateSession(ctx, other)
		}); err != nil {
			t.Fatal(err)
		}
		ok(t)(e.siecle(testdata("siecle_0860012W_2.xml"), scenarioUAI, confirm))
		st.Read(ctx, func(tx *store.Tx) error {
			if _, err := tx.Accounts().GetSession(ctx, "t-chloe", clock.T); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("the deactivated student's session survived: %v", err)
			}
			if _, err := tx.Accounts().GetSession(ctx, "t-lea", clock.T); err != nil {
				t.Errorf("an active student's session ended: %v", err)
			}
			return nil
		})
	})
}

// TestKeyRotation: students are found under any key version (rule 3): a
// second key is added, the ELEVE_IDs change, the students are matched by
// the unqid of the old key and move to the new one.
func TestKeyRotation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte{7}, 32), 2: bytes.Repeat([]byte{9}, 32)})
		if err != nil {
			t.Fatal(err)
		}
		e.im.Keyring = kr
		f := scenarioFiles()["siecle_0860012W_1.xml"]
		for i := range f.Students {
			f.Students[i].EleveID = "9" + f.Students[i].EleveID
		}
		path := filepath.Join(t.TempDir(), "renumbered.xml")
		var buf bytes.Buffer
		if err := siecle.WriteStudents(&buf, f); err != nil {
			t.Fatal(err)
		}
		writeFileT(t, path, buf.Bytes())
		rep := ok(t)(e.siecle(path, scenarioUAI, confirm))
		// The 4 students with a valid INE are found by it and updated (new
		// ELEVE_ID, unqid under key 2); the 2 without are new students and
		// the old ones absent.
		want(t, rep, directory.KindStudents, 2, 4, 2, 0, 0)
		for id, s := range students(t, st, scenarioUAI) {
			if s.Unqid != "" && !strings.HasPrefix(s.Unqid, "v2:") && s.Active() {
				t.Errorf("%s keeps unqid version 1", id)
			}
		}
	})
}

func TestONDEScenario(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment("0860001J", sillage.KindEcole)
		ctx := context.Background()
		onde := func(name string) *directory.Report {
			return ok(t)(e.im.ONDE(ctx, open(t, testdata(name)), directory.Options{UAI: "0860001J", FileName: name, ConfirmMassDeactivation: true}))
		}
		rep := onde("onde_0860001J_1.csv")
		want(t, rep, directory.KindStudents, 4, 0, 0, 0, 0)
		if len(rep.WithoutINE) != 2 || len(rep.Index.NewWaiting) != 2 {
			t.Errorf("without INE %v, new %v", rep.WithoutINE, rep.Index.NewWaiting)
		}
		allUnchanged(t, onde("onde_0860001J_1.csv"))
		rep = onde("onde_0860001J_2.csv")
		want(t, rep, directory.KindStudents, 0, 2, 1, 0, 1) // Aïssatou stays in class 70002
		var divs []sillage.Division
		st.Read(ctx, func(tx *store.Tx) (err error) { divs, err = tx.People().ListDivisions(ctx, "0860001J", 0); return err })
		if len(divs) != 3 || divs[0].Code != "70001" || divs[0].Label != "CE2 Mme Béranger" {
			t.Errorf("divisions %+v", divs)
		}
	})
}

func writeFileT(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := writeFile(path, data); err != nil {
		t.Fatal(err)
	}
}

// importStep is one import of a scenario.
type importStep struct {
	name string
	run  func(e *env) error
}

func siecleStep(name string, mod ...func(*directory.Options)) importStep {
	return importStep{name, func(e *env) error { _, err := e.siecle(testdata(name), scenarioUAI, mod...); return err }}
}

func stsStep(name string) importStep {
	return importStep{name, func(e *env) error { _, err := e.sts(testdata(name)); return err }}
}

func aafStep(name string, write func(*testing.T, string), mod ...func(*directory.Options)) importStep {
	return importStep{name, func(e *env) error {
		dir := e.t.TempDir()
		write(e.t, dir)
		res, err := e.aaf(func(o *directory.Options) {
			for _, m := range mod {
				m(o)
			}
		}, dir)
		if err == nil && res.Refused() {
			err = errors.New("refused")
		}
		return err
	}}
}

// failpointScenarios are imports of every source, each after its setup.
func failpointScenarios() []failpointScenario {
	return []failpointScenario{
		{"siecle first import", nil, siecleStep("siecle_0860012W_1.xml")},
		{"siecle exits and arrivals", []importStep{siecleStep("siecle_0860012W_1.xml")}, siecleStep("siecle_0860012W_2.xml", confirm)},
		{"siecle return", []importStep{siecleStep("siecle_0860012W_1.xml"), siecleStep("siecle_0860012W_2.xml", confirm)}, siecleStep("siecle_0860012W_3.xml")},
		{"responsables", []importStep{{"students", func(e *env) error {
			_, err := e.siecle(testdata("siecle_0140070A.xml"), "0140070A", oldFile)
			return err
		}}}, importStep{"responsables", func(e *env) error {
			_, err := e.im.Responsables(context.Background(), open(e.t, ref(e.t, "siecle", "fixtures_dossiersco", "responsables_avec_adresses_simple.xml")), directory.Options{UAI: "0140070A", ConfirmOldFile: true})
			return err
		}}},
		{"sts", []importStep{siecleStep("siecle_0860012W_1.xml"), stsStep("sts_emp_0860012W_2025.xml")}, stsStep("sts_emp_0860012W_2025_b.xml")},
		{"aaf complet", nil, aafStep("small complet", writeSmallAAF)},
		{"aaf delta", []importStep{aafStep("small complet", writeSmallAAF)}, aafStep("small delta", writeSmallDelta, confirm)},
		{"aaf complet with rejects", []importStep{aafGenStep(rejectsAAF(false))}, aafGenStep(rejectsAAF(true))},
		{"sts with rejects", []importStep{{"sts setup", func(e *env) error { e.stsSetup(rejectsSTS(false).uai); return nil }},
			stsGenStep(rejectsSTS(false))}, stsGenStep(rejectsSTS(true))},
		{"nomenclature", []importStep{nomenclatureStep("nomenclature_code_modalite_elec_double.xml")}, nomenclatureStep("nomenclature_simple.xml")},
		{"onde", []importStep{{"onde 1", func(e *env) error {
			_, err := e.im.ONDE(context.Background(), open(e.t, testdata("onde_0860001J_1.csv")), directory.Options{UAI: "0860001J"})
			return err
		}}}, importStep{"onde 2", func(e *env) error {
			_, err := e.im.ONDE(context.Background(), open(e.t, testdata("onde_0860001J_2.csv")), directory.Options{UAI: "0860001J", ConfirmMassDeactivation: true})
			return err
		}}},
	}
}

// nomenclatureStep imports a nomenclature fixture of the reference
// files into 0140070A.
func nomenclatureStep(name string) importStep {
	return importStep{name, func(e *env) error {
		_, err := e.im.Nomenclature(context.Background(), open(e.t, ref(e.t, "siecle", "fixtures_dossiersco", name)), directory.Options{UAI: "0140070A", FileName: name})
		return err
	}}
}

type failpointScenario struct {
	name   string
	setup  []importStep
	target importStep
}

// prepare opens a fresh store of kind with the scenario's three
// establishments and runs its set-up; adjust, when set, changes the
// importer before the set-up runs.
func (sc failpointScenario) prepare(t *testing.T, kind store.Kind, adjust func(*directory.Importer)) *env {
	t.Helper()
	clock := &storetest.Clock{T: storetest.Epoch}
	e := newEnv(t, storetest.Open(t, kind, clock), clock)
	e.establishment(scenarioUAI, sillage.KindLP)
	e.establishment("0140070A", sillage.KindCollege)
	e.establishment("0860001J", sillage.KindEcole)
	if adjust != nil {
		adjust(e.im)
	}
	for _, s := range sc.setup {
		if err := s.run(e); err != nil {
			t.Fatalf("setup %s: %v", s.name, err)
		}
	}
	return e
}

// TestFailpoints fails each import at each of its steps: the database is
// left as it was, and running the import again gives the same state as a
// run without failure.
func TestFailpoints(t *testing.T) {
	scenarios := failpointScenarios()
	storetest.Run(t, func(t *testing.T, _ *store.Store, _ *storetest.Clock) {
		kind := store.SQLite
		if strings.HasSuffix(t.Name(), "postgres") {
			kind = store.Postgres
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				prepare := func() *env { return sc.prepare(t, kind, nil) }
				// The reference: a run without failure, counting the steps.
				ref := prepare()
				var steps []string
				ref.im.Failpoint = func(step string) error { steps = append(steps, step); return nil }
				if err := sc.target.run(ref); err != nil {
					t.Fatal(err)
				}
				want := dump(t, ref.st)
				if len(steps) < 5 {
					t.Fatalf("only %d steps: %v", len(steps), steps)
				}
				e := prepare()
				before := dump(t, e.st)
				injected := errors.New("panne injectée")
				for k := range steps {
					calls := 0
					e.im.Failpoint = func(step string) error {
						calls++
						if calls == k+1 {
							return injected
						}
						return nil
					}
					if err := sc.target.run(e); !errors.Is(err, injected) {
						t.Fatalf("failure at step %d (%s): err = %v", k, steps[k], err)
					}
					if got := dump(t, e.st); got != before {
						t.Fatalf("failure at step %d (%s) left changes:\n%s", k, steps[k], firstDiff(got, before))
					}
				}
				e.im.Failpoint = nil
				if err := sc.target.run(e); err != nil {
					t.Fatal(err)
				}
				if got := dump(t, e.st); got != want {
					t.Fatalf("after the failures, the run differs from a clean one:\n%s", firstDiff(got, want))
				}
				t.Logf("%d failure points", len(steps))
			})
		}
	})
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, x, y)
		}
	}
	return ""
}

// TestPrivacyNoINE runs every kind of import with INEs, then looks for each
// INE in every column of every table, in the log and in every report: none
// may appear.
func TestPrivacyNoINE(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		var logs bytes.Buffer
		e := newEnv(t, st, clock)
		e.im.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		// With a federation key: its hashes are stored too, never the INE.
		e.im.Federation = fedKeyring(t, 1, 2)
		e.establishment(scenarioUAI, sillage.KindLP)
		e.establishment("0860001J", sillage.KindEcole)
		ctx := context.Background()
		var reports []*directory.Report
		keep := func(rep *directory.Report, err error) {
			if rep != nil {
				reports = append(reports, rep)
			}
			if err != nil {
				logs.WriteString(err.Error() + "\n")
			}
		}
		keep(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		keep(e.siecle(testdata("siecle_0860012W_2.xml"), scenarioUAI)) // held
		keep(e.siecle(testdata("siecle_0860012W_2.xml"), scenarioUAI, confirm))
		keep(e.siecle(testdata("siecle_0860012W_3.xml"), scenarioUAI, dryRun))
		keep(e.siecle(testdata("siecle_0860012W_3.xml"), scenarioUAI))
		keep(e.sts(testdata("sts_emp_0860012W_2025.xml")))
		for _, f := range []string{"onde_0860001J_1.csv", "onde_0860001J_2.csv"} {
			keep(e.im.ONDE(ctx, open(t, testdata(f)), directory.Options{UAI: "0860001J", ConfirmMassDeactivation: true}))
		}
		inputs := []string{testdata("siecle_0860012W_1.xml"), testdata("siecle_0860012W_2.xml"), testdata("siecle_0860012W_3.xml"),
			testdata("onde_0860001J_1.csv"), testdata("onde_0860001J_2.csv")}
		for _, write := range []func(*testing.T, string){writeSmallAAF, writeSmallDelta} {
			dir := t.TempDir()
			write(t, dir)
			aafFiles, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
			inputs = append(inputs, aafFiles...)
			res, err := e.aaf(nil, dir)
			if err != nil {
				t.Fatal(err)
			}
			reports = append(reports, res.Reports...)
		}
		ines := append(append(append([]string{}, scenarioINEs...), ondeINEs...), smallINEs...)
		var texts []string
		for _, rep := range reports {
			j, _ := rep.JSON()
			var b strings.Builder
			rep.WriteText(&b)
			texts = append(texts, string(j), b.String())
		}
		texts = append(texts, logs.String(), dumpAll(t, st))
		for _, ine := range ines {
			for _, text := range texts {
				if strings.Contains(strings.ToUpper(text), ine) {
					t.Errorf("INE %s found: %.300s", ine, text[max(0, strings.Index(strings.ToUpper(text), ine)-100):])
				}
			}
		}
		if len(reports) < 10 || !strings.Contains(texts[len(texts)-1], "v1:") || !strings.Contains(texts[len(texts)-1], "f2:") {
			t.Fatalf("the scenario did too little: %d reports", len(reports))
		}
		// At rest: the database files (or tables) and the importer's
		// temporary folder (the AAF spill files) hold none of the inputs' INEs.
		storetest.NoINEAtRest(t, st, storetest.INEsIn(t, inputs...), e.im.TempDir)
	})
}

// dumpAll is every column of every row of every table, as text.
func dumpAll(t *testing.T, st *store.Store) string {
	t.Helper()
	var b strings.Builder
	for _, table := range tableNames(t, st) {
		rows, err := st.SQLDB().Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s:", table)
			for _, v := range vals {
				fmt.Fprintf(&b, " %v", normalise(v))
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}
