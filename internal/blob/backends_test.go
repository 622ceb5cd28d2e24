package blob

import (
	"context"
	"os"
	"testing"

	"github.com/sillage/sillage/internal/blob/blobtest"
)

// backend is one implementation of Store the same tests run against.
type backend struct {
	name  string
	open  func(t *testing.T, maxSize int64) Store
	temps func(t *testing.T, s Store) int // temporary files left by this store
}

// forEachBackend runs test against the local store and, when
// SILLAGE_TEST_S3_ENDPOINT is set (.ci/objectstore.sh), against a real
// S3-compatible object store, in a bucket of its own.
// SILLAGE_REQUIRE_S3=1 makes a missing object store a failure.
func forEachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	local := backend{
		name: "local",
		open: func(t *testing.T, maxSize int64) Store {
			s, err := Open(t.TempDir(), maxSize)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		temps: func(t *testing.T, s Store) int { return countDir(t, s.(*Local).scratch.Path) },
	}
	t.Run(local.name, func(t *testing.T) { test(t, local) })
	env, ok := blobtest.S3(t)
	if !ok {
		return
	}
	cfg := S3Config{Endpoint: env.Endpoint, AccessKey: env.AccessKey, SecretKey: env.SecretKey, Region: env.Region, TLS: env.TLS}
	s3 := backend{
		name: "s3",
		open: func(t *testing.T, maxSize int64) Store {
			c := cfg
			c.Bucket = blobtest.NewBucket(t, env)
			s, err := OpenS3(context.Background(), c, t.TempDir(), maxSize)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		temps: func(t *testing.T, s Store) int { return countDir(t, s.(*S3).scratch.Path) },
	}
	t.Run(s3.name, func(t *testing.T) { test(t, s3) })
}

func countDir(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
