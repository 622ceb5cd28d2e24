package directory_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// Every file of shared/reference/siecle, /aaf and /onde goes through an
// import here, read in place: imported with its expected counts, or refused
// with a clear message and nothing written when it is not an importable
// file (the SIECLE "import du privé" files and their XSDs, the malformed
// fixture, the AAF DTDs and configuration files, the ONDE teachers and
// guardians extractions).

// refused checks an import was refused as invalid, with a message holding
// every fragment, and wrote nothing.
func refused(t *testing.T, st *store.Store, before string, err error, fragments ...string) {
	t.Helper()
	if sillage.KindOf(err) != sillage.KindInvalid {
		t.Fatalf("err = %v, want a refusal (invalid)", err)
	}
	for _, f := range fragments {
		if !strings.Contains(sillage.Message(err), f) {
			t.Errorf("message %q does not say %q", sillage.Message(err), f)
		}
	}
	if dump(t, st) != before {
		t.Error("a refused import wrote something")
	}
}

func TestReferenceSIECLERefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment("0752387M", sillage.KindCollege)
		e.establishment("0750680G", sillage.KindLGT)
		before := dump(t, st)
		// Malformed: <STRICTURES_ELEVE> closed by </STRUCTURES_ELEVE>, after
		// the students were read.
		rep, err := e.siecle(ref(t, "siecle", "fixtures_dossiersco", "eleves_avec_adresse_simple.xml"), "0752387M", oldFile)
		refused(t, st, before, err, "ligne 139", "STRICTURES_ELEVE")
		if rep.Status != directory.StatusRefused {
			t.Errorf("status %s", rep.Status)
		}
		dir := ref(t, "siecle", "import_prive_dossiersco")
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 7 {
			t.Errorf("%d files in %s, want 7", len(entries), dir)
		}
		for _, en := range entries {
			_, err := e.siecle(filepath.Join(dir, en.Name()), "0750680G", oldFile)
			want := "<BEE_ELEVES> est attendu"
			if strings.HasSuffix(en.Name(), ".xml") {
				want = "fichier d'import vers SIECLE"
			}
			refused(t, st, before, err, want)
		}
	})
}

func TestReferenceNomenclature(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment("0140070A", sillage.KindCollege)
		e.establishment("0750680G", sillage.KindLGT)
		ctx := context.Background()
		nomenclature := func(uai sillage.UAI, elem ...string) *directory.Report {
			t.Helper()
			path := ref(t, append([]string{"siecle"}, elem...)...)
			return ok(t)(e.im.Nomenclature(ctx, open(t, path), directory.Options{UAI: uai, FileName: filepath.Base(path)}))
		}
		// The three small fixtures, one after the other.
		rep := nomenclature("0140070A", "fixtures_dossiersco", "nomenclature_code_modalite_elec_double.xml")
		want(t, rep, directory.KindMEFs, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindSubjects, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindProgrammes, 2, 0, 0, 0, 0)
		rep = nomenclature("0140070A", "fixtures_dossiersco", "nomenclature_simple.xml")
		want(t, rep, directory.KindMEFs, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindProgrammes, 1, 0, 0, 0, 0)
		if rep.Count(directory.KindProgrammes).Deleted != 2 {
			t.Errorf("programmes replaced: %+v", rep.Count(directory.KindProgrammes))
		}
		rep = nomenclature("0140070A", "fixtures_dossiersco", "nomenclature_tout_niveau.xml")
		want(t, rep, directory.KindMEFs, 3, 0, 0, 0, 1)
		// The real exports of lycée Arago, two years.
		rep = nomenclature("0750680G", "nomenclature_dossiersco_0750680G", "Nomenclature-2018-19.xml")
		want(t, rep, directory.KindMEFs, 89, 0, 0, 0, 0)
		want(t, rep, directory.KindSubjects, 100, 0, 0, 0, 0)
		want(t, rep, directory.KindProgrammes, 728, 0, 0, 0, 0)
		rep = nomenclature("0750680G", "nomenclature_dossiersco_0750680G", "Nomenclature-2019-20.xml")
		want(t, rep, directory.KindMEFs, 3, 1, 0, 0, 25)
		want(t, rep, directory.KindSubjects, 20, 0, 0, 0, 88)
		want(t, rep, directory.KindProgrammes, 214, 0, 0, 0, 376)
		if d := rep.Count(directory.KindProgrammes).Deleted; d != 352 {
			t.Errorf("%d programmes removed, want 352", d)
		}
		allUnchanged(t, nomenclature("0750680G", "nomenclature_dossiersco_0750680G", "Nomenclature-2019-20.xml"))
		var mefs []sillage.MEF
		st.Read(ctx, func(tx *store.Tx) (err error) { mefs, err = tx.People().ListMEFs(ctx, "0750680G"); return err })
		if len(mefs) != 92 || mefs[0].Label == "" {
			t.Errorf("%d MEFs stored, first %+v", len(mefs), mefs[0])
		}
		// Wrong establishment: refused.
		before := dump(t, st)
		_, err := e.im.Nomenclature(ctx, open(t, ref(t, "siecle", "nomenclature_dossiersco_0750680G", "Nomenclature-2019-20.xml")), directory.Options{UAI: "0140070A"})
		refused(t, st, before, err, "0750680G", "pas 0140070A")
	})
}

func TestReferenceResponsables(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment("0140070A", sillage.KindCollege)
		ok(t)(e.siecle(testdata("siecle_0140070A.xml"), "0140070A", oldFile))
		ctx := context.Background()
		path := ref(t, "siecle", "fixtures_dossiersco", "responsables_avec_adresses_simple.xml")
		resp := func() *directory.Report {
			return ok(t)(e.im.Responsables(ctx, open(t, path), directory.Options{UAI: "0140070A", FileName: filepath.Base(path), ConfirmOldFile: true}))
		}
		rep := resp()
		want(t, rep, directory.KindParents, 3, 0, 0, 0, 0)
		ss := students(t, st, "0140070A")
		err := st.Read(ctx, func(tx *store.Tx) error {
			for id, n := range map[string]int{"610308": 2, "610305": 1, "610399": 0} {
				gs, err := tx.People().ListGuardians(ctx, "0140070A", ss[id].ID)
				if err != nil {
					return err
				}
				if len(gs) != n {
					t.Errorf("student %s has %d legal guardians, want %d", id, len(gs), n)
				}
				for _, g := range gs {
					p, err := tx.People().GetPerson(ctx, "0140070A", g.ParentID)
					if err != nil {
						return err
					}
					if !g.Legal || g.Relation != "10" || p.AccountID == 0 || p.Role != sillage.RoleParent || p.Civility != "Mme" {
						t.Errorf("link %+v, parent %+v", g, p)
					}
				}
			}
			// The address goes with the guardian, for the Livret.
			cs, err := tx.People().ListGuardianContacts(ctx, "0140070A", []int64{ss["610308"].ID})
			if err != nil {
				return err
			}
			for _, c := range cs {
				if a := c.Address; strings.Join(a.Lines, "|") != "18 RUE DES HOMMETS|MEZIDON CANON" || a.PostalCode != "14270" || a.Town != "MEZIDON VALLEE D AUGE" {
					t.Errorf("guardian %d address %+v", c.ParentID, a)
				}
			}
			if len(cs) != 2 {
				t.Errorf("%d guardian contacts, want 2", len(cs))
			} else if cs[0].LastName != "ROCK" || cs[0].Rank != 1 || cs[1].LastName != "TRUC" || cs[1].Rank != 2 || cs[0].Denomination+cs[1].Denomination != "" {
				// NIVEAU_RESPONSABILITE does not rank: the order of the file.
				t.Errorf("guardian contacts %+v, want ROCK legal 1 then TRUC legal 2", cs)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		allUnchanged(t, resp())
		// One guardian's record rejected (no name): present, they stay
		// active, listed as left in place.
		broken := bytes.Replace(readFile(t, path), []byte("<NOM_DE_FAMILLE>ROCK</NOM_DE_FAMILLE>"), nil, 1)
		rep, err = e.im.Responsables(ctx, bytes.NewReader(broken), directory.Options{UAI: "0140070A", ConfirmOldFile: true, ConfirmMassDeactivation: true})
		if err != nil || rep.Status != directory.StatusAppliedWithRejects {
			t.Fatalf("broken record: %v, status %s", err, rep.Status)
		}
		if c := rep.Count(directory.KindParents); c.Deactivated != 0 || len(rep.LeftInPlace) != 1 || !strings.Contains(rep.LeftInPlace[0].Reason, "nom de famille absent") {
			t.Errorf("parents %+v, left in place %+v", c, rep.LeftInPlace)
		}
	})
}

func TestReferenceONDE(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment("0860001J", sillage.KindEcole)
		ctx := context.Background()
		onde := func(name string) (*directory.Report, error) {
			return e.im.ONDE(ctx, open(t, ref(t, "onde", "be1d_entcore_sample", name)), directory.Options{UAI: "0860001J", FileName: name, ConfirmOldFile: true})
		}
		rep := ok(t)(onde("CSVExtraction-eleves.csv"))
		if rep.FileYear != 2013 || !rep.YearEstimated {
			t.Errorf("the 2013 BE1D sample is estimated of year %d (estimated %v)", rep.FileYear, rep.YearEstimated)
		}
		want(t, rep, directory.KindStudents, 247, 0, 0, 0, 0)
		want(t, rep, directory.KindDivisions, 10, 0, 0, 0, 0)
		if len(rep.WithoutINE) != 247 || len(rep.Index.NewWaiting) != 0 {
			t.Errorf("BE1D has no INE: %d without INE, %d waiting", len(rep.WithoutINE), len(rep.Index.NewWaiting))
		}
		// No id in the file: the pupils are found again by their key.
		allUnchanged(t, ok(t)(onde("CSVExtraction-eleves.csv")))
		before := dump(t, st)
		_, err := onde("CSVExtraction-enseignants.csv")
		refused(t, st, before, err, "extraction des enseignants")
		_, err = onde("CSVExtraction-responsables.csv")
		refused(t, st, before, err, "extraction des responsables")
	})
}

func TestReferenceAAFSamples(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		aafRef := func(elem ...string) string { return ref(t, append([]string{"aaf"}, elem...)...) }
		// 2020: one student with a valid INE and a class, attached to
		// structure 1000, which only the operator's mapping names; its
		// structure 1 has UAI 0000000V (wrong letter).
		res := must(t)(e.aaf(func(o *directory.Options) {
			o.UAIMap = map[string]sillage.UAI{"0000000V": "0000000A", "1000": "0000000A"}
		}, aafRef("entcore-feeder-aaf-test-2020")))
		if len(res.Reports) != 1 || res.Reports[0].UAI != "0000000A" {
			t.Fatalf("reports %+v", res.Reports)
		}
		rep := res.Reports[0]
		want(t, rep, directory.KindStudents, 1, 0, 0, 0, 0)
		if len(rep.Index.NewWaiting) != 1 || rep.Relatives == nil || rep.Relatives.Missing != 2 || len(rep.Rejects) != 2 {
			t.Errorf("report %+v, relatives %+v", rep, rep.Relatives)
		}
		// Springboard: a student (a person in charge, not imported), two
		// teachers of class "1TES 2" without subject.
		res = must(t)(e.aaf(func(o *directory.Options) { o.UAIMap = map[string]sillage.UAI{"0123456Z": "0123456S"} }, aafRef("springboard-plugin-aaf-duplicates-test")))
		rep = res.Reports[0]
		want(t, rep, directory.KindStudents, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindTeachers, 2, 0, 0, 0, 0)
		want(t, rep, directory.KindServices, 2, 0, 0, 0, 0)
		if rep.Relatives.NotLegal != 1 || rep.Count(directory.KindParents).Created != 0 || strings.Join(rep.DivisionsCreated, ",") != "1TES 2" {
			t.Errorf("report %+v", rep)
		}
		// Positions 2024: the staff of structure 43 before and after.
		res = must(t)(e.aaf(func(o *directory.Options) { o.UAIMap = map[string]sillage.UAI{"0123456A": "0010856A"} }, aafRef("entcore-tests-positions-aaf-2024", "before")))
		rep = res.Reports[0]
		want(t, rep, directory.KindTeachers, 1, 0, 0, 0, 0)
		want(t, rep, directory.KindStaff, 1, 0, 0, 0, 0)
		res = must(t)(e.aaf(nil, aafRef("entcore-tests-positions-aaf-2024", "after")))
		if len(res.Reports) != 1 || res.Reports[0].UAI != "0010856A" {
			t.Fatalf("the after file's structure 43 is found through the first import: %+v", res.Reports)
		}
		rep = res.Reports[0]
		if c := rep.Count(directory.KindTeachers).Total() + rep.Count(directory.KindStaff).Total(); c != 3 || rep.Count(directory.KindTeachers).Created+rep.Count(directory.KindStaff).Created != 1 {
			t.Errorf("after: %+v %+v", rep.Count(directory.KindTeachers), rep.Count(directory.KindStaff))
		}
		// The other files of the folder are not AAF files: refused.
		before := dump(t, st)
		for _, p := range []string{
			aafRef("entcore-feeder-aaf-test", "ficAlimMENESR.dtd"),
			aafRef("entcore-feeder-aaf-test-2020", "importDirectories.json"),
			aafRef("entcore-feeder-config", "mod.json"),
			aafRef("entcore-feeder-config", "template.j2"),
			aafRef("gip-recia-restriction-rentree-api", "application.yml"),
			aafRef("entcore-feeder-mapping", "aaf", "Eleve.json"),
		} {
			_, err := e.aaf(nil, p)
			refused(t, st, before, err)
		}
		for _, d := range []string{aafRef("entcore-feeder-config"), aafRef("entcore-feeder-mapping", "aaf"), aafRef("entcore-feeder-mapping", "aaf1d")} {
			_, err := e.aaf(nil, d)
			refused(t, st, before, err, "aucun fichier AAF")
		}
	})
}
