package transfer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// movers builds n students leaving A for B (half) and C (half).
func movers(t *testing.T, st *store.Store, clock *storetest.Clock, n int) *world {
	w := newWorld(t, st, clock)
	stay := w.student(uaiA, "Zoé", "Petit", "v1:ZOE", diplomaMELEC)
	for i := 0; i < n; i++ {
		s := w.student(uaiA, fmt.Sprintf("Élève%d", i), "Mobile", fmt.Sprintf("v1:M%d", i), diplomaMELEC)
		w.record(uaiA, s, stay)
		w.deactivate(uaiA, s)
		dest := uaiB
		if i%2 == 1 {
			dest = uaiC
		}
		w.arrival(dest, s.FirstName, s.LastName, s.Unqid, diplomaMELEC)
	}
	return w
}

// checkOnce proves each mover was transferred exactly once.
func checkOnce(t *testing.T, st *store.Store, n int, reports ...*transfer.Report) {
	t.Helper()
	moved := map[int64]int{}
	for _, r := range reports {
		for _, m := range r.Transferred {
			moved[m.OriginStudentID]++
		}
	}
	if len(moved) != n {
		t.Errorf("%d students moved, want %d", len(moved), n)
	}
	for id, k := range moved {
		if k != 1 {
			t.Errorf("student %d moved %d times", id, k)
		}
	}
	db := st.SQLDB()
	var evals, done, results int
	if err := db.QueryRow(`SELECT COUNT(*) FROM evaluations WHERE origin_uai <> ''`).Scan(&evals); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`SELECT COUNT(*) FROM transfer_log WHERE done`).Scan(&done)
	db.QueryRow(`SELECT COUNT(*) FROM results r JOIN evaluations e ON e.uai = r.uai AND e.id = r.evaluation_id WHERE e.origin_uai <> ''`).Scan(&results)
	if evals != 2*n || done != n || results != 8*n {
		t.Errorf("copies: %d evaluations, %d results, %d log lines; want %d, %d, %d", evals, results, done, 2*n, 8*n, n)
	}
}

// TestConcurrentRuns runs two transfers at once through two separate
// stores on the same database: no student is transferred twice.
func TestConcurrentRuns(t *testing.T) {
	const n = 12
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			clock := &storetest.Clock{T: storetest.Epoch}
			dsn := storetest.DSN(t, kind)
			open := func() *store.Store {
				st, err := store.Open(context.Background(), dsn, store.Options{Clock: clock})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			st1, st2 := open(), open()
			movers(t, st1, clock, n)
			var wg sync.WaitGroup
			reports := make([]*transfer.Report, 2)
			errs := make([]error, 2)
			for i, st := range []*store.Store{st1, st2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// One run moves students one by one, the other in batches
					// of three: their claims interleave.
					reports[i], errs[i] = transfer.Run(context.Background(), st, transfer.Options{BatchSize: 1 + 2*i})
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			checkOnce(t, st1, n, reports...)
			t.Logf("run 1: %d moved, %d skipped; run 2: %d moved, %d skipped", len(reports[0].Transferred), reports[0].Skipped,
				len(reports[1].Transferred), reports[1].Skipped)
		})
	}
}

// The helper process: the test binary run again by the tests below, on the
// database named by the environment; it runs a transfer and prints the
// report, or dies at a step.
func TestHelperProcess(t *testing.T) {
	dsn := os.Getenv("SILLAGE_TRANSFER_HELPER_DSN")
	if dsn == "" {
		t.Skip("helper process only")
	}
	d, err := store.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	clock := &storetest.Clock{T: storetest.Epoch}
	if now := os.Getenv("SILLAGE_TRANSFER_HELPER_NOW"); now != "" {
		if clock.T, err = time.Parse(time.RFC3339, now); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(context.Background(), d, store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	o := transfer.Options{}
	if step := os.Getenv("SILLAGE_TRANSFER_HELPER_CRASH"); step != "" {
		o.Failpoint = func(s string) error {
			if s == step {
				os.Exit(7) // dies mid-transaction: no rollback, no cleanup
			}
			return nil
		}
	}
	rep, err := transfer.Run(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	json.NewEncoder(os.Stdout).Encode(rep)
}

func helper(t *testing.T, dsn store.DSN, crash string) *exec.Cmd {
	url := "sqlite:" + dsn.Path
	if dsn.Kind == store.Postgres {
		url = dsn.URL
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SILLAGE_TRANSFER_HELPER_DSN="+url, "SILLAGE_TRANSFER_HELPER_CRASH="+crash)
	return cmd
}

// TestTwoProcesses runs two transfer processes at once on the same database.
func TestTwoProcesses(t *testing.T) {
	const n = 12
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			clock := &storetest.Clock{T: storetest.Epoch}
			dsn := storetest.DSN(t, kind)
			st, err := store.Open(context.Background(), dsn, store.Options{Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			movers(t, st, clock, n)
			cmds := []*exec.Cmd{helper(t, dsn, ""), helper(t, dsn, "")}
			outs := make([][]byte, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, c := range cmds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					outs[i], errs[i] = c.Output()
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("process %d: %v\n%s", i, err, outs[i])
				}
			}
			var reports []*transfer.Report
			for i, out := range outs {
				var rep transfer.Report
				if err := json.Unmarshal(firstJSON(out), &rep); err != nil {
					t.Fatalf("process %d: %v\n%s", i, err, out)
				}
				reports = append(reports, &rep)
			}
			checkOnce(t, st, n, reports...)
			t.Logf("process 1: %d moved; process 2: %d moved", len(reports[0].Transferred), len(reports[1].Transferred))
		})
	}
}

// firstJSON cuts the JSON line out of a test binary's output.
func firstJSON(out []byte) []byte {
	for i, c := range out {
		if c == '{' {
			for j := i; j < len(out); j++ {
				if out[j] == '\n' {
					return out[i:j]
				}
			}
			return out[i:]
		}
	}
	return out
}

// TestCrashMidTransfer kills a process in the middle of a transfer's
// transaction (and once right after its commit); a new run completes the
// work and the instance equals one that never crashed.
func TestCrashMidTransfer(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			clock := &storetest.Clock{}
			ref := faultScenario(t, storetest.Open(t, kind, clock), clock)
			ref.run(transfer.Options{})
			want := ref.state()
			for _, step := range []string{transfer.StepClaim, transfer.StepResults, transfer.StepOrigin, transfer.StepAudit, transfer.StepCommitted} {
				t.Run(step, func(t *testing.T) {
					clock := &storetest.Clock{}
					dsn := storetest.DSN(t, kind)
					st, err := store.Open(context.Background(), dsn, store.Options{Clock: clock})
					if err != nil {
						t.Fatal(err)
					}
					defer st.Close()
					w := faultScenario(t, st, clock)
					cmd := helper(t, dsn, step)
					cmd.Env = append(cmd.Env, "SILLAGE_TRANSFER_HELPER_NOW="+clock.T.Format("2006-01-02T15:04:05Z"))
					out, err := cmd.CombinedOutput()
					if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
						t.Fatalf("the process did not die at %s: %v\n%s", step, err, out)
					}
					w.run(transfer.Options{})
					if got := w.state(); got != want {
						t.Fatalf("after a crash at %s:\n%s", step, diffLines(want, got))
					}
				})
			}
		})
	}
}
