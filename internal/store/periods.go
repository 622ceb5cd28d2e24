package store

import (
	"context"
	"database/sql"

	"github.com/sillage/sillage"
)

const periodCols = `uai, id, school_year, kind, idx, start_date, end_date`

func scanPeriod(r scanner) (sillage.Period, error) {
	var p sillage.Period
	var u, kind string
	var year int64
	err := r.Scan(&u, &p.ID, &year, &kind, &p.Index, dt{&p.Start}, dt{&p.End})
	p.UAI, p.SchoolYear, p.Kind = sillage.UAI(u), sillage.SchoolYear(year), sillage.PeriodKind(kind)
	return p, err
}

// CreatePeriod adds a period and sets its ID.
func (tx Periods) CreatePeriod(ctx context.Context, uai sillage.UAI, p *sillage.Period) error {
	if p.Start.IsZero() || p.End.IsZero() || p.End.Before(p.Start) {
		return sillage.Errorf(sillage.KindInvalid, "dates de période invalides")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	p.UAI, p.ID = uai, id
	_, err = tx.exec(ctx, `INSERT INTO periods (uai, id, school_year, kind, idx, start_date, end_date) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		uai, p.ID, p.SchoolYear, p.Kind, p.Index, p.Start, p.End)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "la période %s existe déjà", p.Label())
	}
	return err
}

// GetPeriod returns a period.
func (tx Periods) GetPeriod(ctx context.Context, uai sillage.UAI, id int64) (sillage.Period, error) {
	p, err := scanPeriod(tx.queryRow(ctx, `SELECT `+periodCols+` FROM periods WHERE uai = $1 AND id = $2`, uai, id))
	if err == sql.ErrNoRows {
		return p, sillage.Errorf(sillage.KindNotFound, "période introuvable")
	}
	return p, mapErr(err)
}

// ListPeriods returns the periods of a school year (0: every year), in order.
func (tx Periods) ListPeriods(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.Period, error) {
	q, args := `SELECT `+periodCols+` FROM periods WHERE uai = $1`, []any{uai}
	if year != 0 {
		q += ` AND school_year = $2`
		args = append(args, year)
	}
	return collect(ctx, tx.txn, q+` ORDER BY school_year, kind, idx`, args, func(r *sql.Rows) (sillage.Period, error) { return scanPeriod(r) })
}

// DeletePeriod deletes a period without reports: those entered for it
// would be lost (the dates are corrected instead).
func (tx Periods) DeletePeriod(ctx context.Context, uai sillage.UAI, id int64) error {
	rs, err := tx.Livret().ListPeriodicReports(ctx, uai, sillage.ReportFilter{PeriodIDs: []int64{id}})
	if err != nil {
		return err
	}
	if len(rs) > 0 {
		return sillage.Errorf(sillage.KindConflict, "%d bilans ont été saisis pour cette période : elle ne peut pas être supprimée (corrigez plutôt ses dates)", len(rs))
	}
	n, err := tx.execN(ctx, `DELETE FROM periods WHERE uai = $1 AND id = $2`, uai, id)
	return notFoundIfNone(n, err, "période")
}

// GetSetting returns an establishment setting, or def when unset.
func (tx Periods) GetSetting(ctx context.Context, uai sillage.UAI, key, def string) (string, error) {
	var v string
	err := tx.queryRow(ctx, `SELECT value FROM settings WHERE uai = $1 AND key = $2`, uai, key).Scan(&v)
	if err == sql.ErrNoRows {
		return def, nil
	}
	return v, mapErr(err)
}

// DeleteSetting removes an establishment setting (it reads as its default again).
func (tx Periods) DeleteSetting(ctx context.Context, uai sillage.UAI, key string) error {
	_, err := tx.exec(ctx, `DELETE FROM settings WHERE uai = $1 AND key = $2`, uai, key)
	return err
}

// SetSetting stores an establishment setting.
func (tx Periods) SetSetting(ctx context.Context, uai sillage.UAI, key, value string) error {
	_, err := tx.exec(ctx, `INSERT INTO settings (uai, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (uai, key) DO UPDATE SET value = excluded.value`, uai, key, value)
	return err
}
