package jobs

import (
	"context"
	"sync"

	"github.com/riverqueue/river"
)

// Other capabilities (the changeover) run their durable jobs on the same
// queue: they register their workers before the queue is opened, and
// enqueue through Insert.

// Extension is another capability's jobs: its kind, its French label (the
// operator's jobs page) and the function adding its worker.
type Extension struct {
	Kind  string
	Label string
	Add   func(*river.Workers)
}

var (
	extMu      sync.Mutex
	extensions []Extension
)

// Register adds a capability's worker to every queue opened afterwards
// (call it from an init function).
func Register(e Extension) {
	extMu.Lock()
	defer extMu.Unlock()
	extensions = append(extensions, e)
}

func addExtensions(w *river.Workers) {
	extMu.Lock()
	defer extMu.Unlock()
	for _, e := range extensions {
		e.Add(w)
	}
}

func extensionLabel(kind string) (string, bool) {
	extMu.Lock()
	defer extMu.Unlock()
	for _, e := range extensions {
		if e.Kind == kind {
			return e.Label, true
		}
	}
	return "", false
}

// Insert enqueues a job of a registered capability.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	return q.insert(ctx, args, opts)
}
