package sillage

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The words people read for quantities: settings, limits and report
// figures are written once here, so a size is "20 Mo" everywhere and never
// "20971520" or "20M".

// FormatSize writes a number of bytes in French units with a decimal comma:
// "512 octets", "2 ko", "12,5 Mo", "1 Go".
func FormatSize(n int64) string {
	units := []string{"ko", "Mo", "Go", "To", "Po"}
	if n < 1<<10 {
		return fmt.Sprintf("%d octets", n)
	}
	v, i := float64(n)/(1<<10), 0
	for v >= 1<<10 && i < len(units)-1 {
		v, i = v/(1<<10), i+1
	}
	return formatDecimal(v, 1) + " " + units[i]
}

// FormatPercent writes a share (0.3) as a percentage: "30 %", "12,5 %".
func FormatPercent(share float64) string {
	return formatDecimal(100*share, 1) + " %"
}

// FormatBool writes a yes/no setting: "oui" or "non".
func FormatBool(b bool) string {
	if b {
		return "oui"
	}
	return "non"
}

// formatDecimal writes f with at most prec decimals, a decimal comma and
// no trailing zero: 12.5 → "12,5", 30.0 → "30".
func formatDecimal(f float64, prec int) string {
	p := math.Pow(10, float64(prec))
	s := strconv.FormatFloat(math.Round(f*p)/p, 'f', -1, 64)
	return strings.Replace(s, ".", ",", 1)
}
