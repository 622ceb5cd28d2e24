package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Sessions are server-side rows keyed by the hash of a random token the
// cookie carries. Expiry follows inactivity and reads the one clock, so
// tests (and --now) drive it.
type Sessions struct {
	Store *store.Store
	Clock sillage.Clock
	Idle  time.Duration
}

// NewToken returns a random token and its hash.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is what the database keeps of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Create starts a session for an account and returns its token.
func (s *Sessions) Create(ctx context.Context, tx *store.Tx, accountID int64) (string, sillage.Session, error) {
	token, hash := NewToken()
	now := s.Clock.Now()
	sess := sillage.Session{TokenHash: hash, AccountID: accountID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.Idle)}
	return token, sess, tx.Accounts().CreateSession(ctx, sess)
}

// CreateSSO starts a session for an account signed in through a single
// sign-on provider: the same session, remembering the provider.
func (s *Sessions) CreateSSO(ctx context.Context, tx *store.Tx, accountID int64, provider string) (string, sillage.Session, error) {
	token, hash := NewToken()
	now := s.Clock.Now()
	sess := sillage.Session{TokenHash: hash, AccountID: accountID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.Idle), SSOProvider: provider}
	return token, sess, tx.Accounts().CreateSession(ctx, sess)
}

// Find returns the live session of a token, in the caller's transaction
// (the request reads its session, account and person in one go).
func (s *Sessions) Find(ctx context.Context, tx *store.Tx, token string) (sillage.Session, error) {
	if token == "" {
		return sillage.Session{}, sillage.Errorf(sillage.KindNotFound, "pas de session")
	}
	return tx.Accounts().GetSession(ctx, HashToken(token), s.Clock.Now())
}

// Touch records activity, pushing the expiry back by the idle duration. It
// writes at most once a minute per session, so that browsing does not
// queue behind SQLite's single writer.
func (s *Sessions) Touch(ctx context.Context, sess sillage.Session) (sillage.Session, error) {
	now := s.Clock.Now()
	if now.Sub(sess.LastSeenAt) < time.Minute {
		return sess, nil
	}
	sess.LastSeenAt, sess.ExpiresAt = now, now.Add(s.Idle)
	err := s.Store.Write(ctx, func(tx *store.Tx) error { return tx.Accounts().TouchSession(ctx, sess.TokenHash, now, sess.ExpiresAt) })
	return sess, err
}
