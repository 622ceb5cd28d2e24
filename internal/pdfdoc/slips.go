package pdfdoc

import (
	"slices"
	"strings"
)

// Slip is one cut-out slip of a handout: a heading, "label : value" lines
// (empty values are skipped) and a closing note.
type Slip struct {
	Heading string
	Fields  [][2]string
	Note    string
}

const (
	slipPad    = 3.5  // space inside a slip, above and below its text
	slipLine   = 5.0  // height of a field line
	noteLine   = 4.5  // height of a note line
	slipLabelW = 52.0 // width of the labels column
	pageBottom = 297 - margin - 8
)

// Slips writes slips one under the other, each between dashed cut lines
// marked with scissors. A slip that does not fit in what is left of the
// page starts the next one: none is ever cut across two pages.
func (d *Doc) Slips(slips []Slip) {
	slips = slices.Clone(slips)
	for i, s := range slips {
		slips[i].Fields = slices.Clone(s.Fields)
		d.check(s.Heading, s.Note)
		for _, fl := range s.Fields {
			d.check(fl[0], fl[1])
		}
	}
	d.ops = append(d.ops, func(p *page) {
		p.f.Ln(2)
		for _, s := range slips {
			h := p.slipHeight(s)
			if p.f.GetY()+h > pageBottom {
				p.f.AddPage()
			}
			p.writeSlip(s, h)
		}
	})
}

// slipHeight is the height of a slip, its text wrapped as writeSlip
// writes it.
func (p *page) slipHeight(s Slip) float64 {
	h := 2*slipPad + slipLine + 1 // heading
	p.font("B", 10)               // values are written in bold, wider than regular
	for _, fl := range s.Fields {
		if strings.TrimSpace(fl[1]) != "" {
			h += float64(p.lines(fl[1], contentW-slipLabelW-4)) * slipLine
		}
	}
	if s.Note != "" {
		p.font("", 9)
		h += 1 + float64(p.lines(s.Note, contentW-4))*noteLine
	}
	return h
}

// writeSlip writes s between cut lines h apart and returns where its text
// ended.
func (p *page) writeSlip(s Slip, h float64) (textEnd float64) {
	f := p.f
	top := f.GetY()
	p.cutLine(top)
	f.SetXY(margin+2, top+slipPad)
	p.font("B", 11)
	p.cell(contentW-4, slipLine, s.Heading, "", 1, "L", false)
	f.Ln(1)
	for _, fl := range s.Fields {
		if strings.TrimSpace(fl[1]) == "" {
			continue
		}
		f.SetX(margin + 2)
		p.font("", 10)
		p.cell(slipLabelW, slipLine, fl[0]+" :", "", 0, "L", false)
		p.font("B", 10)
		p.multi(contentW-slipLabelW-4, slipLine, fl[1], "", "L", false)
	}
	if s.Note != "" {
		f.Ln(1)
		f.SetX(margin + 2)
		p.font("", 9)
		f.SetTextColor(70, 70, 70)
		p.multi(contentW-4, noteLine, s.Note, "", "L", false)
		f.SetTextColor(0, 0, 0)
	}
	textEnd = f.GetY()
	p.cutLine(top + h)
	f.SetXY(margin, top+h)
	return textEnd
}

// cutLine draws a dashed line across the page at y, with scissors at its
// left end, drawn rather than written: the Go fonts have no ✂.
func (p *page) cutLine(y float64) {
	f := p.f
	f.SetDrawColor(120, 120, 120)
	f.SetLineWidth(0.2)
	f.SetDashPattern([]float64{1.5, 1}, 0)
	f.Line(margin+7, y, pageW-margin, y)
	f.SetDashPattern(nil, 0)
	// Two rings for the handles, two crossed blades pointing at the line.
	x := margin
	f.Circle(x+0.9, y-1.2, 0.9, "D")
	f.Circle(x+0.9, y+1.2, 0.9, "D")
	f.Line(x+1.7, y-0.8, x+6, y+0.9)
	f.Line(x+1.7, y+0.8, x+6, y-0.9)
	f.SetDrawColor(0, 0, 0)
}
