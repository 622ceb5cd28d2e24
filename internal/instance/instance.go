// Package instance holds what the operator of the instance reads across
// its establishments (overview.md): the figures of every tenant side by
// side, on the operator's first page. It is the one place outside the store that reads
// tenant data of several establishments at once, so that the pages of
// internal/web stay within one establishment.
package instance

import (
	"context"
	"fmt"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// SetKind records the kind of an establishment, chosen by the operator
// where an import left it unknown or guessed it wrong: what the
// establishment is offered depends on it (LSU concerns écoles and collèges
// only). The entry goes to the establishment's own journal, where its
// administrators see why the Livret Scolaire appeared or went.
func SetKind(ctx context.Context, tx *store.Tx, uai sillage.UAI, kind sillage.EstablishmentKind, who audit.Actor) error {
	est, err := tx.Establishments().GetEstablishment(ctx, uai)
	if err != nil {
		return err
	}
	if err := tx.Establishments().SetEstablishmentKind(ctx, uai, kind); err != nil {
		return err
	}
	return audit.Record(ctx, tx, uai, who, audit.EstablishmentKind, string(uai),
		fmt.Sprintf("type : %s → %s", est.Kind.Label(), kind.Label()))
}

// Row is an establishment with its figures.
type Row struct {
	sillage.Establishment
	Counts sillage.EstablishmentCounts
}

// Overview is the instance as the operator sees it: every establishment,
// in the store's order, and the sum of their figures.
type Overview struct {
	Rows  []Row
	Total sillage.EstablishmentCounts
}

// Establishments reads the overview: one grouped query per table, not one
// per tenant.
func Establishments(ctx context.Context, tx *store.Tx) (Overview, error) {
	var o Overview
	es, err := tx.Establishments().ListEstablishments(ctx)
	if err != nil {
		return o, err
	}
	counts, err := tx.CrossTenant().AllEstablishmentCounts(ctx)
	if err != nil {
		return o, err
	}
	for _, e := range es {
		c := counts[e.UAI]
		o.Rows = append(o.Rows, Row{e, c})
		o.Total.Students += c.Students
		o.Total.ActiveStudents += c.ActiveStudents
		o.Total.Teachers += c.Teachers
		o.Total.Parents += c.Parents
		o.Total.Divisions += c.Divisions
		o.Total.Evaluations += c.Evaluations
	}
	return o, nil
}
