package store

import (
	"context"
	"database/sql"

	"github.com/sillage/sillage"
)

// RecordSSOSession keeps what single log-out needs of a session opened
// through a provider. Rows whose session has ended are dropped first.
func (tx Accounts) RecordSSOSession(ctx context.Context, s sillage.SSOSession) error {
	if _, err := tx.exec(ctx, `DELETE FROM sso_sessions WHERE NOT EXISTS
		(SELECT 1 FROM sessions WHERE sessions.token_hash = sso_sessions.session_hash)`); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO sso_sessions (session_hash, provider, subject, subject_format, session_index, id_token)
		VALUES ($1, $2, $3, $4, $5, $6)`, s.SessionHash, s.Provider, s.Subject, s.SubjectFormat, s.SessionIndex, s.IDToken)
	return mapErr(err)
}

// GetSSOSession returns what single log-out keeps of a live session;
// NotFound for a session not opened through a provider (or ended).
func (tx Accounts) GetSSOSession(ctx context.Context, sessionHash string) (sillage.SSOSession, error) {
	s := sillage.SSOSession{SessionHash: sessionHash}
	err := tx.queryRow(ctx, `SELECT x.provider, x.subject, x.subject_format, x.session_index, x.id_token
		FROM sso_sessions x JOIN sessions s ON s.token_hash = x.session_hash WHERE x.session_hash = $1`, sessionHash).Scan(
		&s.Provider, &s.Subject, &s.SubjectFormat, &s.SessionIndex, &s.IDToken)
	if err == sql.ErrNoRows {
		return s, sillage.Errorf(sillage.KindNotFound, "session sans fournisseur d'identité")
	}
	return s, mapErr(err)
}

// EndSSOSessions ends the sessions a provider's log-out names: those of
// the subject ("" for any), and of the provider session index ("" for
// any); one of the two at least is required. It returns how many ended.
func (tx Accounts) EndSSOSessions(ctx context.Context, provider, subject, sessionIndex string) (int, error) {
	if subject == "" && sessionIndex == "" {
		return 0, sillage.Errorf(sillage.KindInvalid, "déconnexion unique sans sujet ni session")
	}
	where := `provider = $1 AND ($2 = '' OR subject = $2) AND ($3 = '' OR session_index = $3)`
	n, err := tx.execN(ctx, `DELETE FROM sessions WHERE token_hash IN (SELECT session_hash FROM sso_sessions WHERE `+where+`)`,
		provider, subject, sessionIndex)
	if err != nil {
		return 0, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM sso_sessions WHERE `+where, provider, subject, sessionIndex); err != nil {
		return 0, err
	}
	return int(n), nil
}
