-- +goose Up
-- Generated credential lists ("fichiers d'identifiants"): the PDF and CSV of
-- one-time passwords an administrator downloads per division. Year-scoped:
-- the changeover deletes them (rollover.md step 3).
CREATE TABLE credential_lists (
    uai           TEXT NOT NULL REFERENCES establishments (uai),
    id            BIGINT NOT NULL,
    school_year   INTEGER NOT NULL,
    division_code TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL,
    accounts      INTEGER NOT NULL,
    pdf_sha256    TEXT NOT NULL,
    pdf_size      BIGINT NOT NULL,
    csv_sha256    TEXT NOT NULL,
    csv_size      BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id)
);

-- +goose Down
DROP TABLE credential_lists;
