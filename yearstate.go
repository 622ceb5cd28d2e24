package sillage

import "time"

// YearState is where an establishment stands in the changeover between
// school years (rollover.md). Step 2 closes and archives year N; step 4
// imports year N+1's initialisation file and ends the closing. The zero
// YearState is an establishment that has never changed year.
type YearState struct {
	// Closed is the year whose ordinary imports are refused between steps
	// 2 and 4 (imports.md rule 10); 0: none.
	Closed SchoolYear `json:"closed"`
	// Archived is the last year step 2 archived; 0: none. The Livret no
	// longer accepts that year's reports nor the class spaces that year's.
	Archived SchoolYear `json:"archived"`
}

// Close is the state step 2 leaves: year is closed and archived.
func (s YearState) Close(year SchoolYear) YearState {
	return YearState{Closed: year, Archived: year}
}

// Reopen is the state step 4 leaves: the imports are open again (the
// initialisation file of the next year is in); the archive stays.
func (s YearState) Reopen() YearState {
	return YearState{Archived: s.Archived}
}

// IsClosed reports whether year's ordinary imports are refused.
func (s YearState) IsClosed(year SchoolYear) bool {
	return s.Closed != 0 && s.Closed == year
}

// IsArchived reports whether year (or a later one) has been archived.
func (s YearState) IsArchived(year SchoolYear) bool {
	return s.Archived != 0 && s.Archived >= year
}

// CurrentYear is the establishment's school year at now: the calendar's,
// or the year after the closed one once the changeover has closed it early.
func (s YearState) CurrentYear(now time.Time) SchoolYear {
	current := SchoolYearOf(now)
	if s.Closed != 0 && s.Closed+1 > current {
		current = s.Closed + 1
	}
	return current
}
