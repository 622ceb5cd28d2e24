-- +goose Up
-- PostgreSQL's 0036 drops five foreign keys whose per-row triggers were a
-- large part of an import's server time. SQLite keeps them: its checks are
-- lookups in the same process (the SIECLE import meets its target with
-- them), and dropping a key means rebuilding the table, persons included,
-- which a dozen tables reference. The statements that delete persons or
-- accounts do the keys' cascades explicitly on both engines all the same.
SELECT 1;

-- +goose Down
SELECT 1;
