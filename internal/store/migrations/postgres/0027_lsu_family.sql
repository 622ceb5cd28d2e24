-- +goose Up
-- The Livret's blocks around the subjects (lsu.md, formats-notes.md §1.2):
-- the class-level school-life comment of a division for a period, written
-- by the vie scolaire (vie-scolaire-commun, 2nd degree); per periodic
-- report the "devoirs faits" text and the optional socle positioning of
-- the term ("CPD_FRA:3,SYS_NAT:0": domain code and 0–4, 0 = dispensé);
-- the postal address of a legal guardian from SIECLE
-- ResponsablesAvecAdresses (address lines joined by a line feed).
CREATE TABLE lsu_class_school_life (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    period_id   BIGINT NOT NULL,
    division_id BIGINT NOT NULL,
    comment     TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, period_id, division_id),
    FOREIGN KEY (uai, period_id) REFERENCES periods (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, division_id) REFERENCES divisions (uai, id) ON DELETE CASCADE
);
CREATE INDEX lsu_class_school_life_division ON lsu_class_school_life (uai, division_id);

ALTER TABLE lsu_periodic_reports ADD COLUMN homework_done TEXT NOT NULL DEFAULT '';
ALTER TABLE lsu_periodic_reports ADD COLUMN socle TEXT NOT NULL DEFAULT '';

ALTER TABLE persons ADD COLUMN address_lines TEXT NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN town TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE persons DROP COLUMN town;
ALTER TABLE persons DROP COLUMN postal_code;
ALTER TABLE persons DROP COLUMN address_lines;
ALTER TABLE lsu_periodic_reports DROP COLUMN socle;
ALTER TABLE lsu_periodic_reports DROP COLUMN homework_done;
DROP TABLE lsu_class_school_life;
