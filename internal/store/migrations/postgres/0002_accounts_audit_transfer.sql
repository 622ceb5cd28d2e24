-- +goose Up
-- Server-side sessions: the cookie holds a random token, the table its hash.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uai          TEXT NOT NULL DEFAULT '',
    person_id    BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    -- a one-shot message shown on the next page (kept server-side: no
    -- cookie beyond the strictly necessary ones)
    flash        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- API tokens an administrator issues for the machine interface.
CREATE TABLE api_tokens (
    uai          TEXT NOT NULL REFERENCES establishments (uai),
    id           BIGINT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    person_id    BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    PRIMARY KEY (uai, id)
);

-- The audit log: append-only, hash-chained per establishment ('' is the
-- instance's own chain). audit_heads serialises appends per chain and
-- remembers where retention cut it.
CREATE TABLE audit_log (
    uai        TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    actor_id   BIGINT NOT NULL DEFAULT 0,
    actor_role TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (uai, seq)
);
CREATE INDEX audit_log_at ON audit_log (uai, at);

CREATE TABLE audit_heads (
    uai         TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    purged_seq  BIGINT NOT NULL DEFAULT 0,
    purged_hash TEXT NOT NULL DEFAULT ''
);

-- The internal message box.
CREATE TABLE messages (
    uai          TEXT NOT NULL REFERENCES establishments (uai),
    id           BIGINT NOT NULL,
    recipient_id BIGINT NOT NULL,
    sender       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    read_at      TIMESTAMPTZ,
    PRIMARY KEY (uai, id),
    FOREIGN KEY (uai, recipient_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX messages_recipient ON messages (uai, recipient_id, created_at);

-- Import reports, kept until the changeover.
CREATE TABLE import_reports (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    id          BIGINT NOT NULL,
    source      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    school_year INTEGER NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  BIGINT NOT NULL DEFAULT 0,
    report      TEXT NOT NULL,
    PRIMARY KEY (uai, id)
);

-- Cross-tenant: the index of deactivated students (transfer.md 4).
CREATE TABLE transfer_index (
    unqid             TEXT NOT NULL,
    origin_uai        TEXT NOT NULL,
    origin_student_id BIGINT NOT NULL,
    diploma           TEXT NOT NULL DEFAULT '',
    deactivated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (origin_uai, origin_student_id)
);
CREATE INDEX transfer_index_unqid ON transfer_index (unqid);

-- Cross-tenant: the transfer log, the record both establishments read.
CREATE TABLE transfer_log (
    id                BIGINT PRIMARY KEY,
    at                TIMESTAMPTZ NOT NULL,
    origin_uai        TEXT NOT NULL,
    dest_uai          TEXT NOT NULL,
    origin_student_id BIGINT NOT NULL,
    dest_student_id   BIGINT NOT NULL,
    done              BOOLEAN NOT NULL,
    final             BOOLEAN NOT NULL DEFAULT FALSE,
    reason            TEXT NOT NULL DEFAULT '',
    dest_name         TEXT NOT NULL DEFAULT '',
    origin_initials   TEXT NOT NULL DEFAULT '',
    counts            TEXT NOT NULL DEFAULT '',
    manifest          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX transfer_log_origin ON transfer_log (origin_uai, at);
CREATE INDEX transfer_log_dest ON transfer_log (dest_uai, at);
CREATE UNIQUE INDEX transfer_log_pair ON transfer_log (dest_uai, dest_student_id, origin_uai, origin_student_id);

-- +goose Down
DROP TABLE transfer_log;
DROP TABLE transfer_index;
DROP TABLE import_reports;
DROP TABLE messages;
DROP TABLE audit_heads;
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE sessions;
