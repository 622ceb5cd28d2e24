-- +goose Up
-- Identifiers are allocated by blocks from one counter, so they are unique
-- across the instance: a transfer can move a row to another establishment
-- keeping its id. (PostgreSQL uses a sequence; SQLite has one writer, so a
-- row updated inside the writing transaction is enough.)
CREATE TABLE id_counter (
    name TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);
INSERT INTO id_counter (name, next) VALUES ('ids', 1000);

-- Cross-tenant: the establishments themselves.
CREATE TABLE establishments (
    uai                 TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    kind                TEXT NOT NULL,
    transfer_enabled    INTEGER NOT NULL DEFAULT 0,
    transfer_reference  TEXT NOT NULL DEFAULT '',
    transfer_changed_at TEXT,
    created_at          TEXT NOT NULL
);

-- Cross-tenant: credentials. A person of an establishment may have an
-- account; one account may be linked to persons of several establishments
-- (chosen at sign-in). Operators are accounts with no establishment.
CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY,
    login                TEXT NOT NULL UNIQUE,
    password_hash        TEXT NOT NULL DEFAULT '',
    must_change_password INTEGER NOT NULL DEFAULT 1,
    operator             INTEGER NOT NULL DEFAULT 0,
    privacy_version      INTEGER NOT NULL DEFAULT 0,
    privacy_acked_at     TEXT,
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT,
    last_sign_in_at      TEXT,
    -- set when the account's last person was deleted (transfer, purge,
    -- retention): sign-in then explains why instead of "unknown login"
    closed_at            TEXT,
    closed_reason        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE divisions (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    id          INTEGER NOT NULL,
    school_year INTEGER NOT NULL,
    code        TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    mefs        TEXT NOT NULL DEFAULT '',
    from_sts    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id),
    UNIQUE (uai, school_year, code)
);

CREATE TABLE persons (
    uai             TEXT NOT NULL REFERENCES establishments (uai),
    id              INTEGER NOT NULL,
    role            TEXT NOT NULL,
    account_id      INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    civility        TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL,
    first_name      TEXT NOT NULL,
    email           TEXT NOT NULL DEFAULT '',
    birth_date      TEXT,
    source          TEXT NOT NULL,
    siecle_id       TEXT NOT NULL DEFAULT '',
    aaf_id          TEXT NOT NULL DEFAULT '',
    sts_id          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deactivated_at  TEXT,
    last_sign_in_at TEXT,
    -- students (transfer.md 3); the INE itself is never stored
    unqid           TEXT NOT NULL DEFAULT '',
    ine_status      TEXT NOT NULL DEFAULT '',
    previous_uai    TEXT NOT NULL DEFAULT '',
    previous_name   TEXT NOT NULL DEFAULT '',
    entered_at      TEXT,
    school_entry    TEXT,
    exit_date       TEXT,
    exit_reason     TEXT NOT NULL DEFAULT '',
    transfer_status TEXT NOT NULL DEFAULT '',
    transferred_at  TEXT,
    mef             TEXT NOT NULL DEFAULT '',
    diploma         TEXT NOT NULL DEFAULT '',
    -- no foreign key: a composite SET NULL would null the uai too; the
    -- changeover clears it before deleting divisions
    division_id     INTEGER,
    PRIMARY KEY (uai, id)
);
CREATE INDEX persons_role ON persons (uai, role, last_name, first_name);
CREATE UNIQUE INDEX persons_siecle ON persons (uai, role, siecle_id) WHERE siecle_id <> '';
CREATE UNIQUE INDEX persons_aaf ON persons (uai, aaf_id) WHERE aaf_id <> '';
CREATE UNIQUE INDEX persons_sts ON persons (uai, sts_id) WHERE sts_id <> '';
CREATE INDEX persons_unqid ON persons (unqid) WHERE unqid <> '';
CREATE INDEX persons_account ON persons (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX persons_division ON persons (uai, division_id) WHERE division_id IS NOT NULL;
CREATE INDEX persons_transfer_new ON persons (uai, transfer_status) WHERE transfer_status = 'new';

CREATE TABLE guardianships (
    uai        TEXT NOT NULL,
    parent_id  INTEGER NOT NULL,
    student_id INTEGER NOT NULL,
    legal      INTEGER NOT NULL DEFAULT 1,
    relation   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, parent_id, student_id),
    FOREIGN KEY (uai, parent_id) REFERENCES persons (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX guardianships_student ON guardianships (uai, student_id);

CREATE TABLE groups (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    id          INTEGER NOT NULL,
    school_year INTEGER NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    label       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    lifetime    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (uai, id)
);
CREATE UNIQUE INDEX groups_code ON groups (uai, school_year, kind, code) WHERE code <> '';

CREATE TABLE group_members (
    uai       TEXT NOT NULL,
    group_id  INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    PRIMARY KEY (uai, group_id, person_id),
    FOREIGN KEY (uai, group_id) REFERENCES groups (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, person_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX group_members_person ON group_members (uai, person_id);

CREATE TABLE group_managers (
    uai       TEXT NOT NULL,
    group_id  INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    PRIMARY KEY (uai, group_id, person_id),
    FOREIGN KEY (uai, group_id) REFERENCES groups (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, person_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);

CREATE TABLE services (
    uai          TEXT NOT NULL,
    id           INTEGER NOT NULL,
    teacher_id   INTEGER NOT NULL,
    division_id  INTEGER,
    group_id     INTEGER,
    subject_code TEXT NOT NULL DEFAULT '',
    modality     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, id),
    FOREIGN KEY (uai, teacher_id) REFERENCES persons (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, division_id) REFERENCES divisions (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, group_id) REFERENCES groups (uai, id) ON DELETE CASCADE
);
CREATE INDEX services_teacher ON services (uai, teacher_id);
CREATE INDEX services_division ON services (uai, division_id);

CREATE TABLE head_teachers (
    uai         TEXT NOT NULL,
    division_id INTEGER NOT NULL,
    teacher_id  INTEGER NOT NULL,
    PRIMARY KEY (uai, division_id, teacher_id),
    FOREIGN KEY (uai, division_id) REFERENCES divisions (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, teacher_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);

CREATE TABLE mefs (
    uai       TEXT NOT NULL REFERENCES establishments (uai),
    code      TEXT NOT NULL,
    formation TEXT NOT NULL DEFAULT '',
    label     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, code)
);

CREATE TABLE subjects (
    uai           TEXT NOT NULL REFERENCES establishments (uai),
    code          TEXT NOT NULL,
    short_label   TEXT NOT NULL DEFAULT '',
    long_label    TEXT NOT NULL DEFAULT '',
    national_code TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, code)
);

CREATE TABLE programmes (
    uai          TEXT NOT NULL REFERENCES establishments (uai),
    mef          TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    modality     TEXT NOT NULL,
    hours        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, mef, subject_code, modality)
);

CREATE TABLE referentials (
    uai        TEXT NOT NULL REFERENCES establishments (uai),
    id         INTEGER NOT NULL,
    diploma    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (uai, id),
    UNIQUE (uai, diploma)
);

CREATE TABLE competences (
    uai            TEXT NOT NULL,
    id             INTEGER NOT NULL,
    referential_id INTEGER NOT NULL,
    domain         TEXT NOT NULL DEFAULT '',
    code           TEXT NOT NULL,
    label          TEXT NOT NULL,
    position       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id),
    UNIQUE (uai, referential_id, code),
    FOREIGN KEY (uai, referential_id) REFERENCES referentials (uai, id) ON DELETE CASCADE
);

CREATE TABLE evaluations (
    uai            TEXT NOT NULL REFERENCES establishments (uai),
    id             INTEGER NOT NULL,
    title          TEXT NOT NULL,
    date           TEXT NOT NULL,
    level          TEXT NOT NULL DEFAULT '',
    diploma        TEXT NOT NULL DEFAULT '',
    referential_id INTEGER NOT NULL,
    -- no foreign key on the author: teachers' accounts are deleted by
    -- retention while their evaluations stay
    author_id      INTEGER NOT NULL,
    division_id    INTEGER,
    school_year    INTEGER NOT NULL,
    origin_uai     TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    deleted_at     TEXT,
    deleted_by     INTEGER,
    PRIMARY KEY (uai, id),
    FOREIGN KEY (uai, referential_id) REFERENCES referentials (uai, id)
);
CREATE INDEX evaluations_division ON evaluations (uai, division_id, date);
CREATE INDEX evaluations_author ON evaluations (uai, author_id);

CREATE TABLE results (
    uai           TEXT NOT NULL,
    evaluation_id INTEGER NOT NULL,
    student_id    INTEGER NOT NULL,
    competence_id INTEGER NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (uai, evaluation_id, student_id, competence_id),
    FOREIGN KEY (uai, evaluation_id) REFERENCES evaluations (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, competence_id) REFERENCES competences (uai, id) ON DELETE CASCADE
);
CREATE INDEX results_student ON results (uai, student_id);
CREATE INDEX results_competence ON results (uai, competence_id);

CREATE TABLE comments (
    uai           TEXT NOT NULL,
    evaluation_id INTEGER NOT NULL,
    student_id    INTEGER NOT NULL,
    text          TEXT NOT NULL,
    PRIMARY KEY (uai, evaluation_id, student_id),
    FOREIGN KEY (uai, evaluation_id) REFERENCES evaluations (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX comments_student ON comments (uai, student_id);

CREATE TABLE sheets (
    uai         TEXT NOT NULL,
    id          INTEGER NOT NULL,
    student_id  INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    context     TEXT NOT NULL,
    class       TEXT NOT NULL DEFAULT '',
    pfmp_start  TEXT,
    pfmp_end    TEXT,
    host        TEXT NOT NULL DEFAULT '',
    activities  TEXT NOT NULL DEFAULT '',
    author_id   INTEGER NOT NULL DEFAULT 0,
    result      TEXT NOT NULL DEFAULT '',
    comment     TEXT NOT NULL DEFAULT '',
    origin_uai  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    deleted_by  INTEGER,
    PRIMARY KEY (uai, id),
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX sheets_student ON sheets (uai, student_id);

CREATE TABLE attachments (
    uai          TEXT NOT NULL,
    id           INTEGER NOT NULL,
    sheet_id     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL,
    uploaded_by  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id),
    FOREIGN KEY (uai, sheet_id) REFERENCES sheets (uai, id) ON DELETE CASCADE
);
CREATE INDEX attachments_sheet ON attachments (uai, sheet_id);
CREATE INDEX attachments_sha256 ON attachments (sha256);

CREATE TABLE documents (
    uai          TEXT NOT NULL,
    id           INTEGER NOT NULL,
    student_id   INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    school_year  INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    deleted_at   TEXT,
    deleted_by   INTEGER,
    PRIMARY KEY (uai, id),
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);
CREATE INDEX documents_student ON documents (uai, student_id);
CREATE INDEX documents_sha256 ON documents (sha256);

CREATE TABLE archives (
    uai           TEXT NOT NULL REFERENCES establishments (uai),
    id            INTEGER NOT NULL,
    school_year   INTEGER NOT NULL,
    division_code TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (uai, id)
);
CREATE INDEX archives_sha256 ON archives (sha256);

CREATE TABLE periods (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    id          INTEGER NOT NULL,
    school_year INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    PRIMARY KEY (uai, id),
    UNIQUE (uai, school_year, kind, idx)
);

-- Per-establishment settings as key/value pairs (scale, LSU schema version,
-- access-blocking message...), read through typed store methods.
CREATE TABLE settings (
    uai   TEXT NOT NULL REFERENCES establishments (uai),
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (uai, key)
);

-- +goose Down
DROP TABLE settings;
DROP TABLE periods;
DROP TABLE archives;
DROP TABLE documents;
DROP TABLE attachments;
DROP TABLE sheets;
DROP TABLE comments;
DROP TABLE results;
DROP TABLE evaluations;
DROP TABLE competences;
DROP TABLE referentials;
DROP TABLE programmes;
DROP TABLE subjects;
DROP TABLE mefs;
DROP TABLE head_teachers;
DROP TABLE services;
DROP TABLE group_managers;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE guardianships;
DROP TABLE persons;
DROP TABLE divisions;
DROP TABLE accounts;
DROP TABLE establishments;
DROP TABLE id_counter;
