-- +goose Up
-- Transfer of records (transfer.md 5). A sheet moved from another
-- establishment keeps its evaluating teacher's name here: that teacher is a
-- person of the origin, not of the destination (author_id is then 0).
ALTER TABLE sheets ADD COLUMN author_name TEXT NOT NULL DEFAULT '';

-- One generic author "ancien établissement" per establishment, created on
-- demand by the first transfer it receives; two runs at once create one.
CREATE UNIQUE INDEX persons_system ON persons (uai) WHERE role = 'system';

-- The weekly purge finds the students deactivated before a cut-off.
CREATE INDEX persons_departed ON persons (deactivated_at, uai) WHERE role = 'student' AND deactivated_at IS NOT NULL;

-- +goose Down
DROP INDEX persons_departed;
DROP INDEX persons_system;
ALTER TABLE sheets DROP COLUMN author_name;
