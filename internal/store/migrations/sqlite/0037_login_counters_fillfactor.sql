-- +goose Up
-- PostgreSQL's 0037 leaves room in the pages of login_counters so that
-- moving a counter on is a heap-only update. SQLite has no such setting:
-- a row is rewritten in place in its B-tree page.
SELECT 1;

-- +goose Down
SELECT 1;
