-- +goose Up
-- Five foreign keys a first import pays per row lose their triggers
-- (issue 18, imports.md; as 0021 did for results). On PostgreSQL each key
-- is a trigger that runs one lookup per inserted row: for a 2,000-student
-- SIECLE import the three on persons and person_unqids were about a third
-- of the server's time; the two of guardianships most of the time of
-- writing an AAF file's 20,000 guardian links.
--  * persons.uai -> establishments: no statement deletes an establishment,
--    and every writer of persons names an establishment it has just read
--    in the same transaction (the imports' GetEstablishment, the
--    transfer's pairs, the forms' tenant). Nothing to race with.
--  * persons.account_id -> accounts (ON DELETE SET NULL): the imports
--    insert the accounts they link in the same transaction, before the
--    persons; the one statement that deletes an account (DeleteAccount)
--    unlinks its persons first, explicitly.
--  * person_unqids (uai, person_id) and guardianships (uai, parent_id),
--    (uai, student_id) -> persons (ON DELETE CASCADE): the statements that
--    write them lock the persons they name FOR KEY SHARE first, set-based
--    (store: lockPersons, liveLinks; the lock the keys' checks took), and
--    skip the rows of persons already gone; so a concurrent deletion
--    either waits for the writer's commit or is over. Each of the three
--    statements that delete persons (DeletePerson, the purge, the
--    transfer's move) deletes their versions and links after them, in its
--    transaction (deletePersonKeysOf), which sees the rows a waiting
--    writer committed. A new student's versions are written in the
--    transaction that creates it: no lock needed.
-- Kept: the keys of the tables written one row at a time and those that
-- protect what no statement checks. TestNoOrphanRecords (internal/transfer)
-- checks the invariant (CrossTenant().PersonOrphans) after a transfer, a
-- purge and a deletion; TestPersonKeysWithoutForeignKeys the writers.
ALTER TABLE persons DROP CONSTRAINT persons_uai_fkey;
ALTER TABLE persons DROP CONSTRAINT persons_account_id_fkey;
ALTER TABLE person_unqids DROP CONSTRAINT person_unqids_uai_person_id_fkey;
ALTER TABLE guardianships DROP CONSTRAINT guardianships_uai_parent_id_fkey;
ALTER TABLE guardianships DROP CONSTRAINT guardianships_uai_student_id_fkey;

-- +goose Down
DELETE FROM guardianships WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = guardianships.uai AND p.id = guardianships.parent_id)
    OR NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = guardianships.uai AND p.id = guardianships.student_id);
DELETE FROM person_unqids WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.uai = person_unqids.uai AND p.id = person_unqids.person_id);
UPDATE persons SET account_id = NULL WHERE account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = persons.account_id);
ALTER TABLE guardianships ADD FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE;
ALTER TABLE guardianships ADD FOREIGN KEY (uai, parent_id) REFERENCES persons (uai, id) ON DELETE CASCADE;
ALTER TABLE person_unqids ADD FOREIGN KEY (uai, person_id) REFERENCES persons (uai, id) ON DELETE CASCADE;
ALTER TABLE persons ADD FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE SET NULL;
ALTER TABLE persons ADD FOREIGN KEY (uai) REFERENCES establishments (uai);
