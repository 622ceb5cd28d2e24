-- +goose Up
-- Undo of the changeover (rollover.md, issue 13). What steps 1, 3 and 4
-- delete, and what step 2 rewrites, is kept in a restorable pack per
-- establishment, school year and step until expires_at; the weekly
-- housekeeping deletes the packs past it. One pack per step: a step run
-- again after an undo starts a fresh pack.
CREATE TABLE rollover_packs (
    uai          TEXT NOT NULL REFERENCES establishments (uai),
    id           BIGINT NOT NULL,
    school_year  INTEGER NOT NULL,
    step         INTEGER NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    expires_at   TIMESTAMPTZ NOT NULL,
    row_count    BIGINT NOT NULL DEFAULT 0,
    restored_at  TIMESTAMPTZ,
    restored_by  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, id),
    UNIQUE (uai, school_year, step)
);
CREATE INDEX rollover_packs_expiry ON rollover_packs (expires_at);

-- The rows of a pack, in the order they were taken (parents before their
-- children, so they are restored in that order). kind 'row' is a whole row
-- deleted; 'link' is a column a deletion set to NULL (division_id) or a
-- step rewrote (trashed_at), restored by UPDATE. data is a JSON object of
-- typed column values.
CREATE TABLE rollover_pack_rows (
    uai      TEXT NOT NULL,
    pack_id  BIGINT NOT NULL,
    seq      BIGINT NOT NULL,
    tbl      TEXT NOT NULL,
    kind     TEXT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (uai, pack_id, seq),
    FOREIGN KEY (uai, pack_id) REFERENCES rollover_packs (uai, id) ON DELETE CASCADE
);

-- The files a pack's rows refer to: the collection of unreferenced files
-- keeps them while the pack lives.
CREATE TABLE rollover_pack_blobs (
    uai      TEXT NOT NULL,
    pack_id  BIGINT NOT NULL,
    sha256   TEXT NOT NULL,
    PRIMARY KEY (uai, pack_id, sha256),
    FOREIGN KEY (uai, pack_id) REFERENCES rollover_packs (uai, id) ON DELETE CASCADE
);
CREATE INDEX rollover_pack_blobs_sha256 ON rollover_pack_blobs (sha256);

-- +goose Down
DROP TABLE rollover_pack_blobs;
DROP TABLE rollover_pack_rows;
DROP TABLE rollover_packs;
