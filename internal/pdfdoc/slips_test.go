package pdfdoc

import (
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// TestSlipHeightHoldsItsText: a slip's text ends above its bottom cut
// line, in either face, also for a value that wraps in bold where it would
// fit on one line in regular type (the values are written in bold).
func TestSlipHeightHoldsItsText(t *testing.T) {
	slips := []Slip{
		{Heading: "Léa DURAND", Fields: [][2]string{{"Identifiant", "lea.durand"}, {"Mot de passe", "x7Kp-22qz"}}},
		{Heading: "Classe 1SN", Fields: [][2]string{{"Adresse", strings.Repeat("lit ", 30)}}, Note: "À conserver."},
		{Heading: "Long", Fields: [][2]string{{"Remarque", strings.Repeat("Compétence évaluée, ", 20)}, {"Vide", " "}},
			Note: strings.Repeat("Une note assez longue pour passer à la ligne. ", 6)},
	}
	for _, std := range []bool{false, true} {
		f := fpdf.New("P", "mm", "A4", "")
		p := &page{f: f, face: "go"}
		if std {
			p.face, p.std = "helvetica", true
		} else {
			f.AddUTF8FontFromBytes("go", "", goregular.TTF)
			f.AddUTF8FontFromBytes("go", "B", gobold.TTF)
		}
		f.SetAutoPageBreak(false, 0)
		f.AddPage()
		for _, s := range slips {
			top := f.GetY()
			h := p.slipHeight(s)
			if end := p.writeSlip(s, h); end > top+h+0.01 {
				t.Errorf("standard faces %v, slip %q: text ends at %.1f mm, below its cut line at %.1f mm", std, s.Heading, end-top, h)
			}
		}
	}
}
