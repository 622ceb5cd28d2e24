package federation_test

import (
	"fmt"
	"testing"

	"github.com/sillage/sillage"
)

// BenchmarkFederatedTransfer is one federated transfer of a record of 150
// results (15 evaluations of 10 competences) and 5 files of 100 KB on 3
// sheets, A on SQLite and B on PostgreSQL when configured, over loopback
// HTTP: request, package, verification, import, receipt, deletion. It
// reports the bytes on the wire (both ways, bodies).
func BenchmarkFederatedTransfer(b *testing.B) {
	competences = 10
	defer func() { competences = 4 }()
	ka, kb := engines(b)
	a, d := pair(b, ka, kb)
	var wire int64
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		hash := fmt.Sprint("fed:bench", i)
		s := a.student("Léa", hash, sillage.TransferSettled, "")
		a.record(s, 15, 3, 5, 100_000)
		a.deactivate(s)
		to := d.student("Léa", hash, sillage.TransferNew, a.uai)
		a.wire.Store(0)
		b.StartTimer()
		rep := d.run()
		b.StopTimer()
		if rep.Imported != 1 || rep.Receipts != 1 {
			b.Fatalf("run: %+v", rep)
		}
		if c := d.counts(to.ID); c.Results != 150 || c.Files != 5 {
			b.Fatalf("B holds %+v", c)
		}
		wire += a.wire.Load()
		b.StartTimer()
	}
	b.ReportMetric(float64(wire)/float64(i), "bytes-on-wire/op")
}
