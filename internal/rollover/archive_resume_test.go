package rollover_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestArchiveResumeAfterCommittedBatches: step 2 failing after some of an
// establishment's archive batches were committed (more archives than one
// batch holds), then run again, records each class, LSU and student archive
// exactly once, with one checkpoint each, and its report counts them once.
// The fault-injection test's worlds fit in one batch, so there a failure
// always rolls everything back.
func TestArchiveResumeAfterCommittedBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 150 students")
	}
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 150)
		w.clock.T = at(N, time.July, 15, 8)
		w.run(N, rollover.StepPurge)
		w.clock.T = at(N, time.July, 16, 8)
		hits := 0
		w.e.Failpoint = func(p string) error {
			if p == "step2.student" {
				hits++
				if hits == 2 {
					return errInjected
				}
			}
			return nil
		}
		res, err := w.e.Run(w.ctx, rollover.Request{Year: N, Step: rollover.StepArchive})
		if err != nil {
			t.Fatal(err)
		}
		if hits < 2 || !res.Failed() || !errors.Is(res.Outcomes[0].Err, errInjected) {
			t.Fatalf("the second batch did not fail (%d batches): %+v", hits, res.Outcomes[0])
		}
		db := st.SQLDB()
		var before int
		if err := db.QueryRow(`SELECT COUNT(*) FROM documents WHERE kind = 'archive'`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		if before == 0 {
			t.Fatal("nothing committed before the failure: the test does not test a resume")
		}
		w.e.Failpoint = nil
		rep := w.run(N, rollover.StepArchive).Outcomes[0].Report
		var archives, names, docs, students, checkpoints int
		db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT name) FROM archives`).Scan(&archives, &names)
		db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT student_id) FROM documents WHERE kind = 'archive'`).Scan(&docs, &students)
		db.QueryRow(`SELECT COUNT(*) FROM rollover_checkpoints WHERE step = 2 AND (item LIKE 'division:%' OR item LIKE 'student:%' OR item = 'lsu')`).Scan(&checkpoints)
		t.Logf("%d student archives before the failure; after: %d archives, %d student archives, %d checkpoints", before, archives, docs, checkpoints)
		if archives == 0 || docs != 150 || students != docs || names != archives || checkpoints != archives+docs {
			t.Errorf("after the resume: %d archives (%d names), %d student archives (%d students), %d checkpoints; want 150 students once each",
				archives, names, docs, students, checkpoints)
		}
		if int64(archives) != rep.Get("class_archives")+rep.Get("lsu_archives") || int64(docs) != rep.Get("student_archives") {
			t.Errorf("report: %d class, %d LSU, %d student archives; recorded %d and %d",
				rep.Get("class_archives"), rep.Get("lsu_archives"), rep.Get("student_archives"), archives, docs)
		}
	})
}
