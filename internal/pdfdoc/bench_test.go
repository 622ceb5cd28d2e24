package pdfdoc

import (
	"io"
	"testing"
	"time"
)

// BenchmarkSmallDocument is the cost of a one-page document: what a class
// archive or a credential list pays per file, with the Go fonts (default),
// the standard faces, and the standard faces uncompressed (as the archives
// write their class PDF into a deflated ZIP entry).
func BenchmarkSmallDocument(b *testing.B) {
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"go-fonts", Options{}},
		{"standard", Options{StandardFonts: true}},
		{"standard-uncompressed", Options{StandardFonts: true, Uncompressed: true}},
		{"go-fonts-uncompressed", Options{Uncompressed: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := NewWith("Classe 1SN", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), c.opts)
				d.Title("Évaluations de la classe")
				d.Table([]string{"Élève", "Niveau"}, []float64{0.7, 0.3}, [][]string{{"DURAND Léa", "Maîtrisé"}})
				if err := d.Write(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
