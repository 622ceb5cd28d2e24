package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sillage/sillage"
)

// Set-based writes for the directory imports: an import creates thousands of
// persons and accounts in one transaction, and one statement per row is
// what makes an import slow (a round trip on PostgreSQL, a statement
// preparation on SQLite). These methods write many rows per statement.

// maxBatchRows bounds the rows of one multi-row statement. Statements carry
// at most 512 rows, in sizes that are powers of two, so that SQLite's
// query-text cache (dialect.rebind) holds a handful of shapes per statement.
const maxBatchRows = 512

// maxBatchParams stays under SQLite's 32,766 bound on parameters.
const maxBatchParams = 30000

// sqliteBatchRows is the rows of one prepared statement on SQLite, where
// parsing a long statement costs more than running a short one often.
const sqliteBatchRows = 64

// insertRows runs head + "(…), (…)" + tail for rows of ncol values each.
// Full chunks reuse one prepared statement; the remainder goes in
// statements whose row counts are powers of two.
func (tx *Tx) insertRows(ctx context.Context, head, tail string, ncol int, rows [][]any) error {
	limit := maxBatchRows
	if tx.s.dsn.Kind == SQLite {
		limit = sqliteBatchRows
	}
	for limit*ncol > maxBatchParams {
		limit /= 2
	}
	if len(rows) >= 2*limit {
		tx.issued++
		stmt, err := tx.tx.PrepareContext(ctx, tx.d.rebind(tx.rowsSQL(head, tail, ncol, limit)))
		if err != nil {
			return mapErr(err)
		}
		defer stmt.Close()
		args := make([]any, 0, limit*ncol)
		for len(rows) >= limit {
			args = args[:0]
			for _, r := range rows[:limit] {
				args = append(args, r...)
			}
			if _, err := stmt.ExecContext(ctx, tx.d.args(args)...); err != nil {
				return mapErr(err)
			}
			rows = rows[limit:]
		}
	}
	for len(rows) > 0 {
		n := limit
		for n > len(rows) {
			n /= 2
		}
		args := make([]any, 0, n*ncol)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := tx.exec(ctx, tx.rowsSQL(head, tail, ncol, n), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// rowsSQL writes a statement of n rows of ncol parameters.
func (tx *Tx) rowsSQL(head, tail string, ncol, n int) string {
	var b strings.Builder
	b.Grow(len(head) + len(tail) + n*ncol*6)
	b.WriteString(head)
	row := "(" + strings.Repeat("?, ", ncol-1) + "?)"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if tx.s.dsn.Kind == SQLite {
			// Anonymous "?": the SQLite driver looks each numbered
			// parameter's name up in a list, which is quadratic in the
			// parameters of a statement.
			b.WriteString(row)
		} else {
			b.WriteByte('(')
			b.WriteString(impPlaceholders(i*ncol+1, ncol))
			b.WriteByte(')')
		}
	}
	b.WriteString(tail)
	return b.String()
}

// InsertStudents adds students in a few statements and sets their IDs,
// entry time (now) and transfer status ("new" unless set), as
// CreateStudent does for one; each unqid joins the student's versions.
func (tx Imports) InsertStudents(ctx context.Context, uai sillage.UAI, ss []*sillage.Student) error {
	if len(ss) == 0 {
		return nil
	}
	ids, err := tx.NewIDs(ctx, len(ss))
	if err != nil {
		return err
	}
	rows := make([][]any, len(ss))
	for i, s := range ss {
		s.Role, s.ID = sillage.RoleStudent, ids[i]
		if err := tx.stampPerson(ctx, uai, &s.Person); err != nil {
			return err
		}
		if s.EnteredAt.IsZero() {
			s.EnteredAt = tx.now
		}
		if s.TransferStatus == "" {
			s.TransferStatus = sillage.TransferNew
		}
		rows[i] = []any{uai, s.ID, s.Role, idOrNull(s.AccountID), s.Civility, s.LastName, s.FirstName, s.Email, s.BirthDate, s.Source,
			s.SIECLEID, s.AAFID, s.STSID, s.CreatedAt, s.UpdatedAt, s.DeactivatedAt, s.LastSignInAt,
			s.Unqid, s.INEStatus, s.PreviousUAI, s.PreviousName, s.EnteredAt, s.SchoolEntry, s.ExitDate, s.ExitReason,
			s.TransferStatus, s.TransferredAt, s.MEF, s.Diploma, idOrNull(s.DivisionID)}
	}
	if err := tx.bulkInsert(ctx, "persons", studentInsertCols, rows); err != nil {
		return err
	}
	// The students are new: their unqids conflict with no stored one.
	var versions [][]any
	for _, s := range ss {
		if s.Unqid != "" {
			versions = append(versions, []any{uai, s.ID, s.Unqid})
		}
	}
	return tx.bulkInsert(ctx, "person_unqids", []string{"uai", "person_id", "unqid"}, versions)
}

// InsertPersons adds persons who are not students and sets their IDs.
func (tx Imports) InsertPersons(ctx context.Context, uai sillage.UAI, ps []*sillage.Person) error {
	if len(ps) == 0 {
		return nil
	}
	ids, err := tx.NewIDs(ctx, len(ps))
	if err != nil {
		return err
	}
	rows := make([][]any, len(ps))
	for i, p := range ps {
		if p.Role == sillage.RoleStudent {
			return sillage.Errorf(sillage.KindInvalid, "un élève se crée avec InsertStudents")
		}
		p.ID = ids[i]
		if err := tx.stampPerson(ctx, uai, p); err != nil {
			return err
		}
		rows[i] = []any{uai, p.ID, p.Role, idOrNull(p.AccountID), p.Civility, p.LastName, p.FirstName, p.Email, p.BirthDate, p.Source,
			p.SIECLEID, p.AAFID, p.STSID, p.CreatedAt, p.UpdatedAt, p.DeactivatedAt, p.LastSignInAt}
	}
	return tx.bulkInsert(ctx, "persons", studentInsertCols[:17], rows)
}

// studentInsertCols are the columns InsertStudents gives; the first 17
// are a person's (InsertPersons).
var studentInsertCols = []string{"uai", "id", "role", "account_id", "civility", "last_name", "first_name", "email", "birth_date", "source",
	"siecle_id", "aaf_id", "sts_id", "created_at", "updated_at", "deactivated_at", "last_sign_in_at",
	"unqid", "ine_status", "previous_uai", "previous_name", "entered_at", "school_entry", "exit_date", "exit_reason",
	"transfer_status", "transferred_at", "mef", "diploma", "division_id"}

// InsertAccounts adds accounts (logins already unique, see FindLogins) and
// sets their IDs.
func (tx Imports) InsertAccounts(ctx context.Context, accs []*sillage.Account) error {
	if len(accs) == 0 {
		return nil
	}
	ids, err := tx.NewIDs(ctx, len(accs))
	if err != nil {
		return err
	}
	rows := make([][]any, len(accs))
	for i, a := range accs {
		a.Login = sillage.NormalizeLogin(a.Login)
		if a.Login == "" {
			return sillage.Errorf(sillage.KindInvalid, "l'identifiant est obligatoire")
		}
		a.ID = ids[i]
		if a.CreatedAt.IsZero() {
			a.CreatedAt = tx.now
		}
		rows[i] = []any{a.ID, a.Login, a.PasswordHash, a.MustChangePassword, a.Operator, a.PrivacyVersion, a.PrivacyAckedAt, a.CreatedAt}
	}
	err = tx.bulkInsert(ctx, "accounts", []string{"id", "login", "password_hash", "must_change_password", "operator", "privacy_version",
		"privacy_acked_at", "created_at"}, rows)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "un identifiant de connexion est déjà pris")
	}
	return err
}

// FindLogins returns the logins in use that start with one of bases and
// continue with nothing or with digits (the numbered variants an import
// gives on a collision: "lea.martin", "lea.martin2"…). One statement per
// 500 bases: each base is a range of the unique index on login.
func (tx Imports) FindLogins(ctx context.Context, bases []string) ([]string, error) {
	var out []string
	for _, chunk := range impChunks(bases, 500) {
		chunk = impPad(chunk)
		var b strings.Builder
		b.WriteString(`WITH b (lo, hi) AS (VALUES `)
		args := make([]any, 0, 2*len(chunk))
		for i, base := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			base = sillage.NormalizeLogin(base)
			// ':' follows '9': the range holds base and base + digits
			// (and other suffixes, filtered out below).
			args = append(args, base, base+":")
			b.WriteString(`($` + itoa(len(args)-1) + `, $` + itoa(len(args)) + `)`)
		}
		b.WriteString(`) SELECT a.login, b.lo FROM b JOIN accounts a ON a.login >= b.lo AND a.login < b.hi`)
		type hit struct{ login, base string }
		hits, err := collect(ctx, tx.txn, b.String(), args, func(r *sql.Rows) (hit, error) {
			var h hit
			return h, r.Scan(&h.login, &h.base)
		})
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if numberedLogin(h.login, h.base) {
				out = append(out, h.login)
			}
		}
	}
	return out, nil
}

func numberedLogin(login, base string) bool {
	if !strings.HasPrefix(login, base) {
		return false
	}
	for _, c := range login[len(base):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// SetPersonsActive deactivates (at the transaction's time) or reactivates
// persons of an establishment.
func (tx Imports) SetPersonsActive(ctx context.Context, uai sillage.UAI, ids []int64, active bool) error {
	var at any // NULL: active
	if !active {
		at = tx.now
	}
	for _, chunk := range impIDChunks(ids, 500) {
		chunk = impPad(chunk)
		q, args := inIDs(`UPDATE persons SET deactivated_at = $2, updated_at = $3 WHERE uai = $1`, []any{uai, at, tx.now}, "id", chunk)
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// DeletePersonSessions ends the sessions opened as these persons of the
// establishment (a deactivated person is signed out); it returns how many.
func (tx Imports) DeletePersonSessions(ctx context.Context, uai sillage.UAI, ids []int64) (int, error) {
	total := 0
	for _, chunk := range impIDChunks(ids, 500) {
		chunk = impPad(chunk)
		q, args := inIDs(`DELETE FROM sessions WHERE uai = $1`, []any{uai}, "person_id", chunk)
		n, err := tx.execN(ctx, q, args...)
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
}

// ListAllGuardianships returns every parent–student link of an establishment.
func (tx Imports) ListAllGuardianships(ctx context.Context, uai sillage.UAI) ([]sillage.Guardianship, error) {
	return collect(ctx, tx.txn, `SELECT uai, parent_id, student_id, legal, relation, legal_rank FROM guardianships WHERE uai = $1 ORDER BY parent_id, student_id`,
		[]any{uai}, func(r *sql.Rows) (sillage.Guardianship, error) {
			var g sillage.Guardianship
			var u string
			err := r.Scan(&u, &g.ParentID, &g.StudentID, &g.Legal, &g.Relation, &g.Rank)
			g.UAI = sillage.UAI(u)
			return g, err
		})
}

// InsertGuardianships records parent–student links (an existing link gets
// the new legal flag, relation and rank). Both persons must be of uai.
func (tx Imports) InsertGuardianships(ctx context.Context, uai sillage.UAI, gs []sillage.Guardianship) error {
	gs, err := tx.liveLinks(ctx, uai, gs)
	if err != nil {
		return err
	}
	rows := make([][]any, len(gs))
	for i, g := range gs {
		rows[i] = []any{uai, g.ParentID, g.StudentID, g.Legal, g.Relation, g.Rank}
	}
	return tx.insertRows(ctx, `INSERT INTO guardianships (uai, parent_id, student_id, legal, relation, legal_rank) VALUES `,
		` ON CONFLICT (uai, parent_id, student_id) DO UPDATE SET legal = excluded.legal, relation = excluded.relation, legal_rank = excluded.legal_rank`, 6, rows)
}

// InsertNewGuardianships adds parent–student links the establishment does
// not have yet (the import read them all in the same transaction): COPY on
// PostgreSQL, no conflict clause.
func (tx Imports) InsertNewGuardianships(ctx context.Context, uai sillage.UAI, gs []sillage.Guardianship) error {
	gs, err := tx.liveLinks(ctx, uai, gs)
	if err != nil {
		return err
	}
	rows := make([][]any, len(gs))
	for i, g := range gs {
		rows[i] = []any{uai, g.ParentID, g.StudentID, g.Legal, g.Relation, g.Rank}
	}
	return tx.bulkInsert(ctx, "guardianships", []string{"uai", "parent_id", "student_id", "legal", "relation", "legal_rank"}, rows)
}

// liveLinks returns the links of gs whose parent and student exist, having
// locked them FOR KEY SHARE on PostgreSQL, as the foreign keys' checks
// did before migration 0036: a deletion running meanwhile waits for this
// transaction, then deletes the links after the persons
// (deletePersonKeysOf), or is over and its persons' links are not written.
// SQLite keeps the keys (and has one writer at a time).
func (tx *Tx) liveLinks(ctx context.Context, uai sillage.UAI, gs []sillage.Guardianship) ([]sillage.Guardianship, error) {
	if tx.Kind() != Postgres || len(gs) == 0 {
		return gs, nil
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, g := range gs {
		for _, id := range []int64{g.ParentID, g.StudentID} {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	live, err := tx.lockPersons(ctx, uai, ids)
	if err != nil {
		return nil, err
	}
	if len(live) == len(ids) {
		return gs, nil
	}
	out := make([]sillage.Guardianship, 0, len(gs))
	for _, g := range gs {
		if live[g.ParentID] && live[g.StudentID] {
			out = append(out, g)
		}
	}
	return out, nil
}

// DeleteGuardianships removes parent–student links.
func (tx Imports) DeleteGuardianships(ctx context.Context, uai sillage.UAI, gs []sillage.Guardianship) error {
	for _, g := range gs {
		if _, err := tx.exec(ctx, `DELETE FROM guardianships WHERE uai = $1 AND parent_id = $2 AND student_id = $3`, uai, g.ParentID, g.StudentID); err != nil {
			return err
		}
	}
	return nil
}

// ListGroupMembersOfKind returns the memberships of the groups of a kind and
// school year.
func (tx Imports) ListGroupMembersOfKind(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, kind sillage.GroupKind) ([]sillage.GroupMember, error) {
	return collect(ctx, tx.txn, `SELECT m.group_id, m.person_id FROM group_members m JOIN groups g ON g.uai = m.uai AND g.id = m.group_id
		WHERE m.uai = $1 AND g.school_year = $2 AND g.kind = $3 ORDER BY m.group_id, m.person_id`, []any{uai, year, kind},
		func(r *sql.Rows) (sillage.GroupMember, error) {
			var m sillage.GroupMember
			return m, r.Scan(&m.GroupID, &m.PersonID)
		})
}

// AddGroupMembers adds memberships (existing ones are kept).
func (tx Imports) AddGroupMembers(ctx context.Context, uai sillage.UAI, ms []sillage.GroupMember) error {
	rows := make([][]any, len(ms))
	for i, m := range ms {
		rows[i] = []any{uai, m.GroupID, m.PersonID}
	}
	return tx.insertRows(ctx, `INSERT INTO group_members (uai, group_id, person_id) VALUES `, ` ON CONFLICT DO NOTHING`, 3, rows)
}

// DeleteGroupMembers removes memberships.
func (tx Imports) DeleteGroupMembers(ctx context.Context, uai sillage.UAI, ms []sillage.GroupMember) error {
	for _, m := range ms {
		if _, err := tx.exec(ctx, `DELETE FROM group_members WHERE uai = $1 AND group_id = $2 AND person_id = $3`, uai, m.GroupID, m.PersonID); err != nil {
			return err
		}
	}
	return nil
}

// UpdateGroupLabel renames a group.
func (tx Imports) UpdateGroupLabel(ctx context.Context, uai sillage.UAI, id int64, label string) error {
	if strings.TrimSpace(label) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le nom du groupe est obligatoire")
	}
	n, err := tx.execN(ctx, `UPDATE groups SET label = $3 WHERE uai = $1 AND id = $2`, uai, id, label)
	return notFoundIfNone(n, err, "groupe")
}

func impIDChunks(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

// ListAllStudents returns every student of an establishment, active or
// not, by id, without the division code (an import matches thousands of
// students at once and knows the divisions).
func (tx Imports) ListAllStudents(ctx context.Context, uai sillage.UAI) ([]sillage.Student, error) {
	return collect(ctx, tx.txn, `SELECT `+personCols+`, unqid, ine_status, previous_uai, previous_name, entered_at, school_entry,
		exit_date, exit_reason, transfer_status, transferred_at, mef, diploma, division_id, ''
		FROM persons WHERE uai = $1 AND role = 'student' ORDER BY id`, []any{uai},
		func(r *sql.Rows) (sillage.Student, error) { return scanStudent(r) })
}

// AllocateLogins returns one free login per base, in order: the base
// itself when no account has it, else the base and the next number
// ("lea.martin2", "lea.martin3"…). The numbers come from a counter per base
// (login_counters), so that the thousandth "marie.martin" costs no more
// than the first; a base seen for the first time is counted from the
// accounts. The counters are moved on in the statement that returns them:
// two transactions allocating from the same base wait for each other
// instead of handing out the same login, and on PostgreSQL they lock the
// counters in the order of the bases (upsertLoginCounters), so that two
// allocations never wait for each other both ways (a deadlock, which
// PostgreSQL ends by aborting one). A login taken outside the counters (an
// administrator's account) is skipped.
func (tx Imports) AllocateLogins(ctx context.Context, bases []string) ([]string, error) {
	return tx.allocateLogins(ctx, bases, nil)
}

// ReserveLogins is AllocateLogins that also returns the counters of the
// bases as they were before it (a base absent: its counter did not exist)
// and as it left them, which RestoreLoginCounters needs to give the
// numbers back. They come from the allocation's own statements: no lock is
// taken on the counters before them, so that the counters are locked in
// the one order AllocateLogins takes them in, and none is read again after.
func (tx Imports) ReserveLogins(ctx context.Context, bases []string) (logins []string, before, after map[string]int64, err error) {
	trace := &loginTrace{before: map[string]int64{}, after: map[string]int64{}}
	if logins, err = tx.allocateLogins(ctx, bases, trace); err != nil {
		return nil, nil, nil, err
	}
	maps.DeleteFunc(trace.before, func(_ string, v int64) bool { return v < 0 })
	return logins, trace.before, trace.after, nil
}

// loginTrace records what an allocation did to the counters: the value
// each had before the allocation first moved it on (-1: created by it),
// and the value the allocation's last statement left.
type loginTrace struct {
	before, after map[string]int64
}

// moved records counters got, moved on by need. A nil trace records
// nothing (AllocateLogins).
func (lt *loginTrace) moved(got []loginCounter, need map[string]int) {
	if lt == nil {
		return
	}
	for _, c := range got {
		if _, ok := lt.before[c.base]; !ok {
			lt.before[c.base] = c.last - int64(need[c.base])
		}
		lt.after[c.base] = c.last
	}
}

// created records a counter the allocation created, at last.
func (lt *loginTrace) created(base string, last int64) {
	if lt == nil {
		return
	}
	lt.before[base], lt.after[base] = -1, last
}

// allocateLogins is AllocateLogins; trace, when not nil, records what it
// did to the counters.
func (tx Imports) allocateLogins(ctx context.Context, bases []string, trace *loginTrace) ([]string, error) {
	need := map[string]int{}
	var order []string
	for i, b := range bases {
		b = sillage.NormalizeLogin(b)
		bases[i] = b
		if need[b] == 0 {
			order = append(order, b)
		}
		need[b]++
	}
	given := map[string][]string{} // base → logins, in order
	for len(need) > 0 {
		got, err := tx.reserveLogins(ctx, order, need, trace)
		if err != nil {
			return nil, err
		}
		// Skip the logins already taken by accounts the counters did not
		// see; reserve again for them.
		var all []string
		for _, l := range got {
			all = append(all, l...)
		}
		taken := map[string]bool{}
		for _, chunk := range impChunks(all, 500) {
			chunk = impPad(chunk)
			ls, err := collect(ctx, tx.txn, `SELECT login FROM accounts WHERE login IN (`+impPlaceholders(1, len(chunk))+`)`, impArgs(chunk),
				func(r *sql.Rows) (string, error) {
					var s string
					return s, r.Scan(&s)
				})
			if err != nil {
				return nil, err
			}
			for _, l := range ls {
				taken[l] = true
			}
		}
		next := map[string]int{}
		var nextOrder []string
		for _, b := range order {
			for _, l := range got[b] {
				if taken[l] {
					if next[b] == 0 {
						nextOrder = append(nextOrder, b)
					}
					next[b]++
					continue
				}
				given[b] = append(given[b], l)
			}
		}
		need, order = next, nextOrder
	}
	out := make([]string, len(bases))
	for i, b := range bases {
		out[i], given[b] = given[b][0], given[b][1:]
	}
	return out, nil
}

// reserveLogins takes need[b] numbers from the counter of each base and
// returns the logins they make. The counters that exist are moved on
// first, in one statement per 500 bases; the bases it did not find get
// a counter. An import's bases are mostly known once an instance has a
// few establishments (common names): one statement for them, not a read of
// the counters and then their update (issue 18). SQLite has one writer;
// PostgreSQL takes the counters in one ordered pass (upsertLoginCounters).
func (tx *Tx) reserveLogins(ctx context.Context, order []string, need map[string]int, trace *loginTrace) (map[string][]string, error) {
	if tx.s.dsn.Kind == Postgres {
		return tx.upsertLoginCounters(ctx, order, need, trace)
	}
	out := map[string][]string{}
	for _, chunk := range impChunks(order, 500) {
		got, err := tx.bumpLoginCounters(ctx, chunk, need)
		if err != nil {
			return nil, err
		}
		trace.moved(got, need)
		fresh := takeCounters(out, got, chunk, need)
		if len(fresh) == 0 {
			continue
		}
		// First time: count the accounts already there.
		last, err := tx.accountsPast(ctx, fresh)
		if err != nil {
			return nil, err
		}
		// A new counter starts past what it hands out now: no second
		// statement for it. One another transaction created since the
		// update above is not returned (the insert waits for that
		// transaction's commit) and is moved on below.
		var ins strings.Builder
		ins.WriteString(`INSERT INTO login_counters (base, last) VALUES `)
		args := make([]any, 0, 2*len(fresh))
		for i, b := range fresh {
			if i > 0 {
				ins.WriteString(", ")
			}
			args = append(args, b, last[b]+int64(need[b]))
			ins.WriteString(`($` + itoa(len(args)-1) + `, CAST($` + itoa(len(args)) + ` AS BIGINT))`)
		}
		ins.WriteString(` ON CONFLICT (base) DO NOTHING RETURNING base, last`)
		created, err := collect(ctx, tx, ins.String(), args, scanLoginCounter)
		if err != nil {
			return nil, err
		}
		for _, c := range created {
			trace.created(c.base, c.last)
		}
		rest := takeCounters(out, created, fresh, need)
		if len(rest) == 0 {
			continue
		}
		if got, err = tx.bumpLoginCounters(ctx, rest, need); err != nil {
			return nil, err
		}
		trace.moved(got, need)
		if rest = takeCounters(out, got, rest, need); len(rest) > 0 {
			return nil, fmt.Errorf("login counters of %d bases neither found nor created", len(rest))
		}
	}
	return out, nil
}

// upsertLoginCounters is reserveLogins on PostgreSQL, where several
// transactions allocate at once (two imports of different establishments,
// an import beside an AAF run): every counter, known or new, is moved on
// or created in one pass in the order of the bases, so that all
// transactions lock the counters in one global order and wait for each
// other instead of deadlocking. The bases are sorted, the chunks of 500
// taken in that order, and each chunk's statement inserts its rows sorted
// (an INSERT … ON CONFLICT DO UPDATE locks or creates each row as it comes
// to it; an UPDATE … FROM locks them in the order of its plan's join). A
// counter the statement created starts from zero: the accounts of its
// base, counted now, move it on if there are any (rarely: an account made
// before the counters, an administrator's), on a row only this
// transaction sees.
func (tx *Tx) upsertLoginCounters(ctx context.Context, order []string, need map[string]int, trace *loginTrace) (map[string][]string, error) {
	out := map[string][]string{}
	sorted := slices.Clone(order)
	slices.Sort(sorted)
	for _, chunk := range impChunks(sorted, 500) {
		var q strings.Builder
		args := loginValues(&q, impPad(chunk), need)
		// The padding's repeats go (a row may not be updated twice);
		// COLLATE "C" sorts as Go does, which cut the chunks.
		q.WriteString(`) INSERT INTO login_counters (base, last) SELECT base, n FROM (SELECT DISTINCT base, n FROM v) d ORDER BY base COLLATE "C"
			ON CONFLICT (base) DO UPDATE SET last = login_counters.last + excluded.last
			RETURNING login_counters.base, login_counters.last, login_counters.xmax = 0`)
		type row struct {
			c       loginCounter
			created bool
		}
		rows, err := collect(ctx, tx, q.String(), args, func(r *sql.Rows) (row, error) {
			var x row
			return x, r.Scan(&x.c.base, &x.c.last, &x.created)
		})
		if err != nil {
			return nil, err
		}
		var fresh []string
		last := map[string]int64{}
		for _, x := range rows {
			last[x.c.base] = x.c.last
			if x.created {
				fresh = append(fresh, x.c.base)
				trace.created(x.c.base, x.c.last)
			} else {
				trace.moved([]loginCounter{x.c}, need)
			}
		}
		if len(last) != len(chunk) {
			return nil, fmt.Errorf("login counters: %d of %d bases neither moved on nor created", len(chunk)-len(last), len(chunk))
		}
		if len(fresh) > 0 {
			// First time: count the accounts already there.
			taken, err := tx.accountsPast(ctx, fresh)
			if err != nil {
				return nil, err
			}
			if len(taken) > 0 {
				skip := make(map[string]int, len(taken))
				var bases []string
				for _, b := range fresh {
					if taken[b] > 0 {
						skip[b] = int(taken[b])
						bases = append(bases, b)
						last[b] += taken[b]
						trace.created(b, last[b])
					}
				}
				if _, err := tx.bumpLoginCounters(ctx, bases, skip); err != nil {
					return nil, err
				}
			}
		}
		for _, b := range chunk {
			out[b] = numberedLogins(b, last[b], need[b])
		}
	}
	return out, nil
}

// accountsPast returns, for each base of bases that accounts already use
// ("lea.martin", "lea.martin7"), the highest number they took (1 for the
// base alone): a new counter starts past it.
func (tx *Tx) accountsPast(ctx context.Context, bases []string) (map[string]int64, error) {
	logins, err := tx.Imports().FindLogins(ctx, bases)
	if err != nil {
		return nil, err
	}
	last := map[string]int64{}
	for _, l := range logins {
		for _, b := range bases {
			if !numberedLogin(l, b) {
				continue
			}
			n := int64(1)
			if len(l) > len(b) {
				v, err := strconv.ParseInt(l[len(b):], 10, 64)
				if err != nil {
					continue
				}
				n = v
			}
			last[b] = max(last[b], n)
		}
	}
	return last, nil
}

// bumpLoginCounters adds need[b] to the counter of each of bases (at most
// 500) that has one, in one statement, and returns the counters moved.
func (tx *Tx) bumpLoginCounters(ctx context.Context, bases []string, need map[string]int) ([]loginCounter, error) {
	// A join on the numbers to take, not a CASE: a CASE of 500 bases
	// is tried in order for each of the 500 counters. The padding's
	// repeats join the same counter with the same number: both
	// engines update a row once, whatever rows of FROM it matches.
	var q strings.Builder
	args := loginValues(&q, impPad(bases), need)
	q.WriteString(`) UPDATE login_counters SET last = login_counters.last + v.n FROM v WHERE login_counters.base = v.base
		RETURNING login_counters.base, login_counters.last`)
	return collect(ctx, tx, q.String(), args, scanLoginCounter)
}

// loginValues writes into q the start of a statement on the counters of
// bases, `WITH v (base, n) AS (VALUES …)` with need[b] as n, and returns
// its arguments.
func loginValues(q *strings.Builder, bases []string, need map[string]int) []any {
	q.WriteString(`WITH v (base, n) AS (VALUES `)
	args := make([]any, 0, 2*len(bases))
	for _, b := range bases {
		if len(args) > 0 {
			q.WriteString(", ")
		}
		args = append(args, b, need[b])
		q.WriteString(`($` + itoa(len(args)-1) + `, CAST($` + itoa(len(args)) + ` AS BIGINT))`)
	}
	return args
}

// takeCounters adds the logins of the counters got to out and returns the
// bases of bases (each once) that got none.
func takeCounters(out map[string][]string, got []loginCounter, bases []string, need map[string]int) []string {
	for _, c := range got {
		out[c.base] = append(out[c.base], numberedLogins(c.base, c.last, need[c.base])...)
	}
	var rest []string
	for _, b := range bases {
		if _, ok := out[b]; !ok {
			rest = append(rest, b)
		}
	}
	return rest
}

func scanLoginCounter(r *sql.Rows) (loginCounter, error) {
	var c loginCounter
	return c, r.Scan(&c.base, &c.last)
}

type loginCounter struct {
	base string
	last int64
}

// numberedLogins returns the n logins of base ending at number last: the
// first is the bare base, the next ones base2, base3…
func numberedLogins(base string, last int64, n int) []string {
	out := make([]string, 0, n)
	for v := last - int64(n) + 1; v <= last; v++ {
		if v <= 1 {
			out = append(out, base)
		} else {
			out = append(out, base+strconv.FormatInt(v, 10))
		}
	}
	return out
}

// copyMinRows is the rows from which an import's insert goes through COPY
// on PostgreSQL: under it, the multi-row INSERT's one round trip costs
// less than COPY's set-up.
const copyMinRows = 64

// bulkInsert adds rows (values in the order of cols) to table, which the
// import plans fully beforehand (no conflict expected): COPY on the
// transaction's connection on PostgreSQL (no statement to parse, no
// parameters to bind: the rows stream in the binary format), multi-row
// INSERTs otherwise. The rows are the transaction's, like any insert.
func (tx *Tx) bulkInsert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if tx.s.dsn.Kind != Postgres || len(rows) < copyMinRows {
		return tx.insertRows(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ", "", len(cols), rows)
	}
	tx.issued++
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(rows) {
			return nil, nil
		}
		r := rows[i]
		i++
		for k, v := range r {
			r[k] = copyArg(v)
		}
		return r, nil
	})
	return tx.copyFrom(ctx, table, cols, src)
}

// copyArg is convertArg for COPY's binary format: a date goes as a time.
func copyArg(a any) any {
	if d, ok := a.(sillage.Date); ok {
		if d.IsZero() {
			return nil
		}
		return d.Time()
	}
	return convertArg(a, false)
}

// InsertDivisions adds divisions in a few statements and sets their IDs,
// as CreateDivision does for one (an import creates an establishment's
// divisions at once: one round trip each was most of a first import's
// wait on PostgreSQL).
func (tx Imports) InsertDivisions(ctx context.Context, uai sillage.UAI, ds []*sillage.Division) error {
	if len(ds) == 0 {
		return nil
	}
	ids, err := tx.NewIDs(ctx, len(ds))
	if err != nil {
		return err
	}
	rows := make([][]any, len(ds))
	for i, d := range ds {
		if strings.TrimSpace(d.Code) == "" {
			return sillage.Errorf(sillage.KindInvalid, "le code de la division est obligatoire")
		}
		d.UAI, d.ID = uai, ids[i]
		rows[i] = []any{uai, d.ID, d.SchoolYear, d.Code, d.Label, strings.Join(d.MEFs, ","), d.FromSTS}
	}
	err = tx.insertRows(ctx, `INSERT INTO divisions (uai, id, school_year, code, label, mefs, from_sts) VALUES `, "", 7, rows)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "une des divisions créées existe déjà pour l'année")
	}
	return err
}

// ReplaceServices replaces the services of the teachers given by services
// (every service of each of teachers is deleted, then services are
// added), in a few statements whatever the number of teachers.
func (tx Imports) ReplaceServices(ctx context.Context, uai sillage.UAI, teachers []int64, services []sillage.Service) error {
	for _, chunk := range impIDChunks(teachers, 500) {
		chunk = impPad(chunk)
		q, args := inIDs(`DELETE FROM services WHERE uai = $1`, []any{uai}, "teacher_id", chunk)
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return err
		}
	}
	if len(services) == 0 {
		return nil
	}
	ids, err := tx.NewIDs(ctx, len(services))
	if err != nil {
		return err
	}
	rows := make([][]any, len(services))
	for i, s := range services {
		rows[i] = []any{uai, ids[i], s.TeacherID, idOrNull(s.DivisionID), idOrNull(s.GroupID), s.SubjectCode, s.Modality}
	}
	return tx.insertRows(ctx, `INSERT INTO services (uai, id, teacher_id, division_id, group_id, subject_code, modality) VALUES `, "", 7, rows)
}

// ListAllHeadTeachers returns the head teachers of every division of an
// establishment, by division, each list sorted.
func (tx Imports) ListAllHeadTeachers(ctx context.Context, uai sillage.UAI) (map[int64][]int64, error) {
	type pair struct{ div, teacher int64 }
	ps, err := collect(ctx, tx.txn, `SELECT division_id, teacher_id FROM head_teachers WHERE uai = $1 ORDER BY division_id, teacher_id`,
		[]any{uai}, func(r *sql.Rows) (pair, error) {
			var p pair
			return p, r.Scan(&p.div, &p.teacher)
		})
	if err != nil {
		return nil, err
	}
	out := map[int64][]int64{}
	for _, p := range ps {
		out[p.div] = append(out[p.div], p.teacher)
	}
	return out, nil
}
