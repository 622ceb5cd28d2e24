package store

import (
	"reflect"
	"testing"
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
