package directory_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// logins lists each person's login, by establishment and AAF id: dump
// leaves logins out (they are allocated from instance-wide counters).
func logins(t *testing.T, st *store.Store) string {
	t.Helper()
	rows, err := st.SQLDB().Query(`SELECT p.uai, p.aaf_id, a.login FROM persons p JOIN accounts a ON a.id = p.account_id ORDER BY p.uai, p.aaf_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var uai, id, login string
		if err := rows.Scan(&uai, &id, &login); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %s\n", uai, id, login)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestAAFParallelWriters imports an académie whose establishments share
// every login base, writing two establishments at once (PostgreSQL) and
// one at a time: the databases are the same, logins and login counters
// included, and the reports come in the same order. Then a failure in one
// establishment, two being written: each establishment is whole or absent,
// and the import run again gives the same data (logins aside: the failed
// one's numbers may be skipped; the second run has its own reports and
// audit entries).
func TestAAFParallelWriters(t *testing.T) {
	dir := t.TempDir()
	writeAAFAcademy(t, dir, 5000)
	ctx := context.Background()
	run := func(kind store.Kind, writers int, fail func(string) error) (*store.Store, *directory.AAFResult, error) {
		st := storetest.Open(t, kind, &storetest.Clock{T: storetest.Epoch})
		im := &directory.Importer{Store: st, Keyring: testKeyring, TempDir: t.TempDir(), Failpoint: fail}
		directory.SetWriters(im, writers)
		res, err := im.AAF(ctx, []string{dir}, directory.Options{})
		return st, res, err
	}
	uais := func(res *directory.AAFResult) []sillage.UAI {
		var out []sillage.UAI
		for _, rep := range res.Reports {
			if rep.Status != directory.StatusApplied {
				t.Errorf("%s: %s %s", rep.UAI, rep.Status, rep.Message)
			}
			out = append(out, rep.UAI)
		}
		return out
	}
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			serial, sres, err := run(kind, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			parallel, pres, err := run(kind, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s, p := fmt.Sprint(uais(sres)), fmt.Sprint(uais(pres)); s != p || len(sres.Reports) != 5 {
				t.Fatalf("reports: %s, one at a time %s", p, s)
			}
			want, wantLogins := dump(t, serial), logins(t, serial)
			if got := dump(t, parallel); got != want {
				t.Fatalf("two writers differ from one:\n%s", firstDiff(got, want))
			}
			if got := logins(t, parallel); got != wantLogins {
				t.Fatalf("two writers give other logins:\n%s", firstDiff(got, wantLogins))
			}

			// A failure while two establishments are written.
			var mu sync.Mutex
			calls := 0
			injected := errors.New("panne injectée")
			failed, _, err := run(kind, 2, func(step string) error {
				mu.Lock()
				defer mu.Unlock()
				if step == "report" {
					calls++
					if calls == 2 {
						return injected
					}
				}
				return nil
			})
			if !errors.Is(err, injected) {
				t.Fatalf("err = %v", err)
			}
			whole, absent := 0, 0
			for _, uai := range uais(sres) {
				switch got := dumpOf(t, failed, uai); got {
				case dumpOf(t, serial, uai):
					whole++
				case "":
					absent++
				default:
					t.Fatalf("%s written in part:\n%s", uai, firstDiff(got, dumpOf(t, serial, uai)))
				}
			}
			if absent == 0 || whole < 1 {
				t.Fatalf("%d establishments whole, %d absent", whole, absent)
			}
			im := &directory.Importer{Store: failed, Keyring: testKeyring, TempDir: t.TempDir()}
			if _, err := im.AAF(ctx, []string{dir}, directory.Options{}); err != nil {
				t.Fatal(err)
			}
			drop := func(s string) string {
				var out []string
				for _, l := range strings.Split(s, "\n") {
					if !strings.HasPrefix(l, "login_counters ") && !strings.HasPrefix(l, "audit_") && !strings.HasPrefix(l, "import_reports ") {
						out = append(out, l)
					}
				}
				return strings.Join(out, "\n")
			}
			if got := drop(dump(t, failed)); got != drop(want) {
				t.Fatalf("after the failure, the run differs from a clean one:\n%s", firstDiff(got, drop(want)))
			}
		})
	}
}

// writeAAFPeople writes a Complet AAF set into dir: one establishment per
// name, each with one student of that name (first, last).
func writeAAFPeople(t *testing.T, dir string, names [][2]string) {
	t.Helper()
	write := func(cat aaf.Category, add func(w *aaf.Writer) error) {
		writeAAF(t, dir, fmt.Sprintf("TEST_Complet_20250825_%s_0000.xml", cat), cat, add)
	}
	write(aaf.CategoryStructure, func(w *aaf.Writer) error {
		for e := range names {
			id := strconv.Itoa(80000 + e)
			if err := w.Add(id, map[string][]string{aaf.AttrStructJoin: {id}, aaf.AttrUAI: {string(nthUAI(20000 + e))},
				aaf.AttrStructName: {"LYCEE " + id}, aaf.AttrStructType: {"LYCEE PROFESSIONNEL"}}); err != nil {
				return err
			}
		}
		return nil
	})
	write(aaf.CategoryStudent, func(w *aaf.Writer) error {
		for e, n := range names {
			es, id := strconv.Itoa(80000+e), strconv.Itoa(1_000_000+e)
			if err := w.Add(id, map[string][]string{aaf.AttrJoin: {id}, aaf.AttrSIECLEID: {strconv.Itoa(e)}, aaf.AttrINE: {fmt.Sprintf("%09dBA", 100_000_000+e)},
				aaf.AttrLastName: {n[1]}, aaf.AttrFirstName: {n[0]}, aaf.AttrBirthDate: {"14/09/2009"}, aaf.AttrCivility: {"M."},
				aaf.AttrStructures: {es}, aaf.AttrClasses: {es + "$2PRO01"}, aaf.AttrStudentMEF: {"24025510110"}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestAAFLoginReservationLockTimeout: while another transaction (a web
// import of one establishment) holds a login counter an establishment of
// the académie import needs, that establishment's reservation waits a
// bounded time, a bounded number of times, then the establishment is
// refused with a French message and nothing of it is written; the others
// are imported. Run again once the counter is free, it is imported.
func TestAAFLoginReservationLockTimeout(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			if kind != store.Postgres {
				t.Skip("SQLite writes one establishment at a time, and reserves its logins in its own transaction: no reservation connection waits")
			}
			dir := t.TempDir()
			writeAAFPeople(t, dir, [][2]string{{"Léa", "Martin"}, {"Hugo", "Bernard"}, {"Jade", "Thomas"}})
			st := storetest.Open(t, kind, &storetest.Clock{T: storetest.Epoch})
			// The counter exists: a Hugo Bernard has an account elsewhere.
			if err := st.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Imports().AllocateLogins(ctx, []string{"hugo.bernard"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			release := storetest.Hold(t, st, func(tx *store.Tx) error {
				_, err := tx.Imports().LockLoginCounters(ctx, []string{"hugo.bernard"})
				return err
			})
			im := &directory.Importer{Store: st, Keyring: testKeyring, TempDir: t.TempDir()}
			directory.SetWriters(im, 2)
			directory.SetLoginLockTimeout(im, 200*time.Millisecond)
			// Without a bound, the import would wait for as long as the
			// other transaction lasts: here, until this deadline.
			runCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			start := time.Now()
			res, err := im.AAF(runCtx, []string{dir}, directory.Options{})
			if herr := release(); herr != nil {
				t.Fatalf("holder: %v", herr)
			}
			if err != nil {
				t.Fatalf("import: %v (after %s)", err, time.Since(start))
			}
			if len(res.Reports) != 3 {
				t.Fatalf("%d reports", len(res.Reports))
			}
			for i, rep := range res.Reports {
				want := directory.StatusApplied
				if i == 1 {
					want = directory.StatusRefused
				}
				if rep.Status != want {
					t.Fatalf("%s: %s %q, want %s", rep.UAI, rep.Status, rep.Message, want)
				}
			}
			refused := res.Reports[1]
			if !strings.Contains(refused.Message, "identifiants de connexion") || !strings.Contains(refused.Message, "rien n'a été enregistré") {
				t.Fatalf("message: %q", refused.Message)
			}
			if got := dumpOf(t, st, refused.UAI); got != "" {
				t.Fatalf("refused establishment written:\n%s", got)
			}
			if got := logins(t, st); strings.Contains(got, "hugo") {
				t.Fatalf("logins:\n%s", got)
			}

			// Run again, the counter free: imported, the others unchanged.
			res, err = im.AAF(ctx, []string{dir}, directory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i, rep := range res.Reports {
				created := rep.Count(directory.KindStudents).Created
				if rep.Status != directory.StatusApplied || created != map[bool]int{true: 1, false: 0}[i == 1] {
					t.Fatalf("again: %s %s %q, %d created", rep.UAI, rep.Status, rep.Message, created)
				}
			}
			if got := logins(t, st); !strings.Contains(got, " hugo.bernard2\n") {
				t.Fatalf("logins:\n%s", got)
			}
		})
	}
}

// TestAAFDeltaLookupsBatched: a Delta that modifies every student and
// every relative of an académie, and deletes a teacher, finds where each
// person already is in a few queries (500 persons each), not one per
// record; the modifications reach every establishment.
func TestAAFDeltaLookupsBatched(t *testing.T) {
	ctx := context.Background()
	const students = 1200 // two establishments
	dir := t.TempDir()
	writeAAFAcademy(t, dir, students)
	delta := t.TempDir()
	write := func(cat aaf.Category, add func(w *aaf.Writer) error) {
		writeAAF(t, delta, fmt.Sprintf("BENCH_Delta_20250910_%s_0000.xml", cat), cat, add)
	}
	relatives := 0
	write(aaf.CategoryStudent, func(w *aaf.Writer) error {
		for i := 0; i < students; i++ {
			e := strconv.Itoa(80000 + i/1000)
			if err := w.Modify(strconv.Itoa(1_000_000+i), map[string][]string{aaf.AttrClasses: {fmt.Sprintf("%s$2PRO%02d", e, ((i%1000)/30+1)%34)}}); err != nil {
				return err
			}
		}
		return nil
	})
	write(aaf.CategoryRelative, func(w *aaf.Writer) error {
		for p := 0; p < 2*students; p++ {
			id := strconv.Itoa(5_000_000 + p)
			if err := w.Modify(id, map[string][]string{aaf.AttrEmail: {"autre" + id + "@example.org"}}); err != nil {
				return err
			}
			relatives++
		}
		return nil
	})
	write(aaf.CategoryStaff, func(w *aaf.Writer) error { return w.Delete("9000000") })
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			st := storetest.Open(t, kind, &storetest.Clock{T: storetest.Epoch})
			im := &directory.Importer{Store: st, Keyring: testKeyring, TempDir: t.TempDir()}
			if _, err := im.AAF(ctx, []string{dir}, directory.Options{}); err != nil {
				t.Fatal(err)
			}
			before := directory.AAFLookups(im)
			res, err := im.AAF(ctx, []string{delta}, directory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// Students and staff: one batch per 500 records of a file;
			// relatives: one per hash bucket at least.
			if n, most := directory.AAFLookups(im)-before, int64(students/500+1+1+relatives/500+64); n > most {
				t.Fatalf("%d lookups for %d records, want at most %d", n, students+relatives+1, most)
			}
			var modified, parents, deactivated int
			for _, rep := range res.Reports {
				if rep.Status != directory.StatusApplied {
					t.Fatalf("%s: %s %s", rep.UAI, rep.Status, rep.Message)
				}
				modified += rep.Count(directory.KindStudents).Updated
				parents += rep.Count(directory.KindParents).Updated
				deactivated += rep.Count(directory.KindTeachers).Deactivated
			}
			if len(res.Reports) != 2 || modified != students || parents == 0 || deactivated != 1 {
				t.Fatalf("%d reports, %d students modified, %d relatives modified, %d teachers deactivated", len(res.Reports), modified, parents, deactivated)
			}
		})
	}
}
