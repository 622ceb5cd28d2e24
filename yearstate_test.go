package sillage

import (
	"testing"
	"time"
)

func TestYearState(t *testing.T) {
	july := time.Date(2026, time.July, 16, 8, 0, 0, 0, time.UTC) // still school year 2025
	var never YearState
	if never.IsClosed(2025) || never.IsArchived(2025) || never.CurrentYear(july) != 2025 {
		t.Fatalf("the zero state closes or archives something: %+v", never)
	}
	closed := never.Close(2025)
	if !closed.IsClosed(2025) || closed.IsClosed(2026) || !closed.IsArchived(2025) || !closed.IsArchived(2024) || closed.IsArchived(2026) {
		t.Fatalf("after step 2: %+v", closed)
	}
	if closed.CurrentYear(july) != 2026 {
		t.Fatalf("after step 2 the current year is %s, want 2026-2027", closed.CurrentYear(july))
	}
	reopened := closed.Reopen()
	if reopened.IsClosed(2025) || !reopened.IsArchived(2025) || reopened.CurrentYear(july) != 2025 {
		t.Fatalf("after step 4: %+v", reopened)
	}
}
