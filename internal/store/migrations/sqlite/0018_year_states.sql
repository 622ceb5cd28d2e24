-- +goose Up
-- Where each establishment stands in the changeover (rollover.md): the year
-- closed between steps 2 and 4 (its ordinary imports refused) and the last
-- year archived (the Livret refuses its reports). One typed row per
-- establishment replaces the two string settings rollover.closed_year and
-- rollover.archived_year; 0 is "none", as an empty or absent setting was.
CREATE TABLE year_states (
    uai           TEXT PRIMARY KEY REFERENCES establishments (uai),
    closed_year   INTEGER NOT NULL DEFAULT 0,
    archived_year INTEGER NOT NULL DEFAULT 0
);

-- A setting that does not read as a year read as none: CAST gives 0.
INSERT INTO year_states (uai, closed_year, archived_year)
SELECT uai,
       COALESCE(MAX(CASE WHEN key = 'rollover.closed_year' THEN CAST(TRIM(value) AS INTEGER) END), 0),
       COALESCE(MAX(CASE WHEN key = 'rollover.archived_year' THEN CAST(TRIM(value) AS INTEGER) END), 0)
FROM settings
WHERE key IN ('rollover.closed_year', 'rollover.archived_year')
GROUP BY uai;

DELETE FROM settings WHERE key IN ('rollover.closed_year', 'rollover.archived_year');

-- Step 2 kept the settings as they were for its undo: the undo now reads
-- the year state as it was.
UPDATE rollover_checkpoints
SET item = 'year_state',
    detail = json_object(
        'closed', CAST(TRIM(COALESCE(json_extract(detail, '$."rollover.closed_year"'), '')) AS INTEGER),
        'archived', CAST(TRIM(COALESCE(json_extract(detail, '$."rollover.archived_year"'), '')) AS INTEGER))
WHERE item = 'settings';

-- +goose Down
UPDATE rollover_checkpoints
SET item = 'settings',
    detail = json_object(
        'rollover.closed_year', CASE WHEN json_extract(detail, '$.closed') = 0 THEN NULL ELSE CAST(json_extract(detail, '$.closed') AS TEXT) END,
        'rollover.archived_year', CASE WHEN json_extract(detail, '$.archived') = 0 THEN NULL ELSE CAST(json_extract(detail, '$.archived') AS TEXT) END)
WHERE item = 'year_state';

INSERT INTO settings (uai, key, value)
SELECT uai, 'rollover.closed_year', CAST(closed_year AS TEXT) FROM year_states WHERE closed_year <> 0;
INSERT INTO settings (uai, key, value)
SELECT uai, 'rollover.archived_year', CAST(archived_year AS TEXT) FROM year_states WHERE archived_year <> 0;

DROP TABLE year_states;
