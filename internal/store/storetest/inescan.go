package storetest

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
)

// The INE is never stored (privacy.md, docs/securite.md): only its keyed
// hash. INEsIn and NoINEAtRest check it after a flow that reads INEs from
// files: every INE of the inputs is looked for in the database (SQLite:
// the file and its WAL; PostgreSQL: every table of the store's schema
// dumped as text) and in every file of the given folders (the data
// directory: blobs, held imports), ZIP entries opened.

// ineToken is a candidate INE: 11 letters or digits between non-alphanumerics.
var ineToken = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([0-9A-Za-z]{11})(?:[^0-9A-Za-z]|$)`)

// INEsIn returns the valid INEs the files at paths hold (ZIP entries
// opened), normalised, without duplicates. It fails the test when there is
// none: a scan for nothing would prove nothing.
func INEsIn(tb testing.TB, paths ...string) []string {
	tb.Helper()
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		for _, text := range contents(data) {
			for _, m := range ineToken.FindAllSubmatch(text, -1) {
				s := ident.NormalizeINE(string(m[1]))
				if _, err := ident.CheckINE(s); err == nil && !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no INE in %v: the scan would prove nothing", paths)
	}
	return out
}

// contents returns data, and the entries of data when it is a ZIP.
func contents(data []byte) [][]byte {
	out := [][]byte{data}
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return out
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return out
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rc, 1<<30))
		rc.Close()
		if err == nil {
			out = append(out, contents(b)...)
		}
	}
	return out
}

// NoINEAtRest fails the test if any of ines is in the store's database or
// in a file under dirs (names included).
func NoINEAtRest(tb testing.TB, st *store.Store, ines []string, dirs ...string) {
	tb.Helper()
	if len(ines) == 0 {
		tb.Fatal("NoINEAtRest: no INE to look for")
	}
	find := func(where string, data []byte) {
		tb.Helper()
		for _, ine := range ines {
			if bytes.Contains(data, []byte(ine)) || bytes.Contains(data, []byte(strings.ToLower(ine))) {
				tb.Fatalf("an INE of the inputs rests in %s", where)
			}
		}
	}
	switch st.Kind() {
	case store.SQLite:
		path := st.DSN().Path
		for _, p := range []string{path, path + "-wal"} {
			data, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				tb.Fatal(err)
			}
			find(filepath.Base(p), data)
		}
	case store.Postgres:
		for table, text := range dumpTables(tb, st.SQLDB()) {
			find("the table "+table, text)
		}
	}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			find("the name "+p, []byte(p))
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, c := range contents(data) {
				find("the file "+p, c)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// dumpTables returns every table of the connection's schema as text, one
// row per line (River's tables included).
func dumpTables(tb testing.TB, db *sql.DB) map[string][]byte {
	tb.Helper()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if len(tables) == 0 {
		tb.Fatal("no table in the store's schema: the scan would prove nothing")
	}
	out := map[string][]byte{}
	for _, t := range tables {
		r, err := db.QueryContext(ctx, `SELECT t::text FROM "`+t+`" t`)
		if err != nil {
			tb.Fatalf("dump %s: %v", t, err)
		}
		var b bytes.Buffer
		for r.Next() {
			var line string
			if err := r.Scan(&line); err != nil {
				tb.Fatal(err)
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
		r.Close()
		out[t] = b.Bytes()
	}
	return out
}
