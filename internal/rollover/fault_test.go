package rollover_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// failpoints are the checkpoints of every step.
var failpoints = []string{
	"step1.batch", "step1.finish",
	"step2.division", "step2.student", "step2.spaces", "step2.finish",
	"step3.pack", "step3.groups", "step3.delete", "step3.finish",
	"step4.import", "step4.retention", "step4.invite", "step4.finish",
	"step5.periods", "step5.finish",
}

var errInjected = errors.New("panne simulée")

// changeover runs the five steps of N on the calendar's dates. When a step
// fails for an establishment, it is run again (the failpoint fires once).
func (w *world) changeover() {
	w.t.Helper()
	dates := []time.Time{at(N, time.July, 15, 8), at(N, time.July, 16, 8), at(N, time.July, 17, 8), at(N, time.August, 17, 8), at(N, time.August, 25, 8)}
	files := map[sillage.UAI]string{}
	for i, s := range rollover.Steps {
		w.clock.T = dates[i]
		if s == rollover.StepDirectory {
			files = w.nextYearFiles(N)
		}
		req := rollover.Request{Year: N, Step: s, Files: files}
		res, err := w.e.Run(w.ctx, req)
		if err != nil {
			w.t.Fatal(err)
		}
		if res.Failed() {
			for _, o := range res.Outcomes {
				if o.Status == rollover.OutcomeFailed && !errors.Is(o.Err, errInjected) {
					w.t.Fatalf("step %d failed for %s: %v", s, o.UAI, o.Err)
				}
			}
			w.run(N, s, func(r *rollover.Request) { r.Files = files })
		}
	}
}

// stateDigest is the instance's state without what differs between two
// runs reaching the same result (identifiers of new rows, attempts).
func stateDigest(t testing.TB, st *store.Store) string {
	learning, _ := learningDigest(t, st)
	d, _ := digestQueries(t, st, map[string]string{
		"archives":   `SELECT uai, school_year, division_code, name, sha256, size FROM archives`,
		"docs":       `SELECT uai, student_id, kind, name, sha256, size, school_year, deleted_at FROM documents`,
		"persons":    `SELECT uai, role, siecle_id, last_name, first_name, deactivated_at, COALESCE((SELECT d.code FROM divisions d WHERE d.uai = p.uai AND d.id = p.division_id), '') FROM persons p`,
		"divisions":  `SELECT uai, school_year, code FROM divisions`,
		"groups":     `SELECT uai, label, kind, lifetime FROM groups`,
		"periods":    `SELECT uai, school_year, kind, idx, start_date, end_date FROM periods`,
		"settings":   `SELECT uai, key, value FROM settings`,
		"years":      `SELECT uai, closed_year, archived_year FROM year_states`,
		"spaces":     `SELECT uai, division_code, school_year, trashed_at FROM class_spaces`,
		"rights":     `SELECT r.uai, s.division_code, r.person_id, r.role FROM class_space_rights r JOIN class_spaces s ON s.uai = r.uai AND s.id = r.space_id`,
		"messages":   `SELECT uai, recipient_id, subject, body, created_at FROM messages`,
		"audit":      `SELECT uai, action, target, details FROM audit_log`,
		"imports":    `SELECT uai, source, school_year FROM import_reports`,
		"trash":      `SELECT uai, id FROM evaluations WHERE deleted_at IS NOT NULL UNION ALL SELECT uai, id FROM sheets WHERE deleted_at IS NOT NULL`,
		"credential": `SELECT uai, title FROM credential_lists`,
	})
	h := sha256.New()
	fmt.Fprintln(h, learning, d)
	// The report of step 4 names its import report by number.
	for _, l := range queryLines(t, st.SQLDB(), `SELECT uai, school_year, step, state, report, error FROM rollover_steps`) {
		fmt.Fprintln(h, reportID.ReplaceAllString(l, "n° _"))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

var reportID = regexp.MustCompile(`n° [0-9]+`)

func TestFaultInjection(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		// The reference: a run without failure.
		ref := newWorld(t, st, clock, 2, 40)
		ref.changeover()
		want := normalized(t, st)
		for _, point := range failpoints {
			t.Run(point, func(t *testing.T) {
				kind := st.Kind()
				c := &storetest.Clock{}
				st2 := storetest.Open(t, kind, c)
				w := newWorld(t, st2, c, 2, 40)
				var mu sync.Mutex
				fired := 0
				w.e.Failpoint = func(p string) error {
					mu.Lock()
					defer mu.Unlock()
					if p == point && fired == 0 {
						fired++
						return errInjected
					}
					return nil
				}
				w.changeover()
				if fired != 1 {
					t.Fatalf("failpoint %s never reached", point)
				}
				if got := normalized(t, st2); got != want {
					t.Fatalf("failure at %s then resumption: final state differs from a run without failure", point)
				}
			})
		}
	})
}

func normalized(t testing.TB, st *store.Store) string { return stateDigest(t, st) }

// TestCrashedRunIsTakenAgain: a run whose process died leaves its step
// "running" under a short lease nobody renews; another run is refused
// until the lease ends (30 seconds, not minutes), then resumes the step.
func TestCrashedRunIsTakenAgain(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 30)
		uai := w.uais[0]
		clock.T = at(N, time.July, 15, 8)
		// The dead process's claim.
		w.write(func(tx *store.Tx) error {
			ok, err := tx.Rollover().UpdateRolloverStepClaim(w.ctx, uai, N, 1, tx.Now().Add(rollover.DefaultLease), "operateur", "hôte-mort, processus 4242")
			if !ok {
				t.Fatal("claim not taken")
			}
			return err
		})
		o := w.e.RunOne(w.ctx, rollover.Request{Year: N, Step: rollover.StepPurge}, uai)
		if o.Status != rollover.OutcomeRefused || !strings.Contains(o.Message, "déjà en cours") || !strings.Contains(o.Message, "hôte-mort, processus 4242") ||
			!strings.Contains(o.Message, "30 secondes") {
			t.Fatalf("run during the lease: %+v", o)
		}
		clock.Advance(rollover.DefaultLease + time.Second)
		o = w.e.RunOne(w.ctx, rollover.Request{Year: N, Step: rollover.StepPurge}, uai)
		if o.Status != rollover.OutcomeDone {
			t.Fatalf("run after the lease: %+v", o)
		}
	})
}
