-- +goose Up
-- An evaluation may be given to a group instead of a division: its grid
-- lists the group's students. No foreign key: a group deleted at the
-- changeover leaves its evaluations (part of the learning record), whose
-- grid then lists the students with a result; an undone changeover brings
-- the group, and so the link, back.
ALTER TABLE evaluations ADD COLUMN group_id INTEGER;
CREATE INDEX evaluations_group ON evaluations (uai, group_id) WHERE group_id IS NOT NULL;

-- +goose Down
DROP INDEX evaluations_group;
ALTER TABLE evaluations DROP COLUMN group_id;
