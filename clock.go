package sillage

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the schools' zone even on a machine without zoneinfo
)

// Clock is the one source of time. Every rule with a duration reads it, so
// tests and the --now flag can set the date.
type Clock interface {
	Now() time.Time
}

// SystemClock reads the machine's clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// FixedClock always returns the same instant.
type FixedClock struct{ T time.Time }

// Now returns the fixed instant.
func (c FixedClock) Now() time.Time { return c.T }

// ParseNow reads a --now value: RFC 3339 or YYYY-MM-DD (midnight UTC).
func ParseNow(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, Errorf(KindInvalid, "date %q invalide : format attendu AAAA-MM-JJ ou RFC 3339 (2026-09-01T08:00:00Z)", s)
}

// SchoolZone is the time zone of the schools' calendar: "today", a
// blocking window's days and an exit date are read in it, whatever the
// server's zone. Europe/Paris unless the configuration says otherwise (an
// instance of an overseas académie).
var SchoolZone = mustLoadZone("Europe/Paris")

func mustLoadZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("sillage: time zone " + name + ": " + err.Error())
	}
	return loc
}

// Today returns the civil date of now in the schools' time zone.
func Today(now time.Time) Date {
	if now.IsZero() {
		return Date{}
	}
	y, m, d := now.In(SchoolZone).Date()
	return Date{y, m, d}
}

// Date is a civil date (no time, no zone): birth dates, evaluation dates,
// period bounds. The zero Date means "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in UTC.
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return Date{}
	}
	y, m, d := t.UTC().Date()
	return Date{y, m, d}
}

// NewDate returns the date y-m-d, normalised like time.Date.
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// ParseDate reads YYYY-MM-DD; the empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, Errorf(KindInvalid, "date %q invalide : format attendu AAAA-MM-JJ", s)
	}
	return DateOf(t), nil
}

// ParseFrenchDate reads JJ/MM/AAAA; the empty string is the zero Date.
func ParseFrenchDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse("02/01/2006", s)
	if err != nil {
		return Date{}, Errorf(KindInvalid, "date %q invalide : format attendu JJ/MM/AAAA", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight UTC of d (the zero time for the zero Date).
func (d Date) Time() time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// String is YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// French is JJ/MM/AAAA, or "" for the zero Date.
func (d Date) French() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Time().After(e.Time()) }

// MarshalText writes YYYY-MM-DD (JSON, forms).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// SchoolYear is the year of the rentrée: 2025 is the school year 2025-2026,
// as SIECLE's ANNEE_SCOLAIRE and LSU's millésime.
type SchoolYear int

// SchoolYearOf returns the school year a date belongs to. The year turns on
// 1 August: the changeover runs in July and August and term starts at the
// end of August or in September.
func SchoolYearOf(t time.Time) SchoolYear {
	y, m, _ := t.UTC().Date()
	if m >= time.August {
		return SchoolYear(y)
	}
	return SchoolYear(y - 1)
}

// String is "2025-2026".
func (y SchoolYear) String() string { return fmt.Sprintf("%d-%d", int(y), int(y)+1) }

// MonthsBefore returns t minus n calendar months: the cut-off of the
// month-based retention rules.
func MonthsBefore(t time.Time, n int) time.Time { return t.AddDate(0, -n, 0) }

// FormatDuration writes a duration in French words, to the second:
// "30 secondes", "2 minutes", "1 heure 5 minutes", "90 jours", "moins
// d'une seconde"; pages never show "30m0s".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		return "moins d'une seconde"
	}
	day := 24 * time.Hour
	j, h, m, s := int(d/day), int(d%day/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var parts []string
	for _, p := range []struct {
		n         int
		one, many string
	}{{j, "jour", "jours"}, {h, "heure", "heures"}, {m, "minute", "minutes"}, {s, "seconde", "secondes"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.one)
		case p.n > 1:
			parts = append(parts, strconv.Itoa(p.n)+" "+p.many)
		}
	}
	return strings.Join(parts, " ")
}

// The one path for instants a person reads: pages, CSV, PDFs, journal and
// command reports all go through these, so that every time is in the
// schools' zone (instants are stored in UTC, an hour or two off Paris).

// FormatDateTime writes an instant as the pages do, in the schools' time
// zone: "06/10/2025 à 11h00".
func FormatDateTime(t time.Time) string { return formatIn(t, "02/01/2006 à 15h04") }

// FormatDate writes the day of an instant in the schools' time zone:
// "06/10/2025".
func FormatDate(t time.Time) string { return formatIn(t, "02/01/2006") }

// FormatLongDate writes the day of an instant in words, in the schools'
// time zone: "6 octobre 2025".
func FormatLongDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(SchoolZone)
	return fmt.Sprintf("%d %s %d", t.Day(), frenchMonths[t.Month()-1], t.Year())
}

// FormatTimestamp writes an instant to the second for CSV and operator
// reports, in the schools' time zone: "2025-10-06 11:00:00". The column or
// the report says which zone (ZoneLabel).
func FormatTimestamp(t time.Time) string { return formatIn(t, "2006-01-02 15:04:05") }

// FormatDateTimeSeconds writes an instant to the second, in the schools'
// time zone: "06/10/2025 à 11:00:05" (backups, stuck steps).
func FormatDateTimeSeconds(t time.Time) string { return formatIn(t, "02/01/2006 à 15:04:05") }

func formatIn(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(SchoolZone).Format(layout)
}

var frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// zoneNames are the French names of the zones of the académies, for
// ZoneLabel; another zone reads as its city part.
var zoneNames = map[string]string{
	"Europe/Paris":          "Paris",
	"Indian/Reunion":        "La Réunion",
	"Indian/Mayotte":        "Mayotte",
	"America/Martinique":    "Martinique",
	"America/Guadeloupe":    "Guadeloupe",
	"America/Cayenne":       "Guyane",
	"America/Miquelon":      "Saint-Pierre-et-Miquelon",
	"Pacific/Noumea":        "Nouméa",
	"Pacific/Tahiti":        "Tahiti",
	"Pacific/Wallis":        "Wallis-et-Futuna",
	"America/St_Barthelemy": "Saint-Barthélemy",
	"America/Marigot":       "Saint-Martin",
}

// ZoneLabel names the schools' time zone for the header of a CSV column or
// an operator report: "heure de Paris".
func ZoneLabel() string {
	name := SchoolZone.String()
	if n, ok := zoneNames[name]; ok {
		return "heure de " + n
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return "heure de " + strings.ReplaceAll(name, "_", " ")
}
