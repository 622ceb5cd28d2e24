package store

import (
	"context"
	"slices"
	"time"
)

// LockThrottle returns the sign-in limiter's states of keys ("" for a key
// never seen), each row locked until the transaction ends: two servers
// judging attempts of the same login or address wait for each other.
func (tx Accounts) LockThrottle(ctx context.Context, keys []string) (map[string]string, error) {
	keys = slices.Clone(keys)
	slices.Sort(keys) // one order: no deadlock between two transactions
	states := map[string]string{}
	now := tx.Now()
	for _, k := range slices.Compact(keys) {
		// The no-op update on conflict locks the existing row (PostgreSQL)
		// and returns its state; SQLite's write transaction is alone.
		var state string
		err := tx.queryRow(ctx, `INSERT INTO signin_throttle (throttle_key, state, updated_at) VALUES ($1, '', $2)
			ON CONFLICT (throttle_key) DO UPDATE SET state = signin_throttle.state RETURNING state`, k, now).Scan(&state)
		if err != nil {
			return nil, mapErr(err)
		}
		states[k] = state
	}
	return states, nil
}

// SaveThrottle writes a key's state ("" removes it).
func (tx Accounts) SaveThrottle(ctx context.Context, key, state string) error {
	var err error
	if state == "" {
		_, err = tx.exec(ctx, `DELETE FROM signin_throttle WHERE throttle_key = $1`, key)
	} else {
		_, err = tx.exec(ctx, `UPDATE signin_throttle SET state = $2, updated_at = $3 WHERE throttle_key = $1`, key, state, tx.Now())
	}
	return err
}

// DeleteThrottleBefore removes the states last written before t (the
// limiter forgets them anyway) and returns how many.
func (tx Accounts) DeleteThrottleBefore(ctx context.Context, t time.Time) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM signin_throttle WHERE updated_at < $1`, t)
	return int(n), err
}
