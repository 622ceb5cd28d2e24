-- +goose Up
-- The sign-in limiter's state (internal/auth/ratelimit.go), shared by every
-- server process: per login key and per address key, the limiter's own
-- record (JSON), the row locked while one attempt is judged.
CREATE TABLE signin_throttle (
    throttle_key TEXT PRIMARY KEY,
    state        TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL
);
CREATE INDEX signin_throttle_updated ON signin_throttle (updated_at);

-- +goose Down
DROP TABLE signin_throttle;
