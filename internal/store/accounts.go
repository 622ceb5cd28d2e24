package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sillage/sillage"
)

// Accounts are instance-wide (see sillage.Account): sign-in happens before
// an establishment is chosen. Reading an account never reveals any
// establishment's data; the persons linked to it are read per establishment.

const accountCols = `id, login, password_hash, must_change_password, operator, privacy_version, privacy_acked_at,
	created_at, password_changed_at, last_sign_in_at, closed_at, closed_reason, closed_to`

// scanAccount scans accountCols, then the extra columns that follow.
func scanAccount(r scanner, extra ...any) (sillage.Account, error) {
	var a sillage.Account
	var to string
	err := r.Scan(append([]any{&a.ID, &a.Login, &a.PasswordHash, &a.MustChangePassword, &a.Operator, &a.PrivacyVersion, ts{&a.PrivacyAckedAt},
		ts{&a.CreatedAt}, ts{&a.PasswordChangedAt}, ts{&a.LastSignInAt}, ts{&a.ClosedAt}, &a.ClosedReason, &to}, extra...)...)
	a.ClosedTo = sillage.UAI(to)
	return a, err
}

// CreateAccount adds an account and sets its ID.
func (tx Accounts) CreateAccount(ctx context.Context, a *sillage.Account) error {
	a.Login = sillage.NormalizeLogin(a.Login)
	if a.Login == "" {
		return sillage.Errorf(sillage.KindInvalid, "l'identifiant est obligatoire")
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	a.ID = id
	if a.CreatedAt.IsZero() {
		a.CreatedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO accounts (id, login, password_hash, must_change_password, operator, privacy_version,
		privacy_acked_at, created_at, password_changed_at, last_sign_in_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.ID, a.Login, a.PasswordHash, a.MustChangePassword, a.Operator, a.PrivacyVersion, a.PrivacyAckedAt, a.CreatedAt,
		a.PasswordChangedAt, a.LastSignInAt)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindConflict, "l'identifiant %q est déjà pris", a.Login)
	}
	return err
}

// LoginTaken reports whether a login is used.
func (tx Accounts) LoginTaken(ctx context.Context, login string) (bool, error) {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM accounts WHERE login = $1`, sillage.NormalizeLogin(login))
	return n > 0, err
}

// GetAccount returns an account.
func (tx Accounts) GetAccount(ctx context.Context, id int64) (sillage.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return a, sillage.Errorf(sillage.KindNotFound, "compte introuvable")
	}
	return a, mapErr(err)
}

// GetAccountByLogin returns the account with this login.
func (tx Accounts) GetAccountByLogin(ctx context.Context, login string) (sillage.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE login = $1`, sillage.NormalizeLogin(login)))
	if err == sql.ErrNoRows {
		return a, sillage.Errorf(sillage.KindNotFound, "compte introuvable")
	}
	return a, mapErr(err)
}

// SetPassword stores a new password hash; oneTime forces a change at next sign-in.
func (tx Accounts) SetPassword(ctx context.Context, accountID int64, hash string, oneTime bool) error {
	n, err := tx.execN(ctx, `UPDATE accounts SET password_hash = $2, must_change_password = $3, password_changed_at = $4 WHERE id = $1`,
		accountID, hash, oneTime, tx.now)
	return notFoundIfNone(n, err, "compte")
}

// AcknowledgePrivacy records that the account read version v of the notice.
func (tx Accounts) AcknowledgePrivacy(ctx context.Context, accountID int64, v int) error {
	n, err := tx.execN(ctx, `UPDATE accounts SET privacy_version = $2, privacy_acked_at = $3 WHERE id = $1`, accountID, v, tx.now)
	return notFoundIfNone(n, err, "compte")
}

// RecordSignIn stamps the last sign-in of the account and of the person.
func (tx Accounts) RecordSignIn(ctx context.Context, accountID int64, uai sillage.UAI, personID int64) error {
	if _, err := tx.exec(ctx, `UPDATE accounts SET last_sign_in_at = $2 WHERE id = $1`, accountID, tx.now); err != nil {
		return err
	}
	if personID == 0 {
		return nil
	}
	_, err := tx.exec(ctx, `UPDATE persons SET last_sign_in_at = $3 WHERE uai = $1 AND id = $2`, uai, personID, tx.now)
	return err
}

// LinkAccount attaches an account to a person.
func (tx Accounts) LinkAccount(ctx context.Context, uai sillage.UAI, personID, accountID int64) error {
	n, err := tx.execN(ctx, `UPDATE persons SET account_id = $3 WHERE uai = $1 AND id = $2`, uai, personID, accountID)
	return notFoundIfNone(n, err, "personne")
}

// AccountMemberships lists the persons an account is linked to, across
// establishments: what the sign-in offers to choose from.
func (tx Accounts) AccountMemberships(ctx context.Context, accountID int64) ([]sillage.AccountMembership, error) {
	return collect(ctx, tx.txn, `SELECT e.name, `+prefixed("p.", personCols)+` FROM persons p JOIN establishments e ON e.uai = p.uai
		WHERE p.account_id = $1 ORDER BY e.name, p.uai`, []any{accountID}, func(r *sql.Rows) (sillage.AccountMembership, error) {
		var m sillage.AccountMembership
		var uai, role, source string
		dest := append([]any{&m.Name}, personDest(&m.Person, &uai, &role, &source)...)
		err := r.Scan(dest...)
		m.Person.UAI, m.Person.Role, m.Person.Source = sillage.UAI(uai), sillage.Role(role), sillage.Source(source)
		m.UAI, m.PersonID, m.Role, m.Active = m.Person.UAI, m.Person.ID, m.Person.Role, m.Person.Active()
		return m, err
	})
}

// CloseAccount marks an account closed (its person was deleted) and ends
// its sessions: it can no longer sign in, and sign-in says why (after the
// password is checked, so the reason is told only to its owner).
func (tx Accounts) CloseAccount(ctx context.Context, id int64, reason string) error {
	if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE account_id = $1`, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `UPDATE accounts SET closed_at = $2, closed_reason = $3 WHERE id = $1`, id, tx.now, reason)
	return notFoundIfNone(n, err, "compte")
}

// DeleteAccount deletes an account (persons keep their rows, unlinked:
// explicitly, persons.account_id has no foreign key on PostgreSQL since
// migration 0036).
func (tx Accounts) DeleteAccount(ctx context.Context, id int64) error {
	if _, err := tx.exec(ctx, `UPDATE persons SET account_id = NULL WHERE account_id = $1`, id); err != nil {
		return err
	}
	n, err := tx.execN(ctx, `DELETE FROM accounts WHERE id = $1`, id)
	return notFoundIfNone(n, err, "compte")
}

// ListOperators returns the operator accounts.
func (tx Accounts) ListOperators(ctx context.Context) ([]sillage.Account, error) {
	return collect(ctx, tx.txn, `SELECT `+accountCols+` FROM accounts WHERE operator ORDER BY login`, nil,
		func(r *sql.Rows) (sillage.Account, error) { return scanAccount(r) })
}

// AccountUsedElsewhere reports whether an account also signs a person of
// another establishment in: one establishment must not set its password.
func (tx CrossTenant) AccountUsedElsewhere(ctx context.Context, accountID int64, uai sillage.UAI) (bool, error) {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM persons WHERE account_id = $1 AND uai <> $2`, accountID, uai)
	return n > 0, err
}

// accountColsOf is accountCols of the accounts table aliased "a".
var accountColsOf = func() string {
	cols := strings.Split(accountCols, ",")
	for i, c := range cols {
		cols[i] = "a." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// ListRoleAccounts returns the accounts of an establishment's persons of
// one role, keyed by person id, in one query (the people lists show every
// person's account state and last sign-in).
func (tx Accounts) ListRoleAccounts(ctx context.Context, uai sillage.UAI, role sillage.Role) (map[int64]sillage.Account, error) {
	type pair struct {
		person  int64
		account sillage.Account
	}
	pairs, err := collect(ctx, tx.txn, `SELECT `+accountColsOf+`, p.id FROM persons p JOIN accounts a ON a.id = p.account_id
		WHERE p.uai = $1 AND p.role = $2`, []any{uai, role},
		func(r *sql.Rows) (pair, error) {
			var pid int64
			a, err := scanAccount(r, &pid)
			return pair{pid, a}, err
		})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]sillage.Account, len(pairs))
	for _, p := range pairs {
		out[p.person] = p.account
	}
	return out, nil
}
