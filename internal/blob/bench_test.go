package blob

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// BenchmarkPutDeferredSync is the file side of the changeover's archives:
// a batch of 64 archives of 16 KiB written without sync, then one Sync
// before their rows are committed.
func BenchmarkPutDeferredSync(b *testing.B) {
	s, err := Open(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	buf := make([]byte, 16<<10)
	var n uint64
	for b.Loop() {
		for range 64 {
			n++
			binary.LittleEndian.PutUint64(buf, n) // a new file each time
			if _, err := s.PutDeferred(bytes.NewReader(buf)); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*64), "µs/file")
}
