package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sillage/sillage"
)

// UnanalyzedTablesSQL is the query Optimize lists fresh tables with.
const UnanalyzedTablesSQL = unanalyzedTablesSQL

// PackCascades lists, for the tests, what a pack copies along with a
// table's rows: "child.column" by parent table.
func PackCascades() map[string][]string {
	out := map[string][]string{}
	for parent, children := range packTree {
		for _, c := range children {
			if !c.link {
				out[parent] = append(out[parent], c.table+"."+c.col)
			}
		}
	}
	return out
}

// MigrateTo applies the migrations up to version, for the tests of one
// migration on data written before it.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// TransferReadPlans returns SQLite's EXPLAIN QUERY PLAN lines of the
// transfer's candidate read and of its results read for refs, by read.
func (tx CrossTenant) TransferReadPlans(ctx context.Context, refs []sillage.StudentRef) (map[string][]string, error) {
	cte, args := refsCTE("r", refs, nil)
	reads := map[string]struct {
		q    string
		args []any
	}{
		"candidates": {transferCandidatesQuery, nil},
		"results":    {"WITH " + cte + transferResultsQuery, args},
	}
	return tx.explain(ctx, reads)
}

// TransferMovePlans stages pairs (in the caller's write transaction, which
// should roll back) and returns SQLite's EXPLAIN QUERY PLAN lines of every
// statement of the staged move, by statement.
func (tx CrossTenant) TransferMovePlans(ctx context.Context, pairs []TransferPair) (map[string][]string, error) {
	if _, err := tx.StageTransfer(ctx, pairs); err != nil {
		return nil, err
	}
	type stmt = struct {
		q    string
		args []any
	}
	keys := personKeysDeleteSQL(stagedPersonKeys)
	return tx.explain(ctx, map[string]stmt{
		"origin unqids":          {keys[0], nil},
		"origin links by parent": {keys[1], nil},
		"origin links":           {keys[2], nil},
		"stage results":          {stageResultsSQL(false), nil},
		"missing":                {missingReferencesSQL, nil},
		"stage":                  {stageCopiesSQL(false, 1), []any{int64(0), int64(1), int64(1)}},
		"summary":                {summarizeSQL, nil},
		"manifest":               {manifestPartsSQL(false), nil},
		"evaluations":            {moveEvaluationsSQL, []any{tx.now}},
		"competences":            {stageCompetencesSQL, nil},
		"results":                {moveResultsSQL, nil},
		"comments":               {moveCommentsSQL, nil},
		"sheets":                 {moveSheetsSQL, nil},
		"attachments":            {moveAttachmentsSQL, nil},
		"origin results":         {`DELETE FROM results WHERE ` + stagedStudents, nil},
		"origin comments":        {`DELETE FROM comments WHERE ` + stagedStudents, nil},
		"origin students":        {deleteStagedSQL, nil},
	})
}

// PlanNode is a node of PostgreSQL's EXPLAIN (FORMAT JSON).
type PlanNode struct {
	NodeType    string     `json:"Node Type"`
	Relation    string     `json:"Relation Name"`
	IndexName   string     `json:"Index Name"`
	IndexCond   string     `json:"Index Cond"`
	SubplanName string     `json:"Subplan Name"`
	Plans       []PlanNode `json:"Plans"`
}

// TransferMovePlansPostgres stages pairs (in the caller's write
// transaction, which should roll back) and returns PostgreSQL's plans of
// the staged move's statements that read the real tables, by statement,
// with sequential scans disabled: a table that no index serves still shows
// a sequential scan, whatever the size of the test's tables.
func (tx CrossTenant) TransferMovePlansPostgres(ctx context.Context, pairs []TransferPair) (map[string]PlanNode, error) {
	if _, err := tx.StageTransfer(ctx, pairs); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		return nil, err
	}
	stmts := map[string]struct {
		q    string
		args []any
	}{
		"stage results": {stageResultsSQL(true), nil},
		"stage":         {stageCopiesSQL(true, 2), []any{int64(0), int64(1), int64(1), int64(1), int64(10), int64(1 << 20)}},
		"summary":       {summaryPostgresSQL, nil},
		"evaluations":   {moveEvaluationsSQL, []any{tx.now}},
		"results":       {moveResultsPostgresSQL, nil},
		"comments":      {moveCommentsSQL, nil},
		"missing":       {missingReferencesSQL, nil},
	}
	out := map[string]PlanNode{}
	for name, st := range stmts {
		var doc string
		if err := tx.queryRow(ctx, "EXPLAIN (FORMAT JSON) "+st.q, st.args...).Scan(&doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var plans []struct {
			Plan PlanNode `json:"Plan"`
		}
		if err := json.Unmarshal([]byte(doc), &plans); err != nil || len(plans) != 1 {
			return nil, fmt.Errorf("%s: plan %q: %v", name, doc, err)
		}
		out[name] = plans[0].Plan
	}
	return out, nil
}

func (tx CrossTenant) explain(ctx context.Context, reads map[string]struct {
	q    string
	args []any
}) (map[string][]string, error) {
	out := map[string][]string{}
	for name, r := range reads {
		rows, err := tx.query(ctx, "EXPLAIN QUERY PLAN "+r.q, r.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				rows.Close()
				return nil, err
			}
			out[name] = append(out[name], detail)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PersonsReadPlans (the UAI after the cut-off: a test helper, not a tenant
// read for TestTenantSealing) returns the plan of the reads of persons that need the
// indexes kept by migration 0022, by read: SQLite's EXPLAIN QUERY PLAN
// details, PostgreSQL's EXPLAIN lines with sequential scans disabled (so
// that an index appears whenever one can serve the read, whatever the size
// of the test's tables).
func (tx CrossTenant) PersonsReadPlans(ctx context.Context, cutoff time.Time, uai sillage.UAI, aafIDs []string) (map[string][]string, error) {
	ids := impPad(aafIDs)
	reads := map[string]struct {
		q    string
		args []any
	}{
		"count-purgeable": {countPurgeableQuery, []any{cutoff}},
		"list-purgeable":  {listPurgeableQuery + "100", []any{uai, cutoff}},
		"find-aaf":        {findAAFPersonsQuery(len(ids)), impArgs(ids)},
	}
	if tx.s.dsn.Kind == Postgres {
		if _, err := tx.exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return nil, err
		}
	}
	out := map[string][]string{}
	for name, r := range reads {
		explain := "EXPLAIN QUERY PLAN "
		if tx.s.dsn.Kind == Postgres {
			explain = "EXPLAIN "
		}
		rows, err := tx.query(ctx, explain+r.q, r.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var line string
			if tx.s.dsn.Kind == Postgres {
				err = rows.Scan(&line)
			} else {
				var id, parent, unused int
				err = rows.Scan(&id, &parent, &unused, &line)
			}
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[name] = append(out[name], line)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TableIndexes returns the names of a table's indexes, its primary key's
// and its constraints' automatic ones excepted.
func (tx CrossTenant) TableIndexes(ctx context.Context, table string) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL`
	if tx.s.dsn.Kind == Postgres {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname <> $1 || '_pkey'`
	}
	return collect(ctx, tx.txn, q, []any{table}, func(r *sql.Rows) (string, error) {
		var s string
		return s, r.Scan(&s)
	})
}

// Issued is the number of statements the transaction has sent.
func (tx *Tx) Issued() int { return tx.issued }
