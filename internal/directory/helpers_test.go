package directory_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/sharedref"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/xmlfile"
)

// testKey is the instance key of the tests.
var testKeyring = func() ident.Keyring {
	kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		panic(err)
	}
	return kr
}()

// env is a store with an importer.
type env struct {
	t     *testing.T
	st    *store.Store
	clock *storetest.Clock
	im    *directory.Importer
}

func newEnv(t *testing.T, st *store.Store, clock *storetest.Clock) *env {
	t.Helper()
	return &env{t: t, st: st, clock: clock, im: &directory.Importer{Store: st, Keyring: testKeyring, TempDir: t.TempDir()}}
}

// establishment creates an establishment.
func (e *env) establishment(uai sillage.UAI, kind sillage.EstablishmentKind) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Établissement " + string(uai), Kind: kind})
	}); err != nil {
		e.t.Fatal(err)
	}
}

// open opens a file (plain or ZIP) for an import.
func open(t *testing.T, path string) *xmlfile.File {
	t.Helper()
	f, err := xmlfile.OpenFile(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func ref(t *testing.T, elem ...string) string {
	t.Helper()
	return sharedref.Path(t, elem...)
}

func testdata(name string) string { return filepath.Join("testdata", name) }

// siecle imports a SIECLE students file.
func (e *env) siecle(path string, uai sillage.UAI, mod ...func(*directory.Options)) (*directory.Report, error) {
	e.t.Helper()
	opts := directory.Options{UAI: uai, FileName: filepath.Base(path)}
	for _, m := range mod {
		m(&opts)
	}
	return e.im.SIECLE(context.Background(), open(e.t, path), opts)
}

func dryRun(o *directory.Options)  { o.DryRun = true }
func confirm(o *directory.Options) { o.ConfirmMassDeactivation = true }

// oldFile confirms a file of a past school year (the reference files are).
func oldFile(o *directory.Options) { o.ConfirmOldFile = true }

// ok fails the test on an import error: ok(t)(e.siecle(…)).
func ok(t *testing.T) func(*directory.Report, error) *directory.Report {
	return func(rep *directory.Report, err error) *directory.Report {
		t.Helper()
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if !rep.Status.Applied() && rep.Status != directory.StatusDryRun {
			t.Fatalf("status %s", rep.Status)
		}
		return rep
	}
}

// want checks the counts of a kind: created, updated, deactivated,
// reactivated, unchanged.
func want(t *testing.T, rep *directory.Report, kind string, c ...int) {
	t.Helper()
	got := rep.Count(kind)
	have := []int{got.Created, got.Updated, got.Deactivated, got.Reactivated, got.Unchanged}
	if fmt.Sprint(have) != fmt.Sprint(c) {
		t.Errorf("%s: created/updated/deactivated/reactivated/unchanged = %v, want %v", kind, have, c)
	}
}

// allUnchanged checks a second run of the same file changed nothing.
func allUnchanged(t *testing.T, rep *directory.Report) {
	t.Helper()
	if rep.Changed() {
		var b strings.Builder
		rep.WriteText(&b)
		t.Errorf("second import changed something:\n%s", b.String())
	}
}

// dump is every row of every table, in a canonical order, without the
// columns that differ between two runs of the same scenario (identifiers
// allocated from a sequence, hashes of the audit chain): two databases
// with the same dump hold the same data.
func dump(t *testing.T, st *store.Store) string {
	t.Helper()
	db := st.SQLDB()
	tables := tableNames(t, st)
	var out []string
	for _, table := range tables {
		if table == "goose_db_version" || table == "id_counter" {
			continue
		}
		rows, err := db.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString(table)
			for i, c := range cols {
				if c == "id" || strings.HasSuffix(c, "_id") || c == "hash" || c == "prev_hash" || c == "report" || c == "seq" || c == "login" {
					if vals[i] == nil {
						b.WriteString(" " + c + "=NULL")
					}
					continue
				}
				b.WriteString(fmt.Sprintf(" %s=%v", c, normalise(vals[i])))
			}
			lines = append(lines, b.String())
		}
		rows.Close()
		sort.Strings(lines)
		out = append(out, lines...)
	}
	return strings.Join(out, "\n")
}

// dumpOf is the dump of one establishment's rows in the tables with a uai
// column.
func dumpOf(t *testing.T, st *store.Store, uai sillage.UAI) string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(dump(t, st), "\n") {
		if strings.Contains(line, " uai="+string(uai)) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func normalise(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case int32:
		return int64(x)
	}
	return v
}

// tableNames lists the tables of the store's schema.
func tableNames(t *testing.T, st *store.Store) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if st.Kind() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := st.SQLDB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return names
}

// students returns the establishment's students by SIECLE id (or name).
func students(t *testing.T, st *store.Store, uai sillage.UAI) map[string]sillage.Student {
	t.Helper()
	ctx := context.Background()
	out := map[string]sillage.Student{}
	err := st.Read(ctx, func(tx *store.Tx) error {
		ss, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{})
		for _, s := range ss {
			key := s.SIECLEID
			if key == "" {
				key = s.FullName()
			}
			out[key] = s
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }
