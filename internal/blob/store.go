package blob

import (
	"context"
	"io"
	"io/fs"
	"time"
)

// Store is a content-addressed file store: each file is named by its
// SHA-256, written whole or not at all, bounded in size, and removed only
// by the collector (after a grace period) or by RemoveIfUnreferenced. Two
// implementations: Local (a folder) and S3 (a bucket of an S3-compatible
// object store, which several servers share).
type Store interface {
	// Put stores the content of r, durably, and returns its reference;
	// storing the same content twice keeps one copy. Content over MaxSize
	// is refused (KindInvalid, ErrTooLarge) and nothing is stored.
	Put(r io.Reader) (Ref, error)
	// PutDeferred is Put whose durability may wait for the next Sync.
	PutDeferred(r io.Reader) (Ref, error)
	// Sync makes durable what PutDeferred wrote since the last Sync.
	Sync() error
	// Open returns the blob's content; KindNotFound when it is not stored
	// or sum is not a SHA-256 in lowercase hex.
	Open(sum string) (File, error)
	// Has reports whether the blob is stored.
	Has(sum string) bool
	// RemoveIfUnreferenced removes one blob at once unless referenced says
	// a row still refers to it, and reports whether it removed one.
	RemoveIfUnreferenced(sum string, referenced func(sum string) (bool, error)) (bool, error)
	// Collect removes the blobs refs lacks that were last written before
	// olderThan.
	Collect(ctx context.Context, refs map[string]bool, olderThan time.Time) (CollectReport, error)
	// Check tells whether the store can take new data now (minFree: the
	// least free room of the local folder where files are written first).
	Check(minFree int64) error
	// MaxSize is the largest file Put accepts.
	MaxSize() int64
	// Close releases the store.
	Close() error
}

// File is an open blob: read in sequence or at offsets; Stat gives its size.
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	Stat() (fs.FileInfo, error)
}

var (
	_ Store = (*Local)(nil)
	_ Store = (*S3)(nil)
)
