// Package blobtest gives the tests the S3-compatible object store that
// .ci/objectstore.sh starts (SILLAGE_TEST_S3_*), and a bucket of their own.
package blobtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Env reaches the tests' object store.
type Env struct {
	Endpoint, AccessKey, SecretKey, Region string
	TLS                                    bool
}

// S3 is the object store of the tests (SILLAGE_TEST_S3_*), without
// a bucket; false when there is none (a failure under SILLAGE_REQUIRE_S3=1).
func S3(tb testing.TB) (Env, bool) {
	tb.Helper()
	endpoint := os.Getenv("SILLAGE_TEST_S3_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("SILLAGE_REQUIRE_S3") == "1" {
			tb.Fatal("SILLAGE_REQUIRE_S3=1 but SILLAGE_TEST_S3_ENDPOINT is unset: run .ci/objectstore.sh")
		}
		return Env{}, false
	}
	return Env{
		Endpoint:  endpoint,
		AccessKey: os.Getenv("SILLAGE_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("SILLAGE_TEST_S3_SECRET_KEY"),
		Region:    os.Getenv("SILLAGE_TEST_S3_REGION"),
		TLS:       os.Getenv("SILLAGE_TEST_S3_TLS") == "1",
	}, true
}

// NewBucket creates a bucket for one test and removes it, with its
// objects, when the test ends.
func NewBucket(tb testing.TB, cfg Env) string {
	tb.Helper()
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.TLS, Region: cfg.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		tb.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	bucket := "sillage-test-" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
		tb.Fatalf("bucket %s: %v", bucket, err)
	}
	tb.Cleanup(func() {
		for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err == nil {
				c.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{})
			}
		}
		if err := c.RemoveBucket(ctx, bucket); err != nil {
			tb.Errorf("remove bucket %s: %v", bucket, err)
		}
	})
	return bucket
}
