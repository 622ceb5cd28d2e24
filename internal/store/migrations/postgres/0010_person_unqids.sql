-- +goose Up
-- Every version of a student's unqid, one per key of the instance
-- (transfer.md 2): after a key rotation, an import holding the INE computes
-- it under every key, so that an index entry or a student of another
-- establishment stored under an older version still matches, whatever the
-- order of the imports. persons.unqid keeps the newest version.
CREATE TABLE person_unqids (
    uai       TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    unqid     TEXT NOT NULL,
    PRIMARY KEY (uai, person_id, unqid),
    FOREIGN KEY (uai, person_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX person_unqids_unqid ON person_unqids (unqid);
INSERT INTO person_unqids (uai, person_id, unqid) SELECT uai, id, unqid FROM persons WHERE unqid <> '';

-- +goose Down
DROP TABLE person_unqids;
