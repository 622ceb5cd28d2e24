package aaf

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/xmlfile"
)

// benchStudents is the size of the generated file of the benchmarks.
const benchStudents = 50_000

func generated(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := writeStudents(&buf, n); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// tokenOnly is the raw limit: the same decoder reading every token of the
// file and doing nothing else.
func tokenOnly(tb testing.TB, data []byte) time.Duration {
	tb.Helper()
	start := time.Now()
	d := xmlfile.NewDecoder(bytes.NewReader(data))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start)
}

func parseStudents(tb testing.TB, r io.Reader) int {
	n := 0
	_, err := Parse(r, func(req *Request) error {
		if _, err := DecodeStudent(req); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkParse parses and decodes a generated Complet file of 50,000
// students, and compares with the token-only rate of the same bytes,
// measured in each iteration (outside the timer) so that both see the same
// machine load.
func BenchmarkParse(b *testing.B) {
	data := generated(b, benchStudents)
	var raw time.Duration
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		raw += tokenOnly(b, data)
		b.StartTimer()
		if n := parseStudents(b, bytes.NewReader(data)); n != benchStudents {
			b.Fatalf("%d students", n)
		}
	}
	per := b.Elapsed() / time.Duration(b.N)
	rawPer := raw / time.Duration(b.N)
	b.ReportMetric(float64(benchStudents)/per.Seconds(), "records/s")
	b.ReportMetric(float64(len(data))/rawPer.Seconds()/1e6, "raw-MB/s")
	b.ReportMetric(rawPer.Seconds()/per.Seconds(), "ratio-to-raw")
}

// BenchmarkWrite writes the same file with the writer.
func BenchmarkWrite(b *testing.B) {
	students := make([]*Request, 1000)
	for i := range students {
		students[i] = genStudent(i).Request()
	}
	var size int64
	b.ReportAllocs()
	for b.Loop() {
		cw := &countWriter{}
		w := NewWriter(cw, CategoryStudent)
		for i := range benchStudents {
			if err := w.Write(students[i%len(students)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.SetBytes(size)
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(benchStudents)/per.Seconds(), "records/s")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// liveHeapWhileParsing streams n generated students through a pipe into
// the parser and returns the largest live heap seen while parsing.
func liveHeapWhileParsing(t *testing.T, n int) uint64 {
	t.Helper()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeStudents(pw, n)) }()
	var peak uint64
	var ms runtime.MemStats
	seen := 0
	_, err := Parse(pr, func(r *Request) error {
		if _, err := DecodeStudent(r); err != nil {
			return err
		}
		seen++
		if seen%(n/10) == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Fatalf("parsed %d of %d students", seen, n)
	}
	return peak
}

// TestParseMemoryDoesNotGrow parses 10,000 then 100,000 students streamed
// from the writer: the live heap must stay the same (one record at a
// time), where a parser holding its records would grow tenfold.
func TestParseMemoryDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 110,000 generated students")
	}
	small := liveHeapWhileParsing(t, 10_000)
	large := liveHeapWhileParsing(t, 100_000)
	t.Logf("live heap: %d KiB after 10k students, %d KiB after 100k", small>>10, large>>10)
	if large > small+1<<20 {
		t.Fatalf("live heap grew from %d KiB to %d KiB with the file size", small>>10, large>>10)
	}
}
