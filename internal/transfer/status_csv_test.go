package transfer_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/transfer"
)

// TestWriteCSV: each list has its header and one row per line, dates in
// the schools' zone, and a name typed as a formula stays text.
func TestWriteCSV(t *testing.T) {
	// 23:30 UTC on 31 August is 1 September in Paris.
	at := time.Date(2026, 8, 31, 23, 30, 0, 0, time.UTC)
	s := &transfer.Status{
		UAI:      "0860012W",
		Incoming: []transfer.Line{{Date: at, Student: "=HYPERLINK(\"http://x\")", OtherUAI: "0010856A", OtherName: "Collège B", Done: true}},
		Pending:  []transfer.PendingLine{{Student: "DURAND Léa", Division: "2NDE1", EnteredAt: at, PreviousUAI: "0010856A", Reason: "pas encore de livret"}},
	}
	tests := []struct {
		list, header string
		rows         int
		cell         string
	}{
		{"recus", "Date (heure de Paris)", 1, "'=HYPERLINK(\"http://x\")"},
		{"envoyes", "Date (heure de Paris)", 0, ""},
		{"en-attente", "Élève", 1, "DURAND Léa"},
		{"impossibles", "Date (heure de Paris)", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			var buf bytes.Buffer
			if err := transfer.WriteCSV(&buf, s, tt.list); err != nil {
				t.Fatal(err)
			}
			text, ok := strings.CutPrefix(buf.String(), "\ufeff")
			if !ok {
				t.Fatal("no byte order mark")
			}
			r := csv.NewReader(strings.NewReader(text))
			r.Comma = ';'
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tt.rows+1 || recs[0][0] != tt.header {
				t.Fatalf("got %d records, header %q; want %d, %q", len(recs), recs[0], tt.rows+1, tt.header)
			}
			if tt.rows == 0 {
				return
			}
			if !strings.Contains(strings.Join(recs[1], "|"), tt.cell) {
				t.Errorf("row %q lacks %q", recs[1], tt.cell)
			}
			if day := recs[1][dateColumn(recs[0])]; day != "01/09/2026" {
				t.Errorf("date %q, want 01/09/2026 (Paris)", day)
			}
		})
	}
	var buf bytes.Buffer
	if err := transfer.WriteCSV(&buf, s, "autre"); sillage.KindOf(err) != sillage.KindNotFound {
		t.Errorf("unknown list: %v, want not found", err)
	}
}

// dateColumn returns the column of the list's date.
func dateColumn(header []string) int {
	for i, h := range header {
		if h == "Date (heure de Paris)" || h == "Entré le (heure de Paris)" {
			return i
		}
	}
	return -1
}
