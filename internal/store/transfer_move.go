package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sillage/sillage"
)

// The server-side move of a batch of transfers. The batch's pairs, its
// origin students' results (read once, by the students' index, with their
// competence's code) and the map of the evaluations it copies (origin
// evaluation and student → id of the copy) go into three temporary tables
// of the transaction; every other row moves with INSERT … SELECT through
// them, and the counts and the manifest digests are computed by the
// database: nothing of a record is read into the process, and the results,
// the bulk of a record, are read from the real table once per batch (and
// deleted once), not once per statement. The temporary tables are the
// connection's own (PostgreSQL empties them at commit; SQLite's single
// writer empties them when a batch starts), so two batches never see each
// other's.

// stageResultsSQL reads the results of a staged batch's origin students,
// once, through the students' index, with their competence's code: the
// statements that follow count, digest and copy them from there. SQLite
// is told the index: without statistics it would rather read the whole
// establishment's results through the primary key, which covers the query
// but is searched on the UAI alone.
//
// The codes come from the distinct competences the results use (a few
// dozen per batch), each found by its key (a correlated subquery: as a
// join, PostgreSQL would hash every competence of the instance), then
// joined to the results (by hash on PostgreSQL; SQLite, kept in that order
// by the CROSS JOIN, searches them by an automatic index on the few codes
// rather than index every result): a search of the competences per result cost as much as reading the
// results, and more as the competences of the instance grow (an
// establishment holds dozens of referentials; PostgreSQL then probes the
// key once per result, or hashes every competence of the instance when it
// has few).
func stageResultsSQL(pg bool) string {
	results := "results x"
	if !pg {
		results = "results x INDEXED BY results_student"
	}
	return `WITH r AS MATERIALIZED (SELECT p.ou, p.os, x.evaluation_id AS old_id, x.competence_id, x.value
			FROM transfer_pairs p CROSS JOIN ` + results + ` WHERE x.uai = p.ou AND x.student_id = p.os),
		k AS MATERIALIZED (SELECT u.ou, u.competence_id,
				(SELECT c.code FROM competences c WHERE c.uai = u.ou AND c.id = u.competence_id) AS code
			FROM (SELECT DISTINCT ou, competence_id FROM r) u)
	INSERT INTO transfer_results (ou, os, old_id, competence_id, code, value)
		SELECT r.ou, r.os, r.old_id, r.competence_id, k.code, r.value FROM r CROSS JOIN k
		WHERE k.ou = r.ou AND k.competence_id = r.competence_id AND k.code IS NOT NULL`
}

// stageKeysSQL lists the evaluations a staged batch may copy, by origin
// student: those of the staged results and of the students' comments
// (found through their student index), not every evaluation of the
// origin. Deleted evaluations are among them: stageCopiesSQL leaves them.
func stageKeysSQL(pg bool) string {
	comments := "comments x"
	if !pg {
		comments = "comments x INDEXED BY comments_student"
	}
	return `SELECT os, old_id FROM transfer_results
		UNION
		SELECT p.os, x.evaluation_id FROM transfer_pairs p CROSS JOIN ` + comments + `
			WHERE x.uai = p.ou AND x.student_id = p.os`
}

// stageCopiesSQL fills the map of the copies from the keys, numbered in
// their order, the n-th taking the n-th of the ids reserved for them,
// passed as ranges (VALUES of offset, first id, count: a few per batch,
// searched for each key, which SQLite's CROSS JOIN keeps inside): the keys
// never travel to the process and back. Each copy carries what
// the move, the manifest and the check of the referentials need of its
// evaluation (fields, referential and its diploma), read here once, by
// the evaluations' key: the statements that follow never search the
// evaluations again.
func stageCopiesSQL(pg bool, ranges int) string {
	var b strings.Builder
	for i := range ranges {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS BIGINT))", 3*i+1, 3*i+2, 3*i+3)
	}
	return `WITH i (off, first_id, cnt) AS (VALUES ` + b.String() + `)
	INSERT INTO transfer_copies (ou, old_id, os, du, ds, new_id, title, date, level, diploma, school_year, origin_uai, rid, rdip)
	SELECT k.ou, k.old_id, k.os, k.du, k.ds, i.first_id + k.n - i.off - 1, k.title, k.date, k.level, k.diploma, k.school_year,
		k.origin_uai, k.rid, k.rdip
	FROM (SELECT q.*, row_number() OVER (ORDER BY q.os, q.old_id) AS n FROM (
			SELECT p.ou, k.old_id, p.os, p.du, p.ds, e.title, e.date, e.level, e.diploma, e.school_year,
				CASE WHEN e.origin_uai <> '' THEN e.origin_uai ELSE p.ou END AS origin_uai, e.referential_id AS rid, rf.diploma AS rdip
			FROM (` + stageKeysSQL(pg) + `) k CROSS JOIN transfer_pairs p CROSS JOIN evaluations e CROSS JOIN referentials rf
			WHERE p.os = k.os AND e.uai = p.ou AND e.id = k.old_id AND e.deleted_at IS NULL
				AND rf.uai = e.uai AND rf.id = e.referential_id) q) k
		CROSS JOIN i
	WHERE k.n > i.off AND k.n <= i.off + i.cnt`
}

// idRanges packs ids into runs of consecutive ids: offset in ids, first
// id, count.
func idRanges(ids []int64) []any {
	var out []any
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[j-1]+1 {
			j++
		}
		out = append(out, int64(i), ids[i], int64(j-i))
		i = j
	}
	return out
}

// StageTransfer fills the temporary tables of a batch: the pairs, their
// results, and the map of the copies to make, each with a new id — one per
// live evaluation of the origin in which the pair's origin student has a
// result or a comment. It returns how many copies the batch makes.
func (tx CrossTenant) StageTransfer(ctx context.Context, pairs []TransferPair) (int, error) {
	pg := tx.Kind() == Postgres
	// The staged results are read by hash joins on PostgreSQL, which need
	// no index: maintaining one cost as much as writing the rows. SQLite
	// joins by nested loops only, through this key.
	suffix, resultsKey, date := "", ", PRIMARY KEY (os, old_id, competence_id)", "TEXT"
	if pg {
		suffix, resultsKey, date = " ON COMMIT DELETE ROWS", "", "DATE"
	}
	for _, q := range []string{
		`CREATE TEMP TABLE IF NOT EXISTS transfer_pairs (ou TEXT NOT NULL, os BIGINT NOT NULL PRIMARY KEY, du TEXT NOT NULL, ds BIGINT NOT NULL,
			au BIGINT NOT NULL)` + suffix,
		// A copy carries its evaluation's fields (origin_uai already
		// resolved), its origin referential and that one's diploma.
		`CREATE TEMP TABLE IF NOT EXISTS transfer_copies (ou TEXT NOT NULL, old_id BIGINT NOT NULL, os BIGINT NOT NULL, du TEXT NOT NULL,
			ds BIGINT NOT NULL, new_id BIGINT NOT NULL, title TEXT NOT NULL, date ` + date + ` NOT NULL, level TEXT NOT NULL, diploma TEXT NOT NULL,
			school_year INTEGER NOT NULL, origin_uai TEXT NOT NULL, rid BIGINT NOT NULL, rdip TEXT NOT NULL, PRIMARY KEY (os, old_id))` + suffix,
		`CREATE TEMP TABLE IF NOT EXISTS transfer_results (ou TEXT NOT NULL, os BIGINT NOT NULL, old_id BIGINT NOT NULL,
			competence_id BIGINT NOT NULL, code TEXT NOT NULL, value TEXT NOT NULL` + resultsKey + `)` + suffix,
		`DELETE FROM transfer_pairs`,
		`DELETE FROM transfer_copies`,
		`DELETE FROM transfer_results`,
	} {
		if _, err := tx.exec(ctx, q); err != nil {
			return 0, err
		}
	}
	if !pg {
		// The map of the competences of the results (MoveStagedResults).
		if _, err := tx.exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS transfer_competences (du TEXT NOT NULL, oc BIGINT NOT NULL, dc BIGINT NOT NULL,
			PRIMARY KEY (oc, du))`); err != nil {
			return 0, err
		}
	}
	for _, c := range chunks(len(pairs), 5, 0) {
		var b strings.Builder
		b.WriteString(`INSERT INTO transfer_pairs (ou, os, du, ds, au) VALUES `)
		var args []any
		for i, p := range pairs[c[0]:c[1]] {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, string(p.OriginUAI), p.OriginStudentID, string(p.DestUAI), p.DestStudentID, p.AuthorID)
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d)", n-4, n-3, n-2, n-1, n)
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return 0, err
		}
	}
	if pg {
		// The origin students, locked before anything of their records is
		// read: a result, comment, sheet or file written for one of them
		// (each writer locks the student FOR KEY SHARE, or through a
		// foreign key) commits before this batch reads, and is moved, or
		// waits for the batch and finds the student gone. In READ
		// COMMITTED each statement sees what committed before it began:
		// without the lock, a comment committed between the count of the
		// keys and the copies, or a result after the staging, was deleted
		// at the origin without being copied. (SQLite has one writer.)
		if _, err := tx.exec(ctx, `SELECT p.id FROM persons p JOIN transfer_pairs t ON p.uai = t.ou AND p.id = t.os
			ORDER BY p.uai, p.id FOR UPDATE OF p`); err != nil {
			return 0, err
		}
	}
	if _, err := tx.exec(ctx, stageResultsSQL(pg)); err != nil {
		return 0, err
	}
	// As many ids as keys: a key of a deleted evaluation (rare) wastes
	// its id, the copies being numbered among the live ones only.
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (`+stageKeysSQL(pg)+`) k`).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	ids, err := tx.NewIDs(ctx, n)
	if err != nil {
		return 0, err
	}
	ranges := idRanges(ids)
	copied, err := tx.execN(ctx, stageCopiesSQL(pg, len(ranges)/3), ranges...)
	if err != nil {
		return 0, err
	}
	// No ANALYZE of the temporary tables (autovacuum never sees them): the
	// planner reads their actual size in pages, enough for the hash and
	// index joins of a batch, and an ANALYZE per batch cost more than it
	// saved (catalog writes at every batch).
	return int(copied), nil
}

// MissingTransferReferences lists, by destination and origin, the origin
// referentials and competences of the staged batch whose diploma or code
// the destination's referentials lack (nearly always none): the caller
// copies them (UpsertTransferReferentials) before the evaluations move.
// For a pair of establishments with anything missing it returns every
// referential and competence the batch uses there.
func (tx CrossTenant) MissingTransferReferences(ctx context.Context) (map[[2]string][2][]int64, error) {
	type use struct {
		du, ou   string
		rid, cid int64
	}
	missing, err := collect(ctx, tx.txn, missingReferencesSQL, nil, func(r *sql.Rows) ([2]string, error) {
		var k [2]string
		return k, r.Scan(&k[0], &k[1])
	})
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	want := map[[2]string]bool{}
	for _, k := range missing {
		want[k] = true
	}
	uses, err := collect(ctx, tx.txn, `SELECT du, ou, rid, cid FROM (`+transferUsedSQL+`) u ORDER BY du, ou, rid, cid`, nil, func(r *sql.Rows) (use, error) {
		var u use
		return u, r.Scan(&u.du, &u.ou, &u.rid, &u.cid)
	})
	if err != nil {
		return nil, err
	}
	out := map[[2]string][2][]int64{}
	type refKey struct {
		k   [2]string
		rid int64
	}
	seen := map[refKey]bool{}
	for _, u := range uses {
		k := [2]string{u.du, u.ou}
		if !want[k] {
			continue
		}
		v := out[k]
		if !seen[refKey{k, u.rid}] {
			seen[refKey{k, u.rid}] = true
			v[0] = append(v[0], u.rid)
		}
		if u.cid != 0 {
			v[1] = append(v[1], u.cid)
		}
		out[k] = v
	}
	return out, nil
}

// transferUsedSQL lists what the staged copies use: the evaluations'
// referentials, the results' and the sheets' per-competence results'
// competences (and theirs). The results' competences are the distinct ones
// of the batch, each found by its key (a correlated subquery): joined, they
// made PostgreSQL, misled by the temporary tables' missing statistics, hash
// every competence of the instance at every batch.
const transferUsedSQL = `SELECT m.du AS du, m.ou AS ou, m.rid AS rid, 0 AS cid FROM transfer_copies m
	UNION
	SELECT r.du, r.ou, r.rid, r.cid FROM (SELECT d.du, d.ou, d.cid,
			(SELECT c.referential_id FROM competences c WHERE c.uai = d.ou AND c.id = d.cid) AS rid
		FROM (SELECT DISTINCT m.du AS du, m.ou AS ou, x.competence_id AS cid
			FROM transfer_copies m CROSS JOIN transfer_results x WHERE x.os = m.os AND x.old_id = m.old_id) d) r
		WHERE r.rid IS NOT NULL
	UNION
	SELECT p.du, p.ou, c.referential_id, c.id FROM transfer_pairs p CROSS JOIN sheets s CROSS JOIN sheet_results sr CROSS JOIN competences c
		WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL AND sr.uai = s.uai AND sr.sheet_id = s.id
			AND c.uai = sr.uai AND c.id = sr.competence_id`

// missingReferencesSQL lists the pairs of establishments (destination,
// origin) whose staged copies use an origin referential whose diploma, or
// a competence whose code, the destination's referentials lack. Each
// referential and competence is found by its key, in scalar subqueries
// (at most one row each: the referentials are unique by diploma, the
// competences by referential and code), which PostgreSQL never turns into
// a hash of the whole table as it did the NOT EXISTS of an OR.
const missingReferencesSQL = `SELECT DISTINCT w.du, w.ou FROM (
		SELECT v.du, v.ou, v.code, (SELECT dr.id FROM referentials dr WHERE dr.uai = v.du AND dr.diploma = v.dip) AS drid
		FROM (SELECT u.du, u.ou,
				(SELECT r.diploma FROM referentials r WHERE r.uai = u.ou AND r.id = u.rid) AS dip,
				(SELECT c.code FROM competences c WHERE c.uai = u.ou AND c.id = u.cid) AS code
			FROM (` + transferUsedSQL + `) u) v
		WHERE v.dip IS NOT NULL) w
	WHERE w.drid IS NULL
		OR w.code IS NOT NULL AND (SELECT dc.id FROM competences dc WHERE dc.uai = w.du AND dc.referential_id = w.drid AND dc.code = w.code) IS NULL`

// TransferSummary is what the staged batch moves for one origin student:
// the counts of TransferRecord and the manifest digest (see
// transfer.Manifest, whose canonical list the database builds here).
type TransferSummary struct {
	Evaluations, Results, Comments, Sheets, Files int
	Manifest                                      string
}

// SummarizeTransfer counts what the staged batch moves and computes each
// origin student's manifest digest, in the database, by origin student id.
func (tx CrossTenant) SummarizeTransfer(ctx context.Context) (map[int64]TransferSummary, error) {
	out := map[int64]TransferSummary{}
	type row struct {
		os int64
		s  TransferSummary
	}
	if tx.Kind() == Postgres {
		rows, err := collect(ctx, tx.txn, summaryPostgresSQL, nil, func(r *sql.Rows) (row, error) {
			var x row
			var digest sql.NullString
			err := r.Scan(&x.os, &x.s.Evaluations, &x.s.Results, &x.s.Comments, &x.s.Sheets, &x.s.Files, &digest)
			x.s.Manifest = digest.String
			if !digest.Valid {
				x.s.Manifest = emptyManifest
			}
			return x, err
		})
		for _, r := range rows {
			out[r.os] = r.s
		}
		return out, err
	}
	rows, err := collect(ctx, tx.txn, summarizeSQL, nil, func(r *sql.Rows) (row, error) {
		var x row
		return x, r.Scan(&x.os, &x.s.Evaluations, &x.s.Results, &x.s.Comments, &x.s.Sheets, &x.s.Files)
	})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.os] = r.s
	}
	digests, err := tx.transferManifests(ctx)
	if err != nil {
		return nil, err
	}
	for os, s := range out {
		d, ok := digests[os]
		if !ok {
			d = emptyManifest
		}
		s.Manifest = d
		out[os] = s
	}
	return out, nil
}

// emptyManifest is the digest of a record with nothing in it.
var emptyManifest = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// manifestPartsSQL is the statement that builds, per origin student of the
// staged batch, the two parts of the canonical list (0: evaluations, 1:
// sheets), on PostgreSQL (pg) or SQLite.
func manifestPartsSQL(pg bool) string {
	// lp is a length-prefixed field; agg an ordered concatenation.
	lp := func(v string) string {
		if pg {
			return ` || ' ' || octet_length(` + v + `) || ':' || ` + v
		}
		return ` || ' ' || length(CAST(` + v + ` AS BLOB)) || ':' || ` + v
	}
	agg := func(v, order string) string {
		if pg {
			return `string_agg(` + v + `, '' ORDER BY ` + order + `)`
		}
		return `group_concat(` + v + `, '' ORDER BY ` + order + `)`
	}
	collate := ""
	date := func(col string) string { return `COALESCE(` + col + `, '')` }
	stamp := func(col string) string { return col }
	if pg {
		collate = ` COLLATE "C"`
		date = func(col string) string { return `COALESCE(to_char(` + col + `, 'YYYY-MM-DD'), '')` }
		stamp = func(col string) string {
			return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
		}
	}
	// by is a sort key compared byte by byte, as Go compares strings.
	by := func(v string) string { return "(" + v + ")" + collate }
	const nl = "'\n'"
	resultLine := `'result'` + lp("c.code") + lp("c.value") + ` || ` + nl
	// The evaluation's fields come with its copy (stageCopiesSQL).
	evalHead := `'evaluation'` + lp(date("m.date")) + lp("m.title") + lp("m.level") + lp("m.diploma") + lp("m.rdip") + ` || ` + nl
	evalBlock := evalHead +
		` || COALESCE((SELECT ` + agg(resultLine, by("c.code")+", "+by("c.value")) + ` FROM transfer_results c
			WHERE c.os = m.os AND c.old_id = m.old_id), '')` +
		` || COALESCE((SELECT 'comment'` + lp("t.text") + ` || ` + nl + ` FROM comments t
			WHERE t.uai = m.ou AND t.evaluation_id = m.old_id AND t.student_id = m.os), '')`
	evalFrom := `transfer_copies m`
	if pg {
		// The staged results, without an index on PostgreSQL, are
		// listed per evaluation copy in one grouped pass and joined.
		evalBlock = evalHead + ` || COALESCE(r.list, '') || COALESCE('comment'` + lp("t.text") + ` || ` + nl + `, '')`
		evalFrom = `transfer_copies m
			LEFT JOIN (SELECT c.os, c.old_id, ` + agg(resultLine, by("c.code")+", "+by("c.value")) + ` AS list, COUNT(*) AS n FROM transfer_results c
				GROUP BY c.os, c.old_id) r ON r.os = m.os AND r.old_id = m.old_id
			LEFT JOIN comments t ON t.uai = m.ou AND t.evaluation_id = m.old_id AND t.student_id = m.os`
	}
	author := `COALESCE((SELECT a.last_name || ' ' || a.first_name FROM persons a WHERE a.uai = s.uai AND a.id = s.author_id), s.author_name)`
	fileLine := `'file'` + lp("f.name") + lp("f.sha256") + lp("CAST(f.size AS TEXT)") + lp("f.content_type") + ` || ` + nl
	sheetBlock := `'sheet'` + lp("s.kind") + lp("s.title") + lp("s.description") + lp("s.context") + lp("s.class") + lp(date("s.pfmp_start")) +
		lp(date("s.pfmp_end")) + lp("s.host") + lp("s.activities") + lp(author) + lp("s.result") + lp("s.comment") + lp(stamp("s.created_at")) +
		` || ` + nl + ` || COALESCE((SELECT ` + agg(fileLine, by(fileLine)) + ` FROM attachments f WHERE f.uai = s.uai AND f.sheet_id = s.id), '')`
	if pg {
		// PostgreSQL counts the items while it lists them (summaryPostgresSQL):
		// each block carries its results, comment and files.
		blocks := `SELECT m.os AS os, 0 AS part, ` + evalBlock + ` AS b, COALESCE(r.n, 0) AS nr,
				CASE WHEN t.uai IS NULL THEN 0 ELSE 1 END AS nc, 0 AS nf FROM ` + evalFrom + `
			UNION ALL
			SELECT p.os, 1, ` + sheetBlock + `, 0, 0, (SELECT COUNT(*) FROM attachments f WHERE f.uai = s.uai AND f.sheet_id = s.id)
				FROM transfer_pairs p CROSS JOIN sheets s WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL`
		return `SELECT os, part, ` + agg("b", by("b")) + ` AS list, COUNT(*) AS n, SUM(nr) AS nr, SUM(nc) AS nc, SUM(nf) AS nf
			FROM (` + blocks + `) k GROUP BY os, part`
	}
	blocks := `SELECT m.os AS os, 0 AS part, ` + evalBlock + ` AS b FROM ` + evalFrom + `
		UNION ALL
		SELECT p.os, 1, ` + sheetBlock + ` FROM transfer_pairs p CROSS JOIN sheets s
			WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL`
	return `SELECT os, part, ` + agg("b", by("b")) + ` AS list FROM (` + blocks + `) k GROUP BY os, part`
}

// summaryPostgresSQL is SummarizeTransfer on PostgreSQL in one statement:
// per staged pair, the counts and the manifest digest, from one pass over
// the record (the manifest's list counts its own items), NULL for a record
// with nothing in it.
var summaryPostgresSQL = `SELECT p.os, COALESCE(l.ne, 0), COALESCE(l.nr, 0), COALESCE(l.nc, 0), COALESCE(l.ns, 0), COALESCE(l.nf, 0), l.digest
	FROM transfer_pairs p LEFT JOIN (SELECT os, SUM(CASE WHEN part = 0 THEN n ELSE 0 END) AS ne, SUM(nr) AS nr, SUM(nc) AS nc,
			SUM(CASE WHEN part = 1 THEN n ELSE 0 END) AS ns, SUM(nf) AS nf,
			encode(sha256(convert_to(string_agg(list, '' ORDER BY part), 'UTF8')), 'hex') AS digest
		FROM (` + manifestPartsSQL(true) + `) l GROUP BY os) l ON l.os = p.os`

// transferManifests computes, on SQLite, the manifest digests of the
// staged batch's origin students that move anything. The canonical list is
// transfer.Manifest's: one line per item, each field as its byte length,
// ':', the value; an evaluation's results by code and value; the
// evaluation blocks sorted by their bytes, then the sheet blocks sorted
// likewise, each sheet's file lines sorted. SQLite has no SHA-256, so its
// list comes back, one string per student, and is hashed here (PostgreSQL
// hashes it itself: summaryPostgresSQL).
func (tx CrossTenant) transferManifests(ctx context.Context) (map[int64]string, error) {
	parts := manifestPartsSQL(false)
	out := map[int64]string{}
	type row struct {
		os   int64
		list string
	}
	rows, err := collect(ctx, tx.txn, parts+` ORDER BY os, part`, nil, func(r *sql.Rows) (row, error) {
		var x row
		var part int
		return x, r.Scan(&x.os, &part, &x.list)
	})
	if err != nil {
		return nil, err
	}
	hs := map[int64][]byte{}
	var order []int64
	for _, r := range rows {
		if _, ok := hs[r.os]; !ok {
			order = append(order, r.os)
		}
		hs[r.os] = append(hs[r.os], r.list...)
	}
	for _, os := range order {
		h := sha256.Sum256(hs[os])
		out[os] = hex.EncodeToString(h[:])
	}
	return out, nil
}

// The statements of the staged move (constants, so that a test can check
// their plans).
const (
	moveEvaluationsSQL = `INSERT INTO evaluations (uai, id, title, date, level, diploma, referential_id, author_id, division_id,
		school_year, origin_uai, created_at)
		SELECT m.du, m.new_id, m.title, m.date, m.level, m.diploma, dr.id, p.au, NULL, m.school_year, m.origin_uai, $1
		FROM transfer_copies m CROSS JOIN transfer_pairs p CROSS JOIN referentials dr
		WHERE p.os = m.os AND dr.uai = m.du AND dr.diploma = m.rdip`
	// competenceMapSQL maps, per destination, each origin competence the
	// staged results use to the destination's competence of the same code
	// in its referential of the same diploma: a few rows per pair of
	// establishments, searched once per batch instead of four times per
	// result (and only the competences used, not every one of the origins).
	competenceMapSQL = `SELECT k.du, k.oc, dc.id AS dc
		FROM (SELECT DISTINCT p.du, transfer_results.ou, transfer_results.competence_id AS oc FROM transfer_results CROSS JOIN transfer_pairs p
				WHERE p.os = transfer_results.os) k
			CROSS JOIN competences c CROSS JOIN referentials crf CROSS JOIN referentials drf CROSS JOIN competences dc
		WHERE c.uai = k.ou AND c.id = k.oc AND crf.uai = c.uai AND crf.id = c.referential_id
			AND drf.uai = k.du AND drf.diploma = crf.diploma AND dc.uai = drf.uai AND dc.referential_id = drf.id AND dc.code = c.code`
	stageCompetencesSQL = `INSERT INTO transfer_competences (du, oc, dc) ` + competenceMapSQL
	// moveResultsSQL copies the staged results through that map, by its
	// key (SQLite).
	moveResultsSQL = `INSERT INTO results (uai, evaluation_id, student_id, competence_id, value)
		SELECT m.du, m.new_id, m.ds, k.dc, x.value
		FROM transfer_copies m CROSS JOIN transfer_results x CROSS JOIN transfer_competences k
		WHERE x.os = m.os AND x.old_id = m.old_id AND k.oc = x.competence_id AND k.du = m.du`
	moveCommentsSQL = `INSERT INTO comments (uai, evaluation_id, student_id, text)
		SELECT m.du, m.new_id, m.ds, x.text FROM transfer_copies m CROSS JOIN comments x
		WHERE x.uai = m.ou AND x.evaluation_id = m.old_id AND x.student_id = m.os`
	moveSheetsSQL = `INSERT INTO sheets (uai, id, student_id, kind, title, description, context, class, pfmp_start, pfmp_end,
		host, activities, author_id, author_name, result, comment, origin_uai, created_at, updated_at)
		SELECT p.du, s.id, p.ds, s.kind, s.title, s.description, s.context, s.class, s.pfmp_start, s.pfmp_end,
			s.host, s.activities, 0,
			COALESCE((SELECT a.last_name || ' ' || a.first_name FROM persons a WHERE a.uai = s.uai AND a.id = s.author_id), s.author_name),
			s.result, s.comment, CASE WHEN s.origin_uai <> '' THEN s.origin_uai ELSE p.ou END, s.created_at, s.updated_at
		FROM transfer_pairs p CROSS JOIN sheets s WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL`
	moveAttachmentsSQL = `INSERT INTO attachments (uai, id, sheet_id, name, sha256, size, content_type, uploaded_at, uploaded_by)
		SELECT p.du, a.id, a.sheet_id, a.name, a.sha256, a.size, a.content_type, a.uploaded_at,
			CASE WHEN a.uploaded_by = p.os THEN p.ds ELSE 0 END
		FROM transfer_pairs p CROSS JOIN sheets s CROSS JOIN attachments a
		WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL AND a.uai = s.uai AND a.sheet_id = s.id`
	// The sheets keep their ids; each per-competence result goes to the
	// competence of the same code in the destination's referential of the
	// same diploma (made sure to exist by UpsertTransferReferentials).
	moveSheetResultsSQL = `INSERT INTO sheet_results (uai, sheet_id, competence_id, value, comment)
		SELECT p.du, sr.sheet_id, dc.id, sr.value, sr.comment
		FROM transfer_pairs p CROSS JOIN sheets s CROSS JOIN sheet_results sr CROSS JOIN competences c CROSS JOIN referentials crf
			CROSS JOIN referentials drf CROSS JOIN competences dc
		WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL AND sr.uai = s.uai AND sr.sheet_id = s.id
			AND c.uai = sr.uai AND c.id = sr.competence_id AND crf.uai = c.uai AND crf.id = c.referential_id
			AND drf.uai = p.du AND drf.diploma = crf.diploma AND dc.uai = drf.uai AND dc.referential_id = drf.id AND dc.code = c.code`
	countSheetResultsSQL = `SELECT COUNT(*) FROM transfer_pairs p CROSS JOIN sheets s CROSS JOIN sheet_results sr
		WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL AND sr.uai = s.uai AND sr.sheet_id = s.id`
	// summarizeSQL counts, per staged pair, by correlated subqueries
	// (SQLite, through the temporary tables' keys).
	summarizeSQL = `SELECT p.os,
		(SELECT COUNT(*) FROM transfer_copies m WHERE m.os = p.os),
		(SELECT COUNT(*) FROM transfer_copies m CROSS JOIN transfer_results x WHERE m.os = p.os AND x.os = m.os AND x.old_id = m.old_id),
		(SELECT COUNT(*) FROM transfer_copies m CROSS JOIN comments x
			WHERE m.os = p.os AND x.uai = m.ou AND x.evaluation_id = m.old_id AND x.student_id = m.os),
		(SELECT COUNT(*) FROM sheets s WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL),
		(SELECT COUNT(*) FROM sheets s CROSS JOIN attachments a WHERE s.uai = p.ou AND s.student_id = p.os AND s.deleted_at IS NULL
			AND a.uai = s.uai AND a.sheet_id = s.id)
		FROM transfer_pairs p`
	stagedStudents  = `(uai, student_id) IN (SELECT ou, os FROM transfer_pairs)`
	deleteStagedSQL = `DELETE FROM persons WHERE role = 'student' AND (uai, id) IN (SELECT ou, os FROM transfer_pairs)`
	// stagedPersonKeys names the rows of the staged students in the tables
	// deletePersonKeysOf empties after them.
	stagedPersonKeys = `(uai, {id}) IN (SELECT ou, os FROM transfer_pairs)`

	// moveResultsPostgresSQL is moveResultsSQL through the batch's map of
	// competences (origin competence → the destination's of the same code
	// in its referential of the same diploma), computed once
	// (MATERIALIZED: without statistics on the temporary tables the
	// planner would otherwise search the competences and referentials
	// four times per result). As on SQLite the map holds only the
	// competences the staged results use, each found by its key: an
	// origin's whole set of competences (dozens of diplomas × tens of
	// competences in a lycée) would be read for a few students otherwise.
	moveResultsPostgresSQL = `WITH k AS MATERIALIZED (SELECT p.ou, p.du, c.id AS oc, dc.id AS dc
			FROM (SELECT DISTINCT x.ou, p.du, x.competence_id FROM transfer_results x JOIN transfer_pairs p ON p.os = x.os) p
			JOIN competences c ON c.uai = p.ou AND c.id = p.competence_id
			JOIN referentials crf ON crf.uai = c.uai AND crf.id = c.referential_id
			JOIN referentials drf ON drf.uai = p.du AND drf.diploma = crf.diploma
			JOIN competences dc ON dc.uai = drf.uai AND dc.referential_id = drf.id AND dc.code = c.code)
		INSERT INTO results (uai, evaluation_id, student_id, competence_id, value)
		SELECT m.du, m.new_id, m.ds, k.dc, x.value
		FROM transfer_results x JOIN transfer_copies m ON m.os = x.os AND m.old_id = x.old_id
			JOIN k
			ON k.ou = m.ou AND k.du = m.du AND k.oc = x.competence_id`
)

// MoveStagedEvaluations creates the copies of the staged map: same title,
// date, level, diploma and school year, authored by the pair's author, in
// the destination's referential of the same diploma, tied to no division,
// origin_uai kept when already set (a record that moved twice) or set to
// the origin.
func (tx CrossTenant) MoveStagedEvaluations(ctx context.Context) (int64, error) {
	return tx.execN(ctx, moveEvaluationsSQL, tx.now)
}

// MoveStagedResults copies the origin students' results of the copied
// evaluations to the copies, for the destination students, each on the
// competence of the same code in the destination's referential of the
// diploma of the competence's referential. A result whose competence has
// no counterpart is not written (the caller's count check stops the batch).
func (tx CrossTenant) MoveStagedResults(ctx context.Context) (int64, error) {
	if tx.Kind() == Postgres {
		return tx.execN(ctx, moveResultsPostgresSQL)
	}
	for _, q := range []string{`DELETE FROM transfer_competences`, stageCompetencesSQL} {
		if _, err := tx.exec(ctx, q); err != nil {
			return 0, err
		}
	}
	return tx.execN(ctx, moveResultsSQL)
}

// MoveStagedComments copies the origin students' comments of the copied
// evaluations to the copies, for the destination students.
func (tx CrossTenant) MoveStagedComments(ctx context.Context) (int64, error) {
	return tx.execN(ctx, moveCommentsSQL)
}

// MoveStagedSheets copies the origin students' live sheets to their
// destination students, keeping their ids (unique in the instance): the
// evaluating teacher, a person of the origin, is kept by name (author_id 0,
// author_name set).
func (tx CrossTenant) MoveStagedSheets(ctx context.Context) (int64, error) {
	return tx.execN(ctx, moveSheetsSQL)
}

// MoveStagedAttachments re-creates at their destination the rows of the
// files of the copied sheets, keeping ids, names and blob hashes: the
// references move, the bytes stay in the content-addressed store.
func (tx CrossTenant) MoveStagedAttachments(ctx context.Context) (int64, error) {
	return tx.execN(ctx, moveAttachmentsSQL)
}

// MoveStagedSheetResults copies the per-competence results of the copied
// sheets and returns how many it wrote and how many the origin held: the
// caller refuses the batch when they differ (a competence without its
// counterpart), so none is lost.
func (tx CrossTenant) MoveStagedSheetResults(ctx context.Context) (moved, held int64, err error) {
	if err := tx.queryRow(ctx, countSheetResultsSQL).Scan(&held); err != nil {
		return 0, 0, err
	}
	moved, err = tx.execN(ctx, moveSheetResultsSQL)
	return moved, held, err
}

// DeleteStagedOrigins deletes the staged origin students with everything
// hanging from them: their results and comments (set-based, by the
// students' index), then the students, whose foreign keys take the rest
// (sheets, attachments, documents, links), then their unqid versions
// (deletePersonKeysOf). It returns how many students.
func (tx CrossTenant) DeleteStagedOrigins(ctx context.Context) (int64, error) {
	if err := tx.deleteRecordsWhere(ctx, stagedStudents); err != nil {
		return 0, err
	}
	n, err := tx.execN(ctx, deleteStagedSQL)
	if err != nil {
		return 0, err
	}
	return n, tx.deletePersonKeysOf(ctx, stagedPersonKeys)
}

// SetStagedAuthor sets the author of the copies the staged batch makes at
// dest (its generic "ancien établissement" user).
func (tx CrossTenant) SetStagedAuthor(ctx context.Context, dest sillage.UAI, authorID int64) error {
	_, err := tx.exec(ctx, `UPDATE transfer_pairs SET au = $2 WHERE du = $1`, string(dest), authorID)
	return err
}
