-- +goose Up
-- An evaluation may be given to a group instead of a division: its grid
-- lists the group's students. No foreign key: a group deleted at the
-- changeover leaves its evaluations (part of the learning record), whose
-- grid then lists the students with a result; an undone changeover brings
-- the group, and so the link, back.
ALTER TABLE evaluations ADD COLUMN group_id INTEGER;
CREATE INDEX evaluations_group ON evaluations (uai, group_id) WHERE group_id IS NOT NULL;

-- A professional-situation sheet evaluated competence by competence: one
-- scale value and an optional comment per competence of the student's
-- referential, beside the sheet's overall result.
CREATE TABLE sheet_results (
    uai           TEXT NOT NULL,
    sheet_id      INTEGER NOT NULL,
    competence_id INTEGER NOT NULL,
    value         TEXT NOT NULL DEFAULT '',
    comment       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, sheet_id, competence_id),
    FOREIGN KEY (uai, sheet_id) REFERENCES sheets (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, competence_id) REFERENCES competences (uai, id) ON DELETE CASCADE
);
CREATE INDEX sheet_results_competence ON sheet_results (uai, competence_id);

-- +goose Down
DROP TABLE sheet_results;
DROP INDEX evaluations_group;
ALTER TABLE evaluations DROP COLUMN group_id;
