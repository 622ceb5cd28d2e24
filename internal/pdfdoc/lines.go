package pdfdoc

import (
	"math"
	"strings"

	"github.com/go-pdf/fpdf"
)

// countLines is how many lines fpdf's MultiCell writes s in, w wide, with
// the current font: the same breaks, on spaces and newlines, and the same
// widths. unicodeFace: the font is a UTF-8 one (the Go fonts) and s is read
// as runes, as MultiCell then does (every trailing newline dropped, a break
// also allowed after a CJK ideograph); otherwise s is Windows-1252 bytes
// for a standard face (one trailing newline dropped). fpdf's SplitText is
// not MultiCell's count: it breaks at every Unicode space (a no-break space
// included) and reads bytes as runes.
func countLines(f *fpdf.Fpdf, s string, w float64, unicodeFace bool) int {
	_, size := f.GetFontSize()
	wmax := int(math.Ceil((w - 2*f.GetCellMargin()) * 1000 / size))
	s = strings.ReplaceAll(s, "\r", "")
	var text []rune
	if unicodeFace {
		text = []rune(s)
		for len(text) > 0 && text[len(text)-1] == '\n' {
			text = text[:len(text)-1]
		}
	} else {
		text = make([]rune, len(s))
		for i := range len(s) {
			text[i] = rune(s[i])
		}
		if n := len(text); n > 0 && text[n-1] == '\n' {
			text = text[:n-1]
		}
	}
	var low [256]int // widths of the first 256 code points, -1: not read yet
	for c := range low {
		low[c] = -1
	}
	var high map[rune]int
	width := func(c rune) int {
		if c < 256 && low[c] >= 0 {
			return low[c]
		}
		if v, ok := high[c]; ok {
			return v
		}
		var v int
		if unicodeFace {
			v = f.GetStringSymbolWidth(string(c))
		} else {
			v = f.GetStringSymbolWidth(string([]byte{byte(c)}))
		}
		if c < 256 {
			low[c] = v
		} else {
			if high == nil {
				high = map[rune]int{}
			}
			high[c] = v
		}
		return v
	}
	nb := len(text)
	sep, i, j, l, nl := -1, 0, 0, 0, 1
	for i < nb {
		c := text[i]
		if c == '\n' {
			i++
			sep, j, l = -1, i, 0
			nl++
			continue
		}
		if c == ' ' || unicodeFace && c >= 0x4e00 && c <= 0x9fa5 {
			sep = i
		}
		l += width(c)
		if l > wmax {
			if sep == -1 {
				if i == j {
					i++
				}
			} else {
				i = sep + 1
			}
			sep, j, l = -1, i, 0
			nl++
		} else {
			i++
		}
	}
	return nl
}
