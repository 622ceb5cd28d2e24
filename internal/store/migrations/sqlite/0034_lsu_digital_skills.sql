-- +goose Up
-- The digital skills of cycle 3 in the Livret (LSU 7.0 and 10.0,
-- competences-numeriques): per periodic report the level (1–3) on each of
-- the 16 skills of the CRCN ("CN_INF_MEN:2,CN_PRO_DON:1", in LSU's order)
-- and an optional appreciation, frozen with the report; per division and
-- period the appreciation common to the class
-- (competences-numeriques-commun), gone with its period or division.
ALTER TABLE lsu_periodic_reports ADD COLUMN digital_levels TEXT NOT NULL DEFAULT '';
ALTER TABLE lsu_periodic_reports ADD COLUMN digital_appreciation TEXT NOT NULL DEFAULT '';

CREATE TABLE lsu_class_digital_skills (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    period_id   INTEGER NOT NULL,
    division_id INTEGER NOT NULL,
    comment     TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, period_id, division_id),
    FOREIGN KEY (uai, period_id) REFERENCES periods (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, division_id) REFERENCES divisions (uai, id) ON DELETE CASCADE
);
CREATE INDEX lsu_class_digital_skills_division ON lsu_class_digital_skills (uai, division_id);

-- +goose Down
DROP TABLE lsu_class_digital_skills;
ALTER TABLE lsu_periodic_reports DROP COLUMN digital_appreciation;
ALTER TABLE lsu_periodic_reports DROP COLUMN digital_levels;
