-- +goose Up
-- Fewer indexes on persons: each one costs every import an insertion per
-- row. The audit (docs in the commit and in TestPersonsReadsUseIndexes):
--  * persons_unqid (unqid): no statement looks persons up by unqid; the
--    matching goes through person_unqids, which has its own index.
--  * persons_departed (deactivated_at, uai) for students: the purge's reads
--    are served by persons_deactivated (uai, deactivated_at), a partial index
--    of the same rows and of the few deactivated staff.
--  * persons_aaf (uai, aaf_id) and persons_aaf_id (aaf_id): one unique
--    index (aaf_id, uai) serves the per-establishment uniqueness and both
--    lookups, by AAF join id alone or with the establishment.
DROP INDEX persons_unqid;
DROP INDEX persons_departed;
DROP INDEX persons_aaf;
DROP INDEX persons_aaf_id;
CREATE UNIQUE INDEX persons_aaf ON persons (aaf_id, uai) WHERE aaf_id <> '';

-- +goose Down
DROP INDEX persons_aaf;
CREATE UNIQUE INDEX persons_aaf ON persons (uai, aaf_id) WHERE aaf_id <> '';
CREATE INDEX persons_aaf_id ON persons (aaf_id) WHERE aaf_id <> '';
CREATE INDEX persons_departed ON persons (deactivated_at, uai) WHERE role = 'student' AND deactivated_at IS NOT NULL;
CREATE INDEX persons_unqid ON persons (unqid) WHERE unqid <> '';
