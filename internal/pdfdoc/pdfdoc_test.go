package pdfdoc

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func render(t *testing.T) []byte {
	t.Helper()
	d := New("Dossier de Léa Œuvray", time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC))
	d.Title("Livret de compétences — 1re PRO SN")
	d.Heading("Évaluations")
	d.Field("Élève", "ŒUVRAY Léa")
	d.Table([]string{"Compétence", "Niveau"}, []float64{0.7, 0.3}, [][]string{
		{"C1 — S'informer sur l'intervention (coût : 12 €)", "Maîtrisé"},
		{strings.Repeat("long libellé ", 30), "Très bien maîtrisé"},
	})
	for i := 0; i < 80; i++ {
		d.Para("Ligne de texte pour forcer un saut de page.")
	}
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterministicPDF(t *testing.T) {
	a, b := render(t), render(t)
	if !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", a[:8])
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the same content gave two different PDFs")
	}
	if n := bytes.Count(a, []byte("/Type /Page")) - bytes.Count(a, []byte("/Type /Pages")); n < 2 {
		t.Fatalf("%d pages, want at least 2", n)
	}
}

// TestDateInSchoolZone: the stamp is the schools' day. 23:30 UTC on 28
// March 2026 is already 00:30 on the 29th in Paris (the night the clocks go
// forward), so a UTC stamp would be a day off.
func TestDateInSchoolZone(t *testing.T) {
	d := New("Essai", time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC))
	d.Para("Texte")
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !HasText(buf.Bytes(), "Édité le 29/03/2026") || HasText(buf.Bytes(), "28/03/2026") {
		t.Fatal("the PDF is not stamped with the day in Paris, 29/03/2026")
	}
}

// TestPages: Pages finds every page, in order, each with its own text.
func TestPages(t *testing.T) {
	pdf := render(t)
	pages := Pages(pdf)
	if n := bytes.Count(pdf, []byte("/Type /Page\n")); len(pages) != n || n < 2 {
		t.Fatalf("%d pages found, the document has %d", len(pages), n)
	}
	if !PageHasText(pages[0], "Livret de compétences") || PageHasText(pages[1], "Livret de compétences") {
		t.Fatal("the title is not on the first page only")
	}
	if !PageHasText(pages[1], "page 2/") {
		t.Fatal("the second page's footer is not on the second page")
	}
}

// TestBeyondBMP: a character beyond U+FFFF (an emoji typed in a comment, a
// rare ideograph of a name) no longer makes the document fail: it is
// written as U+FFFD and the rest of the text stays. U+10000 itself
// panicked in fpdf's width lookup.
func TestBeyondBMP(t *testing.T) {
	for _, opts := range []Options{{}, {StandardFonts: true}} {
		d := NewWith("Dossier de 𠮷田 Léa 😀", time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), opts)
		d.Title("Élève 𠮷田")
		d.Field("Élève", "𠮷田 Léa \U00010000")
		d.Table([]string{"Compétence", "Commentaire"}, []float64{0.5, 0.5}, [][]string{{"C1", "Très bien 👍 continue"}})
		d.Note("Bravo 🎉")
		var b bytes.Buffer
		if err := d.Write(&b); err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		for _, s := range []string{"\uFFFD田 Léa", "Très bien \uFFFD continue", "Bravo \uFFFD"} {
			if !HasText(b.Bytes(), s) {
				t.Errorf("%+v: %q not shown", opts, s)
			}
		}
	}
}
