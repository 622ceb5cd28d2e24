package directory_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestRetryableFailpoints: an import whose transaction PostgreSQL aborts on
// a deadlock (store.Retryable) is run again by the importer, for every
// source. Aborted once, at a step in the middle or at the last one, the
// import succeeds and leaves what a run without failure leaves, its
// stored reports included (no counts of the failed attempt); aborted at
// every attempt, it is refused after three attempts and nothing is written.
func TestRetryableFailpoints(t *testing.T) {
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	storetest.Run(t, func(t *testing.T, _ *store.Store, _ *storetest.Clock) {
		kind := store.SQLite
		if strings.HasSuffix(t.Name(), "postgres") {
			kind = store.Postgres
		}
		for _, sc := range failpointScenarios() {
			t.Run(sc.name, func(t *testing.T) {
				// One AAF writer: the logins are allocated in the
				// establishment's transaction, and a failed attempt
				// leaves no gap in their numbering.
				prepare := func() *env {
					return sc.prepare(t, kind, func(im *directory.Importer) { directory.SetWriters(im, 1) })
				}
				ref := prepare()
				var steps []string
				ref.im.Failpoint = func(step string) error { steps = append(steps, step); return nil }
				if err := sc.target.run(ref); err != nil {
					t.Fatal(err)
				}
				want, wantReports := dump(t, ref.st), storedReports(t, ref.st)

				for _, k := range []int{len(steps) / 2, len(steps) - 1} {
					e := prepare()
					calls := 0
					e.im.Failpoint = func(step string) error {
						calls++
						if calls == k+1 {
							return deadlock
						}
						return nil
					}
					if err := sc.target.run(e); err != nil {
						t.Fatalf("aborted once at step %d (%s): %v", k, steps[k], err)
					}
					if calls <= len(steps) {
						t.Errorf("aborted once at step %d (%s): %d steps, want more than %d (the establishment run again)", k, steps[k], calls, len(steps))
					}
					if got := dump(t, e.st); got != want {
						t.Fatalf("aborted once at step %d (%s): the run differs from a clean one:\n%s", k, steps[k], firstDiff(got, want))
					}
					if got := storedReports(t, e.st); !slices.Equal(got, wantReports) {
						t.Fatalf("aborted once at step %d (%s): reports differ from a clean run's:\n%s", k, steps[k],
							firstDiff(strings.Join(got, "\n"), strings.Join(wantReports, "\n")))
					}
				}

				// Aborted at every attempt, at the last step of each
				// establishment's transaction.
				last := steps[len(steps)-1]
				ests := 0
				for _, s := range steps {
					if s == last {
						ests++
					}
				}
				e := prepare()
				before := dump(t, e.st)
				calls := 0
				e.im.Failpoint = func(step string) error {
					if step == last {
						calls++
						return deadlock
					}
					return nil
				}
				err := sc.target.run(e)
				if err == nil {
					t.Fatal("aborted at every attempt: import applied")
				}
				if !strings.HasPrefix(sc.name, "aaf") && !store.Retryable(err) {
					t.Errorf("aborted at every attempt: err = %v", err)
				}
				if calls != 3*ests {
					t.Errorf("aborted at every attempt: %d attempts for %d establishments, want 3 each", calls, ests)
				}
				if got := dump(t, e.st); got != before {
					t.Fatalf("aborted at every attempt: changes left:\n%s", firstDiff(got, before))
				}
			})
		}
	})
}

// storedReports are the import reports stored, as JSON without their
// identifiers, sorted.
func storedReports(t *testing.T, st *store.Store) []string {
	t.Helper()
	rows, err := st.SQLDB().Query(`SELECT report FROM import_reports`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			t.Fatal(err)
		}
		rep, err := directory.ParseReport([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		rep.ID = 0
		b, err := rep.JSON()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatal("no import report stored")
	}
	return out
}
