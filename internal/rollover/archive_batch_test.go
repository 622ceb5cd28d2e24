package rollover_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// syncCounter counts the flushes of the file store: step 2 makes one per
// batch of archives, before the batch's rows are committed.
type syncCounter struct {
	blob.Store
	mu sync.Mutex
	n  int
}

func (s *syncCounter) Sync() error {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return s.Store.Sync()
}

// TestArchivesShareBatches: the class archives are recorded in the same
// batches as the students' (each one recorded alone cost a flush of the
// file system and a commit, during which the writers waited), so an
// establishment with fewer archives than a batch flushes once.
func TestArchivesShareBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 30)
		w.clock.T = at(N, time.July, 15, 8)
		w.run(N, rollover.StepPurge)
		sc := &syncCounter{Store: w.blobs}
		w.e.Blobs = sc
		w.clock.T = at(N, time.July, 16, 8)
		res := w.run(N, rollover.StepArchive)
		rep := res.Outcomes[0].Report
		classes, students := rep.Get("class_archives")+rep.Get("lsu_archives"), rep.Get("student_archives")
		if classes == 0 || students == 0 || classes+students > 64 {
			t.Fatalf("%d class and %d student archives: the test needs both, fewer than a batch", classes, students)
		}
		if sc.n != 1 {
			t.Errorf("%d flushes of the file store for %d class and %d student archives, want 1 (one batch)", sc.n, classes, students)
		}
	})
}
