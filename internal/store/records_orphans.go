package store

import (
	"context"
)

// Results and comments have no foreign keys (migration 0021): the
// statements that delete what they hang from delete them first, set-based,
// in the same transaction. Each helper below takes the condition that
// names the parents (a subquery over the parent table, or a column test)
// and its arguments.

// deleteRecordsWhere deletes the results and comments whose column col
// satisfies cond (e.g. "student_id = $2", "evaluation_id IN (SELECT …)").
func (tx *Tx) deleteRecordsWhere(ctx context.Context, cond string, args ...any) error {
	for _, table := range []string{"results", "comments"} {
		if _, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE `+cond, args...); err != nil {
			return err
		}
	}
	return nil
}

// RecordOrphans counts, by relation, the results and comments whose
// evaluation, student or competence no longer exists: the invariant the
// foreign keys dropped by migration 0021 kept, which every deletion keeps
// now (all zero). Reads every establishment.
func (tx CrossTenant) RecordOrphans(ctx context.Context) (map[string]int64, error) {
	checks := []struct{ name, q string }{
		{"results.evaluation", `SELECT COUNT(*) FROM results x WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.uai = x.uai AND e.id = x.evaluation_id)`},
		{"results.student", `SELECT COUNT(*) FROM results x WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = x.uai AND p.id = x.student_id)`},
		{"results.competence", `SELECT COUNT(*) FROM results x WHERE NOT EXISTS (SELECT 1 FROM competences c WHERE c.uai = x.uai AND c.id = x.competence_id)`},
		{"comments.evaluation", `SELECT COUNT(*) FROM comments x WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.uai = x.uai AND e.id = x.evaluation_id)`},
		{"comments.student", `SELECT COUNT(*) FROM comments x WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = x.uai AND p.id = x.student_id)`},
	}
	out := map[string]int64{}
	for _, c := range checks {
		var n int64
		if err := tx.queryRow(ctx, c.q).Scan(&n); err != nil {
			return nil, mapErr(err)
		}
		out[c.name] = n
	}
	return out, nil
}

// deletePersonKeysOf deletes the unqid versions (person_unqids) of the
// persons a statement of the transaction has just deleted: those whose
// rows cond names (a condition on person_unqids: "uai = $1 AND person_id
// = $2", "(uai, person_id) IN (SELECT …)") and whose person is gone. It
// runs after the persons' deletion, not before: a versions row an import
// added meanwhile (after locking the person, replacePersonKeys) is
// committed by then and goes too. The foreign key's cascade did this
// before migration 0036 (PostgreSQL).
func (tx *Tx) deletePersonKeysOf(ctx context.Context, cond string, args ...any) error {
	_, err := tx.exec(ctx, `DELETE FROM person_unqids WHERE `+cond+`
		AND NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = person_unqids.uai AND p.id = person_unqids.person_id)`, args...)
	return err
}

// PersonOrphans counts, by relation, the rows that point at a person,
// account or establishment that no longer exists, for the keys migration
// 0036 dropped on PostgreSQL (all zero: every deletion keeps the
// invariant). Reads every establishment.
func (tx CrossTenant) PersonOrphans(ctx context.Context) (map[string]int64, error) {
	checks := []struct{ name, q string }{
		{"person_unqids.person", `SELECT COUNT(*) FROM person_unqids x WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = x.uai AND p.id = x.person_id)`},
		{"persons.account", `SELECT COUNT(*) FROM persons x WHERE x.account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = x.account_id)`},
		{"persons.establishment", `SELECT COUNT(*) FROM persons x WHERE NOT EXISTS (SELECT 1 FROM establishments e WHERE e.uai = x.uai)`},
	}
	out := map[string]int64{}
	for _, c := range checks {
		var n int64
		if err := tx.queryRow(ctx, c.q).Scan(&n); err != nil {
			return nil, mapErr(err)
		}
		out[c.name] = n
	}
	return out, nil
}
