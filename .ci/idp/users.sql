-- Test identities of the CI identity provider (.ci/idp/setup.sh). Synthetic
-- people: the INEs and jointure ids below belong to nobody. The Go side
-- (internal/sso/idptest) holds the same values and its tests fail if the
-- provider releases anything else.
-- Multi-valued attributes are joined with ';' (LemonLDAP::NG's separator).
DROP TABLE IF EXISTS users;
CREATE TABLE users (
  login        TEXT PRIMARY KEY,
  password     TEXT NOT NULL,
  cn           TEXT NOT NULL,
  sn           TEXT NOT NULL,
  givenname    TEXT NOT NULL,
  mail         TEXT NOT NULL,
  profile      TEXT NOT NULL, -- ENT profile (National_ELV, National_TUT, National_ENS)
  affiliation  TEXT NOT NULL, -- EduConnect FrEduCtPersonAffiliation ('' for staff)
  fredu_id     TEXT NOT NULL, -- EduConnect FrEduCtId ('' for staff)
  jointure     TEXT NOT NULL, -- AAF jointure id ('' for parents signing in by EduConnect)
  uai          TEXT NOT NULL,
  ine          TEXT NOT NULL, -- the student's own INE ('' otherwise)
  children_ine TEXT NOT NULL  -- a parent's children's INEs ('' otherwise)
);
INSERT INTO users VALUES
 ('eleve.sillage', 'Sillage-Test-2026', 'Léa Martin', 'MARTIN', 'Léa', 'lea.martin@example.test',
  'National_ELV', 'eleve2d', 'ect-eleve-0001', '9100001', '0999001W', '990000001AB', ''),
 ('parent.sillage', 'Sillage-Test-2026', 'Claire Martin', 'MARTIN', 'Claire', 'claire.martin@example.test',
  'National_TUT', 'resp2d', 'ect-resp-0001', '9100002', '0999001W', '', '990000001AB;990000002CD'),
 ('prof.sillage', 'Sillage-Test-2026', 'Paul Durand', 'DURAND', 'Paul', 'paul.durand@example.test',
  'National_ENS', '', '', '9100003', '0999001W', '', ''),
 -- A student the provider knows and Sillage does not (the refusals).
 ('inconnu.sillage', 'Sillage-Test-2026', 'Noé Absent', 'ABSENT', 'Noé', 'noe.absent@example.test',
  'National_ELV', 'eleve2d', 'ect-eleve-0099', '9100099', '0999001W', '990000099ZZ', '');
