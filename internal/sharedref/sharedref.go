// Package sharedref locates the real national files of ../shared/reference
// for tests, which read them in place (they are never copied into the
// repository).
package sharedref

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the absolute path of shared/reference, found beside the
// repository root. When it is absent the test is skipped, or fails when the
// CI variable is set: in CI nothing may be skipped silently.
func Root(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/internal/sharedref/sharedref.go.
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	dir := filepath.Join(filepath.Dir(repo), "shared", "reference")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") != "" {
			tb.Fatalf("reference files not found at %s (required in CI)", dir)
		}
		tb.Skipf("reference files not found at %s", dir)
	}
	return dir
}

// Path returns the path of a file under shared/reference, failing the test
// when that file is missing although the folder is present.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Root(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("reference file: %v", err)
	}
	return p
}
