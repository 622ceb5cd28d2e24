-- +goose Up
-- AAF structures (EtabEducNat) known per establishment: the join id a
-- student's ENTPersonStructRattach names. Delta files carry no EtabEducNat,
-- so the import finds the establishment of a record through this table.
CREATE TABLE aaf_structures (
    uai        TEXT NOT NULL REFERENCES establishments (uai),
    join_id    TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, join_id)
);
CREATE INDEX aaf_structures_join ON aaf_structures (join_id);

-- A Delta's modifyRequest or deleteRequest names a person by AAF join id
-- only: find which establishments hold them.
CREATE INDEX persons_aaf_id ON persons (aaf_id) WHERE aaf_id <> '';

CREATE INDEX import_reports_created ON import_reports (uai, created_at);

-- Cross-tenant, as accounts: the highest number given to each login base
-- ("lea.martin" = 1, "lea.martin2" = 2…), so that an import finds free
-- logins without reading every numbered variant of a common name.
CREATE TABLE login_counters (
    base TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- +goose Down
DROP TABLE login_counters;
DROP INDEX import_reports_created;
DROP INDEX persons_aaf_id;
DROP TABLE aaf_structures;
