package store

import (
	"context"
	"database/sql"
	"sort"

	"github.com/sillage/sillage"
)

// person_unqids holds every version of a student's unqid, one per key of the
// instance (transfer.md 2): an import that has the INE in hand computes it
// under every key, so that after a key rotation an index entry, or a
// student of another establishment, stored under an older version still
// matches. persons.unqid keeps the newest version; it is always among the
// versions (CreateStudent, InsertStudents and UpdateStudent add it), so the
// transfer engine matches through this table alone.

// ListPersonUnqids returns the unqid versions of the establishment's
// students, by person, each sorted.
func (tx Imports) ListPersonUnqids(ctx context.Context, uai sillage.UAI) (map[int64][]string, error) {
	return tx.listPersonKeys(ctx, `SELECT person_id, unqid FROM person_unqids WHERE uai = $1 ORDER BY person_id, unqid`, uai)
}

// ReplacePersonUnqids sets the unqid versions of these students of the
// establishment to exactly the given ones (an empty set removes them all),
// in a few statements per 500 students.
func (tx Imports) ReplacePersonUnqids(ctx context.Context, uai sillage.UAI, sets []sillage.PersonUnqids) error {
	ids, keys := make([]int64, len(sets)), make([][]string, len(sets))
	for i, s := range sets {
		ids[i], keys[i] = s.PersonID, s.Unqids
	}
	return tx.replacePersonKeys(ctx, "person_unqids", "unqid", uai, ids, keys)
}

// listPersonKeys reads a table of keys per person (the unqid versions, the
// federation hash versions) of an establishment: query selects person_id
// and the key, ordered by both, for the establishment $1.
func (tx *txn) listPersonKeys(ctx context.Context, query string, uai sillage.UAI) (map[int64][]string, error) {
	type row struct {
		id  int64
		key string
	}
	rows, err := collect(ctx, tx, query, []any{uai}, func(r *sql.Rows) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.key)
	})
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	for _, r := range rows {
		out[r.id] = append(out[r.id], r.key)
	}
	return out, nil
}

// replacePersonKeys sets the keys of these persons in table (columns uai,
// person_id and column; one of this package's tables, never user input)
// to exactly keys[i] for ids[i]: their rows deleted per 500 persons, the
// new ones inserted in batches; empty and repeated keys are skipped.
func (tx *txn) replacePersonKeys(ctx context.Context, table, column string, uai sillage.UAI, ids []int64, keys [][]string) error {
	if len(ids) == 0 {
		return nil
	}
	var live map[int64]bool
	if table == "person_unqids" && tx.Kind() == Postgres {
		// person_unqids has no foreign key (migration 0036): lock the
		// persons as the key's check did, so that a deletion running
		// meanwhile either waits for this transaction (and deletes these
		// rows after the persons, deletePersonKeysOf) or is over, and the
		// person's rows are not written. SQLite has one writer at a time.
		var err error
		if live, err = tx.lockPersons(ctx, uai, ids); err != nil {
			return err
		}
	}
	var rows [][]any
	for i, id := range ids {
		if live != nil && !live[id] {
			continue
		}
		seen := map[string]bool{}
		for _, k := range keys[i] {
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			rows = append(rows, []any{uai, id, k})
		}
	}
	for _, chunk := range impIDChunks(ids, 500) {
		chunk = impPad(chunk)
		q, args := inIDs(`DELETE FROM `+table+` WHERE uai = $1`, []any{uai}, "person_id", chunk)
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return tx.insertRows(ctx, `INSERT INTO `+table+` (uai, person_id, `+column+`) VALUES `, ` ON CONFLICT DO NOTHING`, 3, rows)
}

// lockPersons locks these persons of uai FOR KEY SHARE (PostgreSQL: what
// a foreign key's check takes; a deletion waits for the transaction) and
// returns those that exist.
func (tx *Tx) lockPersons(ctx context.Context, uai sillage.UAI, ids []int64) (map[int64]bool, error) {
	live := make(map[int64]bool, len(ids))
	for _, chunk := range impIDChunks(ids, 500) {
		chunk = impPad(chunk)
		q, args := inIDs(`SELECT id FROM persons WHERE uai = $1`, []any{uai}, "id", chunk)
		got, err := collect(ctx, tx, q+` FOR KEY SHARE`, args, func(r *sql.Rows) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
		if err != nil {
			return nil, err
		}
		for _, id := range got {
			live[id] = true
		}
	}
	return live, nil
}

// addNewestUnqids records the newest unqid of students just written, so
// that every stored unqid is among the versions.
func (tx *Tx) addNewestUnqids(ctx context.Context, uai sillage.UAI, ss []*sillage.Student) error {
	var rows [][]any
	for _, s := range ss {
		if s.Unqid != "" {
			rows = append(rows, []any{uai, s.ID, s.Unqid})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.insertRows(ctx, `INSERT INTO person_unqids (uai, person_id, unqid) VALUES `, ` ON CONFLICT DO NOTHING`, 3, rows)
}

// ListUnqidsByRef returns the unqid versions of these students, in any
// establishment (the transfer engine re-checks a match in its
// transaction), each sorted.
func (tx CrossTenant) ListUnqidsByRef(ctx context.Context, refs []sillage.StudentRef) (map[sillage.StudentRef][]string, error) {
	out := make(map[sillage.StudentRef][]string, len(refs))
	for _, c := range chunks(len(refs), 2, 0) {
		cte, args := refsCTE("r", refs[c[0]:c[1]], nil)
		type row struct {
			ref   sillage.StudentRef
			unqid string
		}
		rows, err := collect(ctx, tx.txn, `WITH `+cte+` SELECT u.uai, u.person_id, u.unqid FROM r
			JOIN person_unqids u ON u.uai = r.uai AND u.person_id = r.sid`, args, func(r *sql.Rows) (row, error) {
			var x row
			var u string
			err := r.Scan(&u, &x.ref.StudentID, &x.unqid)
			x.ref.UAI = sillage.UAI(u)
			return x, err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.ref] = append(out[r.ref], r.unqid)
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out, nil
}
