package ident

import (
	"fmt"
	"testing"
)

// BenchmarkUnqid measures the check and keyed hash of one INE, the work an
// import does per student.
func BenchmarkUnqid(b *testing.B) {
	kr, err := NewKeyring(map[int][]byte{1: testSecret(), 2: testSecret()})
	if err != nil {
		b.Fatal(err)
	}
	ines := make([]INE, 1000)
	for i := range ines {
		ines[i] = RawINE(fmt.Sprintf("999%06dHA", i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := kr.Unqid(ines[i%len(ines)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "unqids/s")
}
