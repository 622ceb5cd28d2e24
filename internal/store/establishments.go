package store

import (
	"context"
	"database/sql"

	"github.com/sillage/sillage"
)

// CreateEstablishment adds an establishment (a new tenant).
func (tx Establishments) CreateEstablishment(ctx context.Context, e sillage.Establishment) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = tx.now
	}
	_, err := tx.exec(ctx, `INSERT INTO establishments (uai, name, kind, transfer_enabled, transfer_reference, transfer_changed_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.UAI, e.Name, e.Kind, e.Transfer.Enabled, e.Transfer.Reference, e.Transfer.ChangedAt, e.CreatedAt)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "l'établissement %s existe déjà", e.UAI)
	}
	return err
}

const establishmentCols = `uai, name, kind, transfer_enabled, transfer_reference, transfer_changed_at, created_at`

func scanEstablishment(r interface{ Scan(...any) error }) (sillage.Establishment, error) {
	var e sillage.Establishment
	var uai, kind string
	err := r.Scan(&uai, &e.Name, &kind, &e.Transfer.Enabled, &e.Transfer.Reference, ts{&e.Transfer.ChangedAt}, ts{&e.CreatedAt})
	e.UAI, e.Kind = sillage.UAI(uai), sillage.EstablishmentKind(kind)
	return e, err
}

// GetEstablishment returns the establishment uai.
func (tx Establishments) GetEstablishment(ctx context.Context, uai sillage.UAI) (sillage.Establishment, error) {
	e, err := scanEstablishment(tx.queryRow(ctx, `SELECT `+establishmentCols+` FROM establishments WHERE uai = $1`, uai))
	if err == sql.ErrNoRows {
		return e, sillage.Errorf(sillage.KindNotFound, "établissement %s introuvable", uai)
	}
	return e, mapErr(err)
}

// ListEstablishments returns every establishment of the instance, by UAI.
// Only the operator's pages and the instance-wide jobs list them.
func (tx Establishments) ListEstablishments(ctx context.Context) ([]sillage.Establishment, error) {
	return collect(ctx, tx.txn, `SELECT `+establishmentCols+` FROM establishments ORDER BY uai`, nil,
		func(r *sql.Rows) (sillage.Establishment, error) { return scanEstablishment(r) })
}

// UpdateEstablishmentName renames an establishment.
func (tx Establishments) UpdateEstablishmentName(ctx context.Context, uai sillage.UAI, name string) error {
	n, err := tx.execN(ctx, `UPDATE establishments SET name = $2 WHERE uai = $1`, uai, name)
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "établissement %s introuvable", uai)
	}
	return err
}

// SetEstablishmentKind records the kind an operator chose (an import may
// leave it unknown, or have guessed it wrong).
func (tx Establishments) SetEstablishmentKind(ctx context.Context, uai sillage.UAI, kind sillage.EstablishmentKind) error {
	if _, err := sillage.ParseEstablishmentKind(string(kind)); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `UPDATE establishments SET kind = $2 WHERE uai = $1`, uai, kind)
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "établissement %s introuvable", uai)
	}
	return err
}

// SetTransferSettings records an establishment's transfer opt-in.
func (tx Establishments) SetTransferSettings(ctx context.Context, uai sillage.UAI, s sillage.TransferSettings) error {
	if s.ChangedAt.IsZero() {
		s.ChangedAt = tx.now
	}
	n, err := tx.execN(ctx, `UPDATE establishments SET transfer_enabled = $2, transfer_reference = $3, transfer_changed_at = $4 WHERE uai = $1`,
		uai, s.Enabled, s.Reference, s.ChangedAt)
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "établissement %s introuvable", uai)
	}
	return err
}

// EstablishmentCounts returns the figures of one establishment.
func (tx Establishments) EstablishmentCounts(ctx context.Context, uai sillage.UAI) (sillage.EstablishmentCounts, error) {
	all, err := tx.countsBy(ctx, uai)
	if err != nil {
		return sillage.EstablishmentCounts{}, err
	}
	return all[uai], nil
}

// AllEstablishmentCounts returns the figures of every establishment, for the
// operator's first page: one grouped query per table, not one per tenant.
func (tx CrossTenant) AllEstablishmentCounts(ctx context.Context) (map[sillage.UAI]sillage.EstablishmentCounts, error) {
	return tx.countsBy(ctx, "")
}

func (tx *Tx) countsBy(ctx context.Context, only sillage.UAI) (map[sillage.UAI]sillage.EstablishmentCounts, error) {
	out := map[sillage.UAI]sillage.EstablishmentCounts{}
	filter := ""
	var args []any
	if only != "" {
		filter = " WHERE uai = $1"
		args = []any{only}
	}
	rows, err := tx.query(ctx, `SELECT uai, role, COUNT(*), SUM(CASE WHEN deactivated_at IS NULL THEN 1 ELSE 0 END)
		FROM persons`+filter+` GROUP BY uai, role`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var uai, role string
		var n, active int
		if err := rows.Scan(&uai, &role, &n, &active); err != nil {
			return nil, mapErr(err)
		}
		c := out[sillage.UAI(uai)]
		switch sillage.Role(role) {
		case sillage.RoleStudent:
			c.Students, c.ActiveStudents = n, active
		case sillage.RoleTeacher:
			c.Teachers = active
		case sillage.RoleParent:
			c.Parents = active
		}
		out[sillage.UAI(uai)] = c
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	for _, q := range []struct {
		sql string
		set func(*sillage.EstablishmentCounts, int)
	}{
		{`SELECT uai, COUNT(*) FROM divisions` + filter + ` GROUP BY uai`, func(c *sillage.EstablishmentCounts, n int) { c.Divisions = n }},
		{`SELECT uai, COUNT(*) FROM evaluations` + filter + ` GROUP BY uai`, func(c *sillage.EstablishmentCounts, n int) { c.Evaluations = n }},
	} {
		rows, err := tx.query(ctx, q.sql, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var uai string
			var n int
			if err := rows.Scan(&uai, &n); err != nil {
				rows.Close()
				return nil, mapErr(err)
			}
			c := out[sillage.UAI(uai)]
			q.set(&c, n)
			out[sillage.UAI(uai)] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
	}
	return out, nil
}
