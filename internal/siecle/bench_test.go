package siecle

import (
	"bytes"
	"io"
	"testing"

	"github.com/sillage/sillage/internal/xmlfile"
)

// benchStudents is the size of the import benchmark's file.
const benchStudents = 2000

func benchFile(b *testing.B, zipped bool) []byte {
	b.Helper()
	var buf bytes.Buffer
	write := WriteStudents
	if zipped {
		write = WriteStudentsZip
	}
	if err := write(&buf, synthFile(benchStudents)); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecodeStudents measures the decoding alone (DecodeOnly) of a
// generated 2,000-student ElevesSansAdresses.xml: MB/s of XML and students/s.
func BenchmarkDecodeStudents(b *testing.B) {
	data := benchFile(b, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	students := 0
	for b.Loop() {
		n, err := DecodeOnly(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if n != benchStudents {
			b.Fatalf("%d students decoded, want %d", n, benchStudents)
		}
		students += n
	}
	b.ReportMetric(float64(students)/b.Elapsed().Seconds(), "students/s")
}

// BenchmarkDecodeStudentsZip adds what a real import does first: open the
// ZIP and inflate. MB/s counts the compressed bytes.
func BenchmarkDecodeStudentsZip(b *testing.B) {
	data := benchFile(b, true)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	students := 0
	for b.Loop() {
		rc, err := xmlfile.Open(bytes.NewReader(data), int64(len(data)), 0)
		if err != nil {
			b.Fatal(err)
		}
		n, err := DecodeOnly(rc)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		students += n
	}
	b.ReportMetric(float64(students)/b.Elapsed().Seconds(), "students/s")
}

// BenchmarkReadStudents measures the in-memory join on top of the decoding.
func BenchmarkReadStudents(b *testing.B) {
	data := benchFile(b, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	students := 0
	for b.Loop() {
		f, err := ReadStudents(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		students += len(f.Students)
	}
	b.ReportMetric(float64(students)/b.Elapsed().Seconds(), "students/s")
}

// BenchmarkWriteStudents measures the writer the demo generator uses.
func BenchmarkWriteStudents(b *testing.B) {
	f := synthFile(benchStudents)
	var buf bytes.Buffer
	b.ReportAllocs()
	students := 0
	for b.Loop() {
		buf.Reset()
		if err := WriteStudents(&buf, f); err != nil {
			b.Fatal(err)
		}
		students += len(f.Students)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportMetric(float64(students)/b.Elapsed().Seconds(), "students/s")
}

// BenchmarkTokenizeOnly is the floor under BenchmarkDecodeStudents: the
// same file read token by token by the bare decoder, with no record built.
// The gap between the two is the cost of this package.
func BenchmarkTokenizeOnly(b *testing.B) {
	data := benchFile(b, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := xmlfile.NewDecoder(bytes.NewReader(data))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
