-- +goose Up
-- The fingerprints of the instance's secret keys (the INE key, and any key
-- later work adds: audit, signing), one row per key name and version. A
-- fingerprint is an HMAC of a fixed label under the key, never the key: it
-- lets a process refuse to start with a key file that lacks a version the
-- database was built with, instead of silently re-hashing every student.
-- A retired version (replaced deliberately by `sillage idkey init
-- --replace`) is no longer required.
CREATE TABLE key_registry (
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    retired     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (name, version)
);

-- +goose Down
DROP TABLE key_registry;
