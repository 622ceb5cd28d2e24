-- +goose Up
-- Uploads an import held for a confirmation (a mass deactivation, an old
-- file), sealed (internal/sealbox): in the database rather than on one
-- server's disk, so the confirmation can reach any server of the instance.
-- The token is random; a held upload is taken once or expires.
CREATE TABLE held_imports (
    uai        TEXT NOT NULL,
    token      TEXT NOT NULL,
    meta       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, token)
);
CREATE INDEX held_imports_created ON held_imports (created_at);
CREATE TABLE held_import_files (
    uai    TEXT NOT NULL,
    token  TEXT NOT NULL,
    idx    INTEGER NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (uai, token, idx),
    FOREIGN KEY (uai, token) REFERENCES held_imports (uai, token) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE held_import_files;
DROP TABLE held_imports;
