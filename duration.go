package sillage

import (
	"fmt"
	"time"
)

// FrenchDuration says a duration in words, in its largest whole unit
// ("90 jours", "15 minutes", "1 heure"); pages never show "30m0s".
func FrenchDuration(d time.Duration) string {
	units := []struct {
		d          time.Duration
		one, other string
	}{
		{24 * time.Hour, "jour", "jours"},
		{time.Hour, "heure", "heures"},
		{time.Minute, "minute", "minutes"},
		{time.Second, "seconde", "secondes"},
	}
	for _, u := range units {
		if d >= u.d && d%u.d == 0 || u.d == time.Second {
			n := int64(d / u.d)
			if n <= 1 {
				return fmt.Sprintf("%d %s", n, u.one)
			}
			return fmt.Sprintf("%d %s", n, u.other)
		}
	}
	return ""
}
