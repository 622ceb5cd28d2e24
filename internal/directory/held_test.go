package directory_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestHeldImports: a held upload is sealed at rest (no byte of the file in
// clear in the database), taken once by its establishment only, refused
// once expired or altered, and deleted by Expire after HeldTTL — on both
// engines, since every server of an instance reads it there.
func TestHeldImports(t *testing.T) {
	box, err := sealbox.LoadOrCreate(filepath.Join(t.TempDir(), "secrets-key"))
	if err != nil {
		t.Fatal(err)
	}
	src := testdata("siecle_0860012W_2.xml")
	plain, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		now := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
		h := &directory.HeldImports{Store: st, Box: box}
		keep := func(at time.Time) string {
			t.Helper()
			token, err := h.Keep(ctx, directory.HeldMeta{UAI: scenarioUAI, Source: directory.SourceSIECLE, Created: at,
				Files: []directory.HeldFile{{Path: src, Orig: "ElevesSansAdresses.xml"}}})
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		// Numbered placeholders: $N on PostgreSQL, ?N on SQLite.
		sql := func(q string) string {
			if st.Kind() == store.SQLite {
				return strings.ReplaceAll(q, "$", "?")
			}
			return q
		}
		sealedOf := func(token string) []byte {
			t.Helper()
			var sealed []byte
			q := sql(`SELECT sealed FROM held_import_files WHERE token = $1`)
			if err := st.SQLDB().QueryRowContext(ctx, q, token).Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			return sealed
		}
		token := keep(now)
		if sealed := sealedOf(token); !sealbox.IsSealed(sealed) || bytes.Contains(sealed, []byte("ID_NATIONAL")) {
			t.Fatalf("held file at rest: sealed %v", sealbox.IsSealed(sealed))
		}
		for _, c := range []struct {
			uai   sillage.UAI
			token string
			want  string
		}{
			{"0010856A", token, "introuvable"},
			{scenarioUAI, "../" + token[3:], "introuvable"},
			{scenarioUAI, strings.Repeat("0", 32), "introuvable"},
		} {
			if _, err := h.Take(ctx, c.uai, c.token, now, t.TempDir()); sillage.KindOf(err) != sillage.KindNotFound || !strings.Contains(sillage.Message(err), c.want) {
				t.Errorf("take %s by %s: %v", c.token, c.uai, err)
			}
		}
		dir := t.TempDir()
		m, err := h.Take(ctx, scenarioUAI, token, now.Add(59*time.Minute), dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(m.Files[0].Path)
		if err != nil || !bytes.Equal(got, plain) || m.Files[0].Orig != "ElevesSansAdresses.xml" || filepath.Dir(m.Files[0].Path) != dir {
			t.Fatalf("taken: %+v %v", m, err)
		}
		if _, err := h.Take(ctx, scenarioUAI, token, now, t.TempDir()); sillage.KindOf(err) != sillage.KindNotFound {
			t.Fatalf("a token is used once: %v", err)
		}
		// Altered at rest: refused, nothing left in clear.
		token = keep(now)
		sealed := sealedOf(token)
		sealed[len(sealed)-3] ^= 1
		if _, err := st.SQLDB().ExecContext(ctx, sql(`UPDATE held_import_files SET sealed = $1 WHERE token = $2`), sealed, token); err != nil {
			t.Fatal(err)
		}
		dir = t.TempDir()
		if _, err := h.Take(ctx, scenarioUAI, token, now, dir); sillage.KindOf(err) != sillage.KindInvalid {
			t.Fatalf("an altered held file: %v", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("an altered held file left %d files in clear", len(entries))
		}
		// Expired: refused by Take, deleted by Expire.
		expired := keep(now)
		if _, err := h.Take(ctx, scenarioUAI, expired, now.Add(61*time.Minute), t.TempDir()); sillage.KindOf(err) != sillage.KindNotFound {
			t.Fatalf("an expired held upload: %v", err)
		}
		fresh, stale := keep(now.Add(30*time.Minute)), keep(now)
		if n, err := h.Expire(ctx, now.Add(61*time.Minute)); err != nil || n != 1 {
			t.Fatalf("expire at 61 minutes: %d %v, want the older one only", n, err)
		}
		if _, err := h.Take(ctx, scenarioUAI, stale, now, t.TempDir()); sillage.KindOf(err) != sillage.KindNotFound {
			t.Fatalf("the expired upload is still there: %v", err)
		}
		if _, err := h.Take(ctx, scenarioUAI, fresh, now.Add(61*time.Minute), t.TempDir()); err != nil {
			t.Fatalf("the recent upload went with the expired one: %v", err)
		}
		var rows int
		st.SQLDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM held_import_files`).Scan(&rows)
		if rows != 0 {
			t.Fatalf("%d sealed files left without their upload", rows)
		}
		// Without the key, nothing is held.
		if _, err := (&directory.HeldImports{Store: st}).Keep(ctx, directory.HeldMeta{UAI: scenarioUAI}); sillage.KindOf(err) != sillage.KindUnavailable {
			t.Fatalf("held without a key: %v", err)
		}
	})
}
