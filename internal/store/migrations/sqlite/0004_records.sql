-- +goose Up
-- The competences an evaluation assesses: the columns of its entry grid.
-- (Evaluations brought by a transfer or written before this table have
-- none; their grid shows the competences that have results.)
CREATE TABLE evaluation_competences (
    uai           TEXT NOT NULL,
    evaluation_id INTEGER NOT NULL,
    competence_id INTEGER NOT NULL,
    PRIMARY KEY (uai, evaluation_id, competence_id),
    FOREIGN KEY (uai, evaluation_id) REFERENCES evaluations (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, competence_id) REFERENCES competences (uai, id) ON DELETE CASCADE
);
CREATE INDEX evaluation_competences_competence ON evaluation_competences (uai, competence_id);

-- Natural keys of the records JSON import (docs/records-json.md): an
-- evaluation or a sheet imported with a "cle" is found again by it, so
-- importing the same file twice adds nothing.
ALTER TABLE evaluations ADD COLUMN external_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX evaluations_external_key ON evaluations (uai, external_key) WHERE external_key <> '';
CREATE INDEX evaluations_natural ON evaluations (uai, title, date);
ALTER TABLE sheets ADD COLUMN external_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX sheets_external_key ON sheets (uai, student_id, external_key) WHERE external_key <> '';

-- +goose Down
DROP INDEX sheets_external_key;
ALTER TABLE sheets DROP COLUMN external_key;
DROP INDEX evaluations_natural;
DROP INDEX evaluations_external_key;
ALTER TABLE evaluations DROP COLUMN external_key;
DROP TABLE evaluation_competences;
