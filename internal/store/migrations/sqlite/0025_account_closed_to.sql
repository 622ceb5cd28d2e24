-- +goose Up
-- Where a transferred student's record went: the account closed by a
-- transfer tells its owner, after the right password, the establishment
-- that holds their record now (its UAI; '' for other closings).
ALTER TABLE accounts ADD COLUMN closed_to TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE accounts DROP COLUMN closed_to;
