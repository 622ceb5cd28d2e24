-- +goose Up
-- Three foreign keys a first import pays per row lose their triggers
-- (issue 18, imports.md; as 0021 did for results). On PostgreSQL each key
-- is a trigger that runs one lookup per inserted row; for a 2,000-student
-- SIECLE import they were about a third of the server's time.
--  * persons.uai -> establishments: no statement deletes an establishment,
--    and every writer of persons names an establishment it has just read
--    in the same transaction (the imports' GetEstablishment, the
--    transfer's pairs, the forms' tenant). Nothing to race with.
--  * persons.account_id -> accounts (ON DELETE SET NULL): the imports
--    insert the accounts they link in the same transaction, before the
--    persons; the one statement that deletes an account (DeleteAccount)
--    unlinks its persons first, explicitly.
--  * person_unqids (uai, person_id) -> persons (ON DELETE CASCADE): the
--    versions of a new student are written in the transaction that creates
--    it (invisible to any deleter until commit); the versions of an
--    existing student are written after its row is locked FOR KEY SHARE as
--    the key's check did (replacePersonKeys), so a concurrent deletion
--    waits or has happened and the row is skipped. Each of the three
--    statements that delete persons (DeletePerson, the purge, the
--    transfer's move) deletes the versions of the persons it deleted, after
--    them, in its transaction (deletePersonKeysOf).
-- Kept: guardianships' keys (a guardian link names a student read in
-- another statement, and the SIECLE guardians file links students an
-- earlier import wrote) and the keys of the tables written one row at a
-- time. TestNoOrphanRecords (internal/transfer) checks the invariant with
-- CrossTenant().PersonOrphans after a transfer, a purge and a deletion.
ALTER TABLE persons DROP CONSTRAINT persons_uai_fkey;
ALTER TABLE persons DROP CONSTRAINT persons_account_id_fkey;
ALTER TABLE person_unqids DROP CONSTRAINT person_unqids_uai_person_id_fkey;

-- +goose Down
DELETE FROM person_unqids WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = person_unqids.uai AND p.id = person_unqids.person_id);
UPDATE persons SET account_id = NULL WHERE account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = persons.account_id);
ALTER TABLE person_unqids ADD FOREIGN KEY (uai, person_id) REFERENCES persons (uai, id) ON DELETE CASCADE;
ALTER TABLE persons ADD FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE SET NULL;
ALTER TABLE persons ADD FOREIGN KEY (uai) REFERENCES establishments (uai);
