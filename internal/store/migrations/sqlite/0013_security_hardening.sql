-- +goose Up
-- API tokens carry a scope (read / read_write), expire, and say why they
-- were revoked (issue 12). Tokens issued before keep the rights they had
-- (read_write); their expiry is counted from their creation
-- (expires_at NULL: created_at + the configured lifetime).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'read_write';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX api_tokens_person ON api_tokens (uai, person_id);

-- +goose Down
DROP INDEX api_tokens_person;
ALTER TABLE api_tokens DROP COLUMN revoked_reason;
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE api_tokens DROP COLUMN scope;
