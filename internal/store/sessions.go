package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sillage/sillage"
)

// CreateSession stores a new session.
func (tx Accounts) CreateSession(ctx context.Context, s sillage.Session) error {
	_, err := tx.exec(ctx, `INSERT INTO sessions (token_hash, account_id, uai, person_id, created_at, last_seen_at, expires_at, sso_provider)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, s.TokenHash, s.AccountID, s.UAI, s.PersonID, s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.SSOProvider)
	return err
}

// GetSession returns the session whose token hashes to tokenHash, if it has
// not expired at now.
func (tx Accounts) GetSession(ctx context.Context, tokenHash string, now time.Time) (sillage.Session, error) {
	var s sillage.Session
	var u string
	err := tx.queryRow(ctx, `SELECT token_hash, account_id, uai, person_id, created_at, last_seen_at, expires_at, flash, sso_provider FROM sessions
		WHERE token_hash = $1 AND expires_at > $2`, tokenHash, now).Scan(&s.TokenHash, &s.AccountID, &u, &s.PersonID,
		ts{&s.CreatedAt}, ts{&s.LastSeenAt}, ts{&s.ExpiresAt}, &s.Flash, &s.SSOProvider)
	s.UAI = sillage.UAI(u)
	if err == sql.ErrNoRows {
		return s, sillage.Errorf(sillage.KindNotFound, "session expirée")
	}
	return s, mapErr(err)
}

// TouchSession records activity and pushes the expiry back.
func (tx Accounts) TouchSession(ctx context.Context, tokenHash string, now, expires time.Time) error {
	_, err := tx.exec(ctx, `UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1`, tokenHash, now, expires)
	return err
}

// SelectSessionEstablishment records the establishment chosen in a session.
func (tx Accounts) SelectSessionEstablishment(ctx context.Context, tokenHash string, uai sillage.UAI, personID int64) error {
	_, err := tx.exec(ctx, `UPDATE sessions SET uai = $2, person_id = $3 WHERE token_hash = $1`, tokenHash, uai, personID)
	return err
}

// SetFlash stores the message the next page shows ("" clears it).
func (tx Accounts) SetFlash(ctx context.Context, tokenHash, msg string) error {
	_, err := tx.exec(ctx, `UPDATE sessions SET flash = $2 WHERE token_hash = $1`, tokenHash, msg)
	return err
}

// DeleteSession signs one browser out.
func (tx Accounts) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := tx.exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return err
}

// DeleteAccountSessions signs an account out everywhere; it returns how
// many sessions ended.
func (tx Accounts) DeleteAccountSessions(ctx context.Context, accountID int64) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM sessions WHERE account_id = $1`, accountID)
	return int(n), err
}

// DeleteOtherAccountSessions ends an account's sessions but one (the one
// that changed the password); it returns how many ended.
func (tx Accounts) DeleteOtherAccountSessions(ctx context.Context, accountID int64, keepTokenHash string) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2`, accountID, keepTokenHash)
	return int(n), err
}

// DeleteExpiredSessions removes sessions expired at now.
func (tx Accounts) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	return int(n), err
}

// CreateAPIToken stores a token's hash and sets its ID.
func (tx Accounts) CreateAPIToken(ctx context.Context, uai sillage.UAI, t *sillage.APIToken) error {
	if t.Scope != sillage.ScopeRead && t.Scope != sillage.ScopeReadWrite {
		t.Scope = sillage.ScopeRead
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	t.UAI, t.ID, t.CreatedAt = uai, id, tx.now
	var expires any
	if !t.ExpiresAt.IsZero() {
		expires = t.ExpiresAt.UTC()
	}
	_, err = tx.exec(ctx, `INSERT INTO api_tokens (uai, id, token_hash, label, person_id, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		uai, t.ID, t.TokenHash, t.Label, t.PersonID, string(t.Scope), t.CreatedAt, expires)
	return err
}

const apiTokenCols = `uai, id, token_hash, label, person_id, scope, created_at, expires_at, last_used_at, revoked_at, revoked_reason`

func scanAPIToken(r scanner) (sillage.APIToken, error) {
	var t sillage.APIToken
	var u, scope string
	err := r.Scan(&u, &t.ID, &t.TokenHash, &t.Label, &t.PersonID, &scope, ts{&t.CreatedAt}, ts{&t.ExpiresAt}, ts{&t.LastUsedAt}, ts{&t.RevokedAt}, &t.RevokedReason)
	t.UAI, t.Scope = sillage.UAI(u), sillage.TokenScope(scope)
	return t, err
}

// FindAPIToken returns the unrevoked token with this hash, in any
// establishment: the token itself says which establishment it belongs to.
// The caller checks its expiry (which depends on the configuration).
func (tx Accounts) FindAPIToken(ctx context.Context, tokenHash string) (sillage.APIToken, error) {
	t, err := scanAPIToken(tx.queryRow(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, tokenHash))
	if err == sql.ErrNoRows {
		return t, sillage.Errorf(sillage.KindNotFound, "jeton inconnu ou révoqué")
	}
	return t, mapErr(err)
}

// ListAPITokens returns an establishment's tokens, newest first.
func (tx Accounts) ListAPITokens(ctx context.Context, uai sillage.UAI) ([]sillage.APIToken, error) {
	return collect(ctx, tx.txn, `SELECT `+apiTokenCols+` FROM api_tokens WHERE uai = $1 ORDER BY created_at DESC, id DESC`, []any{uai},
		func(r *sql.Rows) (sillage.APIToken, error) { return scanAPIToken(r) })
}

// RevokeAPIToken revokes a token; reason says why ("" by hand).
func (tx Accounts) RevokeAPIToken(ctx context.Context, uai sillage.UAI, id int64, reason string) error {
	n, err := tx.execN(ctx, `UPDATE api_tokens SET revoked_at = $3, revoked_reason = $4 WHERE uai = $1 AND id = $2 AND revoked_at IS NULL`, uai, id, tx.now, reason)
	return notFoundIfNone(n, err, "jeton")
}

// RevokePersonAPITokens revokes the live tokens a person issued in an
// establishment (role change, deletion); it returns how many.
func (tx Accounts) RevokePersonAPITokens(ctx context.Context, uai sillage.UAI, personID int64, reason string) (int, error) {
	n, err := tx.execN(ctx, `UPDATE api_tokens SET revoked_at = $3, revoked_reason = $4 WHERE uai = $1 AND person_id = $2 AND revoked_at IS NULL`,
		uai, personID, tx.now, reason)
	return int(n), err
}

// RevokeAccountAPITokens revokes the live tokens of every person of an
// account, in every establishment (password change or reset, sign-out
// everywhere): like its sessions, the account's tokens end with its
// security events. It returns the establishment of each token revoked.
func (tx Accounts) RevokeAccountAPITokens(ctx context.Context, accountID int64, reason string) ([]sillage.UAI, error) {
	return collect(ctx, tx.txn, `UPDATE api_tokens SET revoked_at = $2, revoked_reason = $3
		WHERE revoked_at IS NULL AND EXISTS (SELECT 1 FROM persons p WHERE p.uai = api_tokens.uai AND p.id = api_tokens.person_id AND p.account_id = $1)
		RETURNING uai`, []any{accountID, tx.now, reason},
		func(r *sql.Rows) (sillage.UAI, error) {
			var u string
			err := r.Scan(&u)
			return sillage.UAI(u), err
		})
}

// TouchAPIToken records a token's use.
func (tx Accounts) TouchAPIToken(ctx context.Context, uai sillage.UAI, id int64) error {
	_, err := tx.exec(ctx, `UPDATE api_tokens SET last_used_at = $3 WHERE uai = $1 AND id = $2`, uai, id, tx.now)
	return err
}

// SendMessage delivers a message to a person's box and sets its ID.
func (tx Accounts) SendMessage(ctx context.Context, uai sillage.UAI, m *sillage.InboxMessage) error {
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	m.UAI, m.ID = uai, id
	if m.CreatedAt.IsZero() {
		m.CreatedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO messages (uai, id, recipient_id, sender, subject, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		uai, m.ID, m.RecipientID, m.Sender, m.Subject, m.Body, m.CreatedAt)
	if sillage.KindOf(err) == sillage.KindConflict {
		return sillage.Errorf(sillage.KindInvalid, "destinataire introuvable")
	}
	return err
}

const messageCols = `uai, id, recipient_id, sender, subject, body, created_at, read_at`

func scanMessage(r scanner) (sillage.InboxMessage, error) {
	var m sillage.InboxMessage
	var u string
	err := r.Scan(&u, &m.ID, &m.RecipientID, &m.Sender, &m.Subject, &m.Body, ts{&m.CreatedAt}, ts{&m.ReadAt})
	m.UAI = sillage.UAI(u)
	return m, err
}

// ListMessages returns a person's messages, newest first.
func (tx Accounts) ListMessages(ctx context.Context, uai sillage.UAI, recipientID int64) ([]sillage.InboxMessage, error) {
	return collect(ctx, tx.txn, `SELECT `+messageCols+` FROM messages WHERE uai = $1 AND recipient_id = $2 ORDER BY created_at DESC, id DESC`,
		[]any{uai, recipientID}, func(r *sql.Rows) (sillage.InboxMessage, error) { return scanMessage(r) })
}

// GetMessage returns one message of a recipient.
func (tx Accounts) GetMessage(ctx context.Context, uai sillage.UAI, recipientID, id int64) (sillage.InboxMessage, error) {
	m, err := scanMessage(tx.queryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE uai = $1 AND recipient_id = $2 AND id = $3`, uai, recipientID, id))
	if err == sql.ErrNoRows {
		return m, sillage.Errorf(sillage.KindNotFound, "message introuvable")
	}
	return m, mapErr(err)
}

// SetMessageRead marks a message read.
func (tx Accounts) SetMessageRead(ctx context.Context, uai sillage.UAI, recipientID, id int64) error {
	n, err := tx.execN(ctx, `UPDATE messages SET read_at = $4 WHERE uai = $1 AND recipient_id = $2 AND id = $3 AND read_at IS NULL`, uai, recipientID, id, tx.now)
	if err == nil && n == 0 {
		_, err = tx.GetMessage(ctx, uai, recipientID, id)
	}
	return err
}

// CountUnreadMessages counts a person's unread messages.
func (tx Accounts) CountUnreadMessages(ctx context.Context, uai sillage.UAI, recipientID int64) (int, error) {
	return tx.count(ctx, `SELECT COUNT(*) FROM messages WHERE uai = $1 AND recipient_id = $2 AND read_at IS NULL`, uai, recipientID)
}
