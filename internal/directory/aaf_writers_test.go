package directory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sillage/sillage"
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
