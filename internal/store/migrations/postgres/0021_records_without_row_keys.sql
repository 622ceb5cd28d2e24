-- +goose Up
-- Results and comments lose their foreign keys (transfer.md 5, issue 18):
-- every statement that writes them names rows it has just read or checked
-- in the same transaction (the transfer's INSERT … SELECT joins the
-- evaluations, students and competences it copies to; SetResult and
-- SetComment check them in their INSERT), and every statement that deletes
-- a student, an evaluation or a competence deletes their results and
-- comments first (store: deleteRecordsOf…). The per-row triggers of the
-- three keys were about three quarters of the cost of writing results;
-- TestNoOrphanRecords checks the invariant the keys kept.
ALTER TABLE results DROP CONSTRAINT results_uai_evaluation_id_fkey;
ALTER TABLE results DROP CONSTRAINT results_uai_student_id_fkey;
ALTER TABLE results DROP CONSTRAINT results_uai_competence_id_fkey;
ALTER TABLE comments DROP CONSTRAINT comments_uai_evaluation_id_fkey;
ALTER TABLE comments DROP CONSTRAINT comments_uai_student_id_fkey;

-- +goose Down
DELETE FROM results WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.uai = results.uai AND e.id = results.evaluation_id)
    OR NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = results.uai AND p.id = results.student_id)
    OR NOT EXISTS (SELECT 1 FROM competences c WHERE c.uai = results.uai AND c.id = results.competence_id);
DELETE FROM comments WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.uai = comments.uai AND e.id = comments.evaluation_id)
    OR NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = comments.uai AND p.id = comments.student_id);
ALTER TABLE results ADD FOREIGN KEY (uai, evaluation_id) REFERENCES evaluations (uai, id) ON DELETE CASCADE;
ALTER TABLE results ADD FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE;
ALTER TABLE results ADD FOREIGN KEY (uai, competence_id) REFERENCES competences (uai, id) ON DELETE CASCADE;
ALTER TABLE comments ADD FOREIGN KEY (uai, evaluation_id) REFERENCES evaluations (uai, id) ON DELETE CASCADE;
ALTER TABLE comments ADD FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE;
