package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sillage/sillage"
)

// Single sign-on (docs/sso.md): which providers each establishment uses,
// the identities linked to persons, the sign-ins under way and the
// tickets and assertions already used. The providers are enabled per
// establishment and the links are tenant rows (UAI first); the pending
// sign-ins and the used tickets belong to the instance, as sessions do.

// ListSSOProviders returns the providers enabled for the establishment, by id.
func (tx Accounts) ListSSOProviders(ctx context.Context, uai sillage.UAI) ([]string, error) {
	return collect(ctx, tx.txn, `SELECT provider FROM sso_enabled WHERE uai = $1 ORDER BY provider`, []any{uai},
		func(r *sql.Rows) (string, error) {
			var p string
			return p, r.Scan(&p)
		})
}

// SetSSOProviders enables exactly these providers for the establishment
// (an empty list disables single sign-on there). Providers kept keep their
// date.
func (tx Accounts) SetSSOProviders(ctx context.Context, uai sillage.UAI, providers []string) error {
	q, args := `DELETE FROM sso_enabled WHERE uai = $1`, []any{uai}
	if len(providers) > 0 {
		q += ` AND provider NOT IN (`
		for i, p := range providers {
			if i > 0 {
				q += ","
			}
			args = append(args, p)
			q += "$" + itoa(len(args))
		}
		q += `)`
	}
	if _, err := tx.exec(ctx, q, args...); err != nil {
		return err
	}
	for _, p := range providers {
		if _, err := tx.exec(ctx, `INSERT INTO sso_enabled (uai, provider, enabled_at) VALUES ($1, $2, $3)
			ON CONFLICT (uai, provider) DO NOTHING`, uai, p, tx.now); err != nil {
			return err
		}
	}
	return nil
}

// FindSSOLinkedPerson returns the person an identity is linked to.
func (tx Accounts) FindSSOLinkedPerson(ctx context.Context, uai sillage.UAI, provider, subject string) (sillage.Person, error) {
	p, err := scanPerson(tx.queryRow(ctx, `SELECT `+prefixed("p.", personCols)+` FROM sso_links l
		JOIN persons p ON p.uai = l.uai AND p.id = l.person_id
		WHERE l.uai = $1 AND l.provider = $2 AND l.subject = $3`, uai, provider, subject))
	if err == sql.ErrNoRows {
		return p, sillage.Errorf(sillage.KindNotFound, "identité non liée")
	}
	return p, mapErr(err)
}

// LinkSSO links an identity (l's provider and subject) to l's person, or
// moves it to that person, and records its use now.
func (tx Accounts) LinkSSO(ctx context.Context, uai sillage.UAI, l sillage.SSOLink) error {
	_, err := tx.exec(ctx, `INSERT INTO sso_links (uai, provider, subject, person_id, created_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (uai, provider, subject) DO UPDATE SET person_id = excluded.person_id, last_used_at = excluded.last_used_at`,
		uai, l.Provider, l.Subject, l.PersonID, tx.now)
	return mapErr(err)
}

// TouchSSOLink records that a linked identity was used now.
func (tx Accounts) TouchSSOLink(ctx context.Context, uai sillage.UAI, provider, subject string) error {
	_, err := tx.exec(ctx, `UPDATE sso_links SET last_used_at = $4 WHERE uai = $1 AND provider = $2 AND subject = $3`,
		uai, provider, subject, tx.now)
	return err
}

// ListSSOLinks returns the identities linked to a person.
func (tx Accounts) ListSSOLinks(ctx context.Context, uai sillage.UAI, personID int64) ([]sillage.SSOLink, error) {
	return collect(ctx, tx.txn, `SELECT uai, provider, subject, person_id, created_at, last_used_at FROM sso_links
		WHERE uai = $1 AND person_id = $2 ORDER BY provider, subject`, []any{uai, personID},
		func(r *sql.Rows) (sillage.SSOLink, error) {
			var l sillage.SSOLink
			var u string
			err := r.Scan(&u, &l.Provider, &l.Subject, &l.PersonID, ts{&l.CreatedAt}, ts{&l.LastUsedAt})
			l.UAI = sillage.UAI(u)
			return l, err
		})
}

// UnlinkSSO removes a person's identities of a provider ("" for all of
// them) and returns how many were removed.
func (tx Accounts) UnlinkSSO(ctx context.Context, uai sillage.UAI, personID int64, provider string) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM sso_links WHERE uai = $1 AND person_id = $2 AND ($3 = '' OR provider = $3)`,
		uai, personID, provider)
	return int(n), err
}

// FindPersonsByAAFID returns the persons of the establishment whose AAF join
// id (ENTPersonJointure) is aafID: at most one by the unique index, a
// slice so that the caller states the rule.
func (tx Accounts) FindPersonsByAAFID(ctx context.Context, uai sillage.UAI, aafID string) ([]sillage.Person, error) {
	return collect(ctx, tx.txn, `SELECT `+personCols+` FROM persons WHERE uai = $1 AND aaf_id = $2 AND aaf_id <> '' ORDER BY id`,
		[]any{uai, aafID}, func(r *sql.Rows) (sillage.Person, error) { return scanPerson(r) })
}

// FindStudentsByUnqids returns the students of the establishment having one
// of these unqid versions (each student once).
func (tx Accounts) FindStudentsByUnqids(ctx context.Context, uai sillage.UAI, unqids []string) ([]sillage.Person, error) {
	if len(unqids) == 0 {
		return nil, nil
	}
	q, args := `SELECT `+personCols+` FROM persons WHERE uai = $1 AND role = 'student' AND id IN (
		SELECT person_id FROM person_unqids WHERE uai = $1 AND unqid IN (`, []any{uai}
	for i, u := range unqids {
		if i > 0 {
			q += ","
		}
		args = append(args, u)
		q += "$" + itoa(len(args))
	}
	return collect(ctx, tx.txn, q+`)) ORDER BY id`, args, func(r *sql.Rows) (sillage.Person, error) { return scanPerson(r) })
}

// FindLegalGuardiansOf returns the parents who are the legal guardian of
// every one of these students (each parent once).
func (tx Accounts) FindLegalGuardiansOf(ctx context.Context, uai sillage.UAI, studentIDs []int64) ([]sillage.Person, error) {
	if len(studentIDs) == 0 {
		return nil, nil
	}
	q, args := inIDs(`SELECT parent_id FROM guardianships WHERE uai = $1 AND legal`, []any{uai}, "student_id", studentIDs)
	args = append(args, len(studentIDs))
	q = `SELECT ` + personCols + ` FROM persons WHERE uai = $1 AND role = 'parent' AND id IN (` + q +
		` GROUP BY parent_id HAVING COUNT(DISTINCT student_id) = $` + itoa(len(args)) + `) ORDER BY id`
	return collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.Person, error) { return scanPerson(r) })
}

// CreateSSOPending records a sign-in under way; expired ones are dropped.
func (tx Accounts) CreateSSOPending(ctx context.Context, p sillage.SSOPending) error {
	if _, err := tx.exec(ctx, `DELETE FROM sso_pending WHERE expires_at <= $1`, tx.now); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO sso_pending (state_hash, provider, uai, nonce, verifier, request_id, return_to, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.StateHash, p.Provider, p.UAI, p.Nonce, p.Verifier, p.RequestID, p.ReturnTo, p.ExpiresAt)
	return mapErr(err)
}

// TakeSSOPending returns the sign-in under way of a state and deletes it:
// a state serves once. An unknown, used or expired state is NotFound.
func (tx Accounts) TakeSSOPending(ctx context.Context, stateHash string, now time.Time) (sillage.SSOPending, error) {
	var p sillage.SSOPending
	var u string
	err := tx.queryRow(ctx, `DELETE FROM sso_pending WHERE state_hash = $1
		RETURNING state_hash, provider, uai, nonce, verifier, request_id, return_to, expires_at`, stateHash).Scan(
		&p.StateHash, &p.Provider, &u, &p.Nonce, &p.Verifier, &p.RequestID, &p.ReturnTo, ts{&p.ExpiresAt})
	p.UAI = sillage.UAI(u)
	if err == sql.ErrNoRows || err == nil && !p.ExpiresAt.After(now) {
		return sillage.SSOPending{}, sillage.Errorf(sillage.KindNotFound, "connexion inconnue, déjà utilisée ou expirée")
	}
	return p, mapErr(err)
}

// MarkSSOSeen records a ticket or assertion id (hashed) as used until
// expires, with the session it opened (or ""); it reports false when it
// was already used: a replay. Entries past their time are dropped first.
func (tx Accounts) MarkSSOSeen(ctx context.Context, provider, kind, valueHash, sessionHash string, expires time.Time) (bool, error) {
	if _, err := tx.exec(ctx, `DELETE FROM sso_seen WHERE expires_at <= $1`, tx.now); err != nil {
		return false, err
	}
	n, err := tx.execN(ctx, `INSERT INTO sso_seen (provider, kind, value_hash, session_hash, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (provider, kind, value_hash) DO NOTHING`, provider, kind, valueHash, sessionHash, expires)
	return n == 1, err
}

// EndSSOSession ends the session a used ticket opened (single log-out)
// and returns whether there was one.
func (tx Accounts) EndSSOSession(ctx context.Context, provider, kind, valueHash string) (bool, error) {
	var session string
	err := tx.queryRow(ctx, `SELECT session_hash FROM sso_seen WHERE provider = $1 AND kind = $2 AND value_hash = $3`,
		provider, kind, valueHash).Scan(&session)
	if err == sql.ErrNoRows || err == nil && session == "" {
		return false, nil
	}
	if err != nil {
		return false, mapErr(err)
	}
	n, err := tx.execN(ctx, `DELETE FROM sessions WHERE token_hash = $1`, session)
	return n > 0, err
}
