package jobs

import (
	"context"

	"github.com/riverqueue/river"
)

// Other capabilities (the changeover) run their durable jobs on the same
// queue: whoever opens the queue gives their workers in Config.Extensions,
// and they enqueue through Insert.

// Extension is another capability's jobs: its kind, its French label (the
// operator's jobs page) and the function adding its worker.
type Extension struct {
	Kind  string
	Label string
	Add   func(*river.Workers)
}

// extensionLabel is the label of an extension's kind, if one has it.
func (q *Queue) extensionLabel(kind string) string {
	for _, e := range q.cfg.Extensions {
		if e.Kind == kind {
			return e.Label
		}
	}
	return ""
}

// Insert enqueues a job of a capability given in Config.Extensions.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	return q.insert(ctx, args, opts)
}
