package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// The undo packs of the changeover (issue 13): before a step deletes rows
// (steps 1, 3 and 4) or rewrites them (step 2), it copies them, with every
// row their deletion cascades to, into a pack of the establishment, the
// school year and the step. A pack restores them exactly (same columns,
// same values) until it expires; while it lives, the files its rows refer
// to are kept by the collection of unreferenced files.

const rolloverPackCols = `uai, id, school_year, step, created_at, created_by, expires_at, row_count, restored_at, restored_by`

func scanRolloverPack(r scanner) (sillage.RolloverPack, error) {
	var p sillage.RolloverPack
	var u string
	var y int64
	err := r.Scan(&u, &p.ID, &y, &p.Step, ts{&p.CreatedAt}, &p.CreatedBy, ts{&p.ExpiresAt}, &p.Rows, ts{&p.RestoredAt}, &p.RestoredBy)
	p.UAI, p.SchoolYear = sillage.UAI(u), sillage.SchoolYear(y)
	return p, err
}

// packChild is a table whose rows hang from a parent table's rows by col.
// link: the parent's deletion sets col to NULL (the row stays; the pack
// keeps the column's value).
type packChild struct {
	table, col string
	link       bool
}

// packTree lists, for each table a step deletes from, the rows its
// deletion takes with it (foreign keys ON DELETE CASCADE of the
// migrations) and the columns it clears (DeleteDivision).
var packTree = map[string][]packChild{
	"evaluations":  {{"results", "evaluation_id", false}, {"comments", "evaluation_id", false}, {"evaluation_competences", "evaluation_id", false}},
	"sheets":       {{"attachments", "sheet_id", false}, {"sheet_results", "sheet_id", false}},
	"class_spaces": {{"class_space_rights", "space_id", false}, {"class_space_files", "space_id", false}},
	"groups":       {{"group_members", "group_id", false}, {"group_managers", "group_id", false}, {"services", "group_id", false}},
	"periods": {{"lsu_periodic_reports", "period_id", false}, {"lsu_programme_elements", "period_id", false}, {"lsu_project_groups", "period_id", false},
		{"lsu_class_parcours", "period_id", false}, {"lsu_class_school_life", "period_id", false}, {"lsu_class_digital_skills", "period_id", false}},
	"lsu_periodic_reports": {{"lsu_subject_results", "report_id", false}, {"lsu_report_blocks", "report_id", false}},
	"divisions": {{"services", "division_id", false}, {"head_teachers", "division_id", false}, {"lsu_programme_elements", "division_id", false},
		{"lsu_project_groups", "division_id", false}, {"lsu_class_parcours", "division_id", false}, {"lsu_class_school_life", "division_id", false},
		{"lsu_class_digital_skills", "division_id", false},
		{"persons", "division_id", true}, {"evaluations", "division_id", true}},
	"persons": {{"guardianships", "parent_id", false}, {"guardianships", "student_id", false}, {"group_members", "person_id", false},
		{"group_managers", "person_id", false}, {"services", "teacher_id", false}, {"head_teachers", "teacher_id", false},
		{"results", "student_id", false}, {"comments", "student_id", false}, {"sheets", "student_id", false}, {"documents", "student_id", false},
		{"messages", "recipient_id", false}, {"lsu_periodic_reports", "student_id", false}, {"lsu_cycle_reports", "student_id", false},
		{"class_space_rights", "person_id", false}, {"person_unqids", "person_id", false}, {"sso_links", "person_id", false},
		{"person_federation_hashes", "person_id", false}},
}

// packRank orders the restore: a row comes after the rows it refers to.
// Links (columns set back) come last, once every row is back.
var packRank = map[string]int{
	"divisions": 0, "groups": 0, "periods": 0, "class_spaces": 0, "import_reports": 0, "credential_lists": 0, "rollover_files": 0, "archives": 0,
	"persons":       1,
	"guardianships": 2, "group_members": 2, "group_managers": 2, "services": 2, "head_teachers": 2, "messages": 2, "person_unqids": 2, "sso_links": 2, "person_federation_hashes": 2,
	"class_space_rights": 2, "class_space_files": 2, "evaluations": 2, "sheets": 2, "documents": 2, "lsu_periodic_reports": 2,
	"lsu_cycle_reports": 2, "lsu_programme_elements": 2, "lsu_project_groups": 2, "lsu_class_parcours": 2, "lsu_class_school_life": 2, "lsu_class_digital_skills": 2,
	"results": 3, "comments": 3, "evaluation_competences": 3, "attachments": 3, "lsu_subject_results": 3, "sheet_results": 3,
	"lsu_report_blocks": 3,
}

// packLinkCols are the columns a pack may set back by UPDATE.
var packLinkCols = map[string]bool{"persons.division_id": true, "evaluations.division_id": true, "class_spaces.trashed_at": true,
	"class_spaces.division_id": true}

// Pack row kinds.
const (
	packRow     = "row"
	packLink    = "link"
	packAccount = "account"
	packClear   = "clear" // the rights of a class space, removed before its packed rights go back
)

// packValue is a typed column value (JSON keeps the type, so the restore
// writes back exactly what was read).
type packValue struct {
	K string  `json:"k"` // n null, i int, f float, s string, b bool, t time, x bytes
	I int64   `json:"i,omitempty"`
	F float64 `json:"f,omitempty"`
	S string  `json:"s,omitempty"`
	B bool    `json:"b,omitempty"`
	X []byte  `json:"x,omitempty"`
}

func toPackValue(v any) (packValue, error) {
	switch x := v.(type) {
	case nil:
		return packValue{K: "n"}, nil
	case int64:
		return packValue{K: "i", I: x}, nil
	case int32:
		return packValue{K: "i", I: int64(x)}, nil
	case int:
		return packValue{K: "i", I: int64(x)}, nil
	case float64:
		return packValue{K: "f", F: x}, nil
	case string:
		return packValue{K: "s", S: x}, nil
	case bool:
		return packValue{K: "b", B: x}, nil
	case time.Time:
		return packValue{K: "t", S: x.UTC().Format(time.RFC3339Nano)}, nil
	case []byte:
		return packValue{K: "x", X: append([]byte(nil), x...)}, nil
	}
	return packValue{}, fmt.Errorf("store: pack: value of type %T", v)
}

func (p packValue) value() (any, error) {
	switch p.K {
	case "n":
		return nil, nil
	case "i":
		return p.I, nil
	case "f":
		return p.F, nil
	case "s":
		return p.S, nil
	case "b":
		return p.B, nil
	case "t":
		return time.Parse(time.RFC3339Nano, p.S)
	case "x":
		return p.X, nil
	}
	return nil, fmt.Errorf("store: pack: kind %q", p.K)
}

// CreateRolloverPack returns the live pack of a step, creating it when
// there is none (a pack already restored is replaced: the step runs again).
func (tx Rollover) CreateRolloverPack(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int, by string, expires time.Time) (int64, error) {
	p, err := tx.GetRolloverPack(ctx, uai, year, step)
	switch {
	case err == nil && !p.Restored():
		return p.ID, nil
	case err == nil:
		if _, err := tx.exec(ctx, `DELETE FROM rollover_packs WHERE uai = $1 AND id = $2`, uai, p.ID); err != nil {
			return 0, err
		}
	case sillage.KindOf(err) != sillage.KindNotFound:
		return 0, err
	}
	if _, err := tx.Establishments().GetEstablishment(ctx, uai); err != nil {
		return 0, err
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return 0, err
	}
	_, err = tx.exec(ctx, `INSERT INTO rollover_packs (uai, id, school_year, step, created_at, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, uai, id, year, step, tx.now, by, expires)
	return id, err
}

// GetRolloverPack returns the pack of a step; not found when none.
func (tx Rollover) GetRolloverPack(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int) (sillage.RolloverPack, error) {
	p, err := scanRolloverPack(tx.queryRow(ctx, `SELECT `+rolloverPackCols+` FROM rollover_packs WHERE uai = $1 AND school_year = $2 AND step = $3`,
		uai, year, step))
	if err == sql.ErrNoRows {
		return p, sillage.Errorf(sillage.KindNotFound, "aucune sauvegarde d'annulation pour l'étape %d", step)
	}
	return p, mapErr(err)
}

// ListRolloverPacks returns an establishment's packs, by year and step.
func (tx Rollover) ListRolloverPacks(ctx context.Context, uai sillage.UAI) ([]sillage.RolloverPack, error) {
	return collect(ctx, tx.txn, `SELECT `+rolloverPackCols+` FROM rollover_packs WHERE uai = $1 ORDER BY school_year, step`, []any{uai},
		func(r *sql.Rows) (sillage.RolloverPack, error) { return scanRolloverPack(r) })
}

// RolloverPacksSummary counts the packs not restored, in the whole instance.
func (tx Rollover) RolloverPacksSummary(ctx context.Context) (sillage.RolloverPackStats, error) {
	var s sillage.RolloverPackStats
	err := tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(row_count), 0), MIN(expires_at) FROM rollover_packs WHERE restored_at IS NULL`).
		Scan(&s.Packs, &s.Rows, ts{&s.Earliest})
	return s, mapErr(err)
}

// PurgeExpiredRolloverPacks deletes, in every establishment, the packs
// that expired before now (their rows and file references go with them:
// the collection of unreferenced files follows). It returns how many went.
func (tx CrossTenant) PurgeExpiredRolloverPacks(ctx context.Context, now time.Time) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM rollover_packs WHERE expires_at < $1`, now)
	return int(n), err
}

// AddRolloverPackRows copies the rows of table whose id is in ids, with
// every row their deletion would take (packTree), into the pack; it
// returns how many rows it copied. Call it in the transaction that then
// deletes them.
func (tx Rollover) AddRolloverPackRows(ctx context.Context, uai sillage.UAI, packID int64, table string, ids []int64) (int, error) {
	if _, ok := packRank[table]; !ok || table == "" {
		return 0, sillage.Errorf(sillage.KindInvalid, "table %q hors des sauvegardes d'annulation", table)
	}
	w, err := tx.packWriter(ctx, uai, packID)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	if err := w.rows(ctx, table, "id", ids, 0); err != nil {
		return 0, err
	}
	return w.n, w.close(ctx)
}

// AddRolloverPackLinks copies the value of table.col of the rows whose id
// is in ids (a column a step is about to rewrite, such as trashed_at).
func (tx Rollover) AddRolloverPackLinks(ctx context.Context, uai sillage.UAI, packID int64, table, col string, ids []int64) (int, error) {
	if !packLinkCols[table+"."+col] {
		return 0, sillage.Errorf(sillage.KindInvalid, "colonne %s.%s hors des sauvegardes d'annulation", table, col)
	}
	w, err := tx.packWriter(ctx, uai, packID)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	if err := w.links(ctx, table, col, "id", ids); err != nil {
		return 0, err
	}
	return w.n, w.close(ctx)
}

// AddRolloverPackAccounts copies the closing state of the accounts of the
// persons whose id is in ids (a deletion closes an account left without
// person).
func (tx Rollover) AddRolloverPackAccounts(ctx context.Context, uai sillage.UAI, packID int64, ids []int64) (int, error) {
	w, err := tx.packWriter(ctx, uai, packID)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	err = w.copy(ctx, "accounts", packAccount, ids, func(ph string) string {
		return `SELECT a.id, a.closed_at, a.closed_reason FROM accounts a WHERE a.id IN
			(SELECT account_id FROM persons WHERE uai = $1 AND account_id IS NOT NULL AND id IN (` + ph + `)) ORDER BY a.id`
	}, nil)
	if err != nil {
		return 0, err
	}
	return w.n, w.close(ctx)
}

// AddRolloverPackSpaces copies the state of live class spaces a step is
// about to move to the trash: where they stand (trashed_at, division_id)
// and their explicit rights, which the move rewrites.
func (tx Rollover) AddRolloverPackSpaces(ctx context.Context, uai sillage.UAI, packID int64, ids []int64) (int, error) {
	w, err := tx.packWriter(ctx, uai, packID)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	for _, col := range []string{"trashed_at", "division_id"} {
		if err := w.links(ctx, "class_spaces", col, "id", ids); err != nil {
			return 0, err
		}
	}
	for _, id := range ids {
		if err := w.add(ctx, "class_space_rights", packClear, map[string]packValue{"space_id": {K: "i", I: id}}); err != nil {
			return 0, err
		}
	}
	err = w.copy(ctx, "class_space_rights", packRow, ids, func(ph string) string {
		return `SELECT * FROM class_space_rights WHERE uai = $1 AND space_id IN (` + ph + `)`
	}, nil)
	if err != nil {
		return 0, err
	}
	return w.n, w.close(ctx)
}

// packWriter appends rows to a pack of uai; they are written in batches
// by close.
type packWriter struct {
	tx      *Tx
	uai     sillage.UAI
	pack    int64
	seq     int64
	n       int
	blobs   map[string]bool
	pending []packedRow
}

type packedRow struct {
	seq               int64
	table, kind, data string
}

// packInsertBatch is how many pack rows one INSERT writes.
const packInsertBatch = 200

func (tx *Tx) packWriter(ctx context.Context, uai sillage.UAI, packID int64) (*packWriter, error) {
	var seq int64
	var live int
	err := tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM rollover_packs WHERE uai = $1 AND id = $2 AND restored_at IS NULL),
		(SELECT COALESCE(MAX(seq), 0) FROM rollover_pack_rows WHERE uai = $1 AND pack_id = $2)`, uai, packID).Scan(&live, &seq)
	if err != nil {
		return nil, mapErr(err)
	}
	if live == 0 {
		return nil, sillage.Errorf(sillage.KindNotFound, "sauvegarde d'annulation introuvable")
	}
	return &packWriter{tx: tx, uai: uai, pack: packID, seq: seq, blobs: map[string]bool{}}, nil
}

func (w *packWriter) add(ctx context.Context, table, kind string, rec map[string]packValue) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	w.seq++
	w.n++
	for _, c := range blobColumns {
		t, col, _ := strings.Cut(c, ".")
		if t == table && rec[col].K == "s" && rec[col].S != "" {
			w.blobs[rec[col].S] = true
		}
	}
	w.pending = append(w.pending, packedRow{w.seq, table, kind, string(b)})
	if len(w.pending) >= packInsertBatch {
		return w.flush(ctx)
	}
	return nil
}

func (w *packWriter) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	values := make([]string, len(w.pending))
	args := []any{w.uai, w.pack}
	for i, r := range w.pending {
		n := len(args)
		values[i] = fmt.Sprintf("($1, $2, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4)
		args = append(args, r.seq, r.table, r.kind, r.data)
	}
	w.pending = w.pending[:0]
	_, err := w.tx.exec(ctx, `INSERT INTO rollover_pack_rows (uai, pack_id, seq, tbl, kind, data) VALUES `+strings.Join(values, ", "), args...)
	return err
}

func (w *packWriter) close(ctx context.Context) error {
	if err := w.flush(ctx); err != nil {
		return err
	}
	for sum := range w.blobs {
		if _, err := w.tx.exec(ctx, `INSERT INTO rollover_pack_blobs (uai, pack_id, sha256) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			w.uai, w.pack, sum); err != nil {
			return err
		}
	}
	_, err := w.tx.exec(ctx, `UPDATE rollover_packs SET row_count = row_count + $3 WHERE uai = $1 AND id = $2`, w.uai, w.pack, w.n)
	return err
}

// rows copies the rows of table whose col is in ids, then their children.
func (w *packWriter) rows(ctx context.Context, table, col string, ids []int64, depth int) error {
	if depth > 4 {
		return fmt.Errorf("store: pack: tables too deep at %s", table)
	}
	return w.copy(ctx, table, packRow, ids, func(ph string) string {
		return `SELECT * FROM ` + table + ` WHERE uai = $1 AND ` + col + ` IN (` + ph + `)`
	}, func(recs []map[string]packValue) error {
		var own []int64
		for _, r := range recs {
			if id, ok := r["id"]; ok && id.K == "i" {
				own = append(own, id.I)
			}
		}
		if len(own) == 0 {
			return nil
		}
		for _, c := range packTree[table] {
			if c.link {
				if err := w.links(ctx, c.table, c.col, c.col, own); err != nil {
					return err
				}
				continue
			}
			if err := w.rows(ctx, c.table, c.col, own, depth+1); err != nil {
				return err
			}
		}
		return nil
	})
}

// links copies (id, col) of the rows of table whose by column is in ids.
func (w *packWriter) links(ctx context.Context, table, col, by string, ids []int64) error {
	return w.copy(ctx, table, packLink, ids, func(ph string) string {
		return `SELECT id, ` + col + ` FROM ` + table + ` WHERE uai = $1 AND ` + by + ` IN (` + ph + `) ORDER BY id`
	}, nil)
}

// copy adds to the pack, as kind rows of table, what the query q(ph)
// returns for each chunk of ids ($1 is the UAI, ph the chunk's
// placeholders); then hands each chunk's rows to then, when given.
func (w *packWriter) copy(ctx context.Context, table, kind string, ids []int64, q func(ph string) string,
	then func([]map[string]packValue) error) error {
	for _, chunk := range impIDChunks(ids, packChunk) {
		ph, args := inUAI(w.uai, chunk)
		rows, err := w.tx.query(ctx, q(ph), args...)
		if err != nil {
			return err
		}
		recs, err := scanPackRows(rows)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := w.add(ctx, table, kind, r); err != nil {
				return err
			}
		}
		if then != nil {
			if err := then(recs); err != nil {
				return err
			}
		}
	}
	return nil
}

func scanPackRows(rows *sql.Rows) ([]map[string]packValue, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, mapErr(err)
	}
	var out []map[string]packValue
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, mapErr(err)
		}
		rec := make(map[string]packValue, len(cols))
		for i, c := range cols {
			v, err := toPackValue(vals[i])
			if err != nil {
				return nil, err
			}
			rec[c] = v
		}
		out = append(out, rec)
	}
	return out, mapErr(rows.Err())
}

// packChunk is how many ids a pack query names at once.
const packChunk = 400

// inUAI returns the placeholders of ids after $1 (the establishment) and
// the arguments of both.
func inUAI(uai any, ids []int64) (string, []any) {
	args := make([]any, 0, len(ids)+1)
	args = append(args, uai)
	for _, id := range ids {
		args = append(args, id)
	}
	return impPlaceholders(2, len(ids)), args
}

// RestoreRolloverPackRows writes the rows of a live pack back: deleted
// rows are inserted again (a row already there is left as it is, so a
// second restore changes nothing), cleared columns are set back, closed
// accounts reopened as they were. It returns how many rows it wrote back.
// The pack itself stays until SetRolloverPackRestored.
func (tx Rollover) RestoreRolloverPackRows(ctx context.Context, uai sillage.UAI, packID int64) (int, error) {
	type packed struct {
		seq        int64
		table      string
		kind, data string
	}
	list, err := collect(ctx, tx.txn, `SELECT r.seq, r.tbl, r.kind, r.data FROM rollover_pack_rows r JOIN rollover_packs p ON p.uai = r.uai AND p.id = r.pack_id
		WHERE r.uai = $1 AND r.pack_id = $2 AND p.restored_at IS NULL ORDER BY r.seq`, []any{uai, packID},
		func(r *sql.Rows) (packed, error) { var p packed; return p, r.Scan(&p.seq, &p.table, &p.kind, &p.data) })
	if err != nil {
		return 0, err
	}
	rank := func(p packed) int {
		switch p.kind {
		case packClear:
			return -1
		case packLink, packAccount:
			return 9
		}
		return packRank[p.table]
	}
	sort.SliceStable(list, func(i, j int) bool { return rank(list[i]) < rank(list[j]) })
	n := 0
	for _, p := range list {
		var rec map[string]packValue
		if err := json.Unmarshal([]byte(p.data), &rec); err != nil {
			return n, fmt.Errorf("store: pack row %d: %w", p.seq, err)
		}
		cols := make([]string, 0, len(rec))
		for c := range rec {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		vals := make([]any, 0, len(cols))
		for _, c := range cols {
			v, err := rec[c].value()
			if err != nil {
				return n, err
			}
			vals = append(vals, v)
		}
		var q string
		var args []any
		switch p.kind {
		case packRow:
			if _, ok := packRank[p.table]; !ok {
				return n, fmt.Errorf("store: pack row of table %q", p.table)
			}
			ph := make([]string, len(cols))
			args = make([]any, len(cols))
			for i, c := range cols {
				ph[i] = fmt.Sprintf("$%d", i+1)
				args[i] = vals[i]
				if c == "uai" {
					args[i] = string(uai) // a pack only ever restores into its own establishment
				}
			}
			if err := tx.packedPersonsLive(ctx, uai, p.table, rec); err != nil {
				return n, fmt.Errorf("store: pack row %d: %w", p.seq, err)
			}
			q = `INSERT INTO ` + p.table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `) ON CONFLICT DO NOTHING`
		case packLink:
			col := ""
			for _, c := range cols {
				if c != "id" {
					col = c
				}
			}
			if !packLinkCols[p.table+"."+col] {
				return n, fmt.Errorf("store: pack link %s.%s", p.table, col)
			}
			v, err := rec[col].value()
			if err != nil {
				return n, err
			}
			q, args = `UPDATE `+p.table+` SET `+col+` = $3 WHERE uai = $1 AND id = $2`, []any{uai, rec["id"].I, v}
		case packClear:
			q, args = `DELETE FROM class_space_rights WHERE uai = $1 AND space_id = $2`, []any{uai, rec["space_id"].I}
		case packAccount:
			closedAt, err := rec["closed_at"].value()
			if err != nil {
				return n, err
			}
			q = `UPDATE accounts SET closed_at = $3, closed_reason = $4 WHERE id = $2 AND id IN (SELECT account_id FROM persons WHERE uai = $1)`
			args = []any{uai, rec["id"].I, closedAt, rec["closed_reason"].S}
		default:
			return n, fmt.Errorf("store: pack row kind %q", p.kind)
		}
		c, err := tx.execN(ctx, q, args...)
		if err != nil {
			return n, err
		}
		n += int(c)
	}
	return n, nil
}

// packedPersonsLive refuses to write back a guardian link or an unqid
// version whose persons were deleted since the pack was made, having
// locked those that exist FOR KEY SHARE. On PostgreSQL these two tables
// lost their foreign keys in migration 0036; the check keeps the undo
// what it is on SQLite, where the keys refuse the row: the undo is
// refused whole rather than leaving a link to nobody.
func (tx Rollover) packedPersonsLive(ctx context.Context, uai sillage.UAI, table string, rec map[string]packValue) error {
	if tx.Kind() != Postgres {
		return nil
	}
	var cols []string
	switch table {
	case "guardianships":
		cols = []string{"parent_id", "student_id"}
	case "person_unqids":
		cols = []string{"person_id"}
	default:
		return nil
	}
	ids := make([]int64, 0, len(cols))
	for _, c := range cols {
		ids = append(ids, rec[c].I)
	}
	slices.Sort(ids)
	live, err := tx.lockPersons(ctx, uai, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !live[id] {
			return sillage.Errorf(sillage.KindConflict, "la personne n° %d, liée à une ligne de la sauvegarde (%s), a été supprimée depuis l'étape : l'annulation ne peut pas la rétablir", id, table)
		}
	}
	return nil
}

// SetRolloverPackRestored marks a pack restored by by and drops its rows
// (the restored rows now keep their files themselves).
func (tx Rollover) SetRolloverPackRestored(ctx context.Context, uai sillage.UAI, packID int64, by string) error {
	n, err := tx.execN(ctx, `UPDATE rollover_packs SET restored_at = $3, restored_by = $4 WHERE uai = $1 AND id = $2 AND restored_at IS NULL`,
		uai, packID, tx.now, by)
	if err := notFoundIfNone(n, err, "sauvegarde d'annulation"); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM rollover_pack_rows WHERE uai = $1 AND pack_id = $2`, `DELETE FROM rollover_pack_blobs WHERE uai = $1 AND pack_id = $2`} {
		if _, err := tx.exec(ctx, q, uai, packID); err != nil {
			return err
		}
	}
	return nil
}

// ListTrashedIDs returns the ids of the rows of table (evaluations,
// sheets, documents, class_spaces) in the trash since before cutoff, at
// most limit (0: all), by id: the rows step 1 deletes next.
func (tx Rollover) ListTrashedIDs(ctx context.Context, uai sillage.UAI, table string, cutoff time.Time, limit int) ([]int64, error) {
	col := "deleted_at"
	switch table {
	case "evaluations", "sheets", "documents":
	case "class_spaces":
		col = "trashed_at"
	default:
		return nil, nil // no other table has a trash
	}
	if cutoff.IsZero() {
		cutoff = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if limit <= 0 {
		limit = 1 << 30
	}
	return collect(ctx, tx.txn, `SELECT id FROM `+table+` WHERE uai = $1 AND `+col+` IS NOT NULL AND `+col+` < $2 ORDER BY id LIMIT $3`,
		[]any{uai, cutoff, limit}, func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) })
}

// ListYearScopedIDs returns, by table, the ids of the rows step 3 deletes
// for year (the predicates of DeleteGroupsOfKind, the divisions of year
// and before, DeletePeriods, DeleteImportReports, DeleteCredentialLists,
// DeleteRolloverFiles of year-1) and of the live class spaces it moves to
// the trash ("class_spaces").
func (tx Rollover) ListYearScopedIDs(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (map[string][]int64, error) {
	queries := []struct{ key, q string }{
		{"groups", `SELECT id FROM groups WHERE uai = $1 AND ((kind = 'option' AND school_year <= $2) OR kind = 'timetable' OR (kind = 'free' AND lifetime = 'year')) ORDER BY id`},
		{"divisions", `SELECT id FROM divisions WHERE uai = $1 AND school_year <= $2 ORDER BY id`},
		{"periods", `SELECT id FROM periods WHERE uai = $1 AND school_year <= $2 ORDER BY id`},
		{"import_reports", `SELECT id FROM import_reports WHERE uai = $1 AND school_year <= $2 ORDER BY id`},
		{"credential_lists", `SELECT id FROM credential_lists WHERE uai = $1 AND school_year <= $2 ORDER BY id`},
		{"rollover_files", `SELECT id FROM rollover_files WHERE uai = $1 AND school_year <= $2 - 1 ORDER BY id`},
		{"class_spaces", `SELECT id FROM class_spaces WHERE uai = $1 AND trashed_at IS NULL AND school_year <= $2 ORDER BY id`},
	}
	out := map[string][]int64{}
	for _, q := range queries {
		ids, err := collect(ctx, tx.txn, q.q, []any{uai, year}, func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) })
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			out[q.key] = ids
		}
	}
	return out, nil
}

// DeleteRolloverStep forgets one step of an establishment's changeover
// (state and checkpoints): after its undo, the step is "not started" again.
func (tx Rollover) DeleteRolloverStep(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int) error {
	if _, err := tx.exec(ctx, `DELETE FROM rollover_checkpoints WHERE uai = $1 AND school_year = $2 AND step = $3`, uai, year, step); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM rollover_steps WHERE uai = $1 AND school_year = $2 AND step = $3`, uai, year, step)
	return err
}
