package jobs

import (
	"testing"
	"time"

	"github.com/sillage/sillage"
)

func TestSchedules(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sillage.SchoolZone)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		now, want string
	}{
		{"2025-10-06 01:59", "2025-10-06 02:00"},
		{"2025-10-06 02:00", "2025-10-07 02:00"},
		{"2025-10-06 23:00", "2025-10-07 02:00"},
		{"2025-12-31 03:00", "2026-01-01 02:00"},
	} {
		if got := (daily{2, 0}).Next(at(tt.now)); !got.Equal(at(tt.want)) {
			t.Errorf("daily 02:00 after %s = %v, want %s", tt.now, got, tt.want)
		}
	}
	for _, tt := range []struct {
		now, want string
	}{
		{"2025-10-06 09:00", "2025-10-12 03:00"}, // Monday → Sunday
		{"2025-10-12 02:59", "2025-10-12 03:00"},
		{"2025-10-12 03:00", "2025-10-19 03:00"},
	} {
		if got := (weekly{time.Sunday, 3}).Next(at(tt.now)); !got.Equal(at(tt.want)) {
			t.Errorf("weekly Sunday 03:00 after %s = %v, want %s", tt.now, got, tt.want)
		}
	}
	if got := triggerOf([]byte(`{"trigger": "import", "uais": ["0860001J"]}`)); got != TriggerImport {
		t.Errorf("trigger %q", got)
	}
}
