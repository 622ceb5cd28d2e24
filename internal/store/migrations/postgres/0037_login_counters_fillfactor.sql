-- +goose Up
-- Room in each page of login_counters for a new version of every row it
-- holds (issue 18): an import moves on the counter of each login base it
-- gives out, 2,000 rows for a first import of 2,000 students. A full page
-- sends each new version to another page, which adds an entry to the
-- primary key's index for it (three WAL records a row instead of one, and
-- about six times the time of the update); with room in the page the
-- update is a heap-only one (HOT) and the index is left alone. The rows
-- are small (a login base and a number): the table's doubled size is a few
-- tens of megabytes for an académie's names. Pages already written get
-- the room as they are rewritten (VACUUM FULL or the next pages).
ALTER TABLE login_counters SET (fillfactor = 50);

-- +goose Down
ALTER TABLE login_counters RESET (fillfactor);
