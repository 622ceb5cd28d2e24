-- +goose Up
-- Single sign-on (docs/sso.md). The providers are configured for the
-- instance; the operator enables them establishment by establishment.
CREATE TABLE sso_enabled (
    uai        TEXT NOT NULL REFERENCES establishments (uai),
    provider   TEXT NOT NULL,
    enabled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, provider)
);

-- An identity of a provider linked to a person, made at its first
-- successful match (AAF jointure, hashed INE, guardian of those students):
-- later sign-ins find the person by the subject alone.
CREATE TABLE sso_links (
    uai          TEXT NOT NULL,
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    person_id    BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, provider, subject),
    FOREIGN KEY (uai, person_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX sso_links_person ON sso_links (uai, person_id);

-- Sign-ins under way, keyed by the hash of their state (OIDC state, SAML
-- RelayState, CAS state cookie): nonce, PKCE verifier, SAML request id,
-- where to go back. Taken once (deleted when read), refused when expired.
CREATE TABLE sso_pending (
    state_hash TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    uai        TEXT NOT NULL,
    nonce      TEXT NOT NULL DEFAULT '',
    verifier   TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    return_to  TEXT NOT NULL DEFAULT '/',
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sso_pending_expires ON sso_pending (expires_at);

-- CAS tickets and SAML assertion ids already used (hashed): a replay is
-- refused on every server sharing the database. A CAS ticket names the
-- session it opened, so that the CAS single log-out ends it.
CREATE TABLE sso_seen (
    provider     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    value_hash   TEXT NOT NULL,
    session_hash TEXT NOT NULL DEFAULT '',
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, kind, value_hash)
);
CREATE INDEX sso_seen_expires ON sso_seen (expires_at);

-- The provider a session was opened through ('' for a password): such a
-- session is not asked to change a password it never used.
ALTER TABLE sessions ADD COLUMN sso_provider TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN sso_provider;
DROP TABLE sso_seen;
DROP TABLE sso_pending;
DROP TABLE sso_links;
DROP TABLE sso_enabled;
