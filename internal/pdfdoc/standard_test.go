package pdfdoc

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/goregular"
)

func writeWith(t *testing.T, opts Options, name string) []byte {
	t.Helper()
	d := NewWith("Archive 2025-2026 — 1SN", time.Date(2026, 7, 16, 8, 0, 0, 0, time.UTC), opts)
	d.Title("Division 1SN — résultats")
	d.Field("Élève", name)
	d.Table([]string{"Élève", "C1"}, []float64{0.7, 0.3}, [][]string{
		{name, "3"},
		{"ŒUVRAY Zoé — « coût : 12 € » (à revoir)", "2"},
	})
	d.Note(strings.Repeat("Une note assez longue pour passer à la ligne. ", 10))
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStandardFonts: with StandardFonts, a document whose text fits
// Windows-1252 (French accents, Œ, €, quotes, dashes) uses the standard
// faces and embeds no font; one with a name outside it (Polish Ł, Greek,
// Cyrillic: the Go fonts have them) is written with the Go fonts, and the
// name is on the page either way. Uncompressed leaves no stream deflated.
func TestStandardFonts(t *testing.T) {
	for _, c := range []struct {
		name     string
		opts     Options
		student  string
		standard bool
	}{
		{"french", Options{StandardFonts: true}, "DURAND Léa-Œlia", true},
		{"french uncompressed", Options{StandardFonts: true, Uncompressed: true}, "DURAND Léa-Œlia", true},
		{"polish", Options{StandardFonts: true, Uncompressed: true}, "WAŁĘSA Łukasz", false},
		{"greek", Options{StandardFonts: true}, "ΠΑΠΑΔΟΠΟΥΛΟΣ Ζωή", false},
		{"cyrillic", Options{StandardFonts: true, Uncompressed: true}, "ИВАНОВА Анна", false},
		{"default", Options{}, "DURAND Léa-Œlia", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			pdf := writeWith(t, c.opts, c.student)
			helvetica := bytes.Contains(pdf, []byte("/BaseFont /Helvetica"))
			embedded := bytes.Contains(pdf, []byte("/FontFile2"))
			if helvetica != c.standard || embedded == c.standard {
				t.Fatalf("standard face %v, embedded font %v; want the standard faces: %v", helvetica, embedded, c.standard)
			}
			// The page's text operators are readable in the file when the
			// pages are not compressed (the Go fonts' file always is).
			if plain := bytes.Contains(pdf, []byte(" Td (")); plain != c.opts.Uncompressed {
				t.Fatalf("uncompressed pages: %v, Uncompressed: %v", plain, c.opts.Uncompressed)
			}
			for _, s := range []string{c.student, "Division 1SN — résultats", "« coût : 12 € » \\(à revoir\\)", "Édité le 16/07/2026"} {
				s = strings.ReplaceAll(s, "\\", "")
				if !HasText(pdf, s) {
					t.Errorf("%q is not on the page", s)
				}
			}
			if pages := Pages(pdf); len(pages) != 1 || !PageHasText(pages[0], c.student) {
				t.Errorf("%d pages found, want 1 showing %s", len(pages), c.student)
			}
			if HasText(pdf, "Ceci n'est pas écrit") {
				t.Error("HasText finds what is not written")
			}
			if !bytes.Equal(pdf, writeWith(t, c.opts, c.student)) {
				t.Error("the same content gave two different PDFs")
			}
		})
	}
}

// TestCountLines: the rows of a table are as tall as MultiCell writes
// their cells, with the standard faces (Windows-1252 bytes) and with the Go
// fonts (UTF-8): counted against how far MultiCell moves down. fpdf's
// SplitText, used before for the Go fonts, breaks at a no-break space where
// MultiCell does not.
func TestCountLines(t *testing.T) {
	texts := []string{
		"",
		"Court",
		"Élève",
		strings.Repeat("Compétence évaluée — coût 12 € ; ", 9),
		strings.Repeat("x", 300),
		"Ligne un\n\nLigne trois\n",
		"Deux  espaces   et une fin sur un mot très très long anticonstitutionnellement",
		strings.Repeat("Œ€ ", 80),
		"Deux fins de ligne…\n\n",
		strings.Repeat("M.\u00a0Durand… et Mme\u00a0Léa… ", 6),
	}
	wide := []string{
		strings.Repeat("Łukasz Wiśniewski, Ζωή Παπαδοπούλου, Алексей Смирнов ", 4),
		strings.Repeat("M.\u00a0Łukasz\u00a0Wiśniewski\u00a0et\u00a0Mme\u00a0Ζωή ", 5),
		strings.Repeat("王小明王小明", 12) + " fin",
		"Trois fins de ligne\n\n\n",
	}
	for _, unicodeFace := range []bool{false, true} {
		list := texts
		if unicodeFace {
			list = append(slices.Clone(texts), wide...)
		}
		for _, w := range []float64{20, 55.3, 120, 178} {
			for _, s := range list {
				f := fpdf.New("P", "mm", "A4", "")
				f.SetAutoPageBreak(false, 0)
				f.AddPage()
				enc := s
				if unicodeFace {
					f.AddUTF8FontFromBytes("go", "", goregular.TTF)
					f.SetFont("go", "", 9)
				} else {
					f.SetFont("helvetica", "", 9)
					enc = toCP1252(s)
				}
				want := countLines(f, enc, w, unicodeFace)
				y := f.GetY()
				f.MultiCell(w, 5, enc, "", "L", false)
				if err := f.Error(); err != nil {
					t.Fatal(err)
				}
				if got := int(math.Round((f.GetY() - y) / 5)); got != want {
					t.Errorf("Go fonts %v, width %v, %q: MultiCell wrote %d lines, countLines says %d", unicodeFace, w, s, got, want)
				}
			}
		}
	}
}

func TestFitsCP1252(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "Léa Œuvray, 12 €, « guillemets » — tiret…": true, "ÿ": true,
		"Łukasz": false, "Ζωή": false, "名": false, "\xff": false, "\u2002": false,
	} {
		if got := fitsCP1252(s); got != want {
			t.Errorf("fitsCP1252(%q) = %v", s, got)
		}
	}
	if got, want := toCP1252("Œ€é—a"), "\x8c\x80\xe9\x97a"; got != want {
		t.Errorf("toCP1252 = %q, want %q", got, want)
	}
}
