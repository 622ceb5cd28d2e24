package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sillage/sillage"
)

// HeldImport is an upload held for a confirmation, as the store keeps it:
// Meta is the importer's description (JSON), Files the sealed contents.
type HeldImport struct {
	Token   string
	Meta    []byte
	Created time.Time
	Files   [][]byte
}

// KeepHeldImport stores a held upload of the establishment.
func (tx Imports) KeepHeldImport(ctx context.Context, uai sillage.UAI, h HeldImport) error {
	if _, err := tx.exec(ctx, `INSERT INTO held_imports (uai, token, meta, created_at) VALUES ($1, $2, $3, $4)`,
		uai, h.Token, string(h.Meta), h.Created); err != nil {
		return mapErr(err)
	}
	for i, f := range h.Files {
		if _, err := tx.exec(ctx, `INSERT INTO held_import_files (uai, token, idx, sealed) VALUES ($1, $2, $3, $4)`,
			uai, h.Token, i, f); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// TakeHeldImport returns the establishment's held upload of token and
// deletes it (a token is used once); another establishment's token is
// "not found", like an unknown one.
func (tx Imports) TakeHeldImport(ctx context.Context, uai sillage.UAI, token string) (HeldImport, error) {
	h := HeldImport{Token: token}
	var meta string
	err := tx.queryRow(ctx, `SELECT meta, created_at FROM held_imports WHERE uai = $1 AND token = $2`, uai, token).
		Scan(&meta, ts{&h.Created})
	if errors.Is(err, sql.ErrNoRows) {
		return HeldImport{}, sillage.Errorf(sillage.KindNotFound, "import en attente introuvable ou expiré : envoyez le fichier à nouveau")
	}
	if err != nil {
		return HeldImport{}, mapErr(err)
	}
	h.Meta = []byte(meta)
	rows, err := tx.query(ctx, `SELECT sealed FROM held_import_files WHERE uai = $1 AND token = $2 ORDER BY idx`, uai, token)
	if err != nil {
		return HeldImport{}, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var f []byte
		if err := rows.Scan(&f); err != nil {
			return HeldImport{}, err
		}
		h.Files = append(h.Files, f)
	}
	if err := rows.Err(); err != nil {
		return HeldImport{}, err
	}
	rows.Close()
	// The files go with their upload (ON DELETE CASCADE).
	if _, err := tx.exec(ctx, `DELETE FROM held_imports WHERE uai = $1 AND token = $2`, uai, token); err != nil {
		return HeldImport{}, mapErr(err)
	}
	return h, nil
}

// ExpireHeldImports deletes the held uploads of every establishment
// created before t and returns how many: the hourly sweep of the jobs.
func (tx CrossTenant) ExpireHeldImports(ctx context.Context, before time.Time) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM held_imports WHERE created_at < $1`, before)
	return int(n), mapErr(err)
}
