package pdfdoc

import (
	"io"
	"testing"
	"time"
)

// BenchmarkSmallDocument is the cost of a one-page document: what a class
// archive or a credential list pays per file.
func BenchmarkSmallDocument(b *testing.B) {
	for b.Loop() {
		d := New("Classe 1SN", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
		d.Title("Évaluations de la classe")
		d.Table([]string{"Élève", "Niveau"}, []float64{0.7, 0.3}, [][]string{{"DURAND Léa", "Maîtrisé"}})
		if err := d.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
