-- +goose Up
-- Which legal guardian of a student is the first and which the second
-- (SIECLE RESP_LEGAL 1 and 2, or the order of the file when it only gives
-- NIVEAU_RESPONSABILITE), per student–guardian link: LSU's legal1/legal2.
-- 0 = not known (AAF, a third legal guardian, a link entered by hand).
-- A guardian that is a legal person (the Aide sociale à l'enfance, a
-- service) keeps its denomination; '' for a natural person.
ALTER TABLE guardianships ADD COLUMN legal_rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN denomination TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE persons DROP COLUMN denomination;
ALTER TABLE guardianships DROP COLUMN legal_rank;
