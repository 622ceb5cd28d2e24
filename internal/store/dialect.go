package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sillage/sillage"
)

// dialect is what differs between the engines; the SQL itself is written
// once, in the subset both understand, with $N placeholders.
type dialect interface {
	// rebind adapts a query whose parameters run $1, $2… in order (for
	// prepared statements); bind adapts any query with its arguments.
	rebind(q string) string
	bind(q string, args []any) (string, []any)
	args(in []any) []any
	reserveIDs(ctx context.Context, tx *Tx, blocks int) ([]idRange, error)
}

// sqliteTime is how timestamps are stored in SQLite: fixed width, UTC, so
// that text comparison is time comparison.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

type sqliteDialect struct{}

// rebound caches the SQLite form of each query. It is bounded and keeps
// only short texts: queries built with a variable number of parameters
// (IN lists, multi-row statements) must not grow it without end.
var (
	rebound      sync.Map // query text -> *sqliteQuery
	reboundCount atomic.Int64
)

const (
	maxRebound    = 4096
	maxReboundLen = 4096
)

// sqliteQuery is a query with anonymous "?" placeholders, and for each of
// them the number of the $N parameter it stands for.
type sqliteQuery struct {
	text  string
	order []int // nil: the parameters run $1, $2, $3… each once
}

// parseSQLite turns $N placeholders into anonymous "?" and records which
// parameter each stands for. The driver looks numbered parameters (?N) up
// by name, which is quadratic in their number: long IN lists and
// multi-row statements were slow. Anonymous parameters are bound by
// position, so the arguments are laid out in placeholder order (a
// parameter used twice is passed twice). "$N" itself is never passed
// through: some drivers misbind it in SQLite.
func parseSQLite(q string) *sqliteQuery {
	if v, ok := rebound.Load(q); ok {
		return v.(*sqliteQuery)
	}
	var b strings.Builder
	b.Grow(len(q))
	var order []int
	inOrder := true
	inString := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c == '\'' {
			inString = !inString
		}
		if c == '$' && !inString && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
			j := i + 1
			n := 0
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				n = n*10 + int(q[j]-'0')
				j++
			}
			order = append(order, n)
			if n != len(order) {
				inOrder = false
			}
			b.WriteByte('?')
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	sq := &sqliteQuery{text: b.String()}
	if !inOrder {
		sq.order = order
	}
	if len(q) <= maxReboundLen && reboundCount.Load() < maxRebound {
		if _, loaded := rebound.LoadOrStore(q, sq); !loaded {
			reboundCount.Add(1)
		}
	}
	return sq
}

// rebind returns the SQLite text of a query whose parameters run in order
// (prepared statements); bind handles any query.
func (sqliteDialect) rebind(q string) string {
	sq := parseSQLite(q)
	if sq.order != nil {
		panic("store: rebind of a query whose parameters are not in order: use bind")
	}
	return sq.text
}

// bind returns the SQLite text of q and its arguments in placeholder order.
func (d sqliteDialect) bind(q string, args []any) (string, []any) {
	sq := parseSQLite(q)
	args = d.args(args)
	if sq.order == nil {
		return sq.text, args
	}
	out := make([]any, len(sq.order))
	for i, n := range sq.order {
		if n >= 1 && n <= len(args) {
			out[i] = args[n-1]
		}
	}
	return sq.text, out
}

func (sqliteDialect) args(in []any) []any {
	for i, a := range in {
		in[i] = convertArg(a, true)
	}
	return in
}

func (sqliteDialect) reserveIDs(ctx context.Context, tx *Tx, blocks int) ([]idRange, error) {
	n := int64(blocks) * idBlock
	var end int64
	err := tx.queryRow(ctx, `UPDATE id_counter SET next = next + $1 WHERE name = 'ids' RETURNING next`, n).Scan(&end)
	if err != nil {
		return nil, mapErr(err)
	}
	return []idRange{{next: end - n, end: end}}, nil
}

type postgresDialect struct{}

func (postgresDialect) rebind(q string) string { return q }

func (d postgresDialect) bind(q string, args []any) (string, []any) { return q, d.args(args) }

func (postgresDialect) args(in []any) []any {
	for i, a := range in {
		in[i] = convertArg(a, false)
	}
	return in
}

func (postgresDialect) reserveIDs(ctx context.Context, tx *Tx, blocks int) ([]idRange, error) {
	// The sequence steps by idBlock: each value starts a block of its own.
	// nextval is not transactional, so concurrent writers never wait here.
	rows, err := tx.query(ctx, `SELECT nextval('sillage_ids') FROM generate_series(1, $1)`, blocks)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []idRange
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, idRange{next: v, end: v + idBlock})
	}
	return out, mapErr(rows.Err())
}

// convertArg turns domain values into what the drivers store: times in UTC
// (fixed-width text on SQLite), civil dates as YYYY-MM-DD, zero times and
// dates as NULL, named string types as strings.
func convertArg(a any, sqliteMode bool) any {
	switch v := a.(type) {
	case nil, string, int64, int, bool, []byte, float64, []int64, []string:
		return a
	case time.Time:
		if v.IsZero() {
			return nil
		}
		if sqliteMode {
			return v.UTC().Format(sqliteTime)
		}
		return v.UTC()
	case sillage.Date:
		if v.IsZero() {
			return nil
		}
		return v.String()
	case sillage.UAI:
		return string(v)
	case sillage.SchoolYear:
		return int64(v)
	}
	rv := reflect.ValueOf(a)
	switch rv.Kind() {
	case reflect.String:
		return rv.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	}
	return a
}

// mapErr turns driver errors into domain errors by code, never by text.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return sillage.Wrap(sillage.KindNotFound, err, "introuvable")
	}
	var se *sillage.Error
	if errors.As(err, &se) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return sillage.Wrap(sillage.KindConflict, err, "cet élément existe déjà")
		case "23503": // foreign_key_violation
			return sillage.Wrap(sillage.KindConflict, err, "élément lié introuvable ou encore utilisé")
		case "23502", "23514", "22001", "22007", "22008", "22P02": // not null, check, too long, bad date/time/text
			return sillage.Wrap(sillage.KindInvalid, err, "donnée refusée par la base")
		case "40001", "40P01", "55P03", "57014": // serialization, deadlock, lock not available, cancelled
			return sillage.Wrap(sillage.KindUnavailable, err, "base de données occupée, réessayez")
		}
		if strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") { // connection, shutdown
			return sillage.Wrap(sillage.KindUnavailable, err, "base de données indisponible")
		}
		return err
	}
	var le *sqlite.Error
	if errors.As(err, &le) {
		switch le.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return sillage.Wrap(sillage.KindConflict, err, "cet élément existe déjà")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return sillage.Wrap(sillage.KindConflict, err, "élément lié introuvable ou encore utilisé")
		case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK:
			return sillage.Wrap(sillage.KindInvalid, err, "donnée refusée par la base")
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
			return sillage.Wrap(sillage.KindUnavailable, err, "base de données occupée, réessayez")
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
			return sillage.Wrap(sillage.KindUnavailable, err, "base de données inaccessible en écriture")
		}
		return err
	}
	if connBroken(err) {
		return sillage.Wrap(sillage.KindUnavailable, err, errUnreachable)
	}
	return err
}

// ts scans a timestamp stored by either engine; NULL is the zero time.
type ts struct{ t *time.Time }

func (s ts) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
	case time.Time:
		*s.t = v.UTC()
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T into a timestamp", src)
	}
	return nil
}

func (s ts) parse(v string) error {
	if t, ok := parseSQLiteTime(v); ok {
		*s.t = t
		return nil
	}
	for _, layout := range []string{sqliteTime, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			*s.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("store: bad timestamp %q", v)
}

// parseSQLiteTime reads a timestamp in the layout SQLite rows hold
// (sqliteTime, "2006-01-02T15:04:05.000000Z") without time.Parse: an export
// reads thousands of them. ok is false for anything else, which time.Parse
// then reads (or refuses).
func parseSQLiteTime(v string) (time.Time, bool) {
	if len(v) != len(sqliteTime) || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' || v[19] != '.' || v[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, j int) (int, bool) {
		n := 0
		for _, c := range []byte(v[i:j]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	micro, ok7 := num(20, 26)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC)
	if t.Day() != day { // 31 April, 29 February of a common year: time.Parse refuses them
		return time.Time{}, false
	}
	return t, true
}

// dt scans a civil date stored by either engine; NULL is the zero Date.
type dt struct{ d *sillage.Date }

func (s dt) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.d = sillage.Date{}
	case time.Time:
		*s.d = sillage.DateOf(v)
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T into a date", src)
	}
	return nil
}

func (s dt) parse(v string) error {
	if len(v) > 10 {
		v = v[:10]
	}
	d, err := sillage.ParseDate(v)
	if err != nil {
		return fmt.Errorf("store: bad date %q", v)
	}
	*s.d = d
	return nil
}

// nullID scans a nullable id column; NULL is 0.
type nullID struct{ id *int64 }

func (s nullID) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.id = 0
	case int64:
		*s.id = v
	case int32:
		*s.id = int64(v)
	case []byte:
		n, err := strconv.ParseInt(string(v), 10, 64)
		*s.id = n
		return err
	default:
		return fmt.Errorf("store: cannot scan %T into an id", src)
	}
	return nil
}

// idOrNull stores 0 as NULL (optional references).
func idOrNull(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
