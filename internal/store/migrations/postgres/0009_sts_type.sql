-- +goose Up
-- STS-web's INDIVIDU@TYPE (epp: national staff database; local: added by
-- the school), which LSU needs beside the id-sts of each teacher.
ALTER TABLE persons ADD COLUMN sts_type TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE persons DROP COLUMN sts_type;
