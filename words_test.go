package sillage

import "testing"

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 octets", 12: "12 octets", 1023: "1023 octets", 1024: "1 ko", 1536: "1,5 ko",
		5 << 20: "5 Mo", 12<<20 + 512<<10: "12,5 Mo", 20 << 20: "20 Mo", 1 << 30: "1 Go", 5<<40 + 1<<39: "5,5 To"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatPercentAndBool(t *testing.T) {
	for f, want := range map[float64]string{0.3: "30 %", 0.25: "25 %", 0.125: "12,5 %", 1: "100 %"} {
		if got := FormatPercent(f); got != want {
			t.Errorf("FormatPercent(%v) = %q, want %q", f, got, want)
		}
	}
	if FormatBool(true) != "oui" || FormatBool(false) != "non" {
		t.Error("FormatBool: want oui/non")
	}
}
