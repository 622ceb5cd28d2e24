package directory_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// FuzzSIECLEImport feeds arbitrary students exports to the import of an
// establishment that already has students: a file the import refuses
// (malformed, another establishment, a mass deactivation held…) leaves
// the database exactly as it was, and nothing panics.
func FuzzSIECLEImport(f *testing.F) {
	for _, name := range []string{"siecle_0860012W_1.xml", "siecle_0860012W_2.xml", "siecle_0860012W_3.xml"} {
		data, err := os.ReadFile(testdata(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(bytes.ReplaceAll(data, []byte("0860012W"), []byte("0010856A")))
		f.Add(bytes.ReplaceAll(data, []byte("<DATE_SORTIE>"), []byte("<DATE_SORTIE>3")))
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "reference", "siecle", "fixtures_dossiersco", "eleves_avec_adresse_simple.xml")); err == nil {
		f.Add(data)
	}
	clock := &storetest.Clock{T: storetest.Epoch}
	st := storetest.Open(f, store.SQLite, clock)
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: scenarioUAI, Name: "Fuzz", Kind: sillage.KindLP})
	}); err != nil {
		f.Fatal(err)
	}
	im := &directory.Importer{Store: st, Keyring: testKeyring}
	seed, _ := os.ReadFile(testdata("siecle_0860012W_1.xml"))
	if _, err := im.SIECLE(ctx, bytes.NewReader(seed), directory.Options{UAI: scenarioUAI}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := dump(t, st)
		rep, err := im.SIECLE(ctx, bytes.NewReader(data), directory.Options{UAI: scenarioUAI})
		if err != nil {
			if after := dump(t, st); after != before {
				t.Fatalf("a refused import (%v) changed the database", err)
			}
			if sillage.KindOf(err) == sillage.KindInternal && !strings.Contains(err.Error(), "context") {
				t.Fatalf("internal error: %v", err)
			}
			return
		}
		if !rep.Status.Applied() {
			t.Fatalf("status %s without an error", rep.Status)
		}
	})
}

// FuzzPresence fuzzes the property of issue 11 point 1: for a complete
// file (SIECLE or ONDE) and any subset of its records made invalid (the
// fuzzer picks the records and the faults), no student the file names is
// deactivated, put in the transfer index, or moved when their record is
// rejected.
func FuzzPresence(f *testing.F) {
	f.Add(uint64(1), uint8(10), []byte{0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6}, false, false)
	f.Add(uint64(2), uint8(5), []byte{1, 1, 1, 1, 1}, false, true)
	f.Add(uint64(3), uint8(12), []byte{5, 0, 0, 6, 0, 0, 5}, true, false)
	f.Add(uint64(4), uint8(3), []byte{}, true, false)
	clock := &storetest.Clock{T: storetest.Epoch}
	st := storetest.Open(f, store.SQLite, clock)
	ctx := context.Background()
	for _, e := range []struct {
		uai  sillage.UAI
		kind sillage.EstablishmentKind
	}{{genLycee, sillage.KindLP}, {genEcole, sillage.KindEcole}} {
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: e.uai, Name: "Fuzz", Kind: e.kind})
		}); err != nil {
			f.Fatal(err)
		}
	}
	im := &directory.Importer{Store: st, Keyring: testKeyring}
	f.Fuzz(func(t *testing.T, seed uint64, size uint8, mask []byte, isONDE, structuresFirst bool) {
		n := 1 + int(size)%40
		r := rand.New(rand.NewPCG(seed, 7))
		g := genFile{uai: genLycee, year: 2025, students: genStudents(r, n), faults: map[int]fault{}, structuresFirst: structuresFirst}
		for i, b := range mask {
			if f := fault(b) % nFaults; i < n && f.applies(i, n, isONDE) {
				g.faults[i] = f
			}
		}
		next := g
		next.students = append([]genStudent(nil), g.students...)
		for i := range next.students {
			next.students[i].division = "N" + next.students[i].division
		}
		base := g
		base.faults = nil
		file := func(g genFile) []byte { return g.siecleXML() }
		run := im.SIECLE
		if isONDE {
			base.uai, next.uai = genEcole, genEcole
			file = func(g genFile) []byte { return g.ondeCSVOf() }
			run = im.ONDE
		}
		opts := directory.Options{UAI: base.uai}
		confirmed := opts
		confirmed.ConfirmMassDeactivation = true
		if _, err := run(ctx, bytes.NewReader(file(base)), confirmed); err != nil {
			t.Fatalf("base file: %v", err)
		}
		keys := make([]string, n)
		for i, s := range g.students {
			keys[i] = s.id
			if isONDE {
				keys[i] = ondeKeyOf(t, s.ine)
			}
		}
		before := snapshot(t, st, base.uai)
		rep, err := run(ctx, bytes.NewReader(file(next)), opts)
		checkPresence(t, before, snapshot(t, st, base.uai), keys, next.faults, rep, err)
	})
}

// fuzzStore opens a fresh SQLite store in a folder of its own: the fuzzing
// workers may be given the same t.TempDir name.
func fuzzStore(t *testing.T, clock *storetest.Clock) *store.Store {
	t.Helper()
	dir, err := os.MkdirTemp("", "sillage-fuzz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	st, err := store.Open(context.Background(), store.DSN{Kind: store.SQLite, Path: filepath.Join(dir, "sillage.db")}, store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fuzzBad picks the records made invalid from a mask and their way from
// kinds (two bits each).
func fuzzBad(n int, mask, kinds uint64, ways int) map[int]int {
	bad := map[int]int{}
	for i := 0; i < n && i < 64; i++ {
		if mask&(1<<i) != 0 {
			bad[i] = int(kinds>>(2*(i%32))&3) % ways
		}
	}
	return bad
}

// FuzzAAFRejectedKeepsPresent fuzzes rule 1 for AAF: a Complet of any size
// with any subset of its records made invalid (in any of the ways of
// aafBad*) deactivates no one it names, changes no rejected person and
// applies the valid records.
func FuzzAAFRejectedKeepsPresent(f *testing.F) {
	f.Add(uint8(3), uint8(1), uint64(0), uint64(0))
	f.Add(uint8(5), uint8(2), uint64(0b1010101), uint64(0xe4e4))
	f.Add(uint8(4), uint8(1), uint64(0b11111), uint64(0x1b))
	f.Fuzz(func(t *testing.T, students, staff uint8, mask, kinds uint64) {
		g := genAAF{join: "F1", uai: validUAI(t, "0900001"), students: 1 + int(students)%12, staff: int(staff) % 4}
		g.bad = fuzzBad(g.records(), mask, kinds, aafBadKinds)
		clock := &storetest.Clock{T: storetest.Epoch}
		checkAAFKeepsPresent(t, newEnv(t, fuzzStore(t, clock), clock), g)
	})
}

// FuzzSTSRejectedKeepsPresent fuzzes rule 1 for STS-web: any subset of the
// individuals and divisions made invalid deactivates no one the file names
// and keeps the services of what was rejected.
func FuzzSTSRejectedKeepsPresent(f *testing.F) {
	f.Add(uint8(3), uint64(0), uint64(0))
	f.Add(uint8(6), uint64(0b101100101), uint64(0x1e4))
	f.Add(uint8(2), uint64(0b11111), uint64(0xff))
	f.Fuzz(func(t *testing.T, individuals uint8, mask, kinds uint64) {
		g := genSTS{uai: validUAI(t, "0900001"), year: 2025, individuals: 1 + int(individuals)%10}
		g.bad = fuzzBad(g.individuals+stsNoDivisions, mask, kinds, stsBadKinds)
		for k := range stsDivisions {
			if _, ok := g.bad[g.individuals+k]; ok {
				g.bad[g.individuals+k] = stsMisspelt
			}
		}
		clock := &storetest.Clock{T: storetest.Epoch}
		e := newEnv(t, fuzzStore(t, clock), clock)
		e.stsSetup(g.uai)
		checkSTSKeepsPresent(t, e, g)
	})
}
