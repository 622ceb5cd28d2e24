-- +goose Up
-- Federation between instances (docs/federation.md). A student's
-- federation hash is an HMAC of the INE under the federation key, the same
-- at every instance of the federation (unlike the unqid, keyed by the
-- instance's own key): computed at import under every version of that key,
-- while the INE is at hand, and the only identifier that crosses instances.
-- Kept apart from person_unqids, whose rows every in-instance match joins.
CREATE TABLE person_federation_hashes (
    uai       TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (uai, person_id, hash),
    FOREIGN KEY (uai, person_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX person_federation_hashes_hash ON person_federation_hashes (hash);

-- The instance's identifier in the federation, drawn once.
CREATE TABLE federation_identity (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    instance_id TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- The peers the operator declared (URL and the fingerprint of the key
-- expected to sign their description), and the last description fetched
-- and verified from each (the signed envelope, as received).
CREATE TABLE federation_peers (
    id          BIGINT PRIMARY KEY,
    name        TEXT NOT NULL,
    base_url    TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    fetched_at  TIMESTAMPTZ,
    last_error  TEXT NOT NULL DEFAULT '',
    error_at    TIMESTAMPTZ
);

-- +goose Down
DROP TABLE federation_peers;
DROP TABLE federation_identity;
DROP TABLE person_federation_hashes;
