package jobs

import "context"

// SealLegacy exposes the sealing of clear files to the tests (every call
// looks at every file, unlike the once-per-process sealLegacy).
func (q *Queue) SealLegacy(ctx context.Context) (int, error) { return q.sealLegacyFiles(ctx) }
