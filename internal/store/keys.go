package store

import (
	"context"
	"database/sql"
	"errors"
	"github.com/sillage/sillage"
)

// ListKeyVersions returns the versions of the key name the database knows,
// oldest first. Instance-wide: keys are not an establishment's data.
func (tx Keys) ListKeyVersions(ctx context.Context, name string) ([]sillage.KeyVersion, error) {
	return collect(ctx, tx.txn, `SELECT name, version, fingerprint, recorded_at, retired FROM key_registry WHERE name = $1 ORDER BY version`,
		[]any{name}, func(r *sql.Rows) (sillage.KeyVersion, error) {
			var k sillage.KeyVersion
			var retired int
			err := r.Scan(&k.Name, &k.Version, &k.Fingerprint, ts{&k.RecordedAt}, &retired)
			k.Retired = retired != 0
			return k, err
		})
}

// RecordKeyVersion records a version of a key, unless that version is
// known already (its fingerprint is then left as it is: the caller compares
// first).
func (tx Keys) RecordKeyVersion(ctx context.Context, name string, version int, fingerprint string) error {
	_, err := tx.exec(ctx, `INSERT INTO key_registry (name, version, fingerprint, recorded_at, retired) VALUES ($1, $2, $3, $4, 0)
		ON CONFLICT (name, version) DO NOTHING`, name, version, fingerprint, tx.now)
	return err
}

// RetireKeyVersions marks every version of a key as retired (a deliberate
// replacement of the key) and returns how many were.
func (tx Keys) RetireKeyVersions(ctx context.Context, name string) (int64, error) {
	return tx.execN(ctx, `UPDATE key_registry SET retired = 1 WHERE name = $1 AND retired = 0`, name)
}

// HasPseudonyms reports whether any unqid is stored (a student's or an
// entry of the transfer index): an instance without one has nothing a new
// INE key could silently orphan.
func (tx Keys) HasPseudonyms(ctx context.Context) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM person_unqids LIMIT 1) a) + (SELECT COUNT(*) FROM (SELECT 1 FROM transfer_index LIMIT 1) b)`).Scan(&n)
	return n > 0, mapErr(err)
}

// NewestPseudonym returns a stored unqid of the highest key version ("" when
// none is stored). Unqids of one version have the same length, so the
// longest, then the greatest, carries the highest version.
func (tx Keys) NewestPseudonym(ctx context.Context) (string, error) {
	var u string
	err := tx.queryRow(ctx, `SELECT unqid FROM (SELECT unqid FROM person_unqids UNION ALL SELECT unqid FROM transfer_index) u
		ORDER BY length(unqid) DESC, unqid DESC LIMIT 1`).Scan(&u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return u, mapErr(err)
}
