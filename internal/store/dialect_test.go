package store

import (
	"reflect"
	"testing"
	"time"
)

func TestSQLiteBind(t *testing.T) {
	tests := []struct {
		in       string
		args     []any
		want     string
		wantArgs []any
	}{
		{`SELECT a FROM t WHERE uai = $1 AND id = $2`, []any{"U", int64(7)}, `SELECT a FROM t WHERE uai = ? AND id = ?`, []any{"U", int64(7)}},
		{`SELECT a FROM t WHERE uai = $1 OR other = $1`, []any{"U"}, `SELECT a FROM t WHERE uai = ? OR other = ?`, []any{"U", "U"}},
		{`UPDATE t SET v = $3 WHERE uai = $1 AND id = $2`, []any{"U", int64(7), "v"}, `UPDATE t SET v = ? WHERE uai = ? AND id = ?`, []any{"v", "U", int64(7)}},
		{`WITH m (x) AS (VALUES ($2), ($3)) INSERT INTO t SELECT x, $1 FROM m`, []any{"now", int64(1), int64(2)},
			`WITH m (x) AS (VALUES (?), (?)) INSERT INTO t SELECT x, ? FROM m`, []any{int64(1), int64(2), "now"}},
		{`SELECT '$1 is text' FROM t WHERE a = $1`, []any{"x"}, `SELECT '$1 is text' FROM t WHERE a = ?`, []any{"x"}},
		{`SELECT nextval('ids')`, nil, `SELECT nextval('ids')`, nil},
	}
	for _, tt := range tests {
		got, gotArgs := (sqliteDialect{}).bind(tt.in, append([]any(nil), tt.args...))
		if got != tt.want || !reflect.DeepEqual(gotArgs, tt.wantArgs) {
			t.Errorf("bind(%q, %v)\n got %q %v\nwant %q %v", tt.in, tt.args, got, gotArgs, tt.want, tt.wantArgs)
		}
	}
}

// TestParseSQLiteTime: the fast reading of SQLite's timestamps gives what
// time.Parse gives, and leaves it everything else.
func TestParseSQLiteTime(t *testing.T) {
	for _, v := range []string{
		"2025-09-01T08:30:00.000000Z", "2024-02-29T23:59:59.999999Z", "1999-12-31T00:00:00.123456Z", "0001-01-01T00:00:00.000000Z",
		"2025-02-29T10:00:00.000000Z", "2025-04-31T10:00:00.000000Z", "2025-13-01T10:00:00.000000Z", "2025-00-01T10:00:00.000000Z",
		"2025-01-00T10:00:00.000000Z", "2025-01-01T24:00:00.000000Z", "2025-01-01T10:60:00.000000Z", "2025-01-01T10:00:60.000000Z",
		"2025-01-01T10:00:00.00000aZ", "2025-01-01 10:00:00.000000Z", "2025-01-01T10:00:00.000000+", "2025-1-01T10:00:00.0000000Z",
		"2025-01-01T10:00:00Z", "", "+025-01-01T10:00:00.000000Z",
	} {
		want, werr := time.Parse(sqliteTime, v)
		got, ok := parseSQLiteTime(v)
		switch {
		case ok && werr != nil:
			t.Errorf("parseSQLiteTime(%q) accepts what time.Parse refuses (%v)", v, werr)
		case ok && !got.Equal(want.UTC()):
			t.Errorf("parseSQLiteTime(%q) = %v, time.Parse %v", v, got, want)
		case ok && got.Location() != time.UTC:
			t.Errorf("parseSQLiteTime(%q) is not in UTC", v)
		case !ok && werr == nil:
			t.Errorf("parseSQLiteTime(%q) leaves a valid timestamp to time.Parse", v)
		}
	}
}

// The ids of a batch's copies go into the database as runs of consecutive
// ids (PostgreSQL reserves blocks that other writers may interleave): each
// id keeps its place.
func TestIDRanges(t *testing.T) {
	ids := []int64{5, 6, 7, 2000, 2001, 9, 10, 11, 12}
	r := idRanges(ids)
	want := []any{int64(0), int64(5), int64(3), int64(3), int64(2000), int64(2), int64(5), int64(9), int64(4)}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("idRanges(%v) = %v, want %v", ids, r, want)
	}
	// Expanded as the statement does: the n-th key (from 1) takes
	// first + n - off - 1 in the range where off < n <= off + count.
	for n := 1; n <= len(ids); n++ {
		var got int64
		for k := 0; k < len(r); k += 3 {
			off, first, cnt := r[k].(int64), r[k+1].(int64), r[k+2].(int64)
			if int64(n) > off && int64(n) <= off+cnt {
				got = first + int64(n) - off - 1
			}
		}
		if got != ids[n-1] {
			t.Errorf("key %d gets id %d, want %d", n, got, ids[n-1])
		}
	}
	if r := idRanges(nil); len(r) != 0 {
		t.Errorf("idRanges(nil) = %v", r)
	}
}
