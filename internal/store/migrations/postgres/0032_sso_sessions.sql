-- +goose Up
-- What single log-out needs of a session opened through a provider: the
-- SAML NameID (its format) and SessionIndex, the OpenID Connect subject and
-- sid, and the OpenID Connect ID token sent back as id_token_hint (kept
-- only when it carries no INE). A provider's log-out names the subject
-- and/or the session index; Sillage's own sign-out reads the row of its
-- session. A row outlives its session only until the next sign-in's purge.
CREATE TABLE sso_sessions (
    session_hash   TEXT PRIMARY KEY,
    provider       TEXT NOT NULL,
    subject        TEXT NOT NULL DEFAULT '',
    subject_format TEXT NOT NULL DEFAULT '',
    session_index  TEXT NOT NULL DEFAULT '',
    id_token       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sso_sessions_subject ON sso_sessions (provider, subject);
CREATE INDEX sso_sessions_index ON sso_sessions (provider, session_index);

-- +goose Down
DROP TABLE sso_sessions;
