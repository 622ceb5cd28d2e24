package store

import (
	"context"
	"strings"
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
	checks := []orphanCheck{
		{"results.evaluation", `SELECT COUNT(*) FROM results x WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.uai = x.uai AND e.id = x.evaluation_id)`},
		{"results.student", `SELECT COUNT(*) FROM results x WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = x.uai AND p.id = x.student_id)`},
		{"results.competence", `SELECT COUNT(*) FROM results x WHERE NOT EXISTS (SELECT 1 FROM competences c WHERE c.uai = x.uai AND c.id = x.competence_id)`},
		{"comments.evaluation", `SELECT COUNT(*) FROM comments x WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.uai = x.uai AND e.id = x.evaluation_id)`},
		{"comments.student", `SELECT COUNT(*) FROM comments x WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = x.uai AND p.id = x.student_id)`},
	}
	return tx.countOrphans(ctx, checks)
}

// deletePersonKeysOf deletes the rows that point at the persons a
// statement of the transaction has just deleted, in the tables whose keys
// migration 0036 dropped on PostgreSQL (their cascades did this before):
// the unqid versions (person_unqids) and the guardian links, by parent or
// by student. cond names the candidate rows with {id} for the column that
// holds the person ("uai = $1 AND {id} = $2", "(uai, {id}) IN (SELECT …)");
// only those whose person is gone are deleted. It runs after the persons'
// deletion, not before: a row an import added meanwhile (after locking the
// person, lockPersons) is committed by then and goes too.
func (tx *Tx) deletePersonKeysOf(ctx context.Context, cond string, args ...any) error {
	for _, q := range personKeysDeleteSQL(cond) {
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// personKeysDeleteSQL returns deletePersonKeysOf's statements for cond:
// the unqid versions, the links by parent, the links by student.
func personKeysDeleteSQL(cond string) []string {
	var out []string
	for _, c := range []struct{ table, col string }{{"person_unqids", "person_id"}, {"guardianships", "parent_id"}, {"guardianships", "student_id"}} {
		out = append(out, `DELETE FROM `+c.table+` WHERE `+strings.ReplaceAll(cond, "{id}", c.col)+`
			AND NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = `+c.table+`.uai AND p.id = `+c.table+`.`+c.col+`)`)
	}
	return out
}

// PersonOrphans counts, by relation, the rows that point at a person,
// account or establishment that no longer exists, for the keys migration
// 0036 dropped on PostgreSQL (all zero: every deletion keeps the
// invariant). Reads every establishment.
func (tx CrossTenant) PersonOrphans(ctx context.Context) (map[string]int64, error) {
	checks := []orphanCheck{
		{"person_unqids.person", `SELECT COUNT(*) FROM person_unqids x WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = x.uai AND p.id = x.person_id)`},
		{"guardianships.parent", `SELECT COUNT(*) FROM guardianships x WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = x.uai AND p.id = x.parent_id)`},
		{"guardianships.student", `SELECT COUNT(*) FROM guardianships x WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = x.uai AND p.id = x.student_id)`},
		{"persons.account", `SELECT COUNT(*) FROM persons x WHERE x.account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = x.account_id)`},
		{"persons.establishment", `SELECT COUNT(*) FROM persons x WHERE NOT EXISTS (SELECT 1 FROM establishments e WHERE e.uai = x.uai)`},
	}
	return tx.countOrphans(ctx, checks)
}

// orphanCheck is one relation of an orphan count: its name and the
// statement counting its rows that point at nothing.
type orphanCheck struct{ name, q string }

func (tx CrossTenant) countOrphans(ctx context.Context, checks []orphanCheck) (map[string]int64, error) {
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
