// Package store is Sillage's one store: hand-written SQL over database/sql,
// running unchanged on SQLite (modernc.org/sqlite, embedded, the default) and
// PostgreSQL (pgx). Every method that touches an establishment's data takes
// its UAI right after the context, so a query without the establishment
// cannot be written through this API.
//
// All work happens in transactions: Read for queries, Write for changes.
// SQLite has one writer connection (writes are serialised; a Write must not
// call Write) and a pool of readers on the WAL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sillage/sillage"
)

//go:embed migrations
var migrations embed.FS

// Kind names a database engine.
type Kind string

const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// DSN is a parsed SILLAGE_DB value: "sqlite:PATH" or a postgres:// URL.
type DSN struct {
	Kind Kind
	Path string // SQLite file
	URL  string // PostgreSQL URL
}

// ParseDSN reads a SILLAGE_DB / --db value.
func ParseDSN(s string) (DSN, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(s, "sqlite:")
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return DSN{}, sillage.Errorf(sillage.KindInvalid, "base de données %q invalide : chemin du fichier SQLite manquant (sqlite:CHEMIN)", s)
		}
		return DSN{Kind: SQLite, Path: p}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return DSN{}, sillage.Errorf(sillage.KindInvalid, "base de données invalide : URL PostgreSQL mal formée (postgres://utilisateur@hôte:port/base)")
		}
		return DSN{Kind: Postgres, URL: s}, nil
	}
	return DSN{}, sillage.Errorf(sillage.KindInvalid, "base de données %q invalide : sqlite:CHEMIN ou postgres://… attendu", redact(s))
}

// String returns the DSN with any password masked.
func (d DSN) String() string {
	if d.Kind == SQLite {
		return "sqlite:" + d.Path
	}
	return redact(d.URL)
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Options tune Open.
type Options struct {
	Clock sillage.Clock // stamps created_at/updated_at; SystemClock when nil
	// NoMigrate skips applying migrations (the caller checks Pending).
	NoMigrate bool
	// MaxConns bounds the PostgreSQL pool and the SQLite readers.
	MaxConns int
	// AuditKey seals new audit entries (keyed hashes); nil keeps the
	// unkeyed SHA-256 chain.
	AuditKey sillage.AuditKey
	// BusyTimeout is how long SQLite waits for a lock another process
	// holds before BEGIN fails (then retried with back-off); default 10
	// seconds.
	BusyTimeout time.Duration
}

// Store is the database.
type Store struct {
	dsn   DSN
	d     dialect
	w     *sql.DB // writes (SQLite: one connection)
	r     *sql.DB // reads (SQLite: the readers; PostgreSQL: same pool as w)
	clock sillage.Clock

	auditKey sillage.AuditKey
	latest   int64 // the highest embedded migration: what Ready expects
}

// Open connects, checks the database is reachable and applies migrations.
func Open(ctx context.Context, dsn DSN, opts Options) (*Store, error) {
	if opts.Clock == nil {
		opts.Clock = sillage.SystemClock{}
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 8
	}
	s := &Store{dsn: dsn, clock: opts.Clock, auditKey: opts.AuditKey}
	var err error
	switch dsn.Kind {
	case SQLite:
		err = s.openSQLite(opts)
	case Postgres:
		err = s.openPostgres(opts)
	default:
		err = sillage.Errorf(sillage.KindInvalid, "moteur de base de données inconnu")
	}
	if err != nil {
		return nil, err
	}
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("base de données %s injoignable", dsn))
	}
	if !opts.NoMigrate {
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.latest, err = s.latestMigration(); err != nil {
		s.Close()
		return nil, err
	}
	// SQLite's advice for a long-lived connection: statistics as the last
	// process left the data. (PostgreSQL's autovacuum needs no start.)
	// A database another process holds for writing (a long import) is
	// left as it is: that process refreshes the statistics after its work,
	// and a command must not fail for want of them.
	if dsn.Kind == SQLite && !opts.NoMigrate {
		if err := s.Optimize(ctx); err != nil && !sqliteBusy(err) {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) openSQLite(opts Options) error {
	s.d = sqliteDialect{}
	dir := filepath.Dir(s.dsn.Path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("impossible de créer le dossier de la base %s", dir))
	}
	if err := checkWritableDir(dir); err != nil {
		return err
	}
	// busy_timeout first, so the other pragmas wait instead of failing
	// when another process holds the lock.
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	// temp_store(MEMORY): the statement journals of multi-row writes (and
	// the sorts' temporary B-trees) stay in memory instead of temporary
	// files, which cost 15% of an import's CPU.
	base := "file:" + s.dsn.Path + "?_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)"
	// analysis_limit(400), SQLite's advice for PRAGMA optimize (Optimize):
	// an approximate ANALYZE reading about 400 rows per index, in
	// milliseconds whatever the size of the tables.
	//
	// The writer's page cache is 32 MiB instead of SQLite's 2 MiB: an
	// import's inserts walk the indexes of tables of millions of rows, and
	// with the default cache every walk re-read its pages from the
	// operating system (a third of an académie's AAF import was spent in
	// pread and in WAL writes). Its automatic checkpoint runs every 8,192
	// pages (32 MiB) instead of 1,000: each establishment of an import
	// committed a few MiB and paid a checkpoint, with its fsyncs, that
	// wrote again the same index pages the previous one had written;
	// journal_size_limit gives the WAL file back to 64 MiB after a
	// checkpoint.
	w, err := sql.Open("sqlite", base+"&_pragma=analysis_limit(400)&_pragma=cache_size(-32768)"+
		"&_pragma=wal_autocheckpoint(8192)&_pragma=journal_size_limit(67108864)&_txlock=immediate")
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "ouverture de la base SQLite")
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return sillage.Wrap(sillage.KindUnavailable, err, "ouverture de la base SQLite")
	}
	r.SetMaxOpenConns(opts.MaxConns)
	r.SetMaxIdleConns(opts.MaxConns)
	s.w, s.r = w, r
	return nil
}

// checkWritableDir refuses a read-only data directory up front, with one
// clear line, instead of a driver error at the first write.
func checkWritableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".sillage-write-check-*")
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("le dossier %s n'est pas accessible en écriture", dir))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func (s *Store) openPostgres(opts Options) error {
	s.d = postgresDialect{}
	cfg, err := pgx.ParseConfig(s.dsn.URL)
	if err != nil {
		return sillage.Wrap(sillage.KindInvalid, err, "URL PostgreSQL invalide")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.w, s.r = db, db
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		if rerr := s.r.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// Kind returns the database engine.
func (s *Store) Kind() Kind { return s.dsn.Kind }

// WriteConns is how many write transactions may be open at once (0: no
// bound): SQLite has one writer.
func (s *Store) WriteConns() int { return s.w.Stats().MaxOpenConnections }

// DSN returns the data source (print it with String: the password is masked).
func (s *Store) DSN() DSN { return s.dsn }

// Clock returns the store's clock.
func (s *Store) Clock() sillage.Clock { return s.clock }

// SQLDB returns the writer pool, for the job queue and raw benchmarks.
func (s *Store) SQLDB() *sql.DB { return s.w }

func (s *Store) migrationFS() (fs.FS, goose.Dialect, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	if s.dsn.Kind == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
	}
	sub, err := fs.Sub(migrations, dir)
	return sub, dialect, err
}

func (s *Store) provider() (*goose.Provider, error) {
	fsys, dialect, err := s.migrationFS()
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	if s.dsn.Kind == Postgres {
		// Two processes starting at once must not both migrate.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	// Capabilities add their migrations with reserved numbers; a database
	// migrated before a lower-numbered one landed must still accept it.
	opts = append(opts, goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true))
	return goose.NewProvider(dialect, s.w, fsys, opts...)
}

// Migrate applies the pending migrations.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "application des migrations")
	}
	return nil
}

// MigrationState is the applied and latest migration versions.
type MigrationState struct {
	Current, Latest int64
}

// Migrations reports the applied and the latest migration versions.
func (s *Store) Migrations(ctx context.Context) (MigrationState, error) {
	p, err := s.provider()
	if err != nil {
		return MigrationState{}, err
	}
	cur, latest, err := p.GetVersions(ctx)
	if err != nil {
		return MigrationState{}, mapErr(err)
	}
	return MigrationState{Current: cur, Latest: latest}, nil
}

// Ready checks the database answers and every migration is applied. It
// reads through the readers only: on SQLite, a long write holding the one
// writer connection does not make the instance look down.
func (s *Store) Ready(ctx context.Context) error {
	var cur int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&cur)
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "base de données injoignable")
	}
	if cur < s.latest {
		return sillage.Errorf(sillage.KindUnavailable, "migrations en attente : version %d appliquée, %d attendue", cur, s.latest)
	}
	return nil
}

// Read runs fn in a read-only transaction.
func (s *Store) Read(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, s.r, true, fn)
}

// Write runs fn in a read-write transaction, committed when fn returns nil.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, s.w, false, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, readOnly bool, fn func(*Tx) error) error {
	busy := 0
	for broken := 0; ; {
		again, err := s.runOnce(ctx, db, readOnly, fn)
		switch {
		case err == nil || ctx.Err() != nil:
			return err
		case again == retryBroken && broken == 0:
			broken++
		case again == retryBusy && busy < len(busyBackoff):
			select {
			case <-ctx.Done():
				return err
			case <-time.After(busyBackoff[busy]):
			}
			busy++
		default:
			var se *sillage.Error
			switch {
			case errors.As(err, &se):
			case sqliteBusy(err):
				return sillage.Wrap(sillage.KindUnavailable, err, errBusy)
			case connBroken(err):
				return sillage.Wrap(sillage.KindUnavailable, err, errUnreachable)
			}
			return err
		}
	}
}

// Why a transaction may be run again.
const (
	retryNone   = iota
	retryBroken // the connection broke before the first statement answered
	retryBusy   // SQLite's write lock was held by another process at BEGIN
)

func (s *Store) runOnce(ctx context.Context, db *sql.DB, readOnly bool, fn func(*Tx) error) (again int, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		if connBroken(err) {
			return retryBroken, err
		}
		return retryNone, sillage.Wrap(sillage.KindUnavailable, err, "connexion à la base de données")
	}
	defer conn.Close()
	var opts *sql.TxOptions
	if readOnly && s.dsn.Kind == Postgres {
		opts = &sql.TxOptions{ReadOnly: true}
	}
	sqlTx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		switch {
		case connBroken(err):
			return retryBroken, err
		case sqliteBusy(err):
			return retryBusy, err
		}
		return retryNone, mapErr(fmt.Errorf("begin: %w", err))
	}
	tx := &Tx{s: s, d: s.d, tx: sqlTx, conn: conn, now: s.clock.Now().UTC(), readOnly: readOnly}
	// Roll back unless committed: fn may return an error, panic, or end
	// its goroutine (runtime.Goexit, as t.Fatal in a test does), and in
	// each case the connection must be given back without the transaction.
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		if tx.issued <= 1 && connBroken(err) {
			return retryBroken, err
		}
		return retryNone, err
	}
	committed = true
	if err := sqlTx.Commit(); err != nil {
		// Whether a commit whose connection broke took effect is unknown:
		// never run again.
		return retryNone, mapErr(fmt.Errorf("commit: %w", err))
	}
	return retryNone, nil
}

// Tx is a transaction. Its methods are the store's API.
type Tx struct {
	s        *Store
	d        dialect
	tx       *sql.Tx
	conn     *sql.Conn
	now      time.Time
	readOnly bool
	ids      []idRange
	// issued counts the statements sent: a connection broken on the first
	// one is retried (nothing reached the database, fn saw nothing).
	issued int
}

// Now is the time the transaction started, by the store's clock: every
// row a transaction stamps gets the same instant.
func (tx *Tx) Now() time.Time { return tx.now }

// Kind returns the database engine.
func (tx *Tx) Kind() Kind { return tx.s.dsn.Kind }

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	tx.issued++
	q, args = tx.d.bind(q, args)
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return res, nil
}

// execN runs a statement and returns the number of rows it affected.
func (tx *Tx) execN(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapErr(err)
	}
	return n, nil
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	tx.issued++
	q, args = tx.d.bind(q, args)
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return rows, nil
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	tx.issued++
	q, args = tx.d.bind(q, args)
	return tx.tx.QueryRowContext(ctx, q, args...)
}

// count runs a query returning one integer.
func (tx *Tx) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	if err := tx.queryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, mapErr(err)
	}
	return n, nil
}

// collect runs a query and scans every row with scan.
func collect[T any](ctx context.Context, tx *Tx, q string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

type idRange struct{ next, end int64 }

// idBlock is how many ids one reservation takes.
const idBlock = 1000

// NewID returns an identifier unique in the instance.
func (tx *Tx) NewID(ctx context.Context) (int64, error) {
	ids, err := tx.NewIDs(ctx, 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// NewIDs returns n identifiers unique in the instance.
func (tx *Tx) NewIDs(ctx context.Context, n int) ([]int64, error) {
	if tx.readOnly {
		return nil, errors.New("store: NewIDs in a read-only transaction")
	}
	out := make([]int64, 0, n)
	for len(out) < n {
		if len(tx.ids) == 0 {
			blocks := (n - len(out) + idBlock - 1) / idBlock
			r, err := tx.d.reserveIDs(ctx, tx, blocks)
			if err != nil {
				return nil, fmt.Errorf("reserve ids: %w", err)
			}
			tx.ids = r
		}
		r := &tx.ids[0]
		for r.next < r.end && len(out) < n {
			out = append(out, r.next)
			r.next++
		}
		if r.next >= r.end {
			tx.ids = tx.ids[1:]
		}
	}
	return out, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// prefixed qualifies every column of a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// Optimize brings the planner's statistics up to date where the data
// changed enough to need it, cheaply enough to run after every import,
// transfer run and changeover step. SQLite gathers none by itself: PRAGMA
// optimize analyzes the tables that were never analyzed or whose size
// changed a lot since, sampling at most analysis_limit rows per index
// (set on the writer). PostgreSQL's autovacuum keeps statistics current
// but only after a delay: the tables it never analyzed yet (a fresh
// instance's first imports) are analyzed here once they hold rows, since
// the foreign-key checks planned while they looked empty would scan them
// whole. A table still empty is left for a later call: analyzing the
// seventy-odd empty tables of a fresh instance was most of its first
// import's time on PostgreSQL (issue 18), and would only record them as
// empty, which is what makes a plan scan a table whole once it fills.
func (s *Store) Optimize(ctx context.Context) error {
	if s.dsn.Kind == SQLite {
		// 0x10000 checks every table, not only those this connection read
		// (imports write through it without reading most of them); 0x12
		// is the default (analyze within a temporary limit).
		_, err := s.w.ExecContext(ctx, "PRAGMA optimize=0x10012")
		return wrapOptimize(err)
	}
	// pg_class and the two statistics functions rather than the view
	// pg_stat_user_tables, which joins and groups every table of the
	// database before the filter on the schema: several times the cost
	// once other schemas share the database (issue 18: it ran after each
	// import).
	rows, err := s.w.QueryContext(ctx, unanalyzedTablesSQL)
	if err != nil {
		return wrapOptimize(err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return wrapOptimize(err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(tables) == 0 {
		return wrapOptimize(err)
	}
	_, err = s.w.ExecContext(ctx, "ANALYZE "+strings.Join(tables, ", "))
	return wrapOptimize(err)
}

// unanalyzedTablesSQL lists the tables of the store's schema that were
// never analyzed (PostgreSQL), as pg_stat_user_tables would, and that hold
// at least a page (a partitioned table has none of its own). The size is
// read from the files, not from the statistics counters, which reach the
// other connections up to a second after a commit; the planner checks it
// after the cheaper conditions, for the never analyzed tables only.
const unanalyzedTablesSQL = `SELECT quote_ident(c.relname) FROM pg_class c
	WHERE c.relnamespace = (SELECT n.oid FROM pg_namespace n WHERE n.nspname = current_schema()) AND c.relkind IN ('r', 'p', 'm')
		AND pg_stat_get_last_analyze_time(c.oid) IS NULL AND pg_stat_get_last_autoanalyze_time(c.oid) IS NULL
		AND (c.relkind = 'p' OR pg_relation_size(c.oid) > 0)`

func wrapOptimize(err error) error {
	if err == nil {
		return nil
	}
	return sillage.Wrap(sillage.KindUnavailable, mapErr(err), "mise à jour des statistiques de la base")
}
