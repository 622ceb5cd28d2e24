package acquisition

import (
	"fmt"
	"html"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
)

// The charts are SVG written on the server: no script, readable in print
// and in black and white. Lines differ by dash and marker and carry a
// number; bar segments by a pattern and their count; every chart has a
// <title>, a <desc> and role="img", and the pages put the same figures in
// a table beside it.

// seriesStyle is how line i is drawn: colour, dash, marker.
var (
	lineColours = []string{"#0b5394", "#b45f06", "#38761d", "#741b47", "#134f5c", "#7f6000", "#990000", "#3d85c6"}
	lineDashes  = []string{"", "8 4", "2 4", "10 4 2 4", "4 4", "12 3", "1 3", "6 2 2 2"}
)

func esc(s string) string { return html.EscapeString(s) }

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// marker draws marker k centred on x, y.
func marker(b *strings.Builder, k int, x, y float64, colour string) {
	switch k % 4 {
	case 0:
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`, x, y, colour)
	case 1:
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="8" height="8" fill="%s"/>`, x-4, y-4, colour)
	case 2:
		fmt.Fprintf(b, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fZ" fill="%s"/>`, x, y-5, x+5, y+4, x-5, y+4, colour)
	default:
		fmt.Fprintf(b, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ" fill="none" stroke="%s" stroke-width="2"/>`, x, y-5, x+5, y, x, y+5, x-5, y, colour)
	}
}

// SeriesLabel is the short name a line carries on the chart: "D1", "D2"…
func SeriesLabel(i int) string { return fmt.Sprintf("D%d", i+1) }

// ProgressSVG draws a student's progress per domain, month by month: one
// line per domain on the scale's evaluated levels. id makes the chart's
// element ids unique on its page.
func ProgressSVG(p Progress, sc sillage.Scale, id, who string) string {
	const w, left, right, top, plotH = 720.0, 170.0, 40.0, 16.0, 200.0
	bottom := top + plotH
	h := bottom + 40 + 20*float64(len(p.Series))
	var b strings.Builder
	title := "Progression par domaine, mois par mois — " + who
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" font-family="sans-serif" role="img" aria-labelledby="%s-t %s-d">`, w, h, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, id, esc(title))
	desc := fmt.Sprintf("État d'acquisition de %d domaine(s) à la fin de chaque mois, de %s à %s ; les mêmes valeurs sont dans le tableau qui suit.",
		len(p.Series), monthLabel(p.Months, 0), monthLabel(p.Months, len(p.Months)-1))
	fmt.Fprintf(&b, `<desc id="%s-d">%s</desc>`, id, esc(desc))
	y := func(points float64) float64 { return bottom - points/4*plotH }
	// Levels: a grid line and the label of each evaluated level.
	for _, l := range sc {
		if l.Points < 0 {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#c8ccd2" stroke-width="1"/>`, left, y(float64(l.Points)), w-right, y(float64(l.Points)))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="11" text-anchor="end" fill="#222">%s</text>`, left-6, y(float64(l.Points))+4, esc(shorten(l.Label, 26)))
	}
	n := len(p.Months)
	x := func(i int) float64 {
		if n <= 1 {
			return (left + w - right) / 2
		}
		return left + 10 + float64(i)*(w-right-left-20)/float64(n-1)
	}
	step := int(math.Ceil(float64(n) / 10))
	for i := range p.Months {
		if i%step == 0 || i == n-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="10" text-anchor="middle" fill="#222">%s</text>`, x(i), bottom+16, esc(p.Months[i].Label()))
		}
	}
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#222" stroke-width="1"/>`, left, bottom, w-right, bottom)
	for k, s := range p.Series {
		colour, dash := lineColours[k%len(lineColours)], lineDashes[k%len(lineDashes)]
		var d strings.Builder
		pen := false
		lastX, lastY := 0.0, 0.0
		for i, sc := range s.Scores {
			if !sc.Valid() {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			lastX, lastY = x(i), y(sc.Points)
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, lastX, lastY)
			pen = true
		}
		if d.Len() == 0 {
			continue
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2.5"`, d.String(), colour)
		if dash != "" {
			fmt.Fprintf(&b, ` stroke-dasharray="%s"`, dash)
		}
		b.WriteString(`/>`)
		for i, sc := range s.Scores {
			if sc.Valid() {
				marker(&b, k, x(i), y(sc.Points), colour)
			}
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" font-weight="bold" fill="%s">%s</text>`, lastX+7, lastY-(float64(k%3)-1)*10+4, colour, SeriesLabel(k))
	}
	// Legend: dash, marker and number of each line, then the domain's name.
	for k, s := range p.Series {
		colour, dash := lineColours[k%len(lineColours)], lineDashes[k%len(lineDashes)]
		ly := bottom + 36 + 20*float64(k)
		fmt.Fprintf(&b, `<line x1="20" y1="%.0f" x2="60" y2="%.0f" stroke="%s" stroke-width="2.5"`, ly, ly, colour)
		if dash != "" {
			fmt.Fprintf(&b, ` stroke-dasharray="%s"`, dash)
		}
		b.WriteString(`/>`)
		marker(&b, k, 40, ly, colour)
		fmt.Fprintf(&b, `<text x="70" y="%.0f" font-size="12" fill="#222">%s — %s</text>`, ly+4, SeriesLabel(k), esc(shorten(s.Name, 80)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func monthLabel(ms []Month, i int) string {
	if i < 0 || i >= len(ms) {
		return "—"
	}
	return ms[i].Label()
}

// levelStyle is the colour and pattern of a level's bar segments, by its
// points (0–4), and of the students without a result (-1).
type levelStyle struct{ fill, pattern, ink string }

var levelStyles = map[int]levelStyle{
	0:  {"#8a0019", `<path d="M0 0L8 8M8 0L0 8" stroke="#fff" stroke-width="1.5"/>`, "#fff"},
	1:  {"#e06666", `<path d="M0 8L8 0" stroke="#000" stroke-opacity="0.55" stroke-width="1.5"/>`, "#000"},
	2:  {"#f6b26b", `<circle cx="4" cy="4" r="1.6" fill="#000" fill-opacity="0.55"/>`, "#000"},
	3:  {"#93c47d", `<path d="M0 4L8 4" stroke="#000" stroke-opacity="0.45" stroke-width="1.5"/>`, "#000"},
	4:  {"#38761d", ``, "#fff"},
	-1: {"#ffffff", ``, "#000"},
}

func styleOf(points int) levelStyle {
	if s, ok := levelStyles[points]; ok {
		return s
	}
	return levelStyles[-1]
}

// DistributionSVG draws, per competence of a class, how many students are
// at each level (stacked bars), and those without a result.
func DistributionSVG(cols []Column, sc sillage.Scale, id, class string) string {
	const w, left, barW, barH, gap, top = 720.0, 150.0, 540.0, 20.0, 8.0, 10.0
	var levels []sillage.ScaleLevel
	for _, l := range sc {
		if l.Points >= 0 {
			levels = append(levels, l)
		}
	}
	legendY := top + float64(len(cols))*(barH+gap) + 14
	h := legendY + 22*float64((len(levels)+1+2)/3) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" font-family="sans-serif" role="img" aria-labelledby="%s-t %s-d">`, w, h, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, id, esc("Répartition des élèves par niveau, compétence par compétence — "+class))
	fmt.Fprintf(&b, `<desc id="%s-d">%s</desc>`, id, esc(fmt.Sprintf("Pour chacune des %d compétences, une barre partagée selon le nombre d'élèves à chaque niveau de l'échelle, puis ceux sans résultat ; chaque part porte son nombre, et le tableau qui suit donne les mêmes valeurs.", len(cols))))
	b.WriteString(`<defs>`)
	for _, p := range []int{-1, 0, 1, 2, 3, 4} {
		s := styleOf(p)
		fmt.Fprintf(&b, `<pattern id="%s-p%d" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="%s"/>%s</pattern>`, id, p+1, s.fill, s.pattern)
	}
	b.WriteString(`</defs>`)
	for i, c := range cols {
		yy := top + float64(i)*(barH+gap)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="11" text-anchor="end" fill="#222">%s</text>`, left-6, yy+barH/2+4, esc(shorten(c.Competence.Code+" "+c.Competence.Label, 24)))
		total := c.Missing
		for _, l := range levels {
			total += c.Distribution[l.Code]
		}
		if total == 0 {
			continue
		}
		x := left
		segment := func(n, points int, what string) {
			if n == 0 {
				return
			}
			sw := barW * float64(n) / float64(total)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" fill="url(#%s-p%d)" stroke="#222" stroke-width="0.8"><title>%s</title></rect>`,
				x, yy, sw, barH, id, points+1, esc(fmt.Sprintf("%s : %d élève(s) %s", c.Competence.Code, n, what)))
			if sw >= 16 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" font-weight="bold" text-anchor="middle" fill="%s" stroke="%s" stroke-width="2.5" paint-order="stroke">%d</text>`,
					x+sw/2, yy+barH/2+4, styleOf(points).ink, styleOf(points).fill, n)
			}
			x += sw
		}
		for _, l := range levels {
			segment(c.Distribution[l.Code], l.Points, "« "+l.Label+" »")
		}
		segment(c.Missing, -1, "sans résultat")
	}
	items := append([]sillage.ScaleLevel(nil), levels...)
	items = append(items, sillage.ScaleLevel{Label: "Sans résultat", Points: -1})
	for k, l := range items {
		lx, ly := 20+float64(k%3)*235, legendY+22*float64(k/3)
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="16" height="14" fill="url(#%s-p%d)" stroke="#222" stroke-width="0.8"/>`, lx, ly-11, id, l.Points+1)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" fill="#222">%s</text>`, lx+22, ly, esc(shorten(l.Label, 30)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
