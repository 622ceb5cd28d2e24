-- +goose Up
-- Results and comments lose their foreign keys (transfer.md 5, issue 18):
-- every statement that writes them names rows it has just read or checked
-- in the same transaction (the transfer's INSERT … SELECT joins the
-- evaluations, students and competences it copies to; SetResult and
-- SetComment check them in their INSERT), and every statement that deletes
-- a student, an evaluation or a competence deletes their results and
-- comments first (store: deleteRecordsOf…). The three checks per result
-- written and the cascades per row deleted were the largest per-row cost of
-- a transfer; TestNoOrphanRecords checks the invariant the keys kept.
-- SQLite cannot drop a foreign key: the two tables are rebuilt, data kept.
CREATE TABLE results_new (
    uai           TEXT NOT NULL,
    evaluation_id INTEGER NOT NULL,
    student_id    INTEGER NOT NULL,
    competence_id INTEGER NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (uai, evaluation_id, student_id, competence_id)
);
INSERT INTO results_new (uai, evaluation_id, student_id, competence_id, value)
SELECT uai, evaluation_id, student_id, competence_id, value FROM results;
DROP TABLE results;
ALTER TABLE results_new RENAME TO results;
CREATE INDEX results_student ON results (uai, student_id);
CREATE INDEX results_competence ON results (uai, competence_id);

CREATE TABLE comments_new (
    uai           TEXT NOT NULL,
    evaluation_id INTEGER NOT NULL,
    student_id    INTEGER NOT NULL,
    text          TEXT NOT NULL,
    PRIMARY KEY (uai, evaluation_id, student_id)
);
INSERT INTO comments_new (uai, evaluation_id, student_id, text)
SELECT uai, evaluation_id, student_id, text FROM comments;
DROP TABLE comments;
ALTER TABLE comments_new RENAME TO comments;
CREATE INDEX comments_student ON comments (uai, student_id);

-- +goose Down
DELETE FROM results WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.uai = results.uai AND e.id = results.evaluation_id)
    OR NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = results.uai AND p.id = results.student_id)
    OR NOT EXISTS (SELECT 1 FROM competences c WHERE c.uai = results.uai AND c.id = results.competence_id);
DELETE FROM comments WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.uai = comments.uai AND e.id = comments.evaluation_id)
    OR NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = comments.uai AND p.id = comments.student_id);
CREATE TABLE results_old (
    uai           TEXT NOT NULL,
    evaluation_id INTEGER NOT NULL,
    student_id    INTEGER NOT NULL,
    competence_id INTEGER NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (uai, evaluation_id, student_id, competence_id),
    FOREIGN KEY (uai, evaluation_id) REFERENCES evaluations (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, competence_id) REFERENCES competences (uai, id) ON DELETE CASCADE
);
INSERT INTO results_old (uai, evaluation_id, student_id, competence_id, value)
SELECT uai, evaluation_id, student_id, competence_id, value FROM results;
DROP TABLE results;
ALTER TABLE results_old RENAME TO results;
CREATE INDEX results_student ON results (uai, student_id);
CREATE INDEX results_competence ON results (uai, competence_id);
CREATE TABLE comments_old (
    uai           TEXT NOT NULL,
    evaluation_id INTEGER NOT NULL,
    student_id    INTEGER NOT NULL,
    text          TEXT NOT NULL,
    PRIMARY KEY (uai, evaluation_id, student_id),
    FOREIGN KEY (uai, evaluation_id) REFERENCES evaluations (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
INSERT INTO comments_old (uai, evaluation_id, student_id, text)
SELECT uai, evaluation_id, student_id, text FROM comments;
DROP TABLE comments;
ALTER TABLE comments_old RENAME TO comments;
CREATE INDEX comments_student ON comments (uai, student_id);
