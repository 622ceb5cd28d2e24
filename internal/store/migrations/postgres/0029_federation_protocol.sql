-- +goose Up
-- Federation between instances (docs/federation.md, « Protocole »): the
-- state of each exchange, so that every step is resumable. Cross-tenant,
-- like the transfer index and log: the rows name establishments of this
-- instance and of a peer instance.

-- Destination side: one request per (new student, peer instance asked),
-- from its sending to the acknowledgement of the receipt.
CREATE TABLE federation_requests (
    id              TEXT PRIMARY KEY,
    dest_uai        TEXT NOT NULL,
    dest_student_id BIGINT NOT NULL,
    peer            TEXT NOT NULL,
    state           TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '',
    final           BOOLEAN NOT NULL DEFAULT FALSE,
    origin_uai      TEXT NOT NULL DEFAULT '',
    digest          TEXT NOT NULL DEFAULT '',
    counts          TEXT NOT NULL DEFAULT '',
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_at         TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX federation_requests_student ON federation_requests (dest_uai, dest_student_id, peer);
CREATE INDEX federation_requests_due ON federation_requests (state, next_at);

-- Origin side: the packages served to a peer, kept until its receipt
-- (then the student is deleted here and the row says so).
CREATE TABLE federation_served (
    peer              TEXT NOT NULL,
    request_id        TEXT NOT NULL,
    origin_uai        TEXT NOT NULL,
    origin_student_id BIGINT NOT NULL,
    dest_uai          TEXT NOT NULL,
    digest            TEXT NOT NULL,
    counts            TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (peer, request_id)
);
CREATE INDEX federation_served_student ON federation_served (origin_uai, origin_student_id);

-- Both sides: the nonces of the signed messages received, until they
-- expire: a message seen twice is a replay and is refused.
CREATE TABLE federation_nonces (
    peer       TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (peer, nonce)
);

-- The peer instance on the other side of a line of the transfer log ('' for
-- a transfer inside the instance).
ALTER TABLE transfer_log ADD COLUMN peer TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE transfer_log DROP COLUMN peer;
DROP TABLE federation_nonces;
DROP TABLE federation_served;
DROP TABLE federation_requests;
