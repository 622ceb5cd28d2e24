package jobs

import "context"

// SealLegacy exposes the hourly sealing of clear files to the tests.
func (q *Queue) SealLegacy(ctx context.Context) (int, error) { return q.sealLegacy(ctx) }
