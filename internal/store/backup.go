package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/sillage/sillage"
)

// VacuumInto writes a consistent copy of a SQLite database to path (which
// must not exist): one read transaction over the database and its WAL, on
// a connection of its own, so writers go on meanwhile (WAL mode).
func (s *Store) VacuumInto(ctx context.Context, path string) error {
	if s.dsn.Kind != SQLite {
		return sillage.Errorf(sillage.KindInvalid, "VACUUM INTO : base SQLite seulement")
	}
	db, err := sql.Open("sqlite", "file:"+s.dsn.Path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "ouverture de la base SQLite")
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "copie de la base SQLite (VACUUM INTO)")
	}
	return nil
}

// ExportSnapshot runs fn in a read-only REPEATABLE READ transaction of
// PostgreSQL whose snapshot is exported: fn receives the snapshot's id, for
// `pg_dump --snapshot`, and the transaction, which reads the same state as
// the dump. The snapshot lives until fn returns.
func (s *Store) ExportSnapshot(ctx context.Context, fn func(tx *Tx, snapshot string) error) error {
	if s.dsn.Kind != Postgres {
		return sillage.Errorf(sillage.KindInvalid, "instantané exporté : PostgreSQL seulement")
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "connexion à la base de données")
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return mapErr(fmt.Errorf("begin: %w", err))
	}
	defer sqlTx.Rollback()
	var id string
	if err := sqlTx.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&id); err != nil {
		return mapErr(err)
	}
	tx := &Tx{s: s, d: s.d, tx: sqlTx, conn: conn, now: s.clock.Now().UTC(), readOnly: true}
	return fn(tx, id)
}

// libpqParams are the URL parameters the PostgreSQL tools (libpq) accept.
var libpqParams = map[string]bool{
	"sslmode": true, "sslcert": true, "sslkey": true, "sslrootcert": true, "sslpassword": true, "sslcrl": true,
	"connect_timeout": true, "application_name": true, "target_session_attrs": true, "options": true,
	"passfile": true, "channel_binding": true, "gssencmode": true, "krbsrvname": true, "service": true,
}

// PGTool is how the PostgreSQL tools (pg_dump, pg_restore) reach the
// database of a DSN: a libpq URL without the password (given through
// PGPASSWORD, never on a command line) and the schema named by a
// search_path parameter, if any ("" for the whole database).
type PGTool struct {
	URL      string
	Password string
	Schema   string
}

// PGTool converts a PostgreSQL DSN for the PostgreSQL tools.
func (d DSN) PGTool() (PGTool, error) {
	if d.Kind != Postgres {
		return PGTool{}, sillage.Errorf(sillage.KindInvalid, "base PostgreSQL attendue")
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return PGTool{}, sillage.Errorf(sillage.KindInvalid, "URL PostgreSQL mal formée")
	}
	var t PGTool
	if u.User != nil {
		t.Password, _ = u.User.Password()
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if sp := q.Get("search_path"); sp != "" {
		if strings.Contains(sp, ",") {
			return PGTool{}, sillage.Errorf(sillage.KindInvalid, "search_path %q : un seul schéma est possible pour une sauvegarde", sp)
		}
		t.Schema = strings.TrimSpace(sp)
	}
	for k := range q {
		if !libpqParams[k] {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	t.URL = u.String()
	return t, nil
}

// IsEmpty reports whether the database holds no Sillage tables yet (no
// migration applied): the only target a restore writes into.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var q string
	if s.dsn.Kind == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'goose_db_version'`
	} else {
		q = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	}
	var n int
	if err := s.r.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, mapErr(err)
	}
	return n == 0, nil
}
