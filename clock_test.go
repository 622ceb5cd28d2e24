package sillage

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "moins d'une seconde"},
		{400 * time.Millisecond, "moins d'une seconde"},
		{time.Second, "1 seconde"},
		{30 * time.Second, "30 secondes"},
		{2 * time.Minute, "2 minutes"},
		{time.Hour + 5*time.Minute, "1 heure 5 minutes"},
		{2*time.Hour + time.Minute + 3*time.Second, "2 heures 1 minute 3 secondes"},
		{90 * 24 * time.Hour, "90 jours"},
		{24*time.Hour + 30*time.Minute, "1 jour 30 minutes"},
	} {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestFormatDateTime(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, ""},
		{time.Date(2026, time.July, 15, 8, 0, 0, 0, time.UTC), "15/07/2026 à 10h00"},      // summer time
		{time.Date(2026, time.January, 15, 23, 30, 0, 0, time.UTC), "16/01/2026 à 00h30"}, // winter time, next day
	} {
		if got := FormatDateTime(c.t); got != c.want {
			t.Errorf("FormatDateTime(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

// TestFormatInSchoolZone: every writer reads the instant in the schools'
// zone. 23:30 UTC on 28 March 2026 is 00:30 on the 29th in Paris, the
// night the clocks go forward (at 01:00 UTC): two hours later it is 03:30.
func TestFormatInSchoolZone(t *testing.T) {
	at := time.Date(2026, time.March, 28, 23, 30, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{FormatDateTime(at), "29/03/2026 à 00h30"},
		{FormatDateTime(at.Add(2 * time.Hour)), "29/03/2026 à 03h30"},
		{FormatDate(at), "29/03/2026"},
		{FormatLongDate(at), "29 mars 2026"},
		{FormatTimestamp(at), "2026-03-29 00:30:00"},
		{FormatDateTimeSeconds(at.Add(5 * time.Second)), "29/03/2026 à 00:30:05"},
		{FormatDate(time.Time{}), ""},
		{ZoneLabel(), "heure de Paris"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	defer func(z *time.Location) { SchoolZone = z }(SchoolZone)
	SchoolZone = mustLoadZone("Indian/Reunion")
	if got := ZoneLabel(); got != "heure de La Réunion" {
		t.Errorf("ZoneLabel() = %q in Réunion", got)
	}
	if got := FormatDateTime(at); got != "29/03/2026 à 03h30" {
		t.Errorf("FormatDateTime in Réunion = %q", got)
	}
}
